"""The static browse pages in a real headless browser (Debian's chromium through playwright).

The pages are opened straight from disk (file://, no server): they render, the filter box narrows
the rows, every link resolves to a file in the bag, and the verify status is shown.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from urllib.parse import unquote, urlparse

import pytest

from kjhdz_docs.archive.browse import write_pages
from kjhdz_docs.archive.seal import seal_year
from kjhdz_docs.archive.verify import verify
from tests.archive_tree import year_tree
from tests.conftest import requires_soffice

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--headless", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync"]

playwright = pytest.importorskip("playwright.sync_api")
pytestmark = [requires_soffice, pytest.mark.slow,
              pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="chromium not installed (CI installs it)")]


@pytest.fixture(scope="module")
def pages(tmp_path_factory):
    base = tmp_path_factory.mktemp("browse")
    with year_tree(base):
        seal_year(2024)
        verify(2024)
        written = write_pages()
    return base / "archive", written


@pytest.fixture(scope="module")
def browser():
    with playwright.sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield b
        b.close()


def test_pages_are_self_contained(pages):
    root, written = pages
    assert sorted(p.relative_to(root).as_posix() for p in written) == ["2024/index.html", "index.html"]
    for page in written:
        text = page.read_text(encoding="utf-8")
        assert "http://" not in text and "https://" not in text and "<link" not in text and " src=" not in text


@pytest.mark.parametrize("page", ["index.html", "2024/index.html"])
def test_page_opens_filters_and_links_resolve(pages, browser, page):
    root, _ = pages
    tab = browser.new_page()
    requests = []
    tab.on("request", lambda r: requests.append(r.url))
    tab.goto((root / page).as_uri())
    rows = tab.locator("#records tbody tr")
    assert rows.count() == 11
    assert "四性检测：通过" in tab.inner_text("body")
    assert tab.inner_text("#count") == "11"

    tab.fill("#filter", "天津市")
    visible = tab.locator("#records tbody tr:not(.hidden)")
    assert visible.count() == 1 and "天津市" in visible.first.inner_text()
    assert tab.inner_text("#count") == "1"
    tab.fill("#filter", "z109-ws·2024-y")                       # case-insensitive, on the 档号
    assert visible.count() == 3
    tab.fill("#filter", "没有这样的文件")
    assert visible.count() == 0
    tab.fill("#filter", "")
    assert visible.count() == 11

    hrefs = tab.eval_on_selector_all("#records a", "els => els.map(e => e.href)")
    assert len(hrefs) >= 11 + 9                                    # every original, every rendition
    for href in hrefs:
        url = urlparse(href)
        assert url.scheme == "file"
        assert Path(unquote(url.path)).is_file(), href
    assert all(u.startswith("file://") for u in requests)          # nothing fetched from a network
    # a PDF link points into the bag
    pdf = tab.locator("#records tbody tr").first.locator("a.pdf").get_attribute("href")
    assert pdf.endswith("notice.pdf") and "v1/data/documents/0001/" in pdf
    tab.close()


def test_verify_failure_shows_on_the_page(pages, browser, tmp_path, monkeypatch):
    root, _ = pages
    copy = tmp_path / "archive"
    shutil.copytree(root, copy)
    monkeypatch.setenv("KJHDZ_ARCHIVE", str(copy))
    (copy / "2024" / "v1" / "data" / "documents" / "0001" / "notice.docx").write_bytes(b"changed")
    with pytest.raises(Exception):
        verify(2024)
    write_pages()
    tab = browser.new_page()
    tab.goto((copy / "2024" / "index.html").as_uri())
    assert "四性检测：未通过" in tab.inner_text("body")
    tab.close()

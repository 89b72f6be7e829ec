"""The static browse pages in a real headless browser (Debian's chromium through playwright).

The pages are opened straight from disk (file://, no server): they render, the filter box narrows
the rows, every link resolves to a file in the bag, and the verify status is shown.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path
from urllib.parse import quote, unquote, urlparse

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
    assert rows.count() == 12
    body = tab.inner_text("body")
    assert "四性检测：通过（" in body                                 # with the date of the last verify
    assert re.search(r"四性检测：通过（\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}）", body)
    report = tab.locator("a.verify-report").first.get_attribute("href")
    assert Path(unquote(urlparse(tab.locator("a.verify-report").first.evaluate("e => e.href")).path)).is_file(), report
    assert tab.inner_text("#count") == "12"
    head = tab.locator("#records thead").inner_text()
    assert "密级" in head and "公开属性" in head
    assert "非涉密" in rows.first.inner_text() and "主动公开" in rows.first.inner_text()

    tab.fill("#filter", "天津市科学技术局")
    visible = tab.locator("#records tbody tr:not(.hidden)")
    assert visible.count() == 1 and "天津市" in visible.first.inner_text()
    assert tab.inner_text("#count") == "1"
    tab.fill("#filter", "z109-ws·2024-y")                       # case-insensitive, on the 档号
    assert visible.count() == 3
    tab.fill("#filter", "没有这样的文件")
    assert visible.count() == 0
    tab.fill("#filter", "")
    assert visible.count() == 12

    hrefs = tab.eval_on_selector_all("#records a", "els => els.map(e => e.href)")
    assert len(hrefs) >= 12 + 10                                   # every original, every rendition
    for href in hrefs:
        url = urlparse(href)
        assert url.scheme == "file"
        assert Path(unquote(url.path)).is_file(), href
    assert all(u.startswith("file://") for u in requests)          # nothing fetched from a network
    # a PDF link points into the bag
    pdf = tab.locator("#records tbody tr").first.locator("a.pdf").get_attribute("href")
    assert pdf.endswith("notice.pdf") and "v1/data/documents/Y-KJB-0001/" in pdf
    tab.close()


def test_verify_failure_shows_on_the_page(pages, browser, tmp_path, monkeypatch):
    root, _ = pages
    copy = tmp_path / "archive"
    shutil.copytree(root, copy)
    monkeypatch.setenv("KJHDZ_ARCHIVE", str(copy))
    (copy / "2024" / "v1" / "data" / "documents" / "Y-KJB-0001" / "notice.docx").write_bytes(b"changed")
    with pytest.raises(Exception):
        verify(2024)
    write_pages()
    tab = browser.new_page()
    tab.goto((copy / "2024" / "index.html").as_uri())
    assert "四性检测：未通过" in tab.inner_text("body")
    tab.close()


def test_full_text_search_from_a_copied_folder(pages, browser, tmp_path):
    """The archive copied elsewhere (a USB stick), opened as file://: typing an activity name finds the
    推荐清单 (and the workbook that recommends it) with the activity's text; the index is loaded by
    <script> elements from search/, nothing else is requested."""
    from tests.archive_tree import ACTIVITY

    root, _ = pages
    usb = tmp_path / "usb" / "归档"
    shutil.copytree(root, usb)
    tab = browser.new_page()
    requests, errors = [], []
    tab.on("request", lambda r: requests.append(r.url))
    tab.on("pageerror", lambda e: errors.append(str(e)))
    tab.goto((usb / "index.html").as_uri())
    assert not tab.locator("#fulltext-results").is_visible()
    tab.locator("#fulltext").press_sequentially(ACTIVITY[-9:], delay=20)            # typed: 人工智能科普大篷车进社区
    rows = tab.locator("#fulltext-results tbody tr")
    tab.wait_for_function("w => { var m=document.querySelector('#fulltext-results tbody tr mark');"
                          " return m && m.textContent===w; }", arg=ACTIVITY[-9:], timeout=10_000)   # the last search ran
    texts = [rows.nth(i).inner_text() for i in range(rows.count())]
    assert len(texts) == 2 and "推荐清单" in texts[0] and "Z109-WS·2024-Y-KJB-0002" in texts[0]
    assert all(ACTIVITY[-9:] in t for t in texts) and "北京市" in texts[1]
    assert tab.locator("#fulltext-results tbody tr mark").first.inner_text() == ACTIVITY[-9:]
    assert "全文检索：2 件" in tab.inner_text("#fulltext-info")
    href = rows.first.locator("a.pdf").get_attribute("href")
    assert href.endswith("recommendations.pdf")
    assert (usb / unquote(href)).is_file()
    tab.fill("#fulltext", "高度重视")                                               # words inside three PDFs
    tab.wait_for_function("document.getElementById('fulltext-info').textContent.indexOf('3 件')>=0")
    assert rows.count() == 3
    assert errors == []
    assert all(u.startswith(usb.as_uri()) for u in requests) and any(u.endswith("search/2024.js") for u in requests)
    tab.close()
    linked = browser.new_page()                                                     # a search passed on as a link
    linked.goto((usb / "2024" / "index.html").as_uri() + "#q=" + quote(ACTIVITY[-9:]))
    linked.locator("#fulltext-results tbody tr").first.wait_for(timeout=10_000)
    assert linked.locator("#fulltext-results tbody tr").count() == 2
    assert (usb / "2024" / unquote(linked.locator("#fulltext-results a.pdf").first.get_attribute("href"))).is_file()
    linked.close()

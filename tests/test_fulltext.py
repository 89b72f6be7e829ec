"""Full-text search of the sealed years: built from a real seal of the archive test year (LibreOffice PDFs,
real .xlsx), searched through ``invoke search --text`` and the library; the browse page's search box is
tested in tests/test_browse.py."""

from __future__ import annotations

import json
import shutil

import pytest

from kjhdz_docs.archive import fulltext
from kjhdz_docs.archive.index import reindex
from kjhdz_docs.archive.search import find
from kjhdz_docs.archive.seal import seal_year
from kjhdz_docs.archive.verify import verify
from tests.archive_tree import ACTIVITY, ACTIVITY_INTRO, year_tree
from tests.conftest import requires_soffice
from tests.drills.common import run_task

pytestmark = [requires_soffice, pytest.mark.slow]


@pytest.fixture(scope="module")
def sealed(tmp_path_factory):
    base = tmp_path_factory.mktemp("fulltext")
    with year_tree(base):
        seal_year(2024)
    return base


@pytest.fixture
def archive(sealed, monkeypatch):
    monkeypatch.setenv("KJHDZ_BUILD", str(sealed / "build"))
    monkeypatch.setenv("KJHDZ_ARCHIVE", str(sealed / "archive"))
    return sealed / "archive"


def test_normalize_joins_what_pdftotext_splits():
    assert fulltext.normalize("2024 年北京市科技活\n动周·人工智能") == "2024年北京市科技活动周·人工智能"
    assert fulltext.normalize("ＡＢＣ  PDF\tfile １２３") == "ABC PDF file 123"
    assert fulltext.query_words("  航天 科普  航天 ") == ["科普", "航天"]


def test_the_seal_writes_the_index_outside_the_bag(archive):
    script = archive / "search" / "2024.js"
    assert script.is_file() and not list((archive / "2024").rglob("*.js"))
    docs = fulltext.load_year(archive, 2024)
    assert len(docs) == 12 and [d["序号"] for d in docs] == list(range(1, 13))
    assert script.read_text(encoding="utf-8").startswith("window.KJHDZ_FULLTEXT=")
    notice = docs[0]
    assert "各地方、各部门要高度重视全国科技活动周工作" in notice["text"]          # the PDF's text
    assert notice["parts"][0]["file"].endswith("Y-KJB-0001/notice.pdf")


def test_search_text_finds_the_recommendation_list_and_the_workbook(archive, capsys):
    done = run_task("search", "--text", ACTIVITY, "--json", env={"KJHDZ_ARCHIVE": str(archive)})
    assert done.returncode == 0, done.stderr
    out = json.loads(done.stdout)
    by_type = {r["type"]: r for r in out["records"]}
    assert out["count"] == 2 and set(by_type) == {"recommendations", "submission"}
    rec, sub = by_type["recommendations"], by_type["submission"]
    assert rec["题名"] == "2024年全国科技活动周特色群众性科技活动推荐清单" and rec["year"] == 2024
    assert rec["档号"] == "Z109-WS·2024-Y-KJB-0002" and rec["matched_file"].endswith("recommendations.pdf")
    assert sub["unit"] == "北京市" and "北京市-推荐表" in sub["original_name"]
    for r in (rec, sub):
        assert ACTIVITY in r["snippet"] and r["score"] > 0
    assert "2 件（按相关度排序）" in done.stderr                            # the table on stderr


def test_words_anywhere_rank_title_hits_first(archive):
    found = find(text="推荐清单 高度重视")                                  # both in the 推荐清单 only
    assert [e["序号"] for e in found] == [2]
    found = find(text="高度重视")                                          # in the text of the three documents
    assert sorted(e["序号"] for e in found) == [1, 2, 3]
    assert find(text="人工智能 机器学习", unit="北京市")[0]["type"] == "submission"   # filters still apply
    assert find(text="天津市 没有这个词") == []
    hits = fulltext.search(archive, "通知")
    assert hits[0]["序号"] == 1 and hits[0]["in_title"]                    # 题名 hit ranks first


def test_workbook_cells_are_indexed(archive):
    """A cell only the workbook has (the rendition's text holds it too, once)."""
    sub = next(d for d in fulltext.load_year(archive, 2024) if d["unit"] == "北京市" and d["type"] == "submission"
               and "推荐表" in (d["original"] or ""))
    assert ACTIVITY in sub["text"] and fulltext.normalize(ACTIVITY_INTRO) in sub["text"]
    cells = fulltext.workbook_cells(archive / sub["original"])
    assert ACTIVITY in cells and "北京市" in cells


def test_reindex_rebuilds_it_from_the_cache_and_verify_still_passes(archive, tmp_path, monkeypatch):
    copy = tmp_path / "archive"
    shutil.copytree(archive, copy, symlinks=True)
    monkeypatch.setenv("KJHDZ_ARCHIVE", str(copy))
    before = (copy / "search" / "2024.js").read_bytes()
    (copy / "search" / "2024.js").unlink()
    calls = []
    real = fulltext._extract
    monkeypatch.setattr(fulltext, "_extract", lambda p: calls.append(p) or real(p))
    assert reindex() == 0
    assert (copy / "search" / "2024.js").read_bytes() == before and calls == []    # from the cache
    shutil.rmtree(copy / "search")
    assert reindex() == 0
    assert (copy / "search" / "2024.js").read_bytes() == before and len(calls) >= 10
    assert verify(2024) == 0

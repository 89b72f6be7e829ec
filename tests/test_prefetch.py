"""Renditions made ahead (kjhdz_docs.archive.prefetch): what it reads, and that the seal's own conversions
of the staged copies are then served from the cache — with a LibreOffice that would fail, to prove it."""

from __future__ import annotations

import os
import shutil

import pytest

from kjhdz_docs import converter, sample_data, specimens
from kjhdz_docs.archive import normalize, prefetch
from tests.conftest import requires_soffice


@pytest.fixture
def year_data(tmp_path, monkeypatch):
    data = tmp_path / "data"
    inbox = data / "2024" / "inbox" / "statistics" / "20240601-090000-0a0b0c0d"
    inbox.mkdir(parents=True)
    monkeypatch.setenv("KJHDZ_DATA", str(data))
    outside = tmp_path / "outside.xlsx"
    specimens.write_statistics(outside, "天津市")
    specimens.write_statistics(inbox / "北京市-统计表.xlsx", "北京市")
    sample_data.write_scan_png(inbox / "盖章页.png", "北京市科学技术委员会", "统计表盖章页")
    (inbox / "坏文件.xlsx").write_bytes(b"this is not a workbook")
    (inbox / "链接.xlsx").symlink_to(outside)
    os.mkfifo(inbox / "管道.xlsx")
    (inbox / ".~lock.北京市-统计表.xlsx#").write_text("lock")
    return inbox, outside


def test_only_regular_files_are_read_and_unsafe_workbooks_never_converted(year_data):
    inbox, outside = year_data
    files = prefetch.submitted_files(2024)
    assert [p.name for p in files] == sorted(["北京市-统计表.xlsx", "盖章页.png", "坏文件.xlsx"])
    office, scans = prefetch.missing_conversions(files)
    assert [p.name for p in office] == ["北京市-统计表.xlsx"]        # the broken one fails the safety check
    assert [p.name for p, _, _ in scans] == ["盖章页.png"]


@requires_soffice
def test_the_seals_conversions_of_the_staged_copies_come_from_the_cache(year_data, tmp_path, monkeypatch):
    inbox, _ = year_data
    prefetch.make_ahead(2024)
    assert prefetch.missing_conversions(prefetch.submitted_files(2024)) == ([], [])
    # the seal converts its staged copy (another name and folder, the same bytes): with every LibreOffice start
    # failing, it can only succeed from the cache
    staged = tmp_path / "bag" / "submissions" / "北京市-统计表（副本）.xlsx"
    staged.parent.mkdir(parents=True)
    shutil.copyfile(inbox / "北京市-统计表.xlsx", staged)
    def no_start(*args, **kwargs):
        raise AssertionError("LibreOffice was started although the conversion was made ahead")

    monkeypatch.setattr(converter, "_run_batch", no_start)
    out = tmp_path / "out.pdf"
    converter.convert_to_pdf([(staged, out)], workers=2)
    assert out.read_bytes().startswith(b"%PDF-")
    scan = staged.with_name("盖章页.png")
    shutil.copyfile(inbox / "盖章页.png", scan)
    key, _, _ = normalize.ocr_key(scan)
    from kjhdz_docs import cache

    hit = cache.get("ocr", key)
    assert hit is not None and "pdf" in hit.files


@requires_soffice
def test_the_seal_stops_it_between_two_conversions(year_data, monkeypatch):
    """Asked to finish, the process stops after the conversion under way; nothing is left running."""
    monkeypatch.setattr(prefetch, "CHUNK", 1)
    inbox, _ = year_data
    for n in range(6):
        specimens.write_statistics(inbox / f"单位{n}.xlsx", f"单位{n}")
    prefetch.start(2024)
    process = prefetch._running[0].process
    assert process.is_alive()
    prefetch.finish_all()
    prefetch.wait_all()
    assert process.exitcode == 0 and not prefetch._running
    office, scans = prefetch.missing_conversions(prefetch.submitted_files(2024))
    assert len(office) >= 6 and len(scans) == 1     # stopped after at most the one conversion under way

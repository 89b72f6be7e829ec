"""Hostile and broken files: refused before parsing, within bounded memory and seconds; the batch goes on."""

from __future__ import annotations

import threading
import time

import psutil
import pytest

from kjhdz_docs import specimens as sp
from kjhdz_docs.intake import read_inbox, read_submission
from kjhdz_docs.intake.safety import UnsafeFile, check_file
from kjhdz_docs.model import FormKind, Status
from kjhdz_docs.roster import load_roster

ROSTER = load_roster(2024)


@pytest.fixture(scope="module")
def bomb(tmp_path_factory):
    """A real .xlsx whose sheet inflates to 1 GiB (about 1,000:1)."""
    return sp.write_zip_bomb(tmp_path_factory.mktemp("bomb") / "河北省-统计表.xlsx", megabytes=1024)


class PeakRss:
    """Sample this process's RSS every 5 ms while the block runs."""

    def __enter__(self):
        self.proc, self.peak, self._stop = psutil.Process(), 0, threading.Event()
        self.base = self.proc.memory_info().rss
        self._t = threading.Thread(target=self._sample, daemon=True)
        self._t.start()
        return self

    def _sample(self):
        while not self._stop.is_set():
            self.peak = max(self.peak, self.proc.memory_info().rss)
            time.sleep(0.005)

    def __exit__(self, *exc):
        self._stop.set()
        self._t.join()
        self.peak = max(self.peak, self.proc.memory_info().rss)


def test_zip_bomb_refused_in_bounded_memory_and_time(bomb):
    assert bomb.stat().st_size < 2 * 1024 * 1024
    with PeakRss() as rss:
        t0 = time.perf_counter()
        sub = read_submission(bomb, bomb.name, FormKind.STATISTICS, ROSTER)
        seconds = time.perf_counter() - t0
    assert sub.status is Status.REJECTED and [p.rule for p in sub.problems] == ["zip-bomb"]
    assert sub.unit == "河北省"            # from the file name, so the clerk knows whom to ask
    assert rss.peak < 500 * 1024 * 1024
    assert rss.peak - rss.base < 50 * 1024 * 1024
    assert seconds < 5


@pytest.mark.parametrize("declared", [4096, 2 * 1024 * 1024])
def test_zip_that_lies_about_its_size(tmp_path, declared):
    path = sp.write_lying_zip(tmp_path / "lie.xlsx", megabytes=64, declared=declared)
    with PeakRss() as rss:
        with pytest.raises(UnsafeFile) as err:
            check_file(path)
    assert err.value.rule == "zip-bomb"
    assert rss.peak - rss.base < 50 * 1024 * 1024


def test_entity_expansion_refused(tmp_path):
    for path in (sp.write_entity_bomb(tmp_path / "lol.xlsx"), sp.write_external_entity(tmp_path / "xxe.xlsx")):
        with pytest.raises(UnsafeFile) as err:
            check_file(path)
        assert err.value.rule == "xml-entity"


@pytest.mark.parametrize("writer, rule", [
    (sp.write_password_protected, "password-protected"),
    (sp.write_not_a_workbook, "not-a-workbook"),
    (sp.write_empty, "empty-file"),
    (sp.write_truncated, "corrupt-file"),
])
def test_unusable_workbooks(tmp_path, writer, rule):
    path = writer(tmp_path / "x.xlsx")
    sub = read_submission(path, path.name, FormKind.STATISTICS, ROSTER)
    assert sub.status is Status.REJECTED and [p.rule for p in sub.problems] == [rule]
    assert "报送" in sub.problems[0].message and "请" in sub.problems[0].message


def test_a_docx_renamed_xlsx(tmp_path):
    import zipfile

    path = tmp_path / "report.xlsx"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("word/document.xml", "<w:document/>")
    sub = read_submission(path, path.name, FormKind.STATISTICS, ROSTER)
    assert [p.rule for p in sub.problems] == ["not-a-workbook"]


def test_the_batch_goes_on(tmp_path, bomb):
    inbox = tmp_path / "inbox"
    (inbox / "bad").mkdir(parents=True)
    (inbox / "bad" / bomb.name).symlink_to(bomb)
    sp.write_entity_bomb(inbox / "bad" / "lol.xlsx")
    sp.write_password_protected(inbox / "bad" / "pw.xlsx")
    sp.write_not_a_workbook(inbox / "text.xlsx")
    sp.write_empty(inbox / "empty.xls")
    sp.write_truncated(inbox / "trunc.ods")
    sp.write_wps_et(inbox / "山西省统计表.et")
    sp.write_statistics(inbox / "ok.xlsx", "山西省科技厅", sp.sample_values("山西省"))
    report = read_inbox(2024, FormKind.STATISTICS, inbox, progress=False)
    status = {s.file: s.status for s in report.submissions}
    assert len(status) == 8                                  # every file accounted for
    assert status.pop("ok.xlsx") is Status.ACCEPTED
    assert set(status.values()) == {Status.REJECTED}
    wps = next(s for s in report.submissions if s.file.endswith(".et"))
    assert wps.unit == "山西省" and "另存为」.xlsx" in wps.problems[0].message
    assert report.any_rejected


def test_utf16_entity_declaration_refused(tmp_path):
    import zipfile

    good = sp.write_statistics(tmp_path / "good.xlsx", "河北省", sp.sample_values("河北省"))
    with zipfile.ZipFile(good) as zf:
        members = {n: zf.read(n) for n in zf.namelist()}
    members["xl/styles.xml"] = ('<?xml version="1.0" encoding="UTF-16"?><!DOCTYPE x [<!ENTITY a "b">]><x/>'
                                .encode("utf-16"))
    bad = tmp_path / "bad.xlsx"
    with zipfile.ZipFile(bad, "w", zipfile.ZIP_DEFLATED) as zf:
        for n, data in members.items():
            zf.writestr(n, data)
    with pytest.raises(UnsafeFile) as err:
        check_file(bad)
    assert err.value.rule == "xml-entity"
    check_file(good)


def test_overlapping_members_refused(tmp_path):
    """Many directory entries pointing at the same compressed data (a non-recursive zip bomb)."""
    import struct

    good = sp.write_statistics(tmp_path / "good.xlsx", "河北省", sp.sample_values("河北省"))
    data = good.read_bytes()
    eocd = data.rindex(b"PK\x05\x06")
    count, cd_size, cd_off = struct.unpack_from("<HLL", data, eocd + 10)
    cd = data[cd_off:cd_off + cd_size]
    first = cd[: 46 + struct.unpack_from("<HHH", cd, 28)[0] + sum(struct.unpack_from("<HH", cd, 30))]
    copies = first * 50
    new_cd = cd + copies
    tail = struct.pack("<4s4H2LH", b"PK\x05\x06", 0, 0, count + 50, count + 50, len(new_cd), cd_off, 0)
    bad = tmp_path / "bad.xlsx"
    bad.write_bytes(data[:cd_off] + new_cd + tail)
    with pytest.raises(UnsafeFile) as err:
        check_file(bad)
    assert err.value.rule == "zip-bomb"

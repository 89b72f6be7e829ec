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


def _overlapping_zip(tmp_path):
    """A real form whose central directory lists its first member 50 more times (all at the same data)."""
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
    return data[:cd_off] + new_cd + tail


def test_overlapping_members_refused(tmp_path):
    """Many directory entries pointing at the same compressed data (a non-recursive zip bomb)."""
    bad = tmp_path / "bad.xlsx"
    bad.write_bytes(_overlapping_zip(tmp_path))
    with pytest.raises(UnsafeFile) as err:
        check_file(bad)
    assert err.value.rule == "zip-bomb"


# --- the central directory read straight from the bytes: as zipfile lists it, or left to zipfile --------------
def _zip_bytes(members, *, comment=b"", extra=b""):
    import io
    import zipfile

    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for name, data in members:
            info = zipfile.ZipInfo(name, date_time=(2024, 5, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            info.extra = extra
            zf.writestr(info, data)
        zf.comment = comment
    return buf.getvalue()


def _without_utf8_flag(data: bytes) -> bytes:
    """The last central directory entry's UTF-8 name flag cleared (its name then reads as cp437)."""
    import struct

    at = data.rindex(b"PK\x01\x02") + 8
    flags, = struct.unpack_from("<H", data, at)
    return data[:at] + struct.pack("<H", flags & ~0x800) + data[at + 2:]


def _listed(infos):
    return [(i.filename, i.flag_bits, i.compress_type, i.CRC, i.compress_size, i.file_size, i.header_offset)
            for i in infos]


MEMBERS = [("[Content_Types].xml", b"<Types/>"), ("xl/workbook.xml", b"<workbook/>" * 50)]
SAME = {                                     # read straight from the bytes, exactly as zipfile lists them
    "form": lambda tmp: sp.write_statistics(tmp / "a.xlsx", "河北省", sp.sample_values("河北省")).read_bytes(),
    "bomb": lambda tmp: sp.write_zip_bomb(tmp / "a.xlsx", megabytes=8).read_bytes(),
    "lying": lambda tmp: sp.write_lying_zip(tmp / "a.xlsx").read_bytes(),
    "overlap": _overlapping_zip,
    "extra": lambda tmp: _zip_bytes(MEMBERS, extra=b"UT\x05\x00\x01\x00\x00\x00\x00"),
    "utf8": lambda tmp: _zip_bytes(MEMBERS + [("xl/工作表.xml", b"<a/>")]),
    # a name without the UTF-8 flag (old tools): cp437, as zipfile decodes it
    "cp437": lambda tmp: _without_utf8_flag(_zip_bytes(MEMBERS + [("xl/工作表.xml", b"<a/>")])),
}
LEFT = {                                     # anything unusual: None, and zipfile reads it with its own errors
    "comment": lambda tmp: _zip_bytes(MEMBERS, comment=b"made by hand"),
    "prefix": lambda tmp: b"#!junk before the archive\n" + _zip_bytes(MEMBERS),     # offsets now off by its length
    "zip64-extra": lambda tmp: _zip_bytes(MEMBERS, extra=b"\x01\x00\x08\x00" + b"\x00" * 8),
    "bad-extra": lambda tmp: _zip_bytes(MEMBERS, extra=b"UT\x09\x00\x01"),
    "truncated": lambda tmp: (lambda d: d[:d.rindex(b"PK\x05\x06") - 10] + d[d.rindex(b"PK\x05\x06"):])(
        _zip_bytes(MEMBERS)),
}


@pytest.mark.parametrize("case", [*SAME, *LEFT])
def test_central_directory_is_zipfiles_or_left_to_zipfile(tmp_path, case):
    import io
    import zipfile

    from kjhdz_docs.intake.safety import central_directory

    data = (SAME.get(case) or LEFT[case])(tmp_path)
    fast = central_directory(data)
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            slow = _listed(zf.infolist())
    except zipfile.BadZipFile:
        slow = None
    if case in SAME:
        assert fast is not None and _listed(fast) == slow
        if case == "cp437":
            assert not fast[-1].flag_bits & 0x800 and fast[-1].filename == "xl/工作表.xml".encode().decode("cp437")
    else:
        assert fast is None
    if case in ("bad-extra", "truncated"):         # zipfile refuses them: corrupt-file, never a crash
        with pytest.raises(UnsafeFile) as err:
            check_file(tmp_path / "a.xlsx", data)
        assert err.value.rule == "corrupt-file"


@pytest.mark.parametrize("case", ["form", "utf8", "cp437"])
def test_checked_copy_holds_the_same_members_stored(tmp_path, case):
    """The copy the checks hand the reader: every member of the file, same name and bytes, stored; zipfile
    verifies each one's CRC-32 reading it."""
    import io
    import zipfile

    from kjhdz_docs.intake.safety import check_zip

    data = SAME[case](tmp_path)
    copies: list[bytes] = []
    check_zip(tmp_path / "a.xlsx", data=data, unpacked=copies)
    assert len(copies) == 1
    with zipfile.ZipFile(io.BytesIO(data)) as zf, zipfile.ZipFile(io.BytesIO(copies[0])) as copy:
        assert [i.filename for i in copy.infolist()] == [i.filename for i in zf.infolist()]
        assert {i.compress_type for i in copy.infolist()} == {zipfile.ZIP_STORED}
        assert copy.testzip() is None
        assert [i.CRC for i in copy.infolist()] == [i.CRC for i in zf.infolist()]
        if case != "cp437":          # (that file's local headers still say UTF-8: zipfile refuses to read it)
            for info in zf.infolist():
                assert copy.read(info.filename) == zf.read(info)


def test_reader_reads_the_checked_copy_as_the_file(tmp_path):
    """calamine reads the stored copy to exactly the grid it reads from the file itself."""
    import io

    from python_calamine import CalamineWorkbook

    from kjhdz_docs.intake.reader import read_workbook

    path = sp.write_statistics(tmp_path / "河北省-统计表.xlsx", "河北省", sp.sample_values("河北省"),
                               style="cover_sheet")
    sniffed = check_file(path, path.read_bytes())
    assert sniffed.unpacked is not None and len(sniffed.unpacked) > path.stat().st_size
    grid = read_workbook(path, path.read_bytes())
    own = CalamineWorkbook.from_filelike(io.BytesIO(path.read_bytes()))
    assert [s.name for s in grid.sheets] == own.sheet_names
    for sheet in grid.sheets:
        assert sheet.rows == own.get_sheet_by_name(sheet.name).to_python(skip_empty_area=False)


def test_no_copy_for_a_zip_read_by_zipfile_or_a_large_member(tmp_path):
    """Anything left to zipfile (here an archive comment) and a member past one inflation step are read by the
    reader from the file's own bytes."""
    from kjhdz_docs.intake.safety import check_zip

    for data in (_zip_bytes(MEMBERS, comment=b"made by hand"),
                 _zip_bytes([("[Content_Types].xml", b"<Types/>"), ("xl/big.xml", b"<a/>" * 100_000)])):
        copies: list[bytes] = []
        check_zip(tmp_path / "a.xlsx", data=data, unpacked=copies)
        assert copies == []

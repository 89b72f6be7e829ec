"""Hostile and broken mail: each handled with a named reason, nothing written outside the year's inbox."""

from __future__ import annotations

import base64
import datetime as dt
import io
import zipfile
from email.message import EmailMessage
from pathlib import Path

import pytest

from kjhdz_docs import sample_data
from kjhdz_docs.intake import read_inbox
from kjhdz_docs.model import FormKind, Status
from kjhdz_docs.receive.filing import receive
from kjhdz_docs.receive.message import decode_words, parse
from kjhdz_docs.receive.register import Register

from .mail_messages import XLSX, as_mbox, message, season, year_folder

YEAR = 2024
CHINA = dt.timezone(dt.timedelta(hours=8))
DATE = dt.datetime(YEAR, 6, 12, 10, 0, tzinfo=CHINA)


@pytest.fixture()
def year_dir(tmp_path, monkeypatch):
    folder = year_folder(tmp_path, YEAR, names=("units.yaml",))
    monkeypatch.setenv("KJHDZ_DATA", str(folder.parent))
    return folder


@pytest.fixture(scope="module")
def workbook(tmp_path_factory) -> bytes:
    path = tmp_path_factory.mktemp("wb") / "s.xlsx"
    return sample_data.fill_statistics_form(path, YEAR, "北京市", sample_data.unit_values("北京市", "province", YEAR)
                                            ).read_bytes()


def _outside(tmp_path: Path, year_dir: Path) -> set[str]:
    """Every file under tmp_path that is not the year's register, kept mail or inbox."""
    keep = {year_dir / "inbox", year_dir / "mail"}
    return {p.relative_to(tmp_path).as_posix() for p in tmp_path.rglob("*")
            if p.is_file() and not any(p.is_relative_to(k) for k in keep)
            and p.name not in ("register.json", ".register.lock")}


def _receive_one(tmp_path, year_dir, raw: bytes, name: str = "m.eml"):
    src = tmp_path / "incoming" / name
    src.parent.mkdir(exist_ok=True)
    src.write_bytes(raw)
    before = _outside(tmp_path, year_dir)
    result = receive(YEAR, [src], progress=False, show=False)
    assert _outside(tmp_path, year_dir) == before, "a file was written outside the year's inbox"
    reg = Register.open(year_dir)
    return result, reg.messages()[-1], [a for a in reg.attachments() if a["message_id"] == reg.messages()[-1]["message_id"]]


def _stored(year_dir: Path) -> list[str]:
    return sorted(p.relative_to(year_dir).as_posix() for p in (year_dir / "inbox").rglob("*") if p.is_file()) \
        if (year_dir / "inbox").exists() else []


def test_two_hundred_attachments(tmp_path, year_dir, workbook):
    atts = [(f"扫描件{i:03d}.pdf", b"%PDF-1.4\n%%EOF\n", "application/pdf") for i in range(199)]
    raw = bytes(message(sender="a <a@x.org>", subject="很多附件", date=DATE, message_id="<many@x>",
                        attachments=[("统计表.xlsx", workbook, XLSX), *atts]))
    _, msg, atts_reg = _receive_one(tmp_path, year_dir, raw)
    assert any(n.startswith("too-many-attachments") for n in msg["notes"])
    assert _stored(year_dir) == [] and atts_reg == []
    assert (year_dir / msg["eml"]).read_bytes() == raw                 # kept as received


@pytest.mark.slow
def test_fifty_megabyte_attachment(tmp_path, year_dir, workbook):
    big = bytes(range(256)) * (50 * 1024 * 1024 // 256)
    raw = bytes(message(sender="a <a@x.org>", subject="大附件", date=DATE, message_id="<big@x>",
                        attachments=[("统计表.xlsx", workbook, XLSX), ("扫描件.pdf", big, "application/pdf")]))
    _, msg, atts = _receive_one(tmp_path, year_dir, raw)
    scan = next(a for a in atts if a["name"] == "扫描件.pdf")
    assert scan["stored"] is None and any(n.startswith("attachment-too-large") for n in scan["notes"])
    assert scan["size"] == len(big)
    assert [Path(p).name for p in _stored(year_dir)] == ["统计表.xlsx"]


def test_zip_attachment_is_kept_and_rejected_by_the_intake(tmp_path, year_dir, workbook):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("统计表.xlsx", workbook)
    raw = bytes(message(sender="a <a@x.org>", subject="压缩包", date=DATE, message_id="<zip@x>",
                        attachments=[("北京市材料.zip", buf.getvalue(), "application/zip")]))
    _, msg, atts = _receive_one(tmp_path, year_dir, raw)
    assert any(n.startswith("zip-attachment") for n in atts[0]["notes"]) and atts[0]["stored"]
    report = read_inbox(YEAR, FormKind.STATISTICS, progress=False)
    [sub] = report.submissions
    assert sub.status is Status.REJECTED and sub.problems[0].rule == "archive-file"
    assert sub.message_id == "<zip@x>"


def test_path_in_the_attachment_name(tmp_path, year_dir, workbook):
    names = ["../../x.xlsx", "..\\..\\evil.xlsx", "/etc/passwd.pdf", "a\x00b\x1b[31m.pdf"]
    raw = bytes(message(sender="a <a@x.org>", subject="路径", date=DATE, message_id="<path@x>",
                        attachments=[(names[0], workbook, XLSX), *[(n, b"%PDF-1.4\n%%EOF\n" + n.encode(), "application/pdf")
                                                                    for n in names[1:]]]))
    _, msg, atts = _receive_one(tmp_path, year_dir, raw)
    assert not (tmp_path / "x.xlsx").exists() and not (year_dir / "x.xlsx").exists()
    stored = {a["name"]: a["stored"] for a in atts}
    assert Path(stored["../../x.xlsx"]).name == "x.xlsx"
    for a in atts:
        assert (year_dir / a["stored"]).resolve().is_relative_to((year_dir / "inbox").resolve())
        name = Path(a["stored"]).name
        assert not any(ord(c) < 32 for c in name) and "\\" not in name and ".." not in a["stored"]
    assert all(any(n.startswith("unsafe-name") for n in a["notes"]) for a in atts)


def test_encoded_word_names_gbk_and_gb18030(tmp_path, year_dir, workbook):
    gbk_name = "=?GB2312?B?" + base64.b64encode("喆统计表.xlsx".encode("gbk")).decode() + "?="
    raw = (b"From: =?GBK?B?" + base64.b64encode("北京市科委".encode("gbk")) + b"?= <bj@x.org>\r\n"
           b"To: kjhdz@example.org\r\nSubject: =?gb2312?B?" + base64.b64encode("报送统计表".encode("gbk")) + b"?=\r\n"
           b"Date: Wed, 12 Jun 2024 10:00:00 +0800\r\nMessage-ID: <gbk@x>\r\nMIME-Version: 1.0\r\n"
           b"Content-Type: multipart/mixed; boundary=\"BB\"\r\n\r\n--BB\r\nContent-Type: text/plain\r\n\r\nhi\r\n"
           b"--BB\r\nContent-Type: application/octet-stream; name=\"" + gbk_name.encode() + b"\"\r\n"
           b"Content-Transfer-Encoding: base64\r\n\r\n" + base64.encodebytes(workbook) +
           b"--BB\r\nContent-Type: application/pdf\r\nContent-Disposition: attachment; filename*=gb18030''"
           + "".join(f"%{b:02X}" for b in "盖章件𠀀.pdf".encode("gb18030")).encode() + b"\r\n"
           b"Content-Transfer-Encoding: base64\r\n\r\n" + base64.encodebytes(b"%PDF-1.4\n%%EOF\n") +
           b"--BB\r\nContent-Type: application/pdf\r\nContent-Disposition: attachment; filename=\""
           + "扫描件（原始8位）.pdf".encode("gbk") + b"\"\r\n"
           b"Content-Transfer-Encoding: base64\r\n\r\n" + base64.encodebytes(b"%PDF-1.4\n%raw\n%%EOF\n") + b"--BB--\r\n")
    _, msg, atts = _receive_one(tmp_path, year_dir, raw)
    assert msg["from"] == "北京市科委 <bj@x.org>" and msg["subject"] == "报送统计表"
    assert [a["name"] for a in atts] == ["喆统计表.xlsx", "盖章件𠀀.pdf", "扫描件（原始8位）.pdf"]
    assert all(Path(a["stored"]).name == a["name"] for a in atts)
    assert decode_words("=?utf-8?q?=E7=BB=9F=E8=AE=A1?= =?utf-8?q?=E8=A1=A8?=") == "统计表"


def test_no_date_and_a_forged_future_date(tmp_path, year_dir, workbook):
    raw = bytes(message(sender="a <a@x.org>", subject="无日期", date=None, message_id="<nodate@x>",
                        attachments=[("统计表.xlsx", workbook, XLSX)]))
    before = dt.datetime.now(dt.timezone.utc).replace(microsecond=0)
    _, msg, _ = _receive_one(tmp_path, year_dir, raw, "a.eml")
    assert msg["received_source"] == "registration" and any(n.startswith("no-date") for n in msg["notes"])
    assert dt.datetime.fromisoformat(msg["received"]) >= before
    future = bytes(message(sender="b <b@x.org>", subject="未来", date=dt.datetime(2099, 1, 1, tzinfo=CHINA),
                           message_id="<future@x>", attachments=[("统计表2.xlsx", workbook + b"", XLSX)]))
    _, msg, _ = _receive_one(tmp_path, year_dir, future, "b.eml")
    assert msg["received_source"] == "registration" and msg["date_header"].endswith("2099 00:00:00 +0800")
    assert any(n.startswith("future-date") for n in msg["notes"])
    assert dt.datetime.fromisoformat(msg["received"]).year < 2099
    # over IMAP the server's INTERNALDATE is the moment of receipt
    inc = parse(future, "imap:INBOX:1:9", internaldate=dt.datetime(2024, 6, 1, 8, tzinfo=dt.timezone.utc))
    from kjhdz_docs.receive.message import received_time
    notes: list[str] = []
    when, how = received_time(inc.date, inc.internaldate, dt.datetime.now(dt.timezone.utc), notes)
    assert how == "internaldate" and when == inc.internaldate and notes


def test_malformed_mime(tmp_path, year_dir, workbook):
    no_boundary = (b"From: a <a@x.org>\r\nTo: k@x\r\nSubject: broken\r\nDate: Wed, 12 Jun 2024 10:00:00 +0800\r\n"
                   b"Message-ID: <mal1@x>\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed\r\n\r\n"
                   b"--X\r\nContent-Type: application/pdf; name=a.pdf\r\n\r\nxx\r\n--X--\r\n")
    _, msg, atts = _receive_one(tmp_path, year_dir, no_boundary, "n.eml")
    assert any(n.startswith("malformed-mime") for n in msg["notes"]) and atts == []
    bad_b64 = (b"From: a <a@x.org>\r\nTo: k@x\r\nSubject: broken2\r\nDate: Wed, 12 Jun 2024 10:00:00 +0800\r\n"
               b"Message-ID: <mal2@x>\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=Q\r\n\r\n"
               b"--Q\r\nContent-Type: application/pdf; name=scan.pdf\r\nContent-Transfer-Encoding: base64\r\n\r\n"
               b"JVBERi0xLjQK!!!JSVFT0YK=\r\n--Q--\r\n")
    _, msg, atts = _receive_one(tmp_path, year_dir, bad_b64, "b.eml")
    assert any(n.startswith("malformed-mime") for n in msg["notes"])
    assert len(atts) == 1 and (atts[0]["stored"] is None or (year_dir / atts[0]["stored"]).is_file())


def test_mbox_with_a_truncated_last_message(tmp_path, year_dir):
    sent = season(tmp_path / "saved")
    mbox = as_mbox(sent, tmp_path / "season.mbox")
    data = mbox.read_bytes()
    cut = tmp_path / "cut.mbox"
    cut.write_bytes(data[: len(data) - 3000])          # the last message loses its end (a base64 part, the boundary)
    before = _outside(tmp_path, year_dir)
    result = receive(YEAR, [cut], progress=False, show=False)
    assert _outside(tmp_path, year_dir) == before
    assert result.new_messages == 13
    last = result.outcomes[-1]
    assert last.status == "refused" and any(n.startswith("truncated-message") for n in last.notes)
    assert last.stored == []
    assert all(o.status == "registered" and o.stored for o in result.outcomes[:-1])

"""invoke receive from files and an mbox: the register, the inboxes, and what the intake makes of them.

Real messages (stdlib ``email``) with real workbooks; the intake reads the real inboxes the receive
filled. No mock of the mailbox, the register or the inbox.
"""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import pytest

from kjhdz_docs.intake import read_inbox
from kjhdz_docs.model import FormKind, Status
from kjhdz_docs.receive.filing import receive
from kjhdz_docs.receive.register import Register

from .mail_messages import as_mbox, season, year_folder

YEAR = 2024


@pytest.fixture()
def year_dir(tmp_path, monkeypatch):
    folder = year_folder(tmp_path, YEAR)
    monkeypatch.setenv("KJHDZ_DATA", str(folder.parent))
    return folder


@pytest.fixture()
def mails(tmp_path):
    sent = season(tmp_path / "saved")
    return sent, as_mbox(sent, tmp_path / "season.mbox")


def _snapshot(year_dir: Path) -> dict[str, bytes]:
    return {p.relative_to(year_dir).as_posix(): p.read_bytes() for p in sorted(year_dir.rglob("*"))
            if p.is_file() and not p.name.startswith(".")}


def test_saved_mails_then_the_same_as_mbox(year_dir, mails):
    sent, mbox = mails
    first = receive(YEAR, [sent[0].eml.parent], progress=False, show=False)
    assert first.new_messages == 13
    reg = Register.open(year_dir)
    assert len(reg.messages()) == 13
    by_mid = {m["message_id"]: m for m in reg.messages()}
    for s in sent:
        entry = by_mid[s.message_id]
        assert dt.datetime.fromisoformat(entry["received"]) == s.date
        assert entry["received_source"] == "date-header"
        assert (year_dir / entry["eml"]).read_bytes() == s.eml.read_bytes()      # kept as received
    # the same messages as an mbox: nothing new; again: nothing changes at all
    second = receive(YEAR, [mbox], progress=False, show=False)
    assert second.new_messages == 0 and second.counts() == {"duplicate": 13}
    before = _snapshot(year_dir)
    third = receive(YEAR, [mbox], progress=False, show=False)
    assert third.new_messages == 0 and _snapshot(year_dir) == before
    assert len(Register.open(year_dir).messages()) == 13


def test_mbox_first_then_files(year_dir, mails):
    sent, mbox = mails
    assert receive(YEAR, [mbox], progress=False, show=False).new_messages == 13
    before = _snapshot(year_dir)
    assert receive(YEAR, [mbox], progress=False, show=False).new_messages == 0
    assert _snapshot(year_dir) == before


def test_filed_by_content_and_the_correction_counts(year_dir, mails):
    sent, _ = mails
    receive(YEAR, [sent[0].eml.parent], progress=False, show=False)
    reg = Register.open(year_dir)
    atts = reg.attachments()
    # 上海市 called its 推荐表 统计表（二）.xlsx: filed as a 推荐表
    sh = next(a for a in atts if a["name"] == "统计表（二）.xlsx")
    assert sh["kind"] == "recommendations" and sh["stored"].startswith("inbox/recommendations/")
    # two 统计表.xlsx of 河北省 are two files
    hebei = [a for a in atts if a["name"] == "统计表.xlsx" and a["from_addr"] == "unit02@units.example.org"]
    assert len(hebei) == 2 and len({a["stored"] for a in hebei}) == 2
    report = read_inbox(YEAR, FormKind.STATISTICS, progress=False)
    by_file = {s.file: s for s in report.submissions}
    hebei_subs = sorted((s for s in report.submissions if s.unit == "河北省" and s.file.endswith(".xlsx")),
                        key=lambda s: s.received)
    assert [s.status for s in hebei_subs] == [Status.SUPERSEDED, Status.ACCEPTED]
    correction = next(x for x in sent if x.message_id.startswith("<2024-hebei-correction"))
    assert hebei_subs[1].message_id == correction.message_id
    assert dt.datetime.fromisoformat(hebei_subs[1].received) == correction.date
    assert hebei_subs[0].superseded_by == hebei_subs[1].file
    assert hebei_subs[1].sender == "unit02@units.example.org"
    # the scan sent with a workbook is that workbook's companion (its name names no unit)
    scans = [s for s in report.submissions if s.file.endswith("盖章扫描件.pdf")]
    assert len(scans) == 4
    for scan in scans:
        owner = by_file[scan.attached_to]
        assert scan.status is Status.ATTACHMENT and owner.message_id == scan.message_id
        assert Path(owner.file).parent == Path(scan.file).parent
    # every file of the intake report carries received, sender and message_id
    data = report.as_dict()
    assert all(item["received"] and item["sender"] and item["message_id"] for item in data["submissions"])
    rec = read_inbox(YEAR, FormKind.RECOMMENDATIONS, progress=False)
    assert [s.unit for s in rec.accepted] == ["上海市"]


def test_a_file_put_in_by_hand_is_registered_once(year_dir, mails):
    sent, _ = mails
    receive(YEAR, [sent[0].eml], progress=False, show=False)
    inbox = year_dir / "inbox" / "statistics"
    shutil.copyfile(sent[0].eml.parent / "parts" / "01.xlsx", inbox / "天津市-手工放入.xlsx")
    first = read_inbox(YEAR, FormKind.STATISTICS, progress=False)
    hand = next(s for s in first.submissions if s.file == "天津市-手工放入.xlsx")
    assert "收件时间按登记时间" in hand.notes and hand.sender is None and hand.received
    entry = Register.open(year_dir).for_stored(inbox / "天津市-手工放入.xlsx")
    assert entry["notes"] == ["收件时间按登记时间"] and entry["message_id"] is None
    again = read_inbox(YEAR, FormKind.STATISTICS, progress=False)
    assert next(s for s in again.submissions if s.file == hand.file).received == hand.received
    assert len(Register.open(year_dir).attachments()) == len(first.submissions)


def test_outlook_msg_and_maildir(year_dir, tmp_path, mails):
    """An Outlook .msg (written by tests/msg_writer.py, read by extract-msg) and a Maildir folder."""
    import mailbox

    from .msg_writer import write_msg

    sent, _ = mails
    book = (sent[0].eml.parent / "parts" / "00.xlsx").read_bytes()
    scan = (sent[0].eml.parent / "parts" / "00.pdf").read_bytes()
    when = dt.datetime(2024, 6, 21, 9, 31, tzinfo=dt.timezone(dt.timedelta(hours=8)))
    msg = write_msg(tmp_path / "北京市.msg", subject="北京市报送统计表（Outlook）", sender_name="北京市科委",
                    sender_addr="BJ@units.example.org", to="kjhdz@example.org", date=when,
                    message_id="<outlook-1@units.example.org>",
                    attachments=[("统计表.xlsx", book + b""), ("盖章扫描件.pdf", scan)])
    box = mailbox.Maildir(str(tmp_path / "Maildir"), create=True)
    for s in sent[:3]:
        box.add(s.eml.read_bytes())
    box.close()
    result = receive(YEAR, [msg, tmp_path / "Maildir"], progress=False, show=False)
    assert result.new_messages == 4
    reg = Register.open(year_dir)
    entry = reg.message("<outlook-1@units.example.org>")
    assert entry["eml"].endswith(".msg") and (year_dir / entry["eml"]).read_bytes() == msg.read_bytes()
    assert dt.datetime.fromisoformat(entry["received"]) == when and entry["from_addr"] == "bj@units.example.org"
    atts = reg.attachments_of("<outlook-1@units.example.org>")
    assert [(a["name"], a["kind"]) for a in atts] == [("统计表.xlsx", "statistics"), ("盖章扫描件.pdf", "companion")]
    assert atts[1]["workbook"] == atts[0]["stored"]
    assert {m["source"].split(":")[0] for m in reg.messages()} >= {"maildir"}
    # the Maildir again, and the same messages as files: nothing new
    again = receive(YEAR, [tmp_path / "Maildir", msg, *[s.eml for s in sent[:3]]], progress=False, show=False)
    assert again.new_messages == 0


def test_same_bytes_from_the_same_sender(year_dir, tmp_path, mails):
    """Without a Message-ID the same bytes are the same message; a workbook sent again is not stored twice."""
    from .mail_messages import XLSX, message

    sent, _ = mails
    book = (sent[0].eml.parent / "parts" / "00.xlsx").read_bytes()
    raw = bytes(message(sender="a <a@units.example.org>", subject="无 Message-ID", date=sent[0].date,
                        message_id=None, attachments=[("统计表.xlsx", book, XLSX)]))
    (tmp_path / "one.eml").write_bytes(raw)
    (tmp_path / "copy.eml").write_bytes(raw)
    result = receive(YEAR, [tmp_path / "one.eml", tmp_path / "copy.eml"], progress=False, show=False)
    assert result.counts() == {"registered": 1, "duplicate": 1}
    first = Register.open(year_dir).messages()[0]
    assert first["message_id"].endswith("@no-message-id.invalid>")
    assert any("copy.eml" in n for n in first["notes"])
    later = bytes(message(sender="a <a@units.example.org>", subject="再发一次", date=sent[1].date,
                          message_id="<again@units.example.org>", attachments=[("统计表（再发）.xlsx", book, XLSX)]))
    (tmp_path / "later.eml").write_bytes(later)
    receive(YEAR, [tmp_path / "later.eml"], progress=False, show=False)
    [dup] = Register.open(year_dir).attachments_of("<again@units.example.org>")
    assert dup["stored"] is None and dup["duplicate_of"] == Register.open(year_dir).attachments()[0]["stored"]
    assert len([p for p in (year_dir / "inbox").rglob("*.xlsx")]) == 1

"""invoke receive --imap against a real dovecot (tests/dovecot.py): read-only, incremental, same results."""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys

import pytest

from kjhdz_docs.intake import read_inbox
from kjhdz_docs.model import FormKind, Status
from kjhdz_docs.paths import ROOT
from kjhdz_docs.receive.register import Register

from .dovecot import PASSWORD, USER, imap_server
from .mail_messages import message, season, year_folder

YEAR = 2024


def _receive(env) -> dict:
    run = subprocess.run([sys.executable, "-m", "invoke", "receive", "--year", str(YEAR), "--imap", "--json"],
                         cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    assert PASSWORD not in run.stdout + run.stderr
    return json.loads(run.stdout)


@pytest.mark.slow
def test_receive_imap_read_only_and_incremental(tmp_path):
    year_dir = year_folder(tmp_path, YEAR, names=("units.yaml",))
    data = year_dir.parent
    sent = season(tmp_path / "saved")
    with imap_server() as server:
        (year_dir / "mail.yaml").write_text(
            f"imap: {{host: 127.0.0.1, port: {server.port}, tls: none, user: {USER}, folder: INBOX}}\n",
            encoding="utf-8")
        for s in sorted(sent, key=lambda s: s.date):
            server.deliver(s.eml.read_bytes())
        env = dict(os.environ, KJHDZ_DATA=str(data), KJHDZ_IMAP_PASSWORD=PASSWORD)
        first = _receive(env)
        assert first["new_messages"] == 13 and first["counts"] == {"registered": 13}
        reg = Register.open(year_dir)
        assert {m["message_id"] for m in reg.messages()} == {s.message_id for s in sent}
        assert all(m["source"].startswith("imap:INBOX:") for m in reg.messages())
        for m in reg.messages():
            s = next(x for x in sent if x.message_id == m["message_id"])
            assert dt.datetime.fromisoformat(m["received"]) == s.date
        # the same results as from files: the correction counts, the scans go with their workbook
        report = read_inbox(YEAR, FormKind.STATISTICS, data / str(YEAR) / "inbox" / "statistics", progress=False)
        hebei = sorted((x for x in report.submissions if x.unit == "河北省" and x.file.endswith(".xlsx")),
                       key=lambda x: x.received)
        assert [x.status for x in hebei] == [Status.SUPERSEDED, Status.ACCEPTED]
        assert "correction" in hebei[1].message_id
        scans = [x for x in report.submissions if x.file.endswith("盖章扫描件.pdf")]
        assert len(scans) == 4 and all(x.attached_to and x.status is Status.ATTACHMENT for x in scans)
        register_bytes = (year_dir / "register.json").read_bytes()
        # a second run registers nothing new and changes nothing
        second = _receive(env)
        assert second["new_messages"] == 0 and second["messages"] == []
        assert (year_dir / "register.json").read_bytes() == register_bytes
        # a message added afterwards is registered by the third run, and only it
        late = message(sender="应急管理部 <late@units.example.org>", subject="应急管理部统计表（补报）",
                       date=dt.datetime(YEAR, 7, 2, 10, 0, tzinfo=dt.timezone(dt.timedelta(hours=8))),
                       message_id="<2024-late@units.example.org>",
                       attachments=[("统计表.xlsx", (tmp_path / "saved" / "parts" / "00.xlsx").read_bytes(),
                                     "application/octet-stream")])
        server.deliver(bytes(late))
        # and one without Date: the server's INTERNALDATE (dovecot: the Maildir file's time) is its received time
        arrived = dt.datetime(YEAR, 7, 3, 8, 15, tzinfo=dt.timezone(dt.timedelta(hours=8)))
        undated = message(sender="应急管理部 <late@units.example.org>", subject="补报扫描件", date=None,
                          message_id="<2024-undated@units.example.org>",
                          attachments=[("盖章扫描件.pdf", (tmp_path / "saved" / "parts" / "00.pdf").read_bytes(),
                                        "application/pdf")])
        path = server.deliver(bytes(undated))
        os.utime(path, (arrived.timestamp(), arrived.timestamp()))
        third = _receive(env)
        assert third["new_messages"] == 2
        assert {m["message_id"] for m in third["messages"]} == {"<2024-late@units.example.org>",
                                                                  "<2024-undated@units.example.org>"}
        reg = Register.open(year_dir)
        assert len(reg.messages()) == 15
        entry = reg.message("<2024-undated@units.example.org>")
        assert entry["received_source"] == "internaldate" and dt.datetime.fromisoformat(entry["received"]) == arrived
        assert any(n.startswith("no-date") for n in entry["notes"])
        # a message without a form goes to the inbox of the sender's latest form
        [scan] = reg.attachments_of("<2024-undated@units.example.org>")
        assert scan["stored"].startswith("inbox/statistics/") and scan["kind"] == "companion"
        # read-only: every message is still new and unseen on the server
        assert len(list((server.maildir / "new").iterdir())) == 15
        assert not list((server.maildir / "cur").iterdir())

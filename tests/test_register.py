"""The receipt register and the mail settings: real files, written atomically, read back."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from kjhdz_docs.errors import DataFileError, MissingInputError
from kjhdz_docs.mail_config import imap_settings, load_mail_config
from kjhdz_docs.receive.register import NOTE_BY_REGISTRATION, Register, parse_time


def _message(mid: str, **kw) -> dict:
    return {"message_id": mid, "received": "2024-04-10T09:31:00+08:00", "received_source": "date-header",
            "date_header": "Wed, 10 Apr 2024 09:31:00 +0800", "from": "张三 <a@example.org>",
            "from_addr": "a@example.org", "to": "kjhdz@example.org", "subject": "统计表", "eml": "mail/ab.eml",
            "sha256": "ab" * 32, "size": 10, "source": "x.eml", "notes": [], "duplicate_of": None} | kw


def test_register_round_trip(tmp_path):
    with Register.open(tmp_path) as reg:
        reg.add_message(_message("<m1@x>"))
        reg.add_attachment({"message_id": "<m1@x>", "name": "统计表.xlsx", "stored": "inbox/statistics/a.xlsx",
                            "sha256": "cd" * 32, "size": 5, "kind": "statistics", "workbook": None,
                            "received": "2024-04-10T09:31:00+08:00", "from_addr": "a@example.org", "notes": [],
                            "duplicate_of": None})
        reg.imap_mark("u@h:1", "INBOX", 7, [3, 1])
    data = json.loads((tmp_path / "register.json").read_text(encoding="utf-8"))
    assert set(data) >= {"messages", "attachments", "imap"}
    again = Register.open(tmp_path)
    assert again.message("<m1@x>")["subject"] == "统计表"
    assert again.for_stored(tmp_path / "inbox/statistics/a.xlsx")["name"] == "统计表.xlsx"
    assert again.for_stored("inbox/statistics/a.xlsx")["kind"] == "statistics"
    assert again.for_stored("inbox/statistics/b.xlsx") is None
    assert again.message_with_bytes("ab" * 32, "a@example.org")["message_id"] == "<m1@x>"
    assert again.imap_seen("u@h:1", "INBOX", 7) == {1, 3}
    assert again.imap_seen("u@h:1", "INBOX", 8) == set()       # UIDVALIDITY changed: start again
    assert parse_time(again.messages()[0]["received"]).utcoffset() == dt.timedelta(hours=8)
    assert not list(tmp_path.glob(".register.json.*"))         # no temporary file left


def test_register_refuses_naive_times_and_unknown_kinds(tmp_path):
    with Register.open(tmp_path) as reg:
        with pytest.raises(ValueError):
            reg.add_message(_message("<m2@x>", received="2024-04-10T09:31:00"))
        with pytest.raises(ValueError):
            reg.add_attachment({"kind": "spreadsheet", "received": "2024-04-10T09:31:00+08:00"})


def test_nothing_is_written_when_the_block_fails(tmp_path):
    with pytest.raises(RuntimeError):
        with Register.open(tmp_path) as reg:
            reg.add_message(_message("<m3@x>"))
            raise RuntimeError("stop")
    assert not (tmp_path / "register.json").exists()


def test_by_hand_registration_is_noted(tmp_path):
    now = dt.datetime(2024, 5, 2, 1, 0, tzinfo=dt.timezone.utc)
    with Register.open(tmp_path) as reg:
        entry = reg.register_by_hand(tmp_path / "inbox/statistics/x.xlsx", sha256="ef" * 32, size=3,
                                     kind="statistics", now=now)
    assert entry["received"] == "2024-05-02T09:00:00+08:00"
    assert entry["notes"] == [NOTE_BY_REGISTRATION] and entry["message_id"] is None


def test_a_damaged_register_is_a_data_file_error(tmp_path):
    (tmp_path / "register.json").write_text("{not json", encoding="utf-8")
    with pytest.raises(DataFileError, match="register.json"):
        Register.open(tmp_path).messages()


def test_mail_config(tmp_path, monkeypatch):
    path = tmp_path / "mail.yaml"
    path.write_text("imap: {host: 127.0.0.1, port: 993, tls: ssl, user: kjhdz@example.org, folder: INBOX}\n"
                    "smtp: {host: 127.0.0.1, port: 465, tls: starttls, user: kjhdz@example.org}\n", encoding="utf-8")
    cfg = load_mail_config(2024, path)
    assert cfg.imap.account == "kjhdz@example.org@127.0.0.1:993" and cfg.smtp.tls == "starttls"
    monkeypatch.delenv("KJHDZ_IMAP_PASSWORD", raising=False)
    with pytest.raises(MissingInputError, match="KJHDZ_IMAP_PASSWORD"):
        cfg.imap.password()
    monkeypatch.setenv("KJHDZ_IMAP_PASSWORD", "s3cret")
    assert imap_settings(2024, path).password() == "s3cret"
    path.write_text("imap: {host: h, port: 99999, tls: tls, user: u, password: p}\n", encoding="utf-8")
    with pytest.raises(DataFileError, match="imap.password"):
        load_mail_config(2024, path)
    path.write_text("imap: {host: h, port: 99999, tls: tls, user: u}\n", encoding="utf-8")
    with pytest.raises(DataFileError) as err:
        load_mail_config(2024, path)
    assert "imap.port" in str(err.value) and "imap.tls" in str(err.value) and str(path) in str(err.value)

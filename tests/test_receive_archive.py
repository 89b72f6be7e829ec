"""The whole season from mail to the sealed year: 13 received messages, the real builds, a real seal.

The 日期 of every accepted submission is its message's date (China time), the 业务 event 接收 carries
the received time, the sender and the Message-ID, and the message itself is in the 件 (来文).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json

import pytest

from kjhdz_docs.pipeline import build_all
from kjhdz_docs.receive.filing import receive

from .mail_messages import season, year_folder

YEAR = 2024
CHINA = dt.timezone(dt.timedelta(hours=8))


@pytest.mark.slow
def test_sealed_year_dates_are_the_messages_dates(tmp_path, monkeypatch):
    monkeypatch.setenv("KJHDZ_DATA", str(year_folder(tmp_path, YEAR).parent))
    monkeypatch.setenv("KJHDZ_BUILD", str(tmp_path / "build"))
    monkeypatch.setenv("KJHDZ_ARCHIVE", str(tmp_path / "archive"))
    sent = season(tmp_path / "saved")
    receive(YEAR, [tmp_path / "saved"], progress=False, show=False)
    assert build_all(YEAR) in (0, 1)
    bag = tmp_path / "archive" / str(YEAR) / "v1"
    records = [json.loads(p.read_text(encoding="utf-8")) for p in sorted((bag / "data" / "metadata").glob("*.json"))]
    subs = [r for r in records if r["type"] == "submission"]
    by_mid = {s.message_id: s for s in sent}
    accepted = [r for r in subs if r["submission"]["status"] == "accepted"]
    assert len(accepted) == 13          # 12 统计表 (河北省's correction) + 上海市's 推荐表
    for r in subs:
        s = by_mid[r["submission"]["message_id"]]
        assert r["日期"] == s.date.astimezone(CHINA).date().isoformat(), r["题名"]
        receipt = r["业务"][0]
        assert receipt["行为"] == "接收" and dt.datetime.fromisoformat(receipt["时间"]) == s.date
        assert receipt["Message-ID"] == s.message_id and receipt["发件人"].endswith("@units.example.org")
        message = next(f for f in r["files"] if f["role"] == "message")
        assert (bag / message["path"]).read_bytes() == s.eml.read_bytes()          # the 来文, as received
        assert any(rel["关系类型"] == "来文" for rel in r["关系"])
    hebei = sorted((r for r in subs if r["submission"]["unit"] == "河北省" and r["submission"]["kind"] == "statistics"),
                   key=lambda r: r["submission"]["received"])
    assert [r["submission"]["status"] for r in hebei] == ["superseded", "accepted"]
    correction = next(s for s in sent if "correction" in s.message_id)
    assert hebei[1]["日期"] == correction.date.date().isoformat() and hebei[0]["日期"] != hebei[1]["日期"]
    # the scans are companions in the 件 of the workbook of their message
    for r in subs:
        companions = [f for f in r["files"] if f["role"] == "companion"]
        s = by_mid[r["submission"]["message_id"]]
        assert len(companions) == ("盖章扫描件.pdf" in s.files and r["submission"]["kind"] == "statistics")
    summary = json.loads((tmp_path / "build" / str(YEAR) / "summary" / "summary.json").read_text(encoding="utf-8"))
    for item in summary["submissions"]:
        assert item["received"] and item["sender"] and item["message_id"]
    # the register is sealed with the year's reports, and verify passes
    sealed = json.loads((bag / "data" / "reports" / "receive" / "register.json").read_text(encoding="utf-8"))
    assert len(sealed["messages"]) == 13
    assert hashlib.sha256((bag / "bagit.txt").read_bytes()).hexdigest()

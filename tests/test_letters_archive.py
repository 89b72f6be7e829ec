"""The letters sent (去文) archived with the year: received mail, real letters sent through a real SMTP server,
the real builds and seals.

13 messages are received (``receive``), the 统计表 letters of the season are written and sent to aiosmtpd on
127.0.0.1 (``write_letters(send=True)``), the year is built and sealed (``build_all``: notice, 推荐清单,
summary, seal, 四性检测, browse). Every letter the register records as sent is a 件 of its own class with its
档号, its 日期 the day it was sent, the message as sent inside, its PDF stamped, in the 归档文件目录, the browse
page and the full-text index; a draft never sent is not. Sealing again seals nothing; one more letter sent
makes exactly one new version naming that 件 and no other.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from email import message_from_bytes
from email.policy import default as default_policy

import pytest
import yaml

from kjhdz_docs.receive.register import Register

from .conftest import requires_soffice
from .mail_messages import UNITS, season, year_folder
from .smtp_server import PASSWORD, USER, smtp_server

YEAR = 2024
CHINA = dt.timezone(dt.timedelta(hours=8))
SILENT = "重庆市"                 # sends nothing; its address is in the roster, so its 催报通知 goes out
SILENT_EMAIL = "cq@units.example.org"
NO_ADDRESS = "四川省"             # sends nothing, no address anywhere: its 催报通知 stays a draft

pytestmark = [requires_soffice, pytest.mark.slow]


def _records(bag) -> list[dict]:
    return sorted((json.loads(p.read_text(encoding="utf-8")) for p in (bag / "data" / "metadata").glob("*.json")),
                  key=lambda r: r["序号"])


def _roster(year_dir) -> None:
    raw = yaml.safe_load((year_dir / "units.yaml").read_text(encoding="utf-8"))
    keep = {u for u, _ in UNITS} | {SILENT, NO_ADDRESS, "广东省"}       # 广东省: 深圳市's province
    raw["units"] = [dict(u, email=SILENT_EMAIL) if u["name"] == SILENT else u
                    for u in raw["units"] if u["name"] in keep]
    (year_dir / "units.yaml").write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")


@pytest.fixture(scope="module")
def sealed(tmp_path_factory):
    from kjhdz_docs.letters import write_letters
    from kjhdz_docs.pipeline import build_all
    from kjhdz_docs.receive.filing import receive

    base = tmp_path_factory.mktemp("letters-archive")
    year_dir = year_folder(base, YEAR)
    _roster(year_dir)
    mp = pytest.MonkeyPatch()
    mp.setenv("KJHDZ_DATA", str(year_dir.parent))
    mp.setenv("KJHDZ_BUILD", str(base / "build"))
    mp.setenv("KJHDZ_ARCHIVE", str(base / "archive"))
    mp.setenv("KJHDZ_SMTP_PASSWORD", PASSWORD)
    server_cm = smtp_server()
    server = server_cm.__enter__()
    try:
        (year_dir / "mail.yaml").write_text(f"smtp: {{host: {server.host}, port: {server.port}, tls: none, "
                                            f"user: {USER}}}\n", encoding="utf-8")
        season(base / "saved")
        receive(YEAR, [base / "saved"], progress=False, show=False)
        assert write_letters(YEAR, form="statistics", today="2024-06-20", send=True) == 0
        sent_first = list(server.received)
        assert build_all(YEAR) in (0, 1)
        yield {"base": base, "year_dir": year_dir, "server": server, "sent_first": sent_first,
               "archive": base / "archive", "build": base / "build"}
    finally:
        server_cm.__exit__(None, None, None)
        mp.undo()


def test_every_sent_letter_is_a_record_with_its_code(sealed):
    register = Register.open(sealed["year_dir"]).letters()
    assert len(register) == len(sealed["sent_first"]) > 0
    bag = sealed["archive"] / str(YEAR) / "v1"
    records = _records(bag)
    letters = [r for r in records if r["type"] == "letter"]
    assert sorted(r["letter"]["message_id"] for r in letters) == sorted(x["message_id"] for x in register)
    # after the submissions in the 归档文件目录, a class of their own (the ministry's 去文, kept as long as the
    # submissions): 件号 1… in the order sent
    assert [r["type"] for r in records[-len(letters):]] == ["letter"] * len(letters)
    assert all("-D30-KJB-" in r["档号"] for r in letters)
    assert [r["件号"] for r in letters] == list(range(1, len(letters) + 1))
    assert [r["letter"]["sent"] for r in letters] == sorted(x["sent"] for x in register)
    drafts = json.loads((sealed["build"] / str(YEAR) / "letters" / "letters.json").read_text(encoding="utf-8"))
    unsent = [e for e in drafts["letters"] if e["unit"] == NO_ADDRESS]
    assert unsent and not unsent[0]["to"]
    assert NO_ADDRESS not in {r["letter"]["unit"] for r in letters}            # a draft never sent: not archived
    by_mid = {x["message_id"]: x for x in register}
    for r in letters:
        x = by_mid[r["letter"]["message_id"]]
        sent = dt.datetime.fromisoformat(x["sent"])
        assert r["日期"] == sent.astimezone(CHINA).date().isoformat()          # the day sent, China time
        assert r["责任者"] == ["科学技术部"] and r["主送"] == [x["unit"]] and r["文种"] == "函"
        assert r["题名"].startswith(("关于", "统计表收件回执")) and not r["题名"].startswith("【")
        eml = next(f for f in r["files"] if f["role"] == "original")
        assert eml["name"].endswith(".eml") and "/去文-" in eml["path"]
        kept = (bag / eml["path"]).read_bytes()
        assert kept == (sealed["year_dir"] / x["eml"]).read_bytes()             # the message as sent
        assert hashlib.sha256(kept).hexdigest() == x["sha256"]
        assert next(f for f in r["files"] if f["role"] == "rendition")["path"].endswith(".pdf")
        assert [e["行为"] for e in r["业务"]][:2] == ["发文", "接收"] and r["业务"][0]["时间"] == x["sent"]
        assert any(rel["关系类型"] == "去文" for rel in r["关系"])


def test_the_letters_pdf_is_the_one_sent_stamped_and_found(sealed):
    import pdfplumber

    from kjhdz_docs.archive.fulltext import pdf_text
    from kjhdz_docs.archive.search import find

    bag = sealed["archive"] / str(YEAR) / "v1"
    letter = next(r for r in _records(bag) if r["type"] == "letter" and r["letter"]["unit"] == SILENT)
    assert letter["letter"]["kind"] == "催报通知" and letter["letter"]["to"] == SILENT_EMAIL
    arrived = next(message_from_bytes(data, policy=default_policy) for _, rcpts, data in sealed["sent_first"]
                   if rcpts == [SILENT_EMAIL])
    attached = next(p.get_content() for p in arrived.iter_attachments() if p.get_content_type() == "application/pdf")
    assert hashlib.sha256(attached).hexdigest() == letter["letter"]["pdf_sha256"]
    pdf = bag / next(f for f in letter["files"] if f["role"] == "rendition")["path"]
    with pdfplumber.open(pdf) as doc:
        assert doc.metadata.get("Title") == letter["题名"]
    text = "".join(pdf_text(pdf).split())
    assert "尚未收到" in text and SILENT in text
    hits = find(text="尚未收到你单位报送", year=YEAR)                         # the full-text index
    assert letter["档号"] in {h["档号"] for h in hits}
    assert [e["档号"] for e in find(unit=SILENT, record_type="letter")] == [letter["档号"]]
    # the 归档文件目录 and the browse page list it
    from openpyxl import load_workbook

    ws = load_workbook(bag / "data" / "catalogue" / "归档文件目录.xlsx", read_only=True).worksheets[0]
    row = next(r for r in ws.iter_rows(min_row=3, values_only=True) if r[1] == letter["档号"])
    assert row[3] == "科学技术部" and row[4] == letter["题名"] and row[5] == letter["日期"].replace("-", "")
    assert "去文：催报通知" in row[8] and SILENT in row[8]
    page = (sealed["archive"] / str(YEAR) / "index.html").read_text(encoding="utf-8")
    assert letter["档号"] in page and f"函件（去文）（主送{SILENT}）" in page


def test_sealing_again_then_one_new_letter(sealed, capsys):
    from kjhdz_docs.archive.seal import seal_year
    from kjhdz_docs.archive.verify import verify
    from kjhdz_docs.letters import write_letters

    year_dir = sealed["archive"] / str(YEAR)
    capsys.readouterr()
    assert seal_year(YEAR) == 0
    assert f"{YEAR}: v1 is current, nothing changed" in capsys.readouterr().err
    assert not (year_dir / "v2").exists()
    # once the 统计表 deadline has passed, 重庆市 is reminded again: one new letter, sent once
    before = len(sealed["server"].received)
    assert write_letters(YEAR, unit=SILENT, form="statistics", today="2024-07-02", send=True) == 0
    assert len(sealed["server"].received) == before + 1
    assert seal_year(YEAR) == 0
    assert (year_dir / "v2").is_dir() and not (year_dir / "v3").exists()
    seal = json.loads((year_dir / "v2" / "data" / "reports" / "seal.json").read_text(encoding="utf-8"))
    changes = seal["changes"]
    sealed_before = {r["letter"]["message_id"] for r in _records(year_dir / "v1") if r["type"] == "letter"}
    new = [r for r in _records(year_dir / "v2") if r["type"] == "letter"
           and r["letter"]["message_id"] not in sealed_before]
    assert len(new) == 1 and "已过" in "".join(pdf_words(year_dir / "v2", new[0]))
    assert [c["档号"] for c in changes["added"]] == [new[0]["档号"]]
    assert changes["removed"] == changes["changed"] == changes["renumbered"] == []
    old = {r["档号"]: r["题名"] for r in _records(year_dir / "v1")}
    assert {r["档号"]: r["题名"] for r in _records(year_dir / "v2") if r["档号"] in old} == old   # no 档号 moved
    assert verify(YEAR) == 0                                                     # both versions pass
    capsys.readouterr()
    assert seal_year(YEAR) == 0
    assert f"{YEAR}: v2 is current, nothing changed" in capsys.readouterr().err


def pdf_words(bag, record) -> list[str]:
    from kjhdz_docs.archive.fulltext import pdf_text

    return pdf_text(bag / next(f for f in record["files"] if f["role"] == "rendition")["path"]).split()

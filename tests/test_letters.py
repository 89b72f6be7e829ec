"""invoke status and invoke letters on a season received as real e-mail, sent through a real SMTP server.

Real messages (stdlib ``email``) with real workbooks go through ``invoke receive --source``; the intake
judges them; ``invoke status --json`` and ``invoke letters`` run as the clerk runs them; the letters are
converted by real LibreOffice and opened with pdfplumber; the .eml drafts are parsed back and their PDFs
opened; ``--send`` talks to aiosmtpd on 127.0.0.1 with AUTH, and what arrived is parsed with ``email``.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import os
import shutil
import subprocess
import sys
from email import message_from_bytes
from email.policy import default as default_policy
from pathlib import Path

import pdfplumber
import pytest
import yaml

from kjhdz_docs import sample_data
from kjhdz_docs.paths import ROOT
from kjhdz_docs.receive.register import Register

from .conftest import requires_soffice
from .mail_messages import XLSX, message
from .smtp_server import PASSWORD, USER, smtp_server

YEAR = 2024
CHINA = dt.timezone(dt.timedelta(hours=8))
ROSTER = ["北京市", "天津市", "河北省", "山西省", "内蒙古自治区", "辽宁省", "吉林省", "黑龙江省"]
SENDERS = {"北京市": "bj@units.example.org", "天津市": "tj@units.example.org", "山西省": "sx@units.example.org"}
TYPED = "约<5>&{{ year }}"           # what 山西省 typed into a number cell, verbatim in every letter
ROSTER_EMAIL = {"辽宁省": "ln-contact@units.example.org"}   # no sender known: the roster's address

pytestmark = [requires_soffice, pytest.mark.slow]


def _invoke(env: dict, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "invoke", *args], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=300)


def _roster(path: Path) -> None:
    raw = yaml.safe_load((ROOT / "data" / str(YEAR) / "units.yaml").read_text(encoding="utf-8"))
    units = [u for u in raw["units"] if u["name"] in ROSTER]
    for u in units:
        if u["name"] in ROSTER_EMAIL:
            u["email"] = ROSTER_EMAIL[u["name"]]
    path.write_text(yaml.safe_dump({"year": YEAR, "units": units}, allow_unicode=True), encoding="utf-8")


def _messages(folder: Path) -> None:
    parts = folder / "parts"
    parts.mkdir(parents=True)
    for n, unit in enumerate(["北京市", "天津市", "山西省"]):
        values = sample_data.unit_values(unit, "province", YEAR)
        overrides = None
        if unit == "山西省":
            values = dict(values, activities=-5)
            overrides = {"staff.volunteers": TYPED}
        book = sample_data.fill_statistics_form(parts / f"{n}.xlsx", YEAR, f"{unit}科学技术厅", values,
                                                overrides=overrides)
        atts = [(f"{unit}-附件2统计表.xlsx", book.read_bytes(), XLSX)]
        if unit == "北京市":
            rec = sample_data.fill_recommendation_form(parts / f"{n}-r.xlsx", YEAR, unit,
                                                       sample_data.unit_activities(unit, YEAR, 2))
            atts.append(("北京市-附件1推荐表.xlsx", rec.read_bytes(), XLSX))
        date = dt.datetime(YEAR, 6, 10 + n, 9 + n, 30, tzinfo=CHINA)
        msg = message(sender=f"{unit}联系人 <{SENDERS[unit]}>", subject=f"{unit}报送材料", date=date,
                      message_id=f"<{YEAR}-{n}@units.example.org>", attachments=atts)
        (folder / f"{n}.eml").write_bytes(bytes(msg))
    # a form from a unit that is not on the roster: listed as unassigned, no letter
    book = sample_data.fill_statistics_form(parts / "x.xlsx", YEAR, "火星市科学技术局",
                                            sample_data.unit_values("北京市", "province", YEAR))
    msg = message(sender="火星 <mars@units.example.org>", subject="统计表", date=dt.datetime(YEAR, 6, 15, tzinfo=CHINA),
                  message_id=f"<{YEAR}-x@units.example.org>", attachments=[("统计表.xlsx", book.read_bytes(), XLSX)])
    (folder / "x.eml").write_bytes(bytes(msg))


@pytest.fixture(scope="module")
def season(tmp_path_factory):
    base = tmp_path_factory.mktemp("letters")
    data = base / "data"
    year_dir = data / str(YEAR)
    year_dir.mkdir(parents=True)
    for name in ("notice.yaml", "archive.yaml"):
        shutil.copyfile(ROOT / "data" / str(YEAR) / name, year_dir / name)
    _roster(year_dir / "units.yaml")
    _messages(base / "mail")
    env = dict(os.environ, KJHDZ_DATA=str(data), KJHDZ_BUILD=str(base / "build"), KJHDZ_ARCHIVE=str(base / "archive"))
    env.pop("KJHDZ_SMTP_PASSWORD", None)
    out = _invoke(env, "receive", "--year", str(YEAR), "--source", str(base / "mail"))
    assert out.returncode == 0, out.stderr
    status = _invoke(env, "status", "--year", str(YEAR), "--json", "--today", "2024-06-20")
    assert status.returncode == 1, status.stderr          # a unit's counting file is rejected
    letters = _invoke(env, "letters", "--year", str(YEAR), "--today", "2024-06-20")
    assert letters.returncode == 0, letters.stderr
    return {"base": base, "env": env, "year_dir": year_dir, "status": json.loads(status.stdout),
            "letters": base / "build" / str(YEAR) / "letters"}


def _manifest(root: Path) -> list[dict]:
    return json.loads((root / "letters.json").read_text(encoding="utf-8"))["letters"]


def _pdf_text(data: bytes) -> str:
    with pdfplumber.open(io.BytesIO(data)) as pdf:
        return "\n".join(page.extract_text() or "" for page in pdf.pages)


def _squash(text: str) -> str:
    return "".join(text.split())


def test_status_states(season):
    units = season["status"]["units"]
    assert set(units) == set(ROSTER) and season["status"]["roster"] == ROSTER    # every roster unit, in order
    stats = {u: rows["statistics"] for u, rows in units.items()}
    assert stats["山西省"]["state"] == "rejected"
    assert stats["北京市"]["state"] == stats["天津市"]["state"] == "accepted"
    assert {u for u, r in stats.items() if r["state"] == "missing"} == set(ROSTER) - {"北京市", "天津市", "山西省"}
    recs = {u: rows["recommendations"]["state"] for u, rows in units.items()}
    assert recs["北京市"] == "accepted" and all(v == "missing" for u, v in recs.items() if u != "北京市")
    sx = stats["山西省"]
    assert sx["sender"] == SENDERS["山西省"]
    assert dt.datetime.fromisoformat(sx["received"]) == dt.datetime(YEAR, 6, 12, 11, 30, tzinfo=CHINA)
    rules = {p["rule"]: p for p in sx["problems"]}
    assert set(rules) == {"negative-number", "not-a-number"}
    assert rules["negative-number"]["value"] == "-5" and rules["negative-number"]["cell"].startswith("C")
    assert rules["not-a-number"]["value"] == TYPED
    assert all(p["file"] == sx["file"] and p["sheet"] for p in sx["problems"])
    # days to the deadline (统计表 2024-06-30, 推荐表 2024-04-15), counted from --today 2024-06-20
    assert stats["河北省"]["days_left"] == 10 and stats["河北省"]["overdue_days"] == 0
    assert units["河北省"]["recommendations"]["days_left"] == -66
    assert units["河北省"]["recommendations"]["overdue_days"] == 66
    assert season["status"]["year"] == YEAR and season["status"]["generated"]
    page = season["base"] / "archive" / str(YEAR) / "status.html"
    html = page.read_text(encoding="utf-8")
    assert "山西省" in html and "退回修改" in html and "&lt;5&gt;&amp;{{ year }}" in html
    assert "http://" not in html and "https://" not in html and "src=" not in html     # works from file://
    stray = season["status"]["unassigned"]
    assert [(x["status"], x["sender"], x["problems"][0]["rule"]) for x in stray] == [
        ("rejected", "mars@units.example.org", "unknown-unit")]


def test_letters_written(season):
    root = season["letters"]
    entries = _manifest(root)
    kinds = {(e["unit"], e["form"], e["kind"]) for e in entries}
    missing_stats = set(ROSTER) - {"北京市", "天津市", "山西省"}
    assert kinds == ({("山西省", "statistics", "退回修改通知"), ("北京市", "statistics", "回执"),
                      ("天津市", "statistics", "回执"), ("北京市", "recommendations", "回执")}
                     | {(u, "statistics", "催报通知") for u in missing_stats}
                     | {(u, "recommendations", "催报通知") for u in ROSTER if u != "北京市"})
    for e in entries:                                 # files named by kind first, three per letter
        for rel in e["files"]:
            path = root / rel
            assert path.is_file() and path.name.startswith(e["kind"] + "-")
        assert Path(e["files"][0]).parent.name == e["unit"]


def test_rejection_letter_names_the_cell_and_the_value(season):
    root = season["letters"]
    row = season["status"]["units"]["山西省"]["statistics"]
    neg = next(p for p in row["problems"] if p["rule"] == "negative-number")
    entry = next(e for e in _manifest(root) if e["kind"] == "退回修改通知")
    eml = message_from_bytes((root / f"山西省/{entry['name']}.eml").read_bytes(), policy=default_policy)
    assert eml["To"] == SENDERS["山西省"]
    assert eml["From"].addresses[0].addr_spec == "kjhdz@most.cn"
    assert eml["X-Unsent"] == "1" and eml["Date"] is None
    body = eml.get_body(("plain",)).get_content()
    assert neg["cell"] in body and "负数" in body and TYPED in body
    pdfs = [part for part in eml.iter_attachments() if part.get_content_type() == "application/pdf"]
    assert len(pdfs) == 1 and pdfs[0].get_filename() == f"{entry['name']}.pdf"
    attached = pdfs[0].get_content()
    assert attached == (root / f"山西省/{entry['name']}.pdf").read_bytes()
    text = _squash(_pdf_text(attached))
    assert _squash(neg["cell"]) in text and "负数" in text and "-5" in text
    assert "<5>&{{" in text and "year}}" in text        # verbatim: no escaping shown, no template evaluated
    assert "山西省-附件2统计表.xlsx" in text              # the name it was sent under
    from docx import Document

    doc = Document(str(root / f"山西省/{entry['name']}.docx"))
    cells = {c.text for t in doc.tables for r in t.rows for c in r.cells}
    assert TYPED in cells and neg["cell"] in cells
    assert "2024年6月30日前" in text and "退回修改" in text and "科学技术部" in text


def test_reminders_and_receipts(season):
    root = season["letters"]
    entries = _manifest(root)
    by = {(e["unit"], e["form"], e["kind"]): e for e in entries}
    hebei = by[("河北省", "statistics", "催报通知")]
    assert hebei["to"] is None and hebei["note"]                 # nobody known: no To, and a note says so
    eml = message_from_bytes((root / f"河北省/{hebei['name']}.eml").read_bytes(), policy=default_policy)
    assert eml["To"] is None and eml["X-Kjhdz-Note"]
    assert by[("辽宁省", "statistics", "催报通知")]["to"] == ROSTER_EMAIL["辽宁省"]
    late = _squash(_pdf_text((root / f"河北省/{by[('河北省', 'recommendations', '催报通知')]['name']}.pdf").read_bytes()))
    assert "尚未收到" in late and "已过66天" in late
    # a unit that sent only its 统计表 is reminded of its 推荐表 at the address it sent from
    assert by[("天津市", "recommendations", "催报通知")]["to"] == SENDERS["天津市"]
    receipt = by[("北京市", "statistics", "回执")]
    row = season["status"]["units"]["北京市"]["statistics"]
    text = _squash(_pdf_text((root / f"北京市/{receipt['name']}.pdf").read_bytes()))
    assert row["sha256"] in text and "2024年6月10日9时30分" in text and "北京市-附件2统计表.xlsx" in text


def test_same_facts_no_new_letter(season):
    root = season["letters"]
    before = {p.relative_to(root).as_posix(): p.read_bytes() for p in root.rglob("*") if p.is_file()}
    out = _invoke(season["env"], "letters", "--year", str(YEAR), "--today", "2024-06-25")
    assert out.returncode == 0, out.stderr
    after = {p.relative_to(root).as_posix(): p.read_bytes() for p in root.rglob("*") if p.is_file()}
    assert after == before                              # not one byte rewritten, the dates kept
    assert "letters: 0 new, 16 unchanged, 0 superseded" in out.stderr


def test_send_each_letter_once(season):
    env = dict(season["env"], KJHDZ_SMTP_PASSWORD=PASSWORD)
    root = season["letters"]
    entries = _manifest(root)
    addressed = [e for e in entries if e["to"]]
    with smtp_server() as server:
        (season["year_dir"] / "mail.yaml").write_text(
            f"smtp: {{host: {server.host}, port: {server.port}, tls: none, user: {USER}}}\n", encoding="utf-8")
        out = _invoke(env, "letters", "--year", str(YEAR), "--today", "2024-06-25", "--send")
        assert out.returncode == 0, out.stderr
        assert "will be sent" in out.stderr
        assert len(server.received) == len(addressed) > 0 and server.logins
        got = {}
        for mail_from, rcpts, data in server.received:
            msg = message_from_bytes(data, policy=default_policy)
            assert mail_from == "kjhdz@most.cn" and rcpts == [msg["To"].addresses[0].addr_spec]
            assert msg["Date"] is not None and msg["X-Unsent"] is None
            pdf = next(p for p in msg.iter_attachments() if p.get_content_type() == "application/pdf")
            assert _pdf_text(pdf.get_content())
            got[msg["Message-ID"]] = rcpts[0]
        assert got == {e["message_id"]: e["to"] for e in addressed}
        register = Register.open(season["year_dir"])
        letters = register.letters()
        assert sorted(x["message_id"] for x in letters) == sorted(got)
        for x in letters:
            kept = (season["year_dir"] / x["eml"]).read_bytes()
            assert __import__("hashlib").sha256(kept).hexdigest() == x["sha256"]
            assert dt.datetime.fromisoformat(x["sent"]).utcoffset() == dt.timedelta(hours=8)
        # a second --send sends nothing new
        again = _invoke(env, "letters", "--year", str(YEAR), "--today", "2024-06-26", "--send")
        assert again.returncode == 0, again.stderr
        assert len(server.received) == len(addressed)
        assert "nothing new to send" in again.stderr
    status = _invoke(season["env"], "status", "--year", str(YEAR), "--json", "--today", "2024-06-26")
    row = json.loads(status.stdout)["units"]["山西省"]["statistics"]
    assert [x["kind"] for x in row["letters"]] == ["退回修改通知"] and row["letters"][0]["to"] == SENDERS["山西省"]


def test_new_address_new_letter_and_no_password_refused(season):
    """吉林省's address becomes known: its reminders are new letters (the old drafts go); without the
    password nothing is sent (exit 8, naming the variable); with it, exactly those two go out."""
    units = season["year_dir"] / "units.yaml"
    raw = yaml.safe_load(units.read_text(encoding="utf-8"))
    for u in raw["units"]:
        if u["name"] == "吉林省":
            u["email"] = "jl@units.example.org"
    units.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    root = season["letters"]
    old = {e["name"] for e in _manifest(root) if e["unit"] == "吉林省"}
    env = dict(season["env"])
    with smtp_server() as server:
        (season["year_dir"] / "mail.yaml").write_text(
            f"smtp: {{host: {server.host}, port: {server.port}, tls: none, user: {USER}}}\n", encoding="utf-8")
        refused = _invoke(env, "letters", "--year", str(YEAR), "--unit", "吉林", "--today", "2024-06-27", "--send")
        assert refused.returncode == 8 and "KJHDZ_SMTP_PASSWORD" in refused.stderr
        assert server.received == []
        new = {e["name"]: e for e in _manifest(root) if e["unit"] == "吉林省"}
        assert set(new).isdisjoint(old) and len(new) == 2
        assert all(e["to"] == "jl@units.example.org" and e["date"] == "2024-06-27" for e in new.values())
        assert not any((root / "吉林省" / f"{name}.pdf").exists() for name in old)
        sent = _invoke(dict(env, KJHDZ_SMTP_PASSWORD=PASSWORD), "letters", "--year", str(YEAR), "--unit", "吉林省",
                       "--today", "2024-06-27", "--send")
        assert sent.returncode == 0, sent.stderr
        assert sorted(r[1][0] for r in server.received) == ["jl@units.example.org"] * 2

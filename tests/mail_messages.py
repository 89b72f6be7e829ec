"""Real RFC 5322 messages as units send them (stdlib ``email``), with real workbooks and scans.

``season(folder)`` writes 13 messages of the 2024 season as ``.eml`` files and returns them:
12 units send their 统计表 (some with a stamped scan, some a 推荐表, names as people write them);
河北省 sends a correction ten days after its first message, under the same attachment name, and the
correction's ``.eml`` is older on disk (its mtime is set before the first's).
"""

from __future__ import annotations

import datetime as dt
import email.utils
import os
from dataclasses import dataclass, field
from email.message import EmailMessage
from pathlib import Path

from kjhdz_docs import sample_data
from kjhdz_docs.paths import ROOT

CHINA = dt.timezone(dt.timedelta(hours=8))
MINISTRY = "kjhdz@example.org"


@dataclass
class Sent:
    unit: str
    date: dt.datetime
    message_id: str
    files: list[str] = field(default_factory=list)      # attachment names
    eml: Path | None = None


def year_folder(base: Path, year: int = 2024, names=("units.yaml", "notice.yaml", "archive.yaml")) -> Path:
    """``base/data/<year>/`` with the year's roster (and notice and archive settings) copied: a data folder
    for ``KJHDZ_DATA`` in which receive writes its register, kept messages and inboxes."""
    import shutil

    year_dir = Path(base) / "data" / str(year)
    year_dir.mkdir(parents=True)
    for name in names:
        shutil.copyfile(ROOT / "data" / str(year) / name, year_dir / name)
    return year_dir


def message(*, sender: str, subject: str, date: dt.datetime | None, message_id: str | None,
            attachments: list[tuple[str, bytes, str]], body: str = "您好，附件为我单位报送材料，请查收。") -> EmailMessage:
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = f"全国科技活动周办公室 <{MINISTRY}>"
    msg["Subject"] = subject
    if date is not None:
        msg["Date"] = email.utils.format_datetime(date)
    if message_id is not None:
        msg["Message-ID"] = message_id
    msg.set_content(body)
    for name, data, ctype in attachments:
        maintype, subtype = ctype.split("/")
        msg.add_attachment(data, maintype=maintype, subtype=subtype, filename=name)
    return msg


XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

UNITS = [("北京市", "province"), ("天津市", "province"), ("河北省", "province"), ("山西省", "province"),
         ("上海市", "province"), ("江苏省", "province"), ("浙江省", "province"), ("安徽省", "province"),
         ("福建省", "province"), ("深圳市", "city"), ("中国科学院", "department"), ("教育部", "department")]


def season(folder: Path, year: int = 2024) -> list[Sent]:
    """Write the 13 messages as .eml files under ``folder`` (and their workbooks under ``folder/parts``)."""
    folder = Path(folder)
    parts = folder / "parts"
    parts.mkdir(parents=True, exist_ok=True)
    sent: list[Sent] = []
    for n, (unit, kind) in enumerate(UNITS):
        date = dt.datetime(year, 6, 3 + n, 9 + n % 7, 12 + n, tzinfo=CHINA)
        values = sample_data.unit_values(unit, kind, year)
        if unit == "河北省":     # the first 统计表 carries a wrong figure; the correction comes later
            values = dict(values, **{"public.online": values["public.online"] * 10})
        book = sample_data.fill_statistics_form(parts / f"{n:02d}.xlsx", year, f"{unit}科学技术厅" if kind == "province"
                                                else unit, values)
        atts = [("统计表.xlsx" if unit in ("河北省", "天津市") else f"{unit}-附件2.xlsx", book.read_bytes(), XLSX)]
        if n % 3 == 0:
            scan = sample_data.write_scan_pdf(parts / f"{n:02d}.pdf", f"stamped {n}")
            atts.append(("盖章扫描件.pdf", scan.read_bytes(), "application/pdf"))
        if unit == "上海市":     # a 推荐表 the unit called 统计表: filed by content
            rec = sample_data.fill_recommendation_form(parts / f"{n:02d}-r.xlsx", year, unit,
                                                       sample_data.unit_activities(unit, year, 2))
            atts.append(("统计表（二）.xlsx", rec.read_bytes(), XLSX))
        s = Sent(unit, date, f"<{year}-{n:02d}.{kind}@units.example.org>", [a[0] for a in atts])
        msg = message(sender=f"{unit}科技活动周联系人 <unit{n:02d}@units.example.org>", subject=f"{unit}报送{year}年统计表",
                      date=date, message_id=s.message_id, attachments=atts)
        s.eml = folder / f"{n + 1:02d}-{unit}.eml"
        s.eml.write_bytes(bytes(msg))
        sent.append(s)
    # 河北省's correction: ten days later, same attachment name, no scan
    first = next(s for s in sent if s.unit == "河北省")
    values = sample_data.unit_values("河北省", "province", year)
    book = sample_data.fill_statistics_form(parts / "hebei-2.xlsx", year, "河北省科学技术厅", values)
    date = first.date + dt.timedelta(days=10)
    s = Sent("河北省", date, f"<{year}-hebei-correction@units.example.org>", ["统计表.xlsx"])
    msg = message(sender="河北省科技活动周联系人 <unit02@units.example.org>", subject="【更正】河北省统计表", date=date,
                  message_id=s.message_id, attachments=[("统计表.xlsx", book.read_bytes(), XLSX)])
    s.eml = folder / "00-河北省-更正.eml"
    s.eml.write_bytes(bytes(msg))
    sent.append(s)
    # the correction's file is older on disk than every other message
    for i, item in enumerate(sent):
        t = dt.datetime(year, 7, 1, tzinfo=CHINA).timestamp() + i * 60
        os.utime(item.eml, (t, t))
    old = dt.datetime(year, 5, 1, tzinfo=CHINA).timestamp()
    os.utime(s.eml, (old, old))
    return sent


def as_mbox(sent: list[Sent], path: Path) -> Path:
    """The same messages in one mbox file (in the order they were sent)."""
    import mailbox

    box = mailbox.mbox(str(path))
    try:
        for item in sorted(sent, key=lambda s: s.date):
            box.add(item.eml.read_bytes())
        box.flush()
    finally:
        box.close()
    return path

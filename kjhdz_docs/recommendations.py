"""The national 推荐清单 (`invoke build-recommendations`): every accepted 附件1 row, checked and listed.

Row rules (the notice's; each broken rule is a reason, a row may have several):

- ``max-activities``: at most 5 activities a unit (``forms.MAX_ACTIVITIES``); the 6th and later rows of a
  unit, in the order the unit wrote them, are not listed.
- ``intro-length``: 活动简介 at most 100 characters, counted after removing all whitespace.
- ``place-county``: the place given to county level (区/县/县级市/旗/自治县/林区/特区…), checked against the
  national divisions table (:mod:`kjhdz_docs.divisions`); an activity held only online (线上/网上/云端,
  and no place named at all) needs no place.
- ``date-missing`` / ``date-invalid`` / ``date-outside-week``: a date must be given, exist, and fall within
  the activity week of the year's notice (``data/<year>/notice.yaml``: week.start … week.end).
- ``name-missing``: the 活动名称 is empty.
- ``session-unclear``: a row with no 序号/活动名称/简介, shaped like another session of the activity above it,
  names another 推荐单位 than that activity (so it is not joined to it; see the intake's 推荐表 reader).

A row that breaks a rule is not in the list but in the 待核实 (to verify) annex with its reasons.
:func:`consolidate` is the pure part (rows in, listed and excluded rows out); :func:`build_recommendations`
reads the inbox and writes ``recommendations.docx``, ``.pdf`` (PDF/A-2b), ``.xlsx``, ``.json``,
``intake.json`` and ``manifest.json`` into ``build/<year>/recommendations/``.

The optional 轮值主场 schedule (``data/<year>/rotation.yaml``, one listed activity a day of the week) is
validated against the list and printed after it.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable, Sequence

import yaml

from . import console
from .errors import DataFileError, Problem
from .event_dates import DateSpan, read_dates
from .forms import FIELD_NAMES, INTRO_MAX_CHARS, MAX_ACTIVITIES
from .manifest import BuiltRecord, StageManifest, write_json, write_manifest
from .model import Activity, FormKind, IntakeReport
from .paths import build_dir, data_dir
from .staging import staged_output

log = logging.getLogger(__name__)

STAGE = "recommendations"
TEMPLATE = "recommendations.docx"
DOCX = "recommendations.docx"
PDF = "recommendations.pdf"
XLSX = "recommendations.xlsx"
JSON = "recommendations.json"
INTAKE_JSON = "intake.json"
ROTATION_FILE = "rotation.yaml"
CREATORS = ["科学技术部"]

ONLINE_MARKERS = ("线上", "网上", "云端", "云上", "网络直播")
_WEEKDAYS = "一二三四五六日"
# characters that XML 1.0 cannot hold, and the ones docxtpl turns into structure (\a paragraph, \f page)
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def list_title(year: int) -> str:
    return f"{year}年全国科技活动周特色群众性科技活动推荐清单"


def clean_text(value) -> str:
    """A cell's text as it will be printed: line breaks kept (\\r\\n → \\n), control characters dropped."""
    if value is None:
        return ""
    text = str(value).replace("\r\n", "\n").replace("\r", "\n")
    return _CONTROL.sub("", text).strip()


def intro_length(intro: str) -> int:
    """Characters of a 活动简介, whitespace (spaces, 全角空格, line breaks) not counted."""
    return len("".join(intro.split()))


def date_cn(day: dt.date) -> str:
    return f"{day.year}年{day.month}月{day.day}日"


def week_cn(start: dt.date, end: dt.date) -> str:
    return f"{date_cn(start)}—{end.month}月{end.day}日" if start.year == end.year else \
        f"{date_cn(start)}—{date_cn(end)}"


# --- rules ------------------------------------------------------------------------------------------
@dataclass
class Listed:
    """A row in the list: its number (序号 in the national list) and what the checks found."""

    number: int
    activity: Activity
    county: str | None
    online: bool
    dates: list[DateSpan]
    note: str | None = None         # how the county was recognised (an old name, a name missing from the table)
    written: str | None = None      # the county as the row writes it, when that is an old name (郫县 for 郫都区)

    @property
    def place_shown(self) -> str:
        """举办时间、地点 as printed in the list: verbatim, a renamed county's current name after it."""
        a = self.activity
        renamed = self.written and self.county and self.written != self.county and "更名" in (self.note or "")
        return a.time_place + (f"（现{self.county}）" if renamed else "")

    def as_dict(self) -> dict:
        d = self.activity.as_dict()
        d.update(number=self.number, county=self.county, online=self.online,
                 dates=[[s.start.isoformat(), s.end.isoformat()] for s in self.dates])
        if self.note:
            d["note"] = self.note
        return d


@dataclass
class Excluded:
    """A row left out of the list (待核实), with every reason."""

    number: int                     # 序号 in the annex
    activity: Activity
    reasons: list[Problem] = field(default_factory=list)

    @property
    def reason(self) -> str:
        return "；".join(p.message + (f"（{p.cell}）" if p.cell else "") for p in self.reasons)

    def as_dict(self) -> dict:
        d = self.activity.as_dict()
        d.update(number=self.number, reason=self.reason, reasons=[p.as_dict() for p in self.reasons])
        return d


OFFLINE_MARKERS = ("线下", "现场", "实地")


def _cell(a: Activity, *keys: str) -> str | None:
    """The cell(s) of the first of ``keys`` the row has (the row's 活动名称 cell when it has none of them)."""
    for key in keys:
        if a.cells.get(key):
            return a.cells[key]
    return a.cells.get("name") or a.cells.get("seq")


def check_row(a: Activity, *, year: int, week: tuple[dt.date, dt.date], county: str | None,
              place_found: str | None) -> tuple[list[Problem], bool, list[DateSpan]]:
    """The reasons ``a`` cannot be listed (empty: it can), whether it is online-only, and its dates.

    Every reason names the cell it is about (``a.cells``) when the row came from a workbook.
    """
    reasons: list[Problem] = []

    def flag(rule: str, message: str, *keys: str) -> None:
        reasons.append(Problem(rule, message, a.sheet, _cell(a, *keys)))

    for key, formula in a.formulas.items():
        flag("formula-text", f"{FIELD_NAMES.get(key, key)}单元格是公式“{formula}”，没有保存可显示的文字；"
                             "请改为直接填写文字", key)
    if a.unclear:       # a row shaped like another session of the activity above, with another 推荐单位
        flag("session-unclear", a.unclear, "time_place", "contact")
    elif not a.name and "name" not in a.formulas:
        flag("name-missing", "活动名称为空", "name")
    n = intro_length(a.intro)
    if n > INTRO_MAX_CHARS:
        flag("intro-length", f"活动简介{n}字（不计空白），超过{INTRO_MAX_CHARS}字", "intro")
    offline = any(m in a.time_place for m in OFFLINE_MARKERS)
    online = any(m in a.time_place for m in ONLINE_MARKERS) and county is None and not place_found and not offline
    if county is None and not online:
        if place_found:
            flag("place-county", f"地点只写到“{place_found}”，未精确到县级（区、县、县级市、旗等）", "place", "time_place")
        elif offline and any(m in a.time_place for m in ONLINE_MARKERS):
            flag("place-county", "活动含线下部分（线上+线下），但未写明线下活动的县级地点（区、县、县级市、旗等）",
                 "place", "time_place")
        else:
            flag("place-county", "地点未精确到县级：未写出区、县、县级市、旗等县级行政区", "place", "time_place")
    for key, number in a.numeric.items():
        flag("date-unreadable", f"举办时间保存为数字“{number}”，不是日期：Excel 不显示小数末尾的0（如6.10显示为6.1），"
                                "无法确认是哪一天；请改为文字（如6月1日）或日期格式", key)
    if a.numeric:
        return reasons, online, []
    reading = read_dates(a.time_place, year, week)
    for bad in reading.invalid:
        flag("date-invalid", f"日期“{bad}”不存在", "time", "time_place")
    for vague in reading.imprecise:
        flag("date-imprecise", f"举办时间“{vague}”不是确切日期（上旬、中旬、下旬、月初、月底或只写了月份），"
                               "无法确认是否在活动周内，请写明起止日期", "time", "time_place")
    for end in reading.unreadable:
        flag("date-unreadable", f"举办时间的结束日期“{end}”无法识别，无法确认是否在活动周内，请写明起止日期"
                                "（如5月25日—6月1日）", "time", "time_place")
    if not (reading.spans or reading.invalid or reading.imprecise or reading.unreadable):
        flag("date-missing", "未写明举办日期", "time", "time_place")
    for s in (s for s in reading.spans if not s.within(*week)):
        if s.start != s.end and week[0] <= s.start <= week[1]:
            said = f"举办时间“{s.text}”结束于{date_cn(s.end)}，超出活动周（{week_cn(*week)}）"
        elif s.start != s.end and week[0] <= s.end <= week[1]:
            said = f"举办时间“{s.text}”始于{date_cn(s.start)}，早于活动周（{week_cn(*week)}）"
        else:
            said = f"举办时间“{s.text}”不在活动周（{week_cn(*week)}）内"
        flag("date-outside-week", said, "time", "time_place")
    return reasons, online, reading.spans


def _place_above_county(place) -> str | None:
    if place is None:
        return None
    parts = [p for p in (place.province, place.city) if p and p not in ("市辖区", "县") and "直辖" not in p]
    return "".join(dict.fromkeys(parts)) or None


def unit_order(units: Iterable[str], roster_order: Sequence[str]) -> list[str]:
    """Units in roster order; any unit the roster does not know comes after, by name."""
    rank = {name: i for i, name in enumerate(roster_order)}
    return sorted(set(units), key=lambda u: (rank.get(u, len(rank)), u))


def consolidate(activities: Iterable[Activity], roster_order: Sequence[str], week_start: dt.date,
                week_end: dt.date, *, year: int | None = None) -> tuple[list[Listed], list[Excluded]]:
    """Apply the row rules: listed rows (numbered, by unit in roster order) and excluded rows with reasons.

    Within a unit, rows keep the order the unit wrote them in (file, sheet, row); that order decides which
    rows are beyond the 5th.
    """
    from .divisions import locate

    year = year or week_start.year
    week = (week_start, week_end)
    rows = [_cleaned(a) for a in activities]
    by_unit: dict[str, list[Activity]] = {}
    for a in rows:
        by_unit.setdefault(a.unit, []).append(a)
    listed: list[Listed] = []
    excluded: list[Excluded] = []
    for unit in unit_order(by_unit, roster_order):
        mine = sorted(by_unit[unit], key=lambda a: (a.source_file, a.sheet, a.row, a.seq))
        places = locate([a.time_place for a in mine], hint=unit)
        for position, (a, place) in enumerate(zip(mine, places), 1):
            county = place.county if place is not None and place.county_level else None
            reasons, online, dates = check_row(a, year=year, week=week, county=county,
                                               place_found=_place_above_county(place))
            if position > MAX_ACTIVITIES:
                reasons.insert(0, Problem("max-activities",
                                          f"本单位第{position}项，超过每单位{MAX_ACTIVITIES}项的推荐数量",
                                          a.sheet, _cell(a, "seq", "name")))
            if reasons:
                excluded.append(Excluded(len(excluded) + 1, a, reasons))
            else:
                listed.append(Listed(len(listed) + 1, a, county, online, dates,
                                     place.note if place is not None and county else None,
                                     place.written if place is not None and county else None))
    return listed, excluded


def _cleaned(a: Activity) -> Activity:
    return Activity(unit=a.unit, seq=a.seq, name=clean_text(a.name), intro=clean_text(a.intro),
                    time_place=clean_text(a.time_place), contact=clean_text(a.contact),
                    source_file=a.source_file, sheet=a.sheet, row=a.row, cells=dict(a.cells),
                    formulas=dict(a.formulas), sessions=a.sessions, numeric=dict(a.numeric), unclear=a.unclear)


# --- 轮值主场 ---------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class RotationDay:
    date: dt.date
    unit: str
    name: str
    number: int                     # the activity's 序号 in the list

    def as_dict(self) -> dict:
        return {"date": self.date.isoformat(), "weekday": f"星期{_WEEKDAYS[self.date.weekday()]}",
                "unit": self.unit, "name": self.name, "number": self.number}


def rotation_path(year: int) -> Path:
    return data_dir(year) / ROTATION_FILE


def load_rotation(path: Path, listed: list[Listed], week: tuple[dt.date, dt.date]) -> list[RotationDay]:
    """The 轮值主场 schedule of ``path``: one listed activity a day of the week (days may be left out).

    The file::

        days:
          - {date: 2024-05-25, unit: 北京市, activity: 活动名称}

    Every problem (a day outside the week, a day twice, an activity not in the list) is reported at once.
    """
    path = Path(path)
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        raise DataFileError(path, [f"not valid YAML: {exc}"]) from None
    days = raw.get("days") if isinstance(raw, dict) else None
    if not isinstance(days, list):
        raise DataFileError(path, ["days: a list of {date, unit, activity} is required"])
    index = {(x.activity.unit, x.activity.name): x for x in listed}
    problems: list[str] = []
    out: list[RotationDay] = []
    seen: set[dt.date] = set()
    for i, day in enumerate(days):
        where = f"days[{i}]"
        if not isinstance(day, dict):
            problems.append(f"{where}: a mapping {{date, unit, activity}} is required")
            continue
        date = day.get("date")
        if isinstance(date, str):
            try:
                date = dt.date.fromisoformat(date)
            except ValueError:
                pass
        if not isinstance(date, dt.date):
            problems.append(f"{where}.date: a date such as {week[0].isoformat()} is required")
            continue
        if not week[0] <= date <= week[1]:
            problems.append(f"{where}.date: {date} is not in the activity week ({week[0]} … {week[1]})")
        if date in seen:
            problems.append(f"{where}.date: {date} has a 轮值主场 already (one activity a day)")
        seen.add(date)
        unit, name = str(day.get("unit") or "").strip(), clean_text(day.get("activity"))
        hit = index.get((unit, name))
        if hit is None:
            problems.append(f"{where}: “{name}” of {unit or '(no unit)'} is not an activity in the list")
            continue
        out.append(RotationDay(date, unit, name, hit.number))
    if problems:
        raise DataFileError(path, problems)
    return sorted(out, key=lambda d: d.date)


# --- outputs -------------------------------------------------------------------------------------------
def list_json(year: int, week: tuple[dt.date, dt.date], listed: list[Listed], excluded: list[Excluded],
              report: IntakeReport | None, rotation: list[RotationDay] | None) -> dict:
    units = sorted({x.activity.unit for x in listed})
    data = {
        "year": year,
        "title": list_title(year),
        "week": {"start": week[0].isoformat(), "end": week[1].isoformat()},
        "activities": [x.as_dict() for x in listed],
        "excluded": [x.as_dict() for x in excluded],
        "counts": {"listed": len(listed), "excluded": len(excluded), "units": len(units),
                   "files": len(report.submissions) if report else 0},
        "submissions": _report_dict(report) if report else None,
    }
    if rotation:
        data["rotation"] = [d.as_dict() for d in rotation]
    return data


def _report_dict(report: IntakeReport) -> dict:
    try:
        from .intake.report import report_json
    except ImportError:
        return report.as_dict()
    return report_json(report)


# LibreOffice lays out one long table in superlinear time (3,000 rows: 129 s as one table, 21 s as tables of
# 50 rows), so the list and the annex are printed as consecutive tables of at most this many rows each.
TABLE_ROWS = 50


def split_groups(groups: list[dict], limit: int = TABLE_ROWS) -> list[dict]:
    """Unit groups packed into tables of at most ``limit`` rows (a unit's name row counts as a row).

    A unit stays in one table where it fits; a unit too long for one table goes on in the next with its
    name row again, marked "（续）". Always at least one table (an empty list prints its header).
    """
    tables: list[list[dict]] = [[]]
    used = 0
    for group in groups:
        rows = group["activities"]
        while rows:
            if used and used + 1 + len(rows) > limit:
                tables.append([])
                used = 0
            take = rows[:limit - used - 1]
            cont = rows is not group["activities"]
            tables[-1].append({"unit": group["unit"] + ("（续）" if cont else ""), "activities": take})
            used += 1 + len(take)
            rows = rows[len(take):]
    return [{"groups": t} for t in tables]


def split_rows(rows: list[dict], limit: int = TABLE_ROWS) -> list[dict]:
    """Rows in tables of at most ``limit`` rows; at least one table."""
    return [{"rows": rows[i:i + limit]} for i in range(0, len(rows), limit)] or [{"rows": []}]


def docx_context(year: int, week: tuple[dt.date, dt.date], listed: list[Listed], excluded: list[Excluded],
                 rotation: list[RotationDay] | None, roster_order: Sequence[str]) -> dict:
    """The context of ``doc_templates/recommendations.docx``."""
    groups: dict[str, list[dict]] = {}
    for x in listed:
        a = x.activity
        groups.setdefault(a.unit, []).append({"number": x.number, "name": a.name, "intro": a.intro,
                                              "time_place": x.place_shown, "unit": a.unit,
                                              "contact": a.contact})
    ordered = [{"unit": u, "activities": groups[u]} for u in unit_order(groups, roster_order)]
    annex = [{"number": x.number, "unit": x.activity.unit, "name": x.activity.name,
              "time_place": x.activity.time_place, "reason": x.reason,
              "source": f"{x.activity.source_file} {x.activity.sheet} 第{x.activity.row}行"} for x in excluded]
    return {
        "title": list_title(year),
        "week": week_cn(*week),
        "summary": (f"共{len(groups)}个单位推荐的{len(listed)}项活动列入清单"
                    + (f"，另有{len(excluded)}项待核实（见附）。" if excluded else "。")),
        "list_tables": split_groups(ordered),
        "excluded": annex,
        "excluded_tables": split_rows(annex),
        "rotation": [{"date": f"{d.date.month}月{d.date.day}日（星期{_WEEKDAYS[d.date.weekday()]}）",
                      "unit": d.unit, "name": d.name, "number": d.number} for d in (rotation or [])],
    }


LIST_HEADERS = ["序号", "推荐单位", "活动名称", "活动简介", "举办时间、地点", "县级行政区", "联系人及电话",
                "来源文件", "工作表", "行"]
EXCLUDED_HEADERS = ["序号", "推荐单位", "活动名称", "活动简介", "举办时间、地点", "联系人及电话", "待核实原因",
                    "来源文件", "工作表", "行"]
ROTATION_HEADERS = ["日期", "星期", "推荐单位", "活动名称", "清单序号"]


def write_xlsx(path: Path, year: int, listed: list[Listed], excluded: list[Excluded],
               rotation: list[RotationDay] | None, *, date=None) -> Path:
    """The list as a workbook: 推荐清单, 待核实 (and 轮值主场). Every user value goes in as text-safe; ``date``:
    the list's own date, written as the workbook's created/modified time."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font

    from .workbooks import save_deterministic, set_text_safe

    wb = Workbook()
    sheets = [("推荐清单", LIST_HEADERS, [
        [x.number, a.unit, a.name, a.intro, a.time_place,
         (x.county + (f"（{x.note}）" if x.note else "")) if x.county else ("线上" if x.online else ""), a.contact,
         a.source_file, a.sheet, a.row] for x in listed for a in [x.activity]],
        [6, 16, 28, 48, 30, 14, 22, 28, 12, 6])]
    sheets.append(("待核实", EXCLUDED_HEADERS, [
        [x.number, a.unit, a.name, a.intro, a.time_place, a.contact, x.reason, a.source_file, a.sheet, a.row]
        for x in excluded for a in [x.activity]], [6, 16, 28, 48, 30, 22, 48, 28, 12, 6]))
    if rotation:
        sheets.append(("轮值主场", ROTATION_HEADERS, [
            [d.date.isoformat(), f"星期{_WEEKDAYS[d.date.weekday()]}", d.unit, d.name, d.number]
            for d in rotation], [12, 8, 16, 36, 8]))
    wb.remove(wb.active)
    wrap = Alignment(wrap_text=True, vertical="top")
    for title, headers, rows, widths in sheets:
        ws = wb.create_sheet(title)
        ws.append(headers)
        for cell in ws[1]:
            cell.font = Font(bold=True)
        for r, values in enumerate(rows, 2):
            for c, value in enumerate(values, 1):
                cell = ws.cell(row=r, column=c)
                set_text_safe(cell, value)
                cell.alignment = wrap
        for i, w in enumerate(widths):
            ws.column_dimensions[chr(ord("A") + i)].width = w
        ws.freeze_panes = "A2"
    return save_deterministic(wb, path, date=date)


# --- the task ------------------------------------------------------------------------------------------
def _roster_order(year: int) -> list[str]:
    from .roster import load_roster

    return [u.name for u in load_roster(year).units]


def _week(year: int) -> tuple[dt.date, dt.date]:
    from .notice_data import load_notice

    notice = load_notice(year)
    return notice.week_start, notice.week_end


def build_recommendations(year: int, inbox=None, out=None, as_json: bool = False, rotation=None) -> int:
    """Read the 推荐表 inbox and write the national 推荐清单; 1 if any submitted file was rejected, else 0.

    The 轮值主场 selection ``data/<year>/rotation.yaml`` goes with the year's own inbox: it is used when
    ``inbox`` is the default, and for another inbox only when given as ``rotation``.
    """
    from . import converter, fonts
    from .intake import read_inbox

    from . import cache
    from .intake import default_inbox
    from .notice_data import notice_path
    from .rendering import template_path

    fonts.check_fonts()
    converter.soffice_path()
    _week(year)                                  # bad notice data fails before the inbox is read
    if rotation is None and inbox is None and rotation_path(year).exists():
        rotation = rotation_path(year)
    folder = Path(inbox) if inbox else default_inbox(year, FormKind.RECOMMENDATIONS)
    outdir = build_dir(year, STAGE, out)
    def stage_key() -> str:      # after the build too: the intake registers hand-placed files
        return cache.stage_key(STAGE, year, files={
            "notice.yaml": notice_path(year), "units.yaml": data_dir(year) / "units.yaml",
            "rotation": Path(rotation) if rotation else None, "template": template_path(TEMPLATE)},
            trees={"inbox": folder},
            extra={"inbox": str(folder.resolve()), "register": cache.register_entries(year, folder)})

    key = stage_key()
    served = cache.serve_unchanged(STAGE, year, key, outdir, JSON if as_json else None)
    if served is not None:
        return served
    report = read_inbox(year, FormKind.RECOMMENDATIONS, inbox=inbox, progress=True)
    from .intake.report import print_report

    print_report(report)
    written: list[Path] = []
    code = publish_list(year, report, out=out, as_json=as_json, rotation_file=rotation, published=written)
    cache.store_stage(STAGE, stage_key(), written, info={"exit": code})
    return code


def publish_list(year: int, report: IntakeReport, *, out=None, as_json: bool = False,
                 rotation_file: Path | None = None, published: list[Path] | None = None) -> int:
    """Apply the row rules to the accepted rows of ``report`` and write every output of the stage.

    ``rotation_file`` is the 轮值主场 selection (optional; none when None); ``published``, when given,
    receives the paths of the files written.
    """
    from . import converter
    from .rendering import render_docx

    week = _week(year)
    order = _roster_order(year)
    rows = [a for s in report.accepted for a in s.activities]
    listed, excluded = consolidate(rows, order, *week, year=year)
    log.debug("%d rows from %d accepted files: %d listed, %d to verify", len(rows), len(report.accepted),
              len(listed), len(excluded))
    rotation = load_rotation(Path(rotation_file), listed, week) if rotation_file else None

    outdir = build_dir(year, STAGE, out)
    with staged_output(outdir) as (work, written):
        data = list_json(year, week, listed, excluded, report, rotation)
        write_json(work / JSON, data)
        write_json(work / INTAKE_JSON, data["submissions"])
        write_xlsx(work / XLSX, year, listed, excluded, rotation, date=week[0])
        with console.status("rendering the 推荐清单"):
            render_docx(TEMPLATE, docx_context(year, week, listed, excluded, rotation, order), work / DOCX,
                        date=week[0])
            converter.convert_to_pdf([(work / DOCX, work / PDF)], document_date=week[0])
        record = BuiltRecord(type="recommendations", title=list_title(year), creators=list(CREATORS),
                             date=week[0].isoformat(), original=DOCX, pdf=PDF, attachments=[XLSX])
        write_manifest(work, StageManifest(year=year, stage=STAGE, records=[record], reports=[JSON],
                                           intake=INTAKE_JSON))

    if published is not None:
        published.extend(written)
    units = {x.activity.unit for x in listed} | {x.activity.unit for x in excluded}
    console.table(f"{list_title(year)} → {outdir}", ["列入清单（项）", "待核实（项）", "推荐单位", "收件文件"],
                  [(len(listed), len(excluded), len(units), len(report.submissions))])
    if excluded:
        console.table("待核实", ["序号", "推荐单位", "活动名称", "原因"],
                      [(x.number, x.activity.unit, x.activity.name, x.reason) for x in excluded])
    if as_json:
        console.emit_json(data)
    return 1 if report.any_rejected else 0

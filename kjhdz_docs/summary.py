"""The national summary report (`invoke build-summary`): 开展情况总结报告 from every accepted 统计表.

Reads the inbox of 附件2 统计表 (the intake decides what is accepted, rejected or superseded),
aggregates the accepted ones (:mod:`kjhdz_docs.aggregate`), compares with last year's summary when
one exists, and writes into ``build/<year>/summary/``:

- ``summary.docx`` and ``summary.pdf`` (PDF/A-2b): the report, with charts and three annexes
  (national table, per-unit table, intake and data quality);
- ``summary.xlsx``: sheets 全国汇总, 分单位, 报送情况;
- ``summary.json``: totals, per-unit figures, missing units and every submission with its problems
  (money as numbers with two decimals, counts as integers);
- ``intake.json``, the chart PNGs and ``manifest.json``.

Everything is built in a temporary folder beside the output folder and moved into place at the end.
The same inbox gives byte-identical ``summary.json``, ``summary.xlsx`` and PNGs.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Mapping, Sequence

from . import aggregate as agg
from . import charts, cnnum, console, converter, fonts
from .forms import INDICATORS, INDICATOR_BY_ID
from .manifest import BuiltRecord, StageManifest, write_json, write_manifest
from .model import IntakeReport, Status, Submission
from .paths import build_dir
from .previous_year import PreviousYear, find_previous, previous_candidates, read_previous  # noqa: F401
from .rendering import render_docx
from .staging import staged_output

log = logging.getLogger(__name__)

STAGE = "summary"
TEMPLATE = "summary.docx"
DOCX = "summary.docx"
PDF = "summary.pdf"
XLSX = "summary.xlsx"
JSON = "summary.json"
INTAKE = "intake.json"
CREATORS = ["科学技术部"]

# the intake report's words for what became of a file (kept in step with kjhdz_docs.intake.report)
STATUS_CN = {Status.ACCEPTED: "采用", Status.REJECTED: "退回", Status.SUPERSEDED: "已被替代",
             Status.ATTACHMENT: "附件", Status.UNMATCHED: "未匹配"}
MONEY_KEYS = agg.MONEY_IDS | {"funding.total"}


def report_title(year: int) -> str:
    return f"{year}年全国科技活动周开展情况总结报告"


def annex_titles(year: int) -> list[str]:
    return [f"{year}年全国科技活动周开展情况全国汇总表", f"{year}年全国科技活动周开展情况分地方分部门统计表",
            "统计表报送情况及数据质量说明"]


# --- numbers in JSON ---------------------------------------------------------------------------------
def json_number(key: str, value) -> float | int:
    """Money (万元) as a number with two decimals, counts as integers."""
    if key in MONEY_KEYS:
        return float(cnnum.round_half_up(value, 2))
    return int(value)


def json_values(values: Mapping[str, object]) -> dict[str, float | int]:
    return {k: json_number(k, v) for k, v in values.items()}


# --- summary.json ------------------------------------------------------------------------------------
def submission_json(sub: Submission) -> dict:
    d = sub.as_dict()
    d["status"] = sub.status.value
    return d


def summary_data(summary: agg.NationalSummary, submissions: Sequence[Submission],
                 previous: PreviousYear | None) -> dict:
    """The content of ``summary.json`` (deterministic: no dates, no absolute paths)."""
    all_figures = {**summary.totals, **summary.derived}
    changes = agg.compare(all_figures, previous.totals if previous else None)
    return {
        "year": summary.year,
        "title": report_title(summary.year),
        "totals": json_values(summary.totals),
        "derived": json_values(summary.derived),
        "funding_shares_percent": {k: (None if v is None else float(cnnum.round_half_up(v * 100, 2)))
                                   for k, v in summary.funding_shares.items()},
        "units": {r.unit: json_values(r.values) for r in summary.units},
        "unit_kinds": {r.unit: r.kind for r in summary.units},
        "by_kind": {k: {"label": agg.KIND_LABELS[k], "reported": summary.kind_counts[k][0],
                        "expected": summary.kind_counts[k][1], "totals": json_values(t)}
                    for k, t in summary.by_kind.items()},
        "rankings": {name: [{"rank": r.rank, "unit": r.unit, "value": int(r.value)} for r in ranked]
                     for name, ranked in summary.rankings.items()},
        "expected_units": len(summary.expected),
        "reported_units": len(summary.units),
        "missing_units": list(summary.missing),
        "submissions": [submission_json(s) for s in sorted(submissions, key=lambda s: s.file)],
        "flags": flags_json(submissions),
        "previous_year": None if previous is None else {
            "year": previous.year, "source": previous.source,
            "totals": json_values({k: v for k, v in previous.totals.items() if k in INDICATOR_BY_ID}),
            "changes": {k: {"previous": json_number(k, c.previous), "delta": json_number(k, c.delta),
                            "percent": None if c.ratio is None else float(cnnum.round_half_up(c.ratio * 100, 2))}
                        for k, c in changes.items()},
        },
    }


# --- the report's text -----------------------------------------------------------------------------
def _fmt(key: str, value) -> str:
    """A figure in running text: 1.23亿人次, 4,567.89万元 …"""
    if key in MONEY_KEYS:
        return cnnum.money_wan(value)
    _, unit = agg.label(key)
    return cnnum.count(value, unit)


def _cell(key: str, value) -> str:
    return cnnum.plain_money(value) if key in MONEY_KEYS else cnnum.plain_count(value)


def _change_cell(change: agg.Change | None) -> str:
    if change is None:
        return "—"
    return cnnum.change(change.previous + change.delta, change.previous)


def _list_cn(items: Sequence[str]) -> str:
    return "、".join(items)


@dataclass(frozen=True)
class Calendar:
    """Dates of the year's cycle the report mentions (from the notice's data when it exists)."""

    week_start: dt.date | None
    week_end: dt.date | None
    statistics_deadline: dt.date


def calendar(year: int) -> Calendar:
    try:
        from .notice_data import load_notice

        data = load_notice(year)
        return Calendar(data.week.start, data.week.end, data.deadlines.statistics)
    except Exception as exc:   # no notice data for this year: the report still builds
        log.debug("no notice data for %d (%s): using 6月30日 as the statistics deadline", year, exc)
        return Calendar(None, None, dt.date(year, 6, 30))


def _md(day: dt.date) -> str:
    return f"{day.month}月{day.day}日"


def overview_text(s: agg.NationalSummary, cal: Calendar) -> list[str]:
    t, d = s.totals, s.derived
    when = (f"{s.year}年全国科技活动周于{_md(cal.week_start)}至{_md(cal.week_end)}举办。"
            if cal.week_start and cal.week_end else "")
    first = (f"{when}据{len(s.units)}个地方和部门报送的统计表汇总（应报送{len(s.expected)}个），"
             f"全国共开展科普活动{_fmt('activities', t['activities'])}，"
             f"投入经费{_fmt('funding.total', d['funding.total'])}，"
             f"其中中央财政{_fmt('funding.central', t['funding.central'])}；"
             f"科普工作人员参与{_fmt('staff.total', d['staff.total'])}；"
             f"线下活动群众参与{_fmt('public.offline', t['public.offline'])}、"
             f"线上活动群众参与{_fmt('public.online', t['public.online'])}；"
             f"参与媒体{_fmt('media.outlets', t['media.outlets'])}，"
             f"宣传报道{_fmt('media.reports', t['media.reports'])}；"
             f"活动周期间开放科普场馆{_fmt('open.venues', t['open.venues'])}、"
             f"科研机构{_fmt('open.institutes', t['open.institutes'])}、"
             f"大学{_fmt('open.universities', t['open.universities'])}。")
    return [first]


FUNDING_NAMES = {"funding.central": "中央财政", "funding.provincial": "省级、副省级财政",
                 "funding.municipal": "市级财政", "funding.county": "县级财政", "funding.enterprise": "企业赞助",
                 "funding.in_kind": "实物投入", "funding.other": "其他经费"}
PUBLIC_FUNDS = ("funding.central", "funding.provincial", "funding.municipal", "funding.county")


def funding_text(s: agg.NationalSummary) -> list[str]:
    t, total = s.totals, s.derived["funding.total"]
    if not total:
        return ["各地方和部门报送的活动经费投入均为零。"]
    shares = s.funding_shares
    parts = [f"{FUNDING_NAMES[k]}{_fmt(k, t[k])}（占{cnnum.percent(shares[k], 1)}）" for k in agg.FUNDING_IDS]
    public = sum((t[k] for k in PUBLIC_FUNDS), Decimal(0))
    return [f"活动经费投入合计{_fmt('funding.total', total)}，其中{'，'.join(parts)}。"
            f"各级财政经费合计{_fmt('funding.total', public)}，占经费投入的{cnnum.percent(public / total, 1)}。"]


def people_text(s: agg.NationalSummary) -> list[str]:
    t, d = s.totals, s.derived
    staff = (f"科普工作人员参与{_fmt('staff.total', d['staff.total'])}，其中科普专职人员"
             f"{_fmt('staff.fulltime', t['staff.fulltime'])}、科技工作者{_fmt('staff.scientists', t['staff.scientists'])}、"
             f"招募科技志愿者{_fmt('staff.volunteers', t['staff.volunteers'])}、其他人员"
             f"{_fmt('staff.other', t['staff.other'])}。")
    share = s.online_share
    public = (f"群众参与合计{_fmt('public.total', d['public.total'])}，其中线下活动"
              f"{_fmt('public.offline', t['public.offline'])}"
              + (f"（占{cnnum.percent(1 - share, 1)}）" if share is not None else "")
              + f"，线上活动{_fmt('public.online', t['public.online'])}"
              + (f"（占{cnnum.percent(share, 1)}）" if share is not None else "") + "。")
    top = [r for r in s.rankings.get("public", []) if r.value][:3]
    if top:
        public += "群众参与数量居前的是" + _list_cn([f"{r.unit}（{cnnum.count(r.value, '人次')}）" for r in top]) + "。"
    return [staff, public]


def kinds_text(s: agg.NationalSummary) -> list[str]:
    out = []
    for kind, totals in s.by_kind.items():
        reported, expected = s.kind_counts[kind]
        head = f"{agg.KIND_LABELS[kind]}报送{reported}个" + (f"（应报送{expected}个）" if expected else "")
        if not reported:
            out.append(head + "。")
            continue
        out.append(f"{head}，开展科普活动{_fmt('activities', totals['activities'])}，投入经费"
                   f"{_fmt('funding.total', agg.funding_total(totals))}，群众参与"
                   f"{_fmt('public.total', agg.public_total(totals))}。")
    top = [r for r in s.rankings.get("activities", []) if r.value][:3]
    if top:
        out.append("科普活动开展次数居前的是" + _list_cn([f"{r.unit}（{cnnum.count(r.value, '次')}）" for r in top]) + "。")
    return out


YOY_KEYS = ("activities", "funding.total", "funding.central", "staff.total", "public.offline", "public.online",
            "media.reports", "open.venues")
YOY_NAMES = {"activities": "科普活动开展次数", "funding.total": "活动经费投入", "funding.central": "中央财政经费投入",
             "staff.total": "科普工作人员参与数量", "public.offline": "线下活动群众参与数量",
             "public.online": "线上活动群众参与数量", "media.reports": "宣传报道数量",
             "open.venues": "开放科普场馆数量"}


def yoy_text(s: agg.NationalSummary, previous: PreviousYear | None) -> list[str]:
    if previous is None:
        return [f"未找到{s.year - 1}年全国科技活动周汇总数据（上年的汇总报告或档案包），本报告不作同比。"]
    changes = agg.compare({**s.totals, **s.derived}, previous.totals)
    parts = []
    for key in YOY_KEYS:
        c = changes.get(key)
        if c is None:
            continue
        wording = cnnum.change(c.previous + c.delta, c.previous)
        if wording in ("持平", "新增"):
            parts.append(f"{YOY_NAMES[key]}{_fmt(key, c.previous + c.delta)}，与上年{wording}")
        else:
            verb = "增加" if c.delta > 0 else "减少"
            parts.append(f"{YOY_NAMES[key]}{_fmt(key, c.previous + c.delta)}，比上年{verb}"
                         f"{_fmt(key, abs(c.delta))}，{wording}")
    return [f"与{previous.year}年相比：" + "；".join(parts) + "。各项指标的同比变化见附件1。"]


def intake_text(s: agg.NationalSummary, submissions: Sequence[Submission]) -> tuple[list[str], str]:
    forms_ = [x for x in submissions if x.status is not Status.ATTACHMENT]
    rejected = [x for x in forms_ if x.status is Status.REJECTED]
    superseded = [x for x in forms_ if x.status is Status.SUPERSEDED]
    unmatched = [x for x in forms_ if x.status is Status.UNMATCHED]
    text = (f"共收到统计表文件{len(forms_)}份，受理{len(s.units)}个地方和部门的统计表；"
            f"退回{len(rejected)}份，被同一单位后报版本替换{len(superseded)}份"
            + (f"，无法识别报送单位{len(unmatched)}份" if unmatched else "")
            + "。退回和被替换文件的原因见附件3。")
    if s.missing:
        missing = (f"尚未报送统计表的地方和部门（{len(s.missing)}个）：{_list_cn(s.missing)}。"
                   "请督促上述单位尽快报送。")
    else:
        missing = ""
    return [text], missing


def _problem_text(sub: Submission) -> str:
    parts = []
    for p in sub.problems:
        where = "".join(x for x in (f"工作表“{p.sheet}”" if p.sheet else "", f"单元格{p.cell}" if p.cell else ""))
        parts.append(f"{where}：{p.message}" if where else p.message)
    if sub.status is Status.SUPERSEDED:
        parts.insert(0, f"以同一单位后报的{sub.superseded_by}为准" if sub.superseded_by else "同一单位有后报版本，以后报的为准")
    return "；".join(parts) or "—"


def _flag_text(sub: Submission) -> str:
    """待核实 (plausibility flags, the figures counted as reported): 今年 / 上年 / 同类中位数 of each."""
    return "待核实（数据照报计入汇总）：" + "；".join(
        (f"单元格{f['cell'].split('!')[-1]}：" if f.get("cell") else "") + f["message"] for f in sub.flags)


def quality_rows(submissions: Sequence[Submission]) -> list[dict]:
    bad = [x for x in submissions if x.status in (Status.REJECTED, Status.SUPERSEDED, Status.UNMATCHED)
           or (x.status is Status.ACCEPTED and x.flags)]
    bad.sort(key=lambda x: x.file)
    return [{"seq": i, "file": x.file, "unit": x.unit or "—",
             "status": STATUS_CN[x.status] + ("（待核实）" if x.status is Status.ACCEPTED else ""),
             "reasons": _flag_text(x) if x.status is Status.ACCEPTED else _problem_text(x)}
            for i, x in enumerate(bad, 1)]


def flags_json(submissions: Sequence[Submission]) -> list[dict]:
    """Every plausibility flag of the accepted 统计表 (unit and file first), in file order."""
    return [{"unit": s.unit, "file": s.file, **f} for s in sorted(submissions, key=lambda s: s.file)
            if s.status is Status.ACCEPTED for f in s.flags]


# LibreOffice lays out one long table in superlinear time: the 附件2 per-unit table (one row a unit, 3,000
# at scale) is printed as consecutive tables of at most this many rows, the 合计 row closing the last.
TABLE_ROWS = 50


def split_rows(rows: list[dict], limit: int = TABLE_ROWS) -> list[dict]:
    """``{rows, last}`` tables of at most ``limit`` rows; always at least one (``last`` marks the final one)."""
    chunks = [rows[i:i + limit] for i in range(0, len(rows), limit)] or [[]]
    return [{"rows": c, "last": i == len(chunks) - 1} for i, c in enumerate(chunks)]


def report_context(s: agg.NationalSummary, submissions: Sequence[Submission], previous: PreviousYear | None,
                   cal: Calendar, groups: Mapping[str, str] | None = None) -> dict:
    """The template context of ``doc_templates/summary.docx``."""
    groups = groups or {}
    t = s.totals
    changes = agg.compare(t, previous.totals if previous else None)
    intake, missing = intake_text(s, submissions)

    def unit_row(seq, name, values):
        return {"seq": seq, "unit": name, "activities": _cell("activities", values["activities"]),
                "funding": _cell("funding.total", agg.funding_total(values)),
                "staff": _cell("staff.total", agg.staff_total(values)),
                "offline": _cell("public.offline", values["public.offline"]),
                "online": _cell("public.online", values["public.online"]),
                "outlets": _cell("media.outlets", values["media.outlets"]),
                "reports": _cell("media.reports", values["media.reports"]),
                "venues": _cell("open.venues", values["open.venues"]),
                "institutes": _cell("open.institutes", values["open.institutes"]),
                "universities": _cell("open.universities", values["open.universities"])}

    def kind_row(label, reported, values):
        return {"label": label, "reported": reported, "activities": _cell("activities", values["activities"]),
                "funding": _cell("funding.total", agg.funding_total(values)),
                "public": _cell("public.total", agg.public_total(values))}

    kinds = [kind_row(agg.KIND_LABELS[k], "%d/%d" % s.kind_counts[k], v) for k, v in s.by_kind.items()]
    return {
        "title": report_title(s.year),
        "data_note": "（根据各地方、各部门报送的统计表汇总）",
        "overview": overview_text(s, cal),
        "funding_text": funding_text(s),
        "people_text": people_text(s),
        "kinds_text": kinds_text(s),
        "yoy_text": yoy_text(s, previous),
        "intake_text": intake,
        "missing_text": missing,
        "figures": {"funding": "图1  活动经费投入结构", "offline_online": "图2  线下与线上群众参与",
                    "participation": "图3  群众参与数量前10位的地方和部门",
                    "activities": "图4  科普活动开展次数前10位的地方和部门"},
        "kinds": kinds,
        "kinds_total": kind_row("合计", f"{len(s.units)}/{len(s.expected)}", t),
        "nat": {"label": f"{s.year}年", "change_label": "同比",
                "value": {i.id: _cell(i.id, t[i.id]) for i in INDICATORS},
                "change": {i.id: _change_cell(changes.get(i.id)) for i in INDICATORS},
                "note": ("注：经费单位为万元，人员和群众参与单位为人次。"
                         + (f"同比数据来源：{previous.source}。" if previous else
                            f"未找到{s.year - 1}年汇总数据，不作同比。"))},
        "unit_tables": split_rows([unit_row(i, r.unit, r.values) for i, r in enumerate(s.units, 1)]),
        "unit_total": unit_row("", "合计", t),
        "quality": quality_rows(submissions),
        "quality_note": "本年度报送的统计表均已受理，无退回或被替换的文件。",
        "missing_rows": [{"seq": i, "unit": name, "group": groups.get(name, "")} for i, name in enumerate(s.missing, 1)],
        "annex_titles": annex_titles(s.year),
    }


# --- summary.xlsx ------------------------------------------------------------------------------------
def write_workbook(s: agg.NationalSummary, submissions: Sequence[Submission], previous: PreviousYear | None,
                   path: Path, *, date=None) -> Path:
    """Sheets 全国汇总, 分单位, 报送情况 (numbers as numbers; text written formula-safe); ``date``: the report's
    own date, written as the workbook's created/modified time."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font

    from .workbooks import save_deterministic, set_text_safe

    bold = Font(bold=True)
    money_fmt, count_fmt = "#,##0.00", "#,##0"

    def put(ws, row, col, value, key=None):
        cell = ws.cell(row=row, column=col)
        if isinstance(value, (int, float, Decimal)) and not isinstance(value, bool):
            cell.value = json_number(key, value) if key else value
            cell.number_format = money_fmt if key in MONEY_KEYS else count_fmt
        else:
            set_text_safe(cell, value)
        return cell

    wb = Workbook()
    nat = wb.active
    nat.title = "全国汇总"
    head = ["分组", "指标", "单位", "指标代码", f"{s.year}年"]
    if previous:
        head += [f"{previous.year}年", "增减", "增减率（%）"]
    for c, h in enumerate(head, 1):
        put(nat, 1, c, h).font = bold
    changes = agg.compare({**s.totals, **s.derived}, previous.totals if previous else None)
    keys = [i.id for i in INDICATORS] + list(agg.DERIVED_LABELS)
    for r, key in enumerate(keys, 2):
        lab, unit = agg.label(key)
        group = INDICATOR_BY_ID[key].group if key in INDICATOR_BY_ID else "合计"
        for c, v in enumerate((group or "", lab, unit, key), 1):
            put(nat, r, c, v)
        value = s.totals.get(key, s.derived.get(key))
        put(nat, r, 5, value, key)
        ch = changes.get(key)
        if ch is not None:
            put(nat, r, 6, ch.previous, key)
            put(nat, r, 7, ch.delta, key)
            if ch.ratio is not None:
                cell = nat.cell(row=r, column=8, value=float(cnnum.round_half_up(ch.ratio * 100, 2)))
                cell.number_format = "0.00"
    for col, width in zip("ABCDEFGH", (30, 44, 8, 20, 16, 16, 16, 12)):
        nat.column_dimensions[col].width = width

    per = wb.create_sheet("分单位")
    head = ["序号", "地方/部门", "类别", "文件"] + [f"{i.label}（{i.unit}）" for i in INDICATORS] + \
        [f"{lab}（{unit}）" for lab, unit in agg.DERIVED_LABELS.values()]
    for c, h in enumerate(head, 1):
        cell = put(per, 1, c, h)
        cell.font = bold
        cell.alignment = Alignment(wrap_text=True, vertical="center")
    for r, row in enumerate(s.units, 2):
        for c, v in enumerate((r - 1, row.unit, agg.KIND_LABELS[row.kind], row.file), 1):
            put(per, r, c, v)
        for c, key in enumerate(keys, 5):
            put(per, r, c, row.values.get(key, agg.derived(row.values).get(key)), key)
    total_row = len(s.units) + 2
    put(per, total_row, 2, "合计").font = bold
    for c, key in enumerate(keys, 5):
        put(per, total_row, c, s.totals.get(key, s.derived.get(key)), key).font = bold
    per.freeze_panes = "C2"
    per.column_dimensions["B"].width = 22
    per.column_dimensions["C"].width = 20
    per.column_dimensions["D"].width = 28

    intake = wb.create_sheet("报送情况")
    head = ["文件", "单位", "处理结果", "SHA-256", "问题（工作表!单元格 规则：说明）", "以此文件为准", "备注"]
    for c, h in enumerate(head, 1):
        put(intake, 1, c, h).font = bold
    r = 1
    for sub in sorted(submissions, key=lambda x: x.file):
        r += 1
        problems = "\n".join(f"{p.sheet or ''}!{p.cell or ''} {p.rule}：{p.message}" for p in sub.problems)
        for c, v in enumerate((sub.file, sub.unit or "", STATUS_CN[sub.status], sub.sha256, problems,
                               sub.superseded_by or "", "；".join(sub.notes)), 1):
            put(intake, r, c, v)
    r += 2
    put(intake, r, 1, f"未报送单位（{len(s.missing)}个）").font = bold
    for name in s.missing:
        r += 1
        put(intake, r, 1, name)
    for col, width in zip("ABCDEFG", (40, 22, 12, 20, 60, 30, 30)):
        intake.column_dimensions[col].width = width
    return save_deterministic(wb, path, date=date)


# --- the whole stage ---------------------------------------------------------------------------------
def totals_table(s: agg.NationalSummary) -> None:
    rows = [(agg.label(k)[0], _cell(k, v), agg.label(k)[1]) for k, v in {**s.totals, **s.derived}.items()]
    console.table(f"{s.year} 全国汇总（{len(s.units)}/{len(s.expected)} 个单位报送）", ["指标", "数值", "单位"], rows)


def write_outputs(year: int, report: IntakeReport, roster: Sequence, workdir: Path, *,
                  previous: PreviousYear | None, intake_json: dict | None = None,
                  documents: bool = True) -> tuple[agg.NationalSummary, dict]:
    """Every output of the stage into ``workdir`` (one LibreOffice start for the PDF). ``documents`` False:
    the data only (summary.json and the intake report), no workbook, report or stage manifest — what the next
    year's comparison reads; such a build cannot be sealed (the archive asks for the stage's manifest)."""
    s = agg.aggregate(year, report.submissions, roster)
    cal = calendar(year)
    data = summary_data(s, report.submissions, previous)
    write_json(workdir / JSON, data)
    write_json(workdir / INTAKE, intake_json if intake_json is not None else report.as_dict())
    if not documents:
        return s, data
    pngs = charts.draw_all(s, workdir)
    groups = {u.name: (getattr(u, "group", "") or agg.KIND_LABELS[agg.kind_name(u.kind)]) for u in roster}
    context = report_context(s, report.submissions, previous, cal, groups)
    docx = render_docx(TEMPLATE, context, workdir / DOCX,
                       images={k: (p, charts.WIDTH_MM) for k, p in pngs.items()}, date=cal.statistics_deadline)
    with ThreadPoolExecutor(max_workers=1) as pool:      # the workbook is written while LibreOffice converts
        converting = pool.submit(converter.convert_to_pdf, [(docx, workdir / PDF)],
                                 document_date=cal.statistics_deadline)
        try:
            write_workbook(s, report.submissions, previous, workdir / XLSX, date=cal.statistics_deadline)
        finally:
            converting.result()
    record = BuiltRecord(type="summary", title=report_title(year), creators=list(CREATORS),
                         date=cal.statistics_deadline.isoformat(), original=DOCX, pdf=PDF, attachments=[XLSX])
    write_manifest(workdir, StageManifest(year=year, stage=STAGE, records=[record], reports=[JSON], intake=INTAKE))
    return s, data


def build_summary(year: int, inbox: str | os.PathLike | None = None, out: str | os.PathLike | None = None,
                  as_json: bool = False, documents: bool = True) -> int:
    """Read the year's 统计表 inbox and build the national summary report into ``build/<year>/summary/``
    (``documents`` False: its data only, see :func:`write_outputs`).

    Returns 1 when any submitted file was rejected (the report is built from the others), else 0.
    """
    from .intake import read_inbox
    from .model import FormKind
    from .roster import load_roster

    from . import cache
    from .intake import default_inbox
    from .notice_data import notice_path
    from .paths import data_dir
    from .rendering import template_path

    fonts.check_fonts()
    converter.soffice_path()
    chart_font = charts.cjk_font_file()
    roster = load_roster(year)
    outdir = build_dir(year, STAGE, out)
    folder = Path(inbox) if inbox else default_inbox(year, FormKind.STATISTICS)
    def stage_key() -> str:      # after the build too: the intake registers hand-placed files
        return cache.stage_key(STAGE, year, files={
            "notice.yaml": notice_path(year), "units.yaml": data_dir(year) / "units.yaml",
            "template": template_path(TEMPLATE), "chart-font": Path(chart_font),
            **{f"previous:{source}": path for source, path in previous_candidates(year)}},
            trees={"inbox": folder},
            extra={"inbox": str(folder.resolve()), "register": cache.register_entries(year, folder),
                   "documents": documents})

    key = stage_key()
    served = cache.serve_unchanged(STAGE, year, key, outdir, JSON if as_json else None)
    if served is not None:
        return served
    report = read_inbox(year, FormKind.STATISTICS, inbox=inbox, progress=True)
    intake_json = _intake_json(report)
    previous = find_previous(year)
    with staged_output(outdir) as (work, written):
        with console.status("building the summary report"):
            s, data = write_outputs(year, report, list(roster.units), work, previous=previous,
                                    intake_json=intake_json, documents=documents)
    code = 1 if report.any_rejected else 0
    cache.store_stage(STAGE, stage_key(), written, info={"exit": code})
    _print_intake(report)
    totals_table(s)
    console.say(f"{len(written)} files in {outdir}; "
                + (f"compared with {previous.year} ({previous.source})" if previous else "no previous year: 不作同比"))
    if s.missing:
        console.say(f"未报送 {len(s.missing)} 个: {_list_cn(s.missing)}")
    if as_json:
        console.emit_json(data)
    return code


def _intake_json(report: IntakeReport) -> dict:
    from .intake.report import report_json

    return report_json(report)


def _print_intake(report: IntakeReport) -> None:
    from .intake.report import print_report

    print_report(report)

"""附件2 统计表: read a unit's indicator values, or reject the whole workbook with every reason.

A workbook is accepted whole or rejected whole, never half-counted.

**Which sheet.** The sheets holding the indicator labels are the form sheets. A hidden sheet or one whose
title names another year (last year's copy) is not read while another form sheet is there. Of several, the one
whose 地方/部门 is a unit of the roster is the unit's own form (全省汇总 …); the others (a province's cities) are
noted as not counted. Two sheets claiming the same unit, or two units, are rejected ``two-forms`` naming both.

**Where the values are.** The form's structure is read from the form itself: each indicator's label row, the
cells holding numbers on those rows (left or right of the labels, past a unit or 序号 column), a header row
(数值 / 计量单位 / 序号) when there is one. The value column is the one the header names, else the one where
the numbers stand. A row with numbers in two places, or a blank value cell while a number stands elsewhere on
the row, is rejected ``ambiguous-value`` naming the row's cells: never a guess, never a blank read as 0 then.

**Units of measure** are read from everywhere they are declared: the value cell (``12.5万元``, ``356000元``,
``3万人次``), the row's label (``（万元）``), the group header (``活动经费投入数量（单位：元）``), a ``计量单位``
column, the value column's header (``数值（元）``) and a ``单位：元`` line above the table. One declared unit
converts exactly (元 → 万元 is Decimal ÷ 10,000, 万人次 → 人次 × 10,000) with a note naming the cells and the
declaration; declarations that disagree, or a unit that does not fit the indicator, are rejected ``wrong-unit``.

**Numbers as displayed.** A float is taken to Excel's 15 significant digits; a formula's cached result is
rounded as the cell's number format shows it before any check, and messages quote what Excel shows.

Rejected, each with its cell: a negative number, text that is not a number, a fraction where a count belongs, a
formula with no cached value (never a silent 0), a missing indicator, an unknown or missing unit. A blank value
(no number anywhere on the row) is 0 and noted. Money (万元) is an exact :class:`~decimal.Decimal`; counts are
``int``. A 合计/小计 row the unit added that does not equal its parts is flagged (a soft edit; the figures stand).
"""

from __future__ import annotations

import datetime as _dt
import math
import re
from collections import Counter
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from functools import lru_cache

from ..errors import Problem
from ..forms import FUNDING, INDICATORS, MEDIA, PUBLIC, STAFF, Indicator
from ..roster import Roster, Unit
from .labels import _which, index_labels, label_key, squash, value_right_of
from .reader import Sheet, WorkbookGrid, a1, cell_text, column_letter

INDICATOR_KEYS = {i.id: label_key(i.label) for i in INDICATORS}
GROUP_KEYS = {label_key(i.group) for i in INDICATORS if i.group}
GROUP_TOTAL_IDS = {label_key(FUNDING): "funding.total", label_key(STAFF): "staff.total",
                   label_key(PUBLIC): "public.total", label_key(MEDIA): "media.total"}
_NIL = {"-", "—", "——", "/", "无", "空", "--", "－"}
_THOUSANDS = re.compile(r"[+-]?\d{1,3}(,\d{3})+(\.\d+)?")
_PLAIN = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)")
UNIT_LINE = re.compile(r"^(地方/部门|地方、部门|地方或部门|地方部门|填报单位|报送单位|单位名称)(\([^)]*\))?:?(.*)$")
MIN_LABELS = 3     # fewer indicator labels than this on every sheet: not a 统计表 at all

# units of measure: money in 万元 (the factor to 万元); counts in their own unit or 万 of it
MONEY_UNITS = {"万元": Decimal(1), "元": Decimal("0.0001"), "千元": Decimal("0.1"), "百万元": Decimal(100),
               "亿元": Decimal(10000)}
COUNT_UNITS = ("人次", "次", "家", "篇", "个", "所", "人", "场", "项", "场次", "名")
UNIT_WORDS = tuple(sorted(set(MONEY_UNITS) | set(COUNT_UNITS) | {"万" + u for u in COUNT_UNITS}, key=len, reverse=True))
_UNIT_ALT = "|".join(map(re.escape, UNIT_WORDS))
_UNIT_SET = frozenset(UNIT_WORDS)
# a declaration inside a text: （单位：元） (元) 单位：万元 计量单位:人次 …
_DECLARED = re.compile(rf"(?:(?:计量|金额)?单位[:]?({_UNIT_ALT})(?![\u4e00-\u9fff])|\(({_UNIT_ALT})\))")
_SHEET_UNIT_LINE = re.compile(rf"^(?:金额|计量)?单位[:]({_UNIT_ALT})$")
_VALUE_HEADERS = {"数值", "数量", "填报数", "填报数值", "填报数据", "数据", "金额", "本年", "本年数", "本年度", "统计数",
                  "指标值", "数额", "完成情况", "实际完成", "填报值", "统计数据"}
_UNIT_HEADERS = {"单位", "计量单位", "单位名称(计量)"}
_SEQ_HEADERS = {"序号", "编号"}
_TOTAL = re.compile(r"(合计|小计|总计)")

_GROUP_UNIT = {label_key(i.group): i.unit for i in INDICATORS if i.group}
_SOURCE_ZH = {"cell": "单元格", "label": "指标名称", "group": "分组标题", "column": "计量单位栏", "header": "表头",
              "line": "单位说明"}


@dataclass
class StatisticsResult:
    sheet: str | None = None
    unit: Unit | None = None
    unit_text: str = ""
    values: dict[str, Decimal | int] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    flags: list[dict] = field(default_factory=list)
    cells: dict[str, tuple[int, int]] = field(default_factory=dict)   # indicator id → (row, col) of the cell read


@dataclass(frozen=True)
class Declaration:
    unit: str        # 万元, 元, 万人次 …
    source: str      # cell | label | group | column | header | line
    where: str       # A1
    text: str        # the declaring text, as written

    def describe(self) -> str:
        return f"{_SOURCE_ZH[self.source]}{self.where}「{self.text}」"


# --- numbers ---------------------------------------------------------------------------------------
def _fmt_decimals(code: str | None) -> tuple[int | None, bool, bool]:
    """(decimals shown, thousands separator, percent) of a number format; decimals None for General/text."""
    if not code:
        return None, False, False
    section = code.split(";")[0]
    section = re.sub(r'"[^"]*"|\\.|\[[^\]]*\]|_.|\*.', "", section)
    if section.strip().lower() in ("general", "@", "") or re.search(r"[eE][+-]", section) or "/" in section:
        return None, False, False
    m = re.search(r"[0#?,]*(?:\.([0#?]*))?", section[section.find("0") if "0" in section else 0:])
    if not re.search(r"[0#?]", section):
        return None, False, False
    decimals = len(m.group(1) or "") if m else 0
    return decimals, "," in section, "%" in section


def displayed(value: float, fmt: str | None = None) -> tuple[Decimal, str]:
    """A float as Excel shows it: 15 significant digits, then rounded to the number format's decimals (half
    away from zero); returns (number, text shown)."""
    number = Decimal(f"{value:.15g}")
    decimals, grouping, percent = _fmt_decimals(fmt)
    if decimals is None or percent:
        text = format(number.normalize(), "f") if number == number.to_integral_value() or abs(number) >= 1e-6 else str(number)
        if "." in text:
            text = text.rstrip("0").rstrip(".")
        return number, text
    number = number.quantize(Decimal(1).scaleb(-decimals), rounding=ROUND_HALF_UP)
    text = f"{number:,.{decimals}f}" if grouping else f"{number:.{decimals}f}"
    return number, text


def split_unit(value) -> tuple[object, str | None, str]:
    """(number part, unit written in the cell or None, text shown) of a cell value."""
    if isinstance(value, str):
        text = squash(value)
        for word in UNIT_WORDS:
            if text.endswith(word) and len(text) > len(word):
                return text[: -len(word)], word, str(value).strip()
        return text, None, str(value).strip()
    if type(value) is float and math.isfinite(value):
        return value, None, displayed(value)[1]
    return value, None, cell_text(value)


def _magnitude(number, shown: str, indicator: Indicator) -> tuple[Decimal | None, str | None, str | None]:
    """The cell's number as an exact Decimal, or (None, rule, message)."""
    label = indicator.label
    if isinstance(number, bool) or isinstance(number, (_dt.date, _dt.time, _dt.timedelta)):
        return None, "not-a-number", f"「{label}」应为数字，单元格内容为「{shown}」（可能被识别为日期或逻辑值），请改为数字"
    if isinstance(number, float):
        if not math.isfinite(number):
            return None, "not-a-number", f"「{label}」不是有效数字，请填写数字"
        return Decimal(f"{number:.15g}"), None, None
    if isinstance(number, int):
        return Decimal(number), None, None
    text = str(number)
    if _THOUSANDS.fullmatch(text):
        text = text.replace(",", "")
    if not _PLAIN.fullmatch(text):
        return None, "not-a-number", f"「{label}」应为数字，填写的是「{shown}」，请只填写数字（单位：{indicator.unit}）"
    try:
        return Decimal(text), None, None
    except InvalidOperation:
        return None, "not-a-number", f"「{label}」应为数字，填写的是「{shown}」，请只填写数字"


def unit_factor(indicator: Indicator, unit: str) -> Decimal | None:
    """The factor from ``unit`` to the indicator's unit, or None when it does not fit (元 for a count …)."""
    if indicator.is_money:
        return MONEY_UNITS.get(unit)
    if unit == indicator.unit:
        return Decimal(1)
    if unit == "万" + indicator.unit:
        return Decimal(10000)
    return None


def _finish(number: Decimal, shown: str, indicator: Indicator) -> tuple[Decimal | int | None, str | None, str | None]:
    label = indicator.label
    if number < 0:
        return None, "negative-number", f"「{label}」不能为负数（填写的是「{shown}」），请核实后填写不小于 0 的数"
    if indicator.is_integer:
        if number != number.to_integral_value():
            return None, "not-integer", f"「{label}」单位为{indicator.unit}，应为整数，填写的是「{shown}」，请核实"
        return int(number), None, None
    if number == number.to_integral_value():
        return Decimal(int(number)), None, None
    return number.normalize(), None, None


def read_value(value, indicator: Indicator, declarations: list[Declaration], *, where: str = "",
               shown: str | None = None) -> tuple[Decimal | int | None, str | None, str | None, str | None]:
    """(number in the indicator's unit, rule, message, conversion note) of one value cell under the unit
    ``declarations`` that govern it (the cell's own unit is added here)."""
    if type(value) is float and value >= 0 and math.isfinite(value) and not declarations:    # the common case, fast
        if indicator.is_integer and value.is_integer():
            return int(value), None, None, None
        number = Decimal(f"{value:.15g}")
        if indicator.is_money:
            return (Decimal(int(number)) if number == number.to_integral_value() else number.normalize()), None, None, None
        return (*_finish(number, shown or displayed(value)[1], indicator), None)
    part, written, text = split_unit(value)
    shown = shown or text
    number, rule, message = _magnitude(part, shown, indicator)
    if rule:
        return None, rule, message, None
    decl = list(declarations)
    if written:
        decl.append(Declaration(written, "cell", where, shown))
    label = indicator.label
    if not decl:
        return (*_finish(number, shown, indicator), None)
    misfit = [d for d in decl if unit_factor(indicator, d.unit) is None]
    if misfit:
        d = misfit[0]
        return None, "wrong-unit", (f"「{label}」的单位应为{indicator.unit}，{d.describe()}写的单位是{d.unit}，"
                                    f"请换算为{indicator.unit}后只填数字"), None
    units = sorted({d.unit for d in decl})
    if len(units) > 1:
        said = "；".join(f"{d.describe()}为{d.unit}" for d in decl)
        return None, "wrong-unit", (f"「{label}」的计量单位前后不一致（{said}），无法确定是{'还是'.join(units)}；"
                                    f"请统一为{indicator.unit}后只填数字"), None
    factor = unit_factor(indicator, units[0])
    if factor == 1:
        return (*_finish(number, shown, indicator), None)
    result, rule, message = _finish(number * factor, shown, indicator)
    if rule:
        if rule == "not-integer":
            message = (f"「{label}」填写的是「{shown}」（单位{units[0]}），换算为{indicator.unit}后为"
                       f"{(number * factor).normalize():f}，不是整数，请核实后按{indicator.unit}填写整数")
        return None, rule, message, None
    by = "、".join(d.describe() for d in decl if d.source != "cell") or "单元格"
    return result, None, None, f"按{by}声明的单位{units[0]}读取，换算为{indicator.unit}"


_FORM_DECLARATION = [Declaration("万元", "group", "", FUNDING)]


def parse_number(value, indicator: Indicator) -> tuple[Decimal | int | None, str | None, str | None]:
    """(number, rule, message): the number a cell holds for ``indicator`` on the blank form as issued (its money
    rows declared in 万元 by the group header: ``500元`` there is a disagreement, ``wrong-unit``)."""
    decl = _FORM_DECLARATION if indicator.is_money else []
    number, rule, message, _ = read_value(value, indicator, decl)
    return number, rule, message


# --- what a cell is -------------------------------------------------------------------------------
def _is_unit_word(value) -> bool:
    return isinstance(value, str) and _is_unit_text(value)


@lru_cache(maxsize=4096)
def _is_unit_text(value: str) -> bool:
    return squash(value).strip("()") in _UNIT_SET


def _is_label(value) -> bool:
    return isinstance(value, str) and _is_label_text(value)


@lru_cache(maxsize=4096)
def _is_label_text(value: str) -> bool:
    key = label_key(value)
    return key in GROUP_KEYS or any(k and k in key for k in INDICATOR_KEYS.values())


@lru_cache(maxsize=8192)
def _numberlike_text(text: str) -> bool:
    s = squash(text)
    for word in UNIT_WORDS:
        if s.endswith(word) and len(s) > len(word):
            s = s[: -len(word)]
            break
    return bool(_PLAIN.fullmatch(s) or _THOUSANDS.fullmatch(s))


def _numberlike(value) -> bool:
    t = type(value)
    if t is float or t is int:
        return True
    if t is str:
        return bool(value) and len(value) < 40 and _numberlike_text(value)
    return isinstance(value, (_dt.date, _dt.datetime))


@lru_cache(maxsize=8192)
def _declared_unit(text: str) -> str | None:
    """The unit a label or header text declares (``（单位：元）``, ``(万元)``), or None."""
    m = _DECLARED.search(squash(text))
    return (m.group(1) or m.group(2)) if m else None


def _declared_unit_of(value) -> str | None:
    return _declared_unit(value) if type(value) is str else None


@lru_cache(maxsize=8192)
def _header_kind(text: str) -> str | None:
    s = squash(text)
    key = re.sub(r"\([^)]*\)", "", s).strip(":")
    if key in _VALUE_HEADERS or re.fullmatch(r"\d{4}年(度)?(数据|数值)?", key):
        return "value"
    if key in _UNIT_HEADERS:
        return "unit"
    if key in _SEQ_HEADERS:
        return "seq"
    return None


# --- one pass over a sheet -----------------------------------------------------------------------
_WANTED = tuple(sorted((v, k) for k, v in INDICATOR_KEYS.items()))


@lru_cache(maxsize=16384)
def _classify(text: str) -> tuple[str, str] | None:
    """What a text cell is: ("ind", id), ("group", key), ("header", value|unit|seq), ("line", unit) or None."""
    key = label_key(text)
    if key in GROUP_KEYS:
        return "group", key
    ident = _which(text, _WANTED)
    if ident is not None:
        return "ind", ident
    kind = _header_kind(text)
    if kind:
        return "header", kind
    m = _SHEET_UNIT_LINE.match(squash(text))
    if m:
        return "line", m.group(1)
    return None


@lru_cache(maxsize=16384)
def _cell_kind(text: str) -> tuple[tuple[str, str] | None, str | None]:
    """(what :func:`_classify` says of a text cell — None past 80 characters —, the rest of a 地方/部门 line
    (``UNIT_LINE``'s third group) or None): one cached look-up a text cell, whatever the sheet."""
    what = _classify(text) if len(text) <= 80 else None
    m = UNIT_LINE.match(squash(text))
    return what, (m.group(3) if m else None)


@dataclass
class Scan:
    idx: dict[str, tuple[int, int]] = field(default_factory=dict)       # indicator id → label cell (first)
    marks: list[tuple[int, int, str, str, str]] = field(default_factory=list)   # (row, col, what, payload, text)
    unit_lines: list[tuple[int, int, str]] = field(default_factory=list)        # 地方/部门 lines: (row, col, rest)


def scan_sheet(sheet: Sheet) -> Scan:
    """Indicator labels (the first of each in reading order), group headers, header cells, unit-of-measure
    lines and 地方/部门 lines, in one pass over the sheet's text cells (kept on the sheet: scanned once)."""
    done = sheet.__dict__.get("_scan")
    if done is not None:
        return done
    out = Scan()
    idx, marks, lines = out.idx, out.marks, out.unit_lines
    for r, row in enumerate(sheet.rows):
        for c, value in enumerate(row):
            if type(value) is not str or not value or len(value) > 120:
                continue
            what, rest = _cell_kind(value)
            if rest is not None:
                lines.append((r, c, rest))
            if what is None:
                continue
            if what[0] == "ind":
                if what[1] not in idx:
                    idx[what[1]] = (r, c)
            else:
                marks.append((r, c, what[0], what[1], value))
    sheet.__dict__["_scan"] = out
    return out


# --- which sheet ----------------------------------------------------------------------------------
def best_sheet(grid: WorkbookGrid) -> tuple[Sheet | None, dict[str, tuple[int, int]]]:
    """The sheet holding the most indicator labels (a cover sheet or notes sheet loses)."""
    best, best_idx = None, {}
    for sheet in sorted(grid.sheets, key=lambda s: not s.visible):   # visible sheets first (stable)
        idx = index_labels(sheet, INDICATOR_KEYS)
        if len(idx) > len(best_idx):
            best, best_idx = sheet, idx
    return best, best_idx


def _sheet_unit_text(sheet: Sheet) -> tuple[str, str | None]:
    """(text, cell) of one sheet's 地方/部门 line ('' when blank or absent)."""
    label_at = None
    for r, c, said in scan_sheet(sheet).unit_lines:
        label_at = label_at or a1(r, c)
        rest = re.sub(r"\([^)]*\)", "", said).strip(":： ")
        if rest:
            return said.strip(":"), a1(r, c)
        found = value_right_of(sheet, r, c)
        if found:
            return cell_text(found[1]).strip(), a1(r, found[0])
    return "", label_at


def find_unit_text(grid: WorkbookGrid, first: Sheet | None) -> tuple[str, str | None, str | None]:
    """(text, sheet, cell) of the 地方/部门 line's value; the form's sheet is searched first."""
    sheets = ([first] if first else []) + [s for s in grid.sheets if s is not first]
    label_at = None
    for sheet in sheets:
        text, cell = _sheet_unit_text(sheet)
        if text:
            return text, sheet.name, cell
        if cell and label_at is None:
            label_at = (sheet.name, cell)
    if label_at:
        return "", label_at[0], label_at[1]
    return "", None, None


_TITLE_YEAR = re.compile(r"(\d{4})年全国科技活动周")


@lru_cache(maxsize=4096)
def title_year_of(text: str) -> int | None:
    """The year a form's title names (「2023年全国科技活动周…」), or None; texts of at most 120 characters."""
    m = _TITLE_YEAR.search(text) if len(text) <= 120 else None
    return int(m.group(1)) if m else None


_OWN_SHEET = re.compile(r"汇总|全省|全市|全区|总表|本级|合计")


def _title_year(sheet: Sheet) -> int | None:
    for row in sheet.rows[:6]:
        for v in row:
            if type(v) is str and v:
                year = title_year_of(v)
                if year is not None:
                    return year
    return None


def choose_sheet(grid: WorkbookGrid, roster: Roster, fallback, out: StatisticsResult):
    """The unit's own form sheet and its label index, or (None, {}) with the problem recorded."""
    forms = []
    for sheet in sorted(grid.sheets, key=lambda s: not s.visible):
        scan = scan_sheet(sheet)
        if len(scan.idx) >= MIN_LABELS:
            forms.append((sheet, scan))
    if len(forms) <= 1:
        return forms[0] if forms else (None, Scan())
    visible = [f for f in forms if f[0].visible]
    for sheet, _ in forms:
        if visible and not sheet.visible:
            out.notes.append(f"隐藏工作表「{sheet.name}」也是统计表，未读取")
    forms = visible or forms
    if roster.year:
        this_year = [f for f in forms if _title_year(f[0]) in (None, roster.year)]
        for sheet, _ in forms:
            if this_year and (sheet, _) not in this_year:
                out.notes.append(f"工作表「{sheet.name}」的标题为{_title_year(sheet)}年，不是本年度的统计表，未读取")
        forms = this_year or forms
    if len(forms) == 1:
        return forms[0]
    claims = []
    for sheet, scan in forms:
        text, cell = _sheet_unit_text(sheet)
        claims.append((sheet, scan, text, cell, roster.match(text) if text else None))
    units = {c[4].name for c in claims if c[4] is not None}
    if len(units) > 1:
        fb = fallback() if callable(fallback) else fallback
        named = [c for c in claims if c[4] is not None and _OWN_SHEET.search(c[0].name)]
        if fb is not None and fb.name in units:
            units = {fb.name}
        elif len({c[4].name for c in named}) == 1:
            units = {named[0][4].name}
    if len(units) == 1:
        own = units.pop()
        mine = [c for c in claims if c[4] is not None and c[4].name == own]
        if len(mine) == 1:
            chosen = mine[0]
            for c in claims:
                if c is not chosen:
                    said = f"（地方/部门：{c[2]}）" if c[2] else "（未填地方/部门）"
                    out.notes.append(f"工作表「{c[0].name}」{said}是下级地区或其他单位的统计表，未计入{own}的数字")
            return chosen[0], chosen[1]
        two = mine
    else:
        two = [c for c in claims if c[4] is not None] or claims
    names = "」「".join(c[0].name for c in two[:3])
    said = "；".join(f"「{c[0].name}」{c[3] or ''}：{c[2] or '（未填）'}" for c in two[:3])
    out.problems.append(Problem("two-forms", f"工作簿中有 {len(two)} 张统计表都像是本单位的报表（工作表「{names}」；地方/部门 {said}），"
                                f"无法确定以哪一张为准；请只保留本单位汇总的一张（下级地区的表请注明其地区名称）后重新报送",
                                sheet=two[0][0].name, cell=two[0][3]))
    return None, Scan()


# --- the form's structure -------------------------------------------------------------------------
@dataclass
class Layout:
    value_col: int | None
    header_declared: bool                                   # the value column is named by a header
    excluded: set[tuple[int, int]]                          # label, group, unit-column, 序号 cells
    unit_col: int | None
    header_units: list[Declaration]                         # 数值（元）
    line_units: list[Declaration]                           # 单位：元 above the table
    groups: dict[str, list[tuple[int, int, int, str]]]      # group key → (row0, row1, col, text)
    standard: bool = False          # units declared only as the blank form does (group headers 万元/人次)
    numeric: dict[int, list[int]] = field(default_factory=dict)   # label row → its number-like cells not excluded


def _analyse(sheet: Sheet, scan: Scan) -> Layout:
    idx = scan.idx
    label_rows = sorted({r for r, _ in idx.values()})
    top = label_rows[0]
    excluded: set[tuple[int, int]] = set()
    for r, c in idx.values():
        rng = sheet.merged_range(r, c)
        for cc in range(c, (rng[1][1] if rng else c) + 1):
            excluded.add((r, cc))
    groups: dict[str, list[tuple[int, int, int, str]]] = {}
    header_cols: dict[str, list[tuple[int, int, str]]] = {}
    line_units: list[Declaration] = []
    first, last = top - 6, label_rows[-1] + 3
    for r, c, what, payload, v in scan.marks:
        if not first <= r < last:
            continue
        if what == "group":
            rng = sheet.merged_range(r, c)
            r0, r1 = (rng[0][0], rng[1][0]) if rng else (r, r)
            groups.setdefault(payload, []).append((r0, r1, c, v))
            for rr in range(r0, r1 + 1):
                for cc in range(c, (rng[1][1] if rng else c) + 1):
                    excluded.add((rr, cc))
        elif r < top and what == "header":
            header_cols.setdefault(payload, []).append((r, c, v))
        elif r < top and what == "line":
            line_units.append(Declaration(payload, "line", a1(r, c), v.strip()))
    unit_col = header_cols["unit"][-1][1] if "unit" in header_cols else None
    seq_col = header_cols["seq"][-1][1] if "seq" in header_cols else None
    # one pass over the label rows: where unit words and where numbers stand
    unit_counts, number_counts, text_counts = Counter(), Counter(), Counter()
    numeric: dict[int, list[int]] = {}
    for r in label_rows:
        for c, v in enumerate(sheet.rows[r]):
            t = type(v)
            if (t is str and not v) or v is None or (r, c) in excluded:
                continue
            if t is float or t is int:
                number_counts[c] += 1
                numeric.setdefault(r, []).append(c)
            elif t is str and v:
                if len(v) <= 6 and _is_unit_text(v):
                    unit_counts[c] += 1
                elif _numberlike(v):
                    number_counts[c] += 1
                    numeric.setdefault(r, []).append(c)
                else:
                    text_counts[c] += 1
            elif t is not str and v is not None and _numberlike(v):
                number_counts[c] += 1
                numeric.setdefault(r, []).append(c)
    # a unit column without a header: most label rows hold a unit word there
    if unit_col is None and unit_counts:
        col, n = unit_counts.most_common(1)[0]
        if n * 2 >= len(label_rows):
            unit_col = col
    # a 序号 column without a header: the label rows number 1, 2, 3 … in one column
    first_row = sheet.rows[label_rows[0]]
    if seq_col is None:
        for c in range(len(first_row)):
            if first_row[c] != 1 or (label_rows[0], c) in excluded:
                continue
            seq = [sheet.value(r, c) for r in label_rows]
            nums = [v for v in seq if type(v) in (int, float) and v == int(v)]
            if len(nums) >= 3 and len(nums) == len([v for v in seq if v not in ("", None)]) and \
                    [int(v) for v in nums] == list(range(1, len(nums) + 1)) and \
                    all((r, c) not in excluded for r in label_rows):
                seq_col = c
                break
    for r in label_rows:
        for c in (unit_col, seq_col):
            if c is not None:
                excluded.add((r, c))
    if unit_col is not None or seq_col is not None:
        numeric = {r: [c for c in cs if c != unit_col and c != seq_col] for r, cs in numeric.items()}
    value_col, declared = None, False
    header_units: list[Declaration] = []
    if "value" in header_cols:
        r, c, text = header_cols["value"][-1]
        value_col, declared = c, True
        unit = _declared_unit(text)
        if unit:
            header_units.append(Declaration(unit, "header", a1(r, c), text.strip()))
    if value_col is None:
        if seq_col is not None:     # the 序号 column's numbers are no values
            number_counts.pop(seq_col, None)
        if number_counts:
            value_col = number_counts.most_common(1)[0][0]
        else:
            # no number anywhere (every value typed as text, e.g. 「约1」): the column the texts stand in is
            # the value column, so that each text is read — and rejected with its rule — never taken as blank
            for c in (unit_col, seq_col):
                text_counts.pop(c, None)
            if text_counts:
                value_col = text_counts.most_common(1)[0][0]
    standard = not header_units and not line_units and unit_col is None and all(
        _declared_unit(text) in (None, _GROUP_UNIT.get(key)) for key, cells in groups.items() for *_, text in cells)
    return Layout(value_col, declared, excluded, unit_col, header_units, line_units, groups, standard, numeric)


def _group_declarations(layout: Layout, ind: Indicator, r: int) -> list[Declaration]:
    """The units declared by every group header governing row ``r``: each whose merged range (or own row)
    holds it, else the nearest group header row above. A form repeating its group header (left and right of
    the labels, or once per page) has each one counted, so that two that disagree are seen."""
    if not ind.group:
        return []
    cells = layout.groups.get(label_key(ind.group), [])
    here = [g for g in cells if g[0] <= r <= g[1]]
    if not here:
        above = [g for g in cells if g[1] < r]
        nearest = max((g[1] for g in above), default=None)
        here = [g for g in above if g[1] == nearest]
    out = []
    for r0, _, c, text in sorted(here):
        unit = _declared_unit(text)
        if unit:
            out.append(Declaration(unit, "group", a1(r0, c), text.strip()))
    return out


def _declarations(sheet: Sheet, layout: Layout, ind: Indicator, r: int, c: int) -> list[Declaration]:
    """Every unit declaration that applies to the value on row ``r`` whose label is at column ``c``: the
    label's, each governing group header's, the unit column's, the value column's header and a 单位 line
    (those two only for the kind they fit: money or counts). The cell's own unit is added by :func:`read_value`.
    None overrides another: :func:`read_value` rejects ``wrong-unit`` when they name different units."""
    out: list[Declaration] = []
    label = sheet.value(r, c)
    unit = _declared_unit(label) if isinstance(label, str) else None
    if unit:
        out.append(Declaration(unit, "label", a1(r, c), label.strip()))
    out.extend(_group_declarations(layout, ind, r))
    if layout.unit_col is not None:
        v = sheet.value(r, layout.unit_col)
        if isinstance(v, str) and v.strip():
            word = squash(v).strip("()")
            out.append(Declaration(word, "column", a1(r, layout.unit_col), v.strip()))
    fits = lambda d: (d.unit in MONEY_UNITS) == ind.is_money   # noqa: E731 — a header or line declares for its kind
    out.extend(d for d in layout.header_units + layout.line_units if fits(d))
    return out


# --- reading --------------------------------------------------------------------------------------
def read_statistics(grid: WorkbookGrid, roster: Roster, *, fallback_unit: Unit | None = None) -> StatisticsResult:
    """Read one 统计表 workbook; ``fallback_unit`` (from the file name; may be a callable giving it, asked
    only when needed) serves when the 地方/部门 line is blank."""
    out = StatisticsResult()
    sheet, scan = choose_sheet(grid, roster, fallback_unit, out)
    idx = scan.idx
    if out.problems:
        out.unit = None
        return out
    if sheet is None or len(idx) < MIN_LABELS:
        from .recommendation_form import find_header

        other = any(find_header(s) for s in grid.sheets)
        hint = "这是附件1 推荐表，请报送到推荐表收件箱" if other else "请使用通知所附附件2 统计表填写"
        out.problems.append(Problem("no-form", f"工作簿中未找到统计表的指标名称（{hint}）",
                                    sheet=grid.sheets[0].name if grid.sheets else None))
        return out
    out.sheet = sheet.name
    _read_unit(grid, sheet, roster, fallback_unit, out)
    layout = _analyse(sheet, scan)
    details: dict | None = None
    formulas: set[tuple[int, int]] | None = None
    vcol = layout.value_col
    converted: dict[str, list[str]] = {}

    for ind in INDICATORS:
        if ind.id not in idx:
            out.problems.append(Problem("missing-indicator", f"未找到指标「{ind.label}」，请使用通知所附统计表，不要删除或改写指标行",
                                        sheet=sheet.name))
            continue
        r, c = idx[ind.id]
        row = sheet.rows[r]
        others = [cc for cc in layout.numeric.get(r, ()) if cc != vcol]
        value = sheet.value(r, vcol) if vcol is not None and (r, vcol) not in layout.excluded else ""
        blank = value is None or (isinstance(value, str) and not value.strip())
        if others and (blank or not layout.header_declared):
            cells = ([a1(r, vcol)] if vcol is not None and not blank else []) + [a1(r, cc) for cc in others]
            shown = "、".join(f"{a1(r, cc)}「{split_unit(row[cc])[2]}」" for cc in others)
            if blank:
                where = f"数值栏 {a1(r, vcol)} 为空，" if vcol is not None else ""
                msg = (f"「{ind.label}」所在第 {r + 1} 行：{where}而 {shown}填有数字，无法确定哪一个是本指标的数值；"
                       f"请把数值填在数值栏（{column_letter(vcol) if vcol is not None else '指标右侧'}列）")
            else:
                msg = (f"「{ind.label}」所在第 {r + 1} 行有多个数字（{a1(r, vcol)}「{split_unit(value)[2]}」、{shown}），"
                       "无法确定哪一个是本指标的数值；请每行只保留一个数值，或在表头注明「数值」一栏")
            out.problems.append(Problem("ambiguous-value", msg, sheet=sheet.name, cell="、".join(cells)))
            continue
        if blank:
            if formulas is None:
                formulas = grid.formula_cells_without_value(sheet.name)
            dangling = sorted(fc for fr, fc in formulas if fr == r and (r, fc) not in layout.excluded)
            if dangling:
                out.problems.append(Problem("formula-no-value",
                                            f"「{ind.label}」是公式但文件中没有计算结果，请在 Excel/WPS 中打开、重新计算并保存，"
                                            "或直接填写数值", sheet=sheet.name, cell=a1(r, dangling[0])))
                continue
            col = vcol if vcol is not None else sheet.last_col_of(r, c) + 1
            out.values[ind.id] = Decimal(0) if ind.is_money else 0
            out.cells[ind.id] = (r, col)
            out.notes.append(f"{sheet.name}!{a1(r, col)}「{ind.label}」为空，按 0 计")
            continue
        out.cells[ind.id] = (r, vcol)
        if type(value) is float and layout.standard and 0 <= value and (value.is_integer() or not _noisy(value, ind)) \
                and not _declared_unit_of(row[c]):
            if ind.is_money:               # the usual form and a plain number: the fast path
                number = Decimal(int(value)) if value.is_integer() else Decimal(f"{value:.15g}").normalize()
                out.values[ind.id] = number
                continue
            if value.is_integer():
                out.values[ind.id] = int(value)
                continue
        where = a1(r, vcol)
        if isinstance(value, str) and squash(value) in _NIL:
            out.values[ind.id] = Decimal(0) if ind.is_money else 0
            out.notes.append(f"{sheet.name}!{where}「{ind.label}」填写为「{value.strip()}」，按 0 计")
            continue
        shown = None
        if type(value) is float and _noisy(value, ind):
            if details is None:
                details = grid.cell_details(sheet.name)
            formula, fmt = details.get((r, vcol), (False, None))
            if formula:
                number, shown = displayed(value, fmt)
                value = float(number) if number == number.to_integral_value() else number
                if isinstance(value, Decimal):
                    value = format(value, "f")
        if type(value) is float and layout.standard and not _declared_unit_of(sheet.rows[r][c]):
            declarations = []                # the usual form: 万元/人次 as issued, a plain number
        else:
            declarations = _declarations(sheet, layout, ind, r, c)
            if type(value) is float and all(d.unit == ind.unit for d in declarations):
                declarations = []
        number, rule, message, note = read_value(value, ind, declarations, where=where, shown=shown)
        if rule:
            out.problems.append(Problem(rule, message, sheet=sheet.name, cell=where,
                                        value=shown or split_unit(value)[2]))
        else:
            out.values[ind.id] = number
            if note:
                shown_in = shown or split_unit(value)[2]
                converted.setdefault(note, []).append(f"{where}「{shown_in}」→ {_plain(number)}")
    for note, cells in converted.items():     # one note per declaration: every cell it converted, nothing lost
        out.notes.append(f"{sheet.name}!{cells[0].split('「')[0]} 等 {len(cells)} 个单元格{note}：" + "；".join(cells)
                         if len(cells) > 1 else f"{sheet.name}!{cells[0].split('「')[0]} {note}：{cells[0]}")
    if out.problems:
        out.values = {}
    else:
        _check_totals(sheet, idx, layout, out)
    return out


def _noisy(value: float, ind: Indicator) -> bool:
    """A float that Excel would not show as stored: binary noise past 15 digits, or more decimals than the
    indicator takes."""
    if ind.is_integer:
        return not value.is_integer()
    if value.is_integer() or len(repr(value)) <= 8:
        return False
    text = f"{value:.15g}"
    return repr(value) != text and repr(value) != text + ".0" or ("." in text and len(text.split(".")[1]) > 4)


def _check_totals(sheet: Sheet, idx: dict[str, tuple[int, int]], layout: Layout, out: StatisticsResult) -> None:
    """A 合计/小计 row the unit added inside a group (its merged header, or right after the group's rows) that
    does not equal the sum of the group's indicators is flagged (the figures stand)."""
    vcol = layout.value_col
    if vcol is None:
        return
    label_rows = {r: i for i, (r, _) in idx.items()}
    members: dict[str, list[str]] = {}
    for ind in INDICATORS:
        if ind.group and ind.id in idx:
            members.setdefault(label_key(ind.group), []).append(ind.id)
    rows = sorted(label_rows)
    for r in range(rows[0], min(sheet.height, rows[-1] + 2)):
        if r in label_rows:
            continue
        tc, text = next(((c, v) for c, v in enumerate(sheet.rows[r]) if isinstance(v, str) and _TOTAL.search(v)
                         and c != vcol), (None, None))
        if text is None:
            continue
        key = None
        for gkey, cells in layout.groups.items():
            if any(g[0] <= r <= g[1] for g in cells) or any(gkey and gkey[:4] in squash(text) for _ in cells):
                key = gkey
        if key is None:   # right after (or before) a group's rows
            near = [label_rows[x] for x in (r - 1, r + 1) if x in label_rows]
            groups = [label_key(i.group) for i in INDICATORS if i.id in near and i.group]
            key = groups[0] if groups else None
        if key is None or key not in members:
            continue
        ind = next(i for i in INDICATORS if i.id == members[key][0])
        raw = sheet.value(r, vcol)
        if raw in ("", None):
            continue
        decl = _declarations(sheet, layout, ind, r, tc)
        if type(raw) is float and all(d.unit == ind.unit for d in decl):
            decl = []
        number, rule, _, _ = read_value(raw, ind, decl, where=a1(r, vcol))
        if rule:
            continue
        parts = sum((Decimal(out.values[i]) for i in members[key] if i in out.values), Decimal(0))
        if Decimal(number) != parts:
            ident = GROUP_TOTAL_IDS.get(key, key)
            out.flags.append({"indicator": ident, "cell": f"{sheet.name}!{a1(r, vcol)}", "value": _plain(number),
                              "previous": None, "peer_median": None, "factor": None, "rule": "total-mismatch",
                              "message": f"{a1(r, vcol)}「{text.strip()}」为 {_plain(number)}，各分项之和为 {_plain(parts)}"
                                         f"{ind.unit}，二者不等，请核实（汇总按各分项计）"})


def _plain(number) -> str:
    if isinstance(number, Decimal):
        n = number.normalize()
        return format(n, "f") if n != n.to_integral_value() else str(int(n))
    return str(number)


def _read_unit(grid: WorkbookGrid, sheet: Sheet, roster: Roster, fallback: Unit | None, out: StatisticsResult) -> None:
    text, where_sheet, where_cell = find_unit_text(grid, sheet)
    out.unit_text = text
    if text:
        unit = roster.match(text)
        if unit is None:
            out.problems.append(Problem("unknown-unit", f"地方/部门「{text}」不在报送单位名单中，请填写规范的地方或部门名称"
                                        "（如：河北省、深圳市、中国科学院）", sheet=where_sheet, cell=where_cell))
        out.unit = unit
        return
    fallback = fallback() if callable(fallback) else fallback
    if fallback is not None:
        out.unit = fallback
        out.notes.append(f"地方/部门未填写，按文件名认定为{fallback.name}")
        return
    out.problems.append(Problem("missing-unit", "未填写地方/部门，无法确认报送单位；请在「地方/部门（盖章）」后填写单位名称",
                                sheet=where_sheet or sheet.name, cell=where_cell))

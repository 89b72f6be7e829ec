"""附件2 统计表: read a unit's indicator values, or reject the whole workbook with every reason.

A workbook is accepted whole or rejected whole, never half-counted. Rejected, each with its cell:
a negative number, text that is not a number, a fraction where a count belongs, a formula with no
cached value (never a silent 0), a missing indicator, an unknown or missing unit. A blank value is
0 and noted. Money (万元) is an exact :class:`~decimal.Decimal`; counts are ``int``.
"""

from __future__ import annotations

import datetime as _dt
import math
import re
from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from functools import lru_cache

from ..errors import Problem
from ..forms import INDICATORS, Indicator
from ..roster import Roster, Unit
from .labels import find_lines, label_key, squash, value_right_of
from .reader import Sheet, WorkbookGrid, a1, cell_text

INDICATOR_KEYS = {i.id: label_key(i.label) for i in INDICATORS}
GROUP_KEYS = {label_key(i.group) for i in INDICATORS if i.group}
_UNIT_WORDS = {"万元", "元", "次", "人次", "个", "家", "篇", "所", "人", "单位", "项"}
_NIL = {"-", "—", "——", "/", "无", "空", "--", "－"}
_THOUSANDS = re.compile(r"[+-]?\d{1,3}(,\d{3})+(\.\d+)?")
_PLAIN = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)")
UNIT_LINE = re.compile(r"^(地方/部门|地方、部门|地方或部门|地方部门|填报单位|报送单位|单位名称)(\([^)]*\))?:?(.*)$")
MIN_LABELS = 3     # fewer indicator labels than this on every sheet: not a 统计表 at all


@dataclass
class StatisticsResult:
    sheet: str | None = None
    unit: Unit | None = None
    unit_text: str = ""
    values: dict[str, Decimal | int] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def parse_number(value, indicator: Indicator) -> tuple[Decimal | int | None, str | None, str | None]:
    """(number, rule, message): the number a cell holds for ``indicator``, or the rule it breaks."""
    if type(value) is float and value >= 0 and math.isfinite(value):      # the common case, fast
        if indicator.is_money:
            return (Decimal(int(value)) if value.is_integer() else Decimal(repr(value)).normalize()), None, None
        if value.is_integer():
            return int(value), None, None
    label = indicator.label
    if isinstance(value, bool) or isinstance(value, (_dt.date, _dt.time, _dt.timedelta)):
        return None, "not-a-number", f"「{label}」应为数字，单元格内容为「{cell_text(value)}」（可能被识别为日期或逻辑值），请改为数字"
    if isinstance(value, (int, float)):
        if isinstance(value, float) and not math.isfinite(value):
            return None, "not-a-number", f"「{label}」不是有效数字，请填写数字"
        number = Decimal(value) if isinstance(value, int) else Decimal(repr(value))
        shown = cell_text(value)
    else:
        text = squash(value)
        shown = str(value).strip()
        for suffix in sorted({indicator.unit, "万元" if indicator.is_money else indicator.unit}, key=len, reverse=True):
            if text.endswith(suffix) and len(text) > len(suffix):
                text = text[: -len(suffix)]
                break
        if indicator.is_money and text.endswith("元") and _PLAIN.fullmatch(text[:-1].replace(",", "")):
            return None, "wrong-unit", f"「{label}」单位为万元，填写的是「{shown}」，请换算为万元后只填数字"
        if _THOUSANDS.fullmatch(text):
            text = text.replace(",", "")
        if not _PLAIN.fullmatch(text):
            return None, "not-a-number", f"「{label}」应为数字，填写的是「{shown}」，请只填写数字（单位：{indicator.unit}）"
        try:
            number = Decimal(text)
        except InvalidOperation:
            return None, "not-a-number", f"「{label}」应为数字，填写的是「{shown}」，请只填写数字"
    if number < 0:
        return None, "negative-number", f"「{label}」不能为负数（填写的是「{shown}」），请核实后填写不小于 0 的数"
    if indicator.is_integer:
        if number != number.to_integral_value():
            return None, "not-integer", f"「{label}」单位为{indicator.unit}，应为整数，填写的是「{shown}」，请核实"
        return int(number), None, None
    if number == number.to_integral_value():
        return Decimal(int(number)), None, None
    return number.normalize(), None, None


def _is_unit_word(value) -> bool:
    return isinstance(value, str) and squash(value).strip("()") in _UNIT_WORDS


def _is_label(value) -> bool:
    return isinstance(value, str) and _is_label_text(value)


@lru_cache(maxsize=4096)
def _is_label_text(value: str) -> bool:
    key = label_key(value)
    return key in GROUP_KEYS or any(k and k in key for k in INDICATOR_KEYS.values())


def best_sheet(grid: WorkbookGrid) -> tuple[Sheet | None, dict[str, tuple[int, int]]]:
    """The sheet holding the most indicator labels (a cover sheet or notes sheet loses)."""
    from .labels import index_labels

    best, best_idx = None, {}
    for sheet in sorted(grid.sheets, key=lambda s: not s.visible):   # visible sheets first (stable)
        idx = index_labels(sheet, INDICATOR_KEYS)
        if len(idx) > len(best_idx):
            best, best_idx = sheet, idx
    return best, best_idx


def find_unit_text(grid: WorkbookGrid, first: Sheet | None) -> tuple[str, str | None, str | None]:
    """(text, sheet, cell) of the 地方/部门 line's value; the form's sheet is searched first."""
    sheets = ([first] if first else []) + [s for s in grid.sheets if s is not first]
    label_at = None
    for sheet, r, c, m in find_lines(sheets, UNIT_LINE):
        label_at = label_at or (sheet.name, a1(r, c))
        rest = re.sub(r"\([^)]*\)", "", m.group(3)).strip(":： ")
        if rest:
            return m.group(3).strip(":"), sheet.name, a1(r, c)
        found = value_right_of(sheet, r, c)
        if found:
            return cell_text(found[1]).strip(), sheet.name, a1(r, found[0])
    if label_at:
        return "", label_at[0], label_at[1]
    return "", None, None


def read_statistics(grid: WorkbookGrid, roster: Roster, *, fallback_unit: Unit | None = None) -> StatisticsResult:
    """Read one 统计表 workbook; ``fallback_unit`` (from the file name; may be a callable giving it, asked
    only when needed) serves when the 地方/部门 line is blank."""
    out = StatisticsResult()
    sheet, idx = best_sheet(grid)
    if sheet is None or len(idx) < MIN_LABELS:
        from .recommendation_form import find_header

        other = any(find_header(s) for s in grid.sheets)
        hint = "这是附件1 推荐表，请报送到推荐表收件箱" if other else "请使用通知所附附件2 统计表填写"
        out.problems.append(Problem("no-form", f"工作簿中未找到统计表的指标名称（{hint}）",
                                    sheet=grid.sheets[0].name if grid.sheets else None))
        return out
    out.sheet = sheet.name
    _read_unit(grid, sheet, roster, fallback_unit, out)

    value_cols = Counter()
    located: dict[str, tuple[int, int, object]] = {}
    for ind in INDICATORS:
        if ind.id not in idx:
            continue
        r, c = idx[ind.id]
        found = value_right_of(sheet, r, c, skip=_is_unit_word)
        if found and _is_label(found[1]):
            found = None
        if found:
            value_cols[found[0]] += 1
            located[ind.id] = (r, found[0], found[1])
        else:
            located[ind.id] = (r, -1, None)
    usual_col = value_cols.most_common(1)[0][0] if value_cols else None
    formulas: set[tuple[int, int]] | None = None

    for ind in INDICATORS:
        if ind.id not in located:
            out.problems.append(Problem("missing-indicator", f"未找到指标「{ind.label}」，请使用通知所附统计表，不要删除或改写指标行",
                                        sheet=sheet.name))
            continue
        r, c, value = located[ind.id]
        if c < 0:
            label_c = sheet.last_col_of(*idx[ind.id])
            if formulas is None:
                formulas = grid.formula_cells_without_value(sheet.name)
            dangling = sorted(fc for fr, fc in formulas if fr == r and fc > label_c)
            if dangling:
                out.problems.append(Problem("formula-no-value",
                                            f"「{ind.label}」是公式但文件中没有计算结果，请在 Excel/WPS 中打开、重新计算并保存，"
                                            "或直接填写数值", sheet=sheet.name, cell=a1(r, dangling[0])))
                continue
            col = usual_col if usual_col is not None and usual_col > label_c else label_c + 1
            out.values[ind.id] = Decimal(0) if ind.is_money else 0
            out.notes.append(f"{sheet.name}!{a1(r, col)}「{ind.label}」为空，按 0 计")
            continue
        if isinstance(value, str) and squash(value) in _NIL:
            out.values[ind.id] = Decimal(0) if ind.is_money else 0
            out.notes.append(f"{sheet.name}!{a1(r, c)}「{ind.label}」填写为「{value.strip()}」，按 0 计")
            continue
        number, rule, message = parse_number(value, ind)
        if rule:
            out.problems.append(Problem(rule, message, sheet=sheet.name, cell=a1(r, c),
                                        value=value.strip() if isinstance(value, str) else cell_text(value)))
        else:
            out.values[ind.id] = number
    if out.problems:
        out.values = {}
    return out


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

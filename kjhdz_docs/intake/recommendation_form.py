"""附件1 推荐表: the activity rows of a unit's workbook, as :class:`~kjhdz_docs.model.Activity`.

Only what makes the whole workbook unusable is a problem here (no 推荐表 header, no unit, no row);
rules about a single row (简介 length, county-level place, date, more than 5 rows) belong to the
national 推荐清单, which puts such rows in its 待核实 annex. Text is kept verbatim (outer whitespace
trimmed); a merged cell (e.g. 推荐单位 over all rows) gives its value to every row it covers.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field

from ..errors import Problem
from ..model import Activity
from ..roster import Roster, Unit
from .labels import find_lines, label_key, squash, value_right_of
from .reader import Sheet, WorkbookGrid, a1, cell_text, is_blank

FIELDS = ("seq", "name", "intro", "time", "place", "time_place", "unit", "contact")
_HINTS = ("字以内", "精确到县级", "方案可附后", "精确到县")
_UNIT_LINE = re.compile(r"^(推荐单位|报送单位|填报单位)(\([^)]*\))?:(.*)$")


def column_of(key: str) -> str | None:
    """Which 推荐表 column a header cell (its :func:`label_key`) names."""
    if key in ("序号", "编号", "序"):
        return "seq"
    if key.startswith("活动名称") or key in ("名称", "项目名称"):
        return "name"
    if key.startswith("活动简介") or key in ("简介", "活动内容", "内容简介"):
        return "intro"
    if key.startswith(("举办时间、地点", "举办时间和地点", "举办时间及地点", "时间、地点", "时间地点", "举办时间地点")):
        return "time_place"
    if key.startswith(("举办时间", "活动时间")) or key == "时间":
        return "time"
    if key.startswith(("举办地点", "活动地点")) or key == "地点":
        return "place"
    if key == "推荐单位" or key == "报送单位":
        return "unit"
    if key.startswith(("联系人", "联系方式")):
        return "contact"
    return None


@dataclass
class Header:
    sheet: Sheet
    row: int
    columns: dict[str, int]


@dataclass
class RecommendationResult:
    sheet: str | None = None
    unit: Unit | None = None
    unit_text: str = ""
    activities: list[Activity] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def find_header(sheet: Sheet) -> Header | None:
    """The header row of the activity table: it names at least 活动名称 and one more column."""
    best = None
    for r, row in enumerate(sheet.rows[:60]):
        cols: dict[str, int] = {}
        for c, value in enumerate(row):
            if isinstance(value, str) and value and len(value) <= 40:
                col = column_of(label_key(value))
                if col and col not in cols:
                    cols[col] = c
        if "name" in cols and len(cols) >= 2 and (best is None or len(cols) > len(best.columns)):
            best = Header(sheet, r, cols)
    return best


def _merged_value(sheet: Sheet, r: int, c: int):
    rng = sheet.merged_range(r, c)
    if rng:
        return sheet.value(*rng[0])
    return sheet.value(r, c)


def _text(sheet: Sheet, r: int, c: int | None) -> str:
    if c is None:
        return ""
    return cell_text(_merged_value(sheet, r, c)).strip()


def read_recommendations(grid: WorkbookGrid, roster: Roster, *, file: str,
                         fallback_unit: Unit | None = None) -> RecommendationResult:
    out = RecommendationResult()
    sheets = sorted(grid.sheets, key=lambda s: not s.visible)   # visible sheets first (stable)
    headers = [h for h in (find_header(s) for s in sheets) if h]
    if not headers:
        from .statistics import MIN_LABELS, best_sheet

        _, idx = best_sheet(grid)
        hint = "这是附件2 统计表，请报送到统计表收件箱" if len(idx) >= MIN_LABELS else "请使用通知所附附件1 推荐表填写"
        out.problems.append(Problem("no-form", f"工作簿中未找到推荐表的表头（序号、活动名称、活动简介……）（{hint}）",
                                    sheet=grid.sheets[0].name if grid.sheets else None))
        return out
    header = max(headers, key=lambda h: len(h.columns))   # first of the best: max keeps the first
    sheet, cols = header.sheet, header.columns
    out.sheet = sheet.name

    rows: list[tuple[int, dict[str, str]]] = []
    for r in range(header.row + 1, sheet.height):
        cells = {k: _text(sheet, r, cols.get(k)) for k in FIELDS if k in cols}
        first = next((cell_text(v).strip() for v in sheet.rows[r] if not is_blank(v)), "")
        if squash(first).startswith(("说明", "注:", "备注", "填表说明")):
            break
        if not any(cells.get(k) for k in ("name", "intro", "time_place", "time", "place")):
            continue
        filled = [v for v in sheet.rows[r] if not is_blank(v)]
        if filled and all(isinstance(v, str) and any(h in v for h in _HINTS) or _is_number(v) for v in filled) \
                and not cells.get("name"):
            continue    # the hint row under the header: （100字以内，方案可附后）（地点精确到县级）
        rows.append((r, cells))

    _read_unit(grid, sheet, cols, rows, roster, fallback_unit, out)
    if not rows:
        out.problems.append(Problem("empty-form", "推荐表中没有填写任何活动，请填写后重新报送", sheet=sheet.name,
                                    cell=a1(header.row + 1, cols["name"])))
    if out.problems:
        return out
    for n, (r, cells) in enumerate(rows, 1):
        time_place = cells.get("time_place") or "，".join(x for x in (cells.get("time"), cells.get("place")) if x)
        out.activities.append(Activity(
            unit=out.unit.name, seq=_seq(cells.get("seq"), n), name=cells.get("name", ""),
            intro=cells.get("intro", ""), time_place=time_place, contact=cells.get("contact", ""),
            source_file=file, sheet=sheet.name, row=r + 1))
    return out


def _is_number(v) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def _seq(text: str | None, position: int) -> int:
    m = re.fullmatch(r"\d{1,3}", squash(text or "").rstrip("."))
    return int(m.group(0)) if m else position


def _read_unit(grid: WorkbookGrid, sheet: Sheet, cols: dict[str, int], rows, roster: Roster,
               fallback: Unit | None, out: RecommendationResult) -> None:
    line_text, line_cell = "", None
    for s, r, c, m in find_lines([sheet] + [x for x in grid.sheets if x is not sheet], _UNIT_LINE, max_rows=80):
        rest = m.group(3)
        if not rest or "党中央、国务院有关部门" in rest:
            found = value_right_of(s, r, c)
            rest = cell_text(found[1]).strip() if found else ""
            where = (s.name, a1(r, found[0])) if found else (s.name, a1(r, c))
        else:
            where = (s.name, a1(r, c))
        if rest and not line_text:
            line_text, line_cell = rest, where
    if line_text:
        unit = roster.match(line_text)
        if unit is not None:
            out.unit, out.unit_text = unit, line_text
            return
    column = Counter()
    written_as: dict[str, Counter] = {}
    if "unit" in cols:
        for _, cells in rows:
            unit = roster.match(cells.get("unit"))
            if unit is not None:
                column[unit.name] += 1
                written_as.setdefault(unit.name, Counter())[cells.get("unit").strip()] += 1
    if column:
        name = column.most_common(1)[0][0]
        # the text as the column writes it (the issuer in full), the most frequent spelling first
        out.unit, out.unit_text = roster.get(name), written_as[name].most_common(1)[0][0]
        return
    if line_text:
        out.unit_text = line_text
        out.problems.append(Problem("unknown-unit", f"推荐单位「{line_text}」不在报送单位名单中，请填写规范的地方或部门名称"
                                    "（如：河北省科学技术厅、深圳市科技创新局、中国科学院）",
                                    sheet=line_cell[0], cell=line_cell[1]))
        return
    fallback = fallback() if callable(fallback) else fallback
    if fallback is not None:
        out.unit = fallback
        out.notes.append(f"推荐单位未填写或无法识别，按文件名认定为{fallback.name}")
        return
    written = sorted({cells.get("unit") for _, cells in rows if cells.get("unit")})
    if written:
        out.problems.append(Problem("unknown-unit", f"推荐单位「{'、'.join(written[:3])}」不在报送单位名单中，"
                                    "请填写规范的地方或部门名称", sheet=sheet.name,
                                    cell=a1(rows[0][0], cols["unit"])))
    else:
        cell = a1(rows[0][0], cols["unit"]) if rows and "unit" in cols else None
        out.problems.append(Problem("missing-unit", "未填写推荐单位，无法确认报送单位；请在「推荐单位」一栏或表头的推荐单位行填写",
                                    sheet=sheet.name, cell=cell))

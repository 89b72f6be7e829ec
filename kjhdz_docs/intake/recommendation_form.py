"""附件1 推荐表: the activity rows of a unit's workbook, as :class:`~kjhdz_docs.model.Activity`.

Only what makes the whole workbook unusable is a problem here (no 推荐表 header, no unit, no row);
rules about a single row (简介 length, county-level place, date, more than 5 rows) belong to the
national 推荐清单, which puts such rows in its 待核实 annex. Text is kept verbatim (outer whitespace
trimmed); a merged cell (e.g. 推荐单位 over all rows) gives its value to every row it covers.

The table's structure is read from the form itself:

- the header row is the row naming 活动名称 and most other columns; a second header row under it gives
  sub-columns (``举办时间、地点`` over ``时间 | 地点``, ``联系人及电话`` over ``联系人 | 电话``);
- separate 时间 / 地点 columns are joined into the activity's 举办时间、地点 (``时间，地点``), separate 联系人 /
  电话 columns into its 联系人及电话 (``联系人 电话``): nothing is lost;
- rows whose 活动名称 (or 序号, the name left blank) is one merged cell are **one** activity, one session a
  row: the sessions' times and places are joined with ``；``;
- a row right under an activity, not merged with it, with no 序号, 活动名称 or 活动简介 but its own 时间/地点
  (or 联系人/电话) is another session of that activity: joined the same way, with a note naming its cells. When
  it names another 推荐单位 than the activity above it is not joined but listed as its own row, flagged
  ``session-unclear`` (``Activity.unclear`` says why) — a session's date and place are never dropped;
- blank rows are skipped; footer lines (填表人, 审核人, 联系电话, 负责人, 填表日期 …) are never activities, and
  a 说明/注/备注 line ends the table;
- the 推荐单位 may be given only in the title (``北京市2024年…推荐表``).

Every activity records the cell of each of its fields (``cells``: field → ``D7``, sessions ``D7、D8``) so
that every row rule names its cell, and the formula of a text cell that has no value (``formulas``:
field → ``=HYPERLINK(…)``), reported as a formula, not as an empty field.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field

from ..errors import Problem
from ..forms import FIELD_NAMES
from ..model import Activity
from ..roster import Roster, Unit
from .labels import find_lines, label_key, squash, value_right_of
from .reader import Sheet, WorkbookGrid, a1, cell_text, is_blank

FIELDS = ("seq", "name", "intro", "time", "place", "time_place", "unit", "contact", "phone")
TEXT_FIELDS = ("name", "intro", "time", "place", "time_place", "contact", "phone")
_CONTENT = ("name", "intro", "time_place", "time", "place")
# a footer line inside the bordered area (never an activity): 填表人：张三  审核人：李四  联系电话：…
_FOOTER = re.compile(r"^(?:填表人|填报人|审核人|审核|制表人|制表|负责人|单位负责人|分管领导|经办人|联系人|联系电话|"
                     r"电话|手机|填表日期|填报日期|报送日期|日期|签发人|盖章)(?::|$)|^(?:填表人|填报人|审核人|制表人|经办人|联系电话)")
_END = ("说明", "注:", "备注", "填表说明", "填报说明", "注1", "注：")
_TITLE_UNIT = re.compile(r"^(.{2,40}?)(?:\d{4}|[〇零一二三四五六七八九]{4})年.*推荐(?:表|汇总表|清单)")
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
    if key.startswith("联系人"):
        return "contact"
    if key.startswith(("联系电话", "联系方式", "电话", "手机", "办公电话")):
        return "phone"
    return None


@dataclass
class Header:
    sheet: Sheet
    row: int
    columns: dict[str, int]
    last: int = -1                   # the last header row (row + 1 with a row of sub-columns)

    def __post_init__(self):
        if self.last < self.row:
            self.last = self.row


@dataclass
class RecommendationResult:
    sheet: str | None = None
    unit: Unit | None = None
    unit_text: str = ""
    activities: list[Activity] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def _columns(row: list) -> dict[str, int]:
    cols: dict[str, int] = {}
    for c, value in enumerate(row):
        if isinstance(value, str) and value and len(value) <= 40:
            col = column_of(label_key(value))
            if col and col not in cols:
                cols[col] = c
    return cols


def find_header(sheet: Sheet) -> Header | None:
    """The header row of the activity table: it names at least 活动名称 and one more column.

    A row of sub-columns under it (时间 | 地点 under 举办时间、地点, 联系人 | 电话 under 联系人及电话) is read too.
    """
    best = None
    for r, row in enumerate(sheet.rows[:60]):
        cols = _columns(row)
        if "name" in cols and len(cols) >= 2 and (best is None or len(cols) > len(best.columns)):
            best = Header(sheet, r, cols)
    if best is not None:
        _sub_columns(sheet, best)
        if "contact" not in best.columns and "phone" in best.columns:
            best.columns["contact"] = best.columns.pop("phone")
    return best


def _sub_columns(sheet: Sheet, header: Header) -> None:
    r = header.row + 1
    if r >= sheet.height:
        return
    subs = {k: c for k, c in _columns(sheet.rows[r]).items() if k in ("time", "place", "contact", "phone")}
    if not subs or "name" in _columns(sheet.rows[r]):
        return
    cols = header.columns
    for key, c in subs.items():
        over = _group_over(sheet, header.row, c, cols)
        if over is None and key in cols and cols[key] != c:
            continue
        if over is not None and over != key and over not in subs:
            cols.pop(over, None)        # 举办时间、地点 replaced by its sub-columns 时间 | 地点
        cols[key] = c
    header.last = r


def _group_over(sheet: Sheet, row: int, col: int, cols: dict[str, int]) -> str | None:
    """The header column whose cell (merged across) stands over ``col``: e.g. time_place over 时间."""
    for key, c in cols.items():
        rng = sheet.merged_range(row, c)
        if c == col or (rng and rng[0][1] <= col <= rng[1][1]):
            return key
    return None


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
    groups: list[list[int]] = []                # the rows of each activity (sessions of one merged activity)
    continued: set[int] = set()                 # unmerged rows joined as another session of the activity above
    unclear: dict[int, str] = {}                # rows shaped like another session, but not joined: why
    formulas = _Formulas(grid, sheet)
    for r in range(header.last + 1, sheet.height):
        cells = {k: _text(sheet, r, cols.get(k)) for k in FIELDS if k in cols}
        first = next((cell_text(v).strip() for v in sheet.rows[r] if not is_blank(v)), "")
        if squash(first).startswith(_END):
            break
        if _is_footer(sheet, r, cols, cells):
            continue
        if not any(cells.get(k) for k in _CONTENT):
            continue
        filled = [v for v in sheet.rows[r] if not is_blank(v)]
        if filled and all(isinstance(v, str) and any(h in v for h in _HINTS) or _is_number(v) for v in filled) \
                and not cells.get("name"):
            continue    # the hint row under the header: （100字以内，方案可附后）（地点精确到县级）
        anchor = _anchor(sheet, r, cols)
        if anchor < r and groups and groups[-1][0] >= anchor:
            groups[-1].append(r)
        elif groups and rows[-1][0] == r - 1 and _session_shaped(sheet, r, cols, cells, formulas):
            top = groups[-1][0]
            above = dict(rows)[top]
            said = _session_cells(sheet, r, cols, cells)
            if cells.get("unit") and above.get("unit") and squash(cells["unit"]) != squash(above["unit"]):
                groups.append([r])
                unclear[r] = (f"第{r + 1}行没有序号、活动名称和活动简介，只填了{said}，像是上一项活动"
                              f"「{above.get('name') or f'第{top + 1}行'}」的又一场次，但其推荐单位"
                              f"{a1(r, cols['unit'])}「{cells['unit']}」与该活动的「{above['unit']}」不同，"
                              "无法确定属于哪项活动；是另一项活动请补填活动名称和简介，是同一活动的场次请与上一行合并填写")
            else:
                groups[-1].append(r)
                continued.add(r)
                out.notes.append(f"工作表「{sheet.name}」第{r + 1}行没有序号、活动名称和活动简介，只填了{said}，"
                                 f"按上一项活动「{above.get('name') or f'第{top + 1}行'}」（第{top + 1}行）的又一场次计入")
        else:
            groups.append([r])
        rows.append((r, cells))

    _read_unit(grid, sheet, cols, rows, roster, fallback_unit, out)
    if not rows:
        out.problems.append(Problem("empty-form", "推荐表中没有填写任何活动，请填写后重新报送", sheet=sheet.name,
                                    cell=a1(header.last + 1, cols["name"])))
    if out.problems:
        return out
    by_row = dict(rows)
    for n, group in enumerate(groups, 1):
        act = _activity(sheet, cols, group, [by_row[r] for r in group], n, out.unit.name, file, formulas,
                        continued)
        act.unclear = unclear.get(group[0], "")
        out.activities.append(act)
    return out


_SESSION_FIELDS = ("time", "place", "time_place", "contact", "phone")


def _session_shaped(sheet: Sheet, r: int, cols: dict[str, int], cells: dict[str, str], formulas: "_Formulas") -> bool:
    """A row (not merged with the one above) that has no 序号, 活动名称 or 活动简介 of its own — not even a
    formula there — but a 时间/地点 (or 联系人/电话): written as another session of the activity above."""
    if any(cells.get(k) for k in ("seq", "name", "intro")):
        return False
    if any(formulas.at(r, cols[k]) for k in ("name", "intro") if k in cols):
        return False
    return any(cells.get(k) for k in _SESSION_FIELDS)


def _session_cells(sheet: Sheet, r: int, cols: dict[str, int], cells: dict[str, str]) -> str:
    """What a session row holds, with its cells: 举办时间、地点D8「5月26日，北京市海淀区」."""
    return "、".join(f"{FIELD_NAMES[k]}{a1(r, cols[k])}「{cells[k]}」" for k in _SESSION_FIELDS if cells.get(k))


def _is_footer(sheet: Sheet, r: int, cols: dict[str, int], cells: dict[str, str]) -> bool:
    """填表人：…  审核人：…  联系电话：… — in the first filled cell, or anywhere when the 活动名称 cell is blank."""
    name = squash(cells.get("name", ""))
    for v in sheet.rows[r]:
        if isinstance(v, str) and v.strip() and _FOOTER.match(squash(v)):
            if not name or _FOOTER.match(name) or squash(v) == name:
                return True
            first = next((x for x in sheet.rows[r] if not is_blank(x)), None)
            return first is v and not cells.get("intro") and not cells.get("seq")
    return False


def _anchor(sheet: Sheet, r: int, cols: dict[str, int]) -> int:
    """The first row of the activity row ``r`` belongs to: the top of a merged 活动名称 (or, the name left
    blank, a merged 序号) cell spanning rows; ``r`` itself otherwise."""
    for key in ("name", "seq"):
        c = cols.get(key)
        if c is None:
            continue
        rng = sheet.merged_range(r, c)
        if rng and rng[1][0] > rng[0][0]:
            return rng[0][0]
        if key == "name" and not is_blank(sheet.value(r, c)):
            return r
    return r


def _top_left(sheet: Sheet, r: int, c: int) -> tuple[int, int]:
    rng = sheet.merged_range(r, c)
    return rng[0] if rng else (r, c)


def _distinct(values) -> list[str]:
    return list(dict.fromkeys(v for v in values if v))


class _Formulas:
    """Formulas without a value in the text cells of an .xlsx sheet (read only when a text cell is blank)."""

    def __init__(self, grid: WorkbookGrid, sheet: Sheet):
        self.grid, self.sheet, self._found = grid, sheet, None

    def at(self, r: int, c: int) -> str | None:
        if self.grid.format != "xlsx":
            return None
        if self._found is None:
            from .reader import formula_texts

            try:
                self._found = formula_texts(self.grid.path, self.sheet.name)
            except (OSError, KeyError, ValueError):
                self._found = {}
        return self._found.get((r, c))


def _activity(sheet: Sheet, cols: dict[str, int], group: list[int], cells: list[dict[str, str]], position: int,
              unit: str, file: str, formulas: _Formulas, continued: set[int] = frozenset()) -> Activity:
    refs: dict[str, str] = {}
    found: dict[str, str] = {}
    numbers: dict[str, str] = {}
    for key in FIELDS:
        if key not in cols:
            continue
        # a session row joined from below names only the cells it fills (its blank 活动名称 is not the name's)
        spots = list(dict.fromkeys(_top_left(sheet, r, cols[key]) for r in group
                                   if r not in continued or not is_blank(_merged_value(sheet, r, cols[key]))))
        refs[key] = "、".join(a1(*x) for x in spots)
        if key in ("time", "time_place"):
            for x in spots:
                if _ambiguous_number(sheet.value(*x)):
                    numbers[key] = cell_text(sheet.value(*x))
        if key in TEXT_FIELDS:
            for x in spots:
                if is_blank(sheet.value(*x)):
                    f = formulas.at(*x)
                    if f:
                        found[key] = f
                        break
    first = cells[0]
    if "time" in cols or "place" in cols:
        sessions = _distinct("，".join(_distinct((c.get("time"), c.get("place")))) for c in cells)
        if "time_place" in cols:
            sessions = _distinct([*_distinct(c.get("time_place") for c in cells), *sessions])
    else:
        sessions = _distinct(c.get("time_place") for c in cells)
    contact = _distinct(" ".join(_distinct((c.get("contact"), c.get("phone")))) for c in cells)
    if "time_place" not in refs:
        refs["time_place"] = "、".join(_distinct((refs.get("time"), refs.get("place"))))
    return Activity(unit=unit, seq=_seq(first.get("seq"), position), name=first.get("name", ""),
                    intro=first.get("intro", ""), time_place="；".join(sessions), contact="；".join(contact),
                    source_file=file, sheet=sheet.name, row=group[0] + 1, cells=refs, formulas=found,
                    sessions=len(group), numeric=numbers)


def _ambiguous_number(value) -> bool:
    """A 时间 cell holding a number that is no date: 5.3 (typed 5.30 or 5.3?), 6.1 (6月1日 or 6.10?), 45437."""
    if not _is_number(value):
        return False
    text = cell_text(value)
    return "." not in text or len(text.split(".", 1)[1]) == 1


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
    for r, row in enumerate(sheet.rows[:10]):                  # 北京市2024年…推荐表: the unit only in the title
        for value in row:
            m = _TITLE_UNIT.match(squash(value)) if isinstance(value, str) and len(value) <= 120 else None
            unit = roster.match(m.group(1)) if m else None
            if unit is not None and not line_text:
                out.unit, out.unit_text = unit, m.group(1)
                out.notes.append(f"推荐单位按表格标题「{value.strip()}」认定为{unit.name}")
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

"""The two blank forms sent out with the notice: 附件1 推荐表 and 附件2 统计表 as fillable .xlsx.

They are the contract the intake reads back: the seed's labels verbatim (from :mod:`kjhdz_docs.forms`),
data validation on every cell a unit fills in, label cells locked (sheet protection without a
password, so a clerk can still unprotect to add a row), A4 print set-up. The intake never relies on
the cell addresses used here: it finds fields by their label text.
"""

from __future__ import annotations

from pathlib import Path

from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, Protection, Side
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.worksheet import Worksheet

from . import forms
from .fonts import FANGSONG, HEITI, XIAOBIAOSONG
from .workbooks import save_deterministic

STATISTICS_SHEET = "统计表"
RECOMMENDATION_SHEET = "推荐表"
_THIN = Side(style="thin", color="000000")
_BOX = Border(left=_THIN, right=_THIN, top=_THIN, bottom=_THIN)
_WRAP = Alignment(horizontal="center", vertical="center", wrap_text=True)
_LEFT = Alignment(horizontal="left", vertical="center", wrap_text=True)
_UNLOCKED = Protection(locked=False)


def recommendation_file_name(year: int) -> str:
    return f"附件1-{forms.recommendation_title(year)}.xlsx"


def statistics_file_name(year: int) -> str:
    return f"附件2-{forms.statistics_title(year)}.xlsx"


def write_blank_forms(year: int, outdir: Path, *, notice=None) -> list[Path]:
    """Write the blank forms the year's notice attaches into ``outdir``, in the notice's order; returns
    their paths. ``notice`` (a :class:`~kjhdz_docs.notice_data.NoticeData`) defaults to the year's
    ``notice.yaml``. Each form carries the year and the 说明 of its attachment in the notice (for the
    推荐表 without 说明: the year's own deadline)."""
    from .notice_data import load_notice

    outdir = Path(outdir)
    notice = notice or load_notice(year)
    out = []
    for a in notice.attachments:
        if a.form == "recommendations":
            wb = recommendation_workbook(year, notes=form_notes(year, a.form, notice))
            out.append(save_deterministic(wb, outdir / recommendation_file_name(year), date=notice.issue_date))
        else:
            wb = statistics_workbook(year, notes=form_notes(year, a.form, notice))
            out.append(save_deterministic(wb, outdir / statistics_file_name(year), date=notice.issue_date))
    return out


def form_notes(year: int, form: str, notice=None) -> tuple[str, ...]:
    """The 说明 rows of a blank form of ``year``: the notes its attachment has in the notice (the very
    text the notice prints), numbered; a 推荐表 without them says the year's own deadline. With no notice
    data for the year, a 推荐表 says only the limit of activities and a 统计表 nothing."""
    from .notice_data import load_notice, notice_path

    if notice is None:
        if not notice_path(year).exists():
            return forms.recommendation_notes(None) if form == "recommendations" else ()
        notice = load_notice(year)
    attached = next((a for a in notice.attachments if a.form == form), None)
    if attached is not None and attached.notes:
        return forms.numbered_notes(attached.notes)
    if form == "recommendations":
        return forms.recommendation_notes(notice.deadline_of(form))
    return ()


def _title(ws: Worksheet, text: str, last_col: str) -> None:
    ws["A1"] = text
    ws["A1"].font = Font(name=XIAOBIAOSONG, size=18)
    ws["A1"].alignment = Alignment(horizontal="center", vertical="center")
    ws.merge_cells(f"A1:{last_col}1")
    ws.row_dimensions[1].height = 36


def _print_setup(ws: Worksheet, *, landscape: bool, last_row: int, last_col: str) -> None:
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.orientation = "landscape" if landscape else "portrait"
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.print_options.horizontalCentered = True
    ws.page_margins.left = ws.page_margins.right = 0.6
    ws.page_margins.top = ws.page_margins.bottom = 0.8
    ws.print_area = f"A1:{last_col}{last_row}"


def _protect(ws: Worksheet) -> None:
    """Lock the labels: cells are locked by default, the fill-in cells are unlocked by the caller."""
    ws.protection.sheet = True
    ws.protection.formatCells = False      # allowed: widen a column, change a font
    ws.protection.formatColumns = False
    ws.protection.formatRows = False


def recommendation_workbook(year: int, notes: tuple[str, ...] | None = None) -> Workbook:
    """附件1 推荐表: title, 推荐单位 line, the six columns, five activity rows, the notes."""
    wb = Workbook()
    ws = wb.active
    ws.title = RECOMMENDATION_SHEET
    cols = forms.RECOMMENDATION_COLUMNS
    last = chr(ord("A") + len(cols) - 1)
    _title(ws, forms.recommendation_title(year), last)
    ws["A2"] = forms.RECOMMENDATION_UNIT_LINE
    ws["A2"].font = Font(name=FANGSONG, size=12)
    ws["A2"].alignment = _LEFT
    ws.merge_cells(f"A2:{last}2")
    header = 3
    for i, col in enumerate(cols):
        cell = ws.cell(header, i + 1, col.label + (f"\n{col.hint}" if col.hint else ""))
        cell.font = Font(name=HEITI, size=12)
        cell.alignment = _WRAP
        cell.border = _BOX
    ws.row_dimensions[header].height = 42
    first, end = header + 1, header + forms.MAX_ACTIVITIES
    for r in range(first, end + 1):
        ws.cell(r, 1, r - header)
        for c in range(1, len(cols) + 1):
            cell = ws.cell(r, c)
            cell.border = _BOX
            cell.font = Font(name=FANGSONG, size=11)
            cell.alignment = _WRAP if c == 1 else _LEFT
            if c > 1:
                cell.protection = _UNLOCKED
        ws.row_dimensions[r].height = 60
    intro_col = chr(ord("A") + [c.id for c in cols].index("intro"))
    intro = DataValidation(type="textLength", operator="lessThanOrEqual", formula1=str(forms.INTRO_MAX_CHARS),
                           allow_blank=True, showErrorMessage=True, errorTitle="活动简介过长",
                           error=f"活动简介请控制在{forms.INTRO_MAX_CHARS}字以内，详细方案可附后。",
                           promptTitle="活动简介", prompt=f"{forms.INTRO_MAX_CHARS}字以内，方案可附后",
                           showInputMessage=True)
    intro.add(f"{intro_col}{first}:{intro_col}{end}")
    ws.add_data_validation(intro)
    place_col = chr(ord("A") + [c.id for c in cols].index("time_place"))
    place = DataValidation(type="textLength", operator="greaterThan", formula1="0", allow_blank=True,
                           promptTitle="举办时间、地点", prompt="地点精确到县级（区、县、县级市、旗）",
                           showInputMessage=True)
    place.add(f"{place_col}{first}:{place_col}{end}")
    ws.add_data_validation(place)
    notes = form_notes(year, "recommendations") if notes is None else notes
    for offset, note in enumerate(notes):
        row = end + 1 + offset
        ws.cell(row, 1, note).font = Font(name=FANGSONG, size=11)
        ws.cell(row, 1).alignment = _LEFT
        ws.merge_cells(f"A{row}:{last}{row}")
    for col, width in zip("ABCDEF", (6, 24, 40, 26, 18, 20)):
        ws.column_dimensions[col].width = width
    ws.freeze_panes = f"A{first}"
    _protect(ws)
    _print_setup(ws, landscape=True, last_row=end + len(notes), last_col=last)
    ws.print_title_rows = f"{header}:{header}"
    return wb


def statistics_workbook(year: int, notes: tuple[str, ...] | None = None) -> Workbook:
    """附件2 统计表: title, 地方/部门 line, one row per indicator (group labels merged on the left)."""
    wb = Workbook()
    ws = wb.active
    ws.title = STATISTICS_SHEET
    _title(ws, forms.statistics_title(year), "C")
    ws["A2"] = forms.STATISTICS_UNIT_LABEL + "："
    ws["A2"].font = Font(name=FANGSONG, size=12)
    ws["A2"].alignment = _LEFT
    ws["B2"].protection = _UNLOCKED
    ws["B2"].alignment = _LEFT
    ws.merge_cells("B2:C2")
    ws.row_dimensions[2].height = 24
    first = 3
    integers = DataValidation(type="whole", operator="greaterThanOrEqual", formula1="0", allow_blank=True,
                              showErrorMessage=True, errorTitle="请填写非负整数",
                              error="该项为次数或人数，请填写不小于0的整数。")
    money = DataValidation(type="decimal", operator="greaterThanOrEqual", formula1="0", allow_blank=True,
                           showErrorMessage=True, errorTitle="请填写非负数",
                           error="经费单位为万元，请填写不小于0的数字（可有小数）。")
    row = first
    groups: dict[str, list[int]] = {}
    for ind in forms.INDICATORS:
        label = ws.cell(row, 2 if ind.group else 1, ind.label)
        if ind.group:
            groups.setdefault(ind.group, []).append(row)
        else:
            ws.merge_cells(start_row=row, start_column=1, end_row=row, end_column=2)
        value = ws.cell(row, 3)
        value.protection = _UNLOCKED
        value.number_format = "0.00" if ind.is_money else "0"
        (money if ind.is_money else integers).add(value.coordinate)
        for c in (1, 2, 3):
            ws.cell(row, c).border = _BOX
            ws.cell(row, c).font = Font(name=FANGSONG, size=12)
        label.alignment = _LEFT
        ws.row_dimensions[row].height = 28
        row += 1
    for group, rows in groups.items():
        ws.cell(rows[0], 1, group).alignment = _WRAP
        ws.merge_cells(start_row=rows[0], start_column=1, end_row=rows[-1], end_column=1)
    notes = form_notes(year, "statistics") if notes is None else notes
    for note in notes:
        ws.cell(row, 1, note).font = Font(name=FANGSONG, size=11)
        ws.cell(row, 1).alignment = _LEFT
        ws.merge_cells(start_row=row, start_column=1, end_row=row, end_column=3)
        row += 1
    ws.add_data_validation(integers)
    ws.add_data_validation(money)
    for col, width in zip("ABC", (26, 44, 18)):
        ws.column_dimensions[col].width = width
    _protect(ws)
    _print_setup(ws, landscape=False, last_row=row - 1, last_col="C")
    return wb

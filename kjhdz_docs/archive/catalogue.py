"""The 归档文件目录 (DA/T 22-2015 catalogue) that goes inside the 移交 package, as .xlsx and PDF/A-2b.

Columns as DA/T 22 fixes them: 序号, 档号, 文号, 责任者, 题名, 日期 (8 digits), 密级, 页数, 备注. One row per 件
in the order of the arrangement (序号), A4 landscape, the header repeated on every printed page. The PDF is
LibreOffice's PDF/A-2b of the workbook, with the catalogue's own metadata in XMP and DocInfo.
"""

from __future__ import annotations

from pathlib import Path

from .records import YearPlan

CATALOGUE_DIR = "catalogue"
NAME = "归档文件目录"
COLUMNS = ("序号", "档号", "文号", "责任者", "题名", "日期", "密级", "页数", "备注")
WIDTHS = (6, 27, 18, 22, 52, 10, 8, 6, 30)
STATUS = {"rejected": "退回", "superseded": "已被替代", "unmatched": "未对应报送单位"}


def remark(meta: dict) -> str:
    """备注: what an archivist must know of the 件 (status of a submission, parts without rendition)."""
    out = []
    letter = meta.get("letter") or {}
    if letter:
        out.append(f"去文：{letter.get('kind')}，主送{letter.get('unit')}（{letter.get('to')}）")
    sub = meta.get("submission") or {}
    if sub.get("status") in STATUS:
        out.append(STATUS[sub["status"]])
    if sub.get("superseded_by"):
        out.append("以后报文件为准")
    missing = (meta.get("normalization") or {}).get("missing") or []
    if missing:
        out.append(f"{len(missing)} 个文件无版式文件")
    if meta.get("报送单位") and meta.get("报送单位") not in (meta.get("责任者") or []):
        out.append(f"报送单位：{meta['报送单位']}")
    return "；".join(out)


def rows(records: list[dict]) -> list[tuple]:
    return [(m["序号"], m["档号"], m.get("文件编号") or "", "、".join(m.get("责任者") or []), m["题名"],
             (m.get("日期") or "").replace("-", ""), m.get("密级") or "", m.get("页数") or "", remark(m))
            for m in sorted(records, key=lambda m: m["序号"])]


def _width(text: str) -> int:
    """Display width in spreadsheet column units: a CJK character takes two."""
    import unicodedata

    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def write_xlsx(plan: YearPlan, records: list[dict], path: Path, *, date=None) -> Path:
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Border, Font, Side

    from ..workbooks import save_deterministic, set_text_safe

    wb = Workbook()
    ws = wb.active
    ws.title = NAME
    cfg = plan.config
    ws.append([f"{cfg.fonds_name}（全宗号 {cfg.fonds}）{plan.year}年度 归档文件目录"])
    ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=len(COLUMNS))
    ws["A1"].font = Font(bold=True, size=14)
    ws["A1"].alignment = Alignment(horizontal="center")
    ws.append(list(COLUMNS))
    thin = Side(style="thin")
    border = Border(left=thin, right=thin, top=thin, bottom=thin)
    wrap, bold = Alignment(wrap_text=True, vertical="top"), Font(bold=True)
    for cell in ws[2]:
        cell.border, cell.alignment, cell.font = border, wrap, bold
    for r, row in enumerate(rows(records), start=3):
        lines = 1                               # LibreOffice does not grow wrapped rows of an .xlsx by itself
        for c, value in enumerate(row, start=1):
            cell = ws.cell(r, c)
            if isinstance(value, int):
                cell.value = value
            else:
                set_text_safe(cell, value)
            cell.border, cell.alignment = border, wrap
            lines = max(lines, -(-_width(str(cell.value or "")) // max(1, WIDTHS[c - 1] - 1)))
        ws.row_dimensions[r].height = 15 * lines
    for i, w in enumerate(WIDTHS, start=1):
        ws.column_dimensions[chr(64 + i)].width = w
    ws.print_title_rows = "2:2"
    ws.page_setup.orientation = "landscape"
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.fitToWidth, ws.page_setup.fitToHeight = 1, 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.freeze_panes = "A3"
    path.parent.mkdir(parents=True, exist_ok=True)
    return save_deterministic(wb, path, date=date)


def write_catalogue(plan: YearPlan, records: list[dict], staging: Path) -> dict:
    """Write ``data/catalogue/归档文件目录.xlsx`` and its PDF/A-2b into the payload; returns their bag paths."""
    from .. import converter
    from .stamp import write_pdf_description

    folder = staging / CATALOGUE_DIR
    from ..reproducible import today

    sealed = today()                          # the catalogue is made on the day of the seal
    xlsx = write_xlsx(plan, records, folder / f"{NAME}.xlsx", date=sealed)
    pdf = folder / f"{NAME}.pdf"
    converter.convert_to_pdf([(xlsx, pdf)], workers=1, document_date=sealed)
    cfg = plan.config
    write_pdf_description(pdf, title=f"{cfg.fonds_name}{plan.year}年度归档文件目录", creators=[cfg.fonds_name],
                          identifier=f"{cfg.fonds}-{cfg.category}·{plan.year}-{NAME}")
    return {"xlsx": f"data/{CATALOGUE_DIR}/{NAME}.xlsx", "pdf": f"data/{CATALOGUE_DIR}/{NAME}.pdf",
            "rows": len(records)}

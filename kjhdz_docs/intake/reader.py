"""The one reader of submitted workbooks (.xlsx, .xls, .ods): grids of cell values, fast.

python-calamine reads all three formats (~3,000 files/s). It cannot tell a formula that has no
cached value from a blank cell, so for .xlsx :func:`formula_cells_without_value` looks at the
sheet's XML itself (parsed with defusedxml, only when a blank is found where a value belongs).
Every file passes :mod:`.safety` before calamine opens it.

Grid coordinates are 0-based (row, column); :func:`a1` turns them into ``C5`` for messages.
"""

from __future__ import annotations

import datetime as _dt
import io
import posixpath
import re
import zipfile
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

from defusedxml import ElementTree as SafeET
from python_calamine import CalamineWorkbook

from .safety import UnsafeFile, check_file

_NS_MAIN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
_NS_REL = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"
_NS_PKG_REL = "{http://schemas.openxmlformats.org/package/2006/relationships}"


def column_letter(col: int) -> str:
    """0-based column index → ``A``, ``B`` … ``AA``."""
    out = ""
    col += 1
    while col:
        col, rem = divmod(col - 1, 26)
        out = chr(65 + rem) + out
    return out


def a1(row: int, col: int) -> str:
    """0-based (row, column) → ``A1`` reference."""
    return f"{column_letter(col)}{row + 1}"


def _parse_a1(ref: str) -> tuple[int, int]:
    m = re.fullmatch(r"\$?([A-Z]+)\$?(\d+)", ref)
    if not m:
        raise ValueError(ref)
    col = 0
    for ch in m.group(1):
        col = col * 26 + ord(ch) - 64
    return int(m.group(2)) - 1, col - 1


@dataclass
class Sheet:
    name: str
    rows: list[list]                                   # from A1, values as calamine gives them
    merged: list[tuple[tuple[int, int], tuple[int, int]]] = field(default_factory=list)
    visible: bool = True

    def value(self, row: int, col: int):
        if 0 <= row < len(self.rows) and 0 <= col < len(self.rows[row]):
            return self.rows[row][col]
        return ""

    @property
    def height(self) -> int:
        return len(self.rows)

    @cached_property
    def width(self) -> int:
        return max((len(r) for r in self.rows), default=0)

    @cached_property
    def _merged_at(self) -> dict[tuple[int, int], tuple[tuple[int, int], tuple[int, int]]]:
        out = {}
        for (r0, c0), (r1, c1) in self.merged:
            if (r1 - r0 + 1) * (c1 - c0 + 1) > 10_000:
                continue
            for r in range(r0, r1 + 1):
                for c in range(c0, c1 + 1):
                    out[(r, c)] = ((r0, c0), (r1, c1))
        return out

    def merged_range(self, row: int, col: int):
        """The merged range covering (row, col), or None."""
        return self._merged_at.get((row, col))

    def last_col_of(self, row: int, col: int) -> int:
        """The last column of the cell at (row, col), merged ranges included."""
        rng = self.merged_range(row, col)
        return rng[1][1] if rng else col


@dataclass
class WorkbookGrid:
    path: Path
    format: str                        # xlsx | xls | ods
    sheets: list[Sheet]
    warnings: tuple[str, ...] = ()     # macros, external links, DDE formulas (see :mod:`.safety`)
    data: bytes | None = field(default=None, repr=False)   # the file's bytes, when the caller read them

    def formula_cells_without_value(self, sheet: str) -> set[tuple[int, int]]:
        if self.format != "xlsx":
            return set()   # .xls and .ods always store a formula's result
        return formula_cells_without_value(self.data if self.data is not None else self.path, sheet)

    def cell_details(self, sheet: str) -> dict[tuple[int, int], tuple[bool, str | None]]:
        """(row, col) → (is a formula, number format code) of every cell of ``sheet`` that has a style or a
        formula; .xlsx only (empty for .xls/.ods, whose values are taken as calamine gives them)."""
        if self.format != "xlsx":
            return {}
        try:
            return cell_details(self.data if self.data is not None else self.path, sheet)
        except (zipfile.BadZipFile, KeyError, SafeET.ParseError, ValueError):
            return {}


class UnreadableWorkbook(UnsafeFile):
    pass


def read_workbook(path: Path, data: bytes | None = None) -> WorkbookGrid:
    """Check and read every sheet of ``path`` (from its bytes ``data`` when the caller already read them);
    raises :class:`UnsafeFile` with a rule and a message."""
    path = path if isinstance(path, Path) else Path(path)
    sniffed = check_file(path, data)
    try:
        source = sniffed.unpacked if sniffed.unpacked is not None else data     # the checked members, stored
        wb = CalamineWorkbook.from_path(str(path)) if source is None else CalamineWorkbook.from_filelike(io.BytesIO(source))
    except Exception as exc:  # calamine raises its own error types (PasswordError, ZipError, XlsError …)
        name = type(exc).__name__
        if "Password" in name or "password" in str(exc).lower():
            raise UnreadableWorkbook("password-protected", "工作簿设置了打开密码，无法读取；请取消密码后重新报送") from None
        raise UnreadableWorkbook("corrupt-file", f"文件已损坏或格式无法识别（{exc}），请用 Excel 或 WPS 另存为 .xlsx 后重新报送") from None
    sheets = []
    try:
        for meta in wb.sheets_metadata:
            if "WorkSheet" not in str(meta.typ):
                continue   # chart sheets, macro sheets
            sh = wb.get_sheet_by_name(meta.name)
            rows = sh.to_python(skip_empty_area=False)
            try:
                merged = [tuple(map(tuple, rng)) for rng in (sh.merged_cell_ranges or [])]
            except Exception:  # not every format reports merged ranges
                merged = []
            sheets.append(Sheet(meta.name, rows, merged, visible="Visible" in str(meta.visible)
                                and "Hidden" not in str(meta.visible)))
    except Exception as exc:
        raise UnreadableWorkbook("corrupt-file", f"工作表无法读取（{exc}），请用 Excel 或 WPS 另存为 .xlsx 后重新报送") from None
    finally:
        wb.close()
    if sniffed.format == "ods" and not any(s.merged for s in sheets):
        try:                      # calamine reports no merged cells for .ods: read them from content.xml
            spans = ods_merged_ranges(io.BytesIO(data) if data is not None else path)
        except (zipfile.BadZipFile, KeyError, SafeET.ParseError, ValueError, OSError):
            spans = {}
        for sheet in sheets:
            sheet.merged = spans.get(sheet.name, [])
    return WorkbookGrid(path, sniffed.format, sheets, sniffed.warnings, data)

def _zip(source: Path | bytes) -> zipfile.ZipFile:
    return zipfile.ZipFile(io.BytesIO(source) if isinstance(source, (bytes, bytearray)) else source)

_NS_TABLE = "{urn:oasis:names:tc:opendocument:xmlns:table:1.0}"


def ods_merged_ranges(source) -> dict[str, list[tuple[tuple[int, int], tuple[int, int]]]]:
    """Sheet name → merged ranges ((row, col), (last row, last col)), 0-based, of an .ods (``content.xml``:
    ``table:number-rows-spanned`` / ``table:number-columns-spanned`` of each cell)."""
    t = _NS_TABLE
    out: dict[str, list[tuple[tuple[int, int], tuple[int, int]]]] = {}
    with zipfile.ZipFile(source) as zf, zf.open("content.xml") as fh:
        name, row = None, 0
        for event, el in SafeET.iterparse(fh, events=("start", "end"), forbid_dtd=True):
            if event == "start":
                if el.tag == f"{t}table":
                    name, row = el.get(f"{t}name"), 0
                    out.setdefault(name, [])
                continue
            if el.tag == f"{t}table-row" and name is not None:
                repeat = int(el.get(f"{t}number-rows-repeated", "1"))
                col, spans = 0, []
                for cell in el:
                    rows = int(cell.get(f"{t}number-rows-spanned", "1"))
                    cols = int(cell.get(f"{t}number-columns-spanned", "1"))
                    if rows > 1 or cols > 1:
                        spans.append((col, rows, cols))
                    col += int(cell.get(f"{t}number-columns-repeated", "1"))
                for k in range(min(repeat, 1000) if spans else 0):
                    out[name].extend(((row + k, c), (row + k + rows - 1, c + cols - 1)) for c, rows, cols in spans)
                row += repeat
                el.clear()
            elif el.tag == f"{t}table":
                name = None
    return out


def formula_cells_without_value(path: Path | bytes, sheet_name: str) -> set[tuple[int, int]]:
    """(row, col) of every formula cell in ``sheet_name`` of an .xlsx that has no cached value."""
    return set(formula_texts(path, sheet_name))


def formula_texts(path: Path | bytes, sheet_name: str) -> dict[tuple[int, int], str]:
    """(row, col) → formula (``=HYPERLINK(…)``) of every formula cell in ``sheet_name`` of an .xlsx that has
    no cached value."""
    out: dict[tuple[int, int], str] = {}
    with _zip(path) as zf:
        part = _sheet_part(zf, sheet_name)
        if part is None:
            return out
        with zf.open(part) as fh:
            for _, el in SafeET.iterparse(fh, events=("end",), forbid_dtd=True):
                if el.tag != f"{_NS_MAIN}c":
                    continue
                f = el.find(f"{_NS_MAIN}f")
                v = el.find(f"{_NS_MAIN}v")
                is_ = el.find(f"{_NS_MAIN}is")
                if f is not None and (v is None or v.text in (None, "")) and is_ is None and el.get("r"):
                    out[_parse_a1(el.get("r"))] = "=" + (f.text or "")
                el.clear()
    return out


# the built-in number formats of SpreadsheetML (ECMA-376 §18.8.30) that matter for numbers
BUILTIN_FORMATS = {0: "General", 1: "0", 2: "0.00", 3: "#,##0", 4: "#,##0.00", 9: "0%", 10: "0.00%",
                   11: "0.00E+00", 12: "# ?/?", 13: "# ??/??", 37: "#,##0 ;(#,##0)", 38: "#,##0 ;[Red](#,##0)",
                   39: "#,##0.00;(#,##0.00)", 40: "#,##0.00;[Red](#,##0.00)", 48: "##0.0E+0", 49: "@"}


def cell_details(path: Path | bytes, sheet_name: str) -> dict[tuple[int, int], tuple[bool, str | None]]:
    """(row, col) → (is a formula, number format code or None) for the styled or formula cells of a sheet."""
    out: dict[tuple[int, int], tuple[bool, str | None]] = {}
    with _zip(path) as zf:
        part = _sheet_part(zf, sheet_name)
        if part is None:
            return out
        xf_formats: list[str | None] = []
        if "xl/styles.xml" in zf.namelist():
            styles = SafeET.fromstring(zf.read("xl/styles.xml"), forbid_dtd=True)
            custom = {int(n.get("numFmtId", "0")): n.get("formatCode", "")
                      for n in styles.iter(f"{_NS_MAIN}numFmt")}
            xfs = styles.find(f"{_NS_MAIN}cellXfs")
            for xf in (xfs if xfs is not None else ()):
                fid = int(xf.get("numFmtId", "0"))
                xf_formats.append(custom.get(fid, BUILTIN_FORMATS.get(fid)))
        with zf.open(part) as fh:
            for _, el in SafeET.iterparse(fh, events=("end",), forbid_dtd=True):
                if el.tag != f"{_NS_MAIN}c":
                    continue
                ref, style = el.get("r"), el.get("s")
                formula = el.find(f"{_NS_MAIN}f") is not None
                if ref and (formula or style):
                    idx = int(style) if style and style.isdigit() else 0
                    out[_parse_a1(ref)] = (formula, xf_formats[idx] if idx < len(xf_formats) else None)
                el.clear()
    return out


def _sheet_part(zf: zipfile.ZipFile, sheet_name: str) -> str | None:
    wb = SafeET.fromstring(zf.read("xl/workbook.xml"), forbid_dtd=True)
    rid = None
    for sh in wb.iter(f"{_NS_MAIN}sheet"):
        if sh.get("name") == sheet_name:
            rid = sh.get(f"{_NS_REL}id")
    if rid is None:
        return None
    rels = SafeET.fromstring(zf.read("xl/_rels/workbook.xml.rels"), forbid_dtd=True)
    for rel in rels.iter(f"{_NS_PKG_REL}Relationship"):
        if rel.get("Id") == rid:
            target = rel.get("Target", "")
            return target.lstrip("/") if target.startswith("/") else posixpath.normpath(posixpath.join("xl", target))
    return None


def is_blank(value) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def cell_text(value) -> str:
    """A cell value as the text a person typed (numbers without a spurious ``.0``)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() and abs(value) < 1e15 else repr(value)
    if isinstance(value, _dt.datetime) and value.time() == _dt.time(0):
        return value.date().isoformat()
    if isinstance(value, (_dt.datetime, _dt.date, _dt.time)):
        return value.isoformat()
    return str(value)

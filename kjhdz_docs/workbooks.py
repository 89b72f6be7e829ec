"""openpyxl: every .xlsx this project writes (blank forms, output tables) goes through here.

- Cell values from users are written as text when they could be read as a formula
  (``= + - @`` first, or a tab/CR): formula injection is impossible by construction.
- Saving is deterministic: fixed document properties and fixed zip timestamps, so the same
  inputs give byte-identical files.
"""

from __future__ import annotations

import datetime as _dt
import os
import re
import zipfile
from pathlib import Path

from openpyxl import Workbook
from openpyxl.cell.cell import Cell

FIXED_TIME = _dt.datetime(2000, 1, 1, 0, 0, 0)
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_MODIFIED = re.compile(rb"(<dcterms:modified[^>]*>)[^<]*(</dcterms:modified>)")


def set_text_safe(cell: Cell, value) -> Cell:
    """Write ``value``; strings that a spreadsheet could take as a formula are stored as text."""
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        cell.value = value
        cell.data_type = "s"   # a string cell, never "f"
        cell.quotePrefix = True
    else:
        cell.value = value
    return cell


def save_deterministic(wb: Workbook, path: Path) -> Path:
    """Save ``wb`` to ``path`` so identical content gives identical bytes; atomic rename."""
    wb.properties.creator = "kjhdz-docs"
    wb.properties.lastModifiedBy = "kjhdz-docs"
    wb.properties.created = FIXED_TIME
    wb.properties.modified = FIXED_TIME
    path.parent.mkdir(parents=True, exist_ok=True)
    raw = path.with_name(f".{path.name}.raw")
    tmp = path.with_name(f".{path.name}.part")
    wb.save(raw)
    with zipfile.ZipFile(raw) as src, zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            data = src.read(info.filename)
            if info.filename == "docProps/core.xml":   # openpyxl stamps "modified" with the clock on save
                data = _MODIFIED.sub(rb"\g<1>" + FIXED_TIME.strftime("%Y-%m-%dT%H:%M:%SZ").encode() + rb"\g<2>", data)
            fixed = zipfile.ZipInfo(info.filename, date_time=FIXED_TIME.timetuple()[:6])
            fixed.compress_type = zipfile.ZIP_DEFLATED
            fixed.external_attr = 0o600 << 16
            dst.writestr(fixed, data)
    raw.unlink()
    os.replace(tmp, path)
    return path

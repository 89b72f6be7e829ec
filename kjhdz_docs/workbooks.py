"""openpyxl: every .xlsx this project writes (blank forms, output tables) goes through here.

- Cell values from users are written as text when they could be read as a formula
  (``= + - @`` first, or a tab/CR): formula injection is impossible by construction.
- Saving is deterministic: fixed document properties and fixed zip timestamps, so the same
  inputs give byte-identical files.
"""

from __future__ import annotations

import datetime as _dt

from pathlib import Path

from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE, Cell

from .ooxml import FIXED_TIME, publish_deterministic

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def visible_controls(text: str) -> str:
    """Control characters a worksheet cannot hold (e.g. in a submitted file's name) written as ``\\x01``."""
    return ILLEGAL_CHARACTERS_RE.sub(lambda m: f"\\x{ord(m.group()):02x}", text)


def set_text_safe(cell: Cell, value) -> Cell:
    """Write ``value``; strings that a spreadsheet could take as a formula are stored as text, control
    characters a worksheet cannot hold are shown as ``\\x01``."""
    if isinstance(value, str):
        value = visible_controls(value)
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        cell.value = value
        cell.data_type = "s"   # a string cell, never "f"
        cell.quotePrefix = True
    else:
        cell.value = value
    return cell


def save_deterministic(wb: Workbook, path: Path, *, date=None) -> Path:
    """Save ``wb`` to ``path`` so identical content gives identical bytes; atomic rename.

    ``date`` is the workbook's own date (ISO string or date; see :mod:`kjhdz_docs.reproducible`); without
    one (blank forms, specimens) a fixed time is written."""
    from .reproducible import document_time

    when = document_time(date) if date else None
    # openpyxl writes these as UTC ("…Z") whatever their zone: give it the UTC time, without a zone
    stamp = when.astimezone(_dt.timezone.utc).replace(tzinfo=None) if when else FIXED_TIME
    wb.properties.creator = "kjhdz-docs"
    wb.properties.lastModifiedBy = "kjhdz-docs"
    wb.properties.created = stamp
    wb.properties.modified = stamp
    path.parent.mkdir(parents=True, exist_ok=True)
    raw = path.with_name(f".{path.name}.raw")
    wb.save(raw)
    return publish_deterministic(raw, path, when=when)

"""Finding a form's fields by their label text, wherever a unit moved them.

Labels are compared after :func:`label_key`: NFKC (full-width → half-width punctuation and digits),
no whitespace, no bracketed remark (``（单位：万元）``, ``（如：…）``, ``（盖章）``), no leading numbering
(``1.``, ``一、``, ``（1）``) and no trailing colon.
"""

from __future__ import annotations

import re
import unicodedata

from .reader import Sheet, is_blank

_BRACKETS = re.compile(r"\([^()]*\)|\[[^\[\]]*\]|【[^【】]*】")
_NUMBERING = re.compile(r"^(?:\d{1,2}[.、)]|[一二三四五六七八九十]{1,3}[、.]|\(\d{1,2}\)|\([一二三四五六七八九十]{1,3}\))")


def squash(text) -> str:
    """NFKC and no whitespace at all."""
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", str(text)))


def label_key(text) -> str:
    s = squash(text)
    prev = None
    while prev != s:
        prev = s
        s = _BRACKETS.sub("", s)
    s = _NUMBERING.sub("", s)
    return s.strip(":;,.、*").strip()


def find_cells(sheet: Sheet, predicate, *, max_chars: int = 80) -> list[tuple[int, int, str]]:
    """Every (row, col, key) of a text cell whose :func:`label_key` satisfies ``predicate``."""
    out = []
    for r, row in enumerate(sheet.rows):
        for c, value in enumerate(row):
            if isinstance(value, str) and value and len(value) <= max_chars:
                key = label_key(value)
                if key and predicate(key):
                    out.append((r, c, key))
    return out


def index_labels(sheet: Sheet, keys: dict[str, str]) -> dict[str, tuple[int, int]]:
    """Where each wanted label (id → key) sits in ``sheet``; the first occurrence in reading order wins.

    A cell matches a key when they are equal, or when the cell holds the key plus a short prefix
    or suffix (a group label before it, a unit after it) and no other key does better.
    """
    found: dict[str, tuple[int, int]] = {}
    by_key = {v: k for k, v in keys.items()}
    for r, row in enumerate(sheet.rows):
        for c, value in enumerate(row):
            if not isinstance(value, str) or not value or len(value) > 80:
                continue
            key = label_key(value)
            if not key:
                continue
            ident = by_key.get(key)
            if ident is None:
                near = [(len(k), i) for k, i in by_key.items() if k in key and len(key) - len(k) <= 12]
                ident = max(near)[1] if near else None
            if ident is not None and ident not in found:
                found[ident] = (r, c)
    return found


def value_right_of(sheet: Sheet, row: int, col: int, *, skip=lambda v: False):
    """The first non-blank cell to the right of the label at (row, col), past the label's merged range.

    Returns (col, value) or None. Cells for which ``skip(value)`` is true (e.g. a unit column
    holding ``万元``) are passed over.
    """
    start = sheet.last_col_of(row, col) + 1
    for c in range(start, sheet.width):
        v = sheet.value(row, c)
        if is_blank(v) or skip(v):
            continue
        return c, v
    return None

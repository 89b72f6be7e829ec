"""Finding a form's fields by their label text, wherever a unit moved them.

Labels are compared after :func:`label_key`: NFKC (full-width → half-width punctuation and digits),
no whitespace, no bracketed remark (``（单位：万元）``, ``（如：…）``, ``（盖章）``), no leading numbering
(``1.``, ``一、``, ``（1）``) and no trailing colon.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

from .reader import Sheet

_BRACKETS = re.compile(r"\([^()]*\)|\[[^\[\]]*\]|【[^【】]*】")
_NUMBERING = re.compile(r"^(?:\d{1,2}[.、)]|[一二三四五六七八九十]{1,3}[、.]|\(\d{1,2}\)|\([一二三四五六七八九十]{1,3}\))")


@lru_cache(maxsize=8192)
def _squash(text: str) -> str:
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", text))


def squash(text) -> str:
    """NFKC and no whitespace at all."""
    return _squash(text if isinstance(text, str) else str(text))


def label_key(text) -> str:
    return _label_key(text if isinstance(text, str) else str(text))


@lru_cache(maxsize=8192)
def _label_key(text: str) -> str:
    s = _squash(text)
    prev = None
    while prev != s:
        prev = s
        s = _BRACKETS.sub("", s)
    s = _NUMBERING.sub("", s)
    return s.strip(":;,.、*").strip()


def index_labels(sheet: Sheet, keys: dict[str, str]) -> dict[str, tuple[int, int]]:
    """Where each wanted label (id → key) sits in ``sheet``; the first occurrence in reading order wins.

    A cell matches a key when they are equal, or when the cell holds the key plus a short prefix
    or suffix (a group label before it, a unit after it) and no other key does better.
    """
    found: dict[str, tuple[int, int]] = {}
    wanted = tuple(sorted((v, k) for k, v in keys.items()))
    for r, row in enumerate(sheet.rows):
        for c, value in enumerate(row):
            if not isinstance(value, str) or not value or len(value) > 80:
                continue
            ident = _which(value, wanted)
            if ident is not None and ident not in found:
                found[ident] = (r, c)
    return found


@lru_cache(maxsize=16384)
def _which(text: str, wanted: tuple[tuple[str, str], ...]) -> str | None:
    key = _label_key(text)
    if not key:
        return None
    for k, ident in wanted:
        if k == key:
            return ident
    near = [(len(k), ident) for k, ident in wanted if k in key and len(key) - len(k) <= 12]
    return max(near)[1] if near else None


def value_right_of(sheet: Sheet, row: int, col: int, *, skip=lambda v: False):
    """The first non-blank cell to the right of the label at (row, col), past the label's merged range.

    Returns (col, value) or None. Cells for which ``skip(value)`` is true (e.g. a unit column
    holding ``万元``) are passed over.
    """
    start = sheet.last_col_of(row, col) + 1
    cells = sheet.rows[row] if 0 <= row < len(sheet.rows) else ()
    for c in range(start, len(cells)):
        v = cells[c]
        if v == "" or v is None or (type(v) is str and (not v.strip() or skip(v))):
            continue
        if type(v) is not str and skip(v):
            continue
        return c, v
    return None


def find_lines(sheets: list[Sheet], pattern: re.Pattern, *, max_rows: int | None = None):
    """Yield ``(sheet, row, col, match)`` for every text cell whose squashed text matches ``pattern``
    (a "地方/部门：…" or "推荐单位：…" line), sheet by sheet in the order given, in reading order."""
    for sheet in sheets:
        for r, row in enumerate(sheet.rows[:max_rows] if max_rows else sheet.rows):
            for c, value in enumerate(row):
                if not isinstance(value, str) or len(value) > 120:
                    continue
                m = pattern.match(squash(value))
                if m:
                    yield sheet, r, c, m


_STAMP = re.compile(r"\((?:盖章|公章|签章|章|盖公章)\)")


def issuer_text(text) -> str | None:
    """The organization as a form names itself (``北京市科学技术委员会``), from the text of its 地方/部门 or
    推荐单位 line or column: NFKC, no whitespace, no ``（盖章）``/``（公章）`` remark, no stray punctuation."""
    if text is None:
        return None
    s = _STAMP.sub("", squash(text)).strip(":;,.、*_ ")
    return s or None

"""Dates as people write them in a 推荐表's 举办时间 column, read into date spans.

Understood (full-width digits and punctuation too, and Chinese numerals such as 五月二十五日)::

    5月25日   5月25号   2024年5月25日   2024.5.25   2024/5/25   2024-05-25   2024-05-25 00:00:00
    5月25日—6月1日   2024年5月25日-2024年6月1日   5月25日至27日   5月25-27日   5.25-6.1
    5/25   5月25日、26日   活动周期间 (the whole week)

A missing year is the list's year; the second half of a range borrows the first half's year and
month. Short dotted dates (5.25) are only read when the text has no other kind of date, so times
such as 9.30 are not taken for dates next to a real one.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from dataclasses import dataclass

__all__ = ["DateSpan", "DateReading", "read_dates", "normalise"]

_CN_DIGITS = {"〇": 0, "零": 0, "○": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6,
              "七": 7, "八": 8, "九": 9}
_CN_NUMBER = re.compile(r"([〇零○一二两三四五六七八九十]+)(?=\s*[年月日号])")

_DASH = r"(?:\s*(?:[-~—–―‐‑‒〜～至到]|－)+\s*)"
_Y = r"(?P<{0}y>(?:19|20)\d{{2}})"
_PATTERNS = [
    # 2024-05-25, 2024.5.25, 2024/5/25 (year first, any one separator)
    ("num", re.compile(r"(?<!\d)" + _Y.format("") + r"\s*(?P<sep>[./-])\s*(?P<m>\d{1,2})\s*(?P=sep)\s*"
                       r"(?P<d>\d{1,2})(?!\d)\s*[日号]?")),
    # 2024年5月25日, 5月25日, 5月25号, 5月25
    ("cn", re.compile(r"(?:" + _Y.format("") + r"\s*年\s*)?(?<!\d)(?P<m>\d{1,2})\s*月\s*(?P<d>\d{1,2})(?!\d)"
                      r"\s*[日号]?")),
    # 5.25, 5/25 (only when nothing else is found)
    ("dot", re.compile(r"(?<![\d.:/])(?P<m>\d{1,2})(?P<sep>[./])(?P<d>\d{1,2})(?![\d.:/])")),
]
_DAY_ONLY = re.compile(r"(?P<d>\d{1,2})\s*[日号]")
_WEEK_WORDS = ("活动周期间", "科技周期间", "科技活动周期间", "活动周全周", "活动周内")


@dataclass(frozen=True)
class DateSpan:
    start: dt.date
    end: dt.date
    text: str                      # the words it was read from

    def within(self, first: dt.date, last: dt.date) -> bool:
        return first <= self.start and self.end <= last


@dataclass
class DateReading:
    spans: list[DateSpan]
    invalid: list[str]             # things that look like dates but are none (2月30日, 13月1日)


def normalise(text: str) -> str:
    """NFKC (full-width digits and punctuation to ASCII) and Chinese numerals before 年/月/日 to digits."""
    text = unicodedata.normalize("NFKC", text)
    return _CN_NUMBER.sub(lambda m: str(_cn_to_int(m.group(1))), text)


def _cn_to_int(word: str) -> int:
    if "十" not in word:                      # 二〇二四, 五, 二五
        return int("".join(str(_CN_DIGITS[c]) for c in word))
    tens, _, ones = word.partition("十")
    return (_CN_DIGITS[tens] if tens else 1) * 10 + (_CN_DIGITS[ones] if ones else 0)


@dataclass
class _Token:
    start: int
    end: int
    year: int | None
    month: int | None              # None: a bare day (27日) after a dash or 、
    day: int


def _tokens(text: str) -> list[_Token]:
    taken: list[tuple[int, int]] = []
    found: list[_Token] = []

    def free(a: int, b: int) -> bool:
        return all(b <= s or a >= e for s, e in taken)

    for kind, pattern in _PATTERNS:
        if kind == "dot" and found:
            break
        for m in pattern.finditer(text):
            if not free(m.start(), m.end()):
                continue
            year = m.groupdict().get("y")
            found.append(_Token(m.start(), m.end(), int(year) if year else None, int(m["m"]), int(m["d"])))
            taken.append((m.start(), m.end()))
    if found:
        for m in _DAY_ONLY.finditer(text):
            if free(m.start(), m.end()):
                found.append(_Token(m.start(), m.end(), None, None, int(m["d"])))
                taken.append((m.start(), m.end()))
    return sorted(found, key=lambda t: t.start)


def _date(year: int, month: int, day: int) -> dt.date | None:
    try:
        return dt.date(year, month, day)
    except ValueError:
        return None


def read_dates(text: str, year: int, week: tuple[dt.date, dt.date] | None = None) -> DateReading:
    """Every date or date range in ``text``; a year left out is ``year``.

    ``week`` (first, last day) is what words such as 活动周期间 stand for.
    """
    norm = normalise(text or "")
    spans: list[DateSpan] = []
    starts: list[int] = []                                  # where each span's words begin
    invalid: list[str] = []
    prev: tuple[_Token, dt.date] | None = None
    for tok in _tokens(norm):
        between = norm[prev[0].end:tok.start] if prev else ""
        joined_range = prev is not None and re.fullmatch(_DASH, between) is not None
        listed = prev is not None and re.fullmatch(r"\s*[、,，和及]\s*", between) is not None
        if tok.month is None:                               # 27日: needs the date before it
            if prev is None or not (joined_range or listed):
                continue
            day = _date(prev[1].year, prev[1].month, tok.day)
        else:
            y = tok.year or (prev[1].year if (joined_range or listed) else year)
            day = _date(y, tok.month, tok.day)
        if day is None:
            invalid.append(norm[tok.start:tok.end].strip())
            prev = None
            continue
        if joined_range and spans and spans[-1].end == prev[1] and spans[-1].start <= day:
            first = spans.pop()
            spans.append(DateSpan(first.start, day, norm[starts[-1]:tok.end].strip()))
        else:
            spans.append(DateSpan(day, day, norm[tok.start:tok.end].strip()))
            starts.append(tok.start)
        prev = (tok, day)
    if not spans and week and any(w in norm for w in _WEEK_WORDS):
        spans.append(DateSpan(week[0], week[1], next(w for w in _WEEK_WORDS if w in norm)))
    return DateReading(spans, invalid)


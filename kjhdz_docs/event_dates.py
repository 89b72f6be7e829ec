"""Dates as people write them in a 推荐表's 举办时间 column, read into date spans.

Understood (full-width digits and punctuation too, and Chinese numerals such as 五月二十五日)::

    5月25日   5月25号   2024年5月25日   2024.5.25   2024/5/25   2024-05-25   2024-05-25 00:00:00
    5月25日—6月1日   2024年5月25日-2024年6月1日   5月25日至27日   5月25-27日   5.25-6.1
    5/25   5月25日、26日   活动周期间 (the whole week)
    2024/5/25-6/5   2024.5.25-27   5月25日-6.1   (the end of a range in another form than its start)

Imprecise dates (``5月下旬``, ``6月上旬``, ``5月底``, ``6月`` alone, also as the end of a range:
``5月25日至6月上旬``) are returned in ``imprecise``; the end of a range that cannot be read
(``5月25日-待定``, ``5月25日—？``) in ``unreadable``: a range is never taken for its first day.

A missing year is the list's year; the second half of a range borrows the first half's year and
month. Short dotted dates (5.25) are only read when the text has no other kind of date, so times
such as 9.30 are not taken for dates next to a real one.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from dataclasses import dataclass, field

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
    imprecise: list[str] = field(default_factory=list)    # 5月下旬, 6月上旬, 5月底, 6月 (a month alone)
    unreadable: list[str] = field(default_factory=list)   # the end of a range that cannot be read: 5月25日-待定


_IMPRECISE = re.compile(r"(?<!\d)(?:(?:19|20)\d{2}\s*年\s*)?\d{1,2}\s*月\s*(?:份\s*)?(?:上中旬|中下旬|上旬|中旬|下旬|初|底|末|中|"
                        r"(?![\d\s]))")
# the end of a range written another way than its start: 6/5, 6.5 (month/day), 27 (a day of the same month)
_END_MONTH_DAY = re.compile(r"(?P<m>\d{1,2})\s*[./]\s*(?P<d>\d{1,2})(?![\d./:])\s*[日号]?")
_END_DAY = re.compile(r"(?P<d>\d{1,2})(?![\d./:月时点])")
_DATEISH = re.compile(r"[\d〇零一二三四五六七八九十?？]|待定|另行|未定")


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
    found.sort(key=lambda t: t.start)
    for tok in list(found):                     # the end of a range written another way: 2024/5/25-6/5
        dash = re.compile(_DASH).match(text, tok.end)
        if dash is None or any(t.start == dash.end() for t in found):
            continue
        m = _END_MONTH_DAY.match(text, dash.end()) or _END_DAY.match(text, dash.end())
        if m is not None and free(m.start(), m.end()):
            month = int(m["m"]) if "m" in m.groupdict() and m.groupdict().get("m") else None
            found.append(_Token(m.start(), m.end(), None, month, int(m["d"])))
            taken.append((m.start(), m.end()))
    return sorted(found, key=lambda t: t.start)


def _range_ends(text: str, tokens: list[_Token]) -> tuple[list[str], list[str]]:
    """Imprecise dates, and range ends that cannot be read (text after a date and a dash)."""
    imprecise, unreadable = [], []
    covered = [(t.start, t.end) for t in tokens]
    for m in _IMPRECISE.finditer(text):
        if all(m.end() <= a or m.start() >= b for a, b in covered):
            imprecise.append(m.group(0).strip())
            covered.append((m.start(), m.end()))
    for tok in tokens:
        dash = re.compile(_DASH).match(text, tok.end)
        if dash is None or any(t.start == dash.end() for t in tokens):
            continue
        rest = text[dash.end():]
        if any(a == dash.end() for a, _ in covered) or not rest or not _DATEISH.match(rest):
            continue
        word = re.match(r"[^\s,，;；、()]{1,12}", rest)
        if word and not re.fullmatch(r"\d{1,2}:\d{2}", word.group(0)):
            unreadable.append(word.group(0))
    return imprecise, unreadable


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
    tokens = _tokens(norm)
    imprecise, unreadable = _range_ends(norm, tokens)
    for tok in tokens:
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
    return DateReading(spans, invalid, imprecise, unreadable)


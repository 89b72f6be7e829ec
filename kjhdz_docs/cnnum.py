"""Numbers written the way Chinese official reports write them.

- counts: ``1,234人次`` below 10 000, ``12.35万人次`` from 1万, ``1.23亿人次`` from 1亿;
- money (the forms count in 万元): ``4,567.89万元``, and ``12.35亿元`` from 1亿元 (10 000万元);
- changes: ``增长12.3%`` / ``下降4.5%`` / ``持平``; shares ``38.25%``;
- ordinals for headings: ``一``, ``十二`` …

Rounding is ROUND_HALF_UP on exact decimals (never float), and the magnitude is chosen *after*
rounding, so 99 995 000 is ``1亿``, not ``10000万``. Trailing zeros of the 万/亿 forms are dropped
(``1.2亿``, ``3万``); the plain 万元 form always keeps two decimals, as the forms do.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

WAN = Decimal(10_000)
YI = Decimal(100_000_000)
CENT = Decimal("0.01")

Number = int | Decimal


def _dec(value: Number | float | str) -> Decimal:
    if isinstance(value, Decimal):
        return value
    if isinstance(value, float):
        return Decimal(repr(value))
    return Decimal(value)


def round_half_up(value: Number, places: int = 2) -> Decimal:
    """``value`` rounded to ``places`` decimals, halves away from zero."""
    return _dec(value).quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)


def group_digits(value: Number, places: int = 0) -> str:
    """``1234567.8`` → ``1,234,567.80`` (``places`` decimals, thousands separators)."""
    q = round_half_up(value, places)
    return f"{q:,.{places}f}"


def _trim(text: str) -> str:
    return text.rstrip("0").rstrip(".") if "." in text else text


def scaled(value: Number, places: int = 2) -> str:
    """A magnitude the Chinese way: ``1,234``, ``12.35万``, ``1.23亿`` (no unit word)."""
    d = _dec(value)
    sign = "-" if d < 0 else ""
    d = abs(d)
    if d >= WAN:
        wan = round_half_up(d / WAN, places)
        if d >= YI or wan >= WAN:          # 9999.995万 rounds to 1亿
            return f"{sign}{_trim(f'{round_half_up(d / YI, places):,.{places}f}')}亿"
        return f"{sign}{_trim(f'{wan:,.{places}f}')}万"
    # below 1万: an integer shows as an integer, a fraction with its decimals
    if d == d.to_integral_value():
        return f"{sign}{group_digits(d, 0)}"
    return f"{sign}{_trim(group_digits(d, places))}"


def count(value: Number, unit: str = "") -> str:
    """A count with its unit word: ``count(123456789, "人次")`` → ``1.23亿人次``."""
    return f"{scaled(value)}{unit}"


def money_wan(value: Number) -> str:
    """An amount given in 万元: ``4,567.89万元``; from 1亿元 on, ``12.35亿元``."""
    d = _dec(value)
    q = round_half_up(d, 2)
    if abs(q) >= WAN:
        yi = round_half_up(d / WAN, 2)
        return f"{_trim(f'{yi:,.2f}')}亿元"
    return f"{group_digits(q, 2)}万元"


def plain_money(value: Number) -> str:
    """An amount in 万元 for a table cell: ``4,567.89`` (always two decimals)."""
    return group_digits(value, 2)


def plain_count(value: Number) -> str:
    """A count for a table cell: ``1,234,567``."""
    return group_digits(value, 0)


def percent(ratio: Number | None, places: int = 2) -> str:
    """A ratio as a percentage: ``0.38251`` → ``38.25%``; ``None`` → ``—``."""
    if ratio is None:
        return "—"
    return f"{round_half_up(_dec(ratio) * 100, places):.{places}f}%"


def change(current: Number, previous: Number | None, places: int = 1) -> str:
    """Year-over-year wording: ``增长12.3%``, ``下降4.5%``, ``持平``; ``—`` without a base."""
    if previous is None:
        return "—"
    cur, prev = _dec(current), _dec(previous)
    if prev == 0:
        return "持平" if cur == 0 else "新增"
    ratio = (cur - prev) / abs(prev) * 100
    q = round_half_up(ratio, places)
    if q == 0:
        return "持平"
    return f"{'增长' if q > 0 else '下降'}{abs(q):.{places}f}%"


_DIGITS = "零一二三四五六七八九"


def ordinal(n: int) -> str:
    """1 → 一, 10 → 十, 12 → 十二, 20 → 二十, 99 → 九十九 (heading numbers)."""
    if not 0 < n < 100:
        raise ValueError(f"ordinal out of range: {n}")
    tens, ones = divmod(n, 10)
    if tens == 0:
        return _DIGITS[ones]
    head = "" if tens == 1 else _DIGITS[tens]
    return f"{head}十{_DIGITS[ones] if ones else ''}"

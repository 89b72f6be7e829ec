"""National figures from the accepted 附件2 统计表: pure functions over plain data.

Input is the intake's accepted :class:`~kjhdz_docs.model.Submission` list (one per unit, values
keyed by indicator id: ``int`` counts, exact ``Decimal`` 万元) and the year's roster (anything with
``name`` and ``kind``: province / city / department). Output is a :class:`NationalSummary`:
totals per indicator, subtotals by kind of unit, funding structure, participation, top-10
rankings, the per-unit table and the units that have not reported (催报).

Nothing here depends on the order of the submissions: units are listed in roster order (units the
roster does not know come after, by name), ties in rankings are broken by that same order, and
money is summed exactly as ``Decimal``.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Iterable, Mapping, Protocol, Sequence

from .forms import INDICATORS, INDICATOR_BY_ID
from .model import Status, Submission

log = logging.getLogger(__name__)

Number = int | Decimal

FUNDING_IDS: tuple[str, ...] = tuple(i.id for i in INDICATORS if i.id.startswith("funding."))
STAFF_IDS: tuple[str, ...] = tuple(i.id for i in INDICATORS if i.id.startswith("staff."))
PUBLIC_IDS: tuple[str, ...] = ("public.offline", "public.online")
MONEY_IDS: frozenset[str] = frozenset(i.id for i in INDICATORS if i.is_money)

KIND_ORDER: tuple[str, ...] = ("province", "city", "department", "other")
KIND_LABELS: dict[str, str] = {
    "province": "省（自治区、直辖市）及新疆生产建设兵团",
    "city": "计划单列市、副省级城市",
    "department": "中央有关部门",
    "other": "其他单位",
}
TOP_N = 10

# figures derived from the indicators (ids of the summary, not of the form)
DERIVED_LABELS: dict[str, tuple[str, str]] = {
    "funding.total": ("活动经费投入合计", "万元"),
    "staff.total": ("科普工作人员参与合计", "人次"),
    "public.total": ("群众参与合计", "人次"),
}


class RosterEntry(Protocol):
    name: str
    kind: object        # "province" | "city" | "department" (a str or a str-valued Enum)


def kind_name(kind: object) -> str:
    """The plain kind string of a roster entry's ``kind`` (str or Enum)."""
    value = getattr(kind, "value", kind)
    value = str(value).lower()
    return value if value in KIND_LABELS else "other"


def zero(indicator_id: str) -> Number:
    return Decimal("0") if indicator_id in MONEY_IDS else 0


def normalized(values: Mapping[str, Number]) -> dict[str, Number]:
    """Every indicator present (blank → 0); money as Decimal, counts as int."""
    out: dict[str, Number] = {}
    for ind in INDICATORS:
        v = values.get(ind.id)
        if v is None:
            out[ind.id] = zero(ind.id)
        elif ind.is_money:
            out[ind.id] = v if isinstance(v, Decimal) else Decimal(v)
        else:
            if isinstance(v, Decimal) and v != v.to_integral_value():
                raise ValueError(f"{ind.id}: a count must be a whole number, got {v}")
            out[ind.id] = int(v)
    return out


def sum_values(rows: Iterable[Mapping[str, Number]]) -> dict[str, Number]:
    """Indicator-wise sum (exact)."""
    total = {i.id: zero(i.id) for i in INDICATORS}
    for values in rows:
        for key in total:
            total[key] += values.get(key, zero(key))
    return total


def funding_total(values: Mapping[str, Number]) -> Decimal:
    return sum((Decimal(values.get(k, 0)) for k in FUNDING_IDS), Decimal("0"))


def staff_total(values: Mapping[str, Number]) -> int:
    return sum(int(values.get(k, 0)) for k in STAFF_IDS)


def public_total(values: Mapping[str, Number]) -> int:
    return sum(int(values.get(k, 0)) for k in PUBLIC_IDS)


def derived(values: Mapping[str, Number]) -> dict[str, Number]:
    """The summary's own figures: funding, staff and public participation totals."""
    return {"funding.total": funding_total(values), "staff.total": staff_total(values),
            "public.total": public_total(values)}


def shares(values: Mapping[str, Number], ids: Sequence[str]) -> dict[str, Decimal | None]:
    """Each id's share of the sum over ``ids`` (exact ratio); ``None`` when the sum is 0."""
    whole = sum((Decimal(values.get(k, 0)) for k in ids), Decimal("0"))
    return {k: (Decimal(values.get(k, 0)) / whole if whole else None) for k in ids}


@dataclass(frozen=True)
class UnitRow:
    """One reporting unit's accepted figures."""

    unit: str
    kind: str
    file: str
    values: dict[str, Number]

    @property
    def funding(self) -> Decimal:
        return funding_total(self.values)

    @property
    def staff(self) -> int:
        return staff_total(self.values)

    @property
    def public(self) -> int:
        return public_total(self.values)


@dataclass(frozen=True)
class Ranked:
    rank: int
    unit: str
    value: Number


@dataclass(frozen=True)
class Change:
    """Year-over-year change of one figure."""

    previous: Number
    delta: Number
    ratio: Decimal | None     # delta / previous; None when the previous value is 0


@dataclass
class NationalSummary:
    year: int
    totals: dict[str, Number]
    units: list[UnitRow]
    by_kind: dict[str, dict[str, Number]]     # kind -> totals over its reporting units
    kind_counts: dict[str, tuple[int, int]]   # kind -> (reported, expected)
    expected: list[str]                       # roster names, roster order
    missing: list[str]                        # roster minus reported, roster order
    rankings: dict[str, list[Ranked]] = field(default_factory=dict)   # "public" / "activities"

    @property
    def derived(self) -> dict[str, Number]:
        return derived(self.totals)

    @property
    def funding_shares(self) -> dict[str, Decimal | None]:
        return shares(self.totals, FUNDING_IDS)

    @property
    def online_share(self) -> Decimal | None:
        return shares(self.totals, PUBLIC_IDS)["public.online"]

    def unit(self, name: str) -> UnitRow:
        for row in self.units:
            if row.unit == name:
                return row
        raise KeyError(name)


def _pick(subs: list[Submission]) -> Submission:
    """One accepted 统计表 per unit: the latest by file time, then by file name (deterministic)."""
    return max(subs, key=lambda s: (s.modified, s.file))


def rank(rows: Sequence[UnitRow], key, n: int = TOP_N) -> list[Ranked]:
    """The top ``n`` rows by ``key(row)`` (descending); ties keep the order of ``rows``."""
    order = sorted(range(len(rows)), key=lambda i: (-key(rows[i]), i))
    return [Ranked(r + 1, rows[i].unit, key(rows[i])) for r, i in enumerate(order[:n])]


def aggregate(year: int, submissions: Iterable[Submission], roster: Sequence[RosterEntry] = ()) -> NationalSummary:
    """The national figures from the accepted submissions (others are ignored)."""
    order = {u.name: i for i, u in enumerate(roster)}
    kinds = {u.name: kind_name(u.kind) for u in roster}
    by_unit: dict[str, list[Submission]] = {}
    for sub in submissions:
        if sub.status is not Status.ACCEPTED:
            continue
        if not sub.unit:
            log.warning("%s: accepted but without a unit; left out of the totals", sub.file)
            continue
        by_unit.setdefault(sub.unit, []).append(sub)
    rows: list[UnitRow] = []
    for unit, subs in by_unit.items():
        chosen = _pick(subs)
        if len(subs) > 1:
            log.warning("%s: %d accepted 统计表 (%s); counting %s", unit, len(subs),
                        ", ".join(sorted(s.file for s in subs)), chosen.file)
        rows.append(UnitRow(unit, kinds.get(unit, "other"), chosen.file, normalized(chosen.values)))
    rows.sort(key=lambda r: (order.get(r.unit, len(order)), r.unit))
    totals = sum_values(r.values for r in rows)
    by_kind = {k: sum_values(r.values for r in rows if r.kind == k)
               for k in KIND_ORDER if any(r.kind == k for r in rows) or any(v == k for v in kinds.values())}
    reported = {r.unit for r in rows}
    kind_counts = {k: (sum(1 for r in rows if r.kind == k), sum(1 for v in kinds.values() if v == k))
                   for k in by_kind}
    expected = [u.name for u in roster]
    missing = [name for name in expected if name not in reported]
    rankings = {"public": rank(rows, lambda r: r.public), "activities": rank(rows, lambda r: r.values["activities"])}
    return NationalSummary(year=year, totals=totals, units=rows, by_kind=by_kind, kind_counts=kind_counts,
                           expected=expected, missing=missing, rankings=rankings)


def compare(current: Mapping[str, Number], previous: Mapping[str, Number] | None) -> dict[str, Change]:
    """Year-over-year change of every figure present in both years (none without a previous year)."""
    if previous is None:
        return {}
    out: dict[str, Change] = {}
    for key, cur in current.items():
        if key not in previous or previous[key] is None:
            continue
        prev = previous[key]
        if isinstance(cur, Decimal) or isinstance(prev, Decimal):
            prev, cur = Decimal(prev), Decimal(cur)
        delta = cur - prev
        ratio = (Decimal(delta) / abs(Decimal(prev))) if prev else None
        out[key] = Change(prev, delta, ratio)
    return out


def label(key: str) -> tuple[str, str]:
    """(label, unit) of an indicator or derived figure."""
    if key in INDICATOR_BY_ID:
        ind = INDICATOR_BY_ID[key]
        return ind.label, ind.unit
    return DERIVED_LABELS[key]

"""Plausibility checks (soft edits) of the accepted 统计表: flags for the clerk, never a changed figure.

Each accepted 统计表's indicators are compared, as statistical offices run ratio edits, with

- the same unit's figure of the previous year (``summary.json`` of the previous year, built or sealed:
  :func:`kjhdz_docs.previous_year.find_previous`), and
- the median of its peers: the accepted units of the same kind (province / city / department) this year with
  the figure above 0, when there are at least ``min_peers`` of them.

A figure more than ``factor`` times above or below a reference (default 20×) is flagged 待核实 with 今年 / 上年 /
同类中位数 side by side. Only figures above 0 on both sides are compared (a ratio to 0 says nothing). The
settings live in the year's data, ``data/<year>/intake.yaml``::

    plausibility:
      factor: 20            # flag beyond 20× up or down
      min_peers: 4          # a peer median needs at least this many units of the kind
      indicators:           # a factor of its own for an indicator (optional)
        public.online: 50

A flag is ``{indicator, cell, value, previous, peer_median, factor, limit, rule, message}``: ``factor`` is the
largest observed ratio (the letter quotes it), ``limit`` the configured bound; money as exact decimal text, counts
as integers. Flags go into the intake report, ``summary.json``, the summary's data-quality annex, the stderr
table and the unit's 核实函; they never change a total.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path

import yaml

from ..errors import DataFileError
from ..forms import INDICATOR_BY_ID, INDICATORS
from ..model import IntakeReport, Status, Submission
from ..paths import data_dir
from .reader import a1

CONFIG_FILE = "intake.yaml"
DEFAULT_FACTOR = Decimal(20)
DEFAULT_MIN_PEERS = 4


@dataclass(frozen=True)
class Settings:
    factor: Decimal = DEFAULT_FACTOR
    min_peers: int = DEFAULT_MIN_PEERS
    indicators: dict[str, Decimal] = field(default_factory=dict)
    source: str = ""

    def factor_for(self, indicator: str) -> Decimal:
        return self.indicators.get(indicator, self.factor)


def load_settings(year: int, path: Path | None = None) -> Settings:
    """The year's settings (``data/<year>/intake.yaml``; defaults when the file or its section is absent);
    raises :class:`DataFileError` naming the file and field when a value is not usable."""
    path = Path(path) if path else data_dir(year) / CONFIG_FILE
    if not path.is_file():
        return Settings()
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as exc:
        raise DataFileError(path, [f"not valid YAML: {exc}"]) from None
    section = raw.get("plausibility") if isinstance(raw, dict) else None
    if section is None:
        return Settings(source=str(path))
    if not isinstance(section, dict):
        raise DataFileError(path, ["plausibility: must be a mapping (factor, min_peers, indicators)"])
    problems: list[str] = []

    def factor(value, where: str) -> Decimal:
        try:
            d = Decimal(str(value))
        except (InvalidOperation, ValueError):
            d = Decimal(0)
        if isinstance(value, bool) or not d.is_finite() or d <= 1:
            problems.append(f"{where}: must be a number greater than 1 (got {value!r})")
            return DEFAULT_FACTOR
        return d

    unknown = sorted(set(section) - {"factor", "min_peers", "indicators"})
    problems += [f"plausibility.{k}: unknown field (expected factor, min_peers, indicators)" for k in unknown]
    base = factor(section.get("factor", DEFAULT_FACTOR), "plausibility.factor")
    peers = section.get("min_peers", DEFAULT_MIN_PEERS)
    if isinstance(peers, bool) or not isinstance(peers, int) or peers < 1:
        problems.append(f"plausibility.min_peers: must be a whole number ≥ 1 (got {peers!r})")
        peers = DEFAULT_MIN_PEERS
    per: dict[str, Decimal] = {}
    indicators = section.get("indicators") or {}
    if not isinstance(indicators, dict):
        problems.append("plausibility.indicators: must map indicator ids to factors")
        indicators = {}
    for key, value in indicators.items():
        if key not in INDICATOR_BY_ID:
            problems.append(f"plausibility.indicators.{key}: not an indicator id (e.g. public.online)")
            continue
        per[key] = factor(value, f"plausibility.indicators.{key}")
    if problems:
        raise DataFileError(path, problems)
    return Settings(base, peers, per, str(path))


def _text(indicator: str, value) -> str | int | None:
    if value is None:
        return None
    if INDICATOR_BY_ID[indicator].is_money:
        d = Decimal(value).normalize()
        return format(d, "f") if d != d.to_integral_value() else str(int(d))
    return int(value)


def _ratio(value: Decimal, ref: Decimal) -> Decimal:
    """How many times the one is the other, ≥ 1 (up or down)."""
    return value / ref if value >= ref else ref / value


def _round(d: Decimal) -> float:
    return float(d.quantize(Decimal("0.1")))


def peer_medians(subs: list[Submission], kinds: dict[str, str], settings: Settings
                 ) -> dict[tuple[str, str], Decimal]:
    """(kind, indicator) → the median over the accepted units of that kind with the figure above 0, when at
    least ``min_peers`` of them have it (one sort per kind and indicator)."""
    by_kind: dict[str, list[Submission]] = {}
    for s in subs:
        by_kind.setdefault(kinds.get(s.unit, "other"), []).append(s)
    out: dict[tuple[str, str], Decimal] = {}
    for kind, group in by_kind.items():
        for ind in INDICATORS:
            figures = sorted(v for s in group if (v := s.values.get(ind.id, 0)) > 0)
            n = len(figures)
            if n >= settings.min_peers:     # the median, exactly (statistics.median of the Decimals)
                mid = n // 2
                out[(kind, ind.id)] = Decimal(figures[mid]) if n % 2 else \
                    (Decimal(figures[mid - 1]) + Decimal(figures[mid])) / 2
    return out


def flag_report(report: IntakeReport, roster, previous=None, settings: Settings | None = None) -> int:
    """Add plausibility flags to every accepted 统计表 of ``report`` (its entries' ``flags``); returns how many.

    ``previous`` is the previous year's :class:`~kjhdz_docs.previous_year.PreviousYear` (or None);
    ``settings`` default to the year's ``intake.yaml``.
    """
    settings = settings or load_settings(report.year)
    kinds = {u.name: str(getattr(u.kind, "value", u.kind)).lower() for u in roster}
    accepted = [s for s in report.submissions if s.status is Status.ACCEPTED and s.unit and s.values]
    medians = peer_medians(accepted, kinds, settings)
    last = previous.units if previous is not None else {}
    count = 0
    limits = {ind.id: settings.factor_for(ind.id) for ind in INDICATORS}
    bounds = {key: (m / limits[key[1]], m * limits[key[1]]) for key, m in medians.items() if m > 0}
    per_kind: dict[str, list] = {}      # kind → (indicator, limit, peer median, its bounds) of every indicator
    for sub in accepted:
        mine = last.get(sub.unit, {})
        kind = kinds.get(sub.unit, "other")
        if kind not in per_kind:
            per_kind[kind] = [(ind, limits[ind.id], medians.get((kind, ind.id)),
                               *bounds.get((kind, ind.id), (None, None))) for ind in INDICATORS]
        sub.flags = [f for f in sub.flags if f.get("rule") not in ("previous-year", "peers", "previous-year+peers")]
        values = sub.values
        for ind, limit, median, low, high in per_kind[kind]:
            value = values.get(ind.id)
            if not value or value <= 0:
                continue
            prev = mine.get(ind.id) if mine else None
            # the cheap test first: within the bounds of both references (the peers' computed once a kind)
            if (prev is None or prev <= 0 or prev * limit >= value >= prev / limit) and \
                    (low is None or high >= value >= low):
                continue
            value = Decimal(value)
            hits = []
            if prev is not None and prev > 0 and _ratio(value, Decimal(prev)) > limit:
                hits.append(("previous-year", _ratio(value, Decimal(prev)), "上年"))
            if median is not None and median > 0 and _ratio(value, median) > limit:
                hits.append(("peers", _ratio(value, median), "同类单位中位数"))
            if not hits:
                continue
            label, unit = ind.label, ind.unit
            said = "，".join(f"{'高' if value > (Decimal(prev) if what == '上年' else median) else '低'}于{what}约 "
                            f"{_round(r):g} 倍" for _, r, what in hits)
            prev_text = f"{_text(ind.id, prev)}{unit}" if prev is not None else "无"
            median_text = f"{_text(ind.id, median)}{unit}" if median is not None else "无"
            cell = sub.cells.get(ind.id)
            sub.flags.append({
                "indicator": ind.id, "cell": f"{cell[0]}!{a1(cell[1], cell[2])}" if cell else None,
                "value": _text(ind.id, value),
                "previous": _text(ind.id, prev), "peer_median": _text(ind.id, median),
                "factor": _round(max(r for _, r, _ in hits)), "limit": float(limit),
                "rule": "+".join(h[0] for h in hits),
                "message": f"「{label}」今年 {_text(ind.id, value)}{unit}，上年 {prev_text}，同类中位数 {median_text}："
                           f"{said}（超出 {limit:g} 倍的合理范围），待核实",
            })
            count += 1
    return count

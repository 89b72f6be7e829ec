"""The inbox: every file accounted for, supersede by mtime, companion files, .xls/.ods, the report."""

from __future__ import annotations

import json

import pytest

from kjhdz_docs import converter
from kjhdz_docs import specimens as sp
from kjhdz_docs.intake import read_inbox
from kjhdz_docs.intake.report import print_report, problem_lines, report_json
from kjhdz_docs.model import FormKind, Status

from .conftest import requires_soffice

T0 = 1_714_000_000.0   # 2024-04-24


@pytest.fixture(scope="module")
def inbox(tmp_path_factory):
    root = tmp_path_factory.mktemp("inbox") / "statistics"
    sp.write_statistics(root / "河北" / "统计表.xlsx", "河北省科学技术厅", sp.sample_values("河北省"), mtime=T0)
    sp.write_statistics(root / "河北" / "统计表-更正.xlsx", "河北省", sp.sample_values("河北省", seed=1),
                        style="shifted", mtime=T0 + 3600)
    sp.write_statistics(root / "a-深圳.xlsx", "深圳市科技创新局", sp.sample_values("深圳市"), mtime=T0)
    sp.write_statistics(root / "b-深圳.xlsx", "深圳", sp.sample_values("深圳市", seed=2), mtime=T0)   # same mtime
    sp.write_statistics(root / "湖北.xlsx", "湖北省", sp.sample_values("湖北省") | {"activities": -1}, mtime=T0)
    sp.write_companion(root / "河北" / "盖章扫描件.pdf")
    sp.write_companion(root / "深圳市科技创新局总结报告.docx", "docx")
    sp.write_companion(root / "湖北省盖章件.jpg", "png")
    sp.write_companion(root / "scan001.pdf")
    sp.write_wps_et(root / "青海省.et")
    (root / ".DS_Store").write_bytes(b"\0")
    return root


@pytest.fixture(scope="module")
def report(inbox):
    return read_inbox(2024, FormKind.STATISTICS, inbox, progress=False)


def test_every_file_accounted_for(inbox, report):
    on_disk = sorted(p.relative_to(inbox).as_posix() for p in inbox.rglob("*") if p.is_file())
    assert [s.file for s in report.submissions] == on_disk
    status = {s.file: s.status.value for s in report.submissions}
    assert status == {
        ".DS_Store": "unmatched", "a-深圳.xlsx": "superseded", "b-深圳.xlsx": "accepted",
        "scan001.pdf": "unmatched", "河北/盖章扫描件.pdf": "attachment", "河北/统计表-更正.xlsx": "accepted",
        "河北/统计表.xlsx": "superseded", "深圳市科技创新局总结报告.docx": "attachment", "湖北.xlsx": "rejected",
        "湖北省盖章件.jpg": "attachment", "青海省.et": "rejected"}


def test_supersede_keeps_both_and_names_the_newer(report):
    by = {s.file: s for s in report.submissions}
    assert by["河北/统计表.xlsx"].superseded_by == "河北/统计表-更正.xlsx"
    assert by["河北/统计表-更正.xlsx"].values == sp.sample_values("河北省", seed=1)
    assert by["河北/统计表.xlsx"].values == sp.sample_values("河北省")      # kept, just not counted
    assert by["a-深圳.xlsx"].superseded_by == "b-深圳.xlsx"                   # same mtime: file name order
    assert [s.unit for s in report.accepted] == ["深圳市", "河北省"]


def test_companions_go_with_their_unit(report):
    by = {s.file: s for s in report.submissions}
    assert by["河北/盖章扫描件.pdf"].unit == "河北省"                         # from its folder
    assert by["河北/盖章扫描件.pdf"].attached_to == "河北/统计表-更正.xlsx"
    assert by["深圳市科技创新局总结报告.docx"].attached_to == "b-深圳.xlsx"
    assert by["湖北省盖章件.jpg"].unit == "湖北省" and by["湖北省盖章件.jpg"].attached_to is None
    assert by["scan001.pdf"].unit is None


def test_sha256_and_size_of_the_bytes_received(inbox, report):
    import hashlib

    for s in report.submissions:
        data = (inbox / s.file).read_bytes()
        assert s.sha256 == hashlib.sha256(data).hexdigest() and s.size == len(data)


def test_report_json_is_deterministic(inbox, report):
    data = report_json(report)
    assert data["counts"] == {"accepted": 2, "rejected": 2, "superseded": 2, "attachment": 3, "unmatched": 2,
                              "files": 11}
    again = report_json(read_inbox(2024, FormKind.STATISTICS, inbox, progress=False, processes=2))
    assert json.dumps(data, sort_keys=True, ensure_ascii=False) == json.dumps(again, sort_keys=True, ensure_ascii=False)
    hubei = next(s for s in data["submissions"] if s["file"] == "湖北.xlsx")
    assert hubei["problems"] == [{"sheet": "统计表", "cell": "C3", "rule": "negative-number",
                                  "message": hubei["problems"][0]["message"], "value": "-1"}]   # as typed


def test_printed_report_names_file_sheet_cell(report, capsys):
    from kjhdz_docs import console

    print_report(report)
    lines = problem_lines(report)
    assert any(line.startswith("湖北.xlsx  统计表!C3  [negative-number]") for line in lines)
    assert any(line.startswith("青海省.et") and "[wps-format]" in line for line in lines)
    assert console.err is not None   # the table goes to stderr: nothing on stdout
    assert capsys.readouterr().out == ""


def test_missing_inbox(tmp_path):
    from kjhdz_docs.errors import MissingInputError

    with pytest.raises(MissingInputError):
        read_inbox(2024, FormKind.STATISTICS, tmp_path / "nope", progress=False)


# --- legacy .xls and .ods, written by real LibreOffice ------------------------------------------------
@pytest.fixture(scope="module")
def legacy(tmp_path_factory):
    src = tmp_path_factory.mktemp("legacy-src")
    stats = [sp.write_statistics(src / f"{style}-{unit}.xlsx", unit, sp.sample_values(unit), style=style)
             for style, unit in (("form", "江西省"), ("text_numbers", "甘肃省"), ("cover_sheet", "宁波市"))]
    recs = [sp.write_recommendations(src / "推荐-青岛市.xlsx", "青岛市科学技术局", sp.sample_activities("青岛市", 3),
                                     style="merged_unit")]
    out = tmp_path_factory.mktemp("legacy")
    (out / "statistics").mkdir()
    (out / "recommendations").mkdir()
    pairs = [(p, out / "statistics" / (p.stem + ext)) for p in stats for ext in (".xls",)]
    pairs += [(p, out / "recommendations" / (p.stem + ".xls")) for p in recs]
    converter.convert_files(pairs, target="xls")
    pairs = [(p, out / "statistics" / (p.stem + ".ods")) for p in stats]
    pairs += [(p, out / "recommendations" / (p.stem + ".ods")) for p in recs]
    converter.convert_files(pairs, target="ods")
    return out


@requires_soffice
def test_xls_and_ods_statistics(legacy):
    report = read_inbox(2024, FormKind.STATISTICS, legacy / "statistics", progress=False)
    assert len(report.submissions) == 6
    for s in report.submissions:
        assert s.status in (Status.ACCEPTED, Status.SUPERSEDED), (s.file, s.problems)
        assert s.values == sp.sample_values(s.unit), s.file
    assert sorted({s.unit for s in report.submissions}) == ["宁波市", "江西省", "甘肃省"]


@requires_soffice
def test_xls_and_ods_recommendations(legacy):
    report = read_inbox(2024, FormKind.RECOMMENDATIONS, legacy / "recommendations", progress=False)
    assert len(report.submissions) == 2
    expected = sp.sample_activities("青岛市", 3)
    for s in report.submissions:
        assert s.unit == "青岛市"
        assert [a.name for a in s.activities] == [a["name"] for a in expected]
        assert [a.intro for a in s.activities] == [a["intro"] for a in expected]


def test_a_form_of_another_year_gets_a_note(tmp_path):
    from kjhdz_docs.roster import Roster, load_roster

    inbox = tmp_path / "statistics"
    sp.write_statistics(inbox / "河北省.xlsx", "河北省", sp.sample_values("河北省"), year=2024)
    sp.write_statistics(inbox / "山西省.xlsx", "山西省", sp.sample_values("山西省"), year=2025)
    roster = Roster(year=2025, units=list(load_roster(2024).units))
    report = read_inbox(2025, FormKind.STATISTICS, inbox, progress=False, roster=roster, processes=1)
    notes = {s.file: s.notes for s in report.submissions}
    assert [n for n in notes["河北省.xlsx"] if "2024年全国科技活动周开展情况统计表" in n and "与2025年不符" in n]
    assert not [n for n in notes["山西省.xlsx"] if "不符" in n]
    assert {s.status for s in report.submissions} == {Status.ACCEPTED}   # figures still read

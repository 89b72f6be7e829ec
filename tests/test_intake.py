"""Reading 统计表 and 推荐表 workbooks the ways units really fill them; every rejection names its cell."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from kjhdz_docs import specimens as sp
from kjhdz_docs.blank_forms import write_blank_forms
from kjhdz_docs.forms import INDICATORS
from kjhdz_docs.intake import read_submission
from kjhdz_docs.intake.statistics import parse_number
from kjhdz_docs.model import FormKind, Status
from kjhdz_docs.roster import load_roster

ROSTER = load_roster(2024)
BY_ID = {i.id: i for i in INDICATORS}


def read(path: Path, kind=FormKind.STATISTICS):
    return read_submission(path, path.name, kind, ROSTER)


@pytest.mark.parametrize("style, written, unit", [
    ("form", "河北省科学技术厅", "河北省"),
    ("shifted", "上海市科学技术委员会", "上海市"),
    ("title_rows", "深圳市科技创新局", "深圳市"),
    ("cover_sheet", "北京市科委（盖章）", "北京市"),
    ("no_merge", "内蒙古", "内蒙古自治区"),
    ("text_numbers", "广西", "广西壮族自治区"),
    ("full_width", "新疆兵团", "新疆生产建设兵团"),
    ("unit_next_cell", "中科院", "中国科学院"),
    ("units_column", "辽宁省大连市科技局", "大连市"),
])
def test_statistics_styles_read_exactly(tmp_path, style, written, unit):
    values = sp.sample_values(unit)
    path = sp.write_statistics(tmp_path / f"{style}.xlsx", written, values, style=style)
    sub = read(path)
    assert sub.status is Status.ACCEPTED, sub.problems
    assert sub.unit == unit
    assert sub.values == values                       # exact: Decimal money, int counts
    for key, v in sub.values.items():
        assert type(v) is (Decimal if BY_ID[key].is_money else int)


def test_the_blank_form_filled_in_reads_back(tmp_path):
    from openpyxl import load_workbook

    _, stats = write_blank_forms(2024, tmp_path)
    wb = load_workbook(stats)
    ws = wb.active
    ws["B2"] = "河北省科学技术厅"
    rows = {ws.cell(r, c).value: r for r in range(1, ws.max_row + 1) for c in (1, 2) if ws.cell(r, c).value}
    values = sp.sample_values("河北省")
    for ind in INDICATORS:
        ws.cell(rows[ind.label], 3, float(values[ind.id]) if ind.is_money else values[ind.id])
    wb.save(stats)
    sub = read(stats)
    assert sub.status is Status.ACCEPTED and sub.unit == "河北省" and sub.values == values


def test_blank_value_is_zero_and_noted(tmp_path):
    values = sp.sample_values("山东省")
    del values["funding.county"], values["open.venues"]
    sub = read(sp.write_statistics(tmp_path / "a.xlsx", "山东省", values))
    assert sub.status is Status.ACCEPTED
    assert sub.values["funding.county"] == 0 and sub.values["open.venues"] == 0
    assert len(sub.notes) == 2 and "统计表!C7" in sub.notes[0] and "按 0 计" in sub.notes[0]


def test_every_offending_cell_is_listed(tmp_path):
    values = sp.sample_values("湖北省") | {"activities": -5, "staff.other": "约100", "media.reports": "=C3*2",
                                            "open.venues": 1.5, "funding.central": "12500元", "public.online": "三千"}
    sub = read(sp.write_statistics(tmp_path / "湖北.xlsx", "湖北省", values))
    assert sub.status is Status.REJECTED and sub.values == {}
    got = {(p.rule, p.sheet, p.cell) for p in sub.problems}
    assert got == {("negative-number", "统计表", "C3"), ("wrong-unit", "统计表", "C4"),
                   ("not-a-number", "统计表", "C14"), ("not-a-number", "统计表", "C16"),
                   ("formula-no-value", "统计表", "C18"), ("not-integer", "统计表", "C19")}
    assert all(p.message for p in sub.problems)


def test_formula_with_a_cached_value_is_read(tmp_path):
    path = sp.write_statistics(tmp_path / "f.xlsx", "湖南省", sp.sample_values("湖南省"))
    # LibreOffice-style: a formula with its cached result
    import zipfile
    with zipfile.ZipFile(path) as zf:
        members = {n: zf.read(n) for n in zf.namelist()}
    sheet = members["xl/worksheets/sheet1.xml"].decode()
    old = sheet[sheet.index('<c r="C3"'):]
    old = old[: old.index("</c>") + 4]
    sheet = sheet.replace(old, '<c r="C3"><f>40+2</f><v>42</v></c>')
    members["xl/worksheets/sheet1.xml"] = sheet.encode()
    with zipfile.ZipFile(path, "w") as zf:
        for n, data in members.items():
            zf.writestr(n, data)
    sub = read(path)
    assert sub.status is Status.ACCEPTED and sub.values["activities"] == 42


def test_missing_indicator_and_unknown_unit(tmp_path):
    sub = read(sp.write_statistics(tmp_path / "a.xlsx", "某某协会", sp.sample_values("x"), omit=("open.universities",)))
    rules = sorted(p.rule for p in sub.problems)
    assert sub.status is Status.REJECTED and rules == ["missing-indicator", "unknown-unit"]
    unknown = next(p for p in sub.problems if p.rule == "unknown-unit")
    assert (unknown.sheet, unknown.cell) == ("统计表", "A2") and "某某协会" in unknown.message


def test_unit_from_file_name_when_the_line_is_blank(tmp_path):
    sub = read(sp.write_statistics(tmp_path / "福建省-统计表.xlsx", "", sp.sample_values("福建省")))
    assert sub.status is Status.ACCEPTED and sub.unit == "福建省" and "按文件名认定" in sub.notes[0]
    sub = read(sp.write_statistics(tmp_path / "统计表.xlsx", "", sp.sample_values("福建省")))
    assert sub.status is Status.REJECTED and sub.problems[0].rule == "missing-unit"


def test_a_recommendation_form_in_the_statistics_inbox(tmp_path):
    path = sp.write_recommendations(tmp_path / "r.xlsx", "河北省", sp.sample_activities("河北省"))
    sub = read(path)
    assert sub.status is Status.REJECTED and sub.problems[0].rule == "no-form" and "推荐表" in sub.problems[0].message
    sub = read(sp.write_statistics(tmp_path / "s.xlsx", "河北省", sp.sample_values("河北省")), FormKind.RECOMMENDATIONS)
    assert sub.status is Status.REJECTED and sub.problems[0].rule == "no-form" and "统计表" in sub.problems[0].message


@pytest.mark.parametrize("value, kind, expected", [
    ("1,234", "activities", 1234), ("１２３", "activities", 123), (" 42 ", "activities", 42), ("7次", "activities", 7),
    ("12.5万元", "funding.central", Decimal("12.5")), ("0.1", "funding.central", Decimal("0.1")),
    (0.1, "funding.central", Decimal("0.1")), (1234.56, "funding.other", Decimal("1234.56")),
    (12.0, "staff.other", 12), ("1,234.50", "funding.other", Decimal("1234.5")), ("３．５", "funding.other", Decimal("3.5")),
])
def test_parse_number(value, kind, expected):
    number, rule, _ = parse_number(value, BY_ID[kind])
    assert rule is None and number == expected and type(number) is type(expected)


@pytest.mark.parametrize("value, kind, rule", [
    ("-1", "activities", "negative-number"), (-0.5, "funding.central", "negative-number"),
    ("约100", "activities", "not-a-number"), ("1.2.3", "funding.central", "not-a-number"),
    (True, "activities", "not-a-number"), ("3.5", "staff.other", "not-integer"),
    ("500元", "funding.central", "wrong-unit"), (float("nan"), "activities", "not-a-number"),
])
def test_parse_number_rejects(value, kind, rule):
    assert parse_number(value, BY_ID[kind])[1] == rule


# --- 推荐表 -----------------------------------------------------------------------------------------
@pytest.mark.parametrize("style, written, unit", [
    ("form", "河北省科学技术厅", "河北省"), ("shifted", "上海市科学技术委员会", "上海市"),
    ("cover_sheet", "深圳市科技创新局", "深圳市"), ("seed_layout", "北京市科委", "北京市"),
    ("merged_unit", "中科院", "中国科学院"), ("title_rows", "大连市科技局", "大连市"),
])
def test_recommendation_styles(tmp_path, style, written, unit):
    acts = sp.sample_activities(unit, 4)
    for a in acts:
        a["unit"] = written
    path = sp.write_recommendations(tmp_path / f"{style}.xlsx", written, acts, style=style)
    sub = read(path, FormKind.RECOMMENDATIONS)
    assert sub.status is Status.ACCEPTED, sub.problems
    assert sub.unit == unit
    assert [a.name for a in sub.activities] == [a["name"] for a in acts]
    assert [a.intro for a in sub.activities] == [a["intro"] for a in acts]
    assert [a.time_place for a in sub.activities] == [a["time_place"] for a in acts]
    assert [a.contact for a in sub.activities] == [a["contact"] for a in acts]
    assert [a.seq for a in sub.activities] == [1, 2, 3, 4]
    assert all(a.unit == unit and a.source_file == path.name for a in sub.activities)
    rows = [a.row for a in sub.activities]
    assert rows == list(range(rows[0], rows[0] + 4))


def test_recommendation_text_survives_verbatim(tmp_path):
    tricky = ["科普&创新<之夜> \"AI\" 与 '未来'", "{{ year }}", "{% if %}", "第一行\n第二行", "=1+1", "@SUM(A1)"]
    acts = [{"name": t, "intro": t, "time_place": "2024年5月26日，广东省深圳市南山区", "contact": t} for t in tricky]
    sub = read(sp.write_recommendations(tmp_path / "t.xlsx", "深圳市科技创新局", acts), FormKind.RECOMMENDATIONS)
    assert sub.status is Status.ACCEPTED
    assert [a.name for a in sub.activities] == tricky and [a.intro for a in sub.activities] == tricky


def test_more_than_five_rows_are_all_passed_on(tmp_path):
    """Row rules (≤ 5 a unit, 简介 length …) belong to the 推荐清单: intake passes every row on."""
    acts = sp.sample_activities("江苏省", 7)
    acts[0]["intro"] = "长" * 150
    sub = read(sp.write_recommendations(tmp_path / "js.xlsx", "江苏省科技厅", acts), FormKind.RECOMMENDATIONS)
    assert sub.status is Status.ACCEPTED and len(sub.activities) == 7


def test_unit_from_the_column_when_no_unit_line(tmp_path):
    acts = sp.sample_activities("浙江省", 2)
    sub = read(sp.write_recommendations(tmp_path / "a.xlsx", "", acts, unit_line=False, row_unit="浙江省科学技术厅"),
               FormKind.RECOMMENDATIONS)
    assert sub.status is Status.ACCEPTED and sub.unit == "浙江省"


def test_workbook_level_rejections(tmp_path):
    sub = read(sp.write_recommendations(tmp_path / "empty.xlsx", "河南省科技厅", []), FormKind.RECOMMENDATIONS)
    assert [p.rule for p in sub.problems] == ["empty-form"] and sub.problems[0].cell
    sub = read(sp.write_recommendations(tmp_path / "x.xlsx", "某某协会", sp.sample_activities("x", 1), row_unit=""),
               FormKind.RECOMMENDATIONS)
    assert [(p.rule, p.cell) for p in sub.problems] == [("unknown-unit", "A2")]
    sub = read(sp.write_recommendations(tmp_path / "y.xlsx", "", sp.sample_activities("x", 1), unit_line=False,
                                        row_unit=""), FormKind.RECOMMENDATIONS)
    assert [p.rule for p in sub.problems] == ["missing-unit"]


def test_specimens_are_deterministic(tmp_path):
    a = sp.write_statistics(tmp_path / "a.xlsx", "河北省", sp.sample_values("河北省"), style="cover_sheet")
    b = sp.write_statistics(tmp_path / "b.xlsx", "河北省", sp.sample_values("河北省"), style="cover_sheet")
    assert a.read_bytes() == b.read_bytes()
    assert sp.sample_activities("河北省", 3) == sp.sample_activities("河北省", 3)


def test_a_hidden_sheet_of_last_year_is_not_read(tmp_path):
    values = sp.sample_values("安徽省")
    path = sp.write_statistics(tmp_path / "ah.xlsx", "安徽省", values, hidden_copy=sp.sample_values("安徽省", seed=9))
    sub = read(path)
    assert sub.status is Status.ACCEPTED and sub.values == values


@pytest.mark.parametrize("text", ["约1", "约3000", "待统计"])
def test_a_form_with_every_value_typed_as_text_is_rejected_not_read_as_zeros(tmp_path, text):
    """No number anywhere on the form: the texts stand in the value column and each is rejected with its
    cell — the figures are never taken as blank = 0."""
    path = tmp_path / "全是文字.xlsx"
    sp.write_statistics(path, "河北省", {i.id: text for i in INDICATORS})
    result = read(path)
    assert result.status == Status.REJECTED
    cells = {p.cell for p in result.problems if p.rule == "not-a-number"}
    assert len(cells) == len(INDICATORS)

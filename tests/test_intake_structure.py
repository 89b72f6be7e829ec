"""附件2 统计表 read from its structure: values left or right, header rows, 序号 and 计量单位 columns, units of
measure declared anywhere, sub-region sheets, numbers as Excel shows them, macros and external links.

Every test writes a real .xlsx (``kjhdz_docs.specimens``) and asserts the exact figures accepted or the exact
rule and cell rejected.
"""

from __future__ import annotations

from decimal import Decimal

import pytest

from kjhdz_docs import specimens as sp
from kjhdz_docs.intake import read_submission
from kjhdz_docs.model import FormKind, Status
from kjhdz_docs.roster import load_roster

VALUES = sp.sample_values("河北省")


@pytest.fixture(scope="module")
def roster():
    return load_roster(2024)


def read(path, roster):
    return read_submission(path, path.name, FormKind.STATISTICS, roster)


def rules(sub):
    return [(p.rule, p.sheet, p.cell) for p in sub.problems]


@pytest.mark.parametrize("style", ["values_left", "header_row", "formula_noise", "subtotals", "totals", "sub_regions"])
def test_layouts_read_exactly(tmp_path, roster, style):
    sub = read(sp.write_statistics(tmp_path / f"{style}.xlsx", "河北省科学技术厅", VALUES, style=style), roster)
    assert sub.status is Status.ACCEPTED, sub.problems
    assert sub.values == VALUES and sub.unit == "河北省" and sub.issuer == "河北省科学技术厅"
    assert sub.flags == []


def test_values_left_was_read_as_values_not_blanks(tmp_path, roster):
    sub = read(sp.write_statistics(tmp_path / "l.xlsx", "河北省", VALUES, style="values_left"), roster)
    assert sub.values["activities"] == VALUES["activities"] > 0
    assert not any("按 0 计" in n for n in sub.notes)


@pytest.mark.parametrize("style, cells, declared", [
    ("yuan_in_group", "C4", "分组标题A4「活动经费投入数量（单位：元）」"),
    ("yuan_in_label", "C4", "指标名称B4「中央财政经费投入情况（元）」"),
    ("yuan_in_column", "C5", "计量单位栏D5「元」"),
    ("yuan_in_header", "C5", "计量单位栏D5「元」、表头C3「数值（元）」"),
    ("yuan_in_cell", "C4", "分组标题A4「活动经费投入数量（单位：元）」"),
    ("yuan_line", "C5", "单位说明D3「金额单位：元」"),
])
def test_yuan_converted_exactly_with_a_note(tmp_path, roster, style, cells, declared):
    sub = read(sp.write_statistics(tmp_path / f"{style}.xlsx", "河北省", VALUES, style=style), roster)
    assert sub.status is Status.ACCEPTED, sub.problems
    assert sub.values == VALUES                                # 元 ÷ 10,000 exactly, as Decimal
    assert all(type(sub.values[k]) is Decimal for k in VALUES if k.startswith("funding."))
    note = next(n for n in sub.notes if "换算为万元" in n)
    assert note.startswith(f"统计表!{cells} ") and f"按{declared}声明的单位元读取，换算为万元：" in note
    central = VALUES["funding.central"]
    assert f"「{int(central * 10000)}" in note and f"→ {central.normalize():f}" in note
    assert sum(n.count("→") for n in sub.notes) == 7           # every converted cell named


def test_yuan_in_the_cell_under_a_wan_yuan_header_is_rejected(tmp_path, roster):
    values = dict(VALUES)
    sub = read(sp.write_statistics(tmp_path / "d.xlsx", "河北省", values, style="yuan_disagree"), roster)
    assert sub.status is Status.REJECTED and sub.values == {}
    assert rules(sub) == [("wrong-unit", "统计表", f"C{r}") for r in range(4, 11)]
    first = sub.problems[0].message
    assert "分组标题A4「活动经费投入数量（单位：万元）」为万元" in first and "单元格C4「" in first and "为元" in first


def test_unit_column_disagreeing_with_the_group_header_is_rejected(tmp_path, roster):
    sub = read(sp.write_statistics(tmp_path / "d.xlsx", "河北省", VALUES, style="yuan_column_disagree"), roster)
    assert rules(sub) == [("wrong-unit", "统计表", f"C{r}") for r in range(4, 11)]
    assert "计量单位栏D4「元」为元" in sub.problems[0].message


@pytest.mark.parametrize("style, said, group", [
    ("wan_label_under_yuan_group", "指标名称B4「中央财政经费投入情况（万元）」为万元", "分组标题A4「活动经费投入数量（单位：元）」为元"),
    ("yuan_label_under_wan_group", "指标名称B4「中央财政经费投入情况（元）」为元", "分组标题A4「活动经费投入数量（单位：万元）」为万元"),
    ("wan_cell_under_yuan_group", "单元格C4「", "分组标题A4「活动经费投入数量（单位：元）」为元"),
])
def test_a_row_declaring_one_unit_under_a_group_header_declaring_another_is_rejected(tmp_path, roster, style, said,
                                                                                       group):
    """Neither the row's own declaration nor the group header's wins: 0.01 万元 under （单位：元） was accepted as
    0.000001 万元. Every money row is rejected wrong-unit with its value cell, naming both declarations."""
    values = VALUES | {"funding.central": Decimal("0.01")}
    sub = read(sp.write_statistics(tmp_path / f"{style}.xlsx", "河北省", values, style=style), roster)
    assert sub.status is Status.REJECTED and sub.values == {}
    assert rules(sub) == [("wrong-unit", "统计表", f"C{r}") for r in range(4, 11)]
    first = sub.problems[0].message
    assert "计量单位前后不一致" in first and said in first and group in first, first
    if style == "wan_cell_under_yuan_group":
        assert "单元格C4「0.01万元」为万元" in first


@pytest.mark.parametrize("style", ["wan_people", "wan_people_cell"])
def test_wan_renci_times_ten_thousand(tmp_path, roster, style):
    sub = read(sp.write_statistics(tmp_path / "w.xlsx", "河北省", VALUES, style=style), roster)
    assert sub.status is Status.ACCEPTED and sub.values == VALUES
    assert type(sub.values["public.offline"]) is int
    assert any("声明的单位万人次读取，换算为人次" in n for n in sub.notes)


def test_wan_renci_that_is_not_a_whole_number_of_renci_is_rejected(tmp_path, roster):
    values = VALUES | {"public.online": Decimal("1.23456")}       # written as 0.000123456 万人次 → not whole
    path = sp.write_statistics(tmp_path / "w.xlsx", "河北省", values, style="wan_people_cell")
    sub = read(path, roster)
    assert rules(sub) == [("not-integer", "统计表", "C16")]
    assert "换算为人次后为1.23456" in sub.problems[0].message


def test_sub_region_sheets_noted_not_counted(tmp_path, roster):
    sub = read(sp.write_statistics(tmp_path / "s.xlsx", "河北省", VALUES, style="sub_regions"), roster)
    assert sub.values == VALUES
    assert sub.notes == ["工作表「石家庄市」（地方/部门：石家庄市）是下级地区或其他单位的统计表，未计入河北省的数字",
                         "工作表「唐山市」（地方/部门：唐山市）是下级地区或其他单位的统计表，未计入河北省的数字"]


def test_two_sheets_claiming_the_unit_are_rejected(tmp_path, roster):
    path = sp.write_statistics(tmp_path / "t.xlsx", "河北省", VALUES, style="sub_regions", second_own="河北省（修改）")
    sub = read(path, roster)
    assert sub.status is Status.REJECTED and rules(sub) == [("two-forms", "全省汇总", "A2")]
    assert "「全省汇总」「河北省（修改）」" in sub.problems[0].message


def test_ambiguous_row_two_numbers(tmp_path, roster):
    path = sp.write_statistics(tmp_path / "a.xlsx", "河北省", VALUES, style="values_left",
                               extra_cells={"media.reports": (3, 2023)})
    sub = read(path, roster)
    assert rules(sub) == [("ambiguous-value", "统计表", "A18、D18")]
    assert "第 18 行有多个数字" in sub.problems[0].message and "D18「2023」" in sub.problems[0].message


def test_blank_value_cell_with_a_number_elsewhere_is_never_zero(tmp_path, roster):
    values = {k: v for k, v in VALUES.items() if k != "open.venues"}
    path = sp.write_statistics(tmp_path / "b.xlsx", "河北省", values, style="header_row",
                               extra_cells={"open.venues": (2, 37)})
    sub = read(path, roster)
    assert rules(sub) == [("ambiguous-value", "统计表", "F20")]
    assert "数值栏 D20 为空，而 F20「37」填有数字" in sub.problems[0].message


def test_formula_noise_read_as_excel_shows_it(tmp_path, roster):
    path = sp.write_statistics(tmp_path / "f.xlsx", "河北省", VALUES, style="formula_noise")
    import zipfile
    xml = zipfile.ZipFile(path).read("xl/worksheets/sheet1.xml").decode()
    assert f"<v>{float(VALUES['activities']) + VALUES['activities'] * 2.220446049250313e-16!r}</v>" in xml
    sub = read(path, roster)
    assert sub.values["activities"] == VALUES["activities"] and sub.problems == []


def _patch_cell(path, ref, xml_cell):
    import re
    import zipfile
    with zipfile.ZipFile(path) as zf:
        members = {n: zf.read(n) for n in zf.namelist()}
    sheet = members["xl/worksheets/sheet1.xml"].decode()
    sheet = re.sub(rf'<c r="{ref}"[^>]*?(/>|>.*?</c>)', xml_cell, sheet, count=1)
    members["xl/worksheets/sheet1.xml"] = sheet.encode()
    sp._write_zip(path, members)
    return path


def test_number_format_rounds_a_formula_before_the_checks(tmp_path, roster):
    path = sp.write_statistics(tmp_path / "n.xlsx", "河北省", VALUES)
    # C4 (money, format 0.00 = style of a cell openpyxl wrote with it) holds =100/3 → Excel shows 33.33
    from openpyxl import load_workbook
    wb = load_workbook(path)
    wb["统计表"]["C4"].number_format = "0.00"
    wb["统计表"]["C14"].number_format = "#,##0"
    wb.save(path)
    import re
    import zipfile
    xml = zipfile.ZipFile(path).read("xl/worksheets/sheet1.xml").decode()
    s4 = re.search(r'<c r="C4" s="(\d+)"', xml).group(1)
    s14 = re.search(r'<c r="C14" s="(\d+)"', xml).group(1)
    _patch_cell(path, "C4", f'<c r="C4" s="{s4}"><f>100/3</f><v>33.333333333333336</v></c>')
    _patch_cell(path, "C14", f'<c r="C14" s="{s14}"><f>A1/4</f><v>2499.5</v></c>')
    sub = read(path, roster)
    assert sub.status is Status.ACCEPTED
    assert sub.values["funding.central"] == Decimal("33.33") and sub.values["staff.other"] == 2500


def test_fraction_of_a_count_quotes_what_excel_shows(tmp_path, roster):
    path = sp.write_statistics(tmp_path / "q.xlsx", "河北省", VALUES)
    _patch_cell(path, "C14", '<c r="C14"><f>A1/3</f><v>41.666666666666664</v></c>')
    sub = read(path, roster)
    assert rules(sub) == [("not-integer", "统计表", "C14")]
    assert "填写的是「41.6666666666667」" in sub.problems[0].message      # 15 significant digits, as Excel shows


def test_subtotal_that_does_not_add_up_is_flagged_not_changed(tmp_path, roster):
    from kjhdz_docs.forms import FUNDING
    path = sp.write_statistics(tmp_path / "s.xlsx", "河北省", VALUES, style="subtotals",
                               subtotal_error={FUNDING: Decimal("100")})
    sub = read(path, roster)
    assert sub.status is Status.ACCEPTED and sub.values == VALUES
    total = sum(v for k, v in VALUES.items() if k.startswith("funding."))
    assert [(f["indicator"], f["cell"], f["rule"]) for f in sub.flags] == [("funding.total", "统计表!C11", "total-mismatch")]
    assert sub.flags[0]["value"] == f"{(total + 100).normalize():f}"
    assert f"各分项之和为 {total.normalize():f}万元" in sub.flags[0]["message"]


@pytest.mark.parametrize("style", ["subtotals", "totals"])
def test_a_total_row_of_either_group_not_adding_up_is_flagged_with_its_cell(tmp_path, roster, style):
    """A 合计 row as well as a 小计 row, in the money group and in the people group: each flagged with its own
    cell and the sum of its parts; the figures accepted are the parts, exactly."""
    from kjhdz_docs.forms import FUNDING, STAFF
    path = sp.write_statistics(tmp_path / "t.xlsx", "河北省", VALUES, style=style,
                               subtotal_error={FUNDING: Decimal("-0.01"), STAFF: 7})
    sub = read(path, roster)
    assert sub.status is Status.ACCEPTED and sub.values == VALUES and sub.problems == []
    label = {"subtotals": ("经费小计", "人员小计"), "totals": ("经费合计", "人员合计")}[style]
    money = sum(v for k, v in VALUES.items() if k.startswith("funding."))
    staff = sum(v for k, v in VALUES.items() if k.startswith("staff."))
    assert [(f["indicator"], f["cell"], f["rule"], f["value"]) for f in sub.flags] == [
        ("funding.total", "统计表!C11", "total-mismatch", f"{(money - Decimal('0.01')).normalize():f}"),
        ("staff.total", "统计表!C16", "total-mismatch", str(staff + 7))]
    assert sub.flags[0]["message"] == (f"C11「{label[0]}」为 {(money - Decimal('0.01')).normalize():f}，"
                                       f"各分项之和为 {money.normalize():f}万元，二者不等，请核实（汇总按各分项计）")
    assert sub.flags[1]["message"] == f"C16「{label[1]}」为 {staff + 7}，各分项之和为 {staff}人次，二者不等，请核实（汇总按各分项计）"


@pytest.mark.parametrize("style, words", [
    ("macros", "工作簿含有宏（xl/vbaProject.bin），宏未运行"),
    ("external_link", "外部链接（xl/externalLinks/externalLink1.xml，指向 file:///D:/统计/各市汇总.xlsx），链接未更新"),
])
def test_macros_and_external_links_warned_cached_values_used(tmp_path, roster, style, words):
    sub = read(sp.write_statistics(tmp_path / f"{style}.xlsx", "河北省", VALUES, style=style), roster)
    assert sub.status is Status.ACCEPTED and sub.values == VALUES
    assert len(sub.warnings) == 1 and words in sub.warnings[0]
    assert sub.as_dict()["warnings"] == sub.warnings


def test_dde_formula_warned(tmp_path, roster):
    sub = read(sp.write_statistics_layout(tmp_path / "dde.xlsx", "河北省", VALUES, dde=True), roster)
    assert sub.status is Status.ACCEPTED and sub.values == VALUES
    assert sub.warnings == ["工作表含有 DDE 形式的公式（xl/worksheets/sheet1.xml），未执行，使用文件中保存的结果；请删除这类公式后报送"]

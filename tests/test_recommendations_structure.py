"""推荐表 table structures, dates and places, read from real .xlsx files (kjhdz_docs.specimens) through the intake
and checked by the 推荐清单's row rules: the exact activities listed, or the exact rule and cell flagged."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from kjhdz_docs import specimens as sp
from kjhdz_docs.divisions import NOT_IN_TABLE
from kjhdz_docs.intake.reader import read_workbook
from kjhdz_docs.intake.recommendation_form import read_recommendations
from kjhdz_docs.recommendations import consolidate
from kjhdz_docs.roster import load_roster
from tests.conftest import requires_soffice

WEEK = (dt.date(2024, 5, 25), dt.date(2024, 6, 1))
UNIT = "北京市科学技术委员会"
ROSTER = load_roster(2024)
ORDER = [u.name for u in ROSTER.units]


def read(path):
    result = read_recommendations(read_workbook(path), ROSTER, file=path.name)
    assert result.problems == []
    return result


def listed_and_excluded(path):
    result = read(path)
    listed, excluded = consolidate(result.activities, ORDER, *WEEK)
    return result, listed, excluded


def expected_rows(activities, sessions=False):
    """(name, 举办时间、地点, 联系人及电话) as the list must show each activity of ``activities``."""
    out = []
    for a in activities:
        parts = sp.sessions_of(a) if sessions else sp.sessions_of(a)[:1]
        out.append((a["name"], "；".join(f"{t}，{p}" for t, p in parts), a["contact"]))
    return out


def rows_of(listed):
    return [(x.activity.name, x.activity.time_place, x.activity.contact) for x in listed]


STRUCTURES = ["two_row_header", "contact_subcolumns", "separate_columns", "contact_columns", "merged_sessions",
              "merged_sessions_subcolumns", "footer_lines", "blank_rows", "title_unit", "everything",
              "unmerged_sessions", "unmerged_sessions_columns"]


@pytest.mark.parametrize("style", STRUCTURES)
def test_every_structure_lists_exactly_the_activities_written(tmp_path, style):
    sessions = sp.RECOMMENDATION_STRUCTURES[style].get("sessions", False)
    acts = sp.sample_activities("北京市", 4)
    if sessions:
        acts = sp.with_sessions(acts)
    path = sp.write_recommendations(tmp_path / f"{style}.xlsx", UNIT, acts, style=style)
    result, listed, excluded = listed_and_excluded(path)
    assert result.unit.name == "北京市"
    assert excluded == []
    assert rows_of(listed) == expected_rows(acts, sessions)
    assert all(x.county == "海淀区" for x in listed)


def test_two_row_header_reads_the_place_sub_column(tmp_path):
    acts = sp.sample_activities("北京市", 2)
    path = sp.write_recommendations(tmp_path / "a.xlsx", UNIT, acts, style="two_row_header")
    result = read(path)
    # title A2, unit line A3, header rows 4–5: the first activity is row 6, 时间 in D, 地点 in E
    assert [(a.row, a.cells["time"], a.cells["place"]) for a in result.activities] == [(6, "D6", "E6"), (7, "D7", "E7")]


def test_merged_sessions_are_one_activity_with_both_sessions(tmp_path):
    acts = sp.with_sessions(sp.sample_activities("北京市", 2), every=1)
    path = sp.write_recommendations(tmp_path / "a.xlsx", UNIT, acts, style="merged_sessions_subcolumns")
    result, listed, _ = listed_and_excluded(path)
    assert [(a.row, a.sessions, a.cells["time"]) for a in result.activities] == [(6, 2, "D6、D7"), (8, 2, "D8、D9")]
    first = listed[0]
    assert [(s.start, s.end) for s in first.dates] == [(dt.date(2024, 5, 27), dt.date(2024, 5, 27)),
                                                        (dt.date(2024, 5, 28), dt.date(2024, 5, 28))]


def test_a_session_outside_the_week_sends_the_activity_to_verify(tmp_path):
    acts = sp.sample_activities("北京市", 1)
    acts[0]["sessions"] = [("2024年5月31日", "北京市海淀区"), ("2024年6月3日", "北京市海淀区")]
    path = sp.write_recommendations(tmp_path / "a.xlsx", UNIT, acts, style="merged_sessions_subcolumns")
    _, listed, excluded = listed_and_excluded(path)
    assert listed == []
    assert [(p.rule, p.cell) for p in excluded[0].reasons] == [("date-outside-week", "D6、D7")]
    assert "2024年6月3日" in excluded[0].reason and "（D6、D7）" in excluded[0].reason


def test_an_unmerged_session_row_is_another_session_of_the_activity_above(tmp_path):
    """A row right under an activity with 序号/名称/简介 blank and its own 时间、地点 was rejected name-missing and
    the activity kept only its first session; it is joined, with a note naming its cell."""
    acts = sp.sample_activities("北京市", 2)
    acts[0]["sessions"] = [("2024年5月26日", "北京市海淀区"), ("2024年5月28日", "北京市朝阳区")]
    path = sp.write_recommendations(tmp_path / "a.xlsx", UNIT, acts, style="unmerged_sessions")
    result, listed, excluded = listed_and_excluded(path)
    assert excluded == []
    assert [(x.activity.name, x.activity.time_place) for x in listed] == [
        (acts[0]["name"], "2024年5月26日，北京市海淀区；2024年5月28日，北京市朝阳区"),
        (acts[1]["name"], acts[1]["time_place"])]
    first = result.activities[0]
    assert (first.row, first.sessions, first.cells["name"], first.cells["time_place"]) == (5, 2, "B5", "D5、D6")
    assert [(s.start, s.end) for s in listed[0].dates] == [(dt.date(2024, 5, 26),) * 2, (dt.date(2024, 5, 28),) * 2]
    assert result.notes == [f"工作表「推荐表」第6行没有序号、活动名称和活动简介，只填了举办时间、地点D6「2024年5月28日，"
                            f"北京市朝阳区」，按上一项活动「{acts[0]['name']}」（第5行）的又一场次计入"]


@pytest.mark.parametrize("second, rule, said", [
    ("2024年5月31日—6月5日", "date-outside-week", "举办时间“2024年5月31日—6月5日”结束于2024年6月5日，超出活动周"),
    ("6月上旬", "date-imprecise", "举办时间“6月上旬”不是确切日期"),
])
def test_the_date_rules_apply_to_a_joined_session(tmp_path, second, rule, said):
    acts = sp.sample_activities("北京市", 1)
    acts[0]["sessions"] = [("2024年5月26日", "北京市海淀区"), (second, "北京市海淀区")]
    path = sp.write_recommendations(tmp_path / "a.xlsx", UNIT, acts, style="unmerged_sessions_columns")
    _, listed, excluded = listed_and_excluded(path)
    assert listed == []
    assert [(p.rule, p.cell) for p in excluded[0].reasons] == [(rule, "D5、D6")]
    assert said in excluded[0].reason
    assert excluded[0].activity.time_place == f"2024年5月26日，北京市海淀区；{second}，北京市海淀区"


def test_a_session_shaped_row_of_another_unit_is_flagged_not_joined(tmp_path):
    acts = sp.sample_activities("北京市", 1)
    acts[0]["sessions"] = [("2024年5月26日", "北京市海淀区"), ("2024年5月28日", "北京市朝阳区")]
    acts[0]["session_unit"] = "中国科学院"
    path = sp.write_recommendations(tmp_path / "a.xlsx", UNIT, acts, style="unmerged_sessions_columns")
    result, listed, excluded = listed_and_excluded(path)
    assert [(x.activity.name, x.activity.time_place) for x in listed] == [(acts[0]["name"], "2024年5月26日，北京市海淀区")]
    assert [(x.activity.row, x.activity.time_place) for x in excluded] == [(6, "2024年5月28日，北京市朝阳区")]
    assert [(p.rule, p.cell) for p in excluded[0].reasons] == [("session-unclear", "D6、E6")]
    person, phone = acts[0]["contact"].split(" ")
    assert (f"第6行没有序号、活动名称和活动简介，只填了举办时间D6「2024年5月28日」、举办地点E6「北京市朝阳区」、联系人G6「{person}」、"
            f"联系电话H6「{phone}」，像是上一项活动「{acts[0]['name']}」的又一场次，但其推荐单位F6「中国科学院」与该活动的"
            f"「{acts[0]['unit']}」不同，无法确定属于哪项活动") in excluded[0].reason
    assert result.notes == []


def test_a_row_with_its_own_intro_is_no_session(tmp_path):
    acts = sp.sample_activities("北京市", 2)
    acts[1].update(name="")
    path = sp.write_recommendations(tmp_path / "a.xlsx", UNIT, acts, style="separate_columns")
    from openpyxl import load_workbook

    wb = load_workbook(path)
    wb.active["A6"] = None                                  # 序号 blank too: only its 简介 makes it an activity
    wb.save(path)
    result, listed, excluded = listed_and_excluded(path)
    assert [x.activity.name for x in listed] == [acts[0]["name"]] and result.notes == []
    assert [(p.rule, p.cell) for p in excluded[0].reasons] == [("name-missing", "B6")]
    assert excluded[0].activity.time_place == acts[1]["time_place"]


def test_footer_lines_are_never_activities(tmp_path):
    acts = sp.sample_activities("北京市", 2)
    path = sp.write_recommendations(tmp_path / "a.xlsx", UNIT, acts, style="footer_lines")
    result = read(path)
    assert [a.name for a in result.activities] == [a["name"] for a in acts]
    assert not any("填表人" in a.name or "审核人" in a.name or "联系电话" in a.name + a.contact[:4]
                   for a in result.activities)


def test_the_unit_given_only_in_the_title(tmp_path):
    path = sp.write_recommendations(tmp_path / "a.xlsx", "北京市", sp.sample_activities("北京市", 1), style="title_unit")
    result = read(path)
    assert result.unit.name == "北京市" and result.unit_text == "北京市"
    assert result.notes == ["推荐单位按表格标题「北京市2024年全国科技活动周特色群众性科技活动推荐表」认定为北京市"]


def test_a_formula_in_the_name_cell_is_reported_as_a_formula(tmp_path):
    acts = sp.sample_activities("北京市", 3)
    path = sp.write_recommendations(tmp_path / "a.xlsx", UNIT, acts, style="formula_name")
    _, listed, excluded = listed_and_excluded(path)
    assert [x.activity.name for x in listed] == [acts[0]["name"], acts[2]["name"]]
    assert [(p.rule, p.cell) for p in excluded[0].reasons] == [("formula-text", "B6")]
    assert f'=HYPERLINK("https://example.org/activity/2","{acts[1]["name"]}")' in excluded[0].reason
    assert "活动名称为空" not in excluded[0].reason


# --- dates and places: each row's exact outcome and the cell named ---------------------------------------------
CASES = [
    # (举办时间、地点, rule or None, what the message or the list says)
    ("2024/5/25-6/5，北京市海淀区", "date-outside-week", "结束于2024年6月5日，超出活动周"),
    ("5月25日至6月上旬，北京市海淀区", "date-imprecise", "“6月上旬”不是确切日期"),
    ("5月下旬，北京市海淀区", "date-imprecise", "“5月下旬”不是确切日期"),
    ("5月25日—待定，北京市海淀区", "date-unreadable", "结束日期“待定”无法识别"),
    ("2024年5月20日-26日，北京市海淀区", "date-outside-week", "始于2024年5月20日，早于活动周"),
    ("5月26日 线上+线下", "place-county", "活动含线下部分（线上+线下），但未写明线下活动的县级地点"),
    ("5月26日 线下，北京市", "place-county", "地点只写到“北京市”"),
    ("5月26日，江西省南昌市", "place-county", "地点只写到“江西省南昌市”"),
    ("2024.5.25-27，北京市海淀区", None, "海淀区"),
    ("5月25日-6.1，北京市海淀区", None, "海淀区"),
    ("5月26日，江西省南昌市红谷滩区", None, "红谷滩区"),
    ("5月26日，四川省成都市郫县", None, "郫都区（“郫县”已于2016年更名为郫都区，按现名认定）"),
    ("5月26日，江西省南昌市九龙湖区", None, f"九龙湖区（{NOT_IN_TABLE}）"),
    ("5月26日 线上直播", None, "线上"),
]


@pytest.fixture(scope="module")
def case_rows(tmp_path_factory):
    acts = [dict(sp.sample_activities("北京市", 1)[0], name=f"活动{i}", time_place=tp)
            for i, (tp, _, _) in enumerate(CASES)]
    path = sp.write_recommendations(tmp_path_factory.mktemp("cases") / "a.xlsx", UNIT, acts, unit_line=True)
    result = read(path)
    listed, excluded = consolidate(result.activities, ORDER, *WEEK)
    # the 6th and later rows of a unit are beyond the limit: check each row alone
    return {a.name: consolidate([a], ORDER, *WEEK) for a in result.activities}


@pytest.mark.parametrize("i", range(len(CASES)))
def test_dates_and_places(case_rows, i):
    time_place, rule, said = CASES[i]
    listed, excluded = case_rows[f"活动{i}"]
    if rule is None:
        assert excluded == [] and len(listed) == 1
        x = listed[0]
        shown = (x.county + (f"（{x.note}）" if x.note else "")) if x.county else ("线上" if x.online else "")
        assert shown == said
    else:
        assert listed == []
        assert [(p.rule, p.cell) for p in excluded[0].reasons] == [(rule, f"D{4 + i}")]
        assert said in excluded[0].reason


def test_separate_columns_name_the_place_cell_and_the_time_cell(tmp_path):
    acts = sp.sample_activities("北京市", 2)
    acts[0]["time_place"] = "2024年5月26日，湖南省长沙市"
    acts[1]["time_place"] = "2024年6月5日，北京市海淀区"
    path = sp.write_recommendations(tmp_path / "a.xlsx", UNIT, acts, style="separate_columns")
    _, listed, excluded = listed_and_excluded(path)
    assert listed == []
    assert [[(p.rule, p.cell) for p in x.reasons] for x in excluded] == [[("place-county", "E5")],
                                                                         [("date-outside-week", "D6")]]


def test_every_row_rule_names_its_cell(tmp_path):
    acts = sp.sample_activities("北京市", 6)
    acts[5].update(name="", intro="长" * 120, time_place="上海科技馆")
    path = sp.write_recommendations(tmp_path / "a.xlsx", UNIT, acts)
    _, _, excluded = listed_and_excluded(path)
    assert [(p.rule, p.cell) for p in excluded[0].reasons] == [
        ("max-activities", "A9"), ("name-missing", "B9"), ("intro-length", "C9"), ("place-county", "D9"),
        ("date-missing", "D9")]


# --- property: every generated activity listed once or flagged with its rule ----------------------------------
# (sessions merged, or each later session a row of its own with only its 时间/地点, or its 推荐单位/联系人 again)
DEFECTS = {None: None, "intro": "intro-length", "city": "place-county", "late": "date-outside-week",
           "vague": "date-imprecise"}


@st.composite
def structures(draw):
    n = draw(st.integers(1, 7))
    acts, expect = [], []
    for i in range(n):
        base = sp.sample_activities("北京市", 1, seed=draw(st.integers(0, 50)))[0]
        k = draw(st.integers(1, 3))
        days = draw(st.lists(st.integers(25, 31), min_size=k, max_size=k, unique=True))
        place = draw(st.sampled_from(["北京市海淀区", "北京市朝阳区中关村", "江西省南昌市红谷滩区", "北京市延庆区"]))
        defect = draw(st.sampled_from(sorted(DEFECTS, key=str)))
        sessions = [(f"2024年5月{d}日", place) for d in sorted(days)]
        act = dict(base, name=f"第{i + 1}项{draw(st.sampled_from(['科普', '开放日', '讲座']))}", sessions=sessions)
        if defect == "intro":
            act["intro"] = "长" * 101
        elif defect == "city":
            act["sessions"] = [(t, "湖南省长沙市") for t, _ in sessions]
        elif defect == "late":
            act["sessions"] = sessions[:-1] + [("2024年6月8日", place)]
        elif defect == "vague":
            act["sessions"] = [("5月下旬", place)] + sessions[1:]
        rules = {DEFECTS[defect]} - {None}
        if i >= 5:
            rules.add("max-activities")
        acts.append(act)
        expect.append((act["name"], rules))
    formula = draw(st.none() | st.integers(0, n - 1))       # one 活动名称 a HYPERLINK formula without a value
    if formula is not None:
        expect[formula][1].add("formula-text")
    options = dict(time_place=draw(st.sampled_from(["one", "columns", "subcolumns"])), formula_name=formula,
                   contact=draw(st.sampled_from(["one", "columns", "subcolumns"])),
                   footer=draw(st.booleans()), blank_rows=draw(st.booleans()), unit_in_title=draw(st.booleans()),
                   blank_lines=draw(st.integers(1, 2)), sessions=True,
                   unmerged=draw(st.sampled_from([None, "blank", "repeat"])))     # later sessions merged or not
    return acts, expect, options


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(structures())
def test_every_generated_activity_is_listed_once_or_flagged(tmp_path, case):
    acts, expect, options = case
    path = tmp_path / "gen.xlsx"
    sp._save(sp.structured_recommendation_workbook(UNIT, acts, **options), path, None)
    result = read(path)
    listed, excluded = consolidate(result.activities, ORDER, *WEEK)
    for x in excluded:                                                   # a formula name: its text in the formula
        if "name" in x.activity.formulas:
            x.activity.name = next(n for n, _ in expect if f',"{n}")' in x.activity.formulas["name"])
    seen = [x.activity.name for x in listed] + [x.activity.name for x in excluded]
    assert sorted(seen) == sorted(name for name, _ in expect)            # none lost, none doubled, no footer
    got = {x.activity.name: set() for x in listed} | {x.activity.name: {p.rule for p in x.reasons} for x in excluded}
    assert got == dict(expect)
    for x in listed:                                                     # every session, nothing lost
        act = next(a for a in acts if a["name"] == x.activity.name)
        assert x.activity.time_place == "；".join(f"{t}，{p}" for t, p in act["sessions"])
        assert x.activity.contact == act["contact"]


def test_a_renamed_county_is_printed_by_its_current_name(tmp_path):
    from kjhdz_docs.recommendations import docx_context, list_json

    acts = sp.sample_activities("四川省", 1)
    acts[0]["time_place"] = "2024年5月26日，四川省成都市郫县"
    path = sp.write_recommendations(tmp_path / "a.xlsx", "四川省科学技术厅", acts)
    listed, excluded = consolidate(read(path).activities, ORDER, *WEEK)
    assert excluded == [] and listed[0].county == "郫都区" and listed[0].written == "郫县"
    shown = docx_context(2024, WEEK, listed, [], None, ORDER)["list_tables"][0]["groups"][0]["activities"][0]
    assert shown["time_place"] == "2024年5月26日，四川省成都市郫县（现郫都区）"
    data = list_json(2024, WEEK, listed, [], None, None)["activities"][0]
    assert (data["time_place"], data["county"]) == ("2024年5月26日，四川省成都市郫县", "郫都区")   # verbatim + current
    assert data["note"] == "“郫县”已于2016年更名为郫都区，按现名认定"


@requires_soffice
@pytest.mark.slow
@pytest.mark.parametrize("target", ["ods", "xls"])
def test_merged_sessions_in_ods_and_xls(tmp_path, target):
    """LibreOffice's .ods and .xls of the same form: one activity per merged group, every session (calamine gives
    no merged cells for .ods; they are read from its content.xml)."""
    from kjhdz_docs import converter

    acts = sp.with_sessions(sp.sample_activities("北京市", 3))
    xlsx = sp.write_recommendations(tmp_path / "a.xlsx", UNIT, acts, style="everything")
    out, = converter.convert_files([xlsx], tmp_path / target, target=target)
    result, listed, excluded = listed_and_excluded(out)
    assert excluded == []
    assert rows_of(listed) == expected_rows(acts, sessions=True)
    assert [a.sessions for a in result.activities] == [2, 1, 2]


@pytest.mark.parametrize("value, ok", [(5.3, False), (6.1, False), (45437, False), (5.25, True)])
def test_a_date_stored_as_a_number(tmp_path, value, ok):
    acts = sp.sample_activities("北京市", 1)
    path = sp.write_recommendations(tmp_path / "a.xlsx", UNIT, acts, style="separate_columns")
    from openpyxl import load_workbook

    wb = load_workbook(path)
    wb.active["D5"] = value                                 # 举办时间 typed as 5.30 / 6.1 / a date serial: a number
    wb.save(path)
    _, listed, excluded = listed_and_excluded(path)
    if ok:                                                  # 5.25 shows as 5.25: 5月25日
        assert excluded == [] and listed[0].dates[0].start == dt.date(2024, 5, 25)
    else:
        assert listed == []
        assert [(p.rule, p.cell) for p in excluded[0].reasons] == [("date-unreadable", "D5")]
        assert f"保存为数字“{value}”" in excluded[0].reason

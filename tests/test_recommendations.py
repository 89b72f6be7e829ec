"""Row rules of the 推荐清单 (pure: hand-made rows in, listed and excluded rows out)."""

from __future__ import annotations

import datetime as dt
import random

import pytest
from hypothesis import given, settings, strategies as st

from kjhdz_docs.errors import DataFileError
from kjhdz_docs.model import Activity
from kjhdz_docs.recommendations import clean_text, consolidate, intro_length, load_rotation

WEEK = (dt.date(2024, 5, 25), dt.date(2024, 6, 1))
ROSTER = ["北京市", "上海市", "深圳市", "中国科学院"]
GOOD_PLACE = "5月25日 北京市海淀区中关村"


def row(unit="北京市", n=1, *, name=None, intro="面向公众的科普展览", time_place=GOOD_PLACE, file=None,
        sheet="推荐表") -> Activity:
    return Activity(unit=unit, seq=n, name=name if name is not None else f"{unit}活动{n}", intro=intro,
                    time_place=time_place, contact="王老师 010-12345678",
                    source_file=file or f"{unit}.xlsx", sheet=sheet, row=n + 3)


def rules(excluded):
    return [[p.rule for p in x.reasons] for x in excluded]


def run(rows, roster=ROSTER):
    return consolidate(rows, roster, *WEEK)


def test_a_clean_row_is_listed_with_its_county():
    listed, excluded = run([row()])
    assert excluded == []
    assert [(x.number, x.county) for x in listed] == [(1, "海淀区")]
    assert listed[0].dates[0].start == WEEK[0]


def test_sixth_and_later_rows_of_a_unit_are_excluded_by_name():
    rows = [row("北京市", n) for n in range(1, 8)]
    random.Random(3).shuffle(rows)                      # order of arrival does not matter, sheet order does
    listed, excluded = run(rows)
    assert [x.activity.name for x in listed] == [f"北京市活动{n}" for n in range(1, 6)]
    assert [x.activity.name for x in excluded] == ["北京市活动6", "北京市活动7"]
    assert rules(excluded) == [["max-activities"], ["max-activities"]]
    assert "第6项" in excluded[0].reason and "5项" in excluded[0].reason


def test_the_limit_counts_per_unit_not_per_file():
    rows = [row("上海市", n, file="a.xlsx") for n in range(1, 4)] + \
           [row("上海市", n, file="b.xlsx", time_place="5月26日 上海市浦东新区") for n in range(1, 4)]
    listed, excluded = run(rows)
    assert len(listed) == 5 and [x.activity.source_file for x in excluded] == ["b.xlsx"]


@pytest.mark.parametrize("intro, ok", [
    ("科" * 100, True),
    ("科" * 50 + " \n\u3000\t" + "普" * 50, True),      # whitespace is not counted
    ("科" * 101, False),
])
def test_intro_at_most_100_characters(intro, ok):
    listed, excluded = run([row(intro=intro)])
    assert bool(listed) is ok
    if not ok:
        assert rules(excluded) == [["intro-length"]]
        assert "101字" in excluded[0].reason


def test_intro_length_ignores_whitespace():
    assert intro_length(" 科 普\n活动\u3000") == 4


@pytest.mark.parametrize("time_place, rule", [
    ("5月25日 上海科技馆", "place-county"),                 # municipality only
    ("5月25日 湖南省长沙市", "place-county"),               # city only
    ("5月25日", "place-county"),                           # no place at all
    ("北京市海淀区", "date-missing"),
    ("2024年6月2日 北京市海淀区", "date-outside-week"),
    ("5月20日—6月5日 北京市海淀区", "date-outside-week"),    # longer than the week
    ("2023年5月25日 北京市海淀区", "date-outside-week"),     # another year
    ("2月30日 北京市海淀区", "date-invalid"),
    ("5月25日 线上线下结合 北京市", "place-county"),         # online too, but the offline place is vague
])
def test_place_and_date_rules(time_place, rule):
    listed, excluded = run([row(time_place=time_place)])
    assert listed == []
    assert rules(excluded) == [[rule]]


def test_reasons_say_what_was_found():
    _, excluded = run([row(time_place="6月5日 湖南省长沙市")])
    reason = excluded[0].reason
    assert "湖南省长沙市" in reason and "6月5日" in reason and "2024年5月25日—6月1日" in reason


@pytest.mark.parametrize("time_place", [
    "2024年5月25日—6月1日 广东省深圳市南山区",
    "5月25日至27日 江苏昆山市",
    "2024.5.28 内蒙古鄂尔多斯市鄂托克旗",
    "活动周期间 湖北神农架林区",
    "5月26日 线上直播",                                     # online: no place needed
])
def test_rows_that_pass(time_place):
    listed, excluded = run([row(time_place=time_place)])
    assert excluded == [] and len(listed) == 1


def test_every_broken_rule_is_a_reason():
    rows = [row(n=n) for n in range(1, 6)] + [row(n=6, name="", intro="长" * 120, time_place="上海科技馆")]
    _, excluded = run(rows)
    assert rules(excluded) == [["max-activities", "name-missing", "intro-length", "place-county",
                                "date-missing"]]


def test_grouped_by_roster_order_and_numbered():
    rows = [row("中国科学院", 1), row("上海市", 1, time_place="5月26日 上海市徐汇区"), row("北京市", 1),
            row("某某研究会", 1), row("深圳市", 1, time_place="5月27日 深圳市南山区")]
    listed, _ = run(rows)
    assert [x.activity.unit for x in listed] == ["北京市", "上海市", "深圳市", "中国科学院", "某某研究会"]
    assert [x.number for x in listed] == [1, 2, 3, 4, 5]


def test_text_is_kept_verbatim_but_line_breaks_normalised():
    hostile = "科普&创新<之夜> \"AI\" 与 '未来' {{ year }} {% if %}"
    listed, _ = run([row(name=hostile, intro="第一行\r\n第二行\r第三行\x07\x0c")])
    assert listed[0].activity.name == hostile
    assert listed[0].activity.intro == "第一行\n第二行\n第三行"
    assert clean_text(None) == "" and clean_text(12) == "12"


@settings(max_examples=30, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(ROSTER + ["其他单位"]), st.integers(1, 9),
                          st.sampled_from([GOOD_PLACE, "6月9日 北京市海淀区", "5月26日 上海科技馆"]),
                          st.integers(95, 105)), max_size=25, unique_by=lambda t: (t[0], t[1])),
       st.randoms())
def test_every_row_is_accounted_for_and_arrival_order_does_not_matter(specs, rnd):
    rows = [row(u, n, time_place=tp, intro="科" * k) for u, n, tp, k in specs]
    listed, excluded = run(rows)
    assert len(listed) + len(excluded) == len(rows)
    per_unit: dict[str, int] = {}
    for x in listed:
        per_unit[x.activity.unit] = per_unit.get(x.activity.unit, 0) + 1
    assert all(n <= 5 for n in per_unit.values())
    shuffled = list(rows)
    rnd.shuffle(shuffled)
    again, again_excluded = run(shuffled)
    assert [x.as_dict() for x in again] == [x.as_dict() for x in listed]
    assert [x.as_dict() for x in again_excluded] == [x.as_dict() for x in excluded]


# --- 轮值主场 ---------------------------------------------------------------------------------------------
def test_rotation_schedule(tmp_path):
    listed, _ = run([row("北京市", 1), row("上海市", 1, time_place="5月26日 上海市徐汇区")])
    path = tmp_path / "rotation.yaml"
    path.write_text("days:\n  - {date: 2024-05-26, unit: 上海市, activity: 上海市活动1}\n"
                    "  - {date: 2024-05-25, unit: 北京市, activity: 北京市活动1}\n", encoding="utf-8")
    days = load_rotation(path, listed, WEEK)
    assert [(d.date.day, d.unit, d.number) for d in days] == [(25, "北京市", 1), (26, "上海市", 2)]
    assert days[0].as_dict()["weekday"] == "星期六"


def test_rotation_problems_are_all_named(tmp_path):
    listed, _ = run([row("北京市", 1)])
    path = tmp_path / "rotation.yaml"
    path.write_text("days:\n  - {date: 2024-06-03, unit: 北京市, activity: 北京市活动1}\n"
                    "  - {date: 2024-06-03, unit: 北京市, activity: 没有这个活动}\n", encoding="utf-8")
    with pytest.raises(DataFileError) as info:
        load_rotation(path, listed, WEEK)
    text = str(info.value)
    assert "days[0].date" in text and "days[1].date" in text and "没有这个活动" in text


def test_the_template_declares_only_what_the_context_fills():
    from docxtpl import DocxTemplate

    from kjhdz_docs.recommendations import docx_context
    from kjhdz_docs.rendering import template_path

    declared = DocxTemplate(str(template_path("recommendations.docx"))).get_undeclared_template_variables()
    assert declared == set(docx_context(2024, WEEK, [], [], None, []))


# --- failures before anything is written ------------------------------------------------------------------
def test_missing_inbox_is_a_typed_error(tmp_path):
    from kjhdz_docs.errors import ExitCode, MissingInputError, exit_for
    from kjhdz_docs.recommendations import build_recommendations

    with pytest.raises(MissingInputError) as info:
        build_recommendations(2024, inbox=tmp_path / "no-such-inbox", out=tmp_path / "out")
    assert exit_for(info.value) == ExitCode.MISSING_INPUT
    assert not (tmp_path / "out").exists()


def test_a_bad_rotation_file_stops_before_any_output(tmp_path):
    from kjhdz_docs.model import FormKind, IntakeReport, Status, Submission
    from kjhdz_docs.recommendations import publish_list

    sub = Submission("北京市.xlsx", "a" * 64, 1, Status.ACCEPTED, unit="北京市", activities=[row()])
    bad = tmp_path / "rotation.yaml"
    bad.write_text("days:\n  - {date: 2024-05-25, unit: 北京市, activity: 不在清单里}\n", encoding="utf-8")
    with pytest.raises(DataFileError, match="不在清单里"):
        publish_list(2024, IntakeReport(2024, FormKind.RECOMMENDATIONS, "/inbox", [sub]),
                     out=tmp_path / "out", rotation_file=bad)
    assert not (tmp_path / "out").exists()

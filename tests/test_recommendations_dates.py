"""Reading the dates people write in 举办时间、地点."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given, strategies as st

from kjhdz_docs.event_dates import normalise, read_dates

WEEK = (dt.date(2024, 5, 25), dt.date(2024, 6, 1))
D = dt.date


@pytest.mark.parametrize("text, spans", [
    ("5月25日", [(D(2024, 5, 25), D(2024, 5, 25))]),
    ("5月25号 北京市海淀区", [(D(2024, 5, 25), D(2024, 5, 25))]),
    ("2024年5月25日—6月1日", [(D(2024, 5, 25), D(2024, 6, 1))]),
    ("2024年5月25日-2024年6月1日", [(D(2024, 5, 25), D(2024, 6, 1))]),
    ("2024.5.25", [(D(2024, 5, 25), D(2024, 5, 25))]),
    ("2024/5/26", [(D(2024, 5, 26), D(2024, 5, 26))]),
    ("2024-05-27", [(D(2024, 5, 27), D(2024, 5, 27))]),
    ("2024-05-27 00:00:00", [(D(2024, 5, 27), D(2024, 5, 27))]),
    ("5月25日至27日", [(D(2024, 5, 25), D(2024, 5, 27))]),
    ("5月25-27日", [(D(2024, 5, 25), D(2024, 5, 27))]),
    ("5.25-6.1", [(D(2024, 5, 25), D(2024, 6, 1))]),
    ("5/25—5/27 北京市朝阳区", [(D(2024, 5, 25), D(2024, 5, 27))]),
    ("５月２８日～３０日", [(D(2024, 5, 28), D(2024, 5, 30))]),
    ("二〇二四年五月二十五日至六月一日", [(D(2024, 5, 25), D(2024, 6, 1))]),
    ("5月25日、26日", [(D(2024, 5, 25), D(2024, 5, 25)), (D(2024, 5, 26), D(2024, 5, 26))]),
    ("活动周期间 各区县", [WEEK]),
    ("5月25日（周六）9:00-17:00 海淀区中关村大街3号", [(D(2024, 5, 25), D(2024, 5, 25))]),
    ("5月25日 9.30开始", [(D(2024, 5, 25), D(2024, 5, 25))]),
    ("2023年5月25日", [(D(2023, 5, 25), D(2023, 5, 25))]),
    ("海淀区中关村大街3号", []),
    ("9:30-11:30", []),
])
def test_the_ways_dates_are_written(text, spans):
    got = read_dates(text, 2024, WEEK)
    assert [(s.start, s.end) for s in got.spans] == spans


def test_impossible_dates_are_named():
    got = read_dates("2月30日 北京", 2024, WEEK)
    assert got.spans == [] and got.invalid == ["2月30日"]


def test_week_words_only_without_a_date():
    got = read_dates("活动周期间，5月26日", 2024, WEEK)
    assert [(s.start, s.end) for s in got.spans] == [(D(2024, 5, 26), D(2024, 5, 26))]


def test_normalise_full_width_and_numerals():
    assert normalise("２０２４年五月二十五日") == "2024年5月25日"
    assert normalise("十月十日") == "10月10日"


@given(st.dates(min_value=D(2000, 1, 1), max_value=D(2099, 12, 30)),
       st.integers(min_value=0, max_value=40),
       st.sampled_from(["{y}年{m}月{d}日", "{m}月{d}日", "{y}.{m}.{d}", "{y}-{m:02d}-{d:02d}", "{y}/{m}/{d}"]),
       st.sampled_from(["—", "-", "至", "~", "－", "到"]))
def test_any_range_round_trips(first, length, style, dash):
    last = min(first + dt.timedelta(days=length), D(first.year, 12, 31))
    y = first.year
    text = style.format(y=y, m=first.month, d=first.day) + dash + style.format(y=y, m=last.month, d=last.day)
    got = read_dates(text, y)
    if first == last:
        assert [(s.start, s.end) for s in got.spans] == [(first, first)]
    else:
        assert [(s.start, s.end) for s in got.spans] == [(first, last)]

"""Chinese number formatting: magnitudes after rounding, exact decimals, wording of changes."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kjhdz_docs import cnnum


@pytest.mark.parametrize("value, text", [
    (0, "0人次"), (7, "7人次"), (9_999, "9,999人次"), (10_000, "1万人次"), (12_345, "1.23万人次"),
    (123_456, "12.35万人次"), (99_500_000, "9,950万人次"), (99_999_999, "1亿人次"),
    (100_000_000, "1亿人次"), (123_456_789, "1.23亿人次"), (120_000_000, "1.2亿人次"),
])
def test_counts_use_wan_and_yi_after_rounding(value, text):
    assert cnnum.count(value, "人次") == text


@pytest.mark.parametrize("value, text", [
    ("0", "0.00万元"), ("4567.89", "4,567.89万元"), ("0.005", "0.01万元"), ("9999.99", "9,999.99万元"),
    ("9999.995", "1亿元"), ("10000", "1亿元"), ("123456.785", "12.35亿元"), ("-12.5", "-12.50万元"),
])
def test_money_in_wan_yuan(value, text):
    assert cnnum.money_wan(Decimal(value)) == text


def test_half_up_on_exact_decimals_not_floats():
    # 2.675 is 2.67499999… as a float; the forms' values are exact decimals
    assert cnnum.plain_money(Decimal("2.675")) == "2.68"
    assert cnnum.plain_count(1234567) == "1,234,567"
    assert cnnum.percent(Decimal("0.38255")) == "38.26%"
    assert cnnum.percent(None) == "—"


@pytest.mark.parametrize("cur, prev, text", [
    (110, 100, "增长10.0%"), (95, 100, "下降5.0%"), (100, 100, "持平"), (5, 0, "新增"), (0, 0, "持平"),
    (Decimal("100.04"), Decimal("100"), "持平"), (1, None, "—"),
])
def test_change_wording(cur, prev, text):
    assert cnnum.change(cur, prev) == text


def test_ordinals():
    assert [cnnum.ordinal(n) for n in (1, 9, 10, 11, 20, 21, 99)] == ["一", "九", "十", "十一", "二十", "二十一", "九十九"]
    with pytest.raises(ValueError):
        cnnum.ordinal(0)


@given(st.integers(min_value=0, max_value=10**15))
def test_scaled_count_reads_back_within_rounding(n):
    text = cnnum.scaled(n)
    if text.endswith("亿"):
        back, unit = Decimal(text[:-1].replace(",", "")), Decimal(10**8)
    elif text.endswith("万"):
        back, unit = Decimal(text[:-1].replace(",", "")), Decimal(10**4)
        assert back < 10_000
    else:
        assert int(text.replace(",", "")) == n
        return
    assert abs(back * unit - n) <= unit / 200      # two decimals of the magnitude

"""Aggregation over accepted 统计表: exact totals, subtotals, rankings, missing units, order independence."""

from __future__ import annotations

import random
from dataclasses import dataclass
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kjhdz_docs import aggregate as agg
from kjhdz_docs.forms import INDICATORS
from kjhdz_docs.model import Status, Submission


@dataclass(frozen=True)
class Unit:
    name: str
    kind: str


ROSTER = [Unit("北京市", "province"), Unit("上海市", "province"), Unit("新疆生产建设兵团", "province"),
          Unit("深圳市", "city"), Unit("中国科学院", "department"), Unit("教育部", "department")]


def sub(unit, status=Status.ACCEPTED, file=None, modified=0.0, **values):
    vals = {k.replace("__", "."): v for k, v in values.items()}
    return Submission(file=file or f"{unit}.xlsx", sha256="0" * 64, size=1, status=status, unit=unit,
                      values=vals, modified=modified)


def test_totals_subtotals_shares_and_missing():
    subs = [
        sub("北京市", activities=120, funding__central=Decimal("100.25"), funding__enterprise=Decimal("20"),
            public__offline=50_000, public__online=150_000, staff__fulltime=30),
        sub("深圳市", activities=80, funding__central=Decimal("0.10"), funding__municipal=Decimal("79.65"),
            public__offline=70_000, public__online=1),
        sub("教育部", activities=300, funding__other=Decimal("0.005"), public__offline=10, media__reports=7),
        sub("上海市", status=Status.REJECTED, activities=10**9),
        sub("中国科学院", status=Status.SUPERSEDED, activities=10**9),
    ]
    s = agg.aggregate(2024, subs, ROSTER)
    assert s.totals["activities"] == 500
    assert s.totals["funding.central"] == Decimal("100.35")
    assert s.totals["funding.other"] == Decimal("0.005")          # exact, rounded only when written
    assert s.derived["funding.total"] == Decimal("200.005")
    assert s.totals["public.offline"] == 120_010 and s.derived["public.total"] == 270_011
    assert s.totals["media.outlets"] == 0 and isinstance(s.totals["media.outlets"], int)
    assert [r.unit for r in s.units] == ["北京市", "深圳市", "教育部"]                # roster order
    assert s.missing == ["上海市", "新疆生产建设兵团", "中国科学院"]
    assert s.by_kind["province"]["activities"] == 120 and s.by_kind["department"]["activities"] == 300
    assert s.kind_counts == {"province": (1, 3), "city": (1, 1), "department": (1, 2)}
    shares = s.funding_shares
    assert shares["funding.central"] == Decimal("100.35") / Decimal("200.005")
    assert sum(v for v in shares.values()) == pytest.approx(1)
    assert [(r.rank, r.unit) for r in s.rankings["public"]] == [(1, "北京市"), (2, "深圳市"), (3, "教育部")]
    assert [r.unit for r in s.rankings["activities"]] == ["教育部", "北京市", "深圳市"]


def test_rankings_keep_ten_and_break_ties_by_roster_order():
    roster = [Unit(f"单位{i:02d}", "department") for i in range(15)]
    subs = [sub(u.name, activities=5 if i % 2 else 9) for i, u in enumerate(roster)]
    s = agg.aggregate(2024, reversed(subs), roster)
    top = s.rankings["activities"]
    assert len(top) == 10
    assert [r.unit for r in top[:8]] == [f"单位{i:02d}" for i in range(0, 15, 2)]
    assert top[8].unit == "单位01" and top[8].value == 5


def test_unknown_unit_and_two_accepted_files_for_one_unit():
    subs = [sub("北京市", file="a.xlsx", modified=1.0, activities=1),
            sub("北京市", file="b.xlsx", modified=2.0, activities=2),
            sub("某研究会", activities=4)]
    s = agg.aggregate(2024, subs, ROSTER)
    assert s.unit("北京市").file == "b.xlsx" and s.totals["activities"] == 6
    assert s.units[-1].unit == "某研究会" and s.units[-1].kind == "other"


def test_counts_must_be_whole():
    with pytest.raises(ValueError, match="activities"):
        agg.normalized({"activities": Decimal("1.5")})


def test_compare_years():
    cur = {"activities": 110, "funding.central": Decimal("50.00"), "media.outlets": 3}
    prev = {"activities": 100, "funding.central": Decimal("100"), "media.outlets": 0}
    ch = agg.compare(cur, prev)
    assert ch["activities"] == agg.Change(100, 10, Decimal("0.1"))
    assert ch["funding.central"].ratio == Decimal("-0.5")
    assert ch["media.outlets"].ratio is None
    assert agg.compare(cur, None) == {}


money = st.decimals(min_value=0, max_value=10**7, places=2, allow_nan=False, allow_infinity=False)
counts = st.integers(min_value=0, max_value=10**9)
values_st = st.fixed_dictionaries({i.id: (money if i.is_money else counts) for i in INDICATORS})
units_st = st.lists(st.sampled_from([u.name for u in ROSTER] + ["外地单位"]), unique=True, max_size=7)


@settings(max_examples=60, deadline=None)
@given(units=units_st, data=st.data())
def test_totals_independent_of_order_and_equal_sum_of_unit_table(units, data):
    subs = [sub(u, **{k.replace(".", "__"): v for k, v in data.draw(values_st).items()}) for u in units]
    subs += [sub("上海市", status=Status.REJECTED, file="rej.xlsx", activities=999)]
    shuffled = list(subs)
    random.Random(data.draw(st.integers(0, 1000))).shuffle(shuffled)
    a, b = agg.aggregate(2024, subs, ROSTER), agg.aggregate(2024, shuffled, ROSTER)
    assert a == b
    for ind in INDICATORS:
        assert a.totals[ind.id] == sum((r.values[ind.id] for r in a.units), agg.zero(ind.id))
        assert a.totals[ind.id] == sum((t[ind.id] for t in a.by_kind.values()), agg.zero(ind.id))
    assert set(a.missing) | {r.unit for r in a.units} >= {u.name for u in ROSTER}
    assert not set(a.missing) & {r.unit for r in a.units}

"""Property: a 统计表 generated with random layout choices (values left or right, the unit of measure declared in
the cell / the label / the group header / a unit column / the header / a 单位 line, in 元 or 万元, people in
人次 or 万人次, sub-region sheets, title rows, a header row, a 序号 column, formulas with float noise) is either
accepted with exactly the generated figures in 万元 and 人次, or rejected with a named rule — never accepted
with other figures. Real .xlsx files, read by the real intake."""

from __future__ import annotations

import tempfile
from decimal import Decimal
from pathlib import Path

from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from kjhdz_docs import specimens as sp
from kjhdz_docs.forms import FUNDING, INDICATORS, PUBLIC
from kjhdz_docs.intake import read_submission
from kjhdz_docs.model import FormKind, Status
from kjhdz_docs.roster import load_roster

ROSTER = load_roster(2024)
RULES = {"wrong-unit", "ambiguous-value", "two-forms", "not-integer", "not-a-number", "negative-number",
         "formula-no-value", "missing-indicator", "unknown-unit", "missing-unit", "no-form"}


def _value(ind):
    if ind.is_money:
        return st.integers(0, 9_999_999).map(lambda c: Decimal(c) / 100)
    return st.integers(0, 9_000_000 if ind.id.startswith("public.") else 50_000)


VALUES = st.fixed_dictionaries({i.id: _value(i) for i in INDICATORS})


@st.composite
def layouts(draw):
    money_decl = draw(st.sampled_from(["group", "label", "column", "header", "cell", "line"]))
    people_decl = draw(st.sampled_from(["group", "label", "cell"]))
    layout = {
        "side": draw(st.sampled_from(["right", "left"])),
        "money_unit": draw(st.sampled_from(["万元", "元"])), "money_decl": money_decl,
        "people_unit": draw(st.sampled_from(["人次", "万人次"])), "people_decl": people_decl,
        "title_rows": draw(st.integers(0, 3)),
        "header_row": money_decl == "header" or draw(st.booleans()),
        "seq_col": draw(st.booleans()),
        "formulas": draw(st.booleans()),
    }
    if money_decl not in ("group",) and draw(st.integers(0, 9)) == 0:      # a group header that disagrees
        layout["group_unit"] = {FUNDING: "万元" if layout["money_unit"] == "元" else "元"}
    if people_decl not in ("group",) and draw(st.integers(0, 14)) == 0:     # the same for the people rows
        layout.setdefault("group_unit", {})[PUBLIC] = "人次" if layout["people_unit"] == "万人次" else "万人次"
    if draw(st.integers(0, 9)) == 0:                                          # a stray number beside a value
        layout["extra_cells"] = {draw(st.sampled_from([i.id for i in INDICATORS])):
                                 (2 if layout["side"] == "right" else 4, draw(st.integers(1, 999)))}
    subs = draw(st.integers(0, 2))
    regions = (("石家庄市", "石家庄市"), ("唐山市", "唐山市"))[:subs]
    return layout, regions


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(layout=layouts(), values=VALUES)
def test_accepted_exactly_or_rejected_with_a_rule(layout, values):
    layout, regions = layout
    with tempfile.TemporaryDirectory(prefix="kjhdz-prop-") as tmp:
        path = sp.write_statistics_layout(Path(tmp) / "河北省.xlsx", "河北省科学技术厅", values, sub_regions=regions,
                                          own_sheet="全省汇总" if regions else "统计表", **layout)
        sub = read_submission(path, path.name, FormKind.STATISTICS, ROSTER)
    event(sub.status.value + ''.join(sorted({' ' + p.rule for p in sub.problems})))
    if "group_unit" in layout:       # the group header disagrees with the declaration the rows carry: never accepted
        assert sub.status is Status.REJECTED and "wrong-unit" in {p.rule for p in sub.problems}, \
            (sub.status, [(p.rule, p.cell) for p in sub.problems])
    if sub.status is Status.ACCEPTED:
        assert sub.unit == "河北省"
        assert sub.values == values, {k: (v, values[k]) for k, v in sub.values.items() if v != values[k]}
        assert all(type(sub.values[i.id]) is (Decimal if i.is_money else int) for i in INDICATORS)
    else:
        assert sub.status is Status.REJECTED and sub.problems and sub.values == {}
        assert {p.rule for p in sub.problems} <= RULES, [(p.rule, p.cell, p.message) for p in sub.problems]

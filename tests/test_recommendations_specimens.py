"""build_recommendations on an inbox of every 推荐表 style people use and every hostile file.

The inbox is made by :mod:`kjhdz_docs.specimens` (the intake's writers); one build serves every assert.
"""

from __future__ import annotations

import json

import pytest
from docx import Document

from kjhdz_docs import specimens as sp
from kjhdz_docs.recommendations import build_recommendations
from tests import recommendation_tables as rt
from tests.conftest import requires_soffice

pytestmark = [requires_soffice, pytest.mark.slow]

# unit (canonical) -> (what the unit writes as its name, the style of its form)
STYLED = {
    "河北省": ("河北省科学技术厅", "form"),
    "山西省": ("山西省科技厅", "shifted"),
    "深圳市": ("深圳市科技创新局", "cover_sheet"),
    "上海市": ("上海市科学技术委员会", "seed_layout"),
    "中国科学院": ("中国科学院", "merged_unit"),
    "广西壮族自治区": ("广西", "title_rows"),
    # table structures (kjhdz_docs.specimens.RECOMMENDATION_STRUCTURES)
    "江苏省": ("江苏省科学技术厅", "two_row_header"),
    "浙江省": ("浙江省科学技术厅", "merged_sessions_subcolumns"),
    "北京市": ("北京市科学技术委员会", "everything"),
    "天津市": ("天津市", "title_unit"),
}
HOSTILE = {
    "zip-bomb.xlsx": lambda p: sp.write_zip_bomb(p, megabytes=256),
    "lying-zip.xlsx": sp.write_lying_zip,
    "entity-bomb.xlsx": sp.write_entity_bomb,
    "external-entity.xlsx": sp.write_external_entity,
    "password.xlsx": sp.write_password_protected,
    "renamed-text.xlsx": sp.write_not_a_workbook,
    "empty.xlsx": sp.write_empty,
    "truncated.xlsx": sp.write_truncated,
    "wps.et": sp.write_wps_et,
}


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    base = tmp_path_factory.mktemp("recs-specimens")
    inbox, out = base / "inbox", base / "out"
    inbox.mkdir()
    for unit, (written, style) in STYLED.items():
        count = 6 if unit == "河北省" else 3                    # 河北 sends one too many
        acts = sp.sample_activities(unit, count)
        if sp.RECOMMENDATION_STRUCTURES.get(style, {}).get("sessions"):
            acts = sp.with_sessions(acts)                       # the 1st and 3rd held twice (merged rows)
        sp.write_recommendations(inbox / f"{unit}-推荐表.xlsx", written, acts, style=style)
    for name, write in HOSTILE.items():
        write(inbox / name)
    code = build_recommendations(2024, inbox=inbox, out=out)
    return code, json.loads((out / "recommendations.json").read_text(encoding="utf-8")), out


def test_every_file_accounted_for(built):
    code, data, _ = built
    status = {s["file"]: s["status"] for s in data["submissions"]["submissions"]}
    assert set(status) == {f"{u}-推荐表.xlsx" for u in STYLED} | set(HOSTILE)
    assert {f for f, s in status.items() if s == "rejected"} == set(HOSTILE)
    assert code == 1


def test_every_style_is_listed_under_its_unit(built):
    _, data, _ = built
    per_unit: dict[str, int] = {}
    for a in data["activities"]:
        per_unit[a["unit"]] = per_unit.get(a["unit"], 0) + 1
    assert per_unit == {u: (5 if u == "河北省" else 3) for u in STYLED}
    assert [(x["unit"], [r["rule"] for r in x["reasons"]]) for x in data["excluded"]] == [
        ("河北省", ["max-activities"])]
    expected = [a["name"] for a in sp.sample_activities("深圳市", 3)]
    assert [a["name"] for a in data["activities"] if a["unit"] == "深圳市"] == expected
    for unit in ("江苏省", "浙江省", "北京市", "天津市"):               # every session and contact, nothing lost
        acts = sp.sample_activities(unit, 3)
        if unit in ("浙江省", "北京市"):
            acts = sp.with_sessions(acts)
        assert [(a["name"], a["time_place"], a["contact"]) for a in data["activities"] if a["unit"] == unit] == [
            (a["name"], "；".join(f"{t}，{p}" for t, p in sp.sessions_of(a)), a["contact"]) for a in acts]


def test_roster_order_and_docx_rows(built):
    _, data, out = built
    units = list(dict.fromkeys(a["unit"] for a in data["activities"]))
    assert units == ["北京市", "天津市", "河北省", "山西省", "上海市", "江苏省", "浙江省", "广西壮族自治区", "深圳市",
                     "中国科学院"]
    doc = Document(str(out / "recommendations.docx"))
    numbered = rt.numbered_rows(rt.list_tables(doc))
    assert len(numbered) == len(data["activities"]) == data["counts"]["listed"]

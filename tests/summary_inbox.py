"""A generated 统计表 inbox of known values for the summary tests (real .xlsx files, written as units write them).

- clean forms: the blank 附件2 from ``blank_forms`` filled in (numbers as numbers);
- messy forms: extra title rows, labels shifted right, the unit written as 深圳 科技创新局 in the
  cell after the label, numbers typed as text (``1,234``, full-width ``１２３``, ``12.5万元``),
  a blank cell (read as 0), and a stray second sheet;
- rejected forms: text where a count belongs, a negative number;
- a resubmission: the same unit twice, the older file superseded;
- every layout of :data:`kjhdz_docs.specimens.STATISTICS_STYLES`, a stamped scan sent along, and
  files that are not readable 统计表 at all (password-protected, not a workbook).
"""

from __future__ import annotations

import os
from decimal import Decimal
from pathlib import Path

from openpyxl import Workbook

from kjhdz_docs import specimens
from kjhdz_docs.blank_forms import statistics_workbook
from kjhdz_docs.forms import INDICATORS, STATISTICS_UNIT_LABEL

FULLWIDTH = str.maketrans("0123456789", "０１２３４５６７８９")


def values_for(seed: int) -> dict:
    """Known values: counts as int, money as exact Decimal with two decimals."""
    out = {}
    for n, ind in enumerate(INDICATORS, 1):
        if ind.is_money:
            out[ind.id] = Decimal(seed * 1000 + n * 37) / 100 + Decimal("0.05")
        elif ind.id.startswith("public."):
            out[ind.id] = seed * 1_234_567 + n
        else:
            out[ind.id] = seed * 100 + n
    return out


def write_clean(path: Path, unit_text: str, values: dict, year: int = 2024) -> Path:
    wb = statistics_workbook(year)
    ws = wb.active
    ws["B2"] = unit_text
    for row, ind in enumerate(INDICATORS, 3):
        v = values[ind.id]
        ws.cell(row, 3, float(v) if isinstance(v, Decimal) else v)
    path.parent.mkdir(parents=True, exist_ok=True)
    wb.save(path)
    return path


def write_messy(path: Path, unit_text: str, values: dict, *, blank: str | None = None,
                override: dict | None = None) -> Path:
    """Labels moved, unit after its label, numbers as text in several spellings, a stray sheet."""
    wb = Workbook()
    ws = wb.active
    ws.title = "统计表（填报）"
    ws["B1"] = "2024年全国科技活动周开展情况统计表"
    ws["B2"] = "（请于6月30日前报送）"
    ws["B4"] = STATISTICS_UNIT_LABEL + "："
    ws["C4"] = unit_text
    for k, ind in enumerate(INDICATORS):
        row = 6 + k
        if ind.group:
            ws.cell(row, 2, ind.group if k == 0 or INDICATORS[k - 1].group != ind.group else None)
            ws.cell(row, 3, ind.label)
        else:
            ws.cell(row, 2, ind.label)
        v = values[ind.id]
        if ind.id == blank:
            text = None
        elif isinstance(v, Decimal):
            text = f"{v}万元" if k % 2 else f"{v:,}"
        elif k % 3 == 0:
            text = f"{v:,}"
        elif k % 3 == 1:
            text = str(v).translate(FULLWIDTH)
        else:
            text = v
        if override and ind.id in override:
            text = override[ind.id]
        ws.cell(row, 4, text)
    junk = wb.create_sheet("Sheet2")
    junk["A1"] = "备注：数据已经分管领导审核"
    path.parent.mkdir(parents=True, exist_ok=True)
    wb.save(path)
    return path


def stamp(path: Path, mtime: float) -> None:
    os.utime(path, (mtime, mtime))


def make_inbox(inbox: Path) -> dict:
    """Writes the inbox; returns what the summary must find (accepted values, files, missing units)."""
    accepted: dict[str, dict] = {}
    t0 = 1_717_000_000.0
    # clean forms
    for seed, (unit, text) in enumerate([("天津市", "天津市科学技术局"), ("上海市", "上海市科学技术委员会"),
                                         ("中国科学院", "中国科学院"), ("教育部", "教育部科学技术与信息化司")], 1):
        accepted[unit] = values_for(seed)
        stamp(write_clean(inbox / f"{unit}.xlsx", text, accepted[unit]), t0)
    # messy but valid
    accepted["深圳市"] = values_for(7)
    stamp(write_messy(inbox / "深圳/统计表 最终版.xlsx", "深圳 科技创新局", accepted["深圳市"]), t0)
    blanked = values_for(8)
    stamp(write_messy(inbox / "广东省科技厅-统计表.xlsx", "广东省科学技术厅（盖章）", blanked,
                      blank="media.outlets"), t0)
    accepted["广东省"] = dict(blanked, **{"media.outlets": 0})
    # a resubmission: the older file of 北京市 is superseded by the newer one
    old, new = values_for(20), values_for(9)
    stamp(write_clean(inbox / "北京市-统计表-初稿.xlsx", "北京市科学技术委员会", old), t0)
    stamp(write_clean(inbox / "北京市-统计表-修改稿.xlsx", "北京", new), t0 + 3600)
    accepted["北京市"] = new
    # rejected: words where a count belongs; a negative number
    stamp(write_messy(inbox / "河北省统计表.xlsx", "河北省科技厅", values_for(30),
                      override={"activities": "约三千"}), t0)
    stamp(write_clean(inbox / "水利部.xlsx", "水利部", dict(values_for(31), **{"open.venues": -5})), t0)
    # the specimen layouts people send (moved labels, cover sheets, text numbers …)
    style_units = ["山西省", "内蒙古自治区", "辽宁省", "吉林省", "黑龙江省", "江苏省", "浙江省", "安徽省", "福建省"]
    for unit, style in zip(style_units, specimens.STATISTICS_STYLES, strict=True):
        accepted[unit] = specimens.sample_values(unit)
        specimens.write_statistics(inbox / f"{unit}-{style}.xlsx", f"{unit}科学技术厅", accepted[unit],
                                   style=style, mtime=t0)
    specimens.write_companion(inbox / "天津市" / "盖章扫描件.pdf")
    specimens.write_password_protected(inbox / "江西省统计表（加密）.xlsx")
    specimens.write_not_a_workbook(inbox / "山东省统计表.xlsx")
    return {"accepted": accepted, "superseded": "北京市-统计表-初稿.xlsx", "superseded_by": "北京市-统计表-修改稿.xlsx",
            "rejected": {"河北省统计表.xlsx", "水利部.xlsx", "江西省统计表（加密）.xlsx", "山东省统计表.xlsx"}}

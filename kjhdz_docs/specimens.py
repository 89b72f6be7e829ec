"""Specimen workbooks: the forms filled the ways people really fill them, and hostile files.

Deterministic (same arguments → same bytes): used by the intake tests, the recommendation list's and
the summary report's tests, the sample-data generator and the benchmarks.

Filled forms::

    write_statistics(path, "河北省科学技术厅", sample_values("河北省"), style="shifted")
    write_recommendations(path, "深圳市科技创新局", sample_activities("深圳市", 3), style="cover_sheet")

``STATISTICS_STYLES`` / ``RECOMMENDATION_STYLES`` name the variants (moved labels, merged cells,
title rows, a cover sheet, text numbers ``1,234`` / ``１２３`` / ``12.5万元``, label noise …);
``RECOMMENDATION_STRUCTURES`` the 推荐表 table structures (two-row headers with sub-columns, merged
sessions, footer lines, blank rows, separate 时间/地点 and 联系人/电话 columns, the unit only in the title,
a formula in a text cell). A value
in ``values`` may be any cell content (``-5``, ``"约100"``, ``"=C3*2"``) to make a bad form.

Hostile files: :func:`write_zip_bomb`, :func:`write_lying_zip`, :func:`write_entity_bomb`,
:func:`write_external_entity`, :func:`write_password_protected`, :func:`write_not_a_workbook`,
:func:`write_empty`, :func:`write_truncated`, :func:`write_wps_et`.
"""

from __future__ import annotations

import io
import os
import random
import stat
import zipfile
from decimal import Decimal
from pathlib import Path

from openpyxl import Workbook
from openpyxl.styles import Alignment

from . import blank_forms, forms
from .workbooks import FIXED_TIME, save_deterministic, set_text_safe

# --- data ------------------------------------------------------------------------------------------
# a county-level place for each unit of the roster (for realistic 举办地点)
PLACES = {
    "北京市": "北京市海淀区", "天津市": "天津市滨海新区", "河北省": "河北省石家庄市长安区", "山西省": "山西省太原市小店区",
    "内蒙古自治区": "内蒙古自治区呼和浩特市新城区", "辽宁省": "辽宁省沈阳市和平区", "吉林省": "吉林省长春市朝阳区",
    "黑龙江省": "黑龙江省哈尔滨市南岗区", "上海市": "上海市浦东新区", "江苏省": "江苏省苏州市姑苏区",
    "浙江省": "浙江省杭州市西湖区", "安徽省": "安徽省合肥市蜀山区", "福建省": "福建省福州市鼓楼区",
    "江西省": "江西省南昌市东湖区", "山东省": "山东省济南市历下区", "河南省": "河南省郑州市金水区",
    "湖北省": "湖北省武汉市洪山区", "湖南省": "湖南省长沙市岳麓区", "广东省": "广东省广州市天河区",
    "广西壮族自治区": "广西壮族自治区南宁市青秀区", "海南省": "海南省海口市美兰区", "重庆市": "重庆市渝中区",
    "四川省": "四川省成都市武侯区", "贵州省": "贵州省贵阳市观山湖区", "云南省": "云南省昆明市五华区",
    "西藏自治区": "西藏自治区拉萨市城关区", "陕西省": "陕西省西安市雁塔区", "甘肃省": "甘肃省兰州市城关区",
    "青海省": "青海省西宁市城中区", "宁夏回族自治区": "宁夏回族自治区银川市兴庆区",
    "新疆维吾尔自治区": "新疆维吾尔自治区乌鲁木齐市天山区", "新疆生产建设兵团": "新疆维吾尔自治区石河子市",
    "大连市": "辽宁省大连市甘井子区", "青岛市": "山东省青岛市崂山区", "宁波市": "浙江省宁波市鄞州区",
    "厦门市": "福建省厦门市思明区", "深圳市": "广东省深圳市南山区", "沈阳市": "辽宁省沈阳市浑南区",
    "长春市": "吉林省长春市南关区", "哈尔滨市": "黑龙江省哈尔滨市松北区", "南京市": "江苏省南京市玄武区",
    "杭州市": "浙江省杭州市滨江区", "济南市": "山东省济南市历城区", "武汉市": "湖北省武汉市武昌区",
    "广州市": "广东省广州市越秀区", "成都市": "四川省成都市锦江区", "西安市": "陕西省西安市碑林区",
    "中国科学院": "北京市海淀区", "中国气象局": "北京市海淀区", "国家林业和草原局": "北京市东城区",
    "农业农村部": "北京市朝阳区", "交通运输部": "北京市东城区", "教育部": "北京市西城区",
    "工业和信息化部": "北京市西城区", "国家卫生健康委员会": "北京市西城区", "生态环境部": "北京市西城区",
    "自然资源部": "北京市西城区", "水利部": "北京市西城区", "应急管理部": "北京市东城区", "中国地震局": "北京市海淀区",
}
_THEMES = ("科普嘉年华", "科学之夜", "院士专家进校园", "科技馆开放日", "实验室开放日", "乡村科技大集", "科普讲解大赛",
           "青少年科创营", "科学家精神报告会", "智慧农业田间课堂", "防灾减灾科普体验", "航天科普展")


def _rng(*parts) -> random.Random:
    return random.Random("/".join(str(p) for p in parts))


def sample_values(unit: str, seed: int = 0) -> dict[str, int | Decimal]:
    """Plausible 统计表 values for ``unit`` (ints for counts, 2-decimal :class:`Decimal` for 万元)."""
    rng = _rng("values", unit, seed)
    out: dict[str, int | Decimal] = {}
    for ind in forms.INDICATORS:
        if ind.is_money:
            out[ind.id] = Decimal(rng.randint(0, 500_000)) / 100
        elif ind.id.startswith("public."):
            out[ind.id] = rng.randint(10_000, 5_000_000)
        else:
            out[ind.id] = rng.randint(0, 3_000)
    return out


def sample_activities(unit: str, count: int = 3, seed: int = 0, *, year: int = 2024) -> list[dict[str, str]]:
    """``count`` 推荐表 rows for ``unit`` (name, intro ≤ 100 字, time_place at county level, contact, unit)."""
    rng = _rng("activities", unit, seed)
    place = PLACES.get(unit, "北京市东城区")
    out = []
    for n in range(count):
        theme = _THEMES[(rng.randrange(len(_THEMES)) + n) % len(_THEMES)]
        day = 25 + (n + rng.randrange(3)) % 7
        date = f"{year}年5月{day}日" if day <= 31 else f"{year}年6月{day - 31}日"
        out.append({
            "name": f"{year}年{unit}科技活动周·{theme}",
            "intro": f"围绕“弘扬科学家精神 激发全社会创新活力”主题，组织{theme}，邀请科技工作者与公众面对面交流，"
                     f"预计参与{rng.randint(2, 50) * 100}人次。",
            "time_place": f"{date}，{place}",
            "contact": f"{'张王李赵刘陈'[rng.randrange(6)]}老师 010-{rng.randint(60000000, 69999999)}",
            "unit": unit,
        })
    return out


# --- the 统计表 as people fill it -------------------------------------------------------------------
STATISTICS_STYLES: dict[str, dict] = {
    "form": {},                                                       # the blank form, filled in
    "shifted": {"offset": (3, 2)},                                    # moved down 3 rows, right 2 columns
    "title_rows": {"title_rows": 3},                                  # 附件2 / blank / title above the form
    "cover_sheet": {"cover_sheet": True, "second_sheet": True},       # 填报说明 first, a stray Sheet2 after
    "no_merge": {"merged": False},                                    # group label repeated, nothing merged
    "text_numbers": {"numbers": "text"},                              # '1,234' and '12.5万元' as text
    "full_width": {"numbers": "full_width", "label_noise": True},      # '１２３', full-width labels, spaces
    "unit_next_cell": {"unit_in": "next_cell"},                       # 地方/部门： | 河北省
    "units_column": {"units_column": True, "offset": (1, 0)},         # a 单位 column right of the values
}


def _full_width(text: str) -> str:
    return "".join(chr(ord(ch) + 0xFEE0) if "!" <= ch <= "~" else ch for ch in text)


def _number_cell(value, indicator: forms.Indicator, numbers: str, n: int):
    if not isinstance(value, (int, Decimal)) or isinstance(value, bool):
        return value   # a deliberately bad value, written as given
    if numbers == "number":
        return float(value) if isinstance(value, Decimal) else value
    if numbers == "text":
        if indicator.is_money:
            return f"{value}万元" if n % 2 else f" {value} "
        return f"{value:,}" if n % 2 else str(value)
    if numbers == "full_width":
        return _full_width(f"{value}")
    raise ValueError(numbers)


def statistics_workbook(unit_text: str, values: dict | None = None, *, year: int = 2024, offset=(0, 0),
                        title_rows: int = 0, cover_sheet: bool = False, second_sheet: bool = False,
                        merged: bool = True, numbers: str = "number", label_noise: bool = False,
                        unit_in: str = "same_cell", units_column: bool = False, omit: tuple[str, ...] = (),
                        sheet_name: str = "统计表", hidden_copy: dict | None = None) -> Workbook:
    """A filled 附件2 统计表; ``values`` maps indicator id → value (missing ids stay blank)."""
    values = values if values is not None else {}
    wb = Workbook()
    ws = wb.active
    if cover_sheet:
        ws.title = "填报说明"
        ws["A1"] = "填报说明"
        ws["A2"] = "1. 请如实填写科普活动开展次数等各项指标，经费单位为万元。"
        ws["A3"] = "2. 填写完成后加盖公章，扫描件与电子版一并报送。"
        ws = wb.create_sheet(sheet_name)
    else:
        ws.title = sheet_name
    r0, c0 = offset
    r0 += 1
    for i in range(title_rows):
        ws.cell(r0 + i, c0 + 1, ("附件2", None, forms.statistics_title(year))[i % 3])
    r0 += title_rows
    ws.cell(r0, c0 + 1, forms.statistics_title(year))
    r0 += 1
    label = forms.STATISTICS_UNIT_LABEL + "："
    if label_noise:
        label = "地方 / 部门(盖章) :"
    if unit_in == "same_cell":
        ws.cell(r0, c0 + 1, f"{label}{unit_text}")
    else:
        ws.cell(r0, c0 + 1, label)
        ws.cell(r0, c0 + 2, unit_text)
    r0 += 1
    groups: dict[str, list[int]] = {}
    row = r0
    for n, ind in enumerate(forms.INDICATORS):
        if ind.id in omit:
            continue
        text = ind.label
        if label_noise:
            text = text.replace("（", "(").replace("）", ")").replace("：", ":") if n % 2 else " ".join(text[:4]) + text[4:] + " "
        if ind.group:
            groups.setdefault(ind.group, []).append(row)
            ws.cell(row, c0 + 2, text)
            if not merged:
                ws.cell(row, c0 + 1, ind.group)
        else:
            ws.cell(row, c0 + 1, text)
            if merged:
                ws.merge_cells(start_row=row, start_column=c0 + 1, end_row=row, end_column=c0 + 2)
        value = values.get(ind.id)
        if value is not None:
            cell = ws.cell(row, c0 + 3)
            v = _number_cell(value, ind, numbers, n)
            if isinstance(v, str) and v.startswith("="):
                cell.value = v    # a formula, on purpose: openpyxl stores no cached value
            else:
                set_text_safe(cell, v)
        if units_column:
            ws.cell(row, c0 + 4, ind.unit)
        row += 1
    for group, rows in groups.items():
        if merged:
            ws.cell(rows[0], c0 + 1, group)
            ws.merge_cells(start_row=rows[0], start_column=c0 + 1, end_row=rows[-1], end_column=c0 + 1)
            ws.cell(rows[0], c0 + 1).alignment = Alignment(vertical="center", wrap_text=True)
    if hidden_copy is not None:     # last year's sheet, hidden, left in front of the form
        old = statistics_workbook(unit_text, hidden_copy, year=year - 1).active
        hidden = wb.create_sheet(f"{year - 1}年", 0)
        for row in old.iter_rows():
            for cell in row:
                if cell.value is not None:
                    hidden.cell(cell.row, cell.column, cell.value)
        hidden.sheet_state = "hidden"
        wb.active = 1
    if second_sheet:
        extra = wb.create_sheet("Sheet2")
        extra["A1"] = "备注：数据来源于各区县汇总"
    return wb


def write_statistics(path: Path, unit_text: str, values: dict | None = None, *, style: str = "form",
                     mtime: float | None = None, **options) -> Path:
    """Write a filled 统计表 (one of :data:`STATISTICS_STYLES` or :data:`STATISTICS_LAYOUT_STYLES`, options
    override it) to ``path``."""
    if style in STATISTICS_LAYOUT_STYLES:
        return write_statistics_layout(path, unit_text, values, mtime=mtime,
                                       **(dict(STATISTICS_LAYOUT_STYLES[style]) | options))
    kwargs = dict(STATISTICS_STYLES[style]) | options
    return _save(statistics_workbook(unit_text, values, **kwargs), Path(path), mtime)


# --- the 统计表 in the layouts and units of measure people really use ------------------------------------
# (values left of the labels, a header row, a 序号 or 计量单位 column, money in 元 and people in 万人次 declared
# in the cell / the label / the group header / a unit column / the header / a 单位 line, sub-region sheets,
# formulas with cached results and float noise, 合计 rows, macros and external links). ``values`` are always
# the true figures (万元, 人次); the builder writes them in the declared unit.
STATISTICS_LAYOUT_STYLES: dict[str, dict] = {
    "values_left": {"side": "left"},                                        # 数值 | 指标 (| 分组)
    "header_row": {"header_row": True, "seq_col": True},                    # 序号 | 指标 | 数值 | 计量单位
    "yuan_in_group": {"money_unit": "元", "money_decl": "group"},           # 活动经费投入数量（单位：元）
    "yuan_in_label": {"money_unit": "元", "money_decl": "label"},           # 中央财政经费投入情况（元）
    "yuan_in_column": {"money_unit": "元", "money_decl": "column", "header_row": True},   # 计量单位 column: 元
    "yuan_in_header": {"money_unit": "元", "money_decl": "header", "header_row": True},   # 数值（元）
    "yuan_in_cell": {"money_unit": "元", "money_decl": "cell"},             # '356000元', group header says 元 too
    "yuan_line": {"money_unit": "元", "money_decl": "line"},                # 金额单位：元 above the table
    "yuan_disagree": {"money_unit": "元", "money_decl": "cell",              # '356000元' under （单位：万元）
                      "group_unit": {forms.FUNDING: "万元"}},
    "yuan_column_disagree": {"money_unit": "元", "money_decl": "column",      # 计量单位 元 under （单位：万元）
                             "group_unit": {forms.FUNDING: "万元"}},
    "wan_label_under_yuan_group": {"money_unit": "万元", "money_decl": "label",   # 中央财政经费投入情况（万元）
                                   "group_unit": {forms.FUNDING: "元"}},          # under （单位：元）
    "yuan_label_under_wan_group": {"money_unit": "元", "money_decl": "label",     # 中央财政经费投入情况（元）
                                   "group_unit": {forms.FUNDING: "万元"}},        # under （单位：万元）
    "wan_cell_under_yuan_group": {"money_unit": "万元", "money_decl": "cell",     # '12.5万元' under （单位：元）
                                  "group_unit": {forms.FUNDING: "元"}},
    "wan_people": {"people_unit": "万人次", "people_decl": "group"},        # 群众参与数量（单位：万人次）
    "wan_people_cell": {"people_unit": "万人次", "people_decl": "cell"},    # '3.2万人次'
    "sub_regions": {"sub_regions": (("石家庄市", "石家庄市"), ("唐山市", "唐山市")), "own_sheet": "全省汇总"},
    "formula_noise": {"formulas": True},                                    # =SUM(…) cached 132.00000000000003
    "subtotals": {"subtotals": True},                                       # 经费小计 / 人员小计 rows
    "totals": {"subtotals": True,                                           # 经费合计 / 人员合计 rows
               "subtotal_label": {forms.FUNDING: "经费合计", forms.STAFF: "人员合计"}},
    "macros": {"macros": True},                                             # vbaProject.bin in a .xlsx
    "external_link": {"external_link": True},                               # an externalLink part, cached values
}

_GROUP_WITH_UNIT = {forms.FUNDING: "活动经费投入数量（单位：{}）", forms.STAFF: "科普工作人员参与数量（单位：{}）",
                    forms.PUBLIC: "科普活动群众参与数量（单位：{}）", forms.MEDIA: "宣传报道情况"}


def _in_unit(value, unit: str):
    """The true figure written in ``unit`` (元 = 万元 × 10,000, 万人次 = 人次 ÷ 10,000): int when whole."""
    if not isinstance(value, (int, Decimal)) or isinstance(value, bool):
        return value
    d = Decimal(value)
    d = d * 10000 if unit == "元" else (d / 10000 if unit == "万人次" else d)
    d = d.normalize()
    return int(d) if d == d.to_integral_value() else float(d)


def statistics_layout_sheet(ws, unit_text: str, values: dict, *, year: int = 2024, side: str = "right",
                            header_row: bool = False, seq_col: bool = False, title_rows: int = 0,
                            money_unit: str = "万元", money_decl: str = "group", people_unit: str = "人次",
                            people_decl: str = "group", formulas: bool = False, subtotals: bool = False,
                            subtotal_error: dict | None = None, subtotal_label: dict | None = None,
                            extra_cells: dict | None = None,
                            unit_column: bool | None = None, group_unit: dict | None = None) -> dict[str, str]:
    """Write one filled 统计表 into ``ws``; returns {A1 of a formula cell: its cached value} to patch in."""
    from openpyxl.utils import get_column_letter

    cached: dict[str, str] = {}
    unit_column = unit_column if unit_column is not None else (money_decl == "column" or people_decl == "column"
                                                             or header_row)
    r = 1
    for i in range(title_rows):
        ws.cell(r, 1, ("附件2", None, "（本表由各地方、各部门填写）")[i % 3])
        r += 1
    ws.cell(r, 1, forms.statistics_title(year))
    r += 1
    ws.cell(r, 1, f"{forms.STATISTICS_UNIT_LABEL}：{unit_text}")
    r += 1
    if money_decl == "line" or people_decl == "line":
        ws.cell(r, 4, f"金额单位：{money_unit}" if money_decl == "line" else f"单位：{people_unit}")
        r += 1
    # columns: [seq] group label value [unit]  (side right) or  [seq] value label group [unit] (side left)
    col = 1
    seq = col if seq_col else None
    col += bool(seq_col)
    if side == "right":
        group_c, label_c, value_c = col, col + 1, col + 2
    else:
        value_c, label_c, group_c = col, col + 1, col + 2
    unit_c = col + 3 if unit_column else None
    if header_row:
        if seq:
            ws.cell(r, seq, "序号")
        ws.cell(r, label_c, "指标")
        head = f"数值（{money_unit}）" if money_decl == "header" else "数值"
        ws.cell(r, value_c, head)
        if unit_c:
            ws.cell(r, unit_c, "计量单位")
        r += 1
    groups: dict[str, list[int]] = {}
    n = 0
    for ind in forms.INDICATORS:
        n += 1
        money, people = ind.is_money, ind.unit == "人次" and ind.group == forms.PUBLIC
        unit = money_unit if money else (people_unit if people else ind.unit)
        decl = money_decl if money else (people_decl if people else None)
        label = ind.label
        # a unit declared on the label or in the cell is written out when it is not the form's own, or when the
        # group header says another unit (a form declaring 万元 on its rows under a header saying 元 says so)
        said_elsewhere = (group_unit or {}).get(ind.group)
        explicit = unit != ind.unit or (said_elsewhere is not None and said_elsewhere != unit)
        if decl == "label" and explicit:
            label = f"{label}（{unit}）"
        if seq:
            ws.cell(r, seq, n)
        if ind.group:
            groups.setdefault(ind.group, []).append(r)
            ws.cell(r, label_c, label)
        else:
            ws.cell(r, min(label_c, group_c), label)
            ws.merge_cells(start_row=r, start_column=min(label_c, group_c), end_row=r, end_column=max(label_c, group_c))
        value = values.get(ind.id)
        if value is not None:
            written = _in_unit(value, unit)
            if decl == "cell" and explicit and isinstance(written, (int, float)):
                written = f"{written}{unit}"
            cell = ws.cell(r, value_c)
            if formulas and isinstance(value, int) and not isinstance(value, bool) and ind.is_integer and value >= 2 \
                    and unit == ind.unit and not (decl == "cell" and explicit):
                # a formula whose cached result carries float noise, as Excel stores some sums
                a, b = value // 2, value - value // 2
                cell.value = f"={a}+{b}"
                cached[f"{get_column_letter(value_c)}{r}"] = repr(float(value) + (value * 2.220446049250313e-16))
            elif formulas and isinstance(value, Decimal) and ind.is_money and unit == "万元" \
                    and not (decl == "cell" and explicit):     # a formula's cell cannot carry its unit
                cell.value = f"={value}*3/3"
                cell.number_format = "0.00"
                cached[f"{get_column_letter(value_c)}{r}"] = repr(float(value) * (1 + 3e-16))
            else:
                set_text_safe(cell, written)
        if unit_c:
            ws.cell(r, unit_c, unit)
        if extra_cells and ind.id in extra_cells:
            offset, extra = extra_cells[ind.id]
            ws.cell(r, value_c + offset, extra)
        r += 1
        if subtotals and ind.group and ind is [i for i in forms.INDICATORS if i.group == ind.group][-1] \
                and ind.group in (forms.FUNDING, forms.STAFF):
            rows_of = [i for i in forms.INDICATORS if i.group == ind.group]
            total = sum((Decimal(values.get(i.id, 0)) for i in rows_of), Decimal(0))
            total += Decimal((subtotal_error or {}).get(ind.group, 0))
            ws.cell(r, label_c, (subtotal_label or {}).get(ind.group)
                    or ("经费小计" if ind.group == forms.FUNDING else "人员小计"))
            groups[ind.group].append(r)
            ws.cell(r, value_c, _in_unit(total if ind.is_money else int(total), unit))
            if unit_c:
                ws.cell(r, unit_c, unit)
            r += 1
    for group, rows in groups.items():
        # the group header declares the unit the values are in, unless the form declares it elsewhere (then
        # the header is written without a unit, as a re-made form would have it) or ``group_unit`` says otherwise
        if group in (forms.FUNDING, forms.PUBLIC):
            unit, decl = (money_unit, money_decl) if group == forms.FUNDING else (people_unit, people_decl)
            said = (group_unit or {}).get(group, unit if decl in ("group", "cell") else None)
            text = _GROUP_WITH_UNIT[group].format(said) if said else _GROUP_WITH_UNIT[group].split("（")[0]
        else:
            text = _GROUP_WITH_UNIT[group].format("人次")
        ws.cell(rows[0], group_c, text)
        ws.merge_cells(start_row=rows[0], start_column=group_c, end_row=rows[-1], end_column=group_c)
        ws.cell(rows[0], group_c).alignment = Alignment(vertical="center", wrap_text=True)
    return cached


def write_statistics_layout(path: Path, unit_text: str, values: dict | None = None, *, year: int = 2024,
                            cover_sheet: bool = False, sub_regions: tuple = (), own_sheet: str = "统计表",
                            sub_region_values: dict | None = None, second_own: str | None = None,
                            macros: bool = False, external_link: bool = False, dde: bool = False,
                            mtime: float | None = None, **layout) -> Path:
    """A 统计表 workbook in :func:`statistics_layout_sheet`'s layouts; ``sub_regions`` (sheet name, 地方/部门)
    come before the unit's own sheet; ``second_own`` adds another sheet claiming the unit; formulas get their
    cached results, and macros / an external link / a DDE formula are added to the package as Excel writes them."""
    values = values if values is not None else {}
    wb = Workbook()
    ws = wb.active
    if cover_sheet:
        ws.title = "填报说明"
        ws["A1"] = "填报说明：经费单位以表内标注为准。"
        ws = wb.create_sheet(own_sheet)
    else:
        ws.title = own_sheet
    cached = {}
    for n, (name, unit) in enumerate(sub_regions):
        sub = wb.create_sheet(name, n + int(cover_sheet))
        statistics_layout_sheet(sub, unit, (sub_region_values or {}).get(name) or sample_values(unit), year=year, **layout)
    cached[ws.title] = statistics_layout_sheet(ws, unit_text, values, year=year, **layout)
    if second_own:
        other = wb.create_sheet(second_own)
        statistics_layout_sheet(other, unit_text, values, year=year, **layout)
    path = Path(path)
    save_deterministic(wb, path)
    if any(cached.values()) or macros or external_link or dde:
        _patch_package(path, wb, cached, macros=macros, external_link=external_link, dde=dde)
    if mtime is not None:
        os.utime(path, (mtime, mtime))
    return path


def write_symlink(path: Path, target: Path) -> Path:
    """An inbox entry that is a symbolic link (to a form outside the inbox, a folder, or another entry)."""
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    os.symlink(target, path)
    return Path(path)


def write_fifo(path: Path) -> Path:
    """An inbox entry that is a FIFO named like a workbook (opening it for reading would block)."""
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    os.mkfifo(path)
    return Path(path)


def write_device(path: Path) -> Path:
    """An inbox entry that is a character device named like a workbook (the numbers of /dev/null: were it
    opened, it would read as an empty file); needs the right to make device nodes (PermissionError else)."""
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    os.mknod(path, stat.S_IFCHR | 0o600, os.makedev(1, 3))
    return Path(path)


def write_socket(path: Path) -> Path:
    """An inbox entry that is a Unix socket named like a workbook (bound, then closed: the entry stays)."""
    import socket

    Path(path).parent.mkdir(parents=True, exist_ok=True)
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
        s.bind(os.fspath(path))
    return Path(path)


def _patch_package(path: Path, wb: Workbook, cached: dict[str, dict[str, str]], *, macros: bool,
                   external_link: bool, dde: bool) -> None:
    """Write formulas' cached results into the sheet XML (openpyxl keeps none), and add the parts an .xlsm
    renamed .xlsx, a workbook with an external link or a DDE formula carry."""
    import re as _re

    with zipfile.ZipFile(path) as zf:
        members = {n: zf.read(n) for n in zf.namelist()}
    for index, sheet in enumerate(wb.worksheets, 1):
        part = f"xl/worksheets/sheet{index}.xml"
        xml = members[part].decode()
        for ref, value in cached.get(sheet.title, {}).items():
            xml = _re.sub(rf'(<c r="{ref}"[^>]*>(?:<f>[^<]*</f>))<v\s*/?>(?:</v>)?', rf"\g<1><v>{value}</v>", xml, count=1)
        if dde and index == len(wb.worksheets):
            xml = xml.replace("</sheetData>", '<row r="60"><c r="A60"><f>cmd|\' /C calc\'!A0</f><v>0</v></c></row>'
                                              "</sheetData>")
        members[part] = xml.encode()
    if macros:
        members["xl/vbaProject.bin"] = bytes.fromhex("d0cf11e0a1b11ae1") + b"\0" * 504
        ct = members["[Content_Types].xml"].decode()
        members["[Content_Types].xml"] = ct.replace(
            "</Types>", '<Default Extension="bin" ContentType="application/vnd.ms-office.vbaProject"/></Types>').encode()
        rels = members["xl/_rels/workbook.xml.rels"].decode()
        members["xl/_rels/workbook.xml.rels"] = rels.replace("</Relationships>", (
            '<Relationship Id="rIdVba" Type="http://schemas.microsoft.com/office/2006/relationships/vbaProject" '
            'Target="vbaProject.bin"/></Relationships>')).encode()
    if external_link:
        members["xl/externalLinks/externalLink1.xml"] = (
            '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<externalLink xmlns="http://schemas.openxmlformats.org/'
            'spreadsheetml/2006/main"><externalBook xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/'
            'relationships" r:id="rId1"><sheetNames><sheetName val="Sheet1"/></sheetNames></externalBook></externalLink>').encode()
        members["xl/externalLinks/_rels/externalLink1.xml.rels"] = (
            '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<Relationships xmlns="http://schemas.openxmlformats.org/'
            'package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/'
            '2006/relationships/externalLinkPath" Target="file:///D:/统计/各市汇总.xlsx" TargetMode="External"/>'
            '</Relationships>').encode()
    _write_zip(path, members)


# --- the 推荐表 as people fill it --------------------------------------------------------------------
RECOMMENDATION_STYLES: dict[str, dict] = {
    "form": {},                                           # the blank form's layout
    "shifted": {"offset": (2, 1)},
    "cover_sheet": {"cover_sheet": True},
    "seed_layout": {"hint_row": True, "unit_line": False},   # hints in a row under the header, as in the notice
    "merged_unit": {"merged_unit": True, "unit_line": False},  # 推荐单位 merged down the column
    "title_rows": {"title_rows": 2, "label_noise": True},
}


def recommendation_workbook(unit_text: str, activities: list[dict], *, year: int = 2024, offset=(0, 0),
                            title_rows: int = 0, cover_sheet: bool = False, unit_line: bool = True,
                            hint_row: bool = False, merged_unit: bool = False, label_noise: bool = False,
                            row_unit: str | None = None, sheet_name: str = "推荐表") -> Workbook:
    """A filled 附件1 推荐表 with ``activities`` (dicts with name/intro/time_place/contact/unit)."""
    wb = Workbook()
    ws = wb.active
    if cover_sheet:
        ws.title = "说明"
        ws["A1"] = "本表为附件1，请勿修改表头。"
        ws = wb.create_sheet(sheet_name)
    else:
        ws.title = sheet_name
    r0, c0 = offset
    r = r0 + 1
    for i in range(title_rows):
        ws.cell(r, c0 + 1, ("附件1", None)[i % 2])
        r += 1
    ws.cell(r, c0 + 1, forms.recommendation_title(year))
    r += 1
    if unit_line:
        ws.cell(r, c0 + 1, f"推荐单位：{unit_text}（公章）")
        r += 1
    for i, col in enumerate(forms.RECOMMENDATION_COLUMNS):
        label = col.label if hint_row else col.label + (f"\n{col.hint}" if col.hint else "")
        if label_noise:
            label = " ".join(label) if i % 2 else label.replace("、", "､")
        ws.cell(r, c0 + 1 + i, label)
    r += 1
    if hint_row:
        for i, col in enumerate(forms.RECOMMENDATION_COLUMNS):
            if col.hint:
                ws.cell(r, c0 + 1 + i, col.hint)
        r += 1
    first = r
    for n, act in enumerate(activities, 1):
        cells = [n, act.get("name"), act.get("intro"), act.get("time_place"),
                 row_unit if row_unit is not None else act.get("unit", unit_text), act.get("contact")]
        for i, v in enumerate(cells):
            if v is not None and not (merged_unit and i == 4 and n > 1):
                set_text_safe(ws.cell(r, c0 + 1 + i), v)
        r += 1
    if merged_unit and len(activities) > 1:
        ws.merge_cells(start_row=first, start_column=c0 + 5, end_row=r - 1, end_column=c0 + 5)
    for note in blank_forms.form_notes(year, "recommendations"):
        ws.cell(r, c0 + 1, note)
        r += 1
    return wb


def write_recommendations(path: Path, unit_text: str, activities: list[dict], *, style: str = "form",
                          mtime: float | None = None, **options) -> Path:
    kwargs = dict(RECOMMENDATION_STYLES[style] if style in RECOMMENDATION_STYLES else RECOMMENDATION_STRUCTURES[style]) | options
    build = structured_recommendation_workbook if kwargs.pop("structured", False) else recommendation_workbook
    return _save(build(unit_text, activities, **kwargs), Path(path), mtime)


# --- 推荐表 table structures (two-row headers, merged sessions, footers, separate columns …) ----------------
# Each style is one way units lay the table out; ``structured_recommendation_workbook`` writes them all.
# (A dict of their own: the sample data picks among RECOMMENDATION_STYLES by position.)
RECOMMENDATION_STRUCTURES: dict[str, dict] = {
    "two_row_header": {"structured": True, "time_place": "subcolumns"},     # 举办时间、地点 over 时间 | 地点
    "contact_subcolumns": {"structured": True, "contact": "subcolumns"},    # 联系人及电话 over 联系人 | 电话
    "separate_columns": {"structured": True, "time_place": "columns"},      # 举办时间 | 举办地点 in one header row
    "contact_columns": {"structured": True, "contact": "columns"},          # 联系人 | 联系电话
    "merged_sessions": {"structured": True, "sessions": True},              # one activity over two rows (sessions)
    "merged_sessions_subcolumns": {"structured": True, "sessions": True, "time_place": "subcolumns"},
    "footer_lines": {"structured": True, "footer": True},                   # 填表人 / 审核人 / 联系电话 lines
    "blank_rows": {"structured": True, "blank_rows": True},                 # empty bordered rows between and after
    "title_unit": {"structured": True, "unit_in_title": True},             # 北京市2024年…推荐表, no unit anywhere else
    "formula_name": {"structured": True, "formula_name": 1},                # 活动名称 =HYPERLINK(…) without a value
    "unmerged_sessions": {"structured": True, "sessions": True, "unmerged": "blank"},   # a 2nd session's row: 时间、地点 only
    "unmerged_sessions_columns": {"structured": True, "sessions": True, "unmerged": "repeat",   # 时间 | 地点 columns,
                                  "time_place": "columns", "contact": "columns"},   # 推荐单位 / 联系人 written again
    "everything": {"structured": True, "time_place": "subcolumns", "contact": "columns", "sessions": True,
                   "footer": True, "blank_rows": True},
}


def _split(text: str | None, sep: str) -> tuple[str, str]:
    head, _, tail = (text or "").partition(sep)
    return head.strip(), tail.strip()


def sessions_of(activity: dict) -> list[tuple[str, str]]:
    """An activity's sessions (time, place): its own ``sessions`` or its one ``time_place`` split at "，"."""
    return list(activity.get("sessions") or [_split(activity.get("time_place"), "，")])


def next_day(time: str) -> str:
    """``2024年5月27日`` → ``2024年5月28日`` (``5月31日`` → ``6月1日``): the day after, written the same way."""
    import re

    def bump(m):
        month, day = int(m["m"]), int(m["d"]) + 1
        if day > (31 if month in (1, 3, 5, 7, 8, 10, 12) else 30):
            month, day = month + 1, 1
        return f"{month}月{day}日"

    return re.sub(r"(?P<m>\d{1,2})月(?P<d>\d{1,2})日", bump, time, count=1)


def with_sessions(activities: list[dict], every: int = 2) -> list[dict]:
    """Every ``every``-th activity (the first included) held twice: on its day and the next, same place."""
    out = []
    for n, act in enumerate(activities):
        act = dict(act)
        if n % every == 0:
            (time, place), = sessions_of(act)
            act["sessions"] = [(time, place), (next_day(time), place)]
        out.append(act)
    return out


# (header text, sub-column text under it): one column, two columns, or two sub-columns under a merged header
_HEAD_GROUPS = {
    "time_place": {"one": [("举办时间、地点（地点精确到县级）", None)],
                   "columns": [("举办时间", None), ("举办地点（精确到县级）", None)],
                   "subcolumns": [("举办时间、地点（地点精确到县级）", "时间"), ("", "地点")]},
    "contact": {"one": [("联系人及电话", None)], "columns": [("联系人", None), ("联系电话", None)],
                "subcolumns": [("联系人及电话", "联系人"), ("", "电话")]},
}


def structured_recommendation_workbook(unit_text: str, activities: list[dict], *, year: int = 2024,
                                       time_place: str = "one", contact: str = "one", sessions: bool = False,
                                       footer: bool = False, blank_rows: bool = False, unit_in_title: bool = False,
                                       formula_name: int | None = None, blank_lines: int = 1,
                                       unmerged: str | None = None, sheet_name: str = "推荐表") -> Workbook:
    """A 推荐表 laid out another way: ``time_place`` / ``contact`` are ``one`` (one column, as the blank form),
    ``columns`` (two columns in the header row) or ``subcolumns`` (a second header row under a merged group
    header); ``sessions`` writes activities with a ``sessions`` list (see :func:`with_sessions`) as merged
    rows, one a session; ``footer`` adds 填表人/审核人/联系电话 lines; ``blank_rows`` empty rows between
    activities; ``unit_in_title`` names the unit only in the title; ``formula_name`` makes that activity's
    (0-based) 活动名称 a HYPERLINK formula with no cached value. ``unmerged`` writes the sessions after the first
    as rows of their own, not merged: ``"blank"`` (序号/名称/简介/推荐单位/联系人 left blank, only 时间/地点) or
    ``"repeat"`` (推荐单位 and 联系人 written again); an activity's ``session_unit`` is written as the 推荐单位 of
    its later session rows (another unit: such a row is no session of it)."""
    wb = Workbook()
    ws = wb.active
    ws.title = sheet_name
    ws.cell(1, 1, "附件1")
    title = forms.recommendation_title(year)
    ws.cell(2, 1, f"{unit_text}{title}" if unit_in_title else title)
    r = 3
    if not unit_in_title:
        ws.cell(r, 1, f"推荐单位：{unit_text}（公章）")
        r += 1
    two_rows = "subcolumns" in (time_place, contact)
    head: list[tuple[str, str | None]] = [("序号", None), ("活动名称", None), ("活动简介（100字以内，方案可附后）", None)]
    head += _HEAD_GROUPS["time_place"][time_place] + [("推荐单位", None)] + _HEAD_GROUPS["contact"][contact]
    for c, (top, sub) in enumerate(head, 1):
        if top:
            ws.cell(r, c, top)
        if two_rows and sub:
            ws.cell(r + 1, c, sub)
        elif two_rows and top:
            ws.merge_cells(start_row=r, start_column=c, end_row=r + 1, end_column=c)
    if two_rows:
        for c, (top, sub) in enumerate(head, 1):
            if top and sub and c < len(head) and head[c][0] == "" and head[c][1]:
                ws.merge_cells(start_row=r, start_column=c, end_row=r, end_column=c + 1)
    r += 2 if two_rows else 1
    for n, act in enumerate(activities, 1):
        rows = sessions_of(act) if sessions else [_split(act.get("time_place"), "，")]
        if not sessions and act.get("sessions"):
            rows = sessions_of(act)[:1]
        person, phone = _split(act.get("contact"), " ")
        unit = "" if unit_in_title else act.get("unit", unit_text)
        values: list = [n, act.get("name"), act.get("intro")]
        firsts = {}
        c = 1
        for v in values:
            firsts[c] = v
            c += 1
        tp_cols = [c] if time_place == "one" else [c, c + 1]
        c += len(tp_cols)
        firsts[c] = unit
        c += 1
        if contact == "one":
            firsts[c] = act.get("contact")
        else:
            firsts[c], firsts[c + 1] = person, phone
        for col, v in firsts.items():
            if v in (None, ""):
                continue
            cell = ws.cell(r, col)
            if col == 2 and formula_name is not None and n - 1 == formula_name:
                cell.value = f'=HYPERLINK("https://example.org/activity/{n}","{v}")'
            else:
                set_text_safe(cell, v)
        for i, (time, place) in enumerate(rows):
            if time_place == "one":
                set_text_safe(ws.cell(r + i, tp_cols[0]), "，".join(x for x in (time, place) if x))
            else:
                set_text_safe(ws.cell(r + i, tp_cols[0]), time)
                set_text_safe(ws.cell(r + i, tp_cols[1]), place)
        if len(rows) > 1 and unmerged:
            unit_col, contact_cols = tp_cols[-1] + 1, [c for c in firsts if c > tp_cols[-1] + 1]
            for i in range(1, len(rows)):
                again = {unit_col: act.get("session_unit", unit)} if unmerged == "repeat" or "session_unit" in act \
                    else {}
                if unmerged == "repeat":
                    again |= {col: firsts[col] for col in contact_cols}
                for col, v in again.items():
                    if v not in (None, ""):
                        set_text_safe(ws.cell(r + i, col), v)
        elif len(rows) > 1:
            for col in firsts:
                ws.merge_cells(start_row=r, start_column=col, end_row=r + len(rows) - 1, end_column=col)
        r += len(rows)
        if blank_rows:
            r += blank_lines
    if footer:
        ws.cell(r, 1, "填表人：王五")
        ws.cell(r, 4, "审核人：赵六")
        ws.cell(r, 6, "联系电话：010-66668888")
        ws.cell(r + 1, 1, "联系电话：010-66669999")
        ws.cell(r + 2, 2, "审核人")
        ws.cell(r + 2, 3, "李四")
        r += 3
    for note in blank_forms.form_notes(year, "recommendations"):
        ws.cell(r, 1, note)
        r += 1
    return wb


def _save(wb: Workbook, path: Path, mtime: float | None) -> Path:
    save_deterministic(wb, path)
    if mtime is not None:
        os.utime(path, (mtime, mtime))
    return path


# --- hostile and broken files ---------------------------------------------------------------------
def _form_members(unit_text: str = "河北省") -> dict[str, bytes]:
    buf = io.BytesIO()
    statistics_workbook(unit_text, sample_values(unit_text)).save(buf)
    with zipfile.ZipFile(buf) as zf:
        return {n: zf.read(n) for n in zf.namelist()}


def _write_zip(path: Path, members: dict[str, bytes | tuple[bytes, int]], big: dict[str, int] | None = None) -> Path:
    """A zip with fixed timestamps; ``big`` members are streamed: name → megabytes of spaces inside the sheet."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as zf:
        for name, data in members.items():
            zf.writestr(zipfile.ZipInfo(name, FIXED_TIME.timetuple()[:6]), data, zipfile.ZIP_DEFLATED)
        for name, megabytes in (big or {}).items():
            info = zipfile.ZipInfo(name, FIXED_TIME.timetuple()[:6])
            info.compress_type = zipfile.ZIP_DEFLATED
            with zf.open(info, "w", force_zip64=megabytes >= 2048) as fh:
                fh.write(b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
                         b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>')
                chunk = b" " * (1 << 20)
                for _ in range(megabytes):
                    fh.write(chunk)
                fh.write(b"</sheetData></worksheet>")
    return path


def write_zip_bomb(path: Path, megabytes: int = 1024) -> Path:
    """A real .xlsx whose sheet inflates to ``megabytes`` MB (about 1,000:1)."""
    members = _form_members()
    members.pop("xl/worksheets/sheet1.xml")
    return _write_zip(Path(path), members, {"xl/worksheets/sheet1.xml": megabytes})


def write_lying_zip(path: Path, megabytes: int = 64, declared: int = 4096) -> Path:
    """An .xlsx whose sheet claims ``declared`` bytes in the zip directory but inflates to ``megabytes`` MB."""
    path = write_zip_bomb(path, megabytes)
    data = bytearray(path.read_bytes())
    name = b"xl/worksheets/sheet1.xml"
    pos = data.rfind(b"PK\x01\x02")
    while pos >= 0:
        if data[pos + 46:pos + 46 + len(name)] == name:
            data[pos + 24:pos + 28] = declared.to_bytes(4, "little")
            break
        pos = data.rfind(b"PK\x01\x02", 0, pos)
    path.write_bytes(bytes(data))
    return path


def _split_declaration(xml: str) -> tuple[str, str]:
    if xml.startswith("<?xml"):
        head, rest = xml.split("?>", 1)
        return head + "?>", rest
    return '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>', xml


def write_entity_bomb(path: Path) -> Path:
    """An .xlsx whose sheet XML declares nested entities (billion laughs)."""
    members = _form_members()
    ents = ['<!ENTITY lol0 "lol">'] + [f'<!ENTITY lol{i} "{("&lol%d;" % (i - 1)) * 10}">' for i in range(1, 10)]
    head, rest = _split_declaration(members["xl/worksheets/sheet1.xml"].decode())
    members["xl/worksheets/sheet1.xml"] = (head + "\n<!DOCTYPE worksheet [" + "".join(ents) + "]>"
                                           + rest.replace("<sheetData>", "<sheetData><!-- &lol9; -->", 1)).encode()
    return _write_zip(Path(path), members)


def write_external_entity(path: Path) -> Path:
    """An .xlsx whose shared strings declare an external entity (XXE, reading /etc/passwd)."""
    members = _form_members()
    key = "xl/sharedStrings.xml" if "xl/sharedStrings.xml" in members else "xl/workbook.xml"
    head, rest = _split_declaration(members[key].decode())
    members[key] = (head + '\n<!DOCTYPE x [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>' + rest).encode()
    return _write_zip(Path(path), members)


def write_password_protected(path: Path, password: str = "kjhdz2024") -> Path:
    """A real encrypted .xlsx (Agile encryption, as Excel writes it)."""
    from msoffcrypto.format.ooxml import OOXMLFile

    buf = io.BytesIO()
    statistics_workbook("河北省", sample_values("河北省")).save(buf)
    buf.seek(0)
    out = io.BytesIO()
    OOXMLFile(buf).encrypt(password, out)
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    Path(path).write_bytes(out.getvalue())
    return Path(path)


def write_not_a_workbook(path: Path, text: str = "地方/部门：河北省\n科普活动开展次数,120\n") -> Path:
    """A text file saved with a workbook name."""
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    Path(path).write_text(text, encoding="utf-8")
    return Path(path)


def write_empty(path: Path) -> Path:
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    Path(path).write_bytes(b"")
    return Path(path)


def write_truncated(path: Path, keep: float = 0.5) -> Path:
    """A real .xlsx cut short (an interrupted e-mail download)."""
    buf = io.BytesIO()
    save_to = Path(path)
    statistics_workbook("河北省", sample_values("河北省")).save(buf)
    data = buf.getvalue()
    save_to.parent.mkdir(parents=True, exist_ok=True)
    save_to.write_bytes(data[: int(len(data) * keep)])
    return save_to


def write_wps_et(path: Path) -> Path:
    """A file with WPS's own .et extension (an OLE file, as WPS writes it)."""
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    Path(path).write_bytes(bytes.fromhex("d0cf11e0a1b11ae1") + b"\0" * 504)
    return Path(path)


def write_companion(path: Path, kind: str = "pdf") -> Path:
    """A stand-in companion file (stamped scan or report): a tiny valid-looking PDF, PNG or text."""
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    body = {"pdf": b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n",
            "png": bytes.fromhex("89504e470d0a1a0a"), "docx": b"PK\x05\x06" + b"\0" * 18}.get(kind, b"scan")
    Path(path).write_bytes(body)
    return Path(path)

"""The sample year: fictional submissions of the roster's units, generated deterministically.

The 2024 season (附件1 推荐表 and 附件2 统计表 of most roster units) and 2023's statistics (a smaller year,
so that the 2024 summary report shows year over year) are written by :func:`generate`
(``invoke make-sample-data``) as the messages units send (:mod:`kjhdz_docs.sample_mail`):
``data/<year>/mail/sample.mbox``, committed. ``build-all`` receives them into the inboxes first. All
figures are fictional.

The inboxes look like what the ministry receives:

- most units fill the project's own blank forms (:mod:`kjhdz_docs.blank_forms`) in Excel/WPS;
- some ignore them (:data:`kjhdz_docs.specimens.STATISTICS_STYLES`: labels moved, merged cells,
  a cover sheet, ``1,234`` / ``１２３`` / ``12.5万元`` typed as text), write their agency's name
  (北京市科委, 深圳市科创委, 中科院 …) or send .xls and .ods (saved by LibreOffice);
- a few units send nothing; a few 统计表 are rejected (a negative number, words where a number
  belongs, a formula without its value, a unit not in the roster); one unit sends a corrected
  统计表 that supersedes its first one; a few 推荐表 rows break a rule of the 推荐清单;
- stamped scans (.pdf, .png) and a unit's own 总结报告 (.docx) come along.

The same generator makes larger years for the benchmarks: :func:`write_scale_project` writes a
roster of *n* units (the real 60 first, then fictional 样例单位) with both inboxes.

The mbox is byte-identical from run to run (the .xls/.ods renditions, LibreOffice output, are reused from
the committed mbox when made without LibreOffice). The received time of each submission is its
message's Date — never a file's modification time, which a checkout loses.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import logging
import os
import random
import shutil
import tempfile
import zipfile
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Iterable, Sequence

import yaml

from . import blank_forms, console, forms, specimens
from .paths import ROOT, data_dir
from .workbooks import save_deterministic, set_text_safe

log = logging.getLogger(__name__)

SAMPLE_YEARS = (2023, 2024)
FIXED_ZIP_TIME = (2024, 1, 1, 0, 0, 0)
ROTATION_HEADER = ("# 轮值主场 of the sample year (fictional): one listed activity a day of the activity week.\n"
                   "# Written by kjhdz_docs/sample_data.py when the year has no rotation.yaml.\n")

# units that send nothing in 2024 (they appear as 未报送 in the summary and are missing from the 推荐清单)
MISSING_STATISTICS = ("西藏自治区", "哈尔滨市", "应急管理部")
MISSING_RECOMMENDATIONS = ("青海省", "长春市", "中国地震局", "生态环境部")
# how some units write their own name on the 地方/部门 or 推荐单位 line
AGENCY_SPELLINGS = {
    "北京市": "北京市科委", "上海市": "上海市科学技术委员会", "天津市": "天津市科技局", "重庆市": "重庆市科学技术局",
    "深圳市": "深圳市科创委", "广西壮族自治区": "广西科技厅", "内蒙古自治区": "内蒙古科技厅",
    "新疆生产建设兵团": "兵团科技局", "中国科学院": "中科院", "国家林业和草原局": "国家林草局",
    "国家卫生健康委员会": "国家卫健委", "工业和信息化部": "工业和信息化部科技司", "宁夏回族自治区": "宁夏科技厅",
}


# the unit a sample companion file (scan, own report) came from, by the first part of its name
COMPANION_UNITS = {"北京市科委": "北京市", "天津市": "天津市", "四川省": "四川省", "上海市": "上海市", "河北省": "河北省",
                   "中科院": "中国科学院"}


# --- figures --------------------------------------------------------------------------------------
def _rng(*parts) -> random.Random:
    return random.Random("sample/" + "/".join(str(p) for p in parts))


_SIZE = {"province": (0.6, 2.4), "city": (0.25, 0.7), "department": (0.08, 0.3)}


def unit_values(unit: str, kind: str, year: int) -> dict[str, int | Decimal]:
    """Fictional but plausible 统计表 figures of ``unit`` for ``year`` (2023 a little below 2024)."""
    base = _rng("values", unit)
    size = base.uniform(*_SIZE.get(kind, _SIZE["department"]))
    growth = _rng("growth", unit, year).uniform(0.86, 0.97) ** (2024 - year)

    def count(lo: int, hi: int) -> int:
        return int(base.randint(lo, hi) * size * growth)

    def money(lo: int, hi: int) -> Decimal:
        return (Decimal(base.randint(lo * 100, hi * 100)) * Decimal(str(round(size * growth, 4)))
                / 100).quantize(Decimal("0.01"))

    dept = kind == "department"
    values: dict[str, int | Decimal] = {
        "activities": count(600, 6000),
        "funding.central": money(100, 1500) if dept else money(0, 300),
        "funding.provincial": Decimal("0.00") if dept else money(200, 3000),
        "funding.municipal": Decimal("0.00") if dept else money(100, 2000),
        "funding.county": Decimal("0.00") if dept else money(50, 1500),
        "funding.enterprise": money(20, 800),
        "funding.in_kind": money(10, 400),
        "funding.other": money(0, 200),
        "staff.fulltime": count(200, 3000),
        "staff.scientists": count(1000, 20000),
        "staff.volunteers": count(1000, 30000),
        "staff.other": count(200, 5000),
        "public.offline": count(100_000, 3_000_000),
        "public.online": count(200_000, 12_000_000),
        "media.outlets": count(20, 300),
        "media.reports": count(200, 5000),
        "open.venues": count(20, 400),
        "open.institutes": count(10, 200),
        "open.universities": count(5, 80),
    }
    return values


def unit_activities(unit: str, year: int, count: int) -> list[dict[str, str]]:
    """``count`` fictional 推荐表 rows of ``unit`` (within the activity week, place at county level)."""
    return specimens.sample_activities(unit, count, year=year)


# --- forms as units fill them ----------------------------------------------------------------------
def fill_statistics_form(path: Path, year: int, unit_text: str, values: dict, *, mtime: float | None = None,
                         blank: Sequence[str] = (), overrides: dict | None = None) -> Path:
    """The blank 附件2 of ``blank_forms`` filled in (numbers as numbers; ``overrides``: cell contents as typed)."""
    wb = blank_forms.statistics_workbook(year)
    ws = wb[blank_forms.STATISTICS_SHEET]
    ws["B2"] = unit_text
    rows = {ws.cell(r, c).value: r for r in range(3, ws.max_row + 1) for c in (1, 2) if ws.cell(r, c).value}
    for ind in forms.INDICATORS:
        cell = ws.cell(rows[ind.label], 3)
        if ind.id in blank:
            continue
        if overrides and ind.id in overrides:
            value = overrides[ind.id]
            if isinstance(value, str) and value.startswith("="):
                cell.value = value            # a formula typed in, saved without its result
            else:
                set_text_safe(cell, value)
            continue
        v = values[ind.id]
        cell.value = float(v) if isinstance(v, Decimal) else v
    return _save(wb, path, mtime)


def fill_recommendation_form(path: Path, year: int, unit_text: str, activities: Sequence[dict], *,
                             mtime: float | None = None, column_unit: str | None = None) -> Path:
    """The blank 附件1 of ``blank_forms`` filled in: the 推荐单位 line and one row per activity (≤ 5 rows)."""
    wb = blank_forms.recommendation_workbook(year)
    ws = wb[blank_forms.RECOMMENDATION_SHEET]
    ws["A2"] = f"{forms.RECOMMENDATION_UNIT_LABEL}：{unit_text}（公章）"
    cols = {c.id: i + 1 for i, c in enumerate(forms.RECOMMENDATION_COLUMNS)}
    for r, act in enumerate(activities[: forms.MAX_ACTIVITIES], 4):
        for key in ("name", "intro", "time_place", "contact"):
            set_text_safe(ws.cell(r, cols[key]), act[key])
        set_text_safe(ws.cell(r, cols["unit"]), column_unit or unit_text)
    return _save(wb, path, mtime)


def _save(wb, path: Path, mtime: float | None) -> Path:
    save_deterministic(wb, Path(path))
    if mtime is not None:
        os.utime(path, (mtime, mtime))
    return Path(path)


# --- companion files ----------------------------------------------------------------------------------
SCAN_DPI = 100          # the sample scans' resolution (A4 at 100 dpi: 827 × 1169 px)


def scan_image(unit: str, what: str, year: int = 2024, *, seed: str = ""):
    """A scanned 盖章页 as an image (PIL, RGB): real Chinese text a reader (and OCR) can read, a red 公章,
    the top 40 mm left blank as on a printed form (deterministic)."""
    from PIL import Image, ImageDraw, ImageFont

    from .charts import cjk_font_file

    rng = _rng("scan", unit, what, seed)
    w, h = round(210 / 25.4 * SCAN_DPI), round(297 / 25.4 * SCAN_DPI)
    img = Image.new("RGB", (w, h), (246, 246, 244))
    draw = ImageDraw.Draw(img)
    title = ImageFont.truetype(cjk_font_file(), 34)
    body = ImageFont.truetype(cjk_font_file(), 26)
    top = round(42 / 25.4 * SCAN_DPI)
    draw.text((w // 2, top), f"{year}年全国科技活动周", font=title, fill=(25, 25, 25), anchor="mt")
    draw.text((w // 2, top + 50), what, font=title, fill=(25, 25, 25), anchor="mt")
    lines = [f"报送单位：{unit}", "经审核，所报材料内容真实、数据准确。", "特此报送。",
             f"联系人：王{'明丽华强'[rng.randrange(4)]}　电话：010-{rng.randrange(10000000, 99999999)}"]
    y = top + 150
    for line in lines:
        draw.text((110, y), line, font=body, fill=(30, 30, 30))
        y += 56
    draw.text((w - 110, y + 90), unit, font=body, fill=(30, 30, 30), anchor="rt")
    draw.text((w - 110, y + 140), f"{year}年4月12日", font=body, fill=(30, 30, 30), anchor="rt")
    cx, cy, r = w - 210, y + 120, 92
    draw.ellipse((cx - r, cy - r, cx + r, cy + r), outline=(200, 30, 30), width=6)
    draw.text((cx, cy), "★", font=title, fill=(200, 30, 30), anchor="mm")
    return img


def write_scan_pdf(path: Path, unit: str = "某单位", what: str = "统计表盖章页", year: int = 2024) -> Path:
    """A 盖章扫描件 as scanners write it: one page holding only an image (no text layer, PDF 1.3, no
    metadata), deterministic."""
    import zlib

    import pikepdf

    img = scan_image(unit, what, year)
    pdf = pikepdf.new()
    width, height = img.width * 72 / SCAN_DPI, img.height * 72 / SCAN_DPI
    pdf.add_blank_page(page_size=(width, height))
    image = pikepdf.Stream(pdf, zlib.compress(img.tobytes(), 9))
    image.Type, image.Subtype = pikepdf.Name.XObject, pikepdf.Name.Image
    image.Width, image.Height, image.BitsPerComponent = img.width, img.height, 8
    image.ColorSpace, image.Filter = pikepdf.Name.DeviceRGB, pikepdf.Name.FlateDecode
    page = pdf.pages[0]
    page.Resources = pikepdf.Dictionary(XObject=pikepdf.Dictionary(Im0=image))
    page.Contents = pdf.make_stream(f"q {width:.2f} 0 0 {height:.2f} 0 0 cm /Im0 Do Q".encode("ascii"))
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    pdf.save(path, deterministic_id=True, compress_streams=True, force_version="1.3")
    return Path(path)


def write_scan_png(path: Path, unit: str = "某单位", what: str = "推荐表盖章页", year: int = 2024, *,
                   dpi: int | None = None) -> Path:
    """A photographed or scanned 盖章页 as PNG; ``dpi`` None writes no resolution (as many phones and
    scanners do)."""
    img = scan_image(unit, what, year)
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    img.save(path, format="PNG", optimize=True, **({"dpi": (dpi, dpi)} if dpi else {}))
    return Path(path)


def write_unit_report(path: Path, unit: str, year: int, values: dict) -> Path:
    """A unit's own 总结报告 (.docx, a few paragraphs), with fixed zip times."""
    from docx import Document

    doc = Document()
    doc.core_properties.author = unit
    doc.core_properties.title = f"{unit}{year}年科技活动周工作总结"
    doc.add_heading(f"{unit}{year}年科技活动周工作总结", level=1)
    doc.add_paragraph(f"{year}年科技活动周期间，{unit}共组织科普活动{values['activities']}次，"
                      f"线下参与群众{values['public.offline']}人次，线上参与{values['public.online']}人次。")
    doc.add_paragraph("（样例数据，数字为虚构。）")
    buf = io.BytesIO()
    doc.save(buf)
    return _write_fixed_zip(Path(path), buf.getvalue())


def _write_fixed_zip(path: Path, data: bytes) -> Path:
    """Re-pack an Office package with fixed entry times and core.xml dates (same content → same bytes)."""
    import re

    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            body = src.read(info.filename)
            if info.filename == "docProps/core.xml":
                body = re.sub(rb"(<dcterms:(?:created|modified)[^>]*>)[^<]*(</dcterms:)",
                              rb"\g<1>2024-01-01T00:00:00Z\g<2>", body)
            fixed = zipfile.ZipInfo(info.filename, date_time=FIXED_ZIP_TIME)
            fixed.compress_type = zipfile.ZIP_DEFLATED
            fixed.external_attr = 0o644 << 16
            dst.writestr(fixed, body)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(out.getvalue())
    return path


# --- the plan of a sample year -------------------------------------------------------------------------
@dataclass
class Plan:
    """What a generated inbox holds, for the tests and the closing table."""

    year: int
    statistics: dict[str, str] = field(default_factory=dict)        # file → what it is
    recommendations: dict[str, str] = field(default_factory=dict)
    renditions: list[tuple[Path, Path, str]] = field(default_factory=list)   # (source xlsx, target, format)
    owners: dict[str, tuple[str | None, float]] = field(default_factory=dict)  # "<kind>/<file>" → (unit, sent at)
    messages: int = 0                                                            # in mail/sample.mbox

    def own(self, kind: str, name: str, unit: str | None, when: float) -> None:
        self.owners[f"{kind}/{name}"] = (unit, when)

    def counts(self) -> dict[str, int]:
        return {"statistics": len(self.statistics), "recommendations": len(self.recommendations)}


def _roster_units(year: int, roster_file: Path | None = None) -> list[tuple[str, str]]:
    path = roster_file or (data_dir(year) / "units.yaml")
    raw = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    return [(u["name"], u["kind"]) for u in raw["units"]]


def _stamp(year: int, month: int, day: int, hour: int = 10) -> float:
    return dt.datetime(year, month, day, hour, tzinfo=dt.timezone(dt.timedelta(hours=8))).timestamp()


def _spelling(unit: str, kind: str, n: int) -> str:
    if unit in AGENCY_SPELLINGS:
        return AGENCY_SPELLINGS[unit]
    if kind == "department":
        return unit
    return f"{unit}{('科学技术厅', '科技厅', '科学技术局')[n % 3]}" if kind == "province" and n % 2 else unit


def write_statistics_year(year: int, inbox: Path, units: Sequence[tuple[str, str]], *, full: bool = True) -> Plan:
    """A 统计表 inbox of ``units`` (name, kind): blank forms filled in, some messy, rejected, superseded.

    ``full`` adds the special cases of the 2024 sample (missing units, rejected files, companions,
    .xls/.ods renditions, a resubmission); without it every unit sends its blank form filled in.
    """
    plan = Plan(year)
    deadline = _stamp(year, 6, 20)
    styles = [s for s in specimens.STATISTICS_STYLES if s != "form"]
    special = {
        # unit: (what, file name)
        "河北省": ("superseded", ""),
        "山西省": ("rejected: negative-number", "山西省科技厅-附件2统计表.xlsx"),
        "吉林省": ("rejected: not-a-number", "吉林省2024科技活动周统计表.xlsx"),
        "湖南省": ("rejected: formula-no-value", "湖南省-统计表（含公式）.xlsx"),
        "宁波市": ("rejected: wrong-unit", "宁波市统计表.xlsx"),
    } if full else {}
    rendition_units = {"甘肃省": "xls", "大连市": "xls", "农业农村部": "ods", "贵州省": "ods"} if full else {}
    style_units = ["江苏省", "四川省", "广州市", "厦门市", "浙江省", "交通运输部", "辽宁省", "青岛市"] if full else []
    n_written = 0
    for n, (unit, kind) in enumerate(units):
        if full and unit in MISSING_STATISTICS:
            continue
        values = unit_values(unit, kind, year)
        text = _spelling(unit, kind, n)
        when = deadline - 86400 * (n % 9) - 3600 * (n % 5)
        if unit in special:
            what, name = special[unit]
            if what == "superseded":
                first = f"{unit}-统计表-1-初报.xlsx"
                fill_statistics_form(inbox / first, year, f"{unit}科学技术厅",
                                     dict(values, **{"public.online": values["public.online"] * 10}), mtime=when)
                plan.statistics[first] = "superseded"
                plan.own("statistics", first, unit, when)
                second = f"{unit}-统计表-2-更正.xlsx"
                fill_statistics_form(inbox / second, year, f"{unit}科学技术厅", values, mtime=when + 3 * 86400)
                plan.statistics[second] = "accepted"
                plan.own("statistics", second, unit, when + 3 * 86400)
            else:
                rule = what.split(": ")[1]
                overrides = {"negative-number": {"open.venues": -12},
                             "not-a-number": {"staff.volunteers": "约3000"},
                             "formula-no-value": {"funding.other": "=C4+C5"},
                             "wrong-unit": {"funding.enterprise": "356000元"}}[rule]
                fill_statistics_form(inbox / name, year, text, values, mtime=when, overrides=overrides)
                plan.statistics[name] = what
                plan.own("statistics", name, unit, when)
            continue
        if unit in rendition_units:
            fmt = rendition_units[unit]
            src = inbox / f".{unit}-统计表.xlsx"
            fill_statistics_form(src, year, text, values)
            plan.renditions.append((src, inbox / f"{unit}-统计表.{fmt}", fmt))
            plan.statistics[f"{unit}-统计表.{fmt}"] = "accepted"
            plan.own("statistics", f"{unit}-统计表.{fmt}", unit, when)
            continue
        if unit in style_units:
            style = styles[style_units.index(unit) % len(styles)]
            name = f"{unit}/{forms.statistics_title(year)}.xlsx" if n % 2 else f"{text}-统计表.xlsx"
            specimens.write_statistics(inbox / name, text, values, style=style, year=year, mtime=when)
            plan.statistics[name] = "accepted"
            plan.own("statistics", name, unit, when)
            continue
        name = f"{unit}-附件2-{forms.statistics_title(year)}.xlsx" if n % 3 else f"{text}/统计表.xlsx"
        blank = ("media.outlets",) if full and unit == "海南省" else ()
        fill_statistics_form(inbox / name, year, text, values, mtime=when, blank=blank)
        plan.statistics[name] = "accepted"
        plan.own("statistics", name, unit, when)
        n_written += 1
    if full:
        extras = {
            f"{AGENCY_SPELLINGS['北京市']}/北京市统计表盖章件.pdf":
                lambda p: write_scan_pdf(p, "北京市科学技术委员会", "统计表盖章页", year),
            "天津市-统计表盖章扫描件.pdf": lambda p: write_scan_pdf(p, "天津市科学技术局", "统计表盖章页", year),
            "四川省/盖章页.png": lambda p: write_scan_png(p, "四川省科学技术厅", "统计表盖章页", year,
                                                          dpi=SCAN_DPI),
            f"上海市-{year}年科技活动周工作总结.docx":
                lambda p: write_unit_report(p, "上海市", year, unit_values("上海市", "province", year)),
            "某协会-统计表.xlsx": None,
        }
        for name, writer in extras.items():
            if writer is None:    # a unit that is not on the roster
                fill_statistics_form(inbox / name, year, "某某市科普协会", unit_values("某协会", "city", year),
                                     mtime=deadline)
                plan.statistics[name] = "rejected: unknown-unit"
                plan.own("statistics", name, None, deadline)
                continue
            writer(inbox / name)
            os.utime(inbox / name, (deadline, deadline))
            plan.statistics[name] = "attachment"
            plan.own("statistics", name, COMPANION_UNITS[name.split("/")[0].split("-")[0]], deadline)
    return plan


def write_recommendations_year(year: int, inbox: Path, units: Sequence[tuple[str, str]], *, full: bool = True,
                               plan: Plan | None = None) -> Plan:
    """A 推荐表 inbox of ``units``: blank forms filled in (1–5 activities), some messy, a few rows that break rules."""
    plan = plan or Plan(year)
    deadline = _stamp(year, 4, 12)
    styles = [s for s in specimens.RECOMMENDATION_STYLES if s != "form"]
    style_units = ["江苏省", "山东省", "广东省", "成都市", "武汉市", "教育部"] if full else []
    rendition_units = {"甘肃省": "xls", "水利部": "ods"} if full else {}
    for n, (unit, kind) in enumerate(units):
        if full and unit in MISSING_RECOMMENDATIONS:
            continue
        count = 1 + _rng("count", unit, year).randrange(forms.MAX_ACTIVITIES)
        acts = unit_activities(unit, year, count)
        text = _spelling(unit, kind, n)
        when = deadline - 86400 * (n % 7)
        if full and unit == "河南省":          # six activities: the sixth goes to 待核实
            acts = unit_activities(unit, year, 6)
            name = "河南省推荐表.xlsx"
            specimens.write_recommendations(inbox / name, text, acts, style="form", year=year, mtime=when)
            plan.recommendations[name] = "accepted: 6 rows (max-activities)"
            plan.own("recommendations", name, unit, when)
            continue
        if full and unit == "湖北省":          # an intro too long, a place only at city level
            acts = unit_activities(unit, year, 3)
            acts[1] = dict(acts[1], intro=acts[1]["intro"] + "活动设置科学实验秀、科普剧展演、科技成果展示、互动体验、"
                                                              "专家讲座、青少年科普研学、科普图书漂流、院士报告会等多个板块，覆盖全省十七个市州。")
            acts[2] = dict(acts[2], time_place=f"{year}年5月27日，湖北省武汉市")
        if full and unit == "福建省":          # a date after the week
            acts = unit_activities(unit, year, 2)
            acts[1] = dict(acts[1], time_place=f"{year}年6月15日，福建省福州市鼓楼区")
        if unit in rendition_units:
            fmt = rendition_units[unit]
            src = inbox / f".{unit}-推荐表.xlsx"
            fill_recommendation_form(src, year, text, acts)
            plan.renditions.append((src, inbox / f"{unit}-推荐表.{fmt}", fmt))
            plan.recommendations[f"{unit}-推荐表.{fmt}"] = "accepted"
            plan.own("recommendations", f"{unit}-推荐表.{fmt}", unit, when)
            continue
        if unit in style_units:
            style = styles[style_units.index(unit) % len(styles)]
            name = f"{text}-{forms.recommendation_title(year)}.xlsx"
            specimens.write_recommendations(inbox / name, text, acts, style=style, year=year, mtime=when)
            plan.recommendations[name] = "accepted"
            plan.own("recommendations", name, unit, when)
            continue
        name = f"{unit}-附件1推荐表.xlsx" if n % 2 else f"附件1-{text}.xlsx"
        fill_recommendation_form(inbox / name, year, text, acts, mtime=when)
        plan.recommendations[name] = "accepted"
        plan.own("recommendations", name, unit, when)
    if full:
        # a form with no unit anywhere (file name names none either), and a 统计表 sent to the wrong inbox
        nameless = "推荐表（未填单位）.xlsx"
        specimens.write_recommendations(inbox / nameless, "", unit_activities("", year, 2), unit_line=False,
                                        row_unit="", year=year, mtime=deadline)
        plan.recommendations[nameless] = "rejected: missing-unit"
        plan.own("recommendations", nameless, None, deadline)
        wrong = "云南省-附件2统计表（误报）.xlsx"
        fill_statistics_form(inbox / wrong, year, "云南省科技厅", unit_values("云南省", "province", year), mtime=deadline)
        plan.recommendations[wrong] = "rejected: no-form"
        plan.own("recommendations", wrong, "云南省", deadline - 86400 * 2)
        scans = {"河北省/推荐表盖章扫描件.pdf": lambda p: write_scan_pdf(p, "河北省科学技术厅", "推荐表盖章页", year),
                 "中科院-推荐表盖章页.png": lambda p: write_scan_png(p, "中国科学院", "推荐表盖章页", year)}
        for name, writer in scans.items():
            writer(inbox / name)
            os.utime(inbox / name, (deadline, deadline))
            plan.recommendations[name] = "attachment"
            plan.own("recommendations", name, COMPANION_UNITS[name.split("/")[0].split("-")[0]], deadline)
    return plan


def convert_renditions(plans: Iterable[Plan]) -> int:
    """Save the planned .xls/.ods renditions through LibreOffice: one converter call per format for all years."""
    from . import converter

    by_format: dict[str, list[tuple[Path, Path]]] = {}
    for plan in plans:
        for src, dst, fmt in plan.renditions:
            by_format.setdefault(fmt, []).append((src, dst))
    done = 0
    for fmt, pairs in sorted(by_format.items()):
        converter.convert_files(pairs, target=fmt)
        for src, dst in pairs:
            src.unlink()
            done += 1
    return done


def rotation_days(year: int, units: Sequence[tuple[str, str]]) -> list[dict]:
    """A 轮值主场 schedule: one activity of a different unit each day of the week (from the generated rows)."""
    week = [dt.date(year, 5, 25) + dt.timedelta(days=i) for i in range(8)]
    hosts = ["北京市", "上海市", "安徽省", "重庆市", "陕西省", "中国科学院", "深圳市", "黑龙江省"]
    kinds = dict(units)
    days = []
    for day, unit in zip(week, hosts):
        if unit not in kinds:
            continue
        acts = unit_activities(unit, year, 1 + _rng("count", unit, year).randrange(forms.MAX_ACTIVITIES))
        days.append({"date": day, "unit": unit, "activity": acts[0]["name"]})
    return days


# --- whole years -------------------------------------------------------------------------------------------
def _publish_dir(work: Path, target: Path) -> None:
    """Replace ``target`` by ``work`` (same file system): the old inbox is moved aside, then removed."""
    target.parent.mkdir(parents=True, exist_ok=True)
    old = None
    if target.exists():
        old = target.with_name(f".{target.name}.old")
        shutil.rmtree(old, ignore_errors=True)
        os.replace(target, old)
    os.replace(work, target)
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)


SAMPLE_MBOX = "mail/sample.mbox"


def write_sample_year(year: int, root: Path, *, renditions: bool = True) -> Plan:
    """``root/<year>/mail/sample.mbox``: the year's submissions as the messages units send (the 2024-style
    full season, or 2023's smaller statistics year). The inboxes are not written: ``invoke receive`` files
    the messages into them (``build-all`` does it first), so the received time is each message's date.

    Without ``renditions`` (no LibreOffice) the .xls/.ods are taken from the committed
    ``data/<year>/mail/sample.mbox`` when they were saved from the same .xlsx."""
    from . import sample_mail
    from .receive.register import write_atomic

    units = _roster_units(year, root / str(year) / "units.yaml")
    work = Path(tempfile.mkdtemp(prefix=".inbox-", dir=root / str(year)))
    try:
        if year == 2024:
            plan = write_statistics_year(year, work / "statistics", units)
            write_recommendations_year(year, work / "recommendations", units, plan=plan)
        else:    # the year before: fewer units reported, statistics only
            reported = [u for i, u in enumerate(units) if i % 4 != 3]
            plan = write_statistics_year(year, work / "statistics", reported, full=False)
        sources = {dst.relative_to(work).as_posix(): hashlib.sha256(src.read_bytes()).hexdigest()
                   for src, dst, _fmt in plan.renditions}
        if renditions:
            convert_renditions([plan])
            reuse: dict[str, bytes] = {}
        else:
            for src, _, _ in plan.renditions:
                src.unlink()
            reuse = sample_mail.committed_renditions(ROOT / "data" / str(year) / SAMPLE_MBOX)
        messages = sample_mail.build_messages(year, work, plan, units, sources, reuse)
        write_atomic(root / str(year) / SAMPLE_MBOX, sample_mail.mbox_bytes(messages))
        plan.messages = len(messages)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    _forget_received(root / str(year))
    rotation = root / str(year) / "rotation.yaml"
    if year == 2024 and not rotation.exists():
        days = rotation_days(year, units)
        text = ROTATION_HEADER + yaml.safe_dump({"days": days}, allow_unicode=True, sort_keys=False)
        rotation.write_text(text, encoding="utf-8")
    return plan


def _forget_received(year_dir: Path) -> None:
    """A new sample mbox replaces the sample year's received state (inboxes, register, kept messages),
    which ``invoke receive`` rebuilds from it; nothing else of the year is touched."""
    old = year_dir / ".received.old"
    shutil.rmtree(old, ignore_errors=True)
    old.mkdir()
    for name in ("inbox", "register.json"):
        if (year_dir / name).exists():
            os.replace(year_dir / name, old / name)
    for kept in sorted((year_dir / "mail").glob("*.e*ml")) + sorted((year_dir / "mail").glob("*.msg")):
        os.replace(kept, old / kept.name)
    shutil.rmtree(old, ignore_errors=True)


def generate(years: Sequence[int] = SAMPLE_YEARS, root: Path | None = None, *, renditions: bool = True) -> int:
    """Write the sample messages of ``years`` (``<root>/<year>/mail/sample.mbox``, default root ``data/``); returns 0.

    A year needs its roster (``<root>/<year>/units.yaml``). The year's received state (inboxes, register,
    kept messages) is removed: ``invoke receive`` (or ``build-all``) files the new messages again.
    """
    root = Path(root) if root else data_dir(SAMPLE_YEARS[0]).parent
    rows = []
    for year in years:
        plan = write_sample_year(int(year), root, renditions=renditions)
        kinds = {}
        for what in [*plan.statistics.values(), *plan.recommendations.values()]:
            key = what.split(":")[0]
            kinds[key] = kinds.get(key, 0) + 1
        rows.append((year, plan.messages, len(plan.statistics), len(plan.recommendations),
                     ", ".join(f"{k} {v}" for k, v in sorted(kinds.items()))))
    console.table("sample data (fictional figures)", ["year", "messages (mail/sample.mbox)", "统计表", "推荐表", "files"],
                  rows)
    return 0


# --- larger years for the benchmarks ------------------------------------------------------------------------
def scale_units(n: int, year: int = 2024) -> list[dict]:
    """A roster of ``n`` units: the real roster's units first, then fictional 样例单位 (departments)."""
    raw = yaml.safe_load((ROOT / "data" / "2024" / "units.yaml").read_text(encoding="utf-8"))["units"]
    units = [dict(u) for u in raw[:n]]
    for i in range(len(units), n):
        units.append({"name": f"科技活动周样例单位{i + 1:05d}", "kind": "department"})
    return units


def write_statistics_inbox(inbox: Path, units: Sequence[tuple[str, str]], year: int = 2024, *,
                           styles: bool = True) -> list[Path]:
    """One filled 统计表 per unit (blank forms, every 4th in a specimen style when ``styles``)."""
    style_names = list(specimens.STATISTICS_STYLES)
    paths = []
    for n, (unit, kind) in enumerate(units):
        values = unit_values(unit, kind, year)
        path = inbox / f"{n:05d}-{unit}-统计表.xlsx"
        if styles and n % 4 == 3:
            specimens.write_statistics(path, unit, values, style=style_names[n % len(style_names)], year=year)
        else:
            fill_statistics_form(path, year, unit, values)
        paths.append(path)
    return paths


def write_scale_project(root: Path, n_units: int, year: int = 2024) -> Path:
    """A data folder for ``n_units`` units: ``root/<year>/`` with units.yaml, notice.yaml, archive.yaml and both inboxes.

    Point ``KJHDZ_DATA`` at ``root`` to build it (no 轮值主场 file: the generated list differs).
    """
    year_dir = Path(root) / str(year)
    year_dir.mkdir(parents=True, exist_ok=True)
    units = scale_units(n_units, year)
    (year_dir / "units.yaml").write_text(yaml.safe_dump({"year": year, "units": units}, allow_unicode=True,
                                                        sort_keys=False), encoding="utf-8")
    for name in ("notice.yaml", "archive.yaml"):       # the year's notice and archive settings, as they are
        if (ROOT / "data" / str(year) / name).is_file():
            shutil.copyfile(ROOT / "data" / str(year) / name, year_dir / name)
    pairs = [(u["name"], u["kind"]) for u in units]
    write_statistics_inbox(year_dir / "inbox" / "statistics", pairs, year)
    write_recommendations_year(year, year_dir / "inbox" / "recommendations", pairs, full=False)
    return year_dir

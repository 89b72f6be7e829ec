"""The letters' layout measured in the PDF LibreOffice wrote (GB/T 9704-2012 §10.1 信函格式).

A 退回修改通知 with ten problems (it runs onto a second page) and a 催报通知, rendered by
``write_letters`` from a real inbox; the red mark, the two red double lines, the page numbers and the
body text are measured with pdfplumber and on the rasterised page (pdftoppm).
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pdfplumber
import pytest
import yaml

from kjhdz_docs import pdf_layout as L
from kjhdz_docs import sample_data
from kjhdz_docs.forms import INDICATORS
from kjhdz_docs.paths import ROOT

from .conftest import requires_soffice

YEAR = 2024
pytestmark = [requires_soffice, pytest.mark.slow]
PEERS = ("北京市", "上海市", "江苏省", "浙江省")
TYPED = {i.id: f"约{n + 1}" for n, i in enumerate(INDICATORS) if n % 2 == 0}     # 10 cells typed as text


@pytest.fixture(scope="module")
def letters(tmp_path_factory):
    base = tmp_path_factory.mktemp("layout")
    year_dir = base / "data" / str(YEAR)
    (year_dir / "inbox" / "statistics").mkdir(parents=True)
    shutil.copyfile(ROOT / "data" / str(YEAR) / "notice.yaml", year_dir / "notice.yaml")
    raw = yaml.safe_load((ROOT / "data" / str(YEAR) / "units.yaml").read_text(encoding="utf-8"))
    raw["units"] = [u for u in raw["units"] if u["name"] in ("天津市", "河北省", "山西省", *PEERS)]
    (year_dir / "units.yaml").write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    values = sample_data.unit_values("河北省", "province", YEAR)
    sample_data.fill_statistics_form(year_dir / "inbox" / "statistics" / "河北.xlsx", YEAR, "河北省科学技术厅",
                                     values, overrides=TYPED)
    # 天津市's online participation is a thousand times its peers': the intake flags it (peer median)
    tianjin = sample_data.unit_values("天津市", "province", YEAR)
    tianjin = dict(tianjin, **{"public.online": tianjin["public.online"] * 1000})
    sample_data.fill_statistics_form(year_dir / "inbox" / "statistics" / "天津.xlsx", YEAR, "天津市科学技术局", tianjin)
    for n, unit in enumerate(PEERS):
        sample_data.fill_statistics_form(year_dir / "inbox" / "statistics" / f"peer{n}.xlsx", YEAR, unit,
                                         sample_data.unit_values(unit, "province", YEAR))
    mp = pytest.MonkeyPatch()
    mp.setenv("KJHDZ_DATA", str(base / "data"))
    mp.setenv("KJHDZ_BUILD", str(base / "build"))
    import datetime as dt

    from kjhdz_docs.letters import write_letters
    from kjhdz_docs.status import load_season

    try:
        season = load_season(YEAR, today=dt.date(2024, 6, 20))
        row = season.units["天津市"]["statistics"]
        assert row["state"] == "flagged", row
        assert write_letters(YEAR, form="statistics", season=season) == 0
    finally:
        mp.undo()
    root = base / "build" / str(YEAR) / "letters"
    return {"rejection": next((root / "河北省").glob("退回修改通知-*.pdf")),
            "reminder": next((root / "山西省").glob("催报通知-*.pdf")),
            "verification": next((root / "天津市").glob("核实函-*.pdf")),
            "receipt": next((root / "天津市").glob("回执-*.pdf")),
            "flags": row["flags"]}


def _red_rows(pdf: Path, page: int, dpi: int = 300) -> list[int]:
    """Pixel rows of the page holding red ink (R ≥ 200, G and B ≤ 80)."""
    from PIL import Image

    out = pdf.with_name(f"raster-{pdf.stem[:4]}")
    subprocess.run(["pdftoppm", "-r", str(dpi), "-f", str(page), "-l", str(page), "-png", str(pdf), str(out)],
                   check=True, timeout=120)
    png = next(pdf.parent.glob(f"{out.name}*.png"))
    img = Image.open(png).convert("RGB")
    w, h = img.size
    px = img.load()
    rows = [y for y in range(h) if any(px[x, y][0] >= 200 and px[x, y][1] <= 80 and px[x, y][2] <= 80
                                       for x in range(0, w, 3))]
    png.unlink()
    return rows


def _runs(rows: list[int]) -> list[tuple[int, int]]:
    runs: list[tuple[int, int]] = []
    for y in rows:
        if runs and y == runs[-1][1] + 1:
            runs[-1] = (runs[-1][0], y)
        else:
            runs.append((y, y))
    return runs


@pytest.mark.parametrize("kind", ["rejection", "reminder", "verification", "receipt"])
def test_letterhead_and_double_lines(letters, kind):
    pdf = letters[kind]
    mm_per_px = 25.4 / 300
    runs = _runs(_red_rows(pdf, 1))
    mark, lines = runs[0], runs[1:]
    assert abs(mark[0] * mm_per_px - 30) <= 1.5                        # the mark's ink top: 30 mm from the top
    # upper double line: two red runs, thick above thin, 4 mm below the mark's ink
    upper = [r for r in lines if r[0] * mm_per_px < 80]
    assert len(upper) == 2
    thick, thin = (upper[0][1] - upper[0][0] + 1), (upper[1][1] - upper[1][0] + 1)
    assert thick > thin
    assert abs(upper[0][0] * mm_per_px - mark[1] * mm_per_px - 4) <= 1.0
    # lower double line: thin above thick, its bottom 20 mm above the paper's bottom edge
    lower = [r for r in lines if r[0] * mm_per_px > 250]
    assert len(lower) == 2
    assert (lower[0][1] - lower[0][0]) < (lower[1][1] - lower[1][0])
    assert abs(297 - lower[1][1] * mm_per_px - 20) <= 1.0
    with pdfplumber.open(pdf) as doc:
        page = doc.pages[0]
        red = [r for r in L.horizontal_rules(page, min_length_mm=100) if L.is_red(r.color)]
        assert len(red) == 4 and all(abs(r.length - 170) <= 1 and abs((r.x0 + r.x1) / 2 - 105) <= 1 for r in red)
        mark_chars = [c for c in page.chars if L.is_red(tuple(c.get("non_stroking_color") or ()))]
        assert "".join(c["text"] for c in mark_chars) == "科学技术部"
        centre = L.mm((min(c["x0"] for c in mark_chars) + max(c["x1"] for c in mark_chars)) / 2)
        assert abs(centre - 105) <= 1.5
        assert L.page_number(page) is None                                # no page number on the first page
        body = [c for c in page.chars if c["text"] == "你"]
        assert body and abs(body[0]["size"] - 16) < 0.1 and "FandolFang" in body[0]["fontname"]


def test_long_letter_continues_with_page_numbers(letters):
    with pdfplumber.open(letters["rejection"]) as doc:
        assert len(doc.pages) >= 2
        text = "".join((p.extract_text() or "") for p in doc.pages)
        for n, page in enumerate(doc.pages[1:], 2):
            assert L.page_number(page) == n
            assert not [c for c in page.chars if L.is_red(tuple(c.get("non_stroking_color") or ()))]
        lines = L.text_lines(doc.pages[1])
        assert min(ln.y for ln in lines) < 50                            # page 2 starts at the ordinary 天头
    squashed = "".join(text.split())
    assert all(v in squashed for v in TYPED.values())                    # every problem is in the letter
    from docx import Document

    doc = Document(str(letters["rejection"].with_suffix(".docx")))
    rows = [[c.text for c in r.cells] for t in doc.tables for r in t.rows][1:]
    assert sorted(r[3] for r in rows) == sorted(TYPED.values()) and all("不是数字" in r[4] for r in rows)


def test_verification_letter_sets_the_figures_side_by_side(letters):
    flags = [f for f in letters["flags"] if f["indicator"] == "public.online"]
    assert len(flags) == 1 and flags[0]["peer_median"] and flags[0]["previous"] is None
    flag = flags[0]
    with pdfplumber.open(letters["verification"]) as doc:
        words = [w for p in doc.pages for w in p.extract_words(x_tolerance=1)]
        text = "".join("".join((p.extract_text() or "").split()) for p in doc.pages)
    assert "今年" in text and "上年" in text and "同类中位数" in text
    # the indicator's name wraps inside its table cell (two lines, read interleaved with the next cells)
    label = "线上活动群众参与数量"
    assert any(label[:k] in text and label[k:] in text for k in range(3, len(label) - 2))
    # each figure is a word of its own (not run together with 序号 or 单元格), on the row of its flag:
    # 今年 left of 上年 (“—”: no previous year) left of 同类中位数, each inside its own column under its header
    value = next(w for w in words if w["text"] == str(flag["value"]))
    median = next(w for w in words if w["text"] == str(flag["peer_median"]))
    cell = next(w for w in words if w["text"] == flag["cell"].split("!")[-1])
    number = next(w for w in words if w["text"] == "1" and abs(w["top"] - value["top"]) < 2)
    dash = [w for w in words if w["text"] == "—" and abs(w["top"] - value["top"]) < 2 and value["x1"] < w["x0"]
            and w["x1"] < median["x0"]]
    assert dash and abs(value["top"] - median["top"]) < 2 and abs(cell["top"] - value["top"]) < 2
    assert number["x1"] < cell["x0"] and cell["x1"] < value["x0"]
    heads = {h: next(w for w in words if w["text"] == h) for h in ("序号", "单元格", "今年", "上年", "同类中位数")}
    edges = _column_edges(letters["verification"], heads["序号"])
    assert len(edges) == 8 and abs(L.mm(edges[-1] - edges[0]) - 156) <= 1        # the table is the 版心's width
    columns = {"序号": 0, "单元格": 2, "今年": 3, "上年": 4, "同类中位数": 5}
    for head, col in columns.items():
        assert edges[col] < heads[head]["x0"] and heads[head]["x1"] < edges[col + 1], head   # header on one line
    for word, col in ((number, 0), (cell, 2), (value, 3), (dash[0], 4), (median, 5)):
        assert edges[col] < word["x0"] and word["x1"] < edges[col + 1], word["text"]
    for word, col in ((value, 3), (dash[0], 4), (median, 5)):                      # figures right-aligned
        assert L.mm(edges[col + 1] - word["x1"]) < 3, word["text"]
    assert "相差20倍以上，可能有误" in text                                # the bound, said once above the table
    assert "确认" in text and "2024年6月30日前" in text


def _column_edges(pdf: Path, head: dict) -> list[float]:
    """x positions (pt) of the vertical rules of the table whose header row holds ``head``."""
    with pdfplumber.open(pdf) as doc:
        page = doc.pages[0]
        xs = sorted({round(e["x0"], 1) for e in page.edges if e["orientation"] == "v"
                     and e["top"] - 1 <= head["top"] <= e["bottom"] + 1})
    merged: list[float] = []
    for x in xs:
        if not merged or x - merged[-1] > 1:
            merged.append(x)
    return merged

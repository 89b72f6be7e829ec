"""The 2024 notice as built by `build_notice`, measured in THE PDF (GB/T 9704-2012 acceptance points).

One module-scoped build (real docxtpl, real LibreOffice, two conversions) serves every assert.
"""

from __future__ import annotations

import json
import re
import unicodedata
from pathlib import Path

import pikepdf
import pytest
from docx import Document
from docx.oxml.ns import qn

from kjhdz_docs import pdf_layout as pl
from kjhdz_docs.notice import build_notice
from kjhdz_docs.notice_data import load_notice
from tests.conftest import requires_soffice

pytestmark = [requires_soffice, pytest.mark.slow]

SEED = Path(__file__).parent / "fixtures" / "seed_notice_2024.txt"   # the 2024 notice as issued, verbatim

TYPE_TOP, TYPE_BOTTOM, LEFT, RIGHT = 37.0, 262.0, 28.0, 184.0
CENTRE = (LEFT + RIGHT) / 2
BODY_FONT = "FandolFang"


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    out = tmp_path_factory.mktemp("notice")
    assert build_notice(2024, out=out) == 0
    return out


@pytest.fixture(scope="module")
def pdf(built):
    with pl.open_pdf(built / "notice.pdf") as doc:
        yield doc


@pytest.fixture(scope="module")
def lines(pdf):
    """Text lines of every page, page numbers included."""
    return [pl.text_lines(p) for p in pdf.pages]


def body_lines(page_lines):
    return [ln for ln in page_lines
            if ln.sizes == {16.0} and any(BODY_FONT in f for f in ln.fontnames)
            and TYPE_TOP <= ln.y <= TYPE_BOTTOM]


def normalize(text: str) -> str:
    text = unicodedata.normalize("NFKC", text).replace("**", "")
    return re.sub(r"\s+", "", text)


# --- outputs --------------------------------------------------------------------------------------
def test_writes_docx_pdf_and_manifest(built):
    assert (built / "notice.docx").stat().st_size > 10_000
    manifest = json.loads((built / "manifest.json").read_text(encoding="utf-8"))
    (record,) = manifest["records"]
    assert record["type"] == "notice"
    assert record["doc_number"] == "国科发才〔2024〕31号"
    assert record["creators"] == ["科学技术部", "中共中央宣传部", "中国科学技术协会"]
    assert record["date"] == "2024-03-29"
    assert record["disclosure"] == "主动公开"
    assert record["original"] == "notice.docx" and record["pdf"] == "notice.pdf"
    assert record["title"] == "科技部 中央宣传部 中国科协关于举办2024年全国科技活动周的通知"
    for name in record["attachments"]:
        assert (built / name).exists()
    assert len(record["attachments"]) == 2 and all(n.endswith(".xlsx") for n in record["attachments"])
    assert not [p for p in built.parent.iterdir() if p.name.startswith(".notice")], "temp folder left behind"


def test_every_run_of_the_docx_is_zh_cn(built):
    doc = Document(str(built / "notice.docx"))
    parts = [doc.part] + [s.footer.part for s in doc.sections] + [s.even_page_footer.part for s in doc.sections]
    runs = [r for part in parts for r in part.element.iter(qn("w:r"))]
    assert runs
    for r in runs:
        lang = r.find(qn("w:rPr")).find(qn("w:lang"))
        assert lang.get(qn("w:eastAsia")) == "zh-CN"
    assert doc.settings.odd_and_even_pages_header_footer


# --- page, type area, grid -----------------------------------------------------------------------
def test_pages_are_a4(pdf):
    for page in pdf.pages:
        assert abs(pl.mm(page.width) - 210) < 0.5 and abs(pl.mm(page.height) - 297) < 0.5


def test_body_text_starts_28mm_from_the_left(lines):
    starts = [ln.x0 for page in lines[1:5] for ln in body_lines(page)]
    assert len(starts) > 40
    assert abs(min(starts) - LEFT) <= 1.0
    # paragraphs' first lines are indented 2 characters
    indented = [x for x in starts if x > LEFT + 5]
    assert indented and all(abs(x - (LEFT + 2 * 15.75 * pl.PT_MM)) <= 0.5 for x in indented)


def test_a_full_body_page_has_22_baselines(lines):
    def text_lines_16(page):   # body and headings (黑体/楷体) alike
        return [ln for ln in page if ln.sizes == {16.0} and TYPE_TOP <= ln.y <= TYPE_BOTTOM]

    counts = [len(text_lines_16(page)) for page in lines]
    assert max(counts) == 22, counts
    full = next(page for page in lines if len(text_lines_16(page)) == 22)
    ys = [ln.y for ln in text_lines_16(full)]
    steps = [b - a for a, b in zip(ys, ys[1:])]
    assert all(abs(s - 28.95 * pl.PT_MM) < 0.05 for s in steps)
    assert ys[0] >= TYPE_TOP and ys[-1] <= TYPE_BOTTOM


def test_a_full_body_line_holds_28_characters(lines):
    def cjk_only(ln):
        return all(unicodedata.east_asian_width(c["text"]) in "WF" for c in ln.chars)

    pairs = [(ln, nxt) for page in lines for ln, nxt in zip(body_lines(page), body_lines(page)[1:])
             if abs(ln.x0 - LEFT) < 0.5 and ln.x1 > RIGHT - 2 and cjk_only(ln)]
    assert len(pairs) > 30
    assert max(len(ln.text) for ln, _ in pairs) == 28
    assert sum(len(ln.text) == 28 for ln, _ in pairs) > 0.8 * len(pairs)
    for ln, nxt in pairs:
        # 27 only where a punctuation mark may not start the next line (it takes a character along)
        # or where a number that does not fit moves down whole
        assert len(ln.text) == 28 or nxt.text[1:2] in "，。、；：？！）”》" or nxt.text[0].isascii(), \
            (ln.text, nxt.text)
    assert all(ln.x1 <= RIGHT + 0.2 for page in lines for ln in body_lines(page)), "ink past the type area"


# --- 版头 ------------------------------------------------------------------------------------------
def test_issuer_mark_is_red_stacked_and_centred(lines):
    page1 = lines[0]
    organs = [next(ln for ln in page1 if ln.text == name) for name in ("科学技术部", "中共中央宣传部", "中国科学技术协会")]
    word = next(ln for ln in page1 if ln.text == "文件")
    for ln in organs + [word]:
        assert all(pl.is_red(c) for c in ln.colors), (ln.text, ln.colors)
        assert any("NotoSerifCJK" in f for f in ln.fontnames)
    ys = [ln.y for ln in organs]
    assert ys == sorted(ys), "lead organ first, stacked"
    centres = [ln.centre for ln in organs]
    assert max(centres) - min(centres) <= 1.0, centres
    assert word.x0 > max(ln.x1 for ln in organs), "文件 to the right of the names"
    assert abs(word.y - ys[1]) <= 1.5, "文件 vertically centred on the block"
    block = (min(ln.x0 for ln in organs) + word.x1) / 2
    assert abs(block - CENTRE) <= 1.0
    assert max(word.x1, *(ln.x1 for ln in organs)) - min(ln.x0 for ln in organs) <= 156
    # the mark's top edge ≈ 35 mm below the type area's top (72 mm from the paper's top)
    top = min(pl.mm(c["top"]) for c in organs[0].chars)
    assert 68 <= top <= 74, top


def test_document_number_is_centred_with_a_red_rule_4mm_below(pdf, lines):
    number = next(ln for ln in lines[0] if "〔" in ln.text)
    assert number.text == "国科发才〔2024〕31号"
    assert abs(number.centre - CENTRE) <= 1.0
    red = [r for r in pl.horizontal_rules(pdf.pages[0]) if pl.is_red(r.color)]
    assert len(red) == 1
    rule = red[0]
    assert abs(rule.length - 156) <= 1.0 and abs(rule.x0 - LEFT) <= 1.0
    ink_bottom = number.y + 0.1 * 16 * pl.PT_MM
    assert abs(rule.y - ink_bottom - 4.0) <= 1.0, rule.y - number.y
    organs_bottom = max(ln.y for ln in lines[0] if ln.text == "中国科学技术协会")
    assert organs_bottom < number.y < rule.y


def test_title_and_headings_fonts(lines):
    page1 = lines[0]
    title = [ln for ln in page1 if ln.sizes == {22.0}]
    assert [ln.text for ln in title] == ["科技部 中央宣传部 中国科协关于举办".replace(" ", ""),
                                         "2024年全国科技活动周的通知"]
    assert all(abs(ln.centre - CENTRE) <= 1.0 for ln in title)
    addressee = next(ln for ln in page1 if ln.text.startswith("各省"))
    assert abs(addressee.x0 - LEFT) <= 0.5
    everything = [ln for page in lines for ln in page]
    h1 = [ln for ln in everything if re.match(r"^[一二三]、", ln.text)]
    h2 = [ln for ln in everything if re.match(r"^（[一二三四]）", ln.text)]
    assert len(h1) == 3 and all(any("FandolHei" in f for f in ln.fontnames) for ln in h1)
    assert len(h2) == 9 and all(any("FandolKai" in f for f in ln.fontnames) for ln in h2)


def test_attachment_list_numbers_align(lines):
    everything = [ln for page in lines for ln in page]
    first = next(ln for ln in everything if ln.text.startswith("附件：1."))
    second = next(ln for ln in everything if ln.text.startswith("2.2024"))
    one_x = first.chars[3]["x0"]
    assert abs(pl.mm(one_x) - second.x0) <= 0.5
    assert abs(first.x0 - (LEFT + 2 * 15.75 * pl.PT_MM)) <= 0.5


# --- 页码 and 版记 ----------------------------------------------------------------------------------
def test_page_numbers(pdf, lines):
    numbers = [pl.page_number(p) for p in pdf.pages]
    assert numbers == list(range(1, len(pdf.pages) + 1))
    for n, page in zip(numbers, lines):
        footer = next(ln for ln in page if pl.PAGE_NUMBER_RE.match(ln.text))
        assert abs(footer.y - 269.5) <= 2.0
        assert footer.sizes == {14.0}
        if n % 2:
            assert abs(footer.x1 - (RIGHT - 14 * pl.PT_MM)) <= 1.0, footer.x1
        else:
            assert abs(footer.x0 - (LEFT + 14 * pl.PT_MM)) <= 1.0, footer.x0


def test_imprint_at_the_foot_of_the_last_page_which_is_even(pdf, lines):
    assert len(pdf.pages) % 2 == 0
    last = pdf.pages[-1]
    rules = [r for r in pl.horizontal_rules(last) if not pl.is_red(r.color) and r.width_pt >= 0.9]
    assert len(rules) == 2, rules
    for r in rules:
        assert abs(r.length - 156) <= 1.0 and abs(r.width_pt - 1.0) <= 0.1
    assert abs(rules[-1].y - TYPE_BOTTOM) <= 1.0, rules[-1].y
    imprint = next(ln for ln in lines[-1] if "印发" in ln.text)
    assert imprint.text == "科学技术部办公厅2024年3月29日印发"
    assert imprint.sizes == {14.0}
    assert rules[0].y < imprint.y < rules[-1].y
    assert abs(imprint.x0 - (LEFT + 14 * pl.PT_MM)) <= 1.0
    assert abs(imprint.x1 - (RIGHT - 14 * pl.PT_MM)) <= 1.0
    # the attachments come before the 版记
    assert any(ln.text == "附件2" for page in lines for ln in page)
    attachment_page = next(i for i, page in enumerate(lines) if any(ln.text == "附件2" for ln in page))
    assert attachment_page <= len(lines) - 1


def test_attachments_start_new_pages_with_label_top_left(lines):
    for label in ("附件1", "附件2"):
        page = next(p for p in lines if any(ln.text == label for ln in p))
        first = page[0]
        assert first.text == label
        assert abs(first.x0 - LEFT) <= 0.5 and first.y < TYPE_TOP + 12
        assert any("FandolHei" in f for f in first.fontnames)


# --- fonts and PDF/A ----------------------------------------------------------------------------------
def test_fonts_embedded_no_fallback_and_pdfa(built):
    names = set()
    with pikepdf.open(built / "notice.pdf") as pdf:
        assert pdf.open_metadata().pdfa_status == "2B"
        for page in pdf.pages:
            for _, font in (page.Resources.get("/Font") or {}).items():
                desc = font.get("/FontDescriptor")
                if desc is None and "/DescendantFonts" in font:
                    desc = font.DescendantFonts[0].get("/FontDescriptor")
                assert desc is not None
                assert any(k in desc for k in ("/FontFile", "/FontFile2", "/FontFile3")), font.BaseFont
                names.add(str(font.BaseFont).split("+", 1)[-1])
    assert any(n.startswith("FandolFang") for n in names), names
    assert not [n for n in names if re.search(r"DejaVu|Liberation|Sans(?!.*CJK)", n)], names


# --- the text, word for word ---------------------------------------------------------------------------
def seed_paragraphs() -> list[str]:
    source = SEED
    if not source.exists():
        pytest.skip("the seed notice text is not available")
    raw = source.read_text(encoding="utf-8")
    notice, _, _ = raw.partition("\n序号\t")
    paras = [p.strip() for p in notice.splitlines() if p.strip()]
    # the masthead is checked by position above; the title's bold marks are markdown
    paras = [p for p in paras if not re.fullmatch(r"[\u4e00-\u9fff ]+", p) or len(p.replace(" ", "")) > 12
             or "文 件" not in p and p.replace(" ", "") not in ("科学技术部", "中国科学技术协会")]
    paras = [p for p in paras if "文 件" not in p]
    joined: list[str] = []
    for p in paras:
        # paragraphs the seed split at page breaks are one paragraph
        if joined and re.match(r"^(加强国家科普能力建设|方式和各种|“一带一路”科普活动|传报道力度)", p):
            joined[-1] += p
        else:
            joined.append(p)
    return [normalize(p).replace("网络and新媒体", "网络和新媒体") for p in joined]


def pdf_text(lines) -> str:
    return "".join(normalize(ln.text) for page in lines for ln in page if not pl.PAGE_NUMBER_RE.match(ln.text))


def test_pdf_text_reproduces_the_seed_in_order(lines):
    text = pdf_text(lines)
    paras = seed_paragraphs()
    assert len(paras) > 40
    pos = 0
    for p in paras:
        found = text.find(p, pos)
        assert found >= 0, f"not found in order: {p[:40]}…"
        pos = found + len(p)


def test_attachment_tables_hold_the_seed_labels_in_order(pdf):
    source = SEED
    raw = source.read_text(encoding="utf-8")
    header = next(line for line in raw.splitlines() if line.startswith("序号\t")).split("\t")
    stats_part = raw.split("地方/部门 (盖章):", 1)[1].split("科学技术部办公厅", 1)[0]
    stats_rows = [[normalize(c) for c in line.split("\t") if c.strip()] for line in stats_part.splitlines()
                  if line.strip()]
    tables = []
    for page in pdf.pages:
        for table in page.extract_tables():
            tables.append([[normalize(c or "") for c in row] for row in table])
    rec = next(t for t in tables if "序号" in t[0])
    assert [c for c in rec[0] if c] == [normalize(h) for h in header]
    assert [row[0] for row in rec[1:]] == ["1", "2", "3", "4", "5"]
    assert "(100字以内,方案可附后)" in rec[1] and "(地点精确到县级)" in rec[1]
    stat = next(t for t in tables if any("科普活动开展次数" in c for c in t[0]))
    cells = [c for row in stat for c in row if c]
    labels = [c for row in stats_rows for c in row]
    order = []
    for label in labels:
        assert label in cells, label
        order.append(cells.index(label))
    indicator_order = [cells.index(row[-1]) for row in stats_rows]
    assert indicator_order == sorted(indicator_order)


def test_data_dates_for_other_steps():
    data = load_notice(2024)
    assert (data.week_start.isoformat(), data.week_end.isoformat()) == ("2024-05-25", "2024-06-01")
    assert data.recommendations_deadline.isoformat() == "2024-04-15"
    assert data.statistics_deadline.isoformat() == "2024-06-30"
    assert data.issue_date.isoformat() == "2024-03-29"

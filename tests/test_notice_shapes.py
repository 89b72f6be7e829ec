"""Notices of other years and shapes, from their data file alone, measured in the PDF (GB/T 9704-2012).

Three notices (tests/notice_shapes.py: four organs with 9- and 10-character names, a 抄送 of several
lines and the attachments in the other order; one organ with one attachment; two organs with a
three-line title and a long attachment) are rendered in one batch: two LibreOffice starts in all.
"""

from __future__ import annotations

import pytest

from kjhdz_docs import pdf_layout as pl
from kjhdz_docs.blank_forms import write_blank_forms
from kjhdz_docs.notice import render_notices
from kjhdz_docs.notice_data import load_notice_file
from tests import notice_shapes
from tests.conftest import requires_soffice

pytestmark = [requires_soffice, pytest.mark.slow]

LEFT, RIGHT, TYPE_BOTTOM = 28.0, 184.0, 262.0
CENTRE = (LEFT + RIGHT) / 2
ONE_4HAO = 14 * pl.PT_MM


@pytest.fixture(scope="module")
def rendered(tmp_path_factory):
    base = tmp_path_factory.mktemp("shapes")
    jobs = []
    for name, raw in notice_shapes.shapes().items():
        path = notice_shapes.write(raw, base / name)
        jobs.append((name, load_notice_file(path)))     # the yaml is all there is
    results = render_notices([(data, base / name) for name, data in jobs])
    out = {}
    for (name, data), (_, pdf, pos) in zip(jobs, results):
        with pl.open_pdf(pdf) as doc:
            pages = [pl.text_lines(p) for p in doc.pages]
            numbers = [pl.page_number(p) for p in doc.pages]
            rules = [pl.horizontal_rules(p, min_length_mm=150) for p in doc.pages]
        out[name] = {"data": data, "pos": pos, "pages": pages, "numbers": numbers, "rules": rules}
    return out


SHAPES = ["four-organs-2025", "one-organ-2026", "long-2027"]


def _is_blank(page_lines) -> bool:
    return not [ln for ln in page_lines if not pl.PAGE_NUMBER_RE.match(ln.text)]


@pytest.mark.parametrize("name", SHAPES)
def test_page_numbers_follow_7_5_and_the_imprint_ends_an_even_last_page(rendered, name):
    r = rendered[name]
    pages, numbers, rules = r["pages"], r["numbers"], r["rules"]
    n = len(pages)
    assert n % 2 == 0, f"{n} pages: the 版记 page must be even"
    black = [x for x in rules[-1] if not pl.is_red(x.color) and x.width_pt >= 0.9]
    assert len(black) == 2 and abs(black[-1].y - TYPE_BOTTOM) <= 1.0, black
    assert any("印发" in ln.text for ln in pages[-1])
    if _is_blank(pages[-2]):
        # a blank page before the 版记 page: neither is numbered; every other page is, from 1
        assert numbers[-2:] == [None, None], numbers
        assert numbers[:-2] == list(range(1, n - 1)), numbers
    else:
        assert numbers == list(range(1, n + 1)), numbers
    for i, page in enumerate(pages):
        assert not _is_blank(page) or i == n - 2, f"page {i + 1} is blank"


def test_the_shapes_cover_a_blank_page_and_an_imprint_page_of_its_own(rendered):
    one = rendered["one-organ-2026"]
    assert _is_blank(one["pages"][-2]) and one["pos"].alone            # blank page, then the 版记 alone
    long = rendered["long-2027"]
    assert long["pos"].alone and not _is_blank(long["pages"][-2])        # the 版记 on a page of its own


def _mark_lines(page_lines):
    return [ln for ln in page_lines if ln.colors and all(pl.is_red(c) for c in ln.colors)]


@pytest.mark.parametrize("name", ["four-organs-2025", "long-2027"])
def test_joint_masthead_one_line_per_organ_inside_the_type_area(rendered, name):
    r = rendered[name]
    mark = _mark_lines(r["pages"][0])
    organs = r["data"].creators
    lines = [next((ln for ln in mark if ln.text == organ), None) for organ in organs]
    assert all(lines), ([ln.text for ln in mark], organs)           # each name whole on one line
    assert [ln.y for ln in lines] == sorted(ln.y for ln in lines)   # in the yaml's order, lead first
    word = next(ln for ln in mark if ln.text == "文件")
    assert len(mark) == len(organs) + 1
    assert word.x0 > max(ln.x1 for ln in lines)
    assert abs(word.y - (lines[0].y + lines[-1].y) / 2) <= 1.5, "文件 centred on the names"
    assert min(ln.x0 for ln in lines) >= LEFT - 0.5 and word.x1 <= RIGHT + 0.5
    assert abs((min(ln.x0 for ln in lines) + word.x1) / 2 - CENTRE) <= 1.0
    assert len({ln.sizes.pop() for ln in lines}) == 1                # one size for every name
    top = min(pl.mm(c["top"]) + 0.1 * c["size"] * pl.PT_MM for c in lines[0].chars)
    assert abs(top - 72) <= 1.5, top                                  # ink top 35 mm below the type area


def test_long_names_shrink_the_mark_and_page_1_shows_body_text(rendered):
    four = rendered["four-organs-2025"]
    sizes = {ln.text: ln.sizes for ln in _mark_lines(four["pages"][0])}
    assert sizes["国家市场监督管理总局"] == sizes["科学技术部"] and max(sizes["科学技术部"]) < 30
    for name in SHAPES:
        page1 = rendered[name]["pages"][0]
        addressee = max(i for i, ln in enumerate(page1) if ln.text.endswith("："))
        body = [ln for ln in page1[addressee + 1:] if ln.sizes == {16.0} and not pl.PAGE_NUMBER_RE.match(ln.text)]
        assert len(body) >= 2, (name, [ln.text for ln in page1])


def test_single_organ_masthead_is_one_centred_line_in_one_size(rendered):
    page1 = rendered["one-organ-2026"]["pages"][0]
    (line,) = _mark_lines(page1)
    assert line.text == "科学技术部文件"
    assert len(line.sizes) == 1 and abs(line.centre - CENTRE) <= 1.0
    assert LEFT <= line.x0 and line.x1 <= RIGHT
    steps = [b["x0"] - a["x0"] for a, b in zip(line.chars, line.chars[1:])]
    assert max(steps) - min(steps) < 0.5, "evenly set: no spreading across the page"
    assert abs(min(pl.mm(c["top"]) + 0.1 * c["size"] * pl.PT_MM for c in line.chars) - 72) <= 1.5


def test_copies_to_wraps_after_its_colon(rendered):
    last = rendered["four-organs-2025"]["pages"][-1]
    i = next(k for k, ln in enumerate(last) if ln.text.startswith("抄送："))
    first = last[i]
    after_colon = pl.mm(first.chars[3]["x0"])
    more = [ln for ln in last[i + 1:] if "印发" not in ln.text and not pl.PAGE_NUMBER_RE.match(ln.text)]
    assert len(more) >= 1 and first.sizes == {14.0}
    assert abs(first.x0 - (LEFT + ONE_4HAO)) <= 0.5                   # 1 character in
    for ln in more:
        assert abs(ln.x0 - after_colon) <= 0.5, (ln.text, ln.x0, after_colon)
        assert ln.x1 <= RIGHT - ONE_4HAO + 0.5                         # 1 character in on the right
    assert "".join(ln.text for ln in [first, *more]).endswith(rendered["four-organs-2025"]["data"].imprint.copies_to[-4:])


def _attachment_pages(r):
    out = []
    for lines in r["pages"]:
        if lines and lines[0].text.startswith("附件") and "：" not in lines[0].text:
            out.append((lines[0].text, "".join(ln.text for ln in lines[1:4])))
    return out


def test_attachments_in_the_yaml_order(rendered):
    r = rendered["four-organs-2025"]
    titles = [a.title for a in r["data"].attachments]
    assert "统计表" in titles[0] and "推荐表" in titles[1]                # reversed against 2024
    everything = [ln.text for page in r["pages"] for ln in page]
    assert any(t.startswith("附件：1." + titles[0][:10]) for t in everything)
    assert any(t.startswith("2." + titles[1][:10]) for t in everything)
    pages = _attachment_pages(r)
    assert [p[0] for p in pages] == ["附件1", "附件2"]
    assert "统计表" in pages[0][1] and "推荐表" in pages[1][1]


def test_one_attachment_is_unnumbered(rendered):
    r = rendered["one-organ-2026"]
    everything = [ln.text for page in r["pages"] for ln in page]
    assert any(t == "附件：" + r["data"].attachments[0].title for t in everything), everything
    assert [p[0] for p in _attachment_pages(r)] == ["附件"]


@pytest.mark.parametrize("name", SHAPES)
def test_contact_block_on_one_page(rendered, name):
    r = rendered[name]
    labels = [c.label.replace("　", "") for c in r["data"].contact]
    pages_of = {i for i, page in enumerate(r["pages"]) for ln in page
                if any(ln.text.startswith(lb + "：") or ln.text.replace(" ", "").startswith(lb + "：") for lb in labels)}
    assert len(pages_of) == 1, pages_of
    if name == "four-organs-2025":
        # here the block would not fit under the body: it moved whole to the next page, which starts with it
        (page,) = pages_of
        before = [ln for ln in r["pages"][page - 1] if ln.sizes == {16.0}]
        assert before[-1].y < 262 - 2 * 10.21, "the page before had room for part of the block"
        assert r["pages"][page][0].text.startswith(labels[0] + "：")


def test_blank_forms_carry_the_years_own_deadline_and_year(rendered, tmp_path):
    from openpyxl import load_workbook

    data = rendered["four-organs-2025"]["data"]
    paths = write_blank_forms(2025, tmp_path / "2025", notice=data)
    assert [p.name for p in paths] == ["附件2-2025年全国科技活动周开展情况统计表.xlsx",
                                       "附件1-2025年全国科技活动周特色群众性科技活动推荐表.xlsx"]
    rec = load_workbook(paths[1]).active
    cells = [c.value for row in rec.iter_rows() for c in row if isinstance(c.value, str)]
    assert rec["A1"].value == "2025年全国科技活动周特色群众性科技活动推荐表"
    assert any("请于4月18日前" in c for c in cells) and not any("4月15日" in c for c in cells)
    assert load_workbook(paths[0]).active["A1"].value == "2025年全国科技活动周开展情况统计表"
    one = write_blank_forms(2026, tmp_path / "2026", notice=rendered["one-organ-2026"]["data"])
    assert [p.name for p in one] == ["附件1-2026年全国科技活动周特色群众性科技活动推荐表.xlsx"]
    cells = [c.value for row in load_workbook(one[0]).active.iter_rows() for c in row if isinstance(c.value, str)]
    assert any("请于4月10日前" in c for c in cells)
    stat = write_blank_forms(2027, tmp_path / "2027", notice=rendered["long-2027"]["data"])[1]
    cells = [c.value for row in load_workbook(stat).active.iter_rows() for c in row if isinstance(c.value, str)]
    assert any(c.startswith("说明：1. 请于6月30日前报送") for c in cells)

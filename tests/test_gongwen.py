"""The shared GB/T 9704 conventions of template_builder.gongwen, checked in the .docx they write."""

from __future__ import annotations

import pytest
from docx import Document
from docx.oxml.ns import qn

from kjhdz_docs import fonts
from kjhdz_docs.template_builder import gongwen as g


@pytest.fixture(scope="module", params=[False, True], ids=["portrait", "landscape"])
def saved(request, tmp_path_factory):
    doc = g.new_document(landscape=request.param)
    g.add_paragraph(doc, "一、总体要求", g.HEADING1)
    g.add_paragraph(doc, "正文段落。", g.BODY)
    table = g.add_table(doc, [20, 60, 76], rows=2)
    g.set_cell_text(table.cell(0, 0), "序号", g.TABLE_HEADER)
    path = g.save(doc, tmp_path_factory.mktemp("gongwen") / "doc.docx")
    return request.param, Document(str(path))


def test_page_setup(saved):
    landscape, doc = saved
    s = doc.sections[0]
    w, h = (297, 210) if landscape else (210, 297)
    assert (round(s.page_width.mm), round(s.page_height.mm)) == (w, h)
    margins = (s.top_margin.mm, s.bottom_margin.mm, s.left_margin.mm, s.right_margin.mm)
    want = (28, 26, 37, 35) if landscape else (37, 35, 28, 26)
    assert all(abs(a - b) < 0.05 for a, b in zip(margins, want))
    area = (w - margins[2] - margins[3], h - margins[0] - margins[1])
    assert [round(x) for x in area] == list(g.type_area_mm(landscape=landscape))
    grid = s._sectPr.find(qn("w:docGrid"))
    assert grid.get(qn("w:type")) == "lines" and grid.get(qn("w:linePitch")) == "579"


def test_body_style(saved):
    _, doc = saved
    body = doc.styles[g.BODY]
    assert body.base_style.name == "Normal"
    normal = doc.styles["Normal"]
    assert normal.paragraph_format.line_spacing.pt == pytest.approx(28.95)
    assert body.paragraph_format.first_line_indent.pt == pytest.approx(31.5)
    rpr = normal.element.rPr
    assert rpr.find(qn("w:spacing")).get(qn("w:val")) == "-5"
    assert rpr.find(qn("w:sz")).get(qn("w:val")) == "32"


def test_every_style_names_official_fonts_in_all_slots_and_zh_cn(saved):
    _, doc = saved
    official = {fonts.XIAOBIAOSONG, fonts.FANGSONG, fonts.KAITI, fonts.HEITI, fonts.SONGTI}
    expected = {g.HEADING1: fonts.HEITI, g.HEADING2: fonts.KAITI, g.TITLE: fonts.XIAOBIAOSONG,
                "Normal": fonts.FANGSONG, g.PAGE_NUMBER: fonts.SONGTI}
    for name, font in expected.items():
        rf = doc.styles[name].element.rPr.find(qn("w:rFonts"))
        assert {rf.get(qn(a)) for a in ("w:ascii", "w:hAnsi", "w:eastAsia")} == {font}, name
    for style in doc.styles:
        rpr = style.element.rPr
        if rpr is None or rpr.find(qn("w:rFonts")) is None or style.name not in list(expected) + [g.BODY]:
            continue
        assert rpr.find(qn("w:rFonts")).get(qn("w:eastAsia")) in official
        assert rpr.find(qn("w:lang")).get(qn("w:eastAsia")) == "zh-CN"
    default = doc.styles.element.find(qn("w:docDefaults")).find(qn("w:rPrDefault")).find(qn("w:rPr"))
    assert default.find(qn("w:lang")).get(qn("w:eastAsia")) == "zh-CN"
    for r in doc.element.body.iter(qn("w:r")):
        assert r.find(qn("w:rPr")).find(qn("w:lang")).get(qn("w:eastAsia")) == "zh-CN"


def test_odd_and_even_page_numbers(saved):
    _, doc = saved
    assert doc.settings.odd_and_even_pages_header_footer
    s = doc.sections[0]
    for footer, side in ((s.footer, "right"), (s.even_page_footer, "left")):
        p = footer.paragraphs[0]
        assert p.style.name == g.PAGE_NUMBER
        assert p._p.pPr.find(qn("w:jc")).get(qn("w:val")) == side
        assert p._p.pPr.find(qn("w:ind")).get(qn(f"w:{side}")) == "280"   # 1 character of 4号
        xml = p._p.xml
        assert "PAGE" in xml and "— " in xml and " —" in xml


def test_table_is_fixed_and_fits_the_type_area(saved):
    _, doc = saved
    (table,) = doc.tables
    widths = [int(c.get(qn("w:w"))) for c in table._tbl.tblGrid.findall(qn("w:gridCol"))]
    assert abs(sum(widths) / 1440 * 25.4 - 156) < 0.1
    assert table._tbl.tblPr.find(qn("w:tblLayout")).get(qn("w:type")) == "fixed"

"""GB/T 9704-2012 (党政机关公文格式) conventions shared by every template builder (python-docx).

Page setup (:func:`new_document`, :func:`setup_section`):
    A4 portrait 210 × 297 mm, margins top 37 / bottom 35 / left 28 / right 26 mm → 版心 156 × 225 mm;
    ``landscape=True`` turns the page and the type area (297 × 210 mm, top 28 / bottom 26 / left 37 /
    right 35 → 225 × 156 mm). ``docGrid type="lines" linePitch=579`` (28.95 pt, 22 lines a page) and
    body runs spaced −0.25 pt (28 characters a line). A ``linesAndChars`` grid is NOT used: LibreOffice
    renders it as 14 characters a line. ``w:overflowPunct`` is set to 1 explicitly (docDefaults and
    Normal): LibreOffice 7.4 then moves a line-final "，" with the character before it to the next
    line; with the attribute absent or 0 it silently DROPS a comma that would end a full line (measured).

Styles (pass the constants to :func:`add_paragraph`; each names the official font in
``rFonts`` ascii/hAnsi/eastAsia/cs and carries ``w:lang w:eastAsia="zh-CN"``):
    NORMAL       仿宋_GB2312 16 pt, exact 28.95 pt, −0.25 pt, no indent (docDefaults match it)
    BODY         正文: NORMAL + first-line indent 2 characters (630 twips = 2 × 15.75 pt)
    HEADING1     一、 黑体 · HEADING2 （一） 楷体 · HEADING3 1. 仿宋 — all indented 2 characters
    TITLE        标题: 方正小标宋简体 22 pt (2号), centred, exact 36 pt lines off the grid
    ISSUER_MARK  发文机关标志: 小标宋, red (:data:`RED`), off the grid
    DOC_NUMBER   发文字号: centred
    ADDRESSEE    主送机关: flush left (ends with "：" in the data)
    ATTACHMENT_LIST 附件说明 · NOTE 附注 (indented 2) · SIGNATURE 署名/日期 (right, 4 characters in)
    ATTACHMENT_LABEL "附件1": 黑体, flush left · ATTACHMENT_TITLE: 小标宋 22 pt centred
    IMPRINT      版记: 仿宋 14 pt (4号), 1 character in on both sides
    TABLE_TEXT   table cells: 仿宋 12 pt, centred, single-line height, off the grid
    TABLE_HEADER table header cells: 黑体 12 pt, centred
    PAGE_NUMBER  页码: 宋体 14 pt

Page numbers: every section gets odd/even footers "— PAGE —" (4号 宋体, odd pages flush right and
even pages flush left, each 1 character in); ``w:evenAndOddHeaders`` is set in settings. Sections added
with :func:`add_section` keep numbering going and reuse the footers.

Helpers: :func:`add_paragraph`, :func:`add_run` (sets fonts, size, colour, zh-CN on the run),
:func:`set_exact_spacing`, :func:`page_break_before`, :func:`set_paragraph_border` (e.g. the red
separator line or the 版记 rules), :func:`add_table` (fixed widths in mm, centred),
:func:`set_cell_text`, :func:`set_table_borders`, :func:`set_cell_vertical_alignment`,
:func:`set_cell_margins`, :func:`save` (atomic).

Units: :data:`HAO2`/``HAO3``/``HAO4``/``XIAO4`` font sizes in pt; :data:`CHAR_TWIPS` is one 3号
character step (15.75 pt) in twips; :data:`LINE_PT` is the grid pitch.
"""

from __future__ import annotations

from pathlib import Path

from docx import Document
from docx.document import Document as DocumentObject
from docx.enum.section import WD_ORIENT
from docx.enum.style import WD_STYLE_TYPE
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Mm, Pt, RGBColor, Twips
from docx.text.paragraph import Paragraph

from ..fonts import FANGSONG, HEITI, KAITI, SONGTI, XIAOBIAOSONG

# --- measures (GB/T 9704-2012 §5, gbt9704.md) ---------------------------------------------------
PAGE_W_MM, PAGE_H_MM = 210, 297
MARGINS_MM = {"top": 37, "bottom": 35, "left": 28, "right": 26}
LANDSCAPE_MARGINS_MM = {"top": 28, "bottom": 26, "left": 37, "right": 35}
TYPE_W_MM, TYPE_H_MM = 156, 225
LINE_PITCH_TWIPS = 579          # Word's "22 lines a page"
LINE_PT = LINE_PITCH_TWIPS / 20  # 28.95 pt
CHAR_SPACING_TWENTIETHS = -5     # −0.25 pt: 28 characters of 3号 a line
CHAR_PT = 16 - 0.25              # step of one 3号 character
CHAR_TWIPS = int(CHAR_PT * 20)   # 315
FOOTER_DISTANCE_MM = 25          # puts the page number's dash ≈ 7 mm below the type area (portrait)
LANDSCAPE_FOOTER_DISTANCE_MM = 16

HAO2, HAO3, HAO4, XIAO4 = 22, 16, 14, 12
TITLE_LINE_PT = 36               # 2号 title lines (off the grid: on it each would take two lines)
RED = "FF0000"
BLACK = "000000"
LANG = "zh-CN"

# --- style names (Chinese, as staff see them in Word/WPS) and their ASCII ids ---------------------
NORMAL = "Normal"
BODY = "公文正文"
HEADING1 = "公文一级标题"
HEADING2 = "公文二级标题"
HEADING3 = "公文三级标题"
TITLE = "公文标题"
ISSUER_MARK = "发文机关标志"
DOC_NUMBER = "发文字号"
ADDRESSEE = "主送机关"
ATTACHMENT_LIST = "附件说明"
NOTE = "附注"
SIGNATURE = "公文署名"
ATTACHMENT_LABEL = "附件标识"
ATTACHMENT_TITLE = "附件标题"
IMPRINT = "版记"
TABLE_TEXT = "表格文字"
TABLE_HEADER = "表格标题行"
PAGE_NUMBER = "页码"

_STYLE_IDS = {
    BODY: "GWBody", HEADING1: "GWHeading1", HEADING2: "GWHeading2", HEADING3: "GWHeading3",
    TITLE: "GWTitle", ISSUER_MARK: "GWIssuerMark", DOC_NUMBER: "GWDocNumber", ADDRESSEE: "GWAddressee",
    ATTACHMENT_LIST: "GWAttachmentList", NOTE: "GWNote", SIGNATURE: "GWSignature",
    ATTACHMENT_LABEL: "GWAttachmentLabel", ATTACHMENT_TITLE: "GWAttachmentTitle", IMPRINT: "GWImprint",
    TABLE_TEXT: "GWTableText", TABLE_HEADER: "GWTableHeader", PAGE_NUMBER: "GWPageNumber",
}

ALIGN = {"left": WD_ALIGN_PARAGRAPH.LEFT, "center": WD_ALIGN_PARAGRAPH.CENTER,
         "right": WD_ALIGN_PARAGRAPH.RIGHT, "both": WD_ALIGN_PARAGRAPH.JUSTIFY,
         "distribute": WD_ALIGN_PARAGRAPH.DISTRIBUTE}


# --- low-level XML helpers -------------------------------------------------------------------------
def _child(parent, tag: str):
    """The first child ``tag`` of ``parent``, created (appended) if missing."""
    el = parent.find(qn(tag))
    if el is None:
        el = OxmlElement(tag)
        parent.append(el)
    return el


def set_rpr(rpr, *, font: str | None = None, size: float | None = None, color: str | None = None,
            bold: bool | None = None, spacing: int | None = None) -> None:
    """Set fonts (all four slots), size, colour, bold, spacing (1/20 pt) and zh-CN on an ``w:rPr``."""
    if font is not None:
        fonts = _child(rpr, "w:rFonts")
        for attr in ("w:ascii", "w:hAnsi", "w:eastAsia", "w:cs"):
            fonts.set(qn(attr), font)
        for attr in ("w:asciiTheme", "w:hAnsiTheme", "w:eastAsiaTheme", "w:cstheme"):
            fonts.attrib.pop(qn(attr), None)
    if bold is not None:
        for tag in ("w:b", "w:bCs"):
            _child(rpr, tag).set(qn("w:val"), "1" if bold else "0")
    if color is not None:
        _child(rpr, "w:color").set(qn("w:val"), color)
    if spacing is not None:
        _child(rpr, "w:spacing").set(qn("w:val"), str(spacing))
    if size is not None:
        half = str(int(round(size * 2)))
        _child(rpr, "w:sz").set(qn("w:val"), half)
        _child(rpr, "w:szCs").set(qn("w:val"), half)
    lang = _child(rpr, "w:lang")
    lang.set(qn("w:val"), "en-US")
    lang.set(qn("w:eastAsia"), LANG)
    _order_rpr(rpr)


# schema order of the rPr children we use (Word rejects out-of-order elements)
_RPR_ORDER = ["w:rStyle", "w:rFonts", "w:b", "w:bCs", "w:i", "w:iCs", "w:caps", "w:strike", "w:color",
              "w:spacing", "w:w", "w:kern", "w:position", "w:sz", "w:szCs", "w:highlight", "w:u",
              "w:vertAlign", "w:lang", "w:eastAsianLayout"]


def _order_rpr(rpr) -> None:
    rank = {qn(t): i for i, t in enumerate(_RPR_ORDER)}
    children = list(rpr)
    children.sort(key=lambda el: rank.get(el.tag, len(rank)))
    for el in children:
        rpr.append(el)


_PPR_ORDER = ["w:pStyle", "w:keepNext", "w:keepLines", "w:pageBreakBefore", "w:framePr", "w:widowControl",
              "w:numPr", "w:suppressLineNumbers", "w:pBdr", "w:shd", "w:tabs", "w:suppressAutoHyphens",
              "w:kinsoku", "w:wordWrap", "w:overflowPunct", "w:topLinePunct", "w:autoSpaceDE",
              "w:autoSpaceDN", "w:bidi", "w:adjustRightInd", "w:snapToGrid", "w:spacing", "w:ind",
              "w:contextualSpacing", "w:mirrorIndents", "w:suppressOverlap", "w:jc", "w:textDirection",
              "w:textAlignment", "w:textboxTightWrap", "w:outlineLvl", "w:divId", "w:cnfStyle", "w:rPr",
              "w:sectPr", "w:pPrChange"]


def _order_ppr(ppr) -> None:
    rank = {qn(t): i for i, t in enumerate(_PPR_ORDER)}
    children = list(ppr)
    children.sort(key=lambda el: rank.get(el.tag, len(rank)))
    for el in children:
        ppr.append(el)


def set_ppr(ppr, *, align: str | None = None, first_line: int | None = None, hanging: int | None = None,
            left: int | None = None, right: int | None = None, line_pt: float | None = None,
            line_rule: str = "exact", before_pt: float | None = None, after_pt: float | None = None,
            snap_to_grid: bool | None = None, keep_next: bool | None = None,
            outline_level: int | None = None, hanging_punctuation: bool | None = None,
            keep_lines: bool | None = None) -> None:
    """Paragraph properties on a ``w:pPr``; indents in twips, spacing in pt."""
    if keep_lines is not None:
        _child(ppr, "w:keepLines").set(qn("w:val"), "1" if keep_lines else "0")
    if hanging_punctuation is not None:
        _child(ppr, "w:overflowPunct").set(qn("w:val"), "1" if hanging_punctuation else "0")
    if keep_next is not None:
        _child(ppr, "w:keepNext").set(qn("w:val"), "1" if keep_next else "0")
    if snap_to_grid is not None:
        _child(ppr, "w:snapToGrid").set(qn("w:val"), "1" if snap_to_grid else "0")
    if line_pt is not None or before_pt is not None or after_pt is not None:
        sp = _child(ppr, "w:spacing")
        if line_pt is not None:
            sp.set(qn("w:line"), str(int(round(line_pt * 20))))
            sp.set(qn("w:lineRule"), line_rule)
        if before_pt is not None:
            sp.set(qn("w:before"), str(int(round(before_pt * 20))))
            sp.set(qn("w:beforeLines"), "0")
        if after_pt is not None:
            sp.set(qn("w:after"), str(int(round(after_pt * 20))))
            sp.set(qn("w:afterLines"), "0")
    if any(v is not None for v in (first_line, hanging, left, right)):
        ind = _child(ppr, "w:ind")
        for attr, val in (("w:left", left), ("w:right", right)):
            if val is not None:
                ind.set(qn(attr), str(val))
                ind.set(qn(attr + "Chars"), "0")
        if first_line is not None:
            ind.set(qn("w:firstLine"), str(first_line))
            ind.set(qn("w:firstLineChars"), "0")
            ind.attrib.pop(qn("w:hanging"), None)
        if hanging is not None:
            ind.set(qn("w:hanging"), str(hanging))
            ind.set(qn("w:hangingChars"), "0")
            ind.attrib.pop(qn("w:firstLine"), None)
    if align is not None:
        _child(ppr, "w:jc").set(qn("w:val"), {"left": "left", "center": "center", "right": "right",
                                              "both": "both", "distribute": "distribute"}[align])
    if outline_level is not None:
        _child(ppr, "w:outlineLvl").set(qn("w:val"), str(outline_level))
    _order_ppr(ppr)


# --- styles ------------------------------------------------------------------------------------------
def _paragraph_style(doc: DocumentObject, name: str, *, base: str = NORMAL, font: str | None = None,
                     size: float | None = None, color: str | None = None, bold: bool | None = None,
                     spacing: int | None = None, **ppr) -> None:
    styles = doc.styles
    try:
        style = styles[name]
    except KeyError:
        style = styles.add_style(name, WD_STYLE_TYPE.PARAGRAPH)
        style.element.set(qn("w:styleId"), _STYLE_IDS.get(name, name))
    if name != NORMAL:
        style.base_style = styles[base]
        style.quick_style = True
    el = style.element
    set_rpr(el.get_or_add_rPr(), font=font, size=size, color=color, bold=bold, spacing=spacing)
    set_ppr(el.get_or_add_pPr(), **ppr)


def _doc_defaults(doc: DocumentObject) -> None:
    styles_el = doc.styles.element
    defaults = styles_el.find(qn("w:docDefaults"))
    rpr = defaults.find(qn("w:rPrDefault")).find(qn("w:rPr"))
    set_rpr(rpr, font=FANGSONG, size=HAO3)
    ppr = defaults.find(qn("w:pPrDefault")).find(qn("w:pPr"))
    for child in list(ppr):
        ppr.remove(child)
    set_ppr(ppr, line_pt=LINE_PT, before_pt=0, after_pt=0, hanging_punctuation=True)


def install_styles(doc: DocumentObject) -> None:
    """Create (or reset) every 公文 style of this module in ``doc``."""
    _doc_defaults(doc)
    body_run = dict(font=FANGSONG, size=HAO3, color=BLACK, spacing=CHAR_SPACING_TWENTIETHS)
    _paragraph_style(doc, NORMAL, **body_run, align="both", line_pt=LINE_PT, before_pt=0, after_pt=0,
                     left=0, right=0, first_line=0, hanging_punctuation=True)
    indent2 = dict(first_line=2 * CHAR_TWIPS)
    _paragraph_style(doc, BODY, **indent2)
    _paragraph_style(doc, HEADING1, font=HEITI, keep_next=True, outline_level=0, **indent2)
    _paragraph_style(doc, HEADING2, font=KAITI, keep_next=True, outline_level=1, **indent2)
    _paragraph_style(doc, HEADING3, font=FANGSONG, keep_next=True, outline_level=2, **indent2)
    _paragraph_style(doc, TITLE, font=XIAOBIAOSONG, size=HAO2, spacing=0, align="center", keep_next=True,
                     line_pt=TITLE_LINE_PT, snap_to_grid=False)
    _paragraph_style(doc, ISSUER_MARK, font=XIAOBIAOSONG, color=RED, spacing=0, align="distribute",
                     snap_to_grid=False)
    _paragraph_style(doc, DOC_NUMBER, align="center", keep_next=True)
    _paragraph_style(doc, ADDRESSEE, align="both")
    _paragraph_style(doc, ATTACHMENT_LIST, align="left")
    _paragraph_style(doc, NOTE, **indent2)
    _paragraph_style(doc, SIGNATURE, align="right", right=4 * CHAR_TWIPS)
    _paragraph_style(doc, ATTACHMENT_LABEL, font=HEITI, align="left")
    _paragraph_style(doc, ATTACHMENT_TITLE, font=XIAOBIAOSONG, size=HAO2, spacing=0, align="center",
                     keep_next=True, line_pt=TITLE_LINE_PT, snap_to_grid=False)
    _paragraph_style(doc, IMPRINT, size=HAO4, spacing=0, align="left", left=HAO4 * 20, right=HAO4 * 20)
    _paragraph_style(doc, TABLE_TEXT, size=XIAO4, spacing=0, align="center", line_pt=XIAO4 * 1.25,
                     snap_to_grid=False)
    _paragraph_style(doc, TABLE_HEADER, base=TABLE_TEXT, font=HEITI)
    _paragraph_style(doc, PAGE_NUMBER, font=SONGTI, size=HAO4, spacing=0, line_pt=HAO4 * 1.2,
                     snap_to_grid=False)


# --- page setup --------------------------------------------------------------------------------------
def setup_section(section, *, landscape: bool = False) -> None:
    """A4 (portrait or landscape) with the 公文 margins, a line grid of 579 twips, and footers."""
    if landscape:
        section.orientation = WD_ORIENT.LANDSCAPE
        section.page_width, section.page_height = Mm(PAGE_H_MM), Mm(PAGE_W_MM)
        margins, footer = LANDSCAPE_MARGINS_MM, LANDSCAPE_FOOTER_DISTANCE_MM
    else:
        section.orientation = WD_ORIENT.PORTRAIT
        section.page_width, section.page_height = Mm(PAGE_W_MM), Mm(PAGE_H_MM)
        margins, footer = MARGINS_MM, FOOTER_DISTANCE_MM
    section.top_margin = Mm(margins["top"])
    section.bottom_margin = Mm(margins["bottom"])
    section.left_margin = Mm(margins["left"])
    section.right_margin = Mm(margins["right"])
    section.gutter = Mm(0)
    section.header_distance = Mm(15)
    section.footer_distance = Mm(footer)
    sect = section._sectPr
    grid = sect.find(qn("w:docGrid"))
    if grid is None:
        grid = OxmlElement("w:docGrid")
        sect.append(grid)
    for attr in list(grid.attrib):
        del grid.attrib[attr]
    grid.set(qn("w:type"), "lines")
    grid.set(qn("w:linePitch"), str(LINE_PITCH_TWIPS))


def type_area_mm(*, landscape: bool = False) -> tuple[float, float]:
    """Width and height of the 版心 in mm."""
    return (TYPE_H_MM, TYPE_W_MM) if landscape else (TYPE_W_MM, TYPE_H_MM)


def _page_field(paragraph: Paragraph) -> None:
    def run_with(child):
        r = OxmlElement("w:r")
        rpr = OxmlElement("w:rPr")
        set_rpr(rpr, font=SONGTI, size=HAO4)
        r.append(rpr)
        r.append(child)
        paragraph._p.append(r)

    def fld(kind):
        el = OxmlElement("w:fldChar")
        el.set(qn("w:fldCharType"), kind)
        return el

    def text(value):
        t = OxmlElement("w:t")
        t.set(qn("xml:space"), "preserve")
        t.text = value
        return t

    instr = OxmlElement("w:instrText")
    instr.set(qn("xml:space"), "preserve")
    instr.text = " PAGE "
    run_with(text("— "))
    run_with(fld("begin"))
    run_with(instr)
    run_with(fld("separate"))
    run_with(text("1"))
    run_with(fld("end"))
    run_with(text(" —"))


def add_page_numbers(section) -> None:
    """Odd footer "— N —" flush right and even footer flush left, each 1 character (4号) in."""
    for footer, align, indent in ((section.footer, "right", "right"), (section.even_page_footer, "left", "left")):
        footer.is_linked_to_previous = False
        p = footer.paragraphs[0]
        for r in list(p._p):
            if r.tag != qn("w:pPr"):
                p._p.remove(r)
        p.style = PAGE_NUMBER
        set_ppr(p._p.get_or_add_pPr(), align=align, **{indent: HAO4 * 20})
        _page_field(p)


def enable_odd_even_footers(doc: DocumentObject) -> None:
    doc.settings.odd_and_even_pages_header_footer = True


def new_document(*, landscape: bool = False) -> DocumentObject:
    """An empty 公文 document: page set-up, styles, zh-CN defaults and odd/even page numbers."""
    doc = Document()
    install_styles(doc)
    body = doc.element.body
    for p in list(body.iterchildren(qn("w:p"))):
        body.remove(p)
    section = doc.sections[0]
    setup_section(section, landscape=landscape)
    enable_odd_even_footers(doc)
    add_page_numbers(section)
    _set_theme_free(doc)
    return doc


def _set_theme_free(doc: DocumentObject) -> None:
    """Make East Asian text default to zh-CN in the settings too (themeFontLang)."""
    settings = doc.settings.element
    lang = settings.find(qn("w:themeFontLang"))
    if lang is None:
        lang = OxmlElement("w:themeFontLang")
        settings.append(lang)
    lang.set(qn("w:val"), "en-US")
    lang.set(qn("w:eastAsia"), LANG)


def add_unnumbered_tail(doc: DocumentObject, condition: str) -> Paragraph:
    """GB/T 9704 §7.5: a blank page before the 版记 page, and that 版记 page, carry no page number.

    Call it where the unnumbered tail may begin, inside a ``{%p if condition %}`` block. The numbered
    section then ends with a paragraph one twip high (returned), and what follows is a section starting
    on a new page whose footers are empty. When ``condition`` is false that paragraph is not rendered
    and the document's one section keeps its numbered footers: the last section's footer references
    are Jinja expressions choosing between the two sets.
    """
    from docx.enum.section import WD_SECTION

    section = doc.add_section(WD_SECTION.NEW_PAGE)
    body = doc.element.body
    end = body.findall(qn("w:p"))[-1]                 # holds the numbered section's properties now
    numbered = {ref.get(qn("w:type")): ref.get(qn("r:id"))
                for ref in end.find(qn("w:pPr")).find(qn("w:sectPr")).findall(qn("w:footerReference"))}
    for footer in (section.footer, section.even_page_footer):
        footer.is_linked_to_previous = False
    for ref in section._sectPr.findall(qn("w:footerReference")):
        kind = ref.get(qn("r:id")), numbered[ref.get(qn("w:type"))]
        ref.set(qn("r:id"), "{{ '%s' if %s else '%s' }}" % (kind[0], condition, kind[1]))
    paragraph = Paragraph(end, doc._body)
    set_ppr(end.get_or_add_pPr(), line_pt=0.05, snap_to_grid=False, keep_next=False)
    return paragraph


def add_section(doc: DocumentObject, *, landscape: bool = False):
    """Start a new page in a new section (e.g. a landscape attachment); numbering and footers continue."""
    from docx.enum.section import WD_SECTION
    section = doc.add_section(WD_SECTION.NEW_PAGE)
    setup_section(section, landscape=landscape)
    section.footer.is_linked_to_previous = True
    section.even_page_footer.is_linked_to_previous = True
    return section


# --- paragraphs and runs -----------------------------------------------------------------------------
def add_paragraph(container, text: str = "", style: str = BODY, *, align: str | None = None) -> Paragraph:
    """A paragraph of ``style`` in a document, cell, header or footer; ``text`` as one run."""
    p = container.add_paragraph(style=style)
    if align is not None:
        set_ppr(p._p.get_or_add_pPr(), align=align)
    if text:
        add_run(p, text)
    return p


def add_run(paragraph: Paragraph, text: str, *, font: str | None = None, size: float | None = None,
            color: str | None = None, bold: bool | None = None, spacing: int | None = None):
    """A run with explicit zh-CN language (and optionally its own font, size, colour)."""
    run = paragraph.add_run(text)
    set_rpr(run._r.get_or_add_rPr(), font=font, size=size, color=color, bold=bold, spacing=spacing)
    return run


def set_exact_spacing(paragraph: Paragraph, line_pt: float, *, snap_to_grid: bool | None = False) -> None:
    """Exact line height in pt (off the grid unless ``snap_to_grid``)."""
    set_ppr(paragraph._p.get_or_add_pPr(), line_pt=line_pt, snap_to_grid=snap_to_grid)


def page_break_before(paragraph: Paragraph, on: bool = True) -> None:
    ppr = paragraph._p.get_or_add_pPr()
    _child(ppr, "w:pageBreakBefore").set(qn("w:val"), "1" if on else "0")
    _order_ppr(ppr)


def set_paragraph_border(paragraph: Paragraph, side: str = "bottom", *, size: int = 8, color: str = BLACK,
                         space: int = 0, style: str = "single") -> None:
    """A border on one side of a paragraph: ``size`` in 1/8 pt (8 = 1 pt), ``space`` in pt.

    The border spans the paragraph's width, i.e. the type area when it has no indents.
    """
    ppr = paragraph._p.get_or_add_pPr()
    bdr = _child(ppr, "w:pBdr")
    edge = bdr.find(qn(f"w:{side}"))
    if edge is None:
        edge = OxmlElement(f"w:{side}")
        bdr.append(edge)
    edge.set(qn("w:val"), style)
    edge.set(qn("w:sz"), str(size))
    edge.set(qn("w:space"), str(space))
    edge.set(qn("w:color"), color)
    order = {qn(f"w:{s}"): i for i, s in enumerate(("top", "left", "bottom", "right", "between", "bar"))}
    for el in sorted(bdr, key=lambda e: order.get(e.tag, 9)):
        bdr.append(el)
    _order_ppr(ppr)


# --- tables ------------------------------------------------------------------------------------------
def add_table(container, widths_mm: list[float], rows: int = 1, *, borders: bool = True,
              align: str = "center"):
    """A fixed-layout table with column widths in mm, centred in the type area."""
    table = container.add_table(rows=rows, cols=len(widths_mm))
    table.alignment = {"center": WD_TABLE_ALIGNMENT.CENTER, "left": WD_TABLE_ALIGNMENT.LEFT}[align]
    table.autofit = False
    tbl_pr = table._tbl.tblPr
    layout = _child(tbl_pr, "w:tblLayout")
    layout.set(qn("w:type"), "fixed")
    width = _child(tbl_pr, "w:tblW")
    width.set(qn("w:w"), str(int(round(sum(widths_mm) / 25.4 * 1440))))
    width.set(qn("w:type"), "dxa")
    grid = table._tbl.tblGrid
    for col, w in zip(grid.findall(qn("w:gridCol")), widths_mm):
        col.set(qn("w:w"), str(int(round(w / 25.4 * 1440))))
    for row in table.rows:
        for cell, w in zip(row.cells, widths_mm):
            cell.width = Mm(w)
    if borders:
        set_table_borders(table)
    else:
        set_table_borders(table, style="nil")
    return table


def set_table_borders(table, *, size: int = 4, color: str = BLACK, style: str = "single") -> None:
    """All outer and inner borders of ``table`` (``style="nil"`` removes them); ``size`` in 1/8 pt."""
    tbl_pr = table._tbl.tblPr
    old = tbl_pr.find(qn("w:tblBorders"))
    if old is not None:
        tbl_pr.remove(old)
    borders = OxmlElement("w:tblBorders")
    for side in ("top", "left", "bottom", "right", "insideH", "insideV"):
        el = OxmlElement(f"w:{side}")
        el.set(qn("w:val"), style)
        if style != "nil":
            el.set(qn("w:sz"), str(size))
            el.set(qn("w:space"), "0")
            el.set(qn("w:color"), color)
        borders.append(el)
    # tblBorders goes after tblW/jc/tblInd and before tblLayout/tblCellMar/tblLook
    anchor = None
    for tag in ("w:tblLayout", "w:tblCellMar", "w:tblLook"):
        anchor = tbl_pr.find(qn(tag))
        if anchor is not None:
            break
    if anchor is not None:
        anchor.addprevious(borders)
    else:
        tbl_pr.append(borders)


def set_cell_vertical_alignment(cell, value: str = "center") -> None:
    tc_pr = cell._tc.get_or_add_tcPr()
    _child(tc_pr, "w:vAlign").set(qn("w:val"), value)


def set_cell_margins(table, *, left_mm: float = 1.0, right_mm: float = 1.0, top_mm: float = 0.5,
                     bottom_mm: float = 0.5) -> None:
    """Default cell margins of ``table`` in mm."""
    tbl_pr = table._tbl.tblPr
    mar = tbl_pr.find(qn("w:tblCellMar"))
    if mar is None:
        mar = OxmlElement("w:tblCellMar")
        look = tbl_pr.find(qn("w:tblLook"))
        if look is not None:
            look.addprevious(mar)
        else:
            tbl_pr.append(mar)
    for side, mm in (("top", top_mm), ("left", left_mm), ("bottom", bottom_mm), ("right", right_mm)):
        el = _child(mar, f"w:{side}")
        el.set(qn("w:w"), str(int(round(mm / 25.4 * 1440))))
        el.set(qn("w:type"), "dxa")


def set_cell_text(cell, text: str, style: str = TABLE_TEXT, *, align: str | None = None,
                  valign: str = "center") -> Paragraph:
    """Replace the cell's content by one paragraph of ``style`` holding ``text``."""
    paragraphs = cell.paragraphs
    p = paragraphs[0]
    for extra in paragraphs[1:]:
        extra._p.getparent().remove(extra._p)
    for child in list(p._p):
        if child.tag != qn("w:pPr"):
            p._p.remove(child)
    p.style = cell.part.document.styles[style]
    if align is not None:
        set_ppr(p._p.get_or_add_pPr(), align=align)
    if text:
        add_run(p, text)
    set_cell_vertical_alignment(cell, valign)
    return p


# --- saving ------------------------------------------------------------------------------------------
def add_tag(container, tag: str) -> Paragraph:
    """A paragraph holding only a docxtpl paragraph tag (``{%p … %}``); docxtpl removes it when rendering."""
    return add_paragraph(container, tag, NORMAL)


def add_tab_stop(paragraph: Paragraph, pos_twips: int, kind: str = "left") -> None:
    ppr = paragraph._p.get_or_add_pPr()
    tabs = ppr.find(qn("w:tabs"))
    if tabs is None:
        tabs = OxmlElement("w:tabs")
        ppr.append(tabs)
    tab = OxmlElement("w:tab")
    tab.set(qn("w:val"), kind)
    tab.set(qn("w:pos"), str(pos_twips))
    tabs.append(tab)
    set_ppr(ppr)  # schema order


def repeat_header_row(row) -> None:
    """Mark a table row as a header row, repeated at the top of every page the table runs onto."""
    tr_pr = row._tr.get_or_add_trPr()
    el = OxmlElement("w:tblHeader")
    el.set(qn("w:val"), "1")
    tr_pr.append(el)


def cant_split(row) -> None:
    """Keep a table row on one page."""
    row._tr.get_or_add_trPr().append(OxmlElement("w:cantSplit"))


def size_cell_paragraph(p: Paragraph, size: float, line_pt: float) -> None:
    """Set every run of a table paragraph to ``size`` pt with an exact line height of ``line_pt``."""
    set_ppr(p._p.get_or_add_pPr(), line_pt=line_pt)
    for run in p.runs:
        set_rpr(run._r.get_or_add_rPr(), size=size)


def table_separator(doc) -> Paragraph:
    """A 1 pt empty paragraph after a table: two tables with nothing between them join into one."""
    p = add_paragraph(doc, "", NORMAL)
    set_ppr(p._p.get_or_add_pPr(), line_pt=1, before_pt=0, after_pt=0, snap_to_grid=False)
    rpr = OxmlElement("w:rPr")
    size = OxmlElement("w:sz")
    size.set(qn("w:val"), "2")
    rpr.append(size)
    p._p.get_or_add_pPr().append(rpr)
    return p


def looped_table(doc, widths, headers: list[str], cells: list[tuple[str, str]], *, loop: str,
                 group: tuple[str, str] | None = None, cell_pt: float = 10.5, line_pt: float = 13.5):
    """A docxtpl table: header row (repeated on every page), optionally a group row spanning every
    column, then the looped data row; cells in ``cell_pt`` with exact ``line_pt`` lines.

    ``cells`` are (placeholder, alignment) per column; ``loop`` is the ``for`` of the data rows and
    ``group`` the (outer ``for``, merged text) of a group row.
    """
    rows = 4 + (3 if group else 0)
    table = add_table(doc, widths, rows=rows)
    set_cell_margins(table, left_mm=1.5, right_mm=1.5, top_mm=1.0, bottom_mm=1.0)
    header = table.rows[0]
    repeat_header_row(header)
    for cell, text in zip(header.cells, headers):
        size_cell_paragraph(set_cell_text(cell, text, TABLE_HEADER), cell_pt, line_pt)
    i = 1

    def tag_row(text: str):
        nonlocal i
        row = table.rows[i]
        set_cell_text(row.cells[0], text, NORMAL)
        i += 1
        return row

    if group:
        tag_row(f"{{%tr for {group[0]} %}}")
        row = table.rows[i]
        merged = row.cells[0].merge(row.cells[-1])
        p = set_cell_text(merged, group[1], TABLE_HEADER, align="left")
        set_ppr(p._p.get_or_add_pPr(), keep_next=True)     # a group's name never ends a page
        cant_split(row)
        i += 1
    tag_row(f"{{%tr for {loop} %}}")
    row = table.rows[i]
    cant_split(row)
    for cell, (text, align) in zip(row.cells, cells):
        size_cell_paragraph(set_cell_text(cell, text, TABLE_TEXT, align=align), cell_pt, line_pt)
    i += 1
    tag_row("{%tr endfor %}")
    if group:
        tag_row("{%tr endfor %}")
    return table


def add_attachment_list(doc, items: str, title: str) -> None:
    """附件说明 (GB/T 9704 7.3.6) as docxtpl paragraphs looping over ``items``: "附件：1.XXX" indented
    2 characters, "2." under "1.", wrapped names aligned under the name; ``title`` is the Jinja
    expression of one item's title (e.g. ``a.title``)."""
    c = CHAR_TWIPS
    name_at = 6 * c            # 2 indent + 附件： (3) + "1." (1)
    add_tag(doc, f"{{%p for a in {items} %}}")
    add_tag(doc, "{%p if loop.first %}")
    for lead, hanging in (("附件：{{ loop.index }}.", 4 * c), (None, 1 * c)):
        if lead is None:
            add_tag(doc, "{%p else %}")
            lead = "{{ loop.index }}."
        p = add_paragraph(doc, "", ATTACHMENT_LIST)
        add_run(p, lead)
        add_run(p, "").add_tab()
        add_run(p, f"{{{{ {title} }}}}")
        set_ppr(p._p.get_or_add_pPr(), left=name_at, hanging=hanging)
        add_tab_stop(p, name_at)
    add_tag(doc, "{%p endif %}")
    add_tag(doc, "{%p endfor %}")


def save(doc: DocumentObject, path: Path) -> Path:
    """Save atomically and deterministically (fixed timestamps: rebuilding a template changes no bytes)."""
    from ..ooxml import FIXED_TIME, publish_deterministic

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    doc.core_properties.created = FIXED_TIME
    doc.core_properties.modified = FIXED_TIME
    doc.core_properties.last_modified_by = "kjhdz-docs"
    raw = path.with_name(f".{path.name}.raw")
    doc.save(str(raw))
    return publish_deterministic(raw, path)


__all__ = [name for name in dir() if not name.startswith("_") and name.isupper()] + [
    "add_page_numbers", "add_paragraph", "add_unnumbered_tail", "add_run", "add_section", "add_table", "enable_odd_even_footers",
    "install_styles", "new_document", "page_break_before", "save", "add_tag", "add_tab_stop",
    "add_attachment_list", "repeat_header_row", "cant_split", "looped_table", "size_cell_paragraph",
    "table_separator", "set_cell_margins", "set_cell_text",
    "set_cell_vertical_alignment", "set_exact_spacing", "set_paragraph_border", "set_ppr", "set_rpr",
    "set_table_borders", "setup_section", "type_area_mm",
]

# silence unused-import warnings for names kept for callers
_ = (Pt, RGBColor, Twips)

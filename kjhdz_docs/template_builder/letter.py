"""Builds ``doc_templates/letter.docx``: the season's letters in the 信函格式 of GB/T 9704-2012 §10.1.

First page: the ministry's mark (发文机关标志) in red 小标宋, its top edge 30 mm from the paper's top, a red
double line (thick above thin) 4 mm below it and another (thin above thick) 20 mm above the paper's
bottom edge, both 170 mm long and centred; the first page carries no page number (later pages do:
odd right, even left, as every 公文). The 发文字号, when there is one, is flush right under the first
double line. Both double lines live in the first page's header and footer, so a letter that runs onto
a second page starts that page at the ordinary 天头 of 37 mm.

Placeholders the template declares (filled by :mod:`kjhdz_docs.letters.render`):

- ``mark`` (the organ's name in the letterhead), ``doc_number`` (empty: none), ``title_lines``,
  ``addressee`` (ends with "："), ``before`` and ``after`` (lists of body paragraphs);
- ``problems`` (退回修改通知): ``{n, sheet, cell, value, rule, todo}``; ``flags`` (核实函):
  ``{n, indicator, cell, value, previous, peer_median, note}``; ``receipt`` (回执, or empty):
  ``{form, file, received, sender, size, sha256}`` — each table is left out when empty;
- ``contact`` (lines "label：value"), ``signature`` (the organ), ``date`` (2024年4月12日) and
  ``signature_right`` (twips: the name's right indent, so that the date, 2 characters in from the right,
  starts 2 characters right of the name's first character, GB/T 9704 §7.3.5.2).
"""

from __future__ import annotations

from pathlib import Path

from docx.oxml.ns import qn

from . import gongwen as g

MARK_PT = 36                   # 小初 is 36 pt; the mark holds 5–8 characters
MARK_LINE_PT = 44
MARK_CHAR_SPACING = 120        # 1/20 pt: 6 pt between the mark's characters
HEADER_DISTANCE_MM = 29        # puts the mark's ink top ≈ 30 mm from the paper's top
FOOTER_DISTANCE_MM = 19        # puts the lower double line 20 mm above the paper's bottom
LINE_MM = 170                  # both double lines
DOUBLE_SIZE = 18               # 1/8 pt: the width LibreOffice gives the thick+thin pair
MARK_LINE_SPACE_PT = 5         # pt between the mark's baseline area and the double line (≈ 4 mm below the ink)
OVERHANG_TWIPS = round((LINE_MM - g.TYPE_W_MM) / 2 / 25.4 * 1440)   # 7 mm each side beyond the 版心
CELL_PT = 10.5
CELL_LINE_PT = 13.5
PROBLEM_WIDTHS = [11, 18, 15, 20, 47, 45]                 # 序号 工作表 单元格 填写内容 问题 修改要求
# 序号 指标 单元格 今年 上年 同类中位数 说明, 156 mm (the 版心). Inside 1.5 mm cell margins at 10.5 pt (3.7 mm a Han
# character, 1.85 mm a digit): 序号 and 单元格 hold their header on one line, each figure column 11 digits
# (up to 99,999,999,999) or the header 同类中位数; the indicator's name wraps at 7 characters a line.
FLAG_WIDTHS = [11, 31, 15, 24, 24, 24, 27]
RECEIPT_WIDTHS = [30, 126]                               # 项目 内容


def _p(container, text: str = "", style: str = g.BODY, **kw):
    return g.add_paragraph(container, text, style, **kw)


_tag = g.add_tag


def _first_page_header_footer(doc) -> None:
    section = doc.sections[0]
    section.different_first_page_header_footer = True
    section.header_distance = g.Mm(HEADER_DISTANCE_MM)
    header = section.first_page_header
    header.is_linked_to_previous = False
    mark = header.paragraphs[0]
    mark.style = doc.styles[g.ISSUER_MARK]
    g.add_run(mark, "{{ mark }}", size=MARK_PT, spacing=MARK_CHAR_SPACING)
    g.set_ppr(mark._p.get_or_add_pPr(), align="center", line_pt=MARK_LINE_PT, snap_to_grid=False,
              left=-OVERHANG_TWIPS, right=-OVERHANG_TWIPS, first_line=0)
    g.set_paragraph_border(mark, "bottom", size=DOUBLE_SIZE, color=g.RED, space=MARK_LINE_SPACE_PT,
                           style="thickThinSmallGap")
    footer = section.first_page_footer
    footer.is_linked_to_previous = False
    line = footer.paragraphs[0]
    line.style = doc.styles[g.NORMAL]
    g.set_ppr(line._p.get_or_add_pPr(), line_pt=2, snap_to_grid=False, left=-OVERHANG_TWIPS,
              right=-OVERHANG_TWIPS, first_line=0)
    g.set_paragraph_border(line, "top", size=DOUBLE_SIZE, color=g.RED, space=0, style="thickThinSmallGap")
    section.footer_distance = g.Mm(FOOTER_DISTANCE_MM)


def _head(doc) -> None:
    _tag(doc, "{%p if doc_number %}")
    _p(doc, "{{ doc_number }}", g.NORMAL, align="right")
    _tag(doc, "{%p endif %}")
    _p(doc, "", g.NORMAL)
    _tag(doc, "{%p for line in title_lines %}")
    _p(doc, "{{ line }}", g.TITLE)
    _tag(doc, "{%p endfor %}")
    _p(doc, "", g.NORMAL)
    _p(doc, "{{ addressee }}", g.ADDRESSEE)


def _paragraphs(doc, var: str) -> None:
    _tag(doc, "{%p for t in " + var + " %}")
    _p(doc, "{{ t }}", g.BODY)
    _tag(doc, "{%p endfor %}")


def _tables(doc) -> None:
    _tag(doc, "{%p if problems %}")
    g.looped_table(doc, PROBLEM_WIDTHS, ["序号", "工作表", "单元格", "填写内容", "问题", "修改要求"],
                   [("{{ x.n }}", "center"), ("{{ x.sheet }}", "left"), ("{{ x.cell }}", "center"),
                    ("{{ x.value }}", "left"), ("{{ x.rule }}", "left"), ("{{ x.todo }}", "left")],
                   loop="x in problems", cell_pt=CELL_PT, line_pt=CELL_LINE_PT)
    g.table_separator(doc)
    _tag(doc, "{%p endif %}")
    _tag(doc, "{%p if flags %}")
    g.looped_table(doc, FLAG_WIDTHS, ["序号", "指标", "单元格", "今年", "上年", "同类中位数", "说明"],
                   [("{{ f.n }}", "center"), ("{{ f.indicator }}", "left"), ("{{ f.cell }}", "center"),
                    ("{{ f.value }}", "right"), ("{{ f.previous }}", "right"), ("{{ f.peer_median }}", "right"),
                    ("{{ f.note }}", "left")],
                   loop="f in flags", cell_pt=CELL_PT, line_pt=CELL_LINE_PT)
    g.table_separator(doc)
    _tag(doc, "{%p endif %}")
    _tag(doc, "{%p if receipt %}")
    g.looped_table(doc, RECEIPT_WIDTHS, ["项目", "内容"], [("{{ r.label }}", "center"), ("{{ r.value }}", "left")],
                   loop="r in receipt", cell_pt=CELL_PT, line_pt=CELL_LINE_PT)
    g.table_separator(doc)
    _tag(doc, "{%p endif %}")


def _closing(doc) -> None:
    """The closing paragraphs, the contact, the signature and the date. The last closing paragraph (特此函告。)
    is kept with the contact, the signature and the date, so a page never holds the signature alone; the
    paragraphs before it flow (a long table does not push the whole closing onto the next page)."""
    _tag(doc, "{%p for t in after %}")
    _tag(doc, "{%p if loop.last %}")
    g.set_ppr(_p(doc, "{{ t }}", g.BODY)._p.get_or_add_pPr(), keep_next=True)
    _tag(doc, "{%p else %}")
    _p(doc, "{{ t }}", g.BODY)
    _tag(doc, "{%p endif %}")
    _tag(doc, "{%p endfor %}")
    _tag(doc, "{%p for c in contact %}")
    g.set_ppr(_p(doc, "{{ c }}", g.BODY, align="left")._p.get_or_add_pPr(), keep_next=True)
    _tag(doc, "{%p endfor %}")
    g.set_ppr(_p(doc, "", g.NORMAL)._p.get_or_add_pPr(), keep_next=True)
    name = _p(doc, "{{ signature }}", g.SIGNATURE)
    g.set_ppr(name._p.get_or_add_pPr(), keep_next=True, right=0)
    name._p.get_or_add_pPr().find(qn("w:ind")).set(qn("w:right"), "{{ signature_right }}")
    date = _p(doc, "{{ date }}", g.SIGNATURE)
    g.set_ppr(date._p.get_or_add_pPr(), right=2 * g.CHAR_TWIPS)


def build(path: Path) -> Path:
    doc = g.new_document()
    _first_page_header_footer(doc)
    _head(doc)
    _paragraphs(doc, "before")
    _tables(doc)
    _closing(doc)
    return g.save(doc, path)

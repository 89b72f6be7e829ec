"""Builds ``doc_templates/notice.docx``: the joint-issuance 通知 to GB/T 9704-2012 (docxtpl).

Placeholders the template declares (filled by :mod:`kjhdz_docs.notice`):

- ``mark``: the 发文机关标志 (``single``; ``text`` for one organ; ``names`` for several; run sizes in
  half-points, line heights and cell widths in twips — computed by :func:`kjhdz_docs.notice.masthead`);
- ``doc_number``, ``title_lines``, ``addressees``, ``body`` (list of ``{kind: p|h1|h2|item, text}``),
  ``contact`` (``{label, value}``, kept together on one page), ``note`` (附注);
- ``attachments``: in the data's order, each ``{label (附件N, or 附件 when alone), title, title_lines,
  form, unit_line, notes}``; the 附件说明 lists them, then each gets its page, whose table is built here
  from :mod:`kjhdz_docs.forms` (``form`` recommendations → 推荐表, statistics → 统计表);
- ``imprint`` (``printer``, ``date``, ``copies_to``) and the 版记 placement: ``imprint_spacer``
  (twips of an empty exact-height paragraph that pushes the 版记 to the foot of the page) and
  ``imprint_breaks`` (0, 1 or 2 page breaks before it: 2 leaves a blank page so the 版记 page is even;
  then the blank page and the 版记 page are a section of their own without page numbers, §7.5).
"""

from __future__ import annotations

from pathlib import Path

from docx.oxml import OxmlElement
from docx.oxml.ns import qn

from .. import forms
from . import gongwen as g

# 发文机关标志: its sizes and widths are computed per notice (kjhdz_docs.notice.masthead) and filled
# into the run sizes, line heights and cell widths below.
# the red separator line, 4 mm below the 发文字号's ink
RED_LINE_SIZE = 12             # 1/8 pt → 1.5 pt
RED_LINE_SPACE_PT = 6
# 附件1 推荐表 and 附件2 统计表 column widths (mm, total 156)
REC_WIDTHS = [13, 30, 40, 29, 19, 25]
STAT_WIDTHS = [46, 80, 30]
STAT_ROW_PT = 22
REC_ROW_MM = 22
IMPRINT_LINE_PT = g.LINE_PT

PT_MM = 25.4 / 72


def _p(container, text: str = "", style: str = g.BODY, **kw):
    return g.add_paragraph(container, text, style, **kw)


_tag = g.add_tag


def _empty(container, n: int = 1, style: str = g.NORMAL):
    for _ in range(n):
        g.add_paragraph(container, "", style)


def _jinja_attr(el, attr: str, expr: str) -> None:
    el.set(qn(attr), "{{ %s }}" % expr)


def _mark_run(paragraph, text: str, size_expr: str) -> None:
    run = g.add_run(paragraph, text, size=30)
    rpr = run._r.find(qn("w:rPr"))
    for tag in ("w:sz", "w:szCs"):
        _jinja_attr(rpr.find(qn(tag)), "w:val", size_expr)


def _mark_line(paragraph, line_expr: str) -> None:
    g.set_exact_spacing(paragraph, 40)
    _jinja_attr(paragraph._p.find(qn("w:pPr")).find(qn("w:spacing")), "w:line", line_expr)


def _issuer_mark(doc) -> None:
    """发文机关标志 (GB/T 9704 §7.2.4): one organ → "name文件" on one line, centred; several → the names
    stacked (lead organ first), each on one line and spread to the longest's width, "文件" to their right,
    vertically centred on the block. Sizes and widths come from ``mark`` (kjhdz_docs.notice.masthead)."""
    spacer = _p(doc, "", g.NORMAL)
    _mark_line(spacer, "mark.spacer_twips")
    _tag(doc, "{%p if mark.single %}")
    single = _p(doc, "", g.ISSUER_MARK)
    g.set_ppr(single._p.get_or_add_pPr(), align="center")
    _mark_run(single, "{{ mark.text }}", "mark.name_half_points")
    _mark_line(single, "mark.name_line_twips")
    _tag(doc, "{%p else %}")
    table = g.add_table(doc, [100, 50], borders=False)
    g.set_cell_margins(table, left_mm=0, right_mm=0, top_mm=0, bottom_mm=0)
    tbl = table._tbl
    _jinja_attr(tbl.tblPr.find(qn("w:tblW")), "w:w", "mark.names_twips + mark.word_twips")
    widths = ("mark.names_twips", "mark.word_twips")
    for col, expr in zip(tbl.tblGrid.findall(qn("w:gridCol")), widths):
        _jinja_attr(col, "w:w", expr)
    left, right = table.rows[0].cells
    for cell, expr in zip((left, right), widths):
        _jinja_attr(cell._tc.get_or_add_tcPr().find(qn("w:tcW")), "w:w", expr)
    first = left.paragraphs[0]
    first._p.getparent().remove(first._p)
    _tag(left, "{%p for name in mark.names %}")
    name = g.add_paragraph(left, "", g.ISSUER_MARK)
    _mark_run(name, "{{ name }}", "mark.name_half_points")
    _mark_line(name, "mark.name_line_twips")
    _tag(left, "{%p endfor %}")
    word = g.set_cell_text(right, "", g.ISSUER_MARK, align="right")
    _mark_run(word, "文件", "mark.word_half_points")
    _mark_line(word, "mark.word_line_twips")
    g.set_cell_vertical_alignment(left, "center")
    _tag(doc, "{%p endif %}")


def _doc_number(doc) -> None:
    _empty(doc, 2)
    number = _p(doc, "{{ doc_number }}", g.DOC_NUMBER)
    g.set_paragraph_border(number, "bottom", size=RED_LINE_SIZE, color=g.RED, space=RED_LINE_SPACE_PT)


def _title_and_addressees(doc) -> None:
    _empty(doc, 2)
    _tag(doc, "{%p for line in title_lines %}")
    _p(doc, "{{ line }}", g.TITLE)
    _tag(doc, "{%p endfor %}")
    _empty(doc, 1)
    _p(doc, "{{ addressees }}", g.ADDRESSEE)


def _body(doc) -> None:
    _tag(doc, "{%p for b in body %}")
    _tag(doc, '{%p if b.kind == "h1" %}')
    _p(doc, "{{ b.text }}", g.HEADING1)
    _tag(doc, '{%p elif b.kind == "h2" %}')
    _p(doc, "{{ b.text }}", g.HEADING2)
    _tag(doc, "{%p else %}")
    _p(doc, "{{ b.text }}", g.BODY)
    _tag(doc, "{%p endif %}")
    _tag(doc, "{%p endfor %}")
    _empty(doc, 1)
    # the contact block stays on one page: every line but the last keeps with the next
    _tag(doc, "{%p for c in contact %}")
    _tag(doc, "{%p if not loop.last %}")
    kept = _p(doc, "{{ c.label }}：{{ c.value }}", g.BODY)
    g.set_ppr(kept._p.get_or_add_pPr(), keep_next=True)
    _tag(doc, "{%p else %}")
    _p(doc, "{{ c.label }}：{{ c.value }}", g.BODY)
    _tag(doc, "{%p endif %}")
    _tag(doc, "{%p endfor %}")


def _attachment_list(doc) -> None:
    """附件说明: "附件：1.XXX" indented 2 characters; "2." under "1."; wrapped names under the name."""
    _empty(doc, 1)
    _tag(doc, "{%p if attachments|length == 1 %}")
    only = _p(doc, "", g.ATTACHMENT_LIST)
    g.add_run(only, "附件：")
    g.add_run(only, "{{ attachments[0].title }}")
    c = g.CHAR_TWIPS
    g.set_ppr(only._p.get_or_add_pPr(), left=5 * c, hanging=3 * c)    # a wrapped name under the name
    _tag(doc, "{%p else %}")
    g.add_attachment_list(doc, "attachments", "a.title")
    _tag(doc, "{%p endif %}")
    _empty(doc, 1)
    _p(doc, "{{ note }}", g.NOTE)


def _attachment_head(doc, var: str) -> None:
    label = _p(doc, "{{ %s.label }}" % var, g.ATTACHMENT_LABEL)
    g.page_break_before(label)
    _empty(doc, 1)
    _tag(doc, "{%p for line in " + var + ".title_lines %}")
    _p(doc, "{{ line }}", g.ATTACHMENT_TITLE)
    _tag(doc, "{%p endfor %}")
    _empty(doc, 1)
    _p(doc, "{{ %s.unit_line }}" % var, g.NORMAL)


def _notes(doc, var: str) -> None:
    """说明：1. … / 2. … in 4号, "2." under "1."."""
    size = g.HAO4
    c = size * 20
    _tag(doc, "{%p for n in " + var + ".notes %}")
    _tag(doc, "{%p if loop.first %}")
    first = _p(doc, "", g.NORMAL)
    g.add_run(first, "说明：{{ loop.index }}.{{ n }}", size=size, spacing=0)
    g.set_ppr(first._p.get_or_add_pPr(), left=3 * c, hanging=3 * c, line_pt=size * 1.6, snap_to_grid=False)
    _tag(doc, "{%p else %}")
    other = _p(doc, "", g.NORMAL)
    g.add_run(other, "{{ loop.index }}.{{ n }}", size=size, spacing=0)
    g.set_ppr(other._p.get_or_add_pPr(), left=3 * c, first_line=0, line_pt=size * 1.6, snap_to_grid=False)
    _tag(doc, "{%p endif %}")
    _tag(doc, "{%p endfor %}")


def _row_height(row, mm: float) -> None:
    tr_pr = row._tr.get_or_add_trPr()
    h = OxmlElement("w:trHeight")
    h.set(qn("w:val"), str(int(round(mm / 25.4 * 1440))))
    h.set(qn("w:hRule"), "atLeast")
    tr_pr.append(h)


def _recommendation_page(doc) -> None:
    _attachment_head(doc, "att")
    cols = forms.RECOMMENDATION_COLUMNS
    table = g.add_table(doc, REC_WIDTHS, rows=1 + forms.MAX_ACTIVITIES)
    g.set_cell_margins(table, left_mm=1, right_mm=1, top_mm=0.5, bottom_mm=0.5)
    for cell, col in zip(table.rows[0].cells, cols):
        g.set_cell_text(cell, col.label, g.TABLE_HEADER)
    _row_height(table.rows[0], 12)
    for n, row in enumerate(table.rows[1:], 1):
        _row_height(row, REC_ROW_MM)
        for cell, col in zip(row.cells, cols):
            text = str(n) if col.id == "seq" else (col.hint if n == 1 else "")
            g.set_cell_text(cell, text, g.TABLE_TEXT)
    _empty(doc, 1, g.NORMAL)
    _notes(doc, "att")


def _statistics_page(doc) -> None:
    _attachment_head(doc, "att")
    rows = forms.INDICATORS
    table = g.add_table(doc, STAT_WIDTHS, rows=len(rows))
    g.set_cell_margins(table, left_mm=1.5, right_mm=1.5, top_mm=0.5, bottom_mm=0.5)
    group_start: dict[str, int] = {}
    for i, (row, ind) in enumerate(zip(table.rows, rows)):
        _row_height(row, STAT_ROW_PT * 25.4 / 72)
        if ind.group is None:
            merged = row.cells[0].merge(row.cells[1])
            g.set_cell_text(merged, ind.label, g.TABLE_TEXT)
        else:
            g.set_cell_text(row.cells[1], ind.label, g.TABLE_TEXT)
            group_start.setdefault(ind.group, i)
        g.set_cell_text(row.cells[-1], "", g.TABLE_TEXT)
    for group, start in group_start.items():
        end = max(i for i, ind in enumerate(rows) if ind.group == group)
        merged = table.cell(start, 0).merge(table.cell(end, 0))
        g.set_cell_text(merged, group, g.TABLE_TEXT)
    _notes(doc, "att")


def _attachment_pages(doc) -> None:
    """The attachments in the data's order, each on its own page (附件N, or 附件 when it is the only one)."""
    _tag(doc, "{%p for att in attachments %}")
    _tag(doc, '{%p if att.form == "recommendations" %}')
    _recommendation_page(doc)
    _tag(doc, "{%p else %}")
    _statistics_page(doc)
    _tag(doc, "{%p endif %}")
    _tag(doc, "{%p endfor %}")


def _imprint(doc) -> None:
    """版记 at the foot of the last page; the spacer's height and the page breaks are placeholders.

    The rules span the whole type area (156 mm), so the paragraphs have no indents: the organ and the
    date are placed 1 character in by tab stops.
    """
    _tag(doc, "{%p if imprint_breaks >= 2 %}")
    # GB/T 9704 §7.5: the blank page and the 版记 page after it carry no page number
    g.add_unnumbered_tail(doc, "imprint_breaks >= 2")
    _p(doc, "", g.NORMAL)                  # the blank page (its section starts on a new page)
    _tag(doc, "{%p endif %}")
    spacer = _p(doc, "", g.NORMAL)
    ppr = spacer._p.get_or_add_pPr()
    g.set_ppr(ppr, keep_next=True, snap_to_grid=False, line_pt=1)
    ppr.find(qn("w:spacing")).set(qn("w:line"), "{{ imprint_spacer }}")
    brk = OxmlElement("w:pageBreakBefore")
    brk.set(qn("w:val"), "{{ 1 if imprint_breaks else 0 }}")
    ppr.append(brk)
    g.set_ppr(ppr)
    one = g.HAO4 * 20
    right_at = int(g.TYPE_W_MM / 25.4 * 1440) - one

    def imprint_paragraph():
        p = _p(doc, "", g.IMPRINT)
        g.set_ppr(p._p.get_or_add_pPr(), keep_next=True, snap_to_grid=False, line_pt=IMPRINT_LINE_PT,
                  left=0, right=0, first_line=0)
        g.add_tab_stop(p, one, "left")
        return p

    def printer_line(top: bool):
        line = imprint_paragraph()
        g.add_run(line, "").add_tab()
        g.add_run(line, "{{ imprint.printer }}")
        g.add_run(line, "").add_tab()
        g.add_run(line, "{{ imprint.date }}印发")
        g.add_tab_stop(line, right_at, "right")
        if top:
            g.set_paragraph_border(line, "top", size=8)
        g.set_paragraph_border(line, "bottom", size=8)
        return line

    _tag(doc, "{%p if imprint.copies_to %}")
    # the first rule on a paragraph of its own, so that the 抄送 paragraph can be indented (a border
    # spans only its paragraph's indents): "抄送：" 1 character in, wrapped lines after the colon (§7.4.2)
    rule = imprint_paragraph()
    g.set_ppr(rule._p.get_or_add_pPr(), line_pt=1)
    g.set_paragraph_border(rule, "top", size=8)
    copies = _p(doc, "", g.IMPRINT)
    g.set_ppr(copies._p.get_or_add_pPr(), keep_next=True, keep_lines=True, snap_to_grid=False,
              line_pt=IMPRINT_LINE_PT, left=4 * one, hanging=3 * one, right=one)
    g.add_run(copies, "抄送：{{ imprint.copies_to }}")
    line = printer_line(top=False)
    g.set_paragraph_border(line, "top", size=6)
    _tag(doc, "{%p else %}")
    printer_line(top=True)
    _tag(doc, "{%p endif %}")


def build(path: Path) -> Path:
    doc = g.new_document()
    _issuer_mark(doc)
    _doc_number(doc)
    _title_and_addressees(doc)
    _body(doc)
    _attachment_list(doc)
    _attachment_pages(doc)
    _imprint(doc)
    return g.save(doc, path)

"""Builds ``doc_templates/summary.docx``: the national 开展情况总结报告 (docxtpl, GB/T 9704 body conventions).

Headings are the template's (staff may reword them in Word/WPS); every figure and sentence built
from the data is a placeholder filled by :mod:`kjhdz_docs.summary`:

- ``title``, ``data_note`` (the line under the title: where the figures come from);
- ``overview``, ``funding_text``, ``people_text``, ``kinds_text``, ``yoy_text``, ``intake_text``: lists of
  paragraphs; ``missing_text`` (one paragraph, empty when every unit reported);
- ``chart_funding``, ``chart_participation``, ``chart_offline_online``, ``chart_activities``: images
  (InlineImage), with ``figures`` giving their captions (``figures.funding`` …);
- ``kinds``: rows ``{label, reported, activities, funding, public}`` and ``kinds_total`` (same keys);
- ``nat``: the 附件1 national table, ``nat.value[id]`` and ``nat.change[id]`` as text per indicator id,
  ``nat.label`` (the column heading of the values, e.g. "2024年"), ``nat.change_label``;
- ``unit_tables`` (附件2, landscape): ``{rows, last}``, the per-unit table as consecutive tables of at most
  50 rows (one long table makes LibreOffice's layout superlinear), each with its header row; a row is
  ``{seq, unit, activities, funding, staff, offline, online, outlets, reports, venues, institutes,
  universities}``; ``unit_total`` (same keys) is the 合计 row of the ``last`` table;
- ``quality`` (附件3): ``{seq, file, unit, status, reasons}``; ``quality_note`` when the list is empty;
  ``missing_rows``: ``{seq, unit, group}``.
"""

from __future__ import annotations

from pathlib import Path

from docx.oxml import OxmlElement
from docx.oxml.ns import qn

from .. import forms
from ..fonts import HEITI, KAITI
from . import gongwen as g

CHART_WIDTH_MM = 150
NAT_WIDTHS = [34, 68, 28, 26]                         # 156 mm
KIND_WIDTHS = [54, 22, 24, 28, 28]                   # 156 mm
UNIT_WIDTHS = [8, 34, 18, 23, 18, 21, 21, 16, 18, 16, 16, 16]   # 225 mm (landscape type area)
QUALITY_WIDTHS = [12, 42, 24, 20, 58]                # 156 mm
MISSING_WIDTHS = [16, 80, 60]                        # 156 mm
UNIT_PT = 9                                          # the wide per-unit table
NAT_ROW_MM = 7.6

UNIT_COLUMNS = (("seq", "序号"), ("unit", "地方/部门"), ("activities", "活动次数（次）"),
                ("funding", "经费投入（万元）"), ("staff", "工作人员（人次）"), ("offline", "线下参与（人次）"),
                ("online", "线上参与（人次）"), ("outlets", "参与媒体（家）"), ("reports", "宣传报道（篇）"),
                ("venues", "科普场馆（个）"), ("institutes", "科研机构（个）"), ("universities", "大学（所）"))
KIND_COLUMNS = (("label", "类别"), ("reported", "报送/应报"), ("activities", "活动次数（次）"),
                ("funding", "经费投入（万元）"), ("public", "群众参与（人次）"))
QUALITY_COLUMNS = (("seq", "序号"), ("file", "文件"), ("unit", "单位"), ("status", "处理结果"),
                   ("reasons", "原因及处理建议"))
MISSING_COLUMNS = (("seq", "序号"), ("unit", "地方/部门"), ("group", "类别"))


def _p(container, text: str = "", style: str = g.BODY, **kw):
    return g.add_paragraph(container, text, style, **kw)


_tag = g.add_tag


def _paragraphs(doc, var: str) -> None:
    _tag(doc, "{%p for t in " + var + " %}")
    _p(doc, "{{ t }}", g.BODY)
    _tag(doc, "{%p endfor %}")


def _figure(doc, image: str, caption: str) -> None:
    """An inline chart centred on its own single-spaced line (an exact line height would clip it)."""
    pic = _p(doc, "{{ %s }}" % image, g.NORMAL, align="center")
    g.set_ppr(pic._p.get_or_add_pPr(), line_pt=12, line_rule="auto", snap_to_grid=False, keep_next=True,
              before_pt=6)
    cap = _p(doc, "", g.NORMAL, align="center")
    g.add_run(cap, "{{ %s }}" % caption, font=KAITI, size=g.HAO4, spacing=0)


def _row_height(row, mm: float) -> None:
    tr_pr = row._tr.get_or_add_trPr()
    h = OxmlElement("w:trHeight")
    h.set(qn("w:val"), str(int(round(mm / 25.4 * 1440))))
    h.set(qn("w:hRule"), "atLeast")
    tr_pr.append(h)


_repeat_header = g.repeat_header_row


def _cant_split(row) -> None:
    tr_pr = row._tr.get_or_add_trPr()
    el = OxmlElement("w:cantSplit")
    el.set(qn("w:val"), "1")
    tr_pr.insert(0, el)


def _cell(cell, text: str, style: str = g.TABLE_TEXT, *, align: str | None = None, size: float | None = None,
          font: str | None = None):
    p = g.set_cell_text(cell, "", style, align=align)
    if text:
        g.add_run(p, text, size=size, font=font)
    if size is not None:
        g.set_ppr(p._p.get_or_add_pPr(), line_pt=size * 1.2, snap_to_grid=False)
    return p


def _loop_table(doc, widths, columns, var: str, total: str | None = None, *, size: float | None = None,
                numeric_from: int = 2, header_mm: float = 10, row_mm: float = 6.5, left: tuple[int, ...] = (),
                total_if: str | None = None):
    """Header row, one ``{%tr for r in var %}`` row, optionally a 合计 row from ``total``.

    ``total_if`` (a condition) prints the 合计 row only where it holds (the last of several tables).
    """
    n_rows = 4 + (1 if total else 0) + (2 if total and total_if else 0)
    table = g.add_table(doc, widths, rows=n_rows)
    g.set_cell_margins(table, left_mm=0.8, right_mm=0.8, top_mm=0.4, bottom_mm=0.4)
    header = table.rows[0]
    _repeat_header(header)
    _row_height(header, header_mm)
    for cell, (_, heading) in zip(header.cells, columns):
        _cell(cell, heading.replace("（", "\n（"), g.TABLE_HEADER, size=size)   # the unit on its own line
    open_row, body, close_row = table.rows[1], table.rows[2], table.rows[3]
    _cell(open_row.cells[0], "{%tr for r in " + var + " %}")
    _cell(close_row.cells[0], "{%tr endfor %}")
    _row_height(body, row_mm)
    _cant_split(body)
    for i, (cell, (key, _)) in enumerate(zip(body.cells, columns)):
        align = "right" if i >= numeric_from else ("left" if i in left else None)
        p = _cell(cell, "{{ r.%s }}" % key, align=align, size=size)
        if total:   # the last row stays on the page of the 合计 row
            ppr = p._p.get_or_add_pPr()
            keep = OxmlElement("w:keepNext")
            last = f"loop.last and {total_if}" if total_if else "loop.last"
            keep.set(qn("w:val"), "{{ 1 if %s else 0 }}" % last)
            ppr.append(keep)
            g.set_ppr(ppr)
    if total:
        row = table.rows[4]
        if total_if:
            _cell(row.cells[0], "{%%tr if %s %%}" % total_if)
            _cell(table.rows[6].cells[0], "{%tr endif %}")
            row = table.rows[5]
        _row_height(row, row_mm)
        _cant_split(row)
        for i, (cell, (key, _)) in enumerate(zip(row.cells, columns)):
            _cell(cell, "{{ %s.%s }}" % (total, key), g.TABLE_HEADER if i < numeric_from else g.TABLE_TEXT,
                  align="right" if i >= numeric_from else None, size=size)
    return table


def _heading(doc, text: str, style: str = g.HEADING1):
    return _p(doc, text, style)


def _body(doc) -> None:
    _p(doc, "{{ title }}", g.TITLE)
    note = _p(doc, "", g.NORMAL, align="center")
    g.add_run(note, "{{ data_note }}", font=KAITI)
    _heading(doc, "一、总体情况")
    _paragraphs(doc, "overview")
    _heading(doc, "二、经费投入")
    _paragraphs(doc, "funding_text")
    _figure(doc, "chart_funding", "figures.funding")
    _heading(doc, "三、人员参与和群众参与")
    _paragraphs(doc, "people_text")
    _figure(doc, "chart_offline_online", "figures.offline_online")
    _figure(doc, "chart_participation", "figures.participation")
    _heading(doc, "四、各类单位开展情况")
    _paragraphs(doc, "kinds_text")
    cap = _p(doc, "", g.NORMAL, align="center")
    g.add_run(cap, "表1  各类单位开展情况", font=KAITI, size=g.HAO4, spacing=0)
    g.set_ppr(cap._p.get_or_add_pPr(), keep_next=True, before_pt=6)
    _loop_table(doc, KIND_WIDTHS, KIND_COLUMNS, "kinds", "kinds_total", numeric_from=1)
    _figure(doc, "chart_activities", "figures.activities")
    _heading(doc, "五、与上年比较")
    _paragraphs(doc, "yoy_text")
    _heading(doc, "六、统计表报送情况")
    _paragraphs(doc, "intake_text")
    _tag(doc, "{%p if missing_text %}")
    _p(doc, "{{ missing_text }}", g.BODY)
    _tag(doc, "{%p endif %}")
    _p(doc, "")
    _attachment_list(doc)


def _attachment_list(doc) -> None:
    """附件说明 as in the notice: "附件：1.XXX", "2." under "1.", wrapped names under the name."""
    _p(doc, "")
    g.add_attachment_list(doc, "annex_titles", "a")


def _annex_head(doc, label: str, title: str, *, new_page: bool = True, gap: bool = True):
    lab = _p(doc, label, g.ATTACHMENT_LABEL)
    if new_page:
        g.page_break_before(lab)
    if gap:
        _p(doc, "")
    t = _p(doc, title, g.ATTACHMENT_TITLE)
    g.set_ppr(t._p.get_or_add_pPr(), after_pt=12)
    return lab


def _national_table(doc) -> None:
    """The seed's 附件2 统计表, filled with the national totals (and the change from last year)."""
    _annex_head(doc, "附件1", "{{ annex_titles[0] }}")
    rows = forms.INDICATORS
    table = g.add_table(doc, NAT_WIDTHS, rows=len(rows) + 1)
    g.set_cell_margins(table, left_mm=1.5, right_mm=1.5, top_mm=0.4, bottom_mm=0.4)
    header = table.rows[0]
    _row_height(header, 9)
    merged = header.cells[0].merge(header.cells[1])
    _cell(merged, "指标", g.TABLE_HEADER)
    _cell(header.cells[2], "{{ nat.label }}", g.TABLE_HEADER)
    _cell(header.cells[3], "{{ nat.change_label }}", g.TABLE_HEADER)
    group_start: dict[str, int] = {}
    for i, ind in enumerate(rows, 1):
        row = table.rows[i]
        _row_height(row, NAT_ROW_MM)
        if ind.group is None:
            _cell(row.cells[0].merge(row.cells[1]), ind.label)
        else:
            _cell(row.cells[1], ind.label)
            group_start.setdefault(ind.group, i)
        _cell(row.cells[2], '{{ nat.value["%s"] }}' % ind.id, align="right")
        _cell(row.cells[3], '{{ nat.change["%s"] }}' % ind.id, align="right")
    for group, start in group_start.items():
        end = max(i for i, ind in enumerate(rows, 1) if ind.group == group)
        _cell(table.cell(start, 0).merge(table.cell(end, 0)), group)
    note = _p(doc, "", g.NORMAL)
    g.add_run(note, "{{ nat.note }}", size=g.XIAO4, spacing=0)
    g.set_ppr(note._p.get_or_add_pPr(), line_pt=g.XIAO4 * 1.5, snap_to_grid=False, before_pt=6)


def _unit_table(doc) -> None:
    g.add_section(doc, landscape=True)
    _annex_head(doc, "附件2", "{{ annex_titles[1] }}", new_page=False, gap=False)
    _tag(doc, "{%p for t in unit_tables %}")
    _loop_table(doc, UNIT_WIDTHS, UNIT_COLUMNS, "t.rows", "unit_total", size=UNIT_PT, header_mm=14, row_mm=5.5,
                total_if="t.last")
    _separator(doc)
    _tag(doc, "{%p endfor %}")


def _separator(doc):
    """A 1 pt empty paragraph after a table: two tables with nothing between them join into one."""
    p = _p(doc, "", g.NORMAL)
    g.set_ppr(p._p.get_or_add_pPr(), line_pt=1, before_pt=0, after_pt=0, snap_to_grid=False)
    return p


def _quality(doc) -> None:
    g.add_section(doc, landscape=False)
    _annex_head(doc, "附件3", "{{ annex_titles[2] }}", new_page=False)
    _heading(doc, "一、未报送单位")
    _tag(doc, "{%p if missing_rows %}")
    _loop_table(doc, MISSING_WIDTHS, MISSING_COLUMNS, "missing_rows", numeric_from=99, header_mm=8)
    _tag(doc, "{%p else %}")
    _p(doc, "应报送的地方和部门均已报送。", g.BODY)
    _tag(doc, "{%p endif %}")
    _heading(doc, "二、退回和被替换的文件")
    _tag(doc, "{%p if quality %}")
    _loop_table(doc, QUALITY_WIDTHS, QUALITY_COLUMNS, "quality", numeric_from=99, header_mm=8, left=(1, 4))
    _tag(doc, "{%p else %}")
    _p(doc, "{{ quality_note }}", g.BODY)
    _tag(doc, "{%p endif %}")


def build(path: Path) -> Path:
    doc = g.new_document()
    _body(doc)
    _national_table(doc)
    _unit_table(doc)
    _quality(doc)
    return g.save(doc, path)


_ = HEITI

"""Builds ``doc_templates/recommendations.docx``: the national 推荐清单, landscape, GB/T 9704 conventions.

Placeholders the template declares (filled by :func:`kjhdz_docs.recommendations.docx_context`):

- ``title`` (the list's title), ``week`` (the activity week, e.g. 2024年5月25日—6月1日), ``summary``;
- ``list_tables``: ``{groups: [{unit, activities: [{number, name, intro, time_place, unit, contact}]}]}``,
  the list as consecutive tables of at most 50 rows (one long table makes LibreOffice's layout superlinear),
  units in roster order: each table repeats the header row, then a row with a unit's name, then its
  activities; a hairline paragraph keeps two tables from joining into one;
- ``excluded``: ``{number, unit, name, time_place, reason, source}``, the 待核实 annex (left out when empty),
  printed from ``excluded_tables`` (``{rows: [...]}``, split the same way);
- ``rotation``: ``{date, unit, name, number}``, the 轮值主场 schedule (left out when empty).

Line breaks inside a value stay line breaks (docxtpl turns "\\n" into ``w:br``).
"""

from __future__ import annotations

from pathlib import Path

from docx.oxml import OxmlElement
from docx.oxml.ns import qn

from ..forms import RECOMMENDATION_COLUMNS
from . import gongwen as g

# 版心 of a landscape page: 225 mm wide
LIST_WIDTHS = [11, 38, 86, 40, 22, 28]          # 序号 活动名称 活动简介 举办时间、地点 推荐单位 联系人及电话
EXCLUDED_WIDTHS = [12, 27, 40, 42, 62, 42]      # 序号 推荐单位 活动名称 举办时间、地点 待核实原因 来源
ROTATION_WIDTHS = [45, 40, 110, 30]             # 日期 推荐单位 活动名称 清单序号
CELL_PT = 10.5                                  # 五号 in the data rows, so a page holds more of a long list
CELL_LINE_PT = 13.5


def _p(container, text: str = "", style: str = g.BODY, **kw):
    return g.add_paragraph(container, text, style, **kw)


_tag = g.add_tag


_repeat_header = g.repeat_header_row


def _cant_split(row) -> None:
    tr_pr = row._tr.get_or_add_trPr()
    tr_pr.append(OxmlElement("w:cantSplit"))


def _small(p) -> None:
    """五号 runs with a matching exact line height."""
    g.set_ppr(p._p.get_or_add_pPr(), line_pt=CELL_LINE_PT)
    for run in p.runs:
        g.set_rpr(run._r.get_or_add_rPr(), size=CELL_PT)


def _separator(doc):
    """A 1 pt empty paragraph after a table: two tables with nothing between them join into one."""
    p = g.add_paragraph(doc, "", g.NORMAL)
    g.set_ppr(p._p.get_or_add_pPr(), line_pt=1, before_pt=0, after_pt=0, snap_to_grid=False)
    rpr = OxmlElement("w:rPr")
    size = OxmlElement("w:sz")
    size.set(qn("w:val"), "2")
    rpr.append(size)
    p._p.get_or_add_pPr().append(rpr)
    return p


def _table(doc, widths, headers: list[str], cells: list[tuple[str, str]], *, loop: str,
           group: tuple[str, str] | None = None):
    """Header row, then (optionally) a group row spanning every column, then the looped data row.

    ``cells`` are (placeholder, alignment) per column; ``loop`` is the ``for`` of the data rows and
    ``group`` the (outer ``for``, merged text) of a group row.
    """
    rows = 4 + (3 if group else 0)
    table = g.add_table(doc, widths, rows=rows)
    g.set_cell_margins(table, left_mm=1.5, right_mm=1.5, top_mm=1.0, bottom_mm=1.0)
    header = table.rows[0]
    _repeat_header(header)
    for cell, text in zip(header.cells, headers):
        _small(g.set_cell_text(cell, text, g.TABLE_HEADER))
    i = 1

    def tag_row(text: str):
        nonlocal i
        row = table.rows[i]
        g.set_cell_text(row.cells[0], text, g.NORMAL)
        i += 1
        return row

    if group:
        tag_row(f"{{%tr for {group[0]} %}}")
        row = table.rows[i]
        merged = row.cells[0].merge(row.cells[-1])
        p = g.set_cell_text(merged, group[1], g.TABLE_HEADER, align="left")
        g.set_ppr(p._p.get_or_add_pPr(), keep_next=True)     # a unit's name never ends a page
        _cant_split(row)
        i += 1
    tag_row(f"{{%tr for {loop} %}}")
    row = table.rows[i]
    _cant_split(row)
    for cell, (text, align) in zip(row.cells, cells):
        _small(g.set_cell_text(cell, text, g.TABLE_TEXT, align=align))
    i += 1
    tag_row("{%tr endfor %}")
    if group:
        tag_row("{%tr endfor %}")
    return table


def build(path: Path) -> Path:
    doc = g.new_document(landscape=True)
    _p(doc, "{{ title }}", g.TITLE)
    _p(doc, "（活动周：{{ week }}）", g.DOC_NUMBER)
    _p(doc, "{{ summary }}", g.BODY)

    headers = [c.label for c in RECOMMENDATION_COLUMNS]
    _tag(doc, "{%p for t in list_tables %}")
    _table(doc, LIST_WIDTHS, headers,
           [("{{ a.number }}", "center"), ("{{ a.name }}", "left"), ("{{ a.intro }}", "left"),
            ("{{ a.time_place }}", "left"), ("{{ a.unit }}", "center"), ("{{ a.contact }}", "left")],
           loop="a in g.activities", group=("g in t.groups", "{{ g.unit }}"))
    _separator(doc)
    _tag(doc, "{%p endfor %}")

    _tag(doc, "{%p if rotation %}")
    head = _p(doc, "轮值主场安排", g.HEADING1)
    g.set_ppr(head._p.get_or_add_pPr(), first_line=0)
    g.page_break_before(head)
    _table(doc, ROTATION_WIDTHS, ["日期", "推荐单位", "活动名称", "清单序号"],
           [("{{ d.date }}", "center"), ("{{ d.unit }}", "center"), ("{{ d.name }}", "left"),
            ("{{ d.number }}", "center")], loop="d in rotation")
    _tag(doc, "{%p endif %}")

    _tag(doc, "{%p if excluded %}")
    head = _p(doc, "附：待核实活动", g.HEADING1)
    g.set_ppr(head._p.get_or_add_pPr(), first_line=0)
    g.page_break_before(head)
    _p(doc, "以下活动不符合通知要求，未列入清单，请推荐单位核实后重新报送。", g.BODY)
    _tag(doc, "{%p for t in excluded_tables %}")
    _table(doc, EXCLUDED_WIDTHS, ["序号", "推荐单位", "活动名称", "举办时间、地点", "待核实原因", "来源"],
           [("{{ x.number }}", "center"), ("{{ x.unit }}", "center"), ("{{ x.name }}", "left"),
            ("{{ x.time_place }}", "left"), ("{{ x.reason }}", "left"), ("{{ x.source }}", "left")],
           loop="x in t.rows")
    _separator(doc)
    _tag(doc, "{%p endfor %}")
    _tag(doc, "{%p endif %}")
    _p(doc, "", g.NORMAL)          # a document never ends with a table (Word would add a paragraph)
    return g.save(doc, path)

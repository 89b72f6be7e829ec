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
_separator = g.table_separator


def _table(doc, widths, headers, cells, *, loop, group=None):
    return g.looped_table(doc, widths, headers, cells, loop=loop, group=group, cell_pt=CELL_PT,
                          line_pt=CELL_LINE_PT)


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

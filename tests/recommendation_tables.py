"""The 推荐清单 .docx read back: its list and annex are printed as consecutive tables, each with its header row.

A table is told by its header row; rows are counted across every table of a kind, in document order.
"""

from __future__ import annotations

from kjhdz_docs.forms import RECOMMENDATION_COLUMNS

LIST_HEADER = [c.label for c in RECOMMENDATION_COLUMNS]
ANNEX_HEADER = ["序号", "推荐单位", "活动名称", "举办时间、地点", "待核实原因", "来源"]
ROTATION_HEADER = ["日期", "推荐单位", "活动名称", "清单序号"]


def _header(table) -> list[str]:
    return [c.text for c in table.rows[0].cells]


def tables_of(doc, header: list[str]) -> list:
    return [t for t in doc.tables if _header(t) == header]


def list_tables(doc) -> list:
    return tables_of(doc, LIST_HEADER)


def annex_tables(doc) -> list:
    return tables_of(doc, ANNEX_HEADER)


def numbered_rows(tables) -> list:
    """Data rows (序号 a number) of ``tables``, in order."""
    return [r for t in tables for r in t.rows if r.cells[0].text.strip().isdigit()]


def group_rows(tables) -> list[str]:
    """The unit-name rows of the list tables (header rows not counted), in order."""
    return [r.cells[0].text for t in tables for r in t.rows[1:] if not r.cells[0].text.strip().isdigit()]


def every_table_known(doc) -> bool:
    return all(_header(t) in (LIST_HEADER, ANNEX_HEADER, ROTATION_HEADER) for t in doc.tables)

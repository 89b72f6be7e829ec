"""The 推荐清单's four outputs from an intake report: .docx, PDF/A-2b, .xlsx, .json (+ intake.json, manifest).

One module-scoped publish (real docxtpl, real LibreOffice, real openpyxl) serves every assert. The report is
made of real model objects, the way the intake hands them over.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import io
import json
import re

import pikepdf
import pdfplumber
import pytest
from docx import Document
from docx.oxml.ns import qn
from openpyxl import load_workbook

from kjhdz_docs.errors import Problem
from kjhdz_docs.manifest import read_manifest
from kjhdz_docs.model import Activity, FormKind, IntakeReport, Status, Submission
from kjhdz_docs.recommendations import consolidate, list_json, publish_list, write_xlsx
from tests import recommendation_tables as rt
from tests.conftest import requires_soffice

pytestmark = [requires_soffice, pytest.mark.slow]

HOSTILE = "科普&创新<之夜> \"AI\" 与 '未来'"
TEMPLATE_CODE = "讲解{{ year }}与{% if %}标签"
TWO_LINES = "第一行：展览\n第二行：讲座"
FORMULA = "=HYPERLINK(\"http://x\",\"点我\")"


def act(unit, n, name, *, intro="面向公众开放的科普活动", time_place="5月25日 北京市海淀区", file=None):
    return Activity(unit=unit, seq=n, name=name, intro=intro, time_place=time_place,
                    contact="@联系人 13800000000", source_file=file or f"{unit}.xlsx", sheet="推荐表", row=n + 3)


def report() -> IntakeReport:
    bj = [act("北京市", n, f"北京活动{n}") for n in range(1, 7)]             # the 6th is one too many
    sh = [act("上海市", 1, HOSTILE, intro=TWO_LINES, time_place="2024年5月26日—27日\n上海市浦东新区"),
          act("上海市", 2, TEMPLATE_CODE, time_place="5.28 上海市徐汇区"),
          act("上海市", 3, FORMULA, time_place="6月5日 上海科技馆")]            # date and place both wrong
    cas = [act("中国科学院", 1, "-公众科学日", time_place="5月25日 线上直播")]
    subs = [
        Submission("中国科学院.xlsx", "c" * 64, 10, Status.ACCEPTED, unit="中国科学院", activities=cas),
        Submission("上海市.xlsx", "b" * 64, 10, Status.ACCEPTED, unit="上海市", activities=sh),
        Submission("北京市.xlsx", "a" * 64, 10, Status.ACCEPTED, unit="北京市", activities=bj),
        Submission("坏文件.xlsx", "d" * 64, 3, Status.REJECTED,
                   problems=[Problem("not-a-workbook", "not a workbook")]),
    ]
    return IntakeReport(2024, FormKind.RECOMMENDATIONS, "/inbox", subs)


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    out = tmp_path_factory.mktemp("recommendations")
    rotation = out.parent / "rotation.yaml"
    rotation.write_text("days:\n  - {date: 2024-05-26, unit: 中国科学院, activity: '-公众科学日'}\n"
                        "  - {date: 2024-05-25, unit: 北京市, activity: 北京活动1}\n", encoding="utf-8")
    stdout = io.StringIO()
    with contextlib.redirect_stdout(stdout):
        code = publish_list(2024, report(), out=out, as_json=True, rotation_file=rotation)
    return out, code, json.loads(stdout.getvalue())


@pytest.fixture(scope="module")
def data(built):
    return json.loads((built[0] / "recommendations.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def docx(built):
    return Document(str(built[0] / "recommendations.docx"))


@pytest.fixture(scope="module")
def pdf_text(built):
    with pdfplumber.open(built[0] / "recommendations.pdf") as pdf:
        return "\n".join(page.extract_text() or "" for page in pdf.pages)


@pytest.fixture(scope="module")
def pdf_cells(built):
    """The text of every table cell in the PDF (pdfplumber's table finder)."""
    with pdfplumber.open(built[0] / "recommendations.pdf") as pdf:
        return [cell or "" for page in pdf.pages for table in page.extract_tables() for r in table
                for cell in r]


def squash(text: str) -> str:
    return re.sub(r"\s+", "", text)


def test_every_output_is_written(built):
    out, code, _ = built
    names = sorted(p.name for p in out.iterdir())
    assert names == ["intake.json", "manifest.json", "recommendations.docx", "recommendations.json",
                     "recommendations.pdf", "recommendations.xlsx"]
    assert code == 1                                   # one submitted file was rejected


def test_manifest(built):
    m = read_manifest(built[0])
    assert m.stage == "recommendations" and m.intake == "intake.json" and m.reports == ["recommendations.json"]
    (rec,) = m.records
    assert (rec.type, rec.original, rec.pdf, rec.attachments) == (
        "recommendations", "recommendations.docx", "recommendations.pdf", ["recommendations.xlsx"])
    assert rec.title == "2024年全国科技活动周特色群众性科技活动推荐清单" and rec.creators == ["科学技术部"]
    assert rec.date == "2024-05-25"


def test_json_lists_and_excludes(built, data):
    assert built[2] == data                            # --json prints the same document
    assert [a["unit"] for a in data["activities"]] == ["北京市"] * 5 + ["上海市"] * 2 + ["中国科学院"]
    assert [a["number"] for a in data["activities"]] == list(range(1, 9))
    assert [(x["name"], [r["rule"] for r in x["reasons"]]) for x in data["excluded"]] == [
        ("北京活动6", ["max-activities"]), (FORMULA, ["place-county", "date-outside-week"])]
    assert data["counts"] == {"listed": 8, "excluded": 2, "units": 3, "files": 4}
    files = {s["file"]: s["status"] for s in data["submissions"]["submissions"]}
    assert files["坏文件.xlsx"] == "rejected" and len(files) == 4
    intake = json.loads((built[0] / "intake.json").read_text(encoding="utf-8"))
    assert intake == data["submissions"]


def test_text_survives_in_json(data):
    by_name = {a["name"]: a for a in data["activities"]}
    assert by_name[HOSTILE]["intro"] == TWO_LINES
    assert TEMPLATE_CODE in by_name and "-公众科学日" in by_name


def test_docx_rows_match_the_json(docx, data):
    assert rt.every_table_known(docx)
    main, annex = rt.list_tables(docx), rt.annex_tables(docx)
    assert len(main) == len(annex) == 1
    rows = rt.numbered_rows(main)
    assert len(rows) == data["counts"]["listed"]
    assert [r.cells[1].text for r in rows] == [a["name"] for a in data["activities"]]
    assert len(rt.numbered_rows(annex)) == data["counts"]["excluded"]
    assert rt.group_rows(main) == ["北京市", "上海市", "中国科学院"]     # grouped in roster order


def long_list(units: int, per_unit: int = 5, excluded: int = 0):
    """``units`` units of ``per_unit`` listed rows each (and ``excluded`` rows to verify), numbered in order."""
    from kjhdz_docs.recommendations import Excluded, Listed

    rows = [act(f"单位{u:04d}", n, f"活动{u:04d}-{n}") for u in range(units) for n in range(1, per_unit + 1)]
    listed = [Listed(i, a, "海淀区", False, []) for i, a in enumerate(rows, 1)]
    rest = [Excluded(i, act("单位X", i, f"待核实{i}"), [Problem("place-county", "地点未精确到县级")])
            for i in range(1, excluded + 1)]
    return listed, rest


def test_split_groups_packs_whole_units_and_caps_every_table():
    from kjhdz_docs.recommendations import TABLE_ROWS, split_groups

    groups = [{"unit": f"u{i}", "activities": [{"number": 0}] * (1 + i % 5)} for i in range(200)]
    tables = split_groups(groups)
    assert len(tables) > 1
    sizes = [sum(1 + len(g["activities"]) for g in t["groups"]) for t in tables]
    assert max(sizes) <= TABLE_ROWS and min(sizes[:-1]) > TABLE_ROWS - 6     # full tables, no unit cut
    assert [g["unit"] for t in tables for g in t["groups"]] == [f"u{i}" for i in range(200)]
    huge = split_groups([{"unit": "大单位", "activities": list(range(120))}], limit=50)
    assert [[g["unit"], len(g["activities"])] for t in huge for g in t["groups"]] == [
        ["大单位", 49], ["大单位（续）", 49], ["大单位（续）", 22]]
    assert split_groups([]) == [{"groups": []}]


def test_a_long_list_is_consecutive_tables_with_continuous_numbers(tmp_path):
    from kjhdz_docs.recommendations import TABLE_ROWS, docx_context
    from kjhdz_docs.rendering import render_docx

    listed, excluded = long_list(40, excluded=120)         # 240 rows: 5 list tables; 3 annex tables
    week = (dt.date(2024, 5, 25), dt.date(2024, 6, 1))
    roster = [f"单位{u:04d}" for u in range(40)]
    out = render_docx("recommendations.docx", docx_context(2024, week, listed, excluded, None, roster),
                      tmp_path / "long.docx")
    doc = Document(str(out))
    assert rt.every_table_known(doc)
    main, annex = rt.list_tables(doc), rt.annex_tables(doc)
    assert len(main) == 5 and len(annex) == 3
    assert all(len(t.rows) - 1 <= TABLE_ROWS for t in main + annex)
    assert [int(r.cells[0].text) for r in rt.numbered_rows(main)] == list(range(1, 201))
    assert [int(r.cells[0].text) for r in rt.numbered_rows(annex)] == list(range(1, 121))
    assert rt.group_rows(main) == roster
    body = doc.element.body
    tables = body.findall(qn("w:tbl"))
    assert all(t.getnext().tag == qn("w:p") for t in tables)     # never two tables side by side (they would join)


def test_docx_keeps_text_and_line_breaks(docx):
    cells = {c.text: c for r in rt.list_tables(docx)[0].rows for c in r.cells}
    assert HOSTILE in cells and TEMPLATE_CODE in cells and "-公众科学日" in cells
    intro = cells[TWO_LINES]                          # python-docx reads w:br back as "\n"
    assert len(intro._tc.findall(".//" + qn("w:br"))) == 1
    section = docx.sections[0]
    assert section.page_width > section.page_height   # landscape


def test_pdf_is_pdfa_and_has_the_text(built, pdf_text, pdf_cells, data):
    with pikepdf.open(built[0] / "recommendations.pdf") as pdf:
        assert len(pdf.pages) >= 2
        assert pdf.open_metadata().pdfa_status == "2B"
    for text in ("2024年全国科技活动周特色群众性科技活动推荐清单", "附：待核实活动"):
        assert squash(text) in squash(pdf_text), text
    cells = {squash(c) for c in pdf_cells}
    for text in (HOSTILE, TEMPLATE_CODE, FORMULA, "-公众科学日", "北京活动6"):
        assert squash(text) in cells, text
    intro = next(c for c in pdf_cells if "第一行：展览" in c)
    assert intro.splitlines() == TWO_LINES.splitlines()     # the line break is a line break
    numbers = [c for c in pdf_cells if c.strip().isdigit()]
    assert len(numbers) == data["counts"]["listed"] + data["counts"]["excluded"] + len(data["rotation"])


def test_xlsx_has_no_formulas_and_keeps_text(built, data):
    wb = load_workbook(built[0] / "recommendations.xlsx")
    assert wb.sheetnames == ["推荐清单", "待核实", "轮值主场"]
    cells = [c for ws in wb for r in ws.iter_rows() for c in r if c.value is not None]
    assert not [c.coordinate for c in cells if c.data_type == "f"]
    values = {c.value for c in cells}
    assert {HOSTILE, TWO_LINES, TEMPLATE_CODE, FORMULA, "-公众科学日", "@联系人 13800000000"} <= values
    assert wb["推荐清单"].max_row - 1 == data["counts"]["listed"]
    assert wb["待核实"].max_row - 1 == data["counts"]["excluded"]


def test_xlsx_and_json_are_deterministic(tmp_path):
    rep = report()
    rows = [a for s in rep.accepted for a in s.activities]
    week = (dt.date(2024, 5, 25), dt.date(2024, 6, 1))
    listed, excluded = consolidate(rows, ["北京市", "上海市"], *week)
    a = write_xlsx(tmp_path / "a.xlsx", 2024, listed, excluded, None).read_bytes()
    b = write_xlsx(tmp_path / "b.xlsx", 2024, listed, excluded, None).read_bytes()
    assert a == b
    assert list_json(2024, week, listed, excluded, rep, None) == list_json(2024, week, listed, excluded, rep, None)


def test_rotation_in_every_output(data, docx, pdf_cells):
    assert [(d["date"], d["weekday"], d["unit"], d["number"]) for d in data["rotation"]] == [
        ("2024-05-25", "星期六", "北京市", 1), ("2024-05-26", "星期日", "中国科学院", 8)]
    (rotation,) = rt.tables_of(docx, rt.ROTATION_HEADER)
    assert [r.cells[0].text for r in rotation.rows] == ["日期", "5月25日（星期六）", "5月26日（星期日）"]
    assert "5月26日（星期日）" in pdf_cells


def test_an_empty_list_still_renders(tmp_path):
    from kjhdz_docs.recommendations import docx_context
    from kjhdz_docs.rendering import render_docx

    week = (dt.date(2024, 5, 25), dt.date(2024, 6, 1))
    out = render_docx("recommendations.docx", docx_context(2024, week, [], [], None, []), tmp_path / "e.docx")
    doc = Document(str(out))
    assert len(doc.tables) == 1 and [r.cells[0].text for r in doc.tables[0].rows] == ["序号"]
    assert len(rt.list_tables(doc)) == 1
    assert "待核实" not in "\n".join(p.text for p in doc.paragraphs)

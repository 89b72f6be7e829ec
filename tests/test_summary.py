"""`build_summary` on a generated inbox of known values: totals, missing units, superseded and rejected
files, the PDF (text, charts as images, PDF/A-2b), byte-identical rebuilds, ``--json``.

Two real builds (docxtpl + one LibreOffice start each) serve every assert of this module.
"""

from __future__ import annotations

import json
import re
from decimal import Decimal

import pikepdf
import pytest
from openpyxl import load_workbook

from kjhdz_docs import cnnum
from kjhdz_docs.forms import INDICATORS
from kjhdz_docs.roster import load_roster
from kjhdz_docs.summary import build_summary
from tests.conftest import requires_soffice
from tests.summary_inbox import make_inbox

pytestmark = [requires_soffice, pytest.mark.slow]


@pytest.fixture(scope="module")
def inbox(tmp_path_factory):
    folder = tmp_path_factory.mktemp("statistics-inbox")
    return folder, make_inbox(folder)


@pytest.fixture(scope="module")
def built(inbox, tmp_path_factory):
    folder, _ = inbox
    out = tmp_path_factory.mktemp("summary")
    code = build_summary(2024, inbox=folder, out=out)
    return out, code


@pytest.fixture(scope="module")
def rebuilt(inbox, tmp_path_factory):
    """The output folder of a second build of the same inbox (run by the test that reads its stdout)."""
    return tmp_path_factory.mktemp("summary-again")


@pytest.fixture(scope="module")
def data(built):
    return json.loads((built[0] / "summary.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def expected_totals(inbox):
    accepted = inbox[1]["accepted"]
    return {i.id: sum((v[i.id] for v in accepted.values()), Decimal(0) if i.is_money else 0) for i in INDICATORS}


@pytest.fixture(scope="module")
def pdf_text(built):
    import pdfplumber

    with pdfplumber.open(built[0] / "summary.pdf") as pdf:
        return [re.sub(r"\s+", "", p.extract_text() or "") for p in pdf.pages]


def test_exit_code_one_because_files_were_rejected(built):
    assert built[1] == 1


def test_every_national_total_exactly(data, expected_totals, inbox):
    for ind in INDICATORS:
        want = expected_totals[ind.id]
        got = data["totals"][ind.id]
        if ind.is_money:
            assert isinstance(got, float) and Decimal(repr(got)) == want.quantize(Decimal("0.01")), ind.id
        else:
            assert isinstance(got, int) and got == want, ind.id
    assert data["reported_units"] == len(inbox[1]["accepted"]) == 16


def test_units_table_sums_to_totals(data):
    for ind in INDICATORS:
        total = sum(Decimal(repr(u[ind.id])) if ind.is_money else u[ind.id] for u in data["units"].values())
        assert total == Decimal(repr(data["totals"][ind.id])) if ind.is_money else total == data["totals"][ind.id]


def test_missing_units_are_roster_minus_accepted(data, inbox):
    roster = [u.name for u in load_roster(2024).units]
    accepted = set(inbox[1]["accepted"])
    assert data["missing_units"] == [n for n in roster if n not in accepted]
    assert "河北省" in data["missing_units"] and "水利部" in data["missing_units"]   # rejected → still missing
    assert set(data["units"]) == accepted


def test_superseded_and_rejected_files(data, inbox):
    expect = inbox[1]
    subs = {s["file"]: s for s in data["submissions"]}
    old = subs[expect["superseded"]]
    assert old["status"] == "superseded" and old["superseded_by"] == expect["superseded_by"]
    assert data["units"]["北京市"]["activities"] == expect["accepted"]["北京市"]["activities"]
    for name in expect["rejected"]:
        assert subs[name]["status"] == "rejected"
        assert subs[name]["problems"] and all({"sheet", "cell", "rule", "message"} <= set(p) for p in subs[name]["problems"])
        assert all(len(subs[name]["sha256"]) == 64 for name in subs)
    assert subs["河北省统计表.xlsx"]["problems"][0]["cell"]
    assert subs["天津市/盖章扫描件.pdf"]["status"] == "attachment"


def test_no_previous_year_is_said_not_invented(data, pdf_text):
    assert data["previous_year"] is None
    assert "本报告不作同比" in "".join(pdf_text)


def test_pdf_is_pdfa_and_shows_the_overview_figures(built, data, pdf_text):
    out = built[0]
    with pikepdf.open(out / "summary.pdf") as pdf:
        assert pdf.open_metadata().pdfa_status == "2B"
    first = "".join(pdf_text[:2])
    t = data["totals"]
    funding_total = data["derived"]["funding.total"]
    for phrase in (f"全国共开展科普活动{cnnum.count(t['activities'], '次')}",
                   f"投入经费{cnnum.money_wan(Decimal(repr(funding_total)))}",
                   f"其中中央财政{cnnum.money_wan(Decimal(repr(t['funding.central'])))}",
                   f"线下活动群众参与{cnnum.count(t['public.offline'], '人次')}",
                   f"线上活动群众参与{cnnum.count(t['public.online'], '人次')}",
                   f"参与媒体{cnnum.count(t['media.outlets'], '家')}",
                   f"大学{cnnum.count(t['open.universities'], '所')}"):
        assert phrase in first, phrase
    assert "万人次" in first     # large numbers the Chinese way
    text = "".join(pdf_text)
    for name in ("2024年全国科技活动周开展情况全国汇总表", "约三千", "退回4份", "被同一单位后报版本替换1份"):
        assert name in text
    assert f"{cnnum.plain_count(t['public.offline'])}" in text      # 附件1 table, exact figure
    assert "湖北省" in text                                          # a missing unit, listed for 催报


def test_data_quality_annex_lists_every_rejected_and_superseded_file(built, inbox):
    from docx import Document

    doc = Document(str(built[0] / "summary.docx"))
    rows = {row.cells[1].text: [c.text for c in row.cells] for t in doc.tables for row in t.rows if len(row.cells) == 5}
    for name in inbox[1]["rejected"]:
        assert rows[name][3] == "退回" and len(rows[name][4]) > 5, name
    old = rows[inbox[1]["superseded"]]
    assert old[3] == "已被替代" and inbox[1]["superseded_by"] in old[4]
    assert "天津市/盖章扫描件.pdf" not in rows


def test_charts_are_images_in_the_pdf(built):
    with pikepdf.open(built[0] / "summary.pdf") as pdf:
        images = [img for page in pdf.pages for img in page.get_images().values()]
    assert len(images) >= 4
    assert all(int(img.Width) >= 1000 for img in images)      # drawn at 200 dpi for a 150 mm width


def test_outputs_and_manifest(built):
    out = built[0]
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    rec = manifest["records"][0]
    assert rec["type"] == "summary" and rec["title"] == "2024年全国科技活动周开展情况总结报告"
    assert rec["date"] == "2024-06-30" and rec["creators"] == ["科学技术部"]
    assert rec["attachments"] == ["summary.xlsx"] and manifest["reports"] == ["summary.json"]
    assert manifest["intake"] == "intake.json"
    for name in ("summary.docx", "summary.pdf", "summary.xlsx", "intake.json", "funding.png"):
        assert (out / name).stat().st_size > 0
    assert not [p for p in out.iterdir() if p.name.startswith(".")]


def test_workbook_sheets(built, data):
    wb = load_workbook(built[0] / "summary.xlsx")
    assert wb.sheetnames == ["全国汇总", "分单位", "报送情况"]
    nat = wb["全国汇总"]
    values = {nat.cell(r, 4).value: nat.cell(r, 5).value for r in range(2, nat.max_row + 1)}
    assert values["activities"] == data["totals"]["activities"]
    assert values["funding.central"] == data["totals"]["funding.central"]
    per = wb["分单位"]
    roster = [u.name for u in load_roster(2024).units]
    assert [per.cell(r, 2).value for r in range(2, per.max_row)] == [n for n in roster if n in data["units"]]
    assert per.cell(per.max_row, 2).value == "合计"
    intake = [[c.value for c in row] for row in wb["报送情况"].iter_rows()]
    assert any(r[0] == "河北省统计表.xlsx" and r[2] == "退回" for r in intake)


def test_rebuild_is_byte_identical_and_json_goes_to_stdout(inbox, built, rebuilt, capsys):
    folder, _ = inbox
    capsys.readouterr()
    assert build_summary(2024, inbox=folder, out=rebuilt, as_json=True) == 1
    stdout = capsys.readouterr().out
    first = built[0]
    for name in ("summary.json", "summary.xlsx", "funding.png", "participation.png", "offline_online.png"):
        assert (first / name).read_bytes() == (rebuilt / name).read_bytes(), name
    assert json.loads(stdout) == json.loads((rebuilt / "summary.json").read_text(encoding="utf-8"))


def _unit_tables(doc):
    """The 附件2 per-unit tables (told from the 附件3 list of missing units by their third column)."""
    return [t for t in doc.tables if len(t.columns) == 12 and t.rows[0].cells[2].text.startswith("活动次数")]


def test_units_annex_is_one_table_for_a_short_list(built, data):
    from docx import Document

    (table,) = _unit_tables(Document(str(built[0] / "summary.docx")))
    names = [r.cells[1].text for r in table.rows[1:]]
    assert sorted(names[:-1]) == sorted(data["units"]) and names[-1] == "合计"


def test_a_long_units_annex_is_consecutive_tables_and_one_total(inbox, tmp_path):
    """At scale (one row a unit, thousands of units) the annex is split; here with tables of 7 rows."""
    from docx import Document
    from docx.oxml.ns import qn

    from kjhdz_docs import aggregate as agg, charts
    from kjhdz_docs.intake import read_inbox
    from kjhdz_docs.model import FormKind
    from kjhdz_docs.rendering import render_docx
    from kjhdz_docs.summary import calendar, report_context, split_rows

    report = read_inbox(2024, FormKind.STATISTICS, inbox=inbox[0])
    s = agg.aggregate(2024, report.submissions, load_roster(2024).units)
    context = report_context(s, report.submissions, None, calendar(2024))
    rows = [r for t in context["unit_tables"] for r in t["rows"]]
    assert len(rows) == len(s.units) > 14
    context["unit_tables"] = split_rows(rows, limit=7)
    images = {k: (p, charts.WIDTH_MM) for k, p in charts.draw_all(s, tmp_path).items()}
    doc = Document(str(render_docx("summary.docx", context, tmp_path / "s.docx", images=images)))
    tables = _unit_tables(doc)
    assert len(tables) == -(-len(rows) // 7)
    body = [r.cells[1].text for t in tables for r in t.rows[1:]]
    assert body == [r["unit"] for r in rows] + ["合计"]                 # the total once, closing the last table
    assert all(len(t.rows) <= 8 for t in tables[:-1]) and len(tables[-1].rows) <= 9
    assert all(t._tbl.getnext().tag == qn("w:p") for t in tables)      # never two tables side by side

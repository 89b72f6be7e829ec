"""`invoke build-recommendations` end to end on an inbox filled the ways units fill the 推荐表.

One run of the real task (intake, rules, docxtpl, LibreOffice, openpyxl) serves every assert.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from docx import Document
from openpyxl import Workbook, load_workbook

from kjhdz_docs.blank_forms import recommendation_workbook
from tests import recommendation_tables as rt
from tests.conftest import requires_soffice

pytestmark = [requires_soffice, pytest.mark.slow]

ROOT = Path(__file__).resolve().parent.parent
HOSTILE = "科普&创新<之夜> \"AI\" 与 '未来'"
TWO_LINES = "上午：科学家讲座\n下午：实验室开放"


def _official_form(path: Path) -> None:
    """The blank 附件1 as sent out, filled in place: the 推荐单位 line after the colon, five rows."""
    wb = recommendation_workbook(2024)
    ws = wb.active
    ws["A2"] = "推荐单位：北京市科学技术委员会（公章）"
    rows = [
        ("科技列车进社区", "专家走进社区开展科普讲座", "2024年5月25日 北京市海淀区"),
        ("科学之夜", "实验室夜间开放", "5月25日—26日 北京市朝阳区"),
        ("航天科普展", "科" * 120, "5月27日 北京市西城区"),                 # 简介 too long
        ("中关村开放日", "企业开放", "5.28 北京中关村"),                      # not to county level
        ("青少年创造实践", "动手实验", "2024-05-29 北京市东城区"),
    ]
    for r, (name, intro, tp) in enumerate(rows, 4):
        ws.cell(r, 2, name)
        ws.cell(r, 3, intro)
        ws.cell(r, 4, tp)
        ws.cell(r, 5, "北京市科委")
        ws.cell(r, 6, "李老师 010-66666666")
    wb.save(path)


def _shifted_form(path: Path) -> None:
    """A home-made form: a cover sheet first, the table two rows down and one column in, six rows."""
    wb = Workbook()
    cover = wb.active
    cover.title = "封面"
    cover["B3"] = "上海市推荐材料"
    ws = wb.create_sheet("推荐表")
    ws["B2"] = "2024年全国科技活动周特色群众性科技活动推荐表"
    ws["B3"] = "推荐单位："
    ws["C3"] = "上海市科学技术委员会"
    for c, label in enumerate(["序号", "活动名称", "活动简介（100字以内）", "举办时间、地点（地点精确到县级）",
                               "推荐单位", "联系人及电话"], 2):
        ws.cell(5, c, label)
    rows = [
        (HOSTILE, TWO_LINES, "5月26日 上海市浦东新区"),
        ("{{ year }} {% if %}", "模板标记原样保留", "5月27日\n上海市徐汇区"),
        ("=1+2", "以等号开头的名称", "5月28日 上海市黄浦区"),
        ("@科普", "以@开头", "5月29日 上海市静安区"),
        ("线上科普直播", "网络直播", "5月30日 线上"),
        ("第六项活动", "超过五项", "5月31日 上海市长宁区"),                   # the 6th
    ]
    for i, (name, intro, tp) in enumerate(rows, 1):
        r = 5 + i
        ws.cell(r, 2, i)
        ws.cell(r, 3, name).data_type = "s"          # typed as text, as a spreadsheet keeps it
        ws.cell(r, 4, intro)
        ws.cell(r, 5, tp)
        ws.cell(r, 6, "上海市科委")
        ws.cell(r, 7, "王老师 021-55555555")
    wb.save(path)


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    base = tmp_path_factory.mktemp("recs-build")
    inbox, out = base / "inbox", base / "out"
    inbox.mkdir()
    _official_form(inbox / "北京市推荐表.xlsx")
    _shifted_form(inbox / "上海-推荐活动.xlsx")
    (inbox / "深圳市推荐表.xlsx").write_text("这不是工作簿", encoding="utf-8")          # rejected
    (inbox / "北京市推荐表盖章扫描件.pdf").write_bytes(b"%PDF-1.4\n%%EOF\n")          # companion file
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    proc = subprocess.run([sys.executable, "-m", "invoke", "build-recommendations", "--year", "2024",
                           "--inbox", str(inbox), "--out", str(out), "--json"],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    return proc, out


@pytest.fixture(scope="module")
def data(run):
    return json.loads((run[1] / "recommendations.json").read_text(encoding="utf-8"))


def test_exit_code_says_a_file_was_rejected(run, data):
    proc, _ = run
    assert proc.returncode == 1, proc.stderr
    assert json.loads(proc.stdout) == data                        # --json: the list on stdout
    assert "待核实" in proc.stderr                                 # the closing tables go to stderr


def test_every_file_accounted_for(data):
    status = {s["file"]: s["status"] for s in data["submissions"]["submissions"]}
    assert status == {"北京市推荐表.xlsx": "accepted", "上海-推荐活动.xlsx": "accepted",
                      "深圳市推荐表.xlsx": "rejected", "北京市推荐表盖章扫描件.pdf": "attachment"}
    assert data["counts"]["files"] == 4


def test_rules_applied_to_real_forms(data):
    assert [(a["unit"], a["name"]) for a in data["activities"]] == [
        ("北京市", "科技列车进社区"), ("北京市", "科学之夜"), ("北京市", "青少年创造实践"),
        ("上海市", HOSTILE), ("上海市", "{{ year }} {% if %}"), ("上海市", "=1+2"), ("上海市", "@科普"),
        ("上海市", "线上科普直播")]
    excluded = {x["name"]: [r["rule"] for r in x["reasons"]] for x in data["excluded"]}
    assert excluded == {"航天科普展": ["intro-length"], "中关村开放日": ["place-county"],
                        "第六项活动": ["max-activities"]}
    by_name = {a["name"]: a for a in data["activities"]}
    assert by_name[HOSTILE]["intro"] == TWO_LINES
    source = by_name[HOSTILE]["source"]
    assert {k: v for k, v in source.items() if k != "cells"} == {"file": "上海-推荐活动.xlsx", "sheet": "推荐表",
                                                                  "row": 6}
    assert (source["cells"]["seq"], source["cells"]["name"], source["cells"]["intro"]) == ("B6", "C6", "D6")
    assert by_name["科学之夜"]["county"] == "朝阳区"


def test_docx_rows_match_json(run, data):
    doc = Document(str(run[1] / "recommendations.docx"))
    numbered = rt.numbered_rows(rt.list_tables(doc))
    assert len(numbered) == data["counts"]["listed"] == len(data["activities"])


def test_pdf_and_xlsx(run):
    import pikepdf

    with pikepdf.open(run[1] / "recommendations.pdf") as pdf:
        assert len(pdf.pages) >= 1
    wb = load_workbook(run[1] / "recommendations.xlsx")
    assert not [c.coordinate for ws in wb for r in ws.iter_rows() for c in r if c.data_type == "f"]
    assert {"=1+2", "@科普"} <= {c.value for r in wb["推荐清单"].iter_rows() for c in r}

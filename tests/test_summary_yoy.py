"""Year over year: last year's summary.json from its build folder or its newest archive version; the
report's wording with and without it; the template declares exactly the placeholders the code fills."""

from __future__ import annotations

import json
import shutil
from decimal import Decimal
from pathlib import Path

import pytest
from docx import Document
from docxtpl import DocxTemplate

from kjhdz_docs import aggregate as agg
from kjhdz_docs import summary as sm
from kjhdz_docs.manifest import write_json
from kjhdz_docs.model import Status, Submission
from kjhdz_docs.paths import TEMPLATES
from kjhdz_docs.rendering import render_docx
from kjhdz_docs.roster import load_roster
from tests.conftest import requires_soffice


def _sub(unit, **values):
    vals = {k.replace("__", "."): v for k, v in values.items()}
    return Submission(file=f"{unit}.xlsx", sha256="0" * 64, size=1, status=Status.ACCEPTED, unit=unit, values=vals)


@pytest.fixture
def roots(tmp_path, monkeypatch):
    monkeypatch.setenv("KJHDZ_BUILD", str(tmp_path / "build"))
    monkeypatch.setenv("KJHDZ_ARCHIVE", str(tmp_path / "archive"))
    return tmp_path


@pytest.fixture(scope="module")
def current():
    roster = list(load_roster(2024).units)
    subs = [_sub("北京市", activities=1100, funding__central=Decimal("150.50"), public__offline=2_000_000,
                 public__online=30_000_000, media__reports=0),
            _sub("中国科学院", activities=400, funding__enterprise=Decimal("9.5"), public__offline=5)]
    return agg.aggregate(2024, subs, roster), subs, roster


def _last_year(path: Path, year=2023, activities=1000, central=200.25) -> Path:
    return write_json(path, {"year": year, "totals": {"activities": activities, "funding.central": central,
                                                      "media.reports": 0, "public.offline": 2_000_005}})


def test_no_previous_year(roots):
    assert sm.find_previous(2024) is None


def test_previous_from_build_folder(roots):
    _last_year(roots / "build" / "2023" / "summary" / "summary.json")
    prev = sm.find_previous(2024)
    assert prev.year == 2023 and prev.source == "build/2023/summary/summary.json"
    assert prev.totals["funding.central"] == Decimal("200.25") and prev.totals["activities"] == 1000


@requires_soffice
@pytest.mark.slow
def test_build_summary_2025_compares_with_the_sealed_2024_when_its_build_is_gone(tmp_path):
    """The next year's machine: 2024 only in archive/ (sealed by the real seal), its build/ folder gone."""
    from kjhdz_docs import specimens as sp
    from kjhdz_docs.archive.seal import seal_year
    from kjhdz_docs.paths import ROOT
    from tests.archive_tree import year_tree

    data = tmp_path / "data"
    for year, files in ((2024, ("units.yaml", "archive.yaml", "notice.yaml")), (2025, ())):
        (data / str(year)).mkdir(parents=True)
        for name in files:
            shutil.copyfile(ROOT / "data" / "2024" / name, data / str(year) / name)
    roster = (ROOT / "data" / "2024" / "units.yaml").read_text(encoding="utf-8")
    (data / "2025" / "units.yaml").write_text(roster.replace("year: 2024", "year: 2025"), encoding="utf-8")
    inbox24, inbox25 = tmp_path / "inbox-2024", tmp_path / "inbox-2025"
    for unit, seed in (("北京市", 0), ("河北省", 1)):
        sp.write_statistics(inbox24 / f"{unit}.xlsx", unit, sp.sample_values(unit, seed=seed), year=2024)
        sp.write_statistics(inbox25 / f"{unit}.xlsx", unit, sp.sample_values(unit, seed=seed + 5), year=2025)
    with year_tree(tmp_path) as mp:
        mp.setenv("KJHDZ_DATA", str(data))
        build = tmp_path / "build"
        shutil.rmtree(build / "2024" / "summary")
        assert sm.build_summary(2024, inbox=inbox24) == 0          # the real 2024 summary stage
        sealed_totals = json.loads((build / "2024" / "summary" / "summary.json").read_text(encoding="utf-8"))["totals"]
        seal_year(2024)
        shutil.rmtree(build)                                       # only the archive is left
        assert sm.build_summary(2025, inbox=inbox25) == 0
        out = json.loads((build / "2025" / "summary" / "summary.json").read_text(encoding="utf-8"))
    prev = out["previous_year"]
    assert prev is not None, "2025 found no 2024 figures in the archive"
    assert prev["year"] == 2024 and prev["source"] == "archive/2024/v1/data/reports/summary/summary.json"
    assert (tmp_path / "archive" / "2024" / "v1" / "data" / "reports" / "summary" / "summary.json").is_file()
    assert prev["totals"]["activities"] == sealed_totals["activities"] > 0
    assert prev["changes"]["activities"]["delta"] == out["totals"]["activities"] - sealed_totals["activities"]


def test_previous_of_the_wrong_year_or_broken_is_not_used(roots):
    _last_year(roots / "build" / "2023" / "summary" / "summary.json", year=2022)
    assert sm.find_previous(2024) is None
    (roots / "build" / "2023" / "summary" / "summary.json").write_text("{not json", encoding="utf-8")
    assert sm.find_previous(2024) is None


def test_changes_in_json_and_text(current, roots):
    s, subs, _ = current
    prev = sm.read_previous(_last_year(roots / "prev.json"), "build/2023/summary/summary.json")
    data = sm.summary_data(s, subs, prev)
    ch = data["previous_year"]["changes"]
    assert ch["activities"] == {"previous": 1000, "delta": 500, "percent": 50.0}
    assert ch["funding.central"] == {"previous": 200.25, "delta": -49.75, "percent": -24.84}
    assert ch["media.reports"]["percent"] is None
    text = sm.yoy_text(s, prev)[0]
    assert "与2023年相比" in text
    assert "科普活动开展次数1,500次，比上年增加500次，增长50.0%" in text
    assert "中央财政经费投入150.50万元，比上年减少49.75万元，下降24.8%" in text
    assert "宣传报道数量0篇，与上年持平" in text
    assert sm.yoy_text(s, None) == ["未找到2023年全国科技活动周汇总数据（上年的汇总报告或档案包），本报告不作同比。"]


def test_json_numbers_money_two_decimals_counts_int(current):
    s, subs, _ = current
    data = sm.summary_data(s, subs, None)
    dumped = json.dumps(data["totals"], sort_keys=True)
    assert '"funding.central": 150.5' in dumped and isinstance(data["totals"]["activities"], int)
    assert sm.json_number("funding.other", Decimal("0.005")) == 0.01
    assert sm.json_number("funding.other", Decimal("1234567.891")) == 1234567.89


def test_template_declares_exactly_what_the_code_fills(current):
    s, subs, roster = current
    context = sm.report_context(s, subs, None, sm.calendar(2024))
    images = set(sm.charts.CHARTS)
    declared = DocxTemplate(str(TEMPLATES / sm.TEMPLATE)).get_undeclared_template_variables()
    assert declared == set(context) | images


def test_rendered_docx_with_previous_year_shows_changes(current, roots, tmp_path):
    s, subs, _ = current
    prev = sm.read_previous(_last_year(roots / "prev.json"), "build/2023/summary/summary.json")
    context = sm.report_context(s, subs, prev, sm.calendar(2024))
    context["yoy_text"] = sm.yoy_text(s, prev)
    png = sm.charts.funding_structure(s, tmp_path / "f.png")
    out = render_docx(sm.TEMPLATE, context, tmp_path / "r.docx", images={k: (png, 150) for k in sm.charts.CHARTS})
    doc = Document(str(out))
    text = "\n".join(p.text for p in doc.paragraphs)
    assert "与2023年相比" in text and "增长50.0%" in text
    cells = [c.text for t in doc.tables for row in t.rows for c in row.cells]
    assert "增长50.0%" in cells and "下降24.8%" in cells      # 附件1 同比 column
    assert len(doc.inline_shapes) == 4

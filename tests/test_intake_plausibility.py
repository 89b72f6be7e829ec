"""Plausibility checks (soft edits): a figure far from the unit's previous year or from its peers' median is
flagged 待核实 with 今年 / 上年 / 同类中位数, in the intake report, summary.json and the data-quality annex;
the figures and totals are never changed. The factor comes from data/<year>/intake.yaml."""

from __future__ import annotations

import statistics
from decimal import Decimal

import pytest

from kjhdz_docs import aggregate as agg
from kjhdz_docs import specimens as sp
from kjhdz_docs import summary as sm
from kjhdz_docs.errors import DataFileError
from kjhdz_docs.intake import read_inbox
from kjhdz_docs.intake.plausibility import Settings, load_settings
from kjhdz_docs.intake.report import report_json
from kjhdz_docs.manifest import write_json
from kjhdz_docs.model import FormKind, Status
from kjhdz_docs.paths import build_dir
from kjhdz_docs.roster import load_roster

PROVINCES = ["河北省", "山西省", "辽宁省", "吉林省", "江苏省", "浙江省", "安徽省"]


def _inbox(root, values_of):
    for unit in PROVINCES:
        sp.write_statistics(root / f"{unit}.xlsx", unit, values_of(unit))
    return root


@pytest.fixture
def isolated(tmp_path, monkeypatch):
    monkeypatch.setenv("KJHDZ_BUILD", str(tmp_path / "build"))
    monkeypatch.setenv("KJHDZ_ARCHIVE", str(tmp_path / "archive"))
    return tmp_path


def test_peer_outlier_flagged_with_its_median(isolated):
    values = {u: sp.sample_values(u) for u in PROVINCES}
    values["江苏省"] = values["江苏省"] | {"media.reports": values["江苏省"]["media.reports"] * 0 + 900_000}
    report = read_inbox(2024, FormKind.STATISTICS, _inbox(isolated / "in", values.get), progress=False)
    by = {s.unit: s for s in report.submissions}
    assert all(s.status is Status.ACCEPTED for s in report.submissions)
    figures = [values[u]["media.reports"] for u in PROVINCES if values[u]["media.reports"] > 0]
    median = statistics.median(figures)          # the median of the kind (the unit among them)
    assert 900_000 / median > 20
    flags = [f for f in by["江苏省"].flags if f["indicator"] == "media.reports"]
    assert flags == [{"indicator": "media.reports", "cell": "统计表!C18", "value": 900_000, "previous": None,
                      "peer_median": int(median), "factor": float(Decimal(900_000 / median).quantize(Decimal("0.1"))),
                      "limit": 20.0, "rule": "peers", "message": flags[0]["message"]}]
    assert f"今年 900000篇，上年 无，同类中位数 {int(median)}篇" in flags[0]["message"]
    assert by["江苏省"].values["media.reports"] == 900_000          # the figure stands
    assert report_json(report)["submissions"][[s.file for s in sorted(report.submissions, key=lambda s: s.file)]
                                              .index("江苏省.xlsx")]["flags"] == by["江苏省"].flags


def test_previous_year_ratio_and_the_summary_carries_the_flags(isolated):
    roster = load_roster(2024)
    base = sp.sample_values("河北省", seed=7)
    last = {u: {k: (v * (10 + n) // 10 if isinstance(v, int) else (v * (10 + n) / 10).quantize(Decimal('0.01'))) for k, v in base.items()}
            for n, u in enumerate(PROVINCES)}                    # peers alike: within 1.6× of each other
    last_report = read_inbox(2023, FormKind.STATISTICS, _inbox(isolated / "in2023", last.get), progress=False,
                             roster=roster, plausibility=False)
    data = sm.summary_data(agg.aggregate(2023, last_report.submissions, roster.units), last_report.submissions, None)
    write_json(build_dir(2023, "summary") / "summary.json", data)

    now = {u: dict(last[u]) for u in PROVINCES}
    now["山西省"]["funding.central"] = last["山西省"]["funding.central"] * 30 + Decimal("0.01")   # 元 typed as 万元?
    report = read_inbox(2024, FormKind.STATISTICS, _inbox(isolated / "in2024", now.get), progress=False, roster=roster)
    flagged = {(s.unit, f["indicator"], f["rule"]) for s in report.submissions for f in s.flags}
    assert flagged == {("山西省", "funding.central", "previous-year+peers")}
    f = next(f for s in report.submissions for f in s.flags)
    prev = last["山西省"]["funding.central"]
    assert (f["value"], f["previous"], f["cell"]) == (f"{(prev * 30 + Decimal('0.01')).normalize():f}",
                                                      f"{prev.normalize():f}", "统计表!C4")
    # flags never change a total
    s = agg.aggregate(2024, report.submissions, roster.units)
    assert s.totals["funding.central"] == sum(v["funding.central"] for v in now.values())
    out = sm.summary_data(s, report.submissions, sm.find_previous(2024))
    assert [(x["unit"], x["file"], x["indicator"]) for x in out["flags"]] == [("山西省", "山西省.xlsx", "funding.central")]
    rows = sm.quality_rows(report.submissions)
    assert [(r["unit"], r["status"]) for r in rows] == [("山西省", "采用（待核实）")]
    assert "今年" in rows[0]["reasons"] and "上年" in rows[0]["reasons"] and "单元格C4" in rows[0]["reasons"]


def test_factor_from_the_years_data(tmp_path):
    path = tmp_path / "intake.yaml"
    path.write_text("plausibility:\n  factor: 50\n  min_peers: 2\n  indicators:\n    public.online: 100\n",
                    encoding="utf-8")
    s = load_settings(2024, path)
    assert (s.factor, s.min_peers, s.factor_for("public.online"), s.factor_for("activities")) == \
        (Decimal(50), 2, Decimal(100), Decimal(50))
    assert load_settings(2024, tmp_path / "absent.yaml") == Settings()
    path.write_text("plausibility:\n  factor: 0.5\n  indicators:\n    public.nowhere: 3\n", encoding="utf-8")
    with pytest.raises(DataFileError) as err:
        load_settings(2024, path)
    assert err.value.problems == ["plausibility.factor: must be a number greater than 1 (got 0.5)",
                                  "plausibility.indicators.public.nowhere: not an indicator id (e.g. public.online)"]


def test_a_wider_factor_lets_the_same_figure_pass(isolated, monkeypatch):
    values = {u: sp.sample_values(u) for u in PROVINCES}
    values["浙江省"] = values["浙江省"] | {"media.reports": 900_000}
    inbox = _inbox(isolated / "in", values.get)
    data = isolated / "data" / "2024"
    data.mkdir(parents=True)
    import shutil

    from kjhdz_docs.paths import data_dir
    shutil.copy(data_dir(2024) / "units.yaml", data / "units.yaml")
    (data / "intake.yaml").write_text("plausibility:\n  factor: 100000\n", encoding="utf-8")
    monkeypatch.setenv("KJHDZ_DATA", str(isolated / "data"))
    report = read_inbox(2024, FormKind.STATISTICS, inbox, progress=False)
    assert [f for s in report.submissions for f in s.flags] == []


def test_stderr_table_lists_flags_and_warnings(isolated, capsys):
    from kjhdz_docs import console
    from kjhdz_docs.intake.report import print_report

    values = {u: sp.sample_values(u) for u in PROVINCES}
    values["吉林省"] = values["吉林省"] | {"media.reports": 900_000}
    inbox = _inbox(isolated / "in", values.get)
    sp.write_statistics(inbox / "安徽省.xlsx", "安徽省", values["安徽省"], style="macros")
    report = read_inbox(2024, FormKind.STATISTICS, inbox, progress=False)
    console.configure(quiet=False)
    print_report(report)
    captured = capsys.readouterr()
    flat = "".join((captured.err + captured.out).split())     # the console wraps long lines
    assert "待核实（合理性检查，" in flat
    assert "吉林省.xlsx统计表!C18[peers]「宣传报道数量」今年900000篇，上年无，同类中位数" in flat
    assert "安徽省.xlsx工作簿含有宏（xl/vbaProject.bin）" in flat


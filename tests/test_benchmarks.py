"""The benchmark scripts run (``--quick`` sizes) and print their ratios; `invoke bench` collects them."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from kjhdz_docs import bench
from kjhdz_docs.paths import ROOT

from .conftest import requires_soffice


def _run(script: str) -> tuple[str, dict]:
    env = dict(os.environ)
    env.pop("KJHDZ_DATA", None)
    proc = subprocess.run([sys.executable, str(ROOT / "benchmarks" / script), "--quick"], cwd=ROOT / "benchmarks",
                          capture_output=True, text=True, env=env, timeout=600)
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    lines = proc.stdout.splitlines()
    result = json.loads(lines[-1].removeprefix(bench.RESULT_PREFIX))
    return proc.stdout, result


def test_intake_benchmark_prints_its_ratio():
    out, result = _run("bench_intake.py")
    assert "ratio naive/project:" in out and "target ≥ 15×" in out
    assert result["benchmark"] == "intake" and result["accepted"] == result["files"] == 40
    assert result["ratio"] == pytest.approx(result["naive_s"] / result["project_s"], rel=0.02)
    assert result["naive_complete"] > 0


@requires_soffice
def test_conversion_benchmark_prints_its_ratio_and_says_it_extrapolates():
    out, result = _run("bench_conversion.py")
    assert "extrapolated to" in out and "ratio naive/project:" in out
    assert result["files"] >= 10 and result["naive_sample"] == 2
    assert result["ratio"] == pytest.approx(result["naive_extrapolated_s"] / result["project_s"], rel=0.02)


@requires_soffice
@pytest.mark.slow
def test_scale_benchmark_builds_the_whole_cycle_and_measures_memory():
    pytest.importorskip("kjhdz_docs.pipeline", reason="build-all is not available yet")
    out, result = _run("bench_scale.py")
    assert [s["units"] for s in result["sizes"]] == [3, 6]
    assert all(s["rc"] == 0 for s in result["sizes"]), out
    assert all(s["peak_rss_mb"] > 50 for s in result["sizes"])   # the tree was measured, soffice included
    assert "ms per unit" in out and "peak RSS" in out


def test_run_all_reports_a_script_that_fails(monkeypatch, tmp_path):
    monkeypatch.setattr(bench, "SCRIPTS", ("bench_missing.py",))
    assert bench.run_all(quick=True) == 1


def test_receive_benchmark_prints_its_time():
    out, result = _run("bench_receive.py")
    assert "first receive:" in out and "target ≤ 10 s for 1,000 messages" in out
    assert result["benchmark"] == "receive" and result["registered"] == result["filed"] == result["messages"] == 50


@requires_soffice
@pytest.mark.slow
def test_letters_benchmark_prints_its_time():
    out, result = _run("bench_letters.py")
    assert "统计表 letters:" in out and "target ≤ 20 s for 100 units" in out
    assert result["benchmark"] == "letters" and result["units"] == 10 and result["unchanged"] is True
    assert result["letters"] == sum(result["kinds"].values()) > result["first_letters"] >= 10

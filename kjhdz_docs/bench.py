"""`invoke bench`: run the benchmark scripts of ``benchmarks/`` and print their ratios in one table.

Each script is a plain program (run with this interpreter, from the checkout) that prints its own lines
and ends with one ``BENCH-RESULT {json}`` line; this module runs them one after the other (they measure
wall time: never in parallel), echoes their output to stderr and closes with a table.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time

from . import console
from .paths import ROOT

SCRIPTS = ("bench_intake.py", "bench_conversion.py", "bench_receive.py", "bench_scale.py", "bench_incremental.py",
           "bench_sign_search.py", "bench_letters.py")
RESULT_PREFIX = "BENCH-RESULT "


def run_script(name: str, *, quick: bool) -> tuple[int, dict | None, float]:
    """Run one benchmark script; (exit code, its result or None, seconds)."""
    cmd = [sys.executable, str(ROOT / "benchmarks" / name)] + (["--quick"] if quick else [])
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=ROOT / "benchmarks", stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            text=True, bufsize=1)
    result = None
    assert proc.stdout is not None
    for line in proc.stdout:
        if line.startswith(RESULT_PREFIX):
            result = json.loads(line[len(RESULT_PREFIX):])
        else:
            console.say(line.rstrip("\n"))
    return proc.wait(), result, time.perf_counter() - start


def _summary(result: dict | None) -> str:
    if not result:
        return "no result"
    name = result.get("benchmark")
    if name == "scale":
        sizes = ", ".join(f"{s['units']} units {s['seconds']:.1f} s" for s in result["sizes"])
        return f"{sizes}; {result['per_unit_ms']:.1f} ms/unit; peak RSS {result['peak_rss_mb']:.0f} MB"
    if name == "sign-search":
        return (f"signing +{100 * result['seal']['sign_share']:.1f} % of the seal (target ≤ 20 %); search worst "
                f"{result['worst_search_ms']:.0f} ms (target ≤ 200 ms) at {result['scale_units']} units, index "
                f"{result['index_bytes_scale'] / 1e6:.1f} MB; recall {result['recall']['characters']:.0%}")
    if name == "letters":
        return (f"{result['units']} units: {result['first_letters']} 统计表 letters in {result['seconds']:.1f} s "
                f"(target ≤ {result['target_s']:g} s for 100 units), all {result['letters']} in "
                f"{result['all_seconds']:.1f} s; again {result['rerun_seconds']:.1f} s, nothing new")
    if name == "receive":
        return (f"{result['messages']} messages in {result['seconds']:.1f} s ({result['ms_per_message']:.1f} ms each; "
                f"target ≤ {result['target_s']:g} s per 1,000)")
    return f"{result['ratio']:.1f}× (target ≥ {result['target']:g}×) on {result['files']} files"


def run_all(quick: bool = False) -> int:
    """Run every benchmark (``quick``: tiny sizes, only checks they run); 1 when one of them failed to run."""
    rows, failed = [], 0
    for name in SCRIPTS:
        code, result, seconds = run_script(name, quick=quick)
        failed += code != 0 or result is None
        met = "—" if quick or result is None else ("met" if result.get("met") else "MISSED")
        rows.append((name, "ok" if code == 0 and result else f"failed ({code})", _summary(result), met,
                     f"{seconds:.0f} s"))
    console.table("benchmarks" + (" (--quick: sizes too small for the targets)" if quick else ""),
                  ["script", "run", "result", "target", "time"], rows)
    return 1 if failed else 0

"""Scale: ``invoke build-all`` wall time and peak memory for 50, 500 and 3,000 units (generated years).

    .venv/bin/python benchmarks/bench_scale.py [--quick] [--units 50,500,3000]

For each size a data folder is generated in a temp dir (roster: the 60 real units first, then fictional
样例单位; every unit sends a 统计表 and a 推荐表 of 1–5 activities) and the whole cycle is built there
(``KJHDZ_DATA``, ``KJHDZ_BUILD`` and ``KJHDZ_ARCHIVE`` point into the temp dir). Peak memory is the largest
sum of the resident set sizes of the whole process tree (invoke, its pool workers, every soffice), sampled
every 50 ms with psutil (and, every 200 ms, the sum of their proportional set sizes, PSS: forked workers share
their parent's pages, which each RSS counts again). Linearity: the marginal cost per unit between sizes, and a least-squares line.
Each size starts with an empty cache (``KJHDZ_CACHE`` in the temp dir) and is then built again unchanged and
once more after one corrected 统计表 (``bench_incremental.correct_one``).
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from common import ROOT, emit, timer

TARGET_50_S = 30.0
TARGET_RSS_MB = 700.0
TARGET_3000_S = 400.0
TARGET_UNCHANGED_S = 30.0
TARGET_CORRECTION_S = 60.0


def tree_rss(proc, pss: bool = False, by_name: dict | None = None) -> tuple[int, int, int]:
    """(sum, max) of the resident set sizes of ``proc`` and all its descendants, in bytes, and (``pss``) the
    sum of their proportional set sizes: forked workers share their parent's pages, which every RSS counts
    again and PSS splits among the processes sharing them (0 when not asked). ``by_name`` collects the largest
    RSS seen per process (its name and first argument after the program)."""
    import psutil

    total = largest = shared = 0
    try:
        procs = [proc, *proc.children(recursive=True)]
    except psutil.Error:
        return 0, 0, 0
    for p in procs:
        try:
            rss = p.memory_info().rss
            shared += p.memory_full_info().pss if pss else 0
        except psutil.Error:
            continue
        total += rss
        largest = max(largest, rss)
        if by_name is not None:
            try:
                cmd = p.cmdline()
                name = " ".join([Path(cmd[0]).name, *[Path(a).name for a in cmd[1:2]]]) if cmd else p.name()
            except psutil.Error:
                name = "?"
            by_name[name] = max(by_name.get(name, 0), rss)
    return total, largest, shared


def build_all(data: Path, out: Path) -> dict:
    """Run ``invoke build-all --year 2024 --quiet`` on ``data``; wall time, exit code and peak RSS."""
    import psutil

    env = dict(os.environ, KJHDZ_DATA=str(data), KJHDZ_BUILD=str(out / "build"), KJHDZ_ARCHIVE=str(out / "archive"),
               KJHDZ_CACHE=str(out / "cache"))            # the cold run starts with an empty cache
    invoke = str(Path(sys.executable).with_name("invoke"))
    peak = {"sum": 0, "max": 0, "pss": 0}
    by_name: dict[str, int] = {}
    with timer() as t:
        proc = subprocess.Popen([invoke, "build-all", "--year", "2024", "--quiet"], cwd=ROOT, env=env,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        ps = psutil.Process(proc.pid)
        done = threading.Event()

        def sample() -> None:
            n = 0
            while not done.is_set():
                total, largest, pss = tree_rss(ps, pss=n % 4 == 0, by_name=by_name if n % 4 == 0 else None)
                peak["sum"] = max(peak["sum"], total)
                peak["max"] = max(peak["max"], largest)
                peak["pss"] = max(peak["pss"], pss)
                n += 1
                time.sleep(0.05)

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        stdout, stderr = proc.communicate()
        done.set()
        sampler.join()
    return {"seconds": t(), "rc": proc.returncode, "peak_rss_mb": peak["sum"] / 2**20, "peak_pss_mb": peak["pss"] / 2**20,
            "largest_process_mb": peak["max"] / 2**20, "stderr": stderr[-2000:],
            "steps": next((line for line in stderr.splitlines() if "every step done in" in line), ""),
            "largest_by_process_mb": {k: round(v / 2**20) for k, v in sorted(by_name.items(), key=lambda x: -x[1])[:6]}}


def fit(points: list[tuple[int, float]]) -> tuple[float, float]:
    """Least-squares ``seconds = fixed + per_unit × units``."""
    n = len(points)
    mx = sum(u for u, _ in points) / n
    my = sum(s for _, s in points) / n
    sxx = sum((u - mx) ** 2 for u, _ in points)
    slope = sum((u - mx) * (s - my) for u, s in points) / sxx if sxx else 0.0
    return my - slope * mx, slope


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="3 and 6 units (checks the benchmark runs)")
    ap.add_argument("--units", default=None, help="comma-separated sizes (default 50,500,3000)")
    ap.add_argument("--generated", default=None, help="keep each size's generated data in this folder and reuse "
                                                       "it in later runs (the generation of 3,000 units takes minutes)")
    args = ap.parse_args(argv)
    sizes = [int(x) for x in (args.units or ("3,6" if args.quick else "50,500,3000")).split(",")]

    from kjhdz_docs import sample_data

    rows, failed = [], False
    for n in sizes:
        with tempfile.TemporaryDirectory(prefix=f"kjhdz-bench-scale-{n}-") as tmp:
            tmp = Path(tmp)
            with timer() as t_gen:
                kept = Path(args.generated) / str(n) if args.generated else None
                reused = kept is not None and (kept / "2024").is_dir()
                if reused:
                    shutil.copytree(kept, tmp / "data", symlinks=True)
                else:
                    sample_data.write_scale_project(tmp / "data", n)
                    if kept is not None:
                        shutil.copytree(tmp / "data", kept, symlinks=True)
            print(f"scale: {n} units {'copied from ' + str(kept) if reused else 'generated'} "
                  f"in {t_gen():.1f} s; building …", flush=True)
            r = build_all(tmp / "data", tmp)
            listed = len(list((tmp / "build" / "2024" / "recommendations").glob("*.pdf")))
            if r["rc"] == 0 and not args.quick:       # then again unchanged, then after one corrected 统计表
                r["unchanged"] = build_all(tmp / "data", tmp)
                from bench_incremental import correct_one

                correct_one(tmp / "data", tmp / "build", 2024)
                r["correction"] = build_all(tmp / "data", tmp)
                r["versions"] = sorted(p.name for p in (tmp / "archive" / "2024").glob("v*"))
        rows.append((n, r))
        ok = r["rc"] in (0, 1)      # 1: some submitted file rejected (never the case for generated years)
        failed |= not ok
        print(f"  {n:5d} units: build-all {r['seconds']:7.1f} s (exit {r['rc']})  "
              f"{1000 * r['seconds'] / n:7.1f} ms/unit  peak RSS {r['peak_rss_mb']:6.0f} MB, PSS {r['peak_pss_mb']:6.0f} MB "
              f"(largest process {r['largest_process_mb']:.0f} MB)" + ("" if listed else "  [no 推荐清单 PDF]"),
              flush=True)
        for run in ("cold", "unchanged", "correction"):
            got = r if run == "cold" else r.get(run)
            if got:
                print(f"         {run}: {got['steps']}\n           largest processes (MB): {got['largest_by_process_mb']}",
                      flush=True)
        if "unchanged" in r:
            print(f"         again unchanged {r['unchanged']['seconds']:6.1f} s (exit {r['unchanged']['rc']}), "
                  f"after one corrected 统计表 {r['correction']['seconds']:6.1f} s (exit {r['correction']['rc']}, "
                  f"peak RSS {r['correction']['peak_rss_mb']:.0f} MB); versions sealed: {r['versions']}", flush=True)
        if not ok:
            print("    " + r["stderr"].strip().replace("\n", "\n    "))
    good = [(n, r["seconds"]) for n, r in rows if r["rc"] in (0, 1)]
    fixed, per_unit = fit(good) if len(good) >= 2 else (0.0, 0.0)
    marginal = [((b[1] - a[1]) / (b[0] - a[0])) for a, b in zip(good, good[1:])]
    if good:
        print(f"  fit: {fixed:.1f} s fixed + {1000 * per_unit:.1f} ms per unit; marginal cost per unit between sizes: "
              + ", ".join(f"{1000 * m:.1f} ms" for m in marginal))
    peak = max((r["peak_rss_mb"] for _, r in rows), default=0.0)
    t50 = next((r["seconds"] for n, r in rows if n == 50), None)
    checks = []
    if t50 is not None:
        checks.append(f"50 units ≤ {TARGET_50_S:g} s: {'met' if t50 <= TARGET_50_S else 'MISSED'} ({t50:.1f} s)")
    checks.append(f"peak RSS < {TARGET_RSS_MB:g} MB: {'met' if peak < TARGET_RSS_MB else 'MISSED'} ({peak:.0f} MB)")
    big = next((r for n, r in rows if n == 3000), None)
    if big is not None and big["rc"] not in (0, 1):
        checks.append(f"3,000 units cold: FAILED (exit {big['rc']} after {big['seconds']:.1f} s)")
    elif big is not None:
        checks.append(f"3,000 units cold ≤ {TARGET_3000_S:g} s: {'met' if big['seconds'] <= TARGET_3000_S else 'MISSED'}"
                      f" ({big['seconds']:.1f} s)")
        if "unchanged" in big:
            u, c = big["unchanged"]["seconds"], big["correction"]["seconds"]
            checks.append(f"unchanged ≤ {TARGET_UNCHANGED_S:g} s: {'met' if u <= TARGET_UNCHANGED_S else 'MISSED'} "
                          f"({u:.1f} s)")
            checks.append(f"one correction re-sealed ≤ {TARGET_CORRECTION_S:g} s: "
                          f"{'met' if c <= TARGET_CORRECTION_S else 'MISSED'} ({c:.1f} s)")
    if len(marginal) >= 2:
        linear = marginal[-1] <= 1.5 * marginal[0] + 0.005
        checks.append(f"linear in units: {'met' if linear else 'MISSED'} "
                      f"(marginal {1000 * marginal[0]:.1f} → {1000 * marginal[-1]:.1f} ms/unit)")
    print("  " + "; ".join(checks))
    emit("scale", {"sizes": [{"units": n, "seconds": round(r["seconds"], 2), "rc": r["rc"],
                              "peak_rss_mb": round(r["peak_rss_mb"], 1), "peak_pss_mb": round(r["peak_pss_mb"], 1),
                              "unchanged_s": round(r["unchanged"]["seconds"], 2) if "unchanged" in r else None,
                              "correction_s": round(r["correction"]["seconds"], 2) if "correction" in r else None,
                              "largest_process_mb": round(r["largest_process_mb"], 1)} for n, r in rows],
                   "fixed_s": round(fixed, 2), "per_unit_ms": round(1000 * per_unit, 2),
                   "marginal_ms": [round(1000 * m, 2) for m in marginal], "peak_rss_mb": round(peak, 1),
                   "met": all("MISSED" not in c for c in checks) and not failed})
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())

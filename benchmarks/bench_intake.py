"""Intake: 1,000 统计表 workbooks read and validated by the project's intake, against a pandas.read_excel loop.

    .venv/bin/python benchmarks/bench_intake.py [--quick] [--files N]

The workbooks are generated into a temp folder (one unit each of a generated roster; three in four are the
blank form filled in, one in four in a specimen layout: moved labels, cover sheet, text numbers …).
The naive side is the script people write first: ``pandas.read_excel(sheet_name=None, engine="openpyxl")``
for every file, then look for each indicator's label and take the first value right of it. Both sides run
in this process on the same files, in rounds (``--rounds``, default 3): each round times the project's intake
with 2 processes, then with 1, then the pandas loop, so a burst of load from other work falls on both sides
alike. Every round's times are printed; the ratio is the naive side's best time / the project's best time
(the median round's times give the second figure). Both sides' libraries are imported before any timing.
Each measurement starts once other processes on the machine use less than 0.3 of a core (waiting at most
``--max-wait`` seconds over the whole run), and how many cores' worth they used while it ran is printed beside it.
"""

from __future__ import annotations

import argparse
import re
import statistics
import sys
import tempfile
import time
from pathlib import Path

from common import OthersLoad, emit, timer, verdict, wait_for_quiet

TARGET = 15.0


def naive_read(path: Path, labels: dict[str, str]) -> tuple[str | None, dict[str, float]]:
    """The pandas loop: every sheet, every label, the first value right of it (exact label text only)."""
    import pandas as pd

    sheets = pd.read_excel(path, sheet_name=None, header=None, engine="openpyxl")
    unit, values = None, {}
    for df in sheets.values():
        grid = df.values.tolist()
        for r, row in enumerate(grid):
            for c, cell in enumerate(row):
                if not isinstance(cell, str):
                    continue
                text = re.sub(r"\s+", "", cell)
                if text.startswith("地方/部门") and unit is None:
                    rest = text.split("：", 1)[-1].split(":", 1)[-1]
                    unit = rest or next((str(v) for v in row[c + 1:] if isinstance(v, str)), None)
                for ind_id, label in labels.items():
                    if text == label and ind_id not in values:
                        for v in row[c + 1:]:
                            if v is None or (isinstance(v, float) and v != v):
                                continue
                            try:
                                number = float(str(v).replace(",", "").replace("万元", ""))
                            except ValueError:
                                break
                            if number >= 0:
                                values[ind_id] = number
                            break
    return unit, values


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="40 workbooks, 2 rounds (checks the benchmark runs)")
    ap.add_argument("--files", type=int, default=None, help="number of workbooks (default 1,000)")
    ap.add_argument("--rounds", type=int, default=None, help="times each side is measured (default 3)")
    ap.add_argument("--max-wait", type=float, default=None,
                    help="seconds, over the whole run, that measurements may wait for other processes to be quiet "
                         "(default 90; 3 with --quick)")
    args = ap.parse_args(argv)
    n = args.files or (40 if args.quick else 1000)
    rounds = max(1, args.rounds or (2 if args.quick else 3))

    import openpyxl  # noqa: F401  (the naive side's libraries, imported before its timing like the project's)
    import pandas  # noqa: F401
    import yaml

    from kjhdz_docs import console, sample_data
    from kjhdz_docs.forms import INDICATORS
    from kjhdz_docs.intake import read_inbox
    from kjhdz_docs.model import FormKind, Status
    from kjhdz_docs.roster import parse_roster

    console.configure(quiet=True)
    with tempfile.TemporaryDirectory(prefix="kjhdz-bench-intake-") as tmp:
        root = Path(tmp)
        units = sample_data.scale_units(n)
        (root / "units.yaml").write_text(yaml.safe_dump({"year": 2024, "units": units}, allow_unicode=True),
                                         encoding="utf-8")
        roster = parse_roster(root / "units.yaml", 2024)
        inbox = root / "inbox"
        with timer() as t_gen:
            paths = sample_data.write_statistics_inbox(inbox, [(u["name"], u["kind"]) for u in units])
        size = sum(p.stat().st_size for p in paths)
        print(f"intake: {n} 统计表 workbooks generated in {t_gen():.1f} s ({size / 1e6:.1f} MB), {rounds} rounds")

        labels = {i.id: i.label for i in INDICATORS}
        project_runs, single_runs, naive_runs, accepted_runs, complete_runs = [], [], [], [], []
        others: dict[str, list] = {"project": [], "single": [], "naive": []}
        budget = time.perf_counter() + (args.max_wait if args.max_wait is not None else 3 if args.quick else 90)

        def measured(side: str, work):
            """One timed measurement, started once other processes are quiet (or the wait's budget is spent);
            what they used meanwhile is recorded beside the time."""
            wait_for_quiet(budget - time.perf_counter())
            with OthersLoad() as load, timer() as t:
                result = work()
            others[side].append(load.cores)
            return t(), result

        def naive_all():
            complete = 0
            for p in paths:
                _, values = naive_read(p, labels)
                complete += len(values) == len(labels)
            return complete

        for r in range(rounds):
            t_project, report = measured("project", lambda: read_inbox(2024, FormKind.STATISTICS, inbox,
                                                                         progress=False, roster=roster))
            t_single, single = measured("single", lambda: read_inbox(2024, FormKind.STATISTICS, inbox, progress=False,
                                                                       roster=roster, processes=1))
            t_naive, complete = measured("naive", naive_all)
            project_runs.append(t_project)
            single_runs.append(t_single)
            naive_runs.append(t_naive)
            accepted_runs.append(min(sum(s.status is Status.ACCEPTED for s in rep.submissions)
                                     for rep in (report, single)))
            complete_runs.append(complete)
            print(f"  round {r + 1}: project {t_project:.3f} s (1 process {t_single:.3f} s), naive {t_naive:.2f} s: "
                  f"{t_naive / t_project:.1f}×  (other processes meanwhile: {_cores(others['project'][-1])} / "
                  f"{_cores(others['single'][-1])} / {_cores(others['naive'][-1])} cores)", flush=True)
    project, single, naive = min(project_runs), min(single_runs), min(naive_runs)
    ratio, ratio_single = naive / project, naive / single
    ratio_median = statistics.median(naive_runs) / statistics.median(project_runs)
    accepted, complete = min(accepted_runs), min(complete_runs)
    print(f"  project intake (2 processes):  {project:7.2f} s  {1000 * project / n:6.2f} ms/file  "
          f"accepted {accepted}/{n}  (best of {rounds}; median {statistics.median(project_runs):.2f} s)")
    print(f"  project intake (1 process):    {single:7.2f} s  {1000 * single / n:6.2f} ms/file  "
          f"(best of {rounds}; median {statistics.median(single_runs):.2f} s)")
    print(f"  naive pandas.read_excel loop:  {naive:7.2f} s  {1000 * naive / n:6.2f} ms/file  "
          f"all 19 values found in {complete}/{n} (no rules checked, no unit matched)  "
          f"(best of {rounds}; median {statistics.median(naive_runs):.2f} s)")
    print(f"  ratio naive/project: {ratio:.1f}× best to best, {ratio_median:.1f}× median to median  "
          f"(1 process: {ratio_single:.1f}×)  {verdict(ratio, TARGET)}")
    emit("intake", {"files": n, "rounds": rounds, "project_s": round(project, 3), "project_1proc_s": round(single, 3),
                    "naive_s": round(naive, 3), "ratio": round(ratio, 2), "ratio_1proc": round(ratio_single, 2),
                    "ratio_median": round(ratio_median, 2),
                    "project_runs_s": [round(t, 3) for t in project_runs],
                    "project_1proc_runs_s": [round(t, 3) for t in single_runs],
                    "naive_runs_s": [round(t, 3) for t in naive_runs],
                    "others_cores": {k: [None if c is None else round(c, 2) for c in v] for k, v in others.items()},
                    "target": TARGET, "met": ratio >= TARGET, "accepted": accepted, "naive_complete": complete})
    return 0 if accepted == n else 1


def _cores(value: float | None) -> str:
    return "?" if value is None else f"{value:.2f}"


if __name__ == "__main__":
    sys.exit(main())

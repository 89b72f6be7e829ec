"""Intake: 1,000 统计表 workbooks read and validated by the project's intake, against a pandas.read_excel loop.

    .venv/bin/python benchmarks/bench_intake.py [--quick] [--files N]

The workbooks are generated into a temp folder (one unit each of a generated roster; three in four are the
blank form filled in, one in four in a specimen layout: moved labels, cover sheet, text numbers …).
The naive side is the script people write first: ``pandas.read_excel(sheet_name=None, engine="openpyxl")``
for every file, then look for each indicator's label and take the first value right of it. Both sides run
in this process, one after the other, on the same files; the ratio is naive time / project time.
"""

from __future__ import annotations

import argparse
import re
import sys
import tempfile
from pathlib import Path

from common import emit, timer, verdict

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
    ap.add_argument("--quick", action="store_true", help="40 workbooks (checks the benchmark runs)")
    ap.add_argument("--files", type=int, default=None, help="number of workbooks (default 1,000)")
    args = ap.parse_args(argv)
    n = args.files or (40 if args.quick else 1000)

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
        print(f"intake: {n} 统计表 workbooks generated in {t_gen():.1f} s ({size / 1e6:.1f} MB)")

        with timer() as t_project:
            report = read_inbox(2024, FormKind.STATISTICS, inbox, progress=False, roster=roster)
        accepted = sum(s.status is Status.ACCEPTED for s in report.submissions)
        with timer() as t_single:
            read_inbox(2024, FormKind.STATISTICS, inbox, progress=False, roster=roster, processes=1)

        labels = {i.id: i.label for i in INDICATORS}
        with timer() as t_naive:
            complete = 0
            for p in paths:
                _, values = naive_read(p, labels)
                complete += len(values) == len(labels)
    project, single, naive = t_project(), t_single(), t_naive()
    ratio, ratio_single = naive / project, naive / single
    print(f"  project intake (2 processes):  {project:7.2f} s  {1000 * project / n:6.1f} ms/file  "
          f"accepted {accepted}/{n}")
    print(f"  project intake (1 process):    {single:7.2f} s  {1000 * single / n:6.1f} ms/file")
    print(f"  naive pandas.read_excel loop:  {naive:7.2f} s  {1000 * naive / n:6.1f} ms/file  "
          f"all 19 values found in {complete}/{n} (no rules checked, no unit matched)")
    print(f"  ratio naive/project: {ratio:.1f}×  (1 process: {ratio_single:.1f}×)  {verdict(ratio, TARGET)}")
    emit("intake", {"files": n, "project_s": round(project, 3), "project_1proc_s": round(single, 3),
                    "naive_s": round(naive, 3), "ratio": round(ratio, 2), "ratio_1proc": round(ratio_single, 2),
                    "target": TARGET, "met": ratio >= TARGET, "accepted": accepted, "naive_complete": complete})
    return 0 if accepted == n else 1


if __name__ == "__main__":
    sys.exit(main())

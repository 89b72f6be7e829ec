"""Incremental cycle: cold ``build-all``, again unchanged, after one corrected 统计表, after a notice change.

    .venv/bin/python benchmarks/bench_incremental.py [--data DIR] [--year 2024] [--keep DIR]

The year's data (default: the committed sample, ``data/``) is copied into a temp folder, with empty build,
archive and cache folders beside it (``KJHDZ_DATA``, ``KJHDZ_BUILD``, ``KJHDZ_ARCHIVE``, ``KJHDZ_CACHE``).
Then, each a real ``invoke build-all --year Y --quiet`` in its own process:

1. **cold** — everything built, ``v1`` sealed;
2. **unchanged** — again: must take ≤ 15 % of cold and seal nothing;
3. **correction** — a new 统计表 of one accepted unit (its figures as the summary read them, one value + 1):
   ≤ 40 % of cold, exactly one new version whose summary.json has the corrected total and whose seal.json
   names the new 件 among its changes;
4. **notice** — ``doc_number.serial`` of notice.yaml + 1: the rebuilt notice.pdf shows the new number.

After the last step ``invoke verify --year Y`` must pass (every bag). Prints one line per step, the
ratios and the checks, then a ``BENCH-RESULT`` line; exit 1 when a check failed (a ratio over its
target is reported as MISSED, ``met`` false).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from decimal import Decimal
from pathlib import Path

from common import ROOT, emit, machine, timer

UNCHANGED_MAX = 0.15
CORRECTION_MAX = 0.40


def run(args: list[str], env: dict) -> tuple[float, subprocess.CompletedProcess]:
    invoke = str(Path(sys.executable).with_name("invoke"))
    with timer() as t:
        done = subprocess.run([invoke, *args], cwd=ROOT, env=env, capture_output=True, text=True)
    return t(), done


def versions(archive: Path, year: int) -> list[str]:
    folder = archive / str(year)
    return sorted((p.name for p in folder.iterdir() if re.fullmatch(r"v\d+", p.name)), key=lambda v: int(v[1:])) \
        if folder.is_dir() else []


def correct_one(data: Path, build: Path, year: int) -> tuple[str, str, int | Decimal, Path]:
    """Write a corrected 统计表 of the first accepted unit: the figures the summary read, one value + 1."""
    from kjhdz_docs import specimens

    summary = json.loads((build / str(year) / "summary" / "summary.json").read_text(encoding="utf-8"))
    unit = sorted(summary["units"])[0]
    values = {k: (Decimal(str(v)) if isinstance(v, float) else v) for k, v in summary["units"][unit].items()}
    indicator = next(k for k, v in values.items() if isinstance(v, int))
    values[indicator] += 1
    path = data / str(year) / "inbox" / "statistics" / f"{unit}-附件2统计表（更正）.xlsx"
    specimens.write_statistics(path, unit, values)
    return unit, indicator, summary["totals"][indicator] + 1, path


def bump_serial(data: Path, year: int) -> str:
    notice = data / str(year) / "notice.yaml"
    text = notice.read_text(encoding="utf-8")
    m = re.search(r"(\n\s*serial:\s*)(\d+)", text)
    serial = int(m.group(2)) + 1
    notice.write_text(text[:m.start()] + m.group(1) + str(serial) + text[m.end():], encoding="utf-8")
    return f"〔{year}〕{serial}号"


def pdf_text(path: Path) -> str:
    import pdfplumber

    with pdfplumber.open(path) as pdf:
        return "".join((p.extract_text() or "") for p in pdf.pages[:1])


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", default=str(ROOT / "data"))
    ap.add_argument("--year", type=int, default=2024)
    ap.add_argument("--keep", help="work in this folder (kept) instead of a temp folder")
    ap.add_argument("--quick", action="store_true", help="accepted for invoke bench (the sample year is small)")
    opts = ap.parse_args()
    year = opts.year
    base = Path(opts.keep) if opts.keep else Path(tempfile.mkdtemp(prefix="kjhdz-bench-inc-"))
    if base.exists() and opts.keep:
        shutil.rmtree(base)
    base.mkdir(parents=True, exist_ok=True)
    data = base / "data"
    shutil.copytree(opts.data, data, ignore=shutil.ignore_patterns("register.json", ".register.lock"))
    env = dict(os.environ, KJHDZ_DATA=str(data), KJHDZ_BUILD=str(base / "build"),
               KJHDZ_ARCHIVE=str(base / "archive"), KJHDZ_CACHE=str(base / "cache"))
    build, archive = base / "build", base / "archive"
    times, checks = {}, {}
    try:
        for step in ("cold", "unchanged", "correction", "notice"):
            if step == "correction":
                unit, indicator, expected, path = correct_one(data, build, year)
            if step == "notice":
                number = bump_serial(data, year)
            before = versions(archive, year)
            times[step], done = run(["build-all", "--year", str(year), "--quiet"], env)
            after = versions(archive, year)
            new = [v for v in after if v not in before]
            print(f"{step:<11} {times[step]:7.1f} s  exit {done.returncode}  new versions: {new or 'none'}",
                  flush=True)
            if done.returncode != 0:
                print(done.stderr[-3000:], file=sys.stderr)
                return 1
            if step == "unchanged":
                checks["unchanged seals nothing"] = new == [] and f"{year}: {before[-1]} is current" in done.stderr
            if step == "correction":
                bag = archive / str(year) / new[0] if len(new) == 1 else None
                ok = bag is not None
                if ok:
                    got = json.loads((bag / "data" / "reports" / "summary" / "summary.json")
                                     .read_text(encoding="utf-8"))["totals"][indicator]
                    seal = json.loads((bag / "data" / "reports" / "seal.json").read_text(encoding="utf-8"))
                    named = [c["题名"] for c in seal["changes"]["added"]]
                    ok = got == expected and [c["件"] for c in seal["changes"]["added"]] == \
                        [f"submission:statistics:{path.name}"]
                    print(f"            {unit} {indicator}: total {got} (expected {expected}); "
                          f"seal.json added: {named}")
                checks["correction seals one version with the corrected total"] = ok
            if step == "notice":
                text = re.sub(r"\s+", "", pdf_text(build / str(year) / "notice" / "notice.pdf"))
                checks["notice rebuilt with the new number"] = number in text and len(new) == 1
        t_verify, done = run(["verify", "--year", str(year), "--quiet"], env)
        checks["every bag validates (invoke verify)"] = done.returncode == 0
        print(f"verify      {t_verify:7.1f} s  exit {done.returncode}")
    finally:
        if not opts.keep:
            shutil.rmtree(base, ignore_errors=True)
    ratios = {"unchanged": times["unchanged"] / times["cold"], "correction": times["correction"] / times["cold"],
              "notice": times["notice"] / times["cold"]}
    print(f"unchanged / cold = {ratios['unchanged']:.2f} (target ≤ {UNCHANGED_MAX}: "
          f"{'met' if ratios['unchanged'] <= UNCHANGED_MAX else 'MISSED'})")
    print(f"correction / cold = {ratios['correction']:.2f} (target ≤ {CORRECTION_MAX}: "
          f"{'met' if ratios['correction'] <= CORRECTION_MAX else 'MISSED'})")
    print(f"notice change / cold = {ratios['notice']:.2f}")
    for name, ok in checks.items():
        print(f"{'ok  ' if ok else 'FAIL'} {name}")
    met = all(checks.values()) and ratios["unchanged"] <= UNCHANGED_MAX and ratios["correction"] <= CORRECTION_MAX
    emit("incremental", {"seconds": times, "ratios": ratios, "checks": checks, "met": met, "machine": machine()})
    return 0 if all(checks.values()) else 1


if __name__ == "__main__":
    sys.exit(main())

"""Conversion: the year's documents and workbook renditions to PDF/A-2b through the project's converter,
against one ``soffice --convert-to`` process per file.

    .venv/bin/python benchmarks/bench_conversion.py [--quick] [--naive-sample N]

The files: every workbook of the sample 2024 inboxes (``data/2024/inbox/``, received from the sample mail, .xlsx/.xls/.ods, as the archive
renders them), the year's built documents when ``build/2024/`` holds them (notice, 推荐清单, summary report),
and each unit's own 总结报告 (.docx, generated) — at least 100 files. The project's side converts them all in
one :func:`kjhdz_docs.converter.convert_to_pdf` call (batched soffice starts, two workers, private profiles).
The naive side starts one soffice per file (the same PDF/A filter and fonts, a warmed private profile) on a
sample of ``--naive-sample`` files spread over the kinds, and its time per file is extrapolated to all files:
the output says so.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
from pathlib import Path

from common import ROOT, emit, run_quiet, timer, verdict

TARGET = 6.0


def year_files(workdir: Path, *, quick: bool) -> list[Path]:
    from kjhdz_docs import sample_data
    from kjhdz_docs.paths import build_root
    from kjhdz_docs.roster import load_roster

    inbox = ROOT / "data" / "2024" / "inbox"
    if not inbox.is_dir():                 # a fresh clone: the sample year arrives as mail (as build-all receives it)
        from kjhdz_docs.receive.filing import receive_sample
        receive_sample(2024)
    books = sorted(p for p in inbox.rglob("*") if p.suffix in {".xlsx", ".xls", ".ods"})
    built = sorted(p for p in (build_root() / "2024").glob("*/*.docx")) if (build_root() / "2024").is_dir() else []
    reports = []
    units = list(load_roster(2024).units)
    for n, unit in enumerate(units[: 4 if quick else len(units)]):
        values = sample_data.unit_values(unit.name, unit.kind, 2024)
        reports.append(sample_data.write_unit_report(workdir / f"report-{n:03d}.docx", unit.name, 2024, values))
    files = books + built + reports
    if quick:
        files = books[:6] + built[:1] + reports
    return files


def naive_convert(files: list[Path], outdir: Path) -> float:
    """One soffice process per file; returns the seconds it took."""
    from kjhdz_docs import converter
    from kjhdz_docs.fonts import fontconfig_env

    soffice = converter.soffice_path()
    profile = outdir / "profile"
    env = fontconfig_env()
    env.setdefault("SAL_USE_VCLPLUGIN", "svp")

    def one(path: Path) -> None:
        spec = converter.filter_spec(path.suffix, pdfa=True)
        proc = run_quiet([soffice, f"-env:UserInstallation={profile.as_uri()}", "--headless", "--norestore",
                          "--convert-to", spec, "--outdir", str(outdir), str(path)], env=env, timeout=300)
        if proc.returncode != 0 or not (outdir / (path.stem + ".pdf")).exists():
            raise RuntimeError(f"soffice failed on {path.name}: {proc.stderr[-300:]}")

    one(files[0])                     # creates and warms the profile: not timed
    with timer() as t:
        for path in files:
            one(path)
    return t()


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="about 10 files, naive sample of 2 (checks it runs)")
    ap.add_argument("--naive-sample", type=int, default=None, help="files converted one process each (default 10)")
    args = ap.parse_args(argv)

    from kjhdz_docs import console, converter

    console.configure(quiet=True)
    with tempfile.TemporaryDirectory(prefix="kjhdz-bench-convert-") as tmp:
        tmp = Path(tmp)
        files = year_files(tmp / "reports", quick=args.quick)
        kinds = {}
        for p in files:
            kinds[p.suffix] = kinds.get(p.suffix, 0) + 1
        print(f"conversion: {len(files)} files to PDF/A-2b ("
              + ", ".join(f"{v} {k}" for k, v in sorted(kinds.items())) + ")")
        pairs = [(p, tmp / "project" / f"{n:04d}.pdf") for n, p in enumerate(files)]
        with timer() as t_project:
            converter.convert_to_pdf(pairs, workers=2)
        project = t_project()

        k = args.naive_sample or (2 if args.quick else 10)
        step = max(1, len(files) // k)
        sample = files[::step][:k]
        staged = tmp / "naive-in"
        staged.mkdir()
        copies = []
        for n, p in enumerate(sample):     # unique stems, as the converter does
            copies.append(shutil.copyfile(p, staged / f"s{n:03d}{p.suffix}"))
        (tmp / "naive").mkdir()
        naive_sample = naive_convert([Path(c) for c in copies], tmp / "naive")
    per_naive = naive_sample / len(sample)
    naive_total = per_naive * len(files)
    ratio = naive_total / project
    print(f"  project converter (one call, 2 workers): {project:7.2f} s  {project / len(files):.3f} s/file")
    print(f"  naive, one soffice per file:             {naive_sample:7.2f} s for a sample of {len(sample)} "
          f"→ {per_naive:.3f} s/file, extrapolated to {len(files)} files: {naive_total:.1f} s")
    print(f"  ratio naive/project: {ratio:.1f}×  {verdict(ratio, TARGET)}")
    emit("conversion", {"files": len(files), "project_s": round(project, 3),
                        "project_per_file_s": round(project / len(files), 4), "naive_sample": len(sample),
                        "naive_per_file_s": round(per_naive, 4), "naive_extrapolated_s": round(naive_total, 2),
                        "ratio": round(ratio, 2), "target": TARGET, "met": ratio >= TARGET})
    return 0


if __name__ == "__main__":
    sys.exit(main())

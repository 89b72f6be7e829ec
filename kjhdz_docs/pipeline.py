"""``invoke build-all``: the whole yearly cycle in order.

notice → recommendations → summary → archive → verify (of the version this run sealed; nothing when the year
was unchanged — ``invoke verify`` checks every version) → browse (a sample year's committed mail,
``data/<year>/mail/sample.mbox``, is received first). A hard error (typed
:class:`~kjhdz_docs.errors.KjhdzError`) stops the run where it happened; a rejected submitted file
does not: it is the intake's finding, sealed with its reason, and the run ends with exit code 0 after
printing, last, what was rejected and where to look (so that ``build-all && …`` chains).

While the notice, the 推荐清单 and the summary are built, a forked process makes the seal's renditions of the
submitted files ahead into the cache (:mod:`kjhdz_docs.archive.prefetch`); the seal waits for it, then finds
them there.
"""

from __future__ import annotations

import time

from . import console
from .errors import ExitCode


def build_all(year: int) -> int:
    """Build, seal, verify and browse ``year``; 0 when every step completed (errors raise).

    A rejected submitted file does not change the exit code (the stages report it, the seal keeps it with
    its reason); the closing lines name each one and the intake reports to read."""
    from .archive.browse import browse
    from .archive.seal import seal_year
    from .archive.verify import verify
    from .notice import build_notice
    from .receive.filing import receive_sample, sample_mbox
    from .recommendations import build_recommendations
    from .summary import build_summary

    from .archive import prefetch

    sealed: list[str] = []

    def archive_step() -> int:
        prefetch.finish_all()             # stops after what it is converting; the seal waits for that
        before = _versions(year)
        done = seal_year(year)
        sealed.extend(v for v in _versions(year) if v not in before)
        return done

    def verify_step() -> int:
        if sealed:
            return verify(year, versions=sealed)
        current = (_versions(year) or ["—"])[-1]
        console.err.print(f"{year}: verify: nothing was sealed in this run ({current} had its 四性检测 when it was "
                          f"sealed); invoke verify --year {year} checks every version again", highlight=False)
        return 0

    steps = [("notice", lambda: build_notice(year)),
             ("recommendations", lambda: build_recommendations(year)),
             ("summary", lambda: build_summary(year)),
             ("archive", archive_step),
             ("verify", verify_step),
             ("browse", lambda: browse())]
    steps[2:2] = previous_year_steps(year)
    if sample_mbox(year) is not None:       # the sample year arrives as mail: receive it before the intake
        steps.insert(0, ("receive (sample mail)", lambda: receive_sample(year)))
    rejected = False
    timings = []
    began = time.monotonic()
    try:
        for name, step in steps:
            if name == "notice":          # the inboxes are complete: the seal's renditions can start
                prefetch.start(year)
            console.say(f"[bold]── {name} ──[/bold]")
            started = time.monotonic()
            result = step()
            timings.append((name, f"{time.monotonic() - started:.1f} s", result or 0))
            if result == ExitCode.REJECTED_INPUT:
                rejected = True
            elif result:
                raise RuntimeError(f"{name} returned the unexpected exit code {result}")
    finally:
        prefetch.stop_all()
    console.table(f"{year}: every step done", ["step", "time", "exit"], timings)
    console.err.print(f"{year}: every step done in {time.monotonic() - began:.1f} s "
                      f"({', '.join(f'{n} {t}' for n, t, _ in timings)})", highlight=False, soft_wrap=True)
    where_to_look(year)
    if rejected:
        rejected_files(year)
    return int(ExitCode.OK)


def _versions(year: int) -> list[str]:
    from .archive.index import versions
    from .paths import archive_root

    folder = archive_root() / str(year)
    return [v.name for v in versions(folder)] if folder.is_dir() else []


# --- the year before and the closing lines (sample-year support) ----------------------------------------
def previous_year_steps(year: int) -> list:
    """Build ``year - 1``'s summary data first (summary.json and its intake report, no documents) when its
    统计表 inbox exists but no summary.json of it does (neither in build/ nor in the archive), so that the
    summary report can compare year over year.
    Rejected files of the year before do not change this run's exit code."""
    from .intake import default_inbox
    from .model import FormKind
    from .receive.filing import receive_sample, sample_mbox
    from .summary import build_summary, find_previous

    prev = year - 1
    if find_previous(year) is not None:
        return []
    steps = []
    if sample_mbox(prev) is not None:
        steps.append((f"receive {prev} (sample mail)", lambda: receive_sample(prev)))
    elif not default_inbox(prev, FormKind.STATISTICS).is_dir():
        return []
    return steps + [(f"summary {prev} (data)", lambda: build_summary(prev, documents=False) and 0)]


def where_to_look(year: int) -> None:
    """The last lines of the run: the sealed year and the index pages (printed even with --quiet)."""
    from .paths import archive_root

    root = archive_root()
    console.err.print(f"archive: {root / str(year)}\n"
                      f"index:   {root / 'index.html'}  ({(root / 'index.html').as_uri()})\n"
                      f"         {root / str(year) / 'index.html'}", highlight=False, soft_wrap=True)


def rejected_files(year: int) -> list[str]:
    """The last lines of a run whose intake rejected files: each file, and the intake reports that say why
    (printed even with --quiet). Returns the files."""
    import json

    from .paths import build_dir

    lines, files = [], []
    for stage in ("recommendations", "summary"):
        report = build_dir(year, stage) / "intake.json"
        try:
            data = json.loads(report.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        subs = data.get("submissions", data) if isinstance(data, dict) else data
        bad = [s for s in subs if isinstance(s, dict) and s.get("status") == "rejected"]
        if bad:
            lines.append(f"  {stage}: {len(bad)} rejected — {report}")
            for s in bad:
                rules = sorted({p.get("rule", "?") for p in s.get("problems") or []})
                lines.append(f"    {s.get('file')}  ({', '.join(rules) or 'rejected'})")
                files.append(s.get("file"))
    if lines:
        console.err.print(f"rejected submissions (archived with their reasons; the builds and the seal completed):\n"
                          + "\n".join(lines), highlight=False, soft_wrap=True, markup=False)
    return files

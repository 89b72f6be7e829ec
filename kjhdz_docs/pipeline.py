"""``invoke build-all``: the whole yearly cycle in order.

notice → recommendations → summary → archive → verify → browse. A hard error (typed
:class:`~kjhdz_docs.errors.KjhdzError`) stops the run where it happened; a rejected submitted file
does not: the year is still built and sealed, and the run ends with exit code 1.
"""

from __future__ import annotations

import time

from . import console
from .errors import ExitCode


def build_all(year: int) -> int:
    """Build and seal ``year``; 1 when an intake rejected a submitted file, else 0 (errors raise)."""
    from .archive.browse import browse
    from .archive.seal import seal_year
    from .archive.verify import verify
    from .notice import build_notice
    from .recommendations import build_recommendations
    from .summary import build_summary

    steps = [("notice", lambda: build_notice(year)),
             ("recommendations", lambda: build_recommendations(year)),
             ("summary", lambda: build_summary(year)),
             ("archive", lambda: seal_year(year)),
             ("verify", lambda: verify(year)),
             ("browse", lambda: browse())]
    steps[2:2] = previous_year_steps(year)
    code = ExitCode.OK
    timings = []
    for name, step in steps:
        console.say(f"[bold]── {name} ──[/bold]")
        started = time.monotonic()
        result = step()
        timings.append((name, f"{time.monotonic() - started:.1f} s", result or 0))
        if result == ExitCode.REJECTED_INPUT:
            code = ExitCode.REJECTED_INPUT
        elif result:
            raise RuntimeError(f"{name} returned the unexpected exit code {result}")
    console.table(f"{year}: every step done", ["step", "time", "exit"], timings)
    if code:
        console.say("some submitted files were rejected (see the intake reports); they are archived with the reason")
    where_to_look(year)
    return int(code)


# --- the year before and the closing lines (sample-year support) ----------------------------------------
def previous_year_steps(year: int) -> list:
    """Build ``year - 1``'s summary data first when its 统计表 inbox exists but no summary.json of it does
    (neither in build/ nor in the archive), so that the summary report can compare year over year.
    Rejected files of the year before do not change this run's exit code."""
    from .intake import default_inbox
    from .model import FormKind
    from .summary import build_summary, find_previous

    prev = year - 1
    if find_previous(year) is not None or not default_inbox(prev, FormKind.STATISTICS).is_dir():
        return []
    return [(f"summary {prev}", lambda: build_summary(prev) and 0)]


def where_to_look(year: int) -> None:
    """The last lines of the run: the sealed year and the index pages (printed even with --quiet)."""
    from .paths import archive_root

    root = archive_root()
    console.err.print(f"archive: {root / str(year)}\n"
                      f"index:   {root / 'index.html'}  ({(root / 'index.html').as_uri()})\n"
                      f"         {root / str(year) / 'index.html'}", highlight=False, soft_wrap=True)

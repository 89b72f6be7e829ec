"""kjhdz-docs tasks: the yearly cycle of 全国科技活动周, one command per step.

Each task parses its options and calls one library function in ``kjhdz_docs``; the library
returns an exit code (0 = fine, 1 = some submitted file was rejected) or raises a typed error,
which becomes the documented exit code here and nowhere else.
"""

from __future__ import annotations

from invoke import Exit, task


def _run(call, *, quiet: bool = False, verbose: bool = False) -> None:
    """Run one library call; its return value is the exit code. Every exception becomes its documented
    exit code here (and only here): a typed error its own, a full disk 7, anything else 70 ("please report")."""
    import os

    from kjhdz_docs import console
    from kjhdz_docs.errors import exit_for, exit_message

    console.configure(quiet=quiet, verbose=verbose)
    try:
        code = call()
    except Exit:
        raise
    except KeyboardInterrupt:
        raise Exit("interrupted", code=130) from None
    except Exception as exc:   # noqa: BLE001 - the one place exceptions become exit codes
        raise Exit(exit_message(exc, traceback=verbose or os.environ.get("KJHDZ_TRACEBACK") == "1"),
                   code=exit_for(exc)) from None
    if code:
        raise Exit(code=int(code))


@task(help={"year": "the year of the notice (data/<year>/notice.yaml)",
            "out": "output folder (default build/<year>/notice/)",
            "quiet": "print nothing but errors", "verbose": "debug logging"})
def build_notice(c, year=2024, out=None, quiet=False, verbose=False):
    """Render the official notice (.docx + PDF/A-2b) and the two blank forms (.xlsx)."""
    from kjhdz_docs.notice import build_notice as run

    _run(lambda: run(int(year), out=out), quiet=quiet, verbose=verbose)


@task(iterable=["source"],
      help={"year": "the year (files into data/<year>/inbox/, the register data/<year>/register.json)",
            "source": "an .eml/.msg/mbox file, a Maildir, or a folder of them (repeatable)",
            "imap": "also read the mailbox of data/<year>/mail.yaml (read-only; password in KJHDZ_IMAP_PASSWORD)",
            "json": "print what was registered as JSON on stdout",
            "quiet": "print nothing but errors", "verbose": "debug logging"})
def receive(c, year=2024, source=None, imap=False, json=False, quiet=False, verbose=False):
    """Register received mail (time, sender, message) and file its attachments into the inboxes by content."""
    from kjhdz_docs.receive.filing import run

    _run(lambda: run(int(year), source or [], imap=imap, as_json=json), quiet=quiet, verbose=verbose)


@task(help={"year": "the year", "inbox": "folder of submitted 推荐表 (default data/<year>/inbox/recommendations/)",
            "out": "output folder (default build/<year>/recommendations/)",
            "rotation": "轮值主场 selection file (default data/<year>/rotation.yaml with the year's own inbox)",
            "json": "print recommendations.json (the list, the 待核实 rows and the intake report) on stdout", "quiet": "print nothing but errors",
            "verbose": "debug logging"})
def build_recommendations(c, year=2024, inbox=None, out=None, rotation=None, json=False, quiet=False,
                          verbose=False):
    """Read every submitted 附件1 推荐表 and build the national 推荐清单 (.docx, PDF, .xlsx, .json)."""
    from kjhdz_docs.recommendations import build_recommendations as run

    _run(lambda: run(int(year), inbox=inbox, out=out, as_json=json, rotation=rotation), quiet=quiet,
         verbose=verbose)


@task(help={"year": "the year", "inbox": "folder of submitted 统计表 (default data/<year>/inbox/statistics/)",
            "out": "output folder (default build/<year>/summary/)",
            "json": "print the totals and intake report as JSON on stdout", "quiet": "print nothing but errors",
            "verbose": "debug logging"})
def build_summary(c, year=2024, inbox=None, out=None, json=False, quiet=False, verbose=False):
    """Aggregate every submitted 附件2 统计表 into the national summary report (.docx, PDF, .xlsx, .json)."""
    from kjhdz_docs.summary import build_summary as run

    _run(lambda: run(int(year), inbox=inbox, out=out, as_json=json), quiet=quiet, verbose=verbose)


@task(help={"year": "the year to seal", "force": "seal a new version even when nothing changed (needs --reason)",
            "reason": "why an unchanged year is sealed again (recorded in seal.json and bag-info.txt)",
            "quiet": "print nothing but errors", "verbose": "debug logging"})
def archive(c, year=2024, force=False, reason=None, quiet=False, verbose=False):
    """Seal the year's documents and submissions into archive/<year>/ (BagIt, 档号, stamped PDF/A) when they changed."""
    from kjhdz_docs.archive.seal import seal_year as run

    _run(lambda: run(int(year), force=force, reason=reason), quiet=quiet, verbose=verbose)


@task(help={"year": "only this year (default: every sealed year)", "json": "print the report as JSON on stdout",
            "quiet": "print nothing but errors"})
def verify(c, year=None, json=False, quiet=False):
    """四性检测 (DA/T 70): check the authenticity, integrity, usability and safety of sealed years."""
    from kjhdz_docs.archive.verify import verify as run

    _run(lambda: run(int(year) if year else None, as_json=json), quiet=quiet)


@task(help={"text": "words in the 题名 or the full text of the 件 (ranked, with a snippet)", "year": "year", "dh": "档号 (or its beginning)",
            "number": "文件编号 (发文字号)", "unit": "unit (责任者)",
            "type": "record type (notice, recommendations, summary, submission, letter)",
            "json": "print matches as JSON"})
def search(c, text=None, year=None, dh=None, number=None, unit=None, type=None, json=False):
    """Search the archive: 题名 and full text of every sealed year, 档号, 文件编号, unit, type."""
    from kjhdz_docs.archive.search import search as run

    _run(lambda: run(text=text, year=int(year) if year else None, dh=dh, number=number, unit=unit,
                     record_type=type, as_json=json))


@task(help={"serve": "also serve the pages on localhost", "port": "port for --serve"})
def browse(c, serve=False, port=8765):
    """Write the static HTML index (archive/index.html and archive/<year>/index.html)."""
    from kjhdz_docs.archive.browse import browse as run

    _run(lambda: run(serve=serve, port=int(port)))


@task
def reindex(c):
    """Rebuild archive/index.json from the sealed bags (never changes a bag)."""
    from kjhdz_docs.archive.index import reindex as run

    _run(run)


@task(help={"year": "the year", "quiet": "print nothing but errors", "verbose": "debug logging"})
def build_all(c, year=2024, quiet=False, verbose=False):
    """The whole cycle: notice → recommendations → summary → archive → verify → browse."""
    from kjhdz_docs.pipeline import build_all as run

    _run(lambda: run(int(year)), quiet=quiet, verbose=verbose)


@task(help={"year": "the year", "form": "only this form: statistics or recommendations",
            "json": "print the status as JSON on stdout",
            "today": "the day the deadlines are counted from (YYYY-MM-DD; default: today, China time)",
            "quiet": "print nothing but errors"})
def status(c, year=2024, form=None, json=False, today=None, quiet=False):
    """Where every roster unit stands with each form: state, received, sender, problems, letters, deadline."""
    from kjhdz_docs.status import show_status as run

    _run(lambda: run(int(year), form=form, as_json=json, today=today), quiet=quiet)


@task(help={"year": "the year", "form": "only this form: statistics or recommendations",
            "unit": "only this unit (any name the roster knows)",
            "send": "send the drafts through SMTP (data/<year>/mail.yaml, KJHDZ_SMTP_PASSWORD), each letter once",
            "today": "the letters' date (YYYY-MM-DD; default: today, China time)",
            "quiet": "print nothing but errors", "verbose": "debug logging"})
def letters(c, year=2024, form=None, unit=None, send=False, today=None, quiet=False, verbose=False):
    """Write the 退回修改通知, 核实函, 催报通知 and 回执 (.docx, PDF, .eml draft); --send sends them."""
    from kjhdz_docs.letters import write_letters as run

    _run(lambda: run(int(year), form=form, unit=unit, send=send, today=today), quiet=quiet, verbose=verbose)


@task(help={"cache": "also empty the cache of conversions and stage results (.cache/kjhdz/)"})
def clean(c, cache=False):
    """Remove the build outputs (build/); with --cache also the cache. The archive is never touched."""
    from kjhdz_docs.cache import clean as run

    _run(lambda: run(cache=cache))


@task
def make_templates(c):
    """Regenerate the docxtpl templates in doc_templates/ from their builder."""
    from kjhdz_docs.template_builder import build_all_templates as run

    _run(run)


@task(help={"year": "only this year (default: the sample years 2023 and 2024)",
            "renditions": "also save the .xls/.ods renditions through LibreOffice (default on)"})
def make_sample_data(c, year=None, renditions=True):
    """Regenerate the fictional sample mail data/<year>/mail/sample.mbox (deterministic); build-all receives it."""
    from kjhdz_docs.sample_data import SAMPLE_YEARS, generate as run

    _run(lambda: run([int(year)] if year else SAMPLE_YEARS, renditions=renditions))


@task(help={"quick": "small sizes (checks the benchmarks run)"})
def bench(c, quick=False):
    """Run the benchmarks in benchmarks/ and print their ratios."""
    from kjhdz_docs.bench import run_all as run

    _run(lambda: run(quick=quick))

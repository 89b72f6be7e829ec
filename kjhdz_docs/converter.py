"""LibreOffice: the one wrapper around ``soffice --convert-to``.

- PDF/A-2b through the JSON filter syntax (the older ``SelectPdfVersion=2`` form is silently ignored).
- Every soffice process gets a private profile directory (two processes sharing one: one converts nothing),
  taken from a small pool guarded by file locks so that concurrent runs never share one and repeated
  runs skip the ~1 s cost of creating a profile.
- Documents are batched: one soffice start converts many files (at most ``max_batch``, 100 by default:
  soffice keeps what it has loaded until it exits, so a fresh start per 100 files bounds its memory);
  two workers run in parallel.
- Before LibreOffice starts, the Python process hands freed heap memory back to the system
  (:func:`release_memory`): rendering a long document leaves the heap hundreds of MB larger than needed,
  and soffice's memory adds to it while the two run side by side.
- A timeout on every soffice start that grows with the number of documents and their size in bytes (a
  long 推荐清单 takes far longer than a form); the whole process group is killed when it fires.
- Exit status 0 is not trusted: every expected PDF must exist, open with pikepdf, have pages,
  and (for PDF/A) claim PDF/A-2b. Partial output is deleted; good output is moved into place atomically.
- Cached: a conversion whose inputs were converted before (same bytes, filter, date, LibreOffice build,
  fonts and code: :func:`conversion_key`) is served from :mod:`kjhdz_docs.cache` without starting soffice.
- Reproducible: LibreOffice writes the clock into a PDF (DocInfo /CreationDate, xmp:CreateDate) and a
  random /ID. In the same pikepdf pass that checks it, the PDF gets the document's own date
  (``document_date``; none given: ``SOURCE_DATE_EPOCH`` or no date at all) and an /ID derived from its
  content, so the same document gives the same bytes.
"""

from __future__ import annotations

from .staging import save_pdf
import datetime as dt
import json
import logging
import os
import shutil
import signal
import subprocess
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pikepdf
from filelock import FileLock, Timeout

from .errors import ConversionError, ConversionTimeout, MissingDependencyError
from .fonts import fontconfig_env

log = logging.getLogger(__name__)

WRITER_SUFFIXES = {".docx", ".doc", ".odt", ".rtf"}
CALC_SUFFIXES = {".xlsx", ".xls", ".ods", ".csv"}
INSTALL_HINT = ("install LibreOffice: apt-get install --no-install-recommends "
                "libreoffice-writer-nogui libreoffice-calc-nogui (or run scripts/quickstart.sh setup)")


def soffice_path() -> str:
    """The soffice executable (``KJHDZ_SOFFICE`` overrides the PATH lookup)."""
    explicit = os.environ.get("KJHDZ_SOFFICE")
    found = explicit if explicit and Path(explicit).exists() else shutil.which("soffice")
    if not found:
        raise MissingDependencyError("LibreOffice (soffice) was not found", hint=INSTALL_HINT)
    return found


def available() -> bool:
    try:
        soffice_path()
        return True
    except MissingDependencyError:
        return False


def version() -> str:
    out = subprocess.run([soffice_path(), "--version"], capture_output=True, text=True, timeout=60)
    return out.stdout.strip()


def filter_spec(suffix: str, *, pdfa: bool) -> str:
    app = "calc" if suffix.lower() in CALC_SUFFIXES else "writer"
    options = {"SelectPdfVersion": {"type": "long", "value": "2" if pdfa else "0"}}
    if app == "calc":
        options["SinglePageSheets"] = {"type": "boolean", "value": "false"}
    return f"pdf:{app}_pdf_Export:{json.dumps(options, separators=(',', ':'))}"


def profile_pool_dir() -> Path:
    base = os.environ.get("KJHDZ_LO_PROFILES") or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache"), "kjhdz-docs", "lo-profiles")
    path = Path(base)
    path.mkdir(parents=True, exist_ok=True)
    return path


class _Profile:
    """A private LibreOffice profile directory, held under a file lock for the duration of one process."""

    def __init__(self, pool: Path, slots: int = 32):
        self.pool = pool
        self.slots = slots
        self.lock: FileLock | None = None
        self.path: Path | None = None

    def __enter__(self) -> Path:
        for i in range(self.slots):
            lock = FileLock(str(self.pool / f"profile-{i}.lock"))
            try:
                lock.acquire(timeout=0)
            except Timeout:
                continue
            self.lock, self.path = lock, self.pool / f"profile-{i}"
            return self.path
        # Every slot busy: fall back to a throwaway profile.
        self.path = Path(tempfile.mkdtemp(prefix="lo-profile-", dir=self.pool))
        return self.path

    def __exit__(self, *exc):
        if self.lock is not None:
            self.lock.release()
        elif self.path is not None:
            shutil.rmtree(self.path, ignore_errors=True)


@dataclass(frozen=True)
class Job:
    source: Path
    target: Path
    date: dt.datetime | None = None      # the document's own date, written into the PDF


def verify_pdf(path: Path, *, pdfa: bool, publish_to: Path | None = None,
               date: dt.datetime | None = None) -> str | None:
    """Why ``path`` is not a usable PDF, or None when it is.

    With ``publish_to``, a good PDF is also written there (atomically) with ``date`` as its creation and
    modification date and a content-derived /ID (one pikepdf pass for the check and the rewrite)."""
    from .reproducible import set_pdf_dates

    if not path.exists():
        return "no PDF was written"
    if path.stat().st_size == 0:
        return "the PDF is empty (0 bytes)"
    try:
        with pikepdf.open(path) as pdf:
            repaired = pdf.get_warnings()       # qpdf rebuilt a damaged file (e.g. truncated): never accept it
            if repaired:
                return f"the PDF does not open without repair ({str(repaired[0]).split(': ', 1)[-1]})"
            if len(pdf.pages) == 0:
                return "the PDF has no pages"
            if pdfa:
                status = pdf.open_metadata().pdfa_status
                if status != "2B":
                    return f"the PDF does not claim PDF/A-2b (claims {status or 'nothing'})"
            if publish_to is not None:
                set_pdf_dates(pdf, date)
                publish_to.parent.mkdir(parents=True, exist_ok=True)
                tmp = publish_to.with_name(f".{publish_to.name}.part")
                save_pdf(pdf, tmp)
                os.replace(tmp, publish_to)
    except pikepdf.PdfError as exc:
        return f"the PDF does not open: {exc}"
    return None


# target format -> (LibreOffice filter for --convert-to, output suffix)
OTHER_FORMATS = {
    "xls": ('xls:MS Excel 97', ".xls"),
    "ods": ("ods", ".ods"),
    "xlsx": ('xlsx:Calc MS Excel 2007 XML', ".xlsx"),
    "docx": ('docx:MS Word 2007 XML', ".docx"),
    "odt": ("odt", ".odt"),
}


def _verify_other(path: Path) -> str | None:
    if not path.exists():
        return "no file was written"
    if path.stat().st_size == 0:
        return "the file is empty (0 bytes)"
    return None


def _run_batch(soffice: str, jobs: list[Job], staging: Path, *, pdfa: bool, timeout: float,
               target: str = "pdf") -> dict[Job, str]:
    """Convert ``jobs`` (all of one application) in one soffice process. Returns failures."""
    indir = staging / "in"
    outdir = staging / "out"
    indir.mkdir(parents=True)
    outdir.mkdir()
    staged: list[tuple[Job, Path]] = []
    for n, job in enumerate(jobs):
        # unique, ASCII names: soffice names output by input stem, and two inputs may share a stem
        link = indir / f"d{n:05d}{job.source.suffix.lower()}"
        try:
            os.link(job.source, link)
        except OSError:
            shutil.copyfile(job.source, link)
        staged.append((job, link))
    if target == "pdf":
        spec, out_suffix = filter_spec(jobs[0].source.suffix, pdfa=pdfa), ".pdf"
    else:
        spec, out_suffix = OTHER_FORMATS[target]
    failures: dict[Job, str] = {}
    with _Profile(profile_pool_dir()) as profile:
        cmd = [soffice, f"-env:UserInstallation={profile.resolve().as_uri()}", "--headless", "--norestore",
               "--nologo", "--nodefault", "--nolockcheck", "--convert-to", spec, "--outdir", str(outdir),
               *[str(p) for _, p in staged]]
        env = fontconfig_env()
        env.setdefault("SAL_USE_VCLPLUGIN", "svp")
        started = time.monotonic()
        proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env,
                                start_new_session=True, stdin=subprocess.DEVNULL)
        try:
            _, stderr = proc.communicate(timeout=timeout)
        except BaseException as exc:             # a timeout, Ctrl-C or SIGTERM: no soffice is left behind
            _kill_group(proc)
            if not isinstance(exc, subprocess.TimeoutExpired):
                raise
            done = [job.source.name for job, p in staged if (outdir / (p.stem + out_suffix)).exists()]
            pending = [job.source.name for job, p in staged if not (outdir / (p.stem + out_suffix)).exists()]
            raise ConversionTimeout(
                f"LibreOffice did not finish within {timeout:.0f} s; stuck on {pending[0] if pending else '?'}"
                f" ({len(done)} of {len(staged)} converted before the timeout)",
                pending,
                hint="check that document opens in LibreOffice; the process group was killed")
        elapsed = time.monotonic() - started
        err = stderr.decode("utf-8", "replace").strip()
        if err:
            log.debug("soffice stderr: %s", err)
        log.debug("soffice converted %d file(s) in %.2f s (rc=%s)", len(staged), elapsed, proc.returncode)
    for job, link in staged:
        produced = outdir / (link.stem + out_suffix)
        if target == "pdf":
            why = verify_pdf(produced, pdfa=pdfa, publish_to=job.target, date=job.date)
            if why is None:
                produced.unlink(missing_ok=True)
                continue
        else:
            why = _verify_other(produced)
        if why is None:
            job.target.parent.mkdir(parents=True, exist_ok=True)
            tmp = job.target.with_name(f".{job.target.name}.part")
            shutil.copyfile(produced, tmp)
            os.replace(tmp, job.target)
        else:
            detail = f" (soffice exit {proc.returncode}{': ' + err[-300:] if err else ''})"
            failures[job] = why + detail
            produced.unlink(missing_ok=True)
    return failures


def _kill_group(proc: subprocess.Popen) -> None:
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    proc.wait()


def release_memory() -> None:
    """Return freed heap memory to the system (glibc ``malloc_trim``; nothing elsewhere).

    Measured: rendering a 推荐清单 of 9,000 rows raises the process from 90 MB to 374 MB, and it stays
    there after the render (freed but kept by the allocator); ``malloc_trim(0)`` brings it back to 92 MB.
    """
    import ctypes
    import gc

    gc.collect()
    try:
        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):
        pass


def batch_timeout(jobs: list[Job], *, base: float, per_document: float, per_100kb: float) -> float:
    """Seconds one soffice start may take for ``jobs``: ``base + per_document × n + per_100kb × KB / 100``.

    The size term covers long documents: a 推荐清单 of 3,000 rows (about 220 KB as .docx) takes about 21 s
    to lay out, where a 6.5 KB form takes 0.1 s.
    """
    size = sum(job.source.stat().st_size for job in jobs)
    return base + per_document * len(jobs) + per_100kb * size / 100_000


def convert_to_pdf(sources: list[Path] | list[tuple[Path, Path]], outdir: Path | None = None, *,
                   pdfa: bool = True, workers: int = 2, timeout_base: float = 60.0,
                   timeout_per_document: float = 20.0, timeout_per_100kb: float = 20.0,
                   max_batch: int = 100, target: str = "pdf", document_date=None,
                   link_from_cache: bool = False) -> list[Path]:
    """Convert documents and workbooks to PDF(/A-2b) in as few LibreOffice starts as possible.

    ``sources`` is a list of input paths (each PDF is written to ``outdir/<stem>.pdf``) or of
    ``(input, output_pdf)`` pairs. Returns the output paths in input order. ``target`` may also be
    one of :data:`OTHER_FORMATS` (e.g. ``"xls"`` to write legacy workbooks); see :func:`convert_files`. Raises
    :class:`ConversionError` listing every document that failed; documents that succeeded are in place.

    Each soffice start converts at most ``max_batch`` files, ``workers`` starts at a time. Each start may
    take ``timeout_base`` s + ``timeout_per_document`` s a file + ``timeout_per_100kb`` s per 100 KB of
    input (:func:`batch_timeout`): 60 s + 20 s + 20 s per 100 KB by default.

    ``document_date`` (ISO date, date or aware datetime) is written into every PDF as its creation and
    modification date (:mod:`kjhdz_docs.reproducible`).

    ``link_from_cache``: a PDF served from the cache is hard-linked to its output, not copied — only for
    outputs in a private work folder that are read and then deleted (:func:`.cache.restore`).
    """
    from .reproducible import document_time

    when = document_time(document_date)
    jobs: list[Job] = []
    for item in sources:
        if isinstance(item, tuple):
            src, dst = Path(item[0]), Path(item[1])
        else:
            if outdir is None:
                raise ValueError("outdir is required when sources are plain paths")
            src = Path(item)
            dst = Path(outdir) / (src.stem + (".pdf" if target == "pdf" else OTHER_FORMATS[target][1]))
        if not src.exists():
            raise ConversionError(f"{src}: the document to convert does not exist", [str(src)])
        jobs.append(Job(src, dst, when))
    if not jobs:
        return []
    soffice = soffice_path()
    all_jobs = jobs
    keys = {job: conversion_key(job, target=target, pdfa=pdfa) for job in jobs}
    jobs = [job for job in jobs if not _from_cache(job, keys[job], link_from_cache)]
    if len(jobs) < len(all_jobs):
        log.info("%d of %d conversion(s) served from the cache", len(all_jobs) - len(jobs), len(all_jobs))
    if not jobs:
        return [j.target for j in all_jobs]
    release_memory()
    # group by application (writer/calc filter), then split each group across the workers
    groups: dict[str, list[Job]] = {}
    for job in jobs:
        groups.setdefault("calc" if job.source.suffix.lower() in CALC_SUFFIXES else "writer", []).append(job)
    batches: list[list[Job]] = []
    for group in groups.values():
        n = max(1, min(len(group), max(workers, -(-len(group) // max(1, max_batch)))))
        size = -(-len(group) // n)
        batches.extend(group[i:i + size] for i in range(0, len(group), size))
    failures: dict[Job, str] = {}
    errors: list[ConversionError] = []
    with tempfile.TemporaryDirectory(prefix="kjhdz-convert-") as tmp:
        def run(i_batch):
            i, batch = i_batch
            timeout = batch_timeout(batch, base=timeout_base, per_document=timeout_per_document,
                                    per_100kb=timeout_per_100kb)
            return _run_batch(soffice, batch, Path(tmp) / f"b{i}", pdfa=pdfa, timeout=timeout, target=target)

        with ThreadPoolExecutor(max_workers=max(1, workers)) as pool:
            futures = [pool.submit(run, ib) for ib in enumerate(batches)]
            converted: list[Job] = []
            for batch, fut in zip(batches, futures):
                try:
                    failed = fut.result()
                    failures.update(failed)
                    converted += [job for job in batch if job not in failed]
                except ConversionError as exc:
                    errors.append(exc)
    if errors or failures:
        docs = [d for e in errors for d in e.documents] + [j.source.name for j in failures]
        lines = [str(e).splitlines()[0] for e in errors] + [f"{j.source.name}: {why}" for j, why in failures.items()]
        cls = ConversionTimeout if errors and all(isinstance(e, ConversionTimeout) for e in errors) and not failures \
            else ConversionError
        _store(converted, keys)
        raise cls("LibreOffice conversion failed:\n  - " + "\n  - ".join(lines), docs,
                  hint="open the named documents in LibreOffice to see why; nothing invalid was kept")
    _store(converted, keys)
    return [j.target for j in all_jobs]


# --- the conversion cache (kjhdz_docs.cache) -------------------------------------------------------------
CACHED_NAME = "out"


def conversion_key(job: Job, *, target: str, pdfa: bool) -> str:
    """Everything that changes a conversion's bytes: the input's bytes and type, the filter and its
    options, the document date written into the PDF, the LibreOffice build, the fonts, and this module's
    code (its check-and-rewrite pass)."""
    from . import cache

    spec = filter_spec(job.source.suffix, pdfa=pdfa) if target == "pdf" else OTHER_FORMATS[target][0]
    return (cache.Key("convert").add("target", target).add("filter", spec).add("suffix", job.source.suffix.lower())
            .add("date", job.date.isoformat() if job.date else None).file("input", job.source)
            .add("libreoffice", cache.libreoffice()).add("fonts", cache.fonts())
            .add("code", [cache.file_sha256(Path(m.__file__)) for m in _code_modules()]).hexdigest())


def in_cache(source: Path, *, pdfa: bool = True, target: str = "pdf", document_date=None) -> bool:
    """Whether the cache lists a conversion of ``source`` with these options (nothing is restored or
    converted, nor the entry read: :func:`convert_to_pdf` checks it when it serves it, and converts again
    an entry found damaged then)."""
    from . import cache
    from .reproducible import document_time

    job = Job(Path(source), Path(source), document_time(document_date))
    return cache.listed("convert", conversion_key(job, target=target, pdfa=pdfa))


def _code_modules():
    from . import converter, reproducible

    return (converter, reproducible)


def _from_cache(job: Job, key: str, link: bool = False) -> bool:
    from . import cache

    hit = cache.get("convert", key)
    if hit is None or CACHED_NAME not in hit.files:
        return False
    cache.restore(hit, CACHED_NAME, job.target, link=link)
    return True


def _store(converted: list[Job], keys: dict[Job, str]) -> None:
    """Keep what this run converted (checked and published just now) for the next run."""
    from . import cache

    stored = 0
    for job in converted:
        if job.target.is_file():
            stored += cache.put("convert", keys[job], {CACHED_NAME: job.target},
                                info={"source": job.source.name})
    if stored:
        cache.prune()


def convert_files(sources: list[Path] | list[tuple[Path, Path]], outdir: Path | None = None, *,
                  target: str, **options) -> list[Path]:
    """Convert office files to another office format (``xls``, ``ods``, ``xlsx``, ``docx``, ``odt``)."""
    if target not in OTHER_FORMATS:
        raise ValueError(f"unknown target format {target!r}")
    return convert_to_pdf(sources, outdir, target=target, pdfa=False, **options)

"""Renditions made ahead: while ``build-all``'s first stages run (the notice, the 推荐清单 and the summary
report, mostly one core's work), a forked process converts the year's submitted files into the cache —
LibreOffice for workbooks and documents, OCRmyPDF for scans — with the same keys the seal's
:mod:`.normalize` uses, so that the seal finds them there instead of starting LibreOffice again.

Nothing here decides what is archived: the seal still plans every rendition from the intake reports, and
makes whatever is not in the cache itself. Only regular files are read (a symbolic link is never followed),
a workbook only after the intake's safety checks, and a failure here is silent: the seal meets the same file
and reports it.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import stat
import tempfile
from pathlib import Path

log = logging.getLogger(__name__)


def submitted_files(year: int) -> list[Path]:
    """The regular files of the year's inboxes as the intake lists them (:func:`..intake.inbox.inbox_entries`:
    links never followed), hidden names and folders left out, in path order."""
    from ..intake import default_inbox
    from ..intake.inbox import inbox_entries
    from ..model import FormKind

    found = []
    for kind in FormKind:
        top = default_inbox(year, kind)
        for path, rel in inbox_entries(top) if top.is_dir() else []:
            try:
                regular = stat.S_ISREG(os.lstat(path).st_mode)
            except OSError:
                continue
            if regular and not any(part.startswith(".") for part in rel.split("/")):
                found.append(Path(path))
    return found


def missing_conversions(files: list[Path]) -> tuple[list[Path], list[tuple[Path, str, int | None]]]:
    """The office files (workbooks passing the safety checks, documents) and the scans whose rendition is not
    in the cache yet (each scan with its OCR key and resolution), as the seal's conversions would look them up."""
    from .. import cache, converter
    from ..intake.safety import UnsafeFile, check_file
    from .normalize import kind_of, ocr_key

    office, scans = [], []
    for path in files:
        kind = kind_of(path.name)
        try:
            if kind in ("workbook", "document") and not converter.in_cache(path):
                if kind == "workbook":
                    check_file(path)          # before LibreOffice opens it
                office.append(path)
            elif kind == "scan":
                key, dpi, _ = ocr_key(path)
                if not cache.listed("ocr", key):
                    scans.append((path, key, dpi))
        except (UnsafeFile, OSError, ValueError) as exc:
            log.debug("%s: not made ahead (%s)", path, exc)
    return office, scans


CHUNK = 30          # files per LibreOffice start here: the seal asks this process to stop after the current one


def make_ahead(year: int, stop=None) -> None:
    """Convert into the cache what the seal of ``year`` will need and does not find there: one LibreOffice
    process at a time (the foreground stages keep the other core), a scan's OCR after each; stops between two
    of them once ``stop`` (a :class:`multiprocessing.Event`) is set (:func:`finish_all`)."""
    from .. import cache, converter
    from .normalize import ocr_into_cache

    if cache.cache_root() is None:
        return
    office, scans = missing_conversions(submitted_files(year))
    chunks = [office[i:i + CHUNK] for i in range(0, len(office), CHUNK)]
    with tempfile.TemporaryDirectory(prefix="kjhdz-ahead-") as tmp:
        stopping = stop.is_set if stop is not None else (lambda: False)
        for n in range(max(len(chunks), len(scans))):
            if stopping():
                return
            if n < len(chunks):
                try:
                    converter.convert_to_pdf([(p, Path(tmp) / f"{n:03d}-{i:05d}.pdf") for i, p in enumerate(chunks[n])],
                                             workers=1)
                except Exception as exc:       # the seal converts these itself and reports what fails
                    log.debug("made ahead with failures: %s", exc)
            if n < len(scans) and not stopping():
                path, key, dpi = scans[n]
                try:
                    ocr_into_cache(path, Path(tmp) / f"ocr-{n:04d}.pdf", key, dpi)
                except Exception as exc:
                    log.debug("%s: OCR ahead failed (%s)", path, exc)


def _child(year: int, stop) -> None:
    import signal

    from .. import console

    def terminate(*_):
        raise SystemExit(1)              # unwinds: the converter kills its soffice, temp folders go

    signal.signal(signal.SIGTERM, terminate)
    console.configure(quiet=True)
    logging.disable(logging.WARNING)     # what fails here the seal meets and reports
    make_ahead(year, stop)


_running: list["Ahead"] = []


def start(year: int) -> None:
    """Start making ``year``'s renditions ahead (nothing where processes cannot fork)."""
    if "fork" in multiprocessing.get_all_start_methods():
        _running.append(Ahead(year))


def finish_all() -> None:
    """Ask every process making renditions ahead to stop after the conversion under way (the seal starts)."""
    for ahead in _running:
        ahead.stopping.set()


def wait_all() -> None:
    """Wait for every process making renditions ahead (the seal calls it before it converts anything)."""
    while _running:
        _running.pop().process.join()


def stop_all() -> None:
    """End every process still making renditions ahead (build-all is done or stopped)."""
    while _running:
        process = _running.pop().process
        if process.is_alive():
            process.terminate()
        process.join()


class Ahead:
    """One forked process making ``year``'s renditions ahead, and the event that asks it to finish."""

    def __init__(self, year: int):
        context = multiprocessing.get_context("fork")
        self.stopping = context.Event()
        self.process = context.Process(target=_child, args=(year, self.stopping), daemon=True,
                                       name=f"renditions-ahead-{year}")
        self.process.start()

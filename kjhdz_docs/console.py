"""Terminal output: logging and tables to stderr, machine-readable JSON to stdout."""

from __future__ import annotations

import json
import logging
import sys
from contextlib import contextmanager
from typing import Iterable, Iterator, TypeVar

from rich.console import Console
from rich.logging import RichHandler
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

T = TypeVar("T")

err = Console(stderr=True, highlight=False)
_quiet = False


def configure(*, quiet: bool = False, verbose: bool = False) -> None:
    global _quiet
    _quiet = quiet
    level = logging.WARNING if quiet else (logging.DEBUG if verbose else logging.INFO)
    logging.basicConfig(level=level, format="%(message)s", datefmt="[%X]",
                        handlers=[RichHandler(console=err, show_path=False, rich_tracebacks=False)], force=True)
    for noisy in ("filelock", "matplotlib", "PIL", "fontTools", "pdfminer"):
        logging.getLogger(noisy).setLevel(logging.WARNING)


def quiet() -> bool:
    return _quiet


def progress(items: Iterable[T], description: str, total: int | None = None) -> Iterator[T]:
    """Iterate with a progress bar on stderr (none when quiet or not a terminal)."""
    items = list(items) if total is None and not hasattr(items, "__len__") else items
    n = total if total is not None else len(items)  # type: ignore[arg-type]
    if _quiet or not err.is_terminal:
        yield from items
        return
    with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                  console=err, transient=True) as bar:
        task = bar.add_task(description, total=n)
        for item in items:
            yield item
            bar.advance(task)


@contextmanager
def status(message: str):
    if _quiet or not err.is_terminal:
        yield
        return
    with err.status(message):
        yield


def table(title: str, columns: list[str], rows: Iterable[Iterable[object]]) -> None:
    """A closing table on stderr (skipped with --quiet)."""
    if _quiet:
        return
    t = Table(title=title, title_justify="left")
    for c in columns:
        t.add_column(c)
    for r in rows:
        t.add_row(*[str(x) for x in r])
    err.print(t)


def say(message: str) -> None:
    """A line on stderr, never wrapped (so paths, fingerprints and names stay whole)."""
    if not _quiet:
        err.print(message, soft_wrap=True)


def say_text(message: str) -> None:
    """Like :func:`say`, the text taken literally (``[wrong-unit]`` is printed, not read as markup)."""
    if not _quiet:
        err.print(message, soft_wrap=True, markup=False)


def emit_json(data) -> None:
    """Machine-readable result on stdout."""
    sys.stdout.write(json.dumps(data, ensure_ascii=False, indent=2, sort_keys=True) + "\n")
    sys.stdout.flush()

"""CPU-bound work on both cores: one helper that maps a function over items in forked processes.

The work's shared state (a parsed roster, the year's plan, the signing key) is handed to the children by the
fork itself — set as :func:`shared` before the pool starts, never pickled — and each item's result comes
back in order. Below ``parallel_from`` items, with one core, or where ``fork`` does not exist, the same
function runs in this process, so the results are the same either way.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Iterator
from typing import Any

PROCESSES = 2          # the machines this runs on have 2 cores; a third process does not help (measured)

_SHARED: Any = None


def shared() -> Any:
    """The state the caller of :func:`fork_map` handed to the workers."""
    return _SHARED


def processes(n_items: int, parallel_from: int) -> int:
    """How many processes :func:`fork_map` uses for ``n_items``."""
    if n_items < parallel_from or not hasattr(os, "fork"):
        return 1
    return max(1, min(PROCESSES, os.cpu_count() or 1))


def fork_map(fn: Callable[[Any], Any], items: Iterable, *, state: Any = None, parallel_from: int = 2,
             procs: int | None = None) -> Iterator:
    """``fn(item)`` for each item, in order, as an iterator; ``fn`` is a module-level function that reads
    :func:`shared` (= ``state``). An exception in a worker is raised here.

    The workers are forked at the call, before the caller starts anything else (a progress bar's thread):
    a child never inherits a lock another thread held."""
    global _SHARED
    items = list(items)
    procs = procs if procs is not None else processes(len(items), parallel_from)
    if procs <= 1 or not hasattr(os, "fork"):
        return _here(fn, items, state)
    _SHARED = state
    from multiprocessing import get_context

    try:
        pool = get_context("fork").Pool(procs)
    finally:
        _SHARED = None           # the children have their copy
    return _pooled(pool, fn, items, procs)


def _here(fn, items, state) -> Iterator:
    global _SHARED
    try:
        for item in items:
            _SHARED = state
            yield fn(item)
    finally:
        _SHARED = None


def _pooled(pool, fn, items, procs) -> Iterator:
    with pool:
        yield from pool.imap(fn, items, chunksize=max(1, min(64, len(items) // (procs * 4))))

"""CPU-bound work on both cores: one helper that maps a function over items in forked processes.

The work's shared state (a parsed roster, the year's plan, the signing key) is handed to the children by the
fork itself — set as :func:`shared` before the pool starts, never pickled — and each item's result comes
back in order. Below ``parallel_from`` items, with one core, or where ``fork`` does not exist, the same
function runs in this process, so the results are the same either way.

:func:`fork_share` is the same for many small items (the intake's files): the calling process works too,
beside one forked child per further process, taking chunks of items from one queue as each is free; only the
child's results are pickled, and no pool or helper thread is started.
"""

from __future__ import annotations

import os
import pickle
import select
import signal
import struct
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


_RECORD = struct.Struct("<I")          # a chunk's number in the queue
_LENGTH = struct.Struct("<Q")          # a result message's length


def fork_share(fn: Callable[[Any], Any], items: Iterable, *, state: Any = None, parallel_from: int = 2,
               procs: int | None = None, chunk: int | None = None) -> Iterator:
    """``fn(item)`` for each item, in order, as an iterator, like :func:`fork_map` — but this process works
    too: ``procs - 1`` children are forked at the call and every process takes the next chunk of items from a
    shared queue (a pipe of chunk numbers) when it is free, so the load is balanced without a pool. A child's
    results come back pickled through a pipe; this process's own are never pickled. An exception in a child
    or here is raised here; a child that ends without its results raises :class:`RuntimeError`."""
    global _SHARED
    items = list(items)
    n = len(items)
    procs = procs if procs is not None else processes(n, parallel_from)
    if procs <= 1 or n < 2 or not hasattr(os, "fork"):
        return _here(fn, items, state)
    size = max(1, chunk or min(32, n // (procs * 8) or 1), -(-n // 16_000))   # the queue fits a pipe's 64 KiB
    bounds = [(lo, min(lo + size, n)) for lo in range(0, n, size)]
    tasks_r, tasks_w = os.pipe()
    results_r = results_w = -1
    children: list[int] = []
    try:
        _write_all(tasks_w, b"".join(_RECORD.pack(k) for k in range(len(bounds))))
        os.close(tasks_w)
        tasks_w = -1
        results_r, results_w = os.pipe()
        try:                         # room for the children's results while this process is busy (Linux)
            import fcntl
            fcntl.fcntl(results_w, getattr(fcntl, "F_SETPIPE_SZ", 1031), 1 << 20)
        except (ImportError, OSError):
            pass
        _SHARED = state
        for _ in range(procs - 1):
            pid = os.fork()
            if pid == 0:                                 # the child: never returns
                _share_child(fn, items, bounds, tasks_r, results_r, results_w)
            children.append(pid)
    except BaseException:
        _SHARED = None
        for fd in (tasks_r, tasks_w, results_r, results_w):
            if fd >= 0:
                os.close(fd)
        _reap(children, kill=True)
        raise
    _SHARED = None
    os.close(results_w)
    return _share_here(fn, items, bounds, state, tasks_r, results_r, children)


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view):]


def _share_child(fn, items, bounds, tasks_r, results_r, results_w) -> None:
    code = 0
    try:
        os.close(results_r)
        while len(record := os.read(tasks_r, _RECORD.size)) == _RECORD.size:
            k, = _RECORD.unpack(record)
            lo, hi = bounds[k]
            try:
                message = (k, [fn(items[i]) for i in range(lo, hi)], None)
            except BaseException as exc:             # raised in the parent
                message = (k, None, exc)
            try:
                payload = pickle.dumps(message, protocol=pickle.HIGHEST_PROTOCOL)
            except Exception as exc:                 # a result or an exception that cannot be pickled
                payload = pickle.dumps((k, None, RuntimeError(f"a worker's result could not be sent: {exc!r}")))
            _write_all(results_w, _LENGTH.pack(len(payload)) + payload)
            if message[2] is not None:
                break
    except BaseException:
        code = 1
    finally:
        os._exit(code)


def _share_here(fn, items, bounds, state, tasks_r, results_r, children) -> Iterator:
    global _SHARED
    ready: dict[int, list] = {}
    buffer = bytearray()
    following = 0                                    # the next chunk to hand out, in order
    open_ = True

    def receive(block: bool) -> bool:
        """Read what the children sent (waiting when ``block``); False at the end of their results."""
        nonlocal buffer
        if not block and not select.select([results_r], [], [], 0)[0]:
            return True
        data = os.read(results_r, 1 << 20)
        if not data:
            return False
        buffer += data
        while len(buffer) >= _LENGTH.size:
            length, = _LENGTH.unpack_from(buffer)
            if len(buffer) < _LENGTH.size + length:
                break
            k, results, exc = pickle.loads(bytes(buffer[_LENGTH.size:_LENGTH.size + length]))
            del buffer[:_LENGTH.size + length]
            if exc is not None:
                raise exc
            ready[k] = results
        return True

    try:
        while len(record := os.read(tasks_r, _RECORD.size)) == _RECORD.size:
            k, = _RECORD.unpack(record)
            lo, hi = bounds[k]
            try:
                _SHARED = state
                ready[k] = [fn(items[i]) for i in range(lo, hi)]
            finally:
                _SHARED = None
            if open_:
                open_ = receive(block=False)
            while following in ready:
                yield from ready.pop(following)
                following += 1
        while True:                                  # the queue is empty: the children's last chunks
            while following in ready:
                yield from ready.pop(following)
                following += 1
            if following == len(bounds):
                break
            if not open_:
                raise RuntimeError(f"a worker process ended without the results of items "
                                   f"{bounds[following][0]}–{bounds[following][1] - 1}")
            open_ = receive(block=True)
    finally:
        os.close(tasks_r)
        os.close(results_r)
        _reap(children, kill=following < len(bounds))


def _reap(children: list[int], *, kill: bool) -> None:
    """Wait for the children (ended at once when the work was given up)."""
    for pid in children:
        if kill:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        try:
            os.waitpid(pid, 0)
        except ChildProcessError:
            pass

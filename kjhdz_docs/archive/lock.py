"""One writer at a time: ``archive/.lock`` (filelock) guards sealing and the index.

A second run waits up to ``timeout`` seconds (``KJHDZ_ARCHIVE_LOCK_TIMEOUT``, default 120) and then
fails with :class:`ArchiveConflictError` naming the run that holds the lock.
"""

from __future__ import annotations

import os
import socket
from contextlib import contextmanager
from pathlib import Path

from filelock import FileLock, Timeout

from ..errors import ArchiveConflictError
from ..paths import archive_root

LOCK = ".lock"
HOLDER = ".lock-holder"


def default_timeout() -> float:
    return float(os.environ.get("KJHDZ_ARCHIVE_LOCK_TIMEOUT", "120"))


def holder(root: Path | None = None) -> str:
    """Who holds the lock, as the holder wrote it (empty when nobody said)."""
    path = (root or archive_root()) / HOLDER
    try:
        return path.read_text(encoding="utf-8").strip()
    except OSError:
        return ""


@contextmanager
def archive_lock(purpose: str, *, timeout: float | None = None, root: Path | None = None):
    """Hold ``archive/.lock`` for ``purpose`` (e.g. "sealing 2024")."""
    root = root or archive_root()
    root.mkdir(parents=True, exist_ok=True)
    lock = FileLock(str(root / LOCK))
    wait = default_timeout() if timeout is None else timeout
    try:
        lock.acquire(timeout=wait)
    except Timeout:
        who = holder(root) or "another process"
        raise ArchiveConflictError(
            f"{root}: the archive is locked by {who}; waited {wait:.0f} s",
            hint="let that run finish and try again (set KJHDZ_ARCHIVE_LOCK_TIMEOUT to wait longer)") from None
    try:
        (root / HOLDER).write_text(f"pid {os.getpid()} on {socket.gethostname()} ({purpose})\n", encoding="utf-8")
        yield root
    finally:
        try:
            (root / HOLDER).unlink()
        except OSError:
            pass
        lock.release()

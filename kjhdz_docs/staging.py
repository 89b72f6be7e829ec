"""Build in a temporary folder beside the destination, publish only when every file is complete.

Durability: :func:`fsync_tree` flushes every file and folder of a tree to the disk, :func:`publish_dir` and
:func:`replace_durably` rename into place between two flushes — the content before the rename (so the
new name never points at data still in the page cache), the parent folder after it (so the rename itself
survives a crash of the machine). The seal, the register, the archive index and the cache use them.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator


def fsync_path(path: Path) -> None:
    """Flush one file (or folder) to the disk."""
    flags = os.O_RDONLY | (os.O_DIRECTORY if Path(path).is_dir() else 0)
    fd = os.open(path, flags)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def fsync_dir(path: Path) -> None:
    """Flush a folder's entries (names, renames) to the disk."""
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def fsync_tree(root: Path) -> int:
    """Flush every file under ``root``, then every folder deepest first, then ``root``; returns the count."""
    root = Path(root)
    n = 0
    folders = []
    for dirpath, dirnames, filenames in os.walk(root):
        folders.append(dirpath)
        for name in filenames:
            p = os.path.join(dirpath, name)
            if not os.path.islink(p):
                fsync_path(Path(p))
                n += 1
    for d in sorted(folders, key=lambda p: -p.count(os.sep)):
        fsync_dir(Path(d))
        n += 1
    return n


def save_pdf(pdf, path: Path) -> Path:
    """Write a pikepdf document to ``path``: serialised in memory, then written and flushed by Python, so
    that a full disk is an ordinary ``OSError`` (qpdf writing through a Python file aborts the process on
    ENOSPC instead of raising)."""
    import io

    buf = io.BytesIO()
    pdf.save(buf, deterministic_id=True)
    with open(path, "wb") as fh:
        fh.write(buf.getbuffer())
        fh.flush()
        os.fsync(fh.fileno())
    return Path(path)


def replace_durably(src: Path, dst: Path) -> Path:
    """``os.replace(src, dst)`` with ``src`` flushed before and ``dst``'s folder flushed after."""
    fsync_path(src)
    os.replace(src, dst)
    fsync_dir(Path(dst).parent)
    return Path(dst)


def publish_dir(tmp: Path, final: Path) -> Path:
    """Rename the finished folder ``tmp`` to ``final`` (which must not exist): the whole tree flushed
    before, the parent folder after. Raises FileExistsError when ``final`` is there already."""
    final = Path(final)
    fsync_tree(tmp)
    if final.exists():
        raise FileExistsError(f"{final} exists")
    os.rename(tmp, final)
    fsync_dir(final.parent)
    return final


@contextmanager
def staged_output(outdir: Path) -> Iterator[tuple[Path, list[Path]]]:
    """Yield ``(workdir, published)``: write into ``workdir``; on a clean exit its files are moved into
    ``outdir`` (each an atomic rename on the same filesystem) and listed in ``published``.
    On an error nothing is published and the temporary folder is removed."""
    outdir = Path(outdir)
    outdir.parent.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=f".{outdir.name}-", dir=outdir.parent))
    published: list[Path] = []
    try:
        yield work, published
        outdir.mkdir(parents=True, exist_ok=True)
        for path in sorted(work.iterdir()):
            if path.name.startswith("."):
                continue
            os.replace(path, outdir / path.name)
            published.append(outdir / path.name)
    finally:
        shutil.rmtree(work, ignore_errors=True)

"""Build in a temporary folder beside the destination, publish only when every file is complete."""

from __future__ import annotations

import os
import shutil
import tempfile
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator


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

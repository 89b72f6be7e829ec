"""A sealed 2024 to drill on: the archive tests' small build tree (tests/archive_tree.py), sealed once."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

from kjhdz_docs.archive import index as archive_index

from .common import ROOT

SEAL = [sys.executable, "-m", "invoke", "archive", "--year", "2024"]


def seal_env(base: Path, archive: Path, **extra: str) -> dict:
    return dict(os.environ, KJHDZ_BUILD=str(base / "build"), KJHDZ_ARCHIVE=str(archive), **extra)


FORCE = ["--force", "--reason", "drill: seal the unchanged year again"]


def start_seal(base: Path, archive: Path, *args: str, **extra: str) -> subprocess.Popen:
    """``invoke archive --year 2024 [args]`` in its own process (stderr piped, line by line)."""
    return subprocess.Popen([*SEAL, *args], cwd=ROOT, env=seal_env(base, archive, **extra), stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)


def copy_archive(src: Path, dst: Path) -> Path:
    shutil.copytree(src, dst, symlinks=True)
    return dst


def versions(archive: Path) -> list[str]:
    return [p.name for p in archive_index.versions(archive / "2024")]


def index_consistent(archive: Path) -> bool:
    """index.json parses and holds exactly what the bags say (nothing more, nothing less)."""
    raw = json.loads((archive / archive_index.INDEX).read_text(encoding="utf-8"))   # parses: not torn
    assert isinstance(raw, dict)
    key = lambda e: (e["bag"], e["档号"])  # noqa: E731
    return sorted(archive_index.load_index(archive), key=key) == sorted(archive_index.collect_entries(archive), key=key)


def seal_test_year(base: Path) -> tuple[Path, Path]:
    """Build the small test year under ``base`` and seal it in-process: ``(base, archive with 2024/v1)``."""
    from kjhdz_docs.archive.seal import seal_year

    from ..archive_tree import year_tree

    with year_tree(base):
        assert seal_year(2024) == 0     # the test inboxes hold rejected files: sealed with their reasons
    return base, base / "archive"

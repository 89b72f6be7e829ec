"""Where things live: the project's data, templates, build outputs and archive."""

from __future__ import annotations

import os
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESOURCES = Path(__file__).resolve().parent / "resources"
TEMPLATES = ROOT / "doc_templates"


def data_dir(year: int) -> Path:
    """The year's inputs: notice content, roster, inboxes (``KJHDZ_DATA`` overrides ``data/``)."""
    return Path(os.environ.get("KJHDZ_DATA", ROOT / "data")) / str(year)


def build_root() -> Path:
    """Root of generated outputs (``KJHDZ_BUILD`` overrides ``build/``)."""
    return Path(os.environ.get("KJHDZ_BUILD", ROOT / "build"))


def build_dir(year: int, stage: str, out: str | os.PathLike | None = None) -> Path:
    """``build/<year>/<stage>/`` unless the caller chose ``out``."""
    if out:
        return Path(out)
    return build_root() / str(year) / stage


def archive_root() -> Path:
    """Root of sealed bundles (``KJHDZ_ARCHIVE`` overrides ``archive/``)."""
    return Path(os.environ.get("KJHDZ_ARCHIVE", ROOT / "archive"))

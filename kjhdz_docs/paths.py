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


REGISTER = "register.json"     # the receipt register of a year folder (kjhdz_docs.receive.register)


def year_dir_of_inbox(year: int, inbox) -> Path | None:
    """The year folder whose register covers ``inbox`` (``<year folder>/inbox/<kind>``): the year's own data
    folder, or any folder laid out that way that already has a register; None for a folder elsewhere (then
    no register is opened, nor its database library loaded)."""
    inbox = Path(inbox).resolve()
    own = data_dir(year).resolve()
    if inbox.is_relative_to(own / "inbox"):
        return own
    if inbox.parent.name == "inbox" and (inbox.parent.parent / REGISTER).is_file():
        return inbox.parent.parent
    return None

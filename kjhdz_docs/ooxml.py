"""Deterministic Office Open XML packages (.xlsx, .docx): same content, same bytes.

openpyxl and python-docx stamp the clock into the zip entries and ``docProps/core.xml``;
:func:`publish_deterministic` rewrites a freshly saved package with the document's own date (or, when it has
none, a fixed time) in both, the entries in their saved order, and renames it into place.
"""

from __future__ import annotations

import datetime as _dt
import os
import re
import zipfile
from pathlib import Path

from .reproducible import zip_time

FIXED_TIME = _dt.datetime(2000, 1, 1, 0, 0, 0)
_CORE_TIMES = re.compile(rb"(<dcterms:(?:created|modified)[^>]*>)[^<]*(</dcterms:(?:created|modified)>)")


def core_time(when: _dt.datetime | None) -> bytes:
    """The W3CDTF time written into ``docProps/core.xml`` (UTC)."""
    if when is None:
        return FIXED_TIME.strftime("%Y-%m-%dT%H:%M:%SZ").encode()
    return when.astimezone(_dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ").encode()


def publish_deterministic(raw: Path, path: Path, *, when: _dt.datetime | None = None) -> Path:
    """Rewrite the package ``raw`` with fixed timestamps into ``path`` (atomic); ``raw`` is removed.

    ``when`` is the document's own date (:func:`kjhdz_docs.reproducible.document_time`); without it the
    fixed time 2000-01-01 is used (templates and blank forms, which have no date of their own)."""
    stamp = core_time(when)
    entry_time = zip_time(when, FIXED_TIME)
    tmp = path.with_name(f".{path.name}.part")
    with zipfile.ZipFile(raw) as src, zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            data = src.read(info.filename)
            if info.filename == "docProps/core.xml":
                data = _CORE_TIMES.sub(rb"\g<1>" + stamp + rb"\g<2>", data)
            fixed = zipfile.ZipInfo(info.filename, date_time=entry_time)
            fixed.compress_type = zipfile.ZIP_DEFLATED
            fixed.external_attr = 0o600 << 16
            dst.writestr(fixed, data)
    raw.unlink()
    os.replace(tmp, path)
    return path

"""Deterministic Office Open XML packages (.xlsx, .docx): same content, same bytes.

openpyxl and python-docx stamp the clock into the zip entries and ``docProps/core.xml``;
:func:`publish_deterministic` rewrites a freshly saved package with fixed times and renames it into place.
"""

from __future__ import annotations

import datetime as _dt
import os
import re
import zipfile
from pathlib import Path

FIXED_TIME = _dt.datetime(2000, 1, 1, 0, 0, 0)
_CORE_TIMES = re.compile(rb"(<dcterms:(?:created|modified)[^>]*>)[^<]*(</dcterms:(?:created|modified)>)")


def publish_deterministic(raw: Path, path: Path) -> Path:
    """Rewrite the package ``raw`` with fixed timestamps into ``path`` (atomic); ``raw`` is removed."""
    stamp = FIXED_TIME.strftime("%Y-%m-%dT%H:%M:%SZ").encode()
    tmp = path.with_name(f".{path.name}.part")
    with zipfile.ZipFile(raw) as src, zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            data = src.read(info.filename)
            if info.filename == "docProps/core.xml":
                data = _CORE_TIMES.sub(rb"\g<1>" + stamp + rb"\g<2>", data)
            fixed = zipfile.ZipInfo(info.filename, date_time=FIXED_TIME.timetuple()[:6])
            fixed.compress_type = zipfile.ZIP_DEFLATED
            fixed.external_attr = 0o600 << 16
            dst.writestr(fixed, data)
    raw.unlink()
    os.replace(tmp, path)
    return path

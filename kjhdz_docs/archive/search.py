"""``invoke search``: find records in ``archive/index.json`` by year, 档号, 文件编号, unit, type, title words.

Only the latest sealed version of each year is searched; every matching 件 is listed with its 档号,
题名 and the path of its PDF (a table on stderr, or JSON on stdout).
"""

from __future__ import annotations

import unicodedata

from .. import console
from ..errors import MissingInputError
from ..paths import archive_root
from .index import index_path, load_index


def _norm(text: str) -> str:
    return unicodedata.normalize("NFKC", text or "").casefold()


def matches(entry: dict, *, text: str | None = None, year: int | None = None, dh: str | None = None,
            number: str | None = None, unit: str | None = None, record_type: str | None = None) -> bool:
    """True when ``entry`` satisfies every given criterion (words of ``text`` must all be in the title)."""
    if year is not None and entry.get("year") != int(year):
        return False
    if dh and not _norm(entry.get("档号", "")).startswith(_norm(dh)):
        return False
    if number and _norm(number) not in _norm(entry.get("文件编号", "")):
        return False
    if unit and not any(_norm(unit) in _norm(c) for c in (entry.get("责任者") or []) + [entry.get("unit") or ""]):
        return False
    if record_type and entry.get("type") != record_type:
        return False
    if text and not all(word in _norm(entry.get("题名", "")) for word in _norm(text).split()):
        return False
    return True


def find(*, text=None, year=None, dh=None, number=None, unit=None, record_type=None,
         all_versions: bool = False) -> list[dict]:
    entries = load_index()
    return sorted((e for e in entries if (all_versions or e.get("latest"))
                   and matches(e, text=text, year=year, dh=dh, number=number, unit=unit, record_type=record_type)),
                  key=lambda e: (e["year"], e["version"], e["件号"]))


def search(text: str | None = None, year: int | None = None, dh: str | None = None, number: str | None = None,
           unit: str | None = None, record_type: str | None = None, as_json: bool = False) -> int:
    """Print the matching records; 0 (also when nothing matches)."""
    if not index_path().exists():
        raise MissingInputError(f"{index_path()}: there is no archive index yet",
                                hint="seal a year first (invoke archive), or run invoke reindex")
    found = find(text=text, year=year, dh=dh, number=number, unit=unit, record_type=record_type)
    root = archive_root()
    console.table(f"{len(found)} 件", ["档号", "题名", "文件编号", "责任者", "日期", "页数", "PDF"],
                  [(e["档号"], e["题名"], e.get("文件编号") or "", "、".join(e.get("责任者") or []), e.get("日期") or "",
                    e.get("页数") or "", e.get("pdf") or "") for e in found])
    if as_json:
        console.emit_json({"archive": str(root), "count": len(found), "records": found})
    return 0

"""``invoke search``: find records by year, 档号, 文件编号, unit, type, and words of their 题名 or full text.

Only the latest sealed version of each year is searched. ``--text`` looks in the 题名 and the full text of
every 件 (:mod:`.fulltext`: the PDFs' text, OCR included, and the submitted workbooks' cells), ranks the hits
and shows a snippet around the match; the other criteria filter. Every matching 件 is listed with its 档号,
题名, year and PDF (a table on stderr, or JSON on stdout).
"""

from __future__ import annotations

import logging
import unicodedata

from .. import console
from ..errors import MissingInputError
from ..paths import archive_root
from . import fulltext
from .index import index_path, load_index

log = logging.getLogger(__name__)


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
    """The index entries that match; with ``text``, ranked best first and each with ``score``, ``snippet``,
    ``matched_file`` and ``in_title`` from the full-text index (title words only, and a warning, when there is
    no full-text index yet or ``all_versions`` asks for superseded versions, which it does not hold)."""
    root = archive_root()
    entries = [e for e in load_index(root) if (all_versions or e.get("latest"))
               and matches(e, year=year, dh=dh, number=number, unit=unit, record_type=record_type)]
    if text and not all_versions and fulltext.years(root):
        by_key = {(e["year"], e["档号"]): e for e in entries}
        hits = fulltext.search(root, text, year=year, filters=lambda d: (d["year"], d["档号"]) in by_key)
        return [{**by_key[(h["year"], h["档号"])], **{k: h[k] for k in ("score", "snippet", "matched_file", "in_title")}}
                for h in hits]
    if text:
        log.warning("%s: no full-text index%s; searching the 题名 only (run invoke reindex)",
                    root / fulltext.SEARCH_DIR, " of superseded versions" if all_versions else "")
    return sorted((e for e in entries if matches(e, text=text)),
                  key=lambda e: (e["year"], e["version"], e.get("序号") or e["件号"]))


def search(text: str | None = None, year: int | None = None, dh: str | None = None, number: str | None = None,
           unit: str | None = None, record_type: str | None = None, as_json: bool = False) -> int:
    """Print the matching records; 0 (also when nothing matches)."""
    if not index_path().exists():
        raise MissingInputError(f"{index_path()}: there is no archive index yet",
                                hint="seal a year first (invoke archive), or run invoke reindex")
    found = find(text=text, year=year, dh=dh, number=number, unit=unit, record_type=record_type)
    root = archive_root()
    if text:
        console.table(f"{len(found)} 件（按相关度排序）", ["档号", "题名", "年度", "片段", "PDF"],
                      [(e["档号"], e["题名"], e["year"], e.get("snippet") or "", e.get("pdf") or "") for e in found])
    else:
        console.table(f"{len(found)} 件", ["档号", "题名", "文件编号", "责任者", "日期", "页数", "PDF"],
                      [(e["档号"], e["题名"], e.get("文件编号") or "", "、".join(e.get("责任者") or []),
                        e.get("日期") or "", e.get("页数") or "", e.get("pdf") or "") for e in found])
    if as_json:
        console.emit_json({"archive": str(root), "count": len(found), "records": found})
    return 0

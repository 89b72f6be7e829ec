"""Full-text search across every sealed year: the text of each 件, extracted once, searched by the CLI and
by the browse page.

What is indexed for each 件 of the latest version of every year: the text of every PDF of the 件 (the
stamped renditions — built documents, submitted workbooks, normalized scans with their OCR text layer —
and submitted PDFs), by PDFium in content-stream order (which keeps the lines of a table cell together:
measured on the sample year with poppler, an activity name is in the content-order text of its PDFs 92.9 % of
the time, in the layout order 50.9 %, which interleaves neighbouring cells' lines; PDFium's text equals
``pdftotext -raw``'s on 123 of the sample year's 131 sealed PDFs and holds it on the other 8, where it also
keeps the text LibreOffice clipped at a cell's edge, at a fifteenth of the time); and the cell text of the submitted workbook (python-calamine,
through the intake's own safety checks), the cells the rendition's text does not already hold.

**Chinese segmentation: characters.** Text and query are normalized alike (NFKC; whitespace dropped next
to a CJK character, since the extracted text breaks a table cell's text into lines and spaces out 2024 年; other
runs of whitespace become one space) and a query word matches where its characters occur in sequence, i.e.
a character n-gram of the word's own length. Measured on the sample year (benchmarks/bench_sign_search.py,
figures in benchmarks/README.md): the 170 activity names of the submitted 推荐表 found the 推荐清单 and the
unit's 推荐表 every time both ways (340 of 340 pairs, characters and jieba); 23 words an archivist types (航天,
防灾减灾, 西城, 浑南 …) found all 301 件 that hold them by characters, 93.0 % by jieba's words (the same
normalized text; a hit when every word of the query is a word of the text), since jieba cuts 北京市西城区
into 北京市 | 西城区 (no 西城) and 沈阳市浑南区 into 沈阳市 | 浑 | 南区 (no 浑南).

Where it lives: ``archive/search/<year>.js`` (one file a sealed year, outside every bag; a ``<script>`` the
browse page loads from file://, whose second line is the JSON the CLI reads) and
``archive/search/cache/<year>-<version>.json`` (the extracted text by file sha256: a bag never changes, so
``reindex`` extracts only what it has not seen, and a new version only the files it does not share with the
versions before it). Both are rebuilt with the archive index
(:func:`.index.write_index`, after every seal and by ``invoke reindex``).
"""

from __future__ import annotations

import json
import logging
import math
import os
import re
import unicodedata
from pathlib import Path

from .. import console

log = logging.getLogger(__name__)

SEARCH_DIR = "search"
CACHE_DIR = "cache"
JS_GLOBAL = "KJHDZ_FULLTEXT"
EXTRACTOR = "pdfium text range; cells; normalize 1"   # a cache made otherwise is made again
WORKBOOK_SUFFIXES = {".xlsx", ".xlsm", ".xls", ".ods"}
SNIPPET_BEFORE, SNIPPET_AFTER = 30, 60
CJK = r"\u2e80-\u2fff\u3000-\u303f\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff00-\uffef"
_SPACE_NEXT_TO_CJK = re.compile(rf"\s+(?=[{CJK}])|(?<=[{CJK}])\s+")
_SPACES = re.compile(r"\s+")


def normalize(text: str) -> str:
    """The form text and queries are compared in (see the module's doc)."""
    text = unicodedata.normalize("NFKC", text or "")
    return _SPACES.sub(" ", _SPACE_NEXT_TO_CJK.sub("", text)).strip()


def query_words(text: str) -> list[str]:
    """The words of a query (split at whitespace first: a space between two Chinese words separates them),
    each normalized and case-folded, longest first, without repeats."""
    words = {normalize(w).casefold() for w in unicodedata.normalize("NFKC", text or "").split()}
    words.discard("")
    return sorted(words, key=lambda w: (-len(w), w))


# --- extraction -----------------------------------------------------------------------------------
def pdf_text(path: Path) -> str:
    """The text of a PDF in content-stream order (PDFium), normalized; "" when it has none or cannot be read."""
    import pypdfium2 as pdfium

    try:
        pdf = pdfium.PdfDocument(str(path))
    except (pdfium.PdfiumError, OSError) as exc:
        log.warning("%s: no text extracted (%s)", path, exc)
        return ""
    parts = []
    try:
        for page in pdf:
            text = page.get_textpage()
            try:
                parts.append(text.get_text_range())
            finally:
                text.close()
                page.close()
    except pdfium.PdfiumError as exc:
        log.warning("%s: text extracted from the first %d page(s) only (%s)", path, len(parts), exc)
    finally:
        pdf.close()
    return normalize("\n".join(parts))


def workbook_cells(path: Path) -> list[str]:
    """The non-blank cells of every worksheet, normalized, in sheet/row/column order ([] when the file fails
    the intake's safety checks or cannot be read: it is archived as submitted, never opened)."""
    from ..intake.reader import read_workbook
    from ..intake.safety import UnsafeFile

    try:
        grid = read_workbook(path)
    except (UnsafeFile, OSError):
        return []
    cells = []
    for sheet in grid.sheets:
        for row in sheet.rows:
            for value in row:
                if value not in (None, ""):
                    text = normalize(str(value))
                    if text:
                        cells.append(text)
    return cells


def _extract(path: Path) -> dict:
    suffix = path.suffix.lower()
    if suffix == ".pdf":
        return {"kind": "pdf", "text": pdf_text(path)}
    return {"kind": "cells", "cells": workbook_cells(path)}


def _indexable(f: dict) -> bool:
    suffix = Path(f["name"]).suffix.lower()
    return suffix == ".pdf" or (suffix in WORKBOOK_SUFFIXES and f["role"] == "submission")


def document(entry: dict, extracted: dict[str, dict]) -> dict:
    """One 件 as the search sees it: its index entry's fields (``title``: the 题名 normalized and case-folded) and
    its text, PDFs first, then the workbook cells the PDF text does not already contain; ``parts`` says where
    each file's text starts."""
    texts, parts = [], []
    files = sorted((f for f in entry.get("files", []) if f["sha256"] in extracted),
                   key=lambda f: (f["role"] != "rendition", not f["name"].lower().endswith(".pdf"), f["path"]))
    seen = ""
    pos = 0
    for f in files:
        got = extracted[f["sha256"]]
        if got["kind"] == "pdf":
            text = got["text"]
        else:
            text = " ".join(c for c in got["cells"] if c not in seen)
        if not text:
            continue
        parts.append({"at": pos, "file": f["path"], "role": f["role"], "name": f["name"]})
        texts.append(text)
        seen += text
        pos += len(text) + 1
    return {"档号": entry["档号"], "题名": entry["题名"], "title": normalize(entry["题名"]).casefold(),
            "year": entry["year"], "version": entry["version"],
            "件号": entry["件号"], "序号": entry.get("序号") or entry["件号"], "type": entry["type"],
            "unit": entry.get("unit"), "责任者": entry.get("责任者") or [], "pdf": entry.get("pdf"), "original": entry.get("original"),
            "text": "\n".join(texts), "parts": parts}


def _cache_path(root: Path, year: int, version: str) -> Path:
    return root / SEARCH_DIR / CACHE_DIR / f"{year}-{version}.json"


def _write_atomic(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.part")
    with open(tmp, "w", encoding="utf-8") as f:
        f.write(text)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)


def _read_cache(path: Path) -> dict:
    """A version's extracted text by file sha256 ({} when absent, unreadable or made by another extractor)."""
    try:
        cache = json.loads(path.read_text(encoding="utf-8"))
        return cache if isinstance(cache, dict) and cache.pop("_extractor", None) == EXTRACTOR else {}
    except (OSError, ValueError, AttributeError):
        return {}


def year_documents(root: Path, entries: list[dict]) -> list[dict]:
    """The documents of one bag's entries (extracting what the bag's cache does not hold yet)."""
    if not entries:
        return []
    year, version = entries[0]["year"], entries[0]["version"]
    cache_file = _cache_path(root, year, version)
    cache = _read_cache(cache_file)
    wanted = {f["sha256"]: root / f["path"] for e in entries for f in e.get("files", []) if _indexable(f)}
    if not cache_file.exists():                     # a new version: the text of files it shares with the version
        for other in sorted(cache_file.parent.glob(f"{year}-*.json")):       # before it is known by their sha256
            known = _read_cache(other)
            cache.update({sha: known[sha] for sha in wanted.keys() & known.keys() if sha not in cache})
    todo = {sha: path for sha, path in wanted.items() if sha not in cache}
    if todo:
        with console.status(f"full-text index: extracting the text of {len(todo)} file(s) of {year}/{version}"):
            for sha, path in todo.items():          # one at a time: PDFium is not thread-safe
                cache[sha] = _extract(path)
    if todo or not cache_file.exists():
        mine = {sha: cache[sha] for sha in wanted}
        _write_atomic(cache_file, json.dumps({"_extractor": EXTRACTOR, **mine}, ensure_ascii=False, sort_keys=True))
    return [document(e, cache) for e in sorted(entries, key=lambda e: e.get("序号") or e["件号"])]


def year_script(year: int, docs: list[dict]) -> str:
    """``archive/search/<year>.js``: a classic script (loadable from file://) whose second line is JSON."""
    payload = json.dumps({"year": year, "docs": docs}, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return (f"window.{JS_GLOBAL}=window.{JS_GLOBAL}||{{}};window.{JS_GLOBAL}[\"{year}\"]=\n"
            f"{payload.replace('</', '<' + chr(92) + '/')}\n;\n")


def write_search_index(root: Path, entries: list[dict]) -> dict[int, int]:
    """Rebuild ``archive/search/`` from the index entries of the latest versions (the caller holds the archive
    lock); returns {year: bytes of its script}. Years no longer sealed lose their script; caches of versions
    no longer latest are removed."""
    folder = root / SEARCH_DIR
    by_year: dict[int, list[dict]] = {}
    for e in entries:
        if e.get("latest"):
            by_year.setdefault(e["year"], []).append(e)
    sizes = {}
    keep_caches = set()
    for year, mine in sorted(by_year.items()):
        docs = year_documents(root, mine)
        keep_caches.add(_cache_path(root, year, mine[0]["version"]).name)
        path = folder / f"{year}.js"
        _write_atomic(path, year_script(year, docs))
        sizes[year] = path.stat().st_size
    if folder.exists():
        for old in folder.glob("*.js"):
            if old.stem.isdigit() and int(old.stem) not in by_year:
                old.unlink()
        for old in (folder / CACHE_DIR).glob("*.json") if (folder / CACHE_DIR).exists() else []:
            if old.name not in keep_caches:
                old.unlink()
    return sizes


# --- searching ------------------------------------------------------------------------------------
def years(root: Path) -> list[int]:
    folder = root / SEARCH_DIR
    return sorted(int(p.stem) for p in folder.glob("*.js") if p.stem.isdigit()) if folder.exists() else []


def load_year(root: Path, year: int) -> list[dict]:
    """The documents of one year from its script ([] when it is missing or unreadable)."""
    try:
        lines = (root / SEARCH_DIR / f"{year}.js").read_text(encoding="utf-8").split("\n")
        docs = json.loads(lines[1])["docs"]
    except (OSError, ValueError, IndexError, KeyError):
        return []
    return docs


def _cased(word: str) -> bool:
    return word.upper() != word.lower()


def score(doc: dict, words: list[str]) -> tuple[float, int, str] | None:
    """(score, position of the first hit in the text or -1, the word found there) when every word is in the
    题名 or the text; longer words and more occurrences weigh more, a word of the 题名 most."""
    text = doc["text"]
    title_f = doc.get("title")
    if title_f is None:                                  # a script written before ``title`` was stored
        title_f = doc["title"] = normalize(doc["题名"]).casefold()
    text_f = None
    total, first, found = 0.0, -1, ""
    for w in words:
        if _cased(w):
            text_f = text_f if text_f is not None else text.casefold()
            body = text_f
        else:
            body = text
        in_title = w in title_f
        n = body.count(w)
        if not in_title and not n:
            return None
        total += (10.0 if in_title else 0.0) + (1.0 + math.log(n) if n else 0.0) * len(w)
        if n and first < 0:
            first, found = body.find(w), w
    return total, first, found


def snippet(text: str, at: int, word: str) -> str:
    """The text around ``at`` (…before word after…)."""
    if at < 0:
        return text[:SNIPPET_BEFORE + SNIPPET_AFTER] + ("…" if len(text) > SNIPPET_BEFORE + SNIPPET_AFTER else "")
    start, end = max(0, at - SNIPPET_BEFORE), min(len(text), at + len(word) + SNIPPET_AFTER)
    return ("…" if start else "") + text[start:end].replace("\n", " ") + ("…" if end < len(text) else "")


def part_at(doc: dict, at: int) -> dict | None:
    found = None
    for p in doc.get("parts", []):
        if p["at"] <= at:
            found = p
    return found


def search(root: Path, text: str, *, year: int | None = None, filters=None, limit: int | None = None) -> list[dict]:
    """Every 件 of the latest sealed versions whose 题名 or text holds every word of ``text``, best first:
    each with its 档号, 题名, year, score, snippet and the file the snippet comes from."""
    words = query_words(text)
    if not words:
        return []
    hits = []
    for y in years(root):
        if year is not None and y != int(year):
            continue
        for doc in load_year(root, y):
            if filters is not None and not filters(doc):
                continue
            got = score(doc, words)
            if got is None:
                continue
            total, at, word = got
            part = part_at(doc, at) if at >= 0 else None
            hits.append({"档号": doc["档号"], "题名": doc["题名"], "year": doc["year"], "version": doc["version"],
                         "件号": doc["件号"], "序号": doc.get("序号") or doc["件号"], "type": doc["type"],
                         "unit": doc.get("unit"), "score": round(total, 3),
                         "snippet": snippet(doc["text"], at, word),
                         "matched_file": part["file"] if part else None,
                         "in_title": any(w in doc["title"] for w in words),
                         "pdf": doc.get("pdf"), "original": doc.get("original")})
    hits.sort(key=lambda h: (-h["score"], -h["year"], h["序号"]))
    return hits[:limit] if limit else hits

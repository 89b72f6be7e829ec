"""``invoke letters``: write every letter the season's status calls for into ``build/<year>/letters/<unit>/``.

A letter is written only when it is new: ``build/<year>/letters/letters.json`` records each letter's key
(:attr:`~kjhdz_docs.letters.wording.Letter.key`, the sha256 of its facts) and the date it was written; a
letter whose key is there, with its files, is kept as it is (same files, same date). A letter whose facts
changed gets a new key, a new name and today's date; the superseded one's files are removed from the build
folder (a letter that was sent stays in ``data/<year>/sent/`` and the register). All new letters of a run are
converted in one :func:`~kjhdz_docs.converter.convert_to_pdf` call.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
import shutil
import tempfile
from pathlib import Path

from .. import console, converter, fonts, parallel
from ..errors import DataFileError
from ..paths import build_dir
from ..receive.register import write_atomic
from ..status import load_season
from ..status.compute import FORM_ZH, FORMS, Season
from .render import draft, message_id, render_letter_docx
from .wording import KINDS, Letter, letters_for

MANIFEST = "letters.json"
MAX_BATCH = 160                     # letters a soffice start converts at most (two starts for 320 letters)
PARALLEL_FROM = 24                  # letters; below this one process renders them faster than starting two
SUFFIXES = (".docx", ".pdf", ".eml")

log = logging.getLogger(__name__)


def letters_root(year: int) -> Path:
    return build_dir(year, "letters")


def unit_folder(unit: str) -> str:
    """The folder of a unit's letters (its canonical roster name; a path separator would be refused)."""
    return unit.replace("/", "／").replace("\\", "＼")


def load_manifest(root: Path) -> dict[str, dict]:
    path = root / MANIFEST
    if not path.is_file():
        return {}
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        return {e["key"]: e for e in data["letters"]}
    except (ValueError, KeyError, TypeError) as exc:
        raise DataFileError(path, [f"the record of written letters cannot be read ({exc}); remove it to write "
                                   "every letter again"]) from None


def write_manifest(root: Path, year: int, entries: list[dict]) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    path = root / MANIFEST
    text = json.dumps({"year": year, "letters": entries}, ensure_ascii=False, indent=1, sort_keys=True) + "\n"
    write_atomic(path, text.encode("utf-8"))
    return path


def _files(root: Path, entry: dict) -> list[Path]:
    return [root / unit_folder(entry["unit"]) / (entry["name"] + s) for s in SUFFIXES]


def resolve_units(season: Season, unit: str | None) -> list[str]:
    if not unit:
        return [u.name for u in season.roster]
    found = season.roster.match(unit)
    if found is None:
        raise DataFileError("--unit", [f"{unit!r} is not a unit of the roster {season.roster.source}"])
    return [found.name]


def resolve_forms(form: str | None) -> list[str]:
    if not form:
        return [f.value for f in FORMS]
    if form not in FORM_ZH:
        raise DataFileError("--form", [f"form must be statistics or recommendations, not {form!r}"])
    return [form]


def _entry(season: Season, letter: Letter, letter_date: dt.date, eml_sha256: str) -> dict:
    return {"key": letter.key, "kind": letter.kind, "unit": letter.unit, "form": letter.form, "name": letter.name,
            "date": letter_date.isoformat(), "to": letter.to, "to_source": letter.to_source, "note": letter.note,
            "subject": letter.subject, "message_id": message_id(season, letter), "eml_sha256": eml_sha256,
            "files": [f"{unit_folder(letter.unit)}/{letter.name}{s}" for s in SUFFIXES]}


def _order(season: Season):
    forms = [f.value for f in FORMS]

    def key(e: dict):
        return (season.roster.order(e["unit"]), forms.index(e["form"]), KINDS.index(e["kind"]), e["name"])
    return key


def write_letters(year: int, *, form: str | None = None, unit: str | None = None, send: bool = False,
                  today: str | None = None, season: Season | None = None) -> int:
    """Write (and with ``send``, send) the letters of ``year``; returns 0."""
    from ..status import parse_day

    fonts.check_fonts()
    converter.soffice_path()
    season = season or load_season(year, today=parse_day(today))
    letter_date = season.today
    units, forms = resolve_units(season, unit), resolve_forms(form)
    root = letters_root(year)
    old = load_manifest(root)
    planned = [letter for u in units for f in forms for letter in letters_for(season, u, f, letter_date)]
    kept, new = [], []
    for letter in planned:
        entry = old.get(letter.key)
        if entry is not None and all(p.is_file() for p in _files(root, entry)):
            kept.append(entry)
        else:
            new.append(letter)
    written = _render_new(season, new, letter_date, root)
    in_scope = {(u, f) for u in units for f in forms}
    planned_keys = {letter.key for letter in planned}
    stale = [e for e in old.values() if (e["unit"], e["form"]) in in_scope and e["key"] not in planned_keys]
    others = [e for e in old.values() if (e["unit"], e["form"]) not in in_scope]
    entries = sorted(others + kept + written, key=_order(season))
    write_manifest(root, year, entries)
    for e in stale:
        for p in _files(root, e):
            p.unlink(missing_ok=True)
    console.table(f"{year} 函件 → {root}（新写 {len(written)}，未变 {len(kept)}，作废 {len(stale)}）",
                  ["单位", "报表", "函件", "收件人", "文件"],
                  [(e["unit"], FORM_ZH[e["form"]], e["kind"], e["to"] or f"（无：{e['note']}）", e["name"])
                   for e in entries if (e["unit"], e["form"]) in in_scope])
    console.say(f"letters: {len(written)} new, {len(kept)} unchanged, {len(stale)} superseded (removed from {root})")
    if send:
        from .send import send_letters

        scoped = [e for e in entries if (e["unit"], e["form"]) in in_scope]
        return send_letters(season, root, scoped)
    return 0


def _render_one(i: int) -> None:
    season, letters, letter_date, work = parallel.shared()
    letter = letters[i]
    render_letter_docx(season, letter, letter_date, work / unit_folder(letter.unit) / f"{letter.name}.docx")


def _render_all(season: Season, letters: list[Letter], letter_date: dt.date, work: Path) -> None:
    """Render every .docx; from PARALLEL_FROM letters on, in two forked processes (docxtpl is CPU-bound)."""
    for _ in parallel.fork_map(_render_one, range(len(letters)), state=(season, letters, letter_date, work),
                               parallel_from=PARALLEL_FROM):
        pass


def _render_new(season: Season, letters: list[Letter], letter_date: dt.date, root: Path) -> list[dict]:
    """Render, convert (one batch) and draft every new letter; publish each file by an atomic rename."""
    if not letters:
        return []
    import hashlib
    import time

    root.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=".letters-", dir=root.parent))
    try:
        started = time.perf_counter()
        _render_all(season, letters, letter_date, work)
        pairs = [(work / unit_folder(x.unit) / f"{x.name}.docx", work / unit_folder(x.unit) / f"{x.name}.pdf")
                 for x in letters]
        rendered = time.perf_counter()
        with console.status(f"converting {len(pairs)} letters"):
            # one call for every new letter, in as many soffice starts as there are workers (letters are small)
            converter.convert_to_pdf(pairs, document_date=letter_date,
                                     max_batch=min(MAX_BATCH, max(100, -(-len(pairs) // 2))))
        converted = time.perf_counter()
        entries = []
        for letter, (docx, pdf) in zip(letters, pairs):
            eml = draft(season, letter, letter_date, pdf)
            write_atomic(pdf.with_suffix(".eml"), eml)
            entries.append(_entry(season, letter, letter_date, hashlib.sha256(eml).hexdigest()))
        for letter in letters:
            target = root / unit_folder(letter.unit)
            target.mkdir(parents=True, exist_ok=True)
            for s in SUFFIXES:
                os.replace(work / unit_folder(letter.unit) / f"{letter.name}{s}", target / f"{letter.name}{s}")
        log.info("%d letters: rendered in %.1f s, converted in %.1f s (one call), drafted and published in %.1f s",
                 len(letters), rendered - started, converted - rendered, time.perf_counter() - converted)
        return entries
    finally:
        shutil.rmtree(work, ignore_errors=True)

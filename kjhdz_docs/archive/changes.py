"""What a seal would change: the content of a year's plan against its latest sealed version.

``invoke archive`` seals a new version only when the content differs from the latest one. The content
is what goes into the bag, taken from the plan before any work is done (:func:`content`): every 件's
descriptive metadata (档号, 题名, 责任者, 日期 …), the sha256 of each of its files and of the PDF its
rendition is made from, its intake status and problems; every stage report; the arrangement
(``archive.yaml``). Each 件 is identified across versions by what it is — the notice, the 推荐清单, the
summary report, a submitted file by its inbox and path, a letter sent by its Message-ID — so that a 件 whose 档号 moved (a file added
before it) is told apart from one whose content changed.

The content is written into ``seal.json`` (``content``: digest and one entry per 件), and a new version
records its difference from the one it supersedes (:func:`diff`: 件 added, removed, changed, renumbered,
each with its 档号) in ``seal.json`` (``changes``) and ``bag-info.txt`` (:func:`bag_info_lines`).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict
from pathlib import Path

from . import index as archive_index
from .records import DEFAULTED_TYPES, Record, YearPlan

FORMAT = 1            # bumped when what the content covers changes (then every year seals anew once)


def _sha256(path: Path) -> str:
    from ..cache import file_sha256

    return file_sha256(path)


def identity(rec: Record) -> str:
    """What a 件 is, independent of its 档号: its type, for a submission its inbox and file, for a letter sent
    (去文) its Message-ID."""
    if rec.type == "letter" and rec.letter:
        return f"letter:{rec.letter.get('message_id')}"
    if rec.type != "submission" or not rec.submission:
        return rec.type
    return f"submission:{rec.submission.get('kind')}:{rec.submission.get('file')}"


def _unnumbered(path: str | None) -> str | None:
    """A bag path without the 件's own folder number (``data/documents/0004/x.pdf`` → ``…/x.pdf``)."""
    if path and path.startswith("data/documents/"):
        return "data/documents/…/" + path.split("/", 3)[-1]
    return path


def record_content(rec: Record) -> dict:
    """What one 件 is made of, apart from its number (档号, 件号 and the folder named after it): its
    metadata, each file's bytes, the PDF its rendition is made from, its intake entry."""
    files = [{"role": m.role, "path": _unnumbered(m.path), "name": m.name,
              "sha256": m.sha256 or (_sha256(m.source) if m.source.is_file() else None)} for m in rec.members]
    out = {"type": rec.type, "title": rec.title, "creators": rec.creators,
            "date": rec.date, "doc_number": rec.doc_number, "disclosure": rec.disclosure,
            "retention": rec.retention, "organization": asdict(rec.organization), "files": files,
            "rendition_path": _unnumbered(rec.rendition_path),
            "rendition_source": _sha256(rec.rendition_source) if rec.rendition_source
            and rec.rendition_source.is_file() else None,
            "submission": rec.submission, "notes": rec.notes}
    if rec.letter is not None:
        out["letter"] = rec.letter
    return out


def _digest(value) -> str:
    return hashlib.sha256(json.dumps(value, ensure_ascii=False, sort_keys=True, default=str).encode()).hexdigest()


def content(plan: YearPlan) -> dict:
    """The content of a seal of ``plan``: ``digest`` over all of it (档号 included), ``items``
    {identity: {档号, 题名, digest of the 件 apart from its number}}, ``reports`` {bag path: sha256}."""
    items = {}
    for rec in plan.records:
        items[identity(rec)] = {"档号": rec.code, "题名": rec.title, "digest": _digest(record_content(rec))}
    reports = {path: _sha256(source) for source, path in plan.reports}
    config = _arrangement(plan)
    return {"format": FORMAT, "digest": _digest({"items": items, "reports": reports, "config": config}),
            "items": items, "reports": reports}


def _arrangement(plan: YearPlan) -> dict:
    """The configuration as the content covers it: the arrangement of a record type the year has no 件 of
    (the letters', before any was sent) changes nothing that is sealed, so it is left out — a year sealed
    before letters were archived is still current when no letter was sent."""
    config = asdict(plan.config)
    present = {rec.type for rec in plan.records}
    for t in DEFAULTED_TYPES:
        if t not in present:
            for part in ("retention", "organizations", "classification", "document_types"):
                (config.get(part) or {}).pop(t, None)
    return config


def latest(year_dir: Path) -> tuple[str | None, dict | None]:
    """(the latest sealed version, its recorded content or None when it records none)."""
    version = archive_index.latest_version(year_dir) if year_dir.is_dir() else None
    if version is None:
        return None, None
    from .seal import SEAL_REPORT

    try:
        seal = json.loads((year_dir / version / "data" / "reports" / SEAL_REPORT).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return version, None
    recorded = seal.get("content")
    return version, recorded if isinstance(recorded, dict) and recorded.get("format") == FORMAT else None


def unchanged(new: dict, recorded: dict | None) -> bool:
    return recorded is not None and recorded.get("digest") == new["digest"]


def diff(new: dict, recorded: dict | None, against: str | None) -> dict | None:
    """What changed from ``against`` (its recorded content) to ``new``; None for a first version."""
    if against is None:
        return None
    if recorded is None:
        return {"against": against, "known": False,
                "note": f"{against} records no content digest (sealed by an earlier version of the program); "
                        "the difference is not known", "added": [], "removed": [], "changed": [], "renumbered": [],
                "reports_changed": []}
    old, cur = recorded.get("items") or {}, new["items"]

    def entry(key, item, before=None):
        out = {"件": key, "档号": item["档号"], "题名": item["题名"]}
        if before is not None and before["档号"] != item["档号"]:
            out["原档号"] = before["档号"]
        return out

    added = [entry(k, cur[k]) for k in cur if k not in old]
    removed = [entry(k, old[k]) for k in old if k not in cur]
    changed = [entry(k, cur[k], old[k]) for k in cur if k in old and cur[k]["digest"] != old[k]["digest"]]
    renumbered = [entry(k, cur[k], old[k]) for k in cur if k in old and cur[k]["digest"] == old[k]["digest"]
                  and cur[k]["档号"] != old[k]["档号"]]
    old_reports, new_reports = recorded.get("reports") or {}, new.get("reports") or {}
    reports = sorted(p for p in old_reports.keys() | new_reports.keys() if old_reports.get(p) != new_reports.get(p))
    return {"against": against, "known": True, "added": added, "removed": removed, "changed": changed,
            "renumbered": renumbered, "reports_changed": reports}


def summary_line(changes: dict | None) -> str:
    if changes is None:
        return "first version"
    if not changes["known"]:
        return changes["note"]
    return (f"against {changes['against']}: {len(changes['added'])} 件 added, {len(changes['removed'])} removed, "
            f"{len(changes['changed'])} changed, {len(changes['renumbered'])} renumbered")


def bag_info_lines(changes: dict | None, reason: str | None) -> dict[str, list[str] | str]:
    """bag-info.txt fields: ``Seal-Reason``, ``Changes`` (one line) and one ``Change-Added`` /
    ``Change-Removed`` / ``Change-Changed`` line per 件 (its 档号 and 题名)."""
    out: dict[str, list[str] | str] = {}
    if reason:
        out["Seal-Reason"] = reason
    if changes is not None:
        out["Changes"] = summary_line(changes)
        for label, key in (("Change-Added", "added"), ("Change-Removed", "removed"), ("Change-Changed", "changed")):
            if changes.get(key):
                out[label] = [f"{c['档号']} {c['题名']}" for c in changes[key]]
    return out

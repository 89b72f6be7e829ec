"""What the receipt register says of each file of an inbox: when it was received, from whom, in which message.

The register (``data/<year>/register.json``, :mod:`kjhdz_docs.receive.register`) decides, never a file's
name or modification time: the later *received* workbook of a unit counts, and a scan or report counts as
the companion of the workbook that came in the same message. A file put into an inbox by hand (not
through ``invoke receive``) is registered the first time the intake sees it, with the time of
registration and the note “收件时间按登记时间”. An inbox outside a year folder has no register: its
files carry no received time and the notes say that file dates decided.
"""

from __future__ import annotations

import datetime as dt
import logging
from pathlib import Path

from ..model import FormKind, Status, Submission

log = logging.getLogger(__name__)

def _kind_of(sub: Submission, kind: FormKind) -> str:
    from .inbox import COMPANION_SUFFIXES, WORKBOOK_SUFFIXES

    suffix = Path(sub.file).suffix.lower()
    if suffix in WORKBOOK_SUFFIXES:
        return kind.value
    if suffix in COMPANION_SUFFIXES:
        return "companion"
    return "other"


def apply_register(year: int, kind: FormKind, inbox: Path, subs: list[Submission]) -> bool:
    """Fill ``received``, ``sender``, ``message_id`` (and a companion's workbook) from the register of the
    inbox's year; returns False when the inbox has no register (nothing filled)."""
    from ..paths import year_dir_of_inbox

    year_dir = year_dir_of_inbox(year, inbox)
    if year_dir is None:
        return False
    from ..receive.register import NOTE_BY_REGISTRATION, Register
    inbox = Path(inbox).resolve()
    reg = Register.open(year_dir)
    subs = [s for s in subs if getattr(s, "file_type", "file") == "file" and s.sha256]   # links, FIFOs: not files
    unknown = [s for s in subs if reg.for_stored(inbox / s.file) is None and s.notes[:1] != ["系统或临时文件，未处理"]]
    if unknown:
        now = dt.datetime.now(dt.timezone.utc)
        with reg:                                   # re-read under the lock, register what is still unknown
            for s in unknown:
                if reg.for_stored(inbox / s.file) is None:
                    reg.register_by_hand(inbox / s.file, sha256=s.sha256, size=s.size, kind=_kind_of(s, kind),
                                         now=now)
    by_file = {s.file: s for s in subs}
    for s in subs:
        entry = reg.for_stored(inbox / s.file)
        if entry is None:
            continue
        if entry.get("sha256") != s.sha256:
            s.notes.append(f"文件内容与收件登记不符（登记 sha256 {str(entry.get('sha256'))[:12]}…），"
                           "收件时间不适用；请核对是否被改动")
            continue
        s.received = entry.get("received")
        s.sender = entry.get("from_addr")
        s.message_id = entry.get("message_id")
        if NOTE_BY_REGISTRATION in (entry.get("notes") or []) and NOTE_BY_REGISTRATION not in s.notes:
            s.notes.append(NOTE_BY_REGISTRATION)
        workbook = entry.get("workbook")
        if workbook and s.status in (Status.ATTACHMENT, Status.UNMATCHED):
            rel = _inbox_rel(year_dir / workbook, inbox)
            owner = by_file.get(rel) if rel else None
            if owner is not None:
                s.attached_to = owner.file
                s.unit = owner.unit or s.unit
                s.status = Status.ATTACHMENT if s.unit else s.status
                s.notes = [n for n in s.notes if not n.startswith("文件名未能对应到报送单位")]
                s.notes.append("与报表同一邮件收到")
    return True


def _inbox_rel(path: Path, inbox: Path) -> str | None:
    try:
        return path.resolve().relative_to(inbox).as_posix()
    except ValueError:
        return None


def received_key(s: Submission):
    """Sort key of a unit's workbooks: the received time (a file without one ranks first), then what is left."""
    when = None
    if s.received:
        from ..receive.register import parse_time

        when = parse_time(s.received)
    return (when is not None, when or dt.datetime.min.replace(tzinfo=dt.timezone.utc), s.modified, s.file)

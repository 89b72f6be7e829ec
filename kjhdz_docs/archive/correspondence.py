"""The year's correspondence (去文) as 件: every letter the receipt register records as sent.

``invoke letters --send`` registers each letter the server accepted in the register's ``letters`` table
(kind, unit, form, To, Message-ID, the sent time, the sha256 of the bytes sent, the kept ``.eml``) and keeps
the message and the letter's PDF in ``data/<year>/sent/<unit>/``. The seal makes each such letter one 件:

- its **原件** is the message as sent (``去文-<name>.eml``, byte-identical: checked against the register's
  sha256), its 版式文件 the letter's PDF/A-2b as the message carried it (the kept PDF must be byte-identical
  to the message's attachment), stamped with the 归档章 and its metadata, and signed, as every 件's;
- 题名: the letter's own title (the Subject is ``【kind】title（unit）``); 责任者: the organ the message was sent
  as (its From name, the notice's lead issuer, e.g. 科学技术部), else the notice's lead issuer; 日期: the day it
  was sent (Asia/Shanghai), from the register — never a file's time; 主送: the roster unit and the address;
- arrangement (DA/T 22-2015): the letters are the ministry's own outgoing documents, so they form a class
  of their own, ``<retention>-<org>`` of ``archive.yaml``'s ``letter`` (default: the submissions' 保管期限 —
  the letters answer those submissions and are kept as long — and the notice's 机构(问题): ``D30-KJB``); the
  件号 runs from 1 in the order the letters were sent, so a newly sent letter takes the next number and no
  earlier 档号 moves; in the 归档文件目录 (序号) they come after the submissions.

A draft never sent (only in ``build/<year>/letters/``) is not a document of record and is not archived: it
may still change or be superseded, and nothing in it says it reached anyone.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from email import message_from_bytes
from email.policy import default as default_policy
from email.utils import parseaddr
from pathlib import Path, PurePosixPath

from ..errors import MissingInputError

DATE_BASIS = "发送时间（去文登记）"
ROLE_PREFIX = "去文-"


@dataclass(frozen=True)
class SentLetter:
    """One registered 去文 with what the seal needs from its message."""

    entry: dict              # the register's letters entry
    eml: Path                # the kept message (data/<year>/sent/<unit>/<name>.eml)
    pdf: Path                # the kept letter PDF, byte-identical to the message's attachment
    pdf_sha256: str
    title: str               # the letter's own title ([…] when it had to be constructed)
    organ: str               # 责任者
    date: str                # the sent day, Asia/Shanghai (YYYY-MM-DD)

    @property
    def name(self) -> str:
        return self.eml.stem


def _title(subject: str, kind: str, unit: str) -> str:
    """The letter's title from its Subject ``【kind】title（unit）``; a constructed one (in [ ]) otherwise."""
    head, tail = f"【{kind}】", f"（{unit}）"
    if subject.startswith(head) and subject.endswith(tail) and len(subject) > len(head) + len(tail):
        return subject[len(head):-len(tail)]
    return f"[致{unit}的{kind}]"


def _lead_issuer(year: int) -> str | None:
    from ..notice_data import load_notice

    try:
        return load_notice(year).issuers[0].name
    except Exception:                     # no usable notice.yaml: the message's From name must do
        return None


def sent_letters(year: int, year_dir: Path) -> list[SentLetter]:
    """Every letter the register of ``year_dir`` records as sent, oldest first; raises
    :class:`MissingInputError` naming each kept message or PDF that is missing or not what was sent."""
    from ..receive.register import REGISTER, Register, parse_time

    if not (year_dir / REGISTER).is_file():
        return []
    entries = sorted(Register.open(year_dir).letters(), key=lambda e: (e.get("sent") or "", e.get("message_id") or ""))
    out, problems, issuer = [], [], None
    for e in entries:
        rel = str(e.get("eml") or "")
        eml = year_dir / rel
        where = f"{year_dir / REGISTER} letters {e.get('message_id')}"
        if not rel or PurePosixPath(rel).is_absolute() or ".." in PurePosixPath(rel).parts:
            problems.append(f"{where}: the kept message {rel!r} is not a path inside {year_dir}")
            continue
        if not eml.is_file():
            problems.append(f"{eml}: missing (the message sent as {e.get('message_id')}, registered as 去文)")
            continue
        data = eml.read_bytes()
        if hashlib.sha256(data).hexdigest() != e.get("sha256"):
            problems.append(f"{eml}: not the bytes that were sent (sha256 differs from the register's)")
            continue
        msg = message_from_bytes(data, policy=default_policy)
        attached = [p.get_content() for p in msg.iter_attachments() if p.get_content_type() == "application/pdf"]
        pdf = eml.with_suffix(".pdf")
        if len(attached) != 1:
            problems.append(f"{eml}: carries {len(attached)} PDF attachments, not the one letter")
            continue
        if not pdf.is_file() or pdf.read_bytes() != attached[0]:
            problems.append(f"{pdf}: {'missing' if not pdf.is_file() else 'differs from the PDF the message carried'}"
                            f" (restore it from the attachment of {eml.name})")
            continue
        when = parse_time(e.get("sent"))
        if when is None:
            problems.append(f"{where}: no sent time")
            continue
        name, _ = parseaddr(str(msg.get("From") or ""))
        if not name:
            issuer = issuer or _lead_issuer(year)
        organ = name or issuer or "未署名"
        out.append(SentLetter(entry=dict(e), eml=eml, pdf=pdf, pdf_sha256=hashlib.sha256(attached[0]).hexdigest(),
                              title=_title(str(msg.get("Subject") or ""), str(e.get("kind")), str(e.get("unit"))),
                              organ=organ, date=when.date().isoformat()))
    if problems:
        raise MissingInputError(f"{year}: the sent letters (去文) cannot be sealed —\n  - " + "\n  - ".join(problems),
                                hint=f"the register and data/{year}/sent/ are the year's records: restore the "
                                     "named files from a backup; the archive was not touched")
    return out


def letter_fields(letter: SentLetter) -> dict:
    """What the 件's record says of the letter (``letter`` in its metadata, and in the seal's content)."""
    e = letter.entry
    return {"kind": e.get("kind"), "unit": e.get("unit"), "form": e.get("form"), "to": e.get("to"),
            "message_id": e.get("message_id"), "sent": e.get("sent"), "sha256": e.get("sha256"),
            "eml": e.get("eml"), "pdf_sha256": letter.pdf_sha256, "date_basis": DATE_BASIS}

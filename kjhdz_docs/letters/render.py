"""A letter's three files: the .docx (docxtpl, ``doc_templates/letter.docx``), its PDF (all letters of a run in
one LibreOffice batch) and the ``.eml`` draft (plain text + the PDF attached).

The draft carries ``X-Unsent: 1`` (mail programs open it as a draft) and no ``Date``: the date is set
when it is sent. Its Message-ID is derived from the letter's key, so the same letter is always the same
message and the register can tell that it was already sent.
"""

from __future__ import annotations

import datetime as dt
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import formataddr
from pathlib import Path

from ..notice_data import date_cn
from ..rendering import render_docx
from ..status.compute import Season
from .wording import Letter, contact_address, contact_lines, plain_text

TEMPLATE = "letter.docx"
CHAR = 1.0                          # width of a CJK character, in characters
CHAR_TWIPS = 315                    # one 3号 character step (gongwen.CHAR_TWIPS)


AUTOSPACE = 0.25                    # LibreOffice's gap between Han characters and Latin digits (measured)


def _width(text: str) -> float:
    """Width in 3号 characters: ASCII digits and letters are half as wide, and each change between Han and
    Latin script adds a quarter-character gap (2024年4月20日 measured 7.5 characters wide)."""
    changes = sum(a.isascii() != b.isascii() for a, b in zip(text, text[1:]))
    return sum(0.5 if ch.isascii() else CHAR for ch in text) + AUTOSPACE * changes


def signature_right_twips(signature: str, date: str) -> int:
    """Right indent of the organ's name: the date sits 2 characters in from the right and starts 2 characters
    right of the name's first character (GB/T 9704 §7.3.5.2, the date being longer than the name)."""
    chars = max(2.0, 4 + _width(date) - _width(signature))
    return round(chars * CHAR_TWIPS)


LINE_CHARS = 26                     # a body line after its 2-character indent (28 characters a line)


def pack_contact(items: list[str], width: float = LINE_CHARS) -> list[str]:
    """The contact items (联系人：…, 联系电话：…, 邮箱：…) packed into as few lines as fit, first fit in their
    order, joined by “；”: a line is never broken inside a telephone number or an address (as one run-on
    paragraph broke 010- | 58881428), and a short letter keeps its signature on its first page."""
    lines: list[list[str]] = []
    for item in items:
        for line in lines:
            if _width("；".join([*line, item])) <= width:
                line.append(item)
                break
        else:
            lines.append([item])
    return ["；".join(line) for line in lines]


def signature(season: Season) -> str:
    return season.notice.issuers[0].name


def context(season: Season, letter: Letter, letter_date: dt.date) -> dict:
    date = date_cn(letter_date)
    sig = signature(season)
    return {"mark": sig, "doc_number": "", "title_lines": letter.title_lines, "addressee": letter.addressee,
            "before": letter.before, "after": letter.after, "problems": letter.problems, "flags": letter.flags,
            "receipt": letter.receipt, "contact": pack_contact(contact_lines(season)), "signature": sig, "date": date,
            "signature_right": signature_right_twips(sig, date)}


def render_letter_docx(season: Season, letter: Letter, letter_date: dt.date, out: Path) -> Path:
    return render_docx(TEMPLATE, context(season, letter, letter_date), out, date=letter_date)


def message_id(season: Season, letter: Letter) -> str:
    domain = (contact_address(season) or "kjhdz.invalid").rsplit("@", 1)[-1]
    return f"<letter.{season.year}.{letter.key[:40]}@{domain}>"


def draft(season: Season, letter: Letter, letter_date: dt.date, pdf: Path) -> bytes:
    """The .eml draft of ``letter`` with ``pdf`` attached (bytes, CRLF line ends)."""
    msg = EmailMessage(policy=SMTP)
    sender = contact_address(season)
    if sender:
        msg["From"] = formataddr((signature(season), sender))
    if letter.to:
        msg["To"] = letter.to
    msg["Subject"] = letter.subject
    msg["Message-ID"] = message_id(season, letter)
    msg["X-Unsent"] = "1"
    if letter.note:
        msg["X-Kjhdz-Note"] = letter.note
    body = plain_text(letter, signature=signature(season), date=date_cn(letter_date), contact=contact_lines(season))
    msg.set_content(body, charset="utf-8", cte="base64")
    msg.add_attachment(pdf.read_bytes(), maintype="application", subtype="pdf", filename=f"{letter.name}.pdf")
    return msg.as_bytes()

"""Where received mail is read from: .eml files, Outlook .msg files, mbox files, Maildir folders, plain
files and folders of any of these (IMAP is :mod:`.imap`).

Each yields :class:`~.message.Incoming` messages in a stable order (folders in path order, an mbox in
file order). A plain file that is not a message (a workbook saved from a mail by hand) is not a
message: it is returned as a *loose file* for the clerk to put into an inbox (it has no sender and no
received time to register).
"""

from __future__ import annotations

import datetime as dt
import logging
import mailbox
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

from .message import MAX_MESSAGE_BYTES, Attachment, Incoming, decode_words, parse

log = logging.getLogger(__name__)

EML_SUFFIXES = {".eml", ".mim", ".mht"}
MSG_SUFFIXES = {".msg"}
MBOX_SUFFIXES = {".mbox", ".mbx"}


@dataclass
class LooseFile:
    path: Path
    reason: str


def _looks_like_mbox(path: Path) -> bool:
    try:
        with path.open("rb") as fh:
            return fh.read(5) == b"From "
    except OSError:
        return False


def _looks_like_message(path: Path) -> bool:
    try:
        with path.open("rb") as fh:
            head = fh.read(4096)
    except OSError:
        return False
    lines = head.split(b"\n", 40)
    fields = {ln.split(b":", 1)[0].strip().lower() for ln in lines if b":" in ln[:80]}
    return len(fields & {b"from", b"to", b"subject", b"date", b"message-id", b"mime-version", b"received"}) >= 2


def is_maildir(path: Path) -> bool:
    return path.is_dir() and all((path / d).is_dir() for d in ("cur", "new", "tmp"))


def count_source(path: Path) -> int:
    """How many items :func:`read_source` will yield (for the progress bar; nothing is parsed)."""
    path = Path(path)
    if is_maildir(path):
        box = mailbox.Maildir(str(path), factory=None, create=False)
        return len(box.keys())
    if path.is_dir():
        n = 0
        for dirpath, dirnames, filenames in os.walk(path):
            here = Path(dirpath)
            maildirs = [d for d in dirnames if is_maildir(here / d)]
            n += sum(count_source(here / d) for d in maildirs)
            dirnames[:] = [d for d in dirnames if d not in maildirs and not d.startswith(".")]
            n += sum(count_source(here / f) for f in filenames if not f.startswith("."))
        return n
    if path.is_file() and (path.suffix.lower() in MBOX_SUFFIXES or
                           (path.suffix.lower() not in EML_SUFFIXES | MSG_SUFFIXES and _looks_like_mbox(path))):
        box = mailbox.mbox(str(path), create=False)
        try:
            return len(box.keys())
        finally:
            box.close()
    return 1


def read_source(path: Path) -> Iterator[Incoming | LooseFile]:
    """Every message of ``path`` (a file or a folder), in a stable order."""
    path = Path(path)
    if is_maildir(path):
        yield from _maildir(path)
    elif path.is_dir():
        for dirpath, dirnames, filenames in os.walk(path):
            dirnames.sort()
            here = Path(dirpath)
            maildirs = [d for d in dirnames if is_maildir(here / d)]
            for d in maildirs:
                yield from _maildir(here / d)
            dirnames[:] = [d for d in dirnames if d not in maildirs and not d.startswith(".")]
            for name in sorted(filenames):
                if not name.startswith("."):
                    yield from _file(here / name)
    elif path.is_file():
        yield from _file(path)
    else:
        yield LooseFile(path, "不存在的文件或文件夹")


def _file(path: Path) -> Iterator[Incoming | LooseFile]:
    suffix = path.suffix.lower()
    if suffix in MSG_SUFFIXES:
        yield read_msg(path)
    elif suffix in MBOX_SUFFIXES or (suffix not in EML_SUFFIXES and _looks_like_mbox(path)):
        yield from _mbox(path)
    elif suffix in EML_SUFFIXES or _looks_like_message(path):
        size = path.stat().st_size
        if size > MAX_MESSAGE_BYTES:
            with path.open("rb") as fh:
                head = fh.read(1 << 16)
            inc = parse(head, str(path))
            inc.refused = (f"message-too-large: 邮件 {size // (1024 * 1024)} MB，超过上限 "
                           f"{MAX_MESSAGE_BYTES // (1024 * 1024)} MB，未登记；请联系报送单位分开发送")
            inc.attachments = []
            yield inc
            return
        yield parse(path.read_bytes(), str(path))
    else:
        yield LooseFile(path, "不是邮件（.eml/.msg/mbox/Maildir）：没有发件人和收件时间可登记，"
                              "请从邮件中转发或另存为 .eml 后接收")


def _mbox(path: Path) -> Iterator[Incoming]:
    box = mailbox.mbox(str(path), create=False)
    try:
        keys = list(box.iterkeys())
        for n, key in enumerate(keys):
            raw = box.get_bytes(key)
            inc = parse(raw, f"{path}#{n + 1}")
            if n == len(keys) - 1 and _cut_short(raw, inc):
                inc.refused = inc.refused or ("truncated-message: mbox 的最后一封邮件不完整（文件被截断），"
                                              "附件不予拆取，原邮件已保存")
            yield inc
    finally:
        box.close()


def _cut_short(raw: bytes, inc: Incoming) -> bool:
    """The last message of an mbox ends in the middle: no body at all, or a base64 part cut mid-line."""
    if b"\n\n" not in raw and b"\r\n\r\n" not in raw:
        return True
    return any(a.refused for a in inc.attachments) or inc.refused is not None and "truncated" in inc.refused


def _maildir(path: Path) -> Iterator[Incoming]:
    """A Maildir's messages (new/ and cur/), by their unique names (delivery time first)."""
    box = mailbox.Maildir(str(path), factory=None, create=False)
    try:
        for key in sorted(box.keys()):
            yield parse(box.get_bytes(key), f"maildir:{path}:{key}")
    finally:
        box.close()


def read_msg(path: Path) -> Incoming:
    """An Outlook .msg file (extract-msg): its transport headers when it kept them, its attachments."""
    import extract_msg

    raw = path.read_bytes()
    inc = Incoming(raw=raw, source=str(path), raw_suffix=".msg")
    try:
        msg = extract_msg.openMsg(str(path), delayAttachments=False)
    except Exception as exc:
        inc.refused = f"malformed-msg: Outlook .msg 文件无法读取（{type(exc).__name__}: {exc}）"
        inc.message_id = f"<sha256-{inc.sha256[:32]}@no-message-id.invalid>"
        return inc
    try:
        header = getattr(msg, "header", None)
        inc.message_id = (msg.messageId or "").strip() or f"<sha256-{inc.sha256[:32]}@no-message-id.invalid>"
        if not (msg.messageId or "").strip():
            inc.notes.append("no-message-id: 邮件没有 Message-ID，以邮件内容摘要标识")
        date_text = header.get("Date") if header is not None else None
        inc.date_header = decode_words(date_text) or None
        when = msg.date if isinstance(getattr(msg, "date", None), dt.datetime) else None
        if when is not None and when.tzinfo is None:
            when = when.replace(tzinfo=dt.timezone.utc)
        inc.date = when
        if when is None:
            inc.notes.append("no-date: 邮件没有 Date，收件时间按登记时间")
        inc.sender = decode_words(msg.sender or "")
        from .message import _addr
        inc.from_addr = _addr(inc.sender)
        inc.to = decode_words(msg.to or "")
        inc.subject = decode_words((msg.subject or "").rstrip("\0"))
        for att in msg.attachments:
            name = (getattr(att, "longFilename", None) or getattr(att, "shortFilename", None) or "").rstrip("\0")
            data = getattr(att, "data", None)
            if not isinstance(data, bytes):
                inc.attachments.append(Attachment(name=name, data=None, content_type="application/octet-stream",
                                                  refused="malformed-msg: 附件不是文件（嵌入的邮件或对象），未拆取"))
                continue
            inc.attachments.append(Attachment(name=name, data=data, content_type="application/octet-stream"))
    finally:
        msg.close()
    return inc

"""One received message, parsed: its headers decoded, its received time decided, its attachments listed.

Header and file names are decoded from RFC 2047 encoded words and RFC 2231 parameters; a charset
named GB2312 or GBK is read as GB18030 (its superset: mailers label GBK text GB2312), and raw 8-bit
names (which some mailers send) are read as UTF-8, else GB18030.

The received time (:func:`received_time`): the message's own ``Date``, else the server's INTERNALDATE,
else the moment of registration; a ``Date`` more than a day after the moment of receipt is not believed
(it is replaced by the moment of receipt, with a note).
"""

from __future__ import annotations

import datetime as dt
import email
import email.header
import email.utils
import hashlib
import re
from dataclasses import dataclass, field
from email.message import Message

from .register import iso

# the limits of one message (README "invoke receive": limits); larger is refused with the reason named
MAX_MESSAGE_BYTES = 80 * 1024 * 1024        # a message with a few scans is a few MB
MAX_ATTACHMENTS = 50                         # a unit sends a workbook or two and their scans
MAX_PARTS = 500                              # MIME parts walked (nesting included)
FUTURE_TOLERANCE = dt.timedelta(days=1)
_CHARSET_ALIASES = {"gb2312": "gb18030", "gbk": "gb18030", "x-gbk": "gb18030", "cp936": "gb18030",
                    "euc-cn": "gb18030", "x-euc-cn": "gb18030", "unknown-8bit": "utf-8", "x-unknown": "utf-8"}


def _codec(charset: str | None) -> str:
    cs = (charset or "utf-8").strip().strip('"').lower()
    cs = _CHARSET_ALIASES.get(cs, cs)
    try:
        "".encode(cs)
    except LookupError:
        return "utf-8"
    return cs


def decode_bytes(raw: bytes, charset: str | None = None) -> str:
    """Bytes of a header or a name in ``charset`` (unknown: UTF-8, else GB18030)."""
    if charset:
        try:
            return raw.decode(_codec(charset))
        except UnicodeDecodeError:
            pass
    for cs in ("utf-8", "gb18030"):
        try:
            return raw.decode(cs)
        except UnicodeDecodeError:
            continue
    return raw.decode("utf-8", errors="replace")


def _unescape(value: str) -> str:
    """compat32 keeps raw 8-bit header bytes as surrogates: get them back and decode them."""
    if any("\udc80" <= ch <= "\udcff" for ch in value):
        return decode_bytes(value.encode("ascii", "surrogateescape"))
    return value


def decode_words(value) -> str:
    """A header value with its RFC 2047 encoded words decoded (whitespace between words dropped)."""
    if value is None:
        return ""
    if isinstance(value, email.header.Header):
        parts = email.header.decode_header(value)
    else:
        text = _unescape(str(value))
        if "=?" not in text:
            return _clean_space(text)
        try:
            parts = email.header.decode_header(text)
        except Exception:       # a malformed encoded word: keep the text as it came
            return _clean_space(text)
    out = []
    for chunk, charset in parts:
        if isinstance(chunk, bytes):
            out.append(decode_bytes(chunk, charset) if charset else _unescape(chunk.decode("ascii", "surrogateescape")))
        else:
            out.append(chunk)
    return _clean_space("".join(out))


def _clean_space(text: str) -> str:
    return re.sub(r"[\r\n]+[ \t]*", " ", text).strip()


def part_filename(part: Message) -> str | None:
    """The attachment's name: ``filename`` of Content-Disposition, else ``name`` of Content-Type; RFC 2231
    and RFC 2047 decoded."""
    for param, header in (("filename", "content-disposition"), ("name", "content-type")):
        holder = part
        raw8 = _raw_8bit(part, header)
        if raw8 is not None:                     # 8-bit bytes in the header (no encoding declared)
            holder = Message()
            holder[header] = raw8
        try:
            value = holder.get_param(param, None, header)
        except Exception:
            value = None
        if value is None:
            continue
        if isinstance(value, tuple):             # RFC 2231: (charset, language, text of the bytes as latin-1)
            charset, _lang, text = value
            raw = bytes(text, "raw-unicode-escape") if all(ord(c) < 256 for c in text) else text.encode("utf-8")
            name = decode_bytes(raw, charset)
        else:
            name = email.utils.unquote(value)
        name = decode_words(name)
        if name:
            return name
    return None


def _raw_8bit(part: Message, header: str) -> str | None:
    """The header as received, decoded as UTF-8/GB18030, when it holds raw 8-bit bytes; else None."""
    for key, value in getattr(part, "_headers", []):
        if key.lower() == header and isinstance(value, str) and any("\udc80" <= ch <= "\udcff" for ch in value):
            return decode_bytes(value.encode("ascii", "surrogateescape"))
    return None


@dataclass
class Attachment:
    name: str                   # original, decoded ("" when the part had none)
    data: bytes | None          # None when it could not be taken out (see notes)
    content_type: str
    notes: list[str] = field(default_factory=list)
    refused: str | None = None  # a named reason it is not stored


@dataclass
class Incoming:
    """A message as received: its bytes, where it came from, what it says of itself."""

    raw: bytes
    source: str
    internaldate: dt.datetime | None = None
    message_id: str = ""
    date_header: str | None = None
    date: dt.datetime | None = None
    sender: str = ""
    from_addr: str | None = None
    to: str = ""
    subject: str = ""
    attachments: list[Attachment] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    refused: str | None = None          # the message itself is not filed (a named reason)
    raw_suffix: str = ".eml"            # how the message is kept (.msg for an Outlook file)

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.raw).hexdigest()


def received_time(date: dt.datetime | None, internaldate: dt.datetime | None, now: dt.datetime,
                  notes: list[str]) -> tuple[dt.datetime, str]:
    """(received, received_source) by the rule of the register; notes say when the Date was not used."""
    receipt = internaldate or now
    if date is not None:
        if date - receipt > FUTURE_TOLERANCE:
            notes.append(f"future-date: 邮件 Date（{iso(date)}）晚于收到时间一天以上，不予采信，"
                         f"收件时间按{'服务器收到时间' if internaldate else '登记时间'}（{iso(receipt)}）")
            return receipt, "internaldate" if internaldate else "registration"
        return date, "date-header"
    if internaldate is not None:
        return internaldate, "internaldate"
    return now, "registration"


def _parse_date(value: str | None, notes: list[str]) -> dt.datetime | None:
    if not value:
        notes.append("no-date: 邮件没有 Date，收件时间按服务器收到时间或登记时间")
        return None
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        when = None
    if when is None:
        notes.append(f"bad-date: 邮件 Date（{value}）无法识别，收件时间按服务器收到时间或登记时间")
        return None
    if when.tzinfo is None:                 # "-0000": UTC, the sender's zone unknown (RFC 5322 3.3)
        when = when.replace(tzinfo=dt.timezone.utc)
        notes.append("Date 未给出时区（-0000），按 UTC 计")
    return when


def _addr(value: str) -> str | None:
    name, addr = email.utils.parseaddr(value)
    addr = addr.strip().lower()
    return addr or None


def parse(raw: bytes, source: str, internaldate: dt.datetime | None = None) -> Incoming:
    """Parse a message's bytes (never raises for a bad message: problems become notes and refusals)."""
    inc = Incoming(raw=raw, source=source, internaldate=internaldate)
    if len(raw) > MAX_MESSAGE_BYTES:
        inc.refused = (f"message-too-large: 邮件 {len(raw) // (1024 * 1024)} MB，超过上限 "
                       f"{MAX_MESSAGE_BYTES // (1024 * 1024)} MB，未登记附件；请联系报送单位分开发送")
        end = re.search(rb"\r?\n\r?\n", raw[:1 << 20])       # the headers are still worth reading
        raw = raw[: end.end() if end else 1 << 16]
    try:
        msg = email.message_from_bytes(raw)
    except Exception as exc:                           # the stdlib parser is lenient; this is rare
        inc.refused = inc.refused or f"malformed-mime: 邮件结构无法解析（{exc}）"
        return inc
    inc.message_id = decode_words(msg.get("Message-ID", "")).strip()
    if not re.fullmatch(r"<[^<>\s]+>", inc.message_id or ""):
        if inc.message_id:
            inc.notes.append(f"Message-ID 格式不规范（{inc.message_id}）")
        else:
            inc.notes.append("no-message-id: 邮件没有 Message-ID，以邮件内容摘要标识")
            inc.message_id = f"<sha256-{inc.sha256[:32]}@no-message-id.invalid>"
    inc.date_header = decode_words(msg.get("Date")) or None
    inc.date = _parse_date(inc.date_header, inc.notes)
    inc.sender = decode_words(msg.get("From", ""))
    inc.from_addr = _addr(inc.sender)
    if not inc.from_addr:
        inc.notes.append("no-sender: 邮件没有可识别的发件人地址")
    inc.to = decode_words(msg.get("To", ""))
    inc.subject = decode_words(msg.get("Subject", ""))
    _walk(msg, inc)
    return inc


def _defects(part: Message) -> list[str]:
    return [type(d).__name__ for d in getattr(part, "defects", [])]


def _walk(msg: Message, inc: Incoming) -> None:
    defects: list[str] = []
    found: list[Attachment] = []
    parts = 0
    for part in msg.walk():
        parts += 1
        if parts > MAX_PARTS:
            inc.refused = inc.refused or f"too-many-parts: 邮件结构超过 {MAX_PARTS} 个部分，未拆取附件"
            return
        defects += _defects(part)
        if part.is_multipart():
            continue
        name = part_filename(part)
        disposition = (part.get_content_disposition() or "").lower()
        if name is None and disposition != "attachment":
            continue                               # the message's text (kept in the .eml)
        ctype = part.get_content_type()
        att = Attachment(name=name or "", data=None, content_type=ctype)
        try:
            data = part.get_payload(decode=True)
        except Exception as exc:
            data = None
            att.notes.append(f"附件内容无法解码（{exc}）")
        defects += _defects(part)
        if data is None:
            att.refused = att.refused or "malformed-mime: 附件内容无法解码"
        att.data = data
        found.append(att)
    if "CloseBoundaryNotFoundDefect" in defects:
        inc.refused = inc.refused or ("truncated-message: 邮件不完整（缺少 MIME 结束边界，可能被截断），"
                                      "附件不予拆取，原邮件已保存；请报送单位重新发送")
    elif {"StartBoundaryNotFoundDefect", "NoBoundaryInMultipartDefect"} & set(defects):
        inc.refused = inc.refused or ("malformed-mime: 邮件结构损坏（multipart 找不到分隔边界），附件无法拆取，"
                                      "原邮件已保存；请报送单位重新发送")
    elif defects:
        inc.notes.append("malformed-mime: 邮件结构有缺陷（" + "，".join(sorted(set(defects))) + "），附件按能读取的内容拆取")
    if len(found) > MAX_ATTACHMENTS:
        inc.refused = inc.refused or (f"too-many-attachments: 邮件有 {len(found)} 个附件，超过上限 "
                                      f"{MAX_ATTACHMENTS} 个，未拆取附件，原邮件已保存；请报送单位分开发送")
    inc.attachments = found

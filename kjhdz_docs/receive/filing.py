"""``invoke receive``: register every message received and file its attachments by content.

For each message (from files, an mbox, a Maildir or IMAP):

1. A message already registered (same Message-ID, or the same bytes from the same sender) is not
   registered again; the first entry notes where it was seen again.
2. The message is kept as received: ``data/<year>/mail/<sha256 prefix>.eml`` (``.msg`` for Outlook).
3. Its received time follows the register's rule (:func:`.message.received_time`).
4. Every workbook attachment is read with the intake's reader and filed by what it *is*: a 统计表 into
   ``inbox/statistics/``, a 推荐表 into ``inbox/recommendations/``, whatever its name. Each message gets its
   own folder ``<received YYYYMMDD-HHMMSS>-<sha256 of the message, 8 hex>/`` (names cannot collide between
   messages; inside one message a second ``统计表.xlsx`` becomes ``统计表 (2).xlsx``); the scans and reports
   sent with it go into the folder of its workbook and are registered as that workbook's companions.
5. Names are made safe (no separators, ``..``, control characters; NFC; at most 200 bytes); no file is
   ever written outside the year's inbox, and none is ever overwritten.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from .. import console
from ..errors import MissingInputError
from ..intake.inbox import ARCHIVE_SUFFIXES, COMPANION_SUFFIXES, WORKBOOK_SUFFIXES
from ..intake.safety import MAX_FILE_BYTES
from ..paths import data_dir
from .message import Attachment, Incoming, received_time
from .register import Register, iso, write_atomic

log = logging.getLogger(__name__)

NAME_BYTES = 200
SAVE_EVERY = 100            # messages between two register writes (a crash loses at most these; a rerun redoes them)
FORM_KINDS = ("statistics", "recommendations")


@dataclass
class Outcome:
    """What became of one message in this run."""

    status: str                     # registered | duplicate | refused | seen
    received: str | None
    sender: str
    subject: str
    stored: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    message_id: str = ""


@dataclass
class ReceiveResult:
    outcomes: list[Outcome] = field(default_factory=list)
    loose: list[tuple[str, str]] = field(default_factory=list)

    @property
    def new_messages(self) -> int:
        return sum(o.status in ("registered", "refused") for o in self.outcomes)

    @property
    def new_attachments(self) -> int:
        return sum(len(o.stored) for o in self.outcomes if o.status != "duplicate")

    def counts(self) -> dict[str, int]:
        c: dict[str, int] = {}
        for o in self.outcomes:
            c[o.status] = c.get(o.status, 0) + 1
        return c


# --- names ---------------------------------------------------------------------------------------------
def safe_name(name: str) -> tuple[str, str | None]:
    """(a file name safe to write, the reason it was changed or None)."""
    from ..archive.records import bag_name

    nfc = unicodedata.normalize("NFC", name or "")
    text = "".join(ch for ch in nfc if unicodedata.category(ch) not in ("Cc", "Cf", "Cs", "Co", "Cn")
                   or ch == " ")
    parts = [p for p in re.split(r"[/\\]+", text) if p.strip() not in ("", ".", "..")]
    out = "_".join(p.strip() for p in parts)
    out = re.sub(r'[<>:"|?*]', "_", out).strip(" .")
    if not out:
        out = "附件"
    out = bag_name(out, limit=NAME_BYTES)
    if out == name:
        return out, None
    if out == nfc:
        return out, None                                  # NFD → NFC only
    return out, f"unsafe-name: 附件名 {name!r} 含路径、分隔符或控制字符，存为 {out!r}"


def _free(folder: Path, name: str, data: bytes) -> tuple[Path, bool]:
    """(where to store, already there with these bytes) — never a path holding other bytes."""
    stem, dot, suffix = name.rpartition(".")
    if not dot:
        stem, suffix = name, ""
    n = 1
    while True:
        candidate = folder / (name if n == 1 else f"{stem} ({n}){'.' + suffix if suffix else ''}")
        if not candidate.exists():
            return candidate, False
        if candidate.is_file() and candidate.stat().st_size == len(data) and candidate.read_bytes() == data:
            return candidate, True
        n += 1


def _inside(path: Path, root: Path) -> bool:
    try:
        return path.resolve().is_relative_to(root.resolve())
    except OSError:
        return False


# --- what a workbook is ------------------------------------------------------------------------------------
def form_kind(name: str, data: bytes) -> tuple[str | None, str | None]:
    """("statistics" | "recommendations" | None, why not) — read by content with the intake's reader."""
    from ..intake.reader import read_workbook
    from ..intake.recommendation_form import find_header
    from ..intake.safety import UnsafeFile
    from ..intake.statistics import best_sheet

    try:
        grid = read_workbook(Path(name), data)
    except UnsafeFile as exc:
        return None, f"{exc.rule}: {exc.message}"
    except Exception as exc:            # a reader failure is the file's, not ours
        return None, f"corrupt-file: {exc}"
    _sheet, labels = best_sheet(grid)
    header = any(find_header(s) for s in grid.sheets)
    if len(labels) >= 8 or (labels and not header and len(labels) >= 3):
        return "statistics", None
    if header:
        return "recommendations", None
    if labels:
        return "statistics", None
    return None, "no-form: 既不是统计表也不是推荐表"


def _name_hint(name: str) -> str | None:
    if "推荐" in name:
        return "recommendations"
    if "统计" in name:
        return "statistics"
    return None


# --- one message -----------------------------------------------------------------------------------------
class Filer:
    def __init__(self, year_dir: Path, register: Register):
        self.year_dir = year_dir
        self.inbox = year_dir / "inbox"
        self.reg = register
        self._att_by_bytes: dict[tuple, dict] | None = None

    def _attachment_with_bytes(self, sha: str, from_addr: str | None) -> dict | None:
        if self._att_by_bytes is None:
            self._att_by_bytes = {}
            for e in self.reg.attachments():
                if e.get("stored") and not e.get("duplicate_of"):
                    self._att_by_bytes.setdefault((e["sha256"], e.get("from_addr")), e)
        return self._att_by_bytes.get((sha, from_addr))

    def _keep_message(self, inc: Incoming) -> str:
        sha = inc.sha256
        rel = f"mail/{sha[:16]}{inc.raw_suffix}"
        path = self.year_dir / rel
        if path.exists() and path.read_bytes() != inc.raw:
            rel = f"mail/{sha}{inc.raw_suffix}"
            path = self.year_dir / rel
        if not path.exists():
            write_atomic(path, inc.raw)
        return rel

    def file(self, inc: Incoming, now: dt.datetime) -> Outcome:
        prefix = str(self.year_dir.resolve()) + "/"
        for where in (prefix, str(self.year_dir) + "/"):     # a source inside the year folder: named relative to it
            if inc.source.startswith(where):
                inc.source = inc.source[len(where):]
            elif inc.source.startswith("maildir:" + where):
                inc.source = "maildir:" + inc.source[len("maildir:" + where):]
        first = self.reg.message(inc.message_id) or self.reg.message_with_bytes(inc.sha256, inc.from_addr)
        if first is not None:
            self.reg.note_duplicate(first, inc.source)
            return Outcome("duplicate", first.get("received"), inc.sender, inc.subject,
                           notes=[f"duplicate: 已登记过（{first.get('source')}）"], message_id=first["message_id"])
        notes = list(inc.notes)
        when, how = received_time(inc.date, inc.internaldate, now, notes)
        received = iso(when)
        eml = self._keep_message(inc)
        stored: list[str] = []
        entries: list[dict] = []
        if inc.refused:
            notes.append(inc.refused)
        else:
            entries = self._file_attachments(inc, received, notes)
            stored = [e["stored"] for e in entries if e["stored"] and not e["duplicate_of"]]
        self.reg.add_message({
            "message_id": inc.message_id, "received": received, "received_source": how,
            "date_header": inc.date_header, "from": inc.sender, "from_addr": inc.from_addr, "to": inc.to,
            "subject": inc.subject, "eml": eml, "sha256": inc.sha256, "size": len(inc.raw), "source": inc.source,
            "notes": notes, "duplicate_of": None})
        for e in entries:
            self.reg.add_attachment(e)
            if self._att_by_bytes is not None and e["stored"] and not e["duplicate_of"]:
                self._att_by_bytes.setdefault((e["sha256"], e["from_addr"]), e)
        all_notes = notes + [n for e in entries for n in e["notes"]]
        return Outcome("refused" if inc.refused else "registered", received, inc.sender, inc.subject, stored,
                       all_notes, inc.message_id)

    def _file_attachments(self, inc: Incoming, received: str, notes: list[str]) -> list[dict]:
        import hashlib

        folder_name = f"{received[:19].replace('-', '').replace(':', '').replace('T', '-')}-{inc.sha256[:8]}"
        base = {"message_id": inc.message_id, "received": received, "from_addr": inc.from_addr,
                "workbook": None, "duplicate_of": None}
        plans: list[dict] = []
        for att in inc.attachments:
            entry = dict(base, name=att.name, stored=None, sha256=None, size=None, kind="other",
                         notes=list(att.notes))
            plans.append(entry)
            entry["_att"] = att
            if att.refused or att.data is None:
                entry["notes"].append(att.refused or "malformed-mime: 附件内容无法解码")
                continue
            entry["sha256"] = hashlib.sha256(att.data).hexdigest()
            entry["size"] = len(att.data)
            if len(att.data) > MAX_FILE_BYTES:
                entry["notes"].append(f"attachment-too-large: 附件 {len(att.data) // (1024 * 1024)} MB，超过上限 "
                                      f"{MAX_FILE_BYTES // (1024 * 1024)} MB，未放入收件箱（原件在 .eml 中）；"
                                      "请报送单位压缩扫描件后重新发送")
                entry["_refused"] = True
                continue
            suffix = PurePosixPath(att.name).suffix.lower()
            if suffix in WORKBOOK_SUFFIXES:
                kind, why = form_kind(att.name or "附件.xlsx", att.data)
                entry["_form"] = kind
                if kind:
                    entry["kind"] = kind
                else:
                    entry["notes"].append(f"无法按内容判断表格类型（{why}）")
            elif suffix in ARCHIVE_SUFFIXES:
                entry["notes"].append("zip-attachment: 压缩包不拆解，按原样存放；请报送单位将表格和扫描件直接作为附件发送")
            elif suffix in COMPANION_SUFFIXES:
                entry["kind"] = "companion"
        forms = [e for e in plans if e.get("_form")]
        workbooks = [e for e in plans if PurePosixPath(e["name"]).suffix.lower() in WORKBOOK_SUFFIXES
                     and e["sha256"] and not e.get("_refused")]
        home_kind = forms[0]["kind"] if forms else self._fallback_kind(inc, notes)
        for e in plans:
            att: Attachment = e.pop("_att")
            e.pop("_form", None)
            if e.pop("_refused", False) or e["sha256"] is None:
                continue
            kind = e["kind"]
            if kind in FORM_KINDS:
                inbox_kind = kind
            elif e in workbooks:        # a workbook that is no form: where its name or its message points
                inbox_kind = _name_hint(e["name"]) or home_kind
                e["notes"].append(f"放入{'统计表' if inbox_kind == 'statistics' else '推荐表'}收件箱，由收件检查退回原因")
            else:
                inbox_kind = home_kind
            dup = self._attachment_with_bytes(e["sha256"], inc.from_addr)
            if dup is not None:
                e["duplicate_of"] = dup["stored"]
                e["notes"].append(f"duplicate: 与已收到的 {dup['stored']} 内容相同（同一发件人），不重复存放")
                e["_where"] = dup["stored"]
                continue
            name, why = safe_name(att.name)
            if why:
                e["notes"].append(why)
            folder = self.inbox / inbox_kind / folder_name
            target, present = _free(folder, name, att.data)
            if not _inside(target, self.inbox):
                e["notes"].append("unsafe-name: 存放位置不在收件箱内，未存放")
                continue
            if not present:
                write_atomic(target, att.data)
            e["stored"] = target.relative_to(self.year_dir).as_posix()
            e["_where"] = e["stored"]
        # companions belong to the workbook of the same message (the first form, else the first workbook)
        where = {id(e): e.pop("_where") for e in plans if "_where" in e}
        owner = next((e for e in plans if e["kind"] in FORM_KINDS and id(e) in where), None) or \
            next((e for e in workbooks if id(e) in where), None)
        if owner is not None:
            for e in plans:
                if e is not owner and id(e) in where and e not in workbooks:
                    e["workbook"] = where[id(owner)]
        if len(forms) > 1 and any(e["kind"] not in FORM_KINDS for e in plans):
            notes.append("邮件中有多份报表，随附文件归入第一份报表")
        return plans

    def _fallback_kind(self, inc: Incoming, notes: list[str]) -> str:
        """The inbox of a message that carried no form: that of the sender's latest form, else statistics."""
        latest = None
        for e in self.reg.attachments():
            if e.get("from_addr") == inc.from_addr and e.get("kind") in FORM_KINDS and e.get("stored"):
                if latest is None or (e.get("received") or "") > (latest.get("received") or ""):
                    latest = e
        if inc.attachments:
            if latest is not None:
                notes.append(f"邮件中没有报表，附件放入该发件人上一份报表（{latest['stored']}）所在的收件箱")
                return latest["kind"]
            notes.append("邮件中没有报表，附件放入统计表收件箱，请人工核对")
        return "statistics"


# --- the run --------------------------------------------------------------------------------------------
def receive(year: int, sources=(), *, imap: bool = False, year_dir: Path | None = None,
            now: dt.datetime | None = None, progress: bool = True, show: bool = True) -> ReceiveResult:
    """Receive from ``sources`` (paths) and, with ``imap``, from the mailbox of ``data/<year>/mail.yaml``."""
    from .sources import LooseFile, count_source, read_source

    year_dir = Path(year_dir) if year_dir else data_dir(year)
    if not sources and not imap:
        raise MissingInputError("nothing to receive: give --source PATH (repeatable) or --imap",
                                hint="e.g. invoke receive --year 2024 --imap, or --source 已存邮件/")
    for src in sources:
        if not Path(src).exists():
            raise MissingInputError(f"{src}: no such file or folder", hint="give a .eml/.msg/mbox file or a folder")
    result = ReceiveResult()
    with Register.open(year_dir) as reg:
        filer = Filer(year_dir, reg)

        def take(inc: Incoming) -> Outcome:
            out = filer.file(inc, now or dt.datetime.now(dt.timezone.utc))
            result.outcomes.append(out)
            if len(result.outcomes) % SAVE_EVERY == 0:
                reg.save()
            return out

        for src in sources:
            items = read_source(Path(src))          # parsed one at a time (a message's bytes are let go after it)
            if progress:
                items = console.progress(items, f"receiving {src}", total=count_source(Path(src)))
            for item in items:
                if isinstance(item, LooseFile):
                    result.loose.append((str(item.path), item.reason))
                    continue
                take(item)
        if imap:
            _receive_imap(year, reg, take, result, progress=progress)
    if show:
        show_result(result)
    return result


def _receive_imap(year: int, reg: Register, take, result: ReceiveResult, *, progress: bool) -> None:
    from ..mail_config import imap_settings
    from .imap import new_messages

    settings = imap_settings(year)
    seen_uids: list[int] = []
    uidvalidity = None
    stream = new_messages(settings, lambda uv: reg.imap_seen(settings.account, settings.folder, uv))
    total = 0
    first = next(stream, None)
    if first is None:
        return
    uidvalidity, neg, _ = first
    total = -neg

    def each():
        yield from stream

    items = console.progress(each(), f"receiving IMAP {settings.folder}", total=total) if progress else each()
    for uv, uid, inc in items:
        if inc is None:
            result.outcomes.append(Outcome("refused", None, "", f"IMAP UID {uid}",
                                           notes=["message-too-large: 邮件超过大小上限，留在邮箱中未登记"]))
            continue                      # not marked seen: a later run with a larger limit may take it
        take(inc)
        seen_uids.append(uid)
        if len(seen_uids) % SAVE_EVERY == 0:
            reg.imap_mark(settings.account, settings.folder, uv, seen_uids)
    if uidvalidity is not None:
        reg.imap_mark(settings.account, settings.folder, uidvalidity, seen_uids)


SAMPLE_MBOX = "mail/sample.mbox"


def sample_mbox(year: int) -> Path | None:
    """``data/<year>/mail/sample.mbox`` when the year is a sample year (its messages are committed)."""
    path = data_dir(year) / SAMPLE_MBOX
    return path if path.is_file() else None


def receive_sample(year: int) -> int:
    """Receive the sample year's committed messages (``build-all`` does it first); a rerun registers nothing."""
    mbox = sample_mbox(year)
    if mbox is None:
        return 0
    result = receive(year, [mbox], progress=not console.quiet(), show=False)
    console.say(f"{year}: sample mail {mbox.relative_to(data_dir(year).parent)} — {result.new_messages} new "
                f"message(s) registered, {result.new_attachments} attachment(s) filed, "
                f"{result.counts().get('duplicate', 0)} already registered")
    return 0


def run(year: int, sources, *, imap: bool = False, as_json: bool = False) -> int:
    """``invoke receive``: 0 (a refused attachment is registered with its reason, not an error)."""
    result = receive(year, list(sources), imap=imap, progress=not console.quiet())
    if as_json:
        console.emit_json({"year": year, "counts": result.counts(), "new_messages": result.new_messages,
                           "new_attachments": result.new_attachments,
                           "messages": [o.__dict__ for o in result.outcomes],
                           "not_received": [{"path": p, "reason": r} for p, r in result.loose]})
    return 0


STATUS_ZH = {"registered": "已登记", "duplicate": "重复（不再登记）", "refused": "已登记，附件未拆取", "seen": "已见"}


def show_result(result: ReceiveResult) -> None:
    rows = []
    for o in result.outcomes:
        if o.status == "duplicate":
            continue
        rows.append((o.received or "—", o.sender or "—", o.subject or "—", STATUS_ZH.get(o.status, o.status),
                     "\n".join(o.stored) or "—", "\n".join(o.notes) or ""))
    c = result.counts()
    title = (f"收件登记：新登记 {c.get('registered', 0) + c.get('refused', 0)} 封邮件"
             f"（其中附件未拆取 {c.get('refused', 0)}），存放附件 {result.new_attachments} 个，"
             f"重复 {c.get('duplicate', 0)} 封")
    console.table(title, ["收件时间", "发件人", "主题", "结果", "存放", "说明"], rows)
    for path, reason in result.loose:
        console.say(f"未接收 {path}：{reason}")

"""The receipt register of a year: ``data/<year>/register.json`` (TinyDB).

One entry per message received and per attachment stored, and (written by the letters) one per letter
sent. Everything after intake reads it: which of a unit's files counts (the later *received*), which scan
belongs to which workbook (the same message), the archival 日期 and the 业务 event 接收.

Tables and fields (all times ISO 8601 with offset, shown in Asia/Shanghai):

- ``messages``: ``message_id``, ``received``, ``received_source`` (``date-header`` | ``internaldate`` |
  ``registration``), ``date_header`` (raw), ``from``, ``from_addr``, ``to``, ``subject``, ``eml`` (path
  relative to ``data/<year>/``), ``sha256`` (of the .eml bytes), ``size``, ``source`` (``imap:INBOX:<uidvalidity>:<uid>``
  or the file it was read from), ``notes`` [str], ``duplicate_of`` (message_id of the first, or null).
- ``attachments``: ``message_id``, ``name`` (original, decoded), ``stored`` (relative to ``data/<year>/``,
  e.g. ``inbox/statistics/…``), ``sha256``, ``size``, ``kind`` (``statistics`` | ``recommendations`` |
  ``companion`` | ``other``), ``workbook`` (a companion's workbook ``stored`` path, else null), ``received``,
  ``from_addr``, ``notes`` [str], ``duplicate_of`` (the ``stored`` path of the first copy, or null).
- ``letters`` (去文): ``kind``, ``unit``, ``form``, ``to``, ``message_id``, ``sent``, ``sha256``, ``eml``.
- ``imap``: ``account`` (user@host:port), ``folder``, ``uidvalidity``, ``uids`` [int] — what an
  incremental IMAP receive has already registered.

Writes are atomic and fsynced: the whole file is written to a temporary file beside it, fsynced, renamed
over the old one, and the folder fsynced. Changes are kept in memory and written by :meth:`Register.save`
(and when a ``with`` block ends without error); a writer holds ``data/<year>/.register.lock``.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import tempfile
from pathlib import Path, PurePosixPath
from zoneinfo import ZoneInfo

from filelock import FileLock, Timeout
from tinydb import Query, TinyDB
from tinydb.storages import Storage

from ..errors import ArchiveConflictError, DataFileError
from ..paths import REGISTER, year_dir_of_inbox  # noqa: F401 — part of this module's interface

LOCK = ".register.lock"
CHINA = ZoneInfo("Asia/Shanghai")
TABLES = ("messages", "attachments", "letters", "imap")
KINDS = ("statistics", "recommendations", "companion", "other")
NOTE_BY_REGISTRATION = "收件时间按登记时间"
LOCK_TIMEOUT = float(os.environ.get("KJHDZ_REGISTER_LOCK_TIMEOUT", "120"))


def china_time(value: dt.datetime) -> dt.datetime:
    """A timezone-aware time shown in China time (a naive one is refused: it would be a guess)."""
    if value.tzinfo is None:
        raise ValueError(f"a received time must carry its offset: {value!r}")
    return value.astimezone(CHINA)


def iso(value: dt.datetime) -> str:
    """``2024-04-10T09:31:00+08:00`` (China time, whole seconds)."""
    return china_time(value).replace(microsecond=0).isoformat()


def parse_time(text: str | None) -> dt.datetime | None:
    """A register time back as an aware datetime (None stays None)."""
    if not text:
        return None
    value = dt.datetime.fromisoformat(text)
    return china_time(value)


def write_atomic(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` atomically: temp file beside it, fsync, rename, fsync the folder."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        os.fchmod(fd, 0o644)                   # as an ordinary file (mkstemp makes it 0600)
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
    fsync_dir(path.parent)


def fsync_dir(folder: Path) -> None:
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


class _AtomicJSON(Storage):
    """TinyDB storage: read once, keep changes in memory, write the whole file atomically on flush()."""

    def __init__(self, path: str):
        self.path = Path(path)
        self._data: dict | None = None
        self.dirty = False

    def read(self):
        if self._data is None:
            if not self.path.exists():
                return None
            try:
                self._data = json.loads(self.path.read_text(encoding="utf-8") or "{}")
            except (OSError, ValueError) as exc:
                raise DataFileError(self.path, [f"the receipt register cannot be read: {exc}; restore it from "
                                                "the backup or the sealed archive (it is never rebuilt by guess)"])
            if not isinstance(self._data, dict):
                raise DataFileError(self.path, ["the receipt register is not a JSON object of tables"])
        return self._data

    def write(self, data):
        self._data = data
        self.dirty = True

    def flush(self) -> None:
        if not self.dirty or self._data is None:
            return
        text = json.dumps(self._data, ensure_ascii=False, indent=1, sort_keys=True) + "\n"
        write_atomic(self.path, text.encode("utf-8"))
        self.dirty = False

    def close(self):
        pass


def _rel(year_dir: Path, path) -> str:
    """A path as the register writes it: relative to the year folder, POSIX."""
    p = Path(path)
    if p.is_absolute():
        try:
            p = p.resolve().relative_to(year_dir.resolve())
        except ValueError:
            return PurePosixPath(*Path(path).parts).as_posix()
    return PurePosixPath(*p.parts).as_posix()


class Register:
    """The receipt register of one year folder. Open with :meth:`open`; use as a context manager to write."""

    def __init__(self, year_dir: Path):
        self.year_dir = Path(year_dir)
        self.path = self.year_dir / REGISTER
        self._storage: _AtomicJSON | None = None
        self.db = TinyDB(str(self.path), storage=self._make_storage)
        self._lock: FileLock | None = None
        self._by_stored: dict[str, dict] | None = None
        self._by_mid: dict[str, dict] | None = None
        self._by_bytes: dict[tuple, dict] | None = None

    def _make_storage(self, path):
        self._storage = _AtomicJSON(path)
        return self._storage

    @classmethod
    def open(cls, year_dir) -> "Register":
        """The register of ``year_dir`` (``data/<year>/``); an empty one when the file does not exist yet."""
        return cls(Path(year_dir))

    @classmethod
    def exists(cls, year_dir) -> bool:
        return (Path(year_dir) / REGISTER).is_file()

    # --- writing -----------------------------------------------------------------------------------------
    def __enter__(self) -> "Register":
        self.year_dir.mkdir(parents=True, exist_ok=True)
        self._lock = FileLock(str(self.year_dir / LOCK))
        try:
            self._lock.acquire(timeout=LOCK_TIMEOUT)
        except Timeout:
            raise ArchiveConflictError(
                f"{self.path}: another run is writing the receipt register (lock {self.year_dir / LOCK})",
                hint="wait for it to finish, then run again") from None
        self.db.clear_cache()
        if self._storage is not None:           # re-read: another run may have written since we opened it
            self._storage._data = None
        self._by_stored = self._by_mid = self._by_bytes = None
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        try:
            if exc_type is None:
                self.save()
        finally:
            if self._lock is not None:
                self._lock.release()
                self._lock = None

    def save(self) -> None:
        """Write every change so far (atomic, fsynced)."""
        if self._storage is not None:
            self._storage.flush()

    def add_message(self, entry: dict) -> dict:
        entry = _message_entry(entry)
        self.db.table("messages").insert(entry)
        if self._by_mid is not None and entry["message_id"] and not entry["duplicate_of"]:
            self._by_mid.setdefault(entry["message_id"], entry)
        if self._by_bytes is not None:
            self._by_bytes.setdefault((entry["sha256"], entry["from_addr"]), entry)
        return entry

    def add_attachment(self, entry: dict) -> dict:
        entry = _attachment_entry(entry)
        self.db.table("attachments").insert(entry)
        if self._by_stored is not None and entry["stored"]:
            self._by_stored.setdefault(entry["stored"], entry)
        return entry

    def add_letter(self, entry: dict) -> dict:
        entry = {k: entry.get(k) for k in ("kind", "unit", "form", "to", "message_id", "sent", "sha256", "eml")}
        self.db.table("letters").insert(entry)
        return entry

    def note_duplicate(self, first: dict, source: str) -> bool:
        """Note on the first entry of a message that it was received again from ``source`` (once per source)."""
        if not source or source == first.get("source"):
            return False
        note = f"duplicate: 重复收到（{source}）"
        q = Query()
        cond = (q.message_id == first.get("message_id")) & (q.source == first.get("source"))
        table = self.db.table("messages")
        doc = table.get(cond)
        if doc is None or note in (doc.get("notes") or []):
            return False
        notes = list(doc.get("notes") or []) + [note]
        table.update({"notes": notes}, cond)
        for cache in (self._by_mid or {}).values(), (self._by_bytes or {}).values():
            for e in cache:
                if e.get("message_id") == first.get("message_id") and e.get("source") == first.get("source"):
                    e["notes"] = notes
        return True

    def register_by_hand(self, stored, *, sha256: str, size: int, kind: str, name: str | None = None,
                         now: dt.datetime | None = None) -> dict:
        """A file put into an inbox by hand: registered now, with the note “收件时间按登记时间”."""
        rel = _rel(self.year_dir, stored)
        when = iso(now or dt.datetime.now(dt.timezone.utc))
        return self.add_attachment({"message_id": None, "name": name or PurePosixPath(rel).name, "stored": rel,
                                    "sha256": sha256, "size": size, "kind": kind, "workbook": None,
                                    "received": when, "from_addr": None, "notes": [NOTE_BY_REGISTRATION],
                                    "duplicate_of": None})

    # --- IMAP state --------------------------------------------------------------------------------------
    def imap_seen(self, account: str, folder: str, uidvalidity: int) -> set[int]:
        """The UIDs of ``folder`` already registered under this UIDVALIDITY (empty when it changed)."""
        q = Query()
        rows = self.db.table("imap").search((q.account == account) & (q.folder == folder))
        for row in rows:
            if row.get("uidvalidity") == uidvalidity:
                return set(row.get("uids") or [])
        return set()

    def imap_mark(self, account: str, folder: str, uidvalidity: int, uids) -> None:
        q = Query()
        table = self.db.table("imap")
        cond = (q.account == account) & (q.folder == folder)
        row = table.get(cond)
        if row is not None and row.get("uidvalidity") == uidvalidity:
            merged = sorted(set(row.get("uids") or []) | set(int(u) for u in uids))
        else:
            merged = sorted(set(int(u) for u in uids))
        table.upsert({"account": account, "folder": folder, "uidvalidity": int(uidvalidity), "uids": merged}, cond)

    # --- reading -----------------------------------------------------------------------------------------
    def messages(self) -> list[dict]:
        return [dict(e) for e in self.db.table("messages").all()]

    def attachments(self) -> list[dict]:
        return [dict(e) for e in self.db.table("attachments").all()]

    def letters(self) -> list[dict]:
        return [dict(e) for e in self.db.table("letters").all()]

    def message(self, message_id: str | None) -> dict | None:
        """The first (non-duplicate) message entry with this Message-ID."""
        if not message_id:
            return None
        if self._by_mid is None:
            self._by_mid = {}
            for e in self.db.table("messages").all():
                if e.get("message_id") and not e.get("duplicate_of"):
                    self._by_mid.setdefault(e["message_id"], dict(e))
        return self._by_mid.get(message_id)

    def message_with_bytes(self, sha256: str, from_addr: str | None) -> dict | None:
        """A message already registered with the same .eml bytes from the same sender."""
        if self._by_bytes is None:
            self._by_bytes = {}
            for e in self.db.table("messages").all():
                self._by_bytes.setdefault((e.get("sha256"), e.get("from_addr")), dict(e))
        return self._by_bytes.get((sha256, from_addr))

    def for_stored(self, path) -> dict | None:
        """The attachment entry of a stored file (path relative to the year folder, or absolute), or None."""
        rel = _rel(self.year_dir, path)
        if self._by_stored is None:
            self._by_stored = {}
            for e in self.db.table("attachments").all():
                if e.get("stored"):
                    self._by_stored.setdefault(e["stored"], dict(e))
        return self._by_stored.get(rel)

    def attachments_of(self, message_id: str) -> list[dict]:
        q = Query()
        return [dict(e) for e in self.db.table("attachments").search(q.message_id == message_id)]


def _message_entry(e: dict) -> dict:
    if e.get("received_source") not in ("date-header", "internaldate", "registration"):
        raise ValueError(f"received_source must be date-header, internaldate or registration: {e!r}")
    parse_time(e.get("received"))          # refuses a time without offset
    keys = ("message_id", "received", "received_source", "date_header", "from", "from_addr", "to", "subject",
            "eml", "sha256", "size", "source", "notes", "duplicate_of")
    out = {k: e.get(k) for k in keys}
    out["notes"] = list(e.get("notes") or [])
    return out


def _attachment_entry(e: dict) -> dict:
    if e.get("kind") not in KINDS:
        raise ValueError(f"kind must be one of {KINDS}: {e!r}")
    parse_time(e.get("received"))
    keys = ("message_id", "name", "stored", "sha256", "size", "kind", "workbook", "received", "from_addr",
            "notes", "duplicate_of")
    out = {k: e.get(k) for k in keys}
    out["notes"] = list(e.get("notes") or [])
    return out

"""The content-addressed cache: LibreOffice conversions and whole build stages, never run twice for the same inputs.

An entry's **key** is the sha256 of everything that changes its output (:class:`Key`): the input bytes,
the template bytes, the year's data files, the filter options, the LibreOffice build, the fonts the
official names resolve to (:func:`environment`), the package's own code (:func:`code_digest`). A key
that was built before is served from ``.cache/kjhdz/`` (``KJHDZ_CACHE`` overrides the folder; ``off``
turns the cache off) instead of being built again; anything that changes an input changes the key, so
an entry is never stale — it is only unused, and removed when the cache outgrows its limit
(``KJHDZ_CACHE_LIMIT_MB``, default 2048 MB; least recently used first).

Layout: ``<root>/<kind>/<key[:2]>/<key>/`` holding the files and ``entry.json`` (each file's size and
sha256, the time it was stored, free-form ``info``). An entry is written into a temporary folder,
every file and the folder fsynced, then renamed into place and the parent fsynced
(:func:`kjhdz_docs.staging.publish_dir`): a process killed mid-write leaves a ``.tmp-<pid>-…`` folder
that is never read and is removed by the next :func:`prune`, never half an entry. Every file is checked
against its sha256 when it is served; an entry that does not match is dropped and rebuilt.
"""

from __future__ import annotations

import functools
import hashlib
import json
import logging
import os
import shutil
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from .paths import ROOT

log = logging.getLogger(__name__)

ENTRY = "entry.json"
DEFAULT_LIMIT_MB = 2048


def cache_root() -> Path | None:
    """The cache folder, or None when ``KJHDZ_CACHE=off``."""
    raw = os.environ.get("KJHDZ_CACHE", "")
    if raw.lower() in ("off", "0", "no", "none"):
        return None
    return Path(raw) if raw else ROOT / ".cache" / "kjhdz"


def limit_bytes() -> int:
    try:
        return int(float(os.environ.get("KJHDZ_CACHE_LIMIT_MB", DEFAULT_LIMIT_MB)) * 1_000_000)
    except ValueError:
        return DEFAULT_LIMIT_MB * 1_000_000


def file_sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


class Key:
    """Builds a key from labelled parts; the label keeps ``a|bc`` and ``ab|c`` apart."""

    def __init__(self, kind: str):
        self.kind = kind
        self._h = hashlib.sha256(f"kjhdz-cache/1\0{kind}\0".encode())
        self.parts: list[str] = []

    def add(self, label: str, value) -> "Key":
        data = value if isinstance(value, bytes) else json.dumps(value, ensure_ascii=False, sort_keys=True,
                                                                  default=str).encode()
        self._h.update(f"{label}\0{len(data)}\0".encode() + data)
        self.parts.append(label)
        return self

    def file(self, label: str, path: Path | None) -> "Key":
        """The bytes of ``path`` (or that it is absent)."""
        if path is None or not Path(path).is_file():
            return self.add(label, "absent")
        return self.add(label, "sha256:" + file_sha256(Path(path)))

    def tree(self, label: str, folder: Path | None, *, mtimes: bool = False) -> "Key":
        """Every file under ``folder`` (relative path and bytes, in path order; with ``mtimes`` their
        modification times too — the intake's fallback order of two workbooks of one unit)."""
        folder = Path(folder) if folder else None
        if folder is None or not folder.is_dir():
            return self.add(label, "absent")
        listing = [(p.relative_to(folder).as_posix(), file_sha256(p)) + ((p.stat().st_mtime_ns,) if mtimes else ())
                   for p in sorted(folder.rglob("*")) if p.is_file()]
        return self.add(label, [str(folder.resolve()), listing])

    def hexdigest(self) -> str:
        return self._h.hexdigest()


# --- what every key shares: the programs and the code -----------------------------------------------
@functools.lru_cache(maxsize=1)
def code_digest() -> str:
    """The package version and the sha256 of its code and resources (a code change is a new version)."""
    from . import __version__

    pkg = Path(__file__).resolve().parent
    h = hashlib.sha256(__version__.encode())
    for p in sorted(pkg.rglob("*")):
        if p.is_file() and "__pycache__" not in p.parts and p.suffix not in (".pyc",):
            h.update(p.relative_to(pkg).as_posix().encode() + b"\0" + p.read_bytes())
    return f"{__version__}+{h.hexdigest()[:16]}"


@functools.lru_cache(maxsize=4)
def _libreoffice(soffice: str) -> str:
    real = Path(soffice).resolve()
    st = real.stat()
    found = [f"{real}:{st.st_size}:{st.st_mtime_ns}"]
    rc = real.parent / "versionrc"
    if rc.is_file():
        found.append(hashlib.sha256(rc.read_bytes()).hexdigest())
    return "|".join(found)


def libreoffice() -> str:
    """The LibreOffice that converts: the executable (path, size, time) and its build's ``versionrc``."""
    from .converter import soffice_path

    return _libreoffice(soffice_path())


def fonts() -> str:
    """The fonts configuration: ``fonts.conf`` and the file each official font resolves to."""
    from .fonts import FONTCONFIG_FILE, resolution

    h = hashlib.sha256(FONTCONFIG_FILE.read_bytes())
    for name, (family, path) in sorted(resolution().items()):
        try:
            st = os.stat(path)
            h.update(f"{name}\0{family}\0{path}\0{st.st_size}\0{st.st_mtime_ns}\0".encode())
        except OSError:
            h.update(f"{name}\0{family}\0{path}\0missing\0".encode())
    return h.hexdigest()


def environment() -> dict[str, str]:
    """What every stage and conversion key includes besides its own inputs."""
    return {"libreoffice": libreoffice(), "fonts": fonts(), "code": code_digest()}


# --- entries ----------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Hit:
    """A served entry: its folder, the files in it, its ``info``."""

    path: Path
    files: list[str]
    info: dict


def _entry_dir(root: Path, kind: str, key: str) -> Path:
    return root / kind / key[:2] / key


def get(kind: str, key: str) -> Hit | None:
    """The entry of ``key`` when it is there and whole (every file matches its sha256), else None."""
    root = cache_root()
    if root is None:
        return None
    folder = _entry_dir(root, kind, key)
    try:
        entry = json.loads((folder / ENTRY).read_text(encoding="utf-8"))
        for name, meta in entry["files"].items():
            p = folder / name
            if p.stat().st_size != meta["size"] or file_sha256(p) != meta["sha256"]:
                raise ValueError(f"{name} does not match its sha256")
    except FileNotFoundError:
        return None
    except (OSError, ValueError, KeyError, TypeError) as exc:
        log.warning("cache entry %s/%s is damaged (%s); it is dropped and rebuilt", kind, key[:12], exc)
        shutil.rmtree(folder, ignore_errors=True)
        return None
    try:
        os.utime(folder)                     # least recently used goes first when the cache is pruned
    except OSError:
        pass
    return Hit(folder, sorted(entry["files"]), entry.get("info") or {})


def listed(kind: str, key: str) -> bool:
    """Whether an entry of ``key`` is there, without reading its files: for work done ahead, which decides
    nothing (the one who uses the entry calls :func:`get`, which checks every file's sha256)."""
    root = cache_root()
    return root is not None and (_entry_dir(root, kind, key) / ENTRY).is_file()


def put(kind: str, key: str, files: dict[str, Path], info: dict | None = None) -> bool:
    """Store copies of ``files`` (name in the entry → source path) under ``key``; atomic and fsynced.
    A failure to store (disk full, permissions) is logged, never raised: the cache is an optimisation."""
    from .staging import fsync_path, publish_dir

    root = cache_root()
    if root is None:
        return False
    final = _entry_dir(root, kind, key)
    if (final / ENTRY).exists():
        return True
    tmp = None
    try:
        final.parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=f".tmp-{os.getpid()}-", dir=root))
        listing = {}
        for name, src in files.items():
            if "/" in name or name.startswith(".") or name == ENTRY:
                raise ValueError(f"{name!r} is not a plain file name")
            shutil.copyfile(src, tmp / name)
            fsync_path(tmp / name)
            listing[name] = {"size": (tmp / name).stat().st_size, "sha256": file_sha256(tmp / name)}
        (tmp / ENTRY).write_text(json.dumps({"kind": kind, "key": key, "files": listing, "info": info or {},
                                             "stored": time.time()}, ensure_ascii=False, sort_keys=True),
                                 encoding="utf-8")
        fsync_path(tmp / ENTRY)
        publish_dir(tmp, final)
        return True
    except FileExistsError:
        return True                              # another process stored the same key first
    except OSError as exc:
        log.warning("could not store %s in the cache (%s); continuing without it", kind, exc)
        return False
    finally:
        if tmp is not None and tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)


def restore(hit: Hit, name: str, target: Path, *, link: bool = False) -> Path:
    """Copy ``name`` of a served entry to ``target`` (atomic rename). ``link``: a hard link instead of a copy
    where the file system allows it — only for a private work folder whose files are read, never written
    in place and deleted afterwards (an entry altered through a link would fail :func:`get`'s sha256 check
    and be rebuilt, never served)."""
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f".{target.name}.part")
    tmp.unlink(missing_ok=True)
    try:
        if not link:
            shutil.copyfile(hit.path / name, tmp)
        else:
            os.link(hit.path / name, tmp)
    except OSError:
        if not link:
            raise
        shutil.copyfile(hit.path / name, tmp)        # a file system without hard links
    os.replace(tmp, target)
    return target


# --- size limit and cleaning ------------------------------------------------------------------------
def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _subfolders(folder: Path) -> list[Path]:
    """The folders in ``folder`` not starting with a dot ([] when it vanished: other processes write and prune
    the same cache, and a writer's ``.tmp-*`` folder comes and goes at any moment)."""
    try:
        with os.scandir(folder) as found:
            return [Path(e.path) for e in found if not e.name.startswith(".") and e.is_dir(follow_symlinks=False)]
    except (FileNotFoundError, NotADirectoryError):
        return []


def _entry_folders(root: Path) -> list[Path]:
    """Every ``<kind>/<2 hex>/<key>`` folder of the cache."""
    return [entry for kind in _subfolders(root) for shard in _subfolders(kind) for entry in _subfolders(shard)]


def prune(limit: int | None = None) -> tuple[int, int]:
    """Remove what killed writers left, then the least recently used entries until the cache is within
    ``limit`` bytes. Returns (entries removed, bytes now used)."""
    root = cache_root()
    if root is None or not root.is_dir():
        return 0, 0
    limit = limit_bytes() if limit is None else limit
    for p in root.glob(".tmp-*"):
        try:
            pid = int(p.name.split("-")[1])
        except (IndexError, ValueError):
            pid = -1
        if pid != os.getpid() and not _pid_alive(pid):
            shutil.rmtree(p, ignore_errors=True)
    entries = []
    for folder in _entry_folders(root):
        try:
            if not (folder / ENTRY).is_file():
                continue
            size = sum(f.stat().st_size for f in folder.iterdir())
            entries.append((folder.stat().st_mtime, size, folder))
        except OSError:                      # removed meanwhile by another process's prune
            continue
    used = sum(s for _, s, _ in entries)
    removed = 0
    for _, size, folder in sorted(entries):
        if used <= limit:
            break
        shutil.rmtree(folder, ignore_errors=True)
        used -= size
        removed += 1
    return removed, used


def clean(*, cache: bool = False) -> int:
    """``invoke clean [--cache]``: remove ``build/`` (and with ``cache`` the cache folder); never the archive."""
    from . import console
    from .paths import build_root

    gone = []
    if build_root().exists():
        shutil.rmtree(build_root())
        gone.append(str(build_root()))
    if cache:
        root = clear()
        if root is not None:
            gone.append(str(root))
    console.say("removed " + ", ".join(gone) if gone else "nothing to remove")
    return 0


def clear() -> Path | None:
    """Remove the whole cache folder; returns it (None when the cache is off)."""
    root = cache_root()
    if root is not None and root.exists():
        shutil.rmtree(root)
    return root


# --- whole stages -----------------------------------------------------------------------------------
def stage_key(stage: str, year: int, *, files: dict[str, Path | None], trees: dict[str, Path | None] | None = None,
              extra: dict | None = None) -> str:
    """The key of one build stage: its input files (data files, template), its inbox trees (bytes and
    modification times), ``extra`` (options), and :func:`environment`."""
    key = Key(f"stage-{stage}").add("year", year).add("environment", environment()).add("extra", extra or {})
    for label, path in sorted(files.items()):
        key.file(label, path)
        key.add(label + ":path", str(Path(path).resolve()) if path else None)
    for label, folder in sorted((trees or {}).items()):
        key.tree(label, folder, mtimes=True)
    return key.hexdigest()


def register_entries(year: int, inbox: Path) -> list | None:
    """What the receipt register says of the files of ``inbox`` (their attachment entries and the
    messages they came in), for a stage key: a message received for the other inbox changes nothing here."""
    from .receive.register import Register, year_dir_of_inbox

    year_dir = year_dir_of_inbox(year, inbox)
    if year_dir is None or not Register.exists(year_dir):
        return None
    try:
        prefix = Path(inbox).resolve().relative_to(year_dir.resolve()).as_posix().rstrip("/") + "/"
    except ValueError:
        return None
    reg = Register.open(year_dir)
    atts = sorted((a for a in reg.attachments() if str(a.get("stored") or "").startswith(prefix)),
                  key=lambda a: (str(a.get("stored")), str(a.get("message_id"))))
    ids = {a.get("message_id") for a in atts}
    msgs = sorted((m for m in reg.messages() if m.get("message_id") in ids), key=lambda m: str(m.get("message_id")))
    return [atts, msgs]


def serve_stage(stage: str, key: str, outdir: Path) -> Hit | None:
    """When ``key`` was built before, make ``outdir`` hold exactly those outputs (copied from the cache
    only if they differ) and return the entry; else None."""
    from .staging import staged_output

    hit = get(f"stage-{stage}", key)
    if hit is None:
        return None
    entry = json.loads((hit.path / ENTRY).read_text(encoding="utf-8"))["files"]
    stale = [n for n in hit.files if not (outdir / n).is_file() or (outdir / n).stat().st_size != entry[n]["size"]
             or file_sha256(outdir / n) != entry[n]["sha256"]]
    if stale:
        with staged_output(outdir) as (work, _):
            for name in stale:
                shutil.copyfile(hit.path / name, work / name)
    return hit


def store_stage(stage: str, key: str, outputs: list[Path], info: dict | None = None) -> None:
    """Keep a stage's published outputs under ``key``."""
    if put(f"stage-{stage}", key, {p.name: p for p in outputs if p.is_file()}, info=info):
        prune()


def say_unchanged(stage: str, year: int, outdir: Path) -> None:
    from . import console

    console.say(f"{stage} {year}: inputs unchanged, not rebuilt (outputs from the cache) → {outdir}")


def serve_unchanged(stage: str, year: int, key: str, outdir: Path, json_name: str | None) -> int | None:
    """A stage whose key is unchanged: its cached outputs are put back in ``outdir``, one line says so, its
    JSON goes to stdout when asked (``json_name``), and the stage's exit code is returned; None on a miss."""
    import json

    from . import console

    hit = serve_stage(stage, key, outdir)
    if not hit:
        return None
    say_unchanged(stage, year, outdir)
    if json_name:
        console.emit_json(json.loads((Path(outdir) / json_name).read_text(encoding="utf-8")))
    return int(hit.info.get("exit", 0))

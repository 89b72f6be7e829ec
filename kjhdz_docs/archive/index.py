"""The archive index: ``archive/index.json`` (tinydb), one document per 件 of every sealed version.

It is derived data: :func:`reindex` rebuilds it from the bags' ``data/metadata/*.json`` (never
touching a bag) into a temporary file that replaces the old index in one rename, under the archive
lock, so only one process writes it and readers never see half an index.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from tinydb import TinyDB
from tinydb.storages import JSONStorage

from .. import console
from ..paths import archive_root
from . import fulltext
from ..staging import replace_durably
from .lock import archive_lock

INDEX = "index.json"
LATEST = "latest"
VERSION_RE = re.compile(r"^v(\d+)$")


def index_path(root: Path | None = None) -> Path:
    return (root or archive_root()) / INDEX


def year_dirs(root: Path | None = None) -> list[Path]:
    root = root or archive_root()
    if not root.exists():
        return []
    return sorted((p for p in root.iterdir() if p.is_dir() and re.fullmatch(r"\d{4}", p.name)), key=lambda p: p.name)


def versions(year_dir: Path) -> list[Path]:
    """The sealed versions of a year, oldest first (temporary folders are not versions)."""
    found = [p for p in year_dir.iterdir() if p.is_dir() and VERSION_RE.match(p.name)] if year_dir.exists() else []
    return sorted(found, key=lambda p: int(VERSION_RE.match(p.name).group(1)))


def latest_version(year_dir: Path) -> str | None:
    """The version named by ``<year>/latest``, else the highest sealed one."""
    try:
        name = (year_dir / LATEST).read_text(encoding="utf-8").strip()
        if VERSION_RE.match(name) and (year_dir / name).is_dir():
            return name
    except OSError:
        pass
    found = versions(year_dir)
    return found[-1].name if found else None


def read_bag_records(bag: Path) -> list[dict]:
    """The per-件 metadata of one bag, in the order of the 归档文件目录 (序号)."""
    return _read_records(bag)[0]


def _read_records(bag: Path) -> tuple[list[dict], dict[str, str]]:
    """:func:`read_bag_records`, and the sha256 of each record file read (by path relative to the bag)."""
    import hashlib

    meta, found, digests = bag / "data" / "metadata", [], {}
    for p in sorted(meta.glob("*.json")) if meta.exists() else []:
        data = p.read_bytes()
        digests[p.relative_to(bag).as_posix()] = hashlib.sha256(data).hexdigest()
        found.append(json.loads(data.decode("utf-8")))
    return sorted(found, key=lambda r: r.get("序号") or 0), digests


def index_entry(record: dict, *, year: int, version: str, latest: bool, bag_rel: str) -> dict:
    """The searchable view of one 件."""
    files = record.get("files", [])
    original = next((f for f in files if f["role"] in ("original", "submission")), None)
    rendition = next((f for f in files if f["role"] == "rendition"), None)
    sub = record.get("submission") or {}
    return {
        "档号": record["档号"], "year": year, "version": version, "latest": latest, "type": record["type"],
        "件号": record["件号"], "题名": record["题名"], "文件编号": record.get("文件编号", ""),
        "责任者": record.get("责任者", []), "日期": record.get("日期", ""), "保管期限": record["保管期限"],
        "页数": record.get("页数"), "公开属性": record.get("公开属性", ""), "密级": record.get("密级", ""),
        "序号": record.get("序号"), "报送单位": record.get("报送单位"),
        "status": sub.get("status"), "unit": sub.get("unit") or (record.get("letter") or {}).get("unit"),
        "bag": bag_rel,
        "pdf": f"{bag_rel}/{rendition['path']}" if rendition else None,
        "pdf_sha256": rendition["sha256"] if rendition else None,
        "original": f"{bag_rel}/{original['path']}" if original else None,
        "original_name": original["name"] if original else None,
        "original_sha256": original["sha256"] if original else None,
        "files": [{"role": f["role"], "path": f"{bag_rel}/{f['path']}", "name": f["name"], "sha256": f["sha256"]}
                  for f in files],
    }


def bag_entries(bag: Path, *, year: int, rel: str) -> list[dict]:
    """The index entries of one sealed bag (``latest`` False), from its metadata records — kept in the cache
    by the bag's payload manifest (which names every record's sha256), so that a season of versions is not
    read again at every seal: a version never changes after it is sealed. A bag whose records no longer
    match its manifest fails ``invoke verify``, which compares the index with the records on disk."""
    from .. import cache

    key = (cache.Key("index-entries").file("manifest", bag / "manifest-sha256.txt").add("bag", rel)
           .add("code", cache.code_digest()).hexdigest())
    hit = cache.get("index-entries", key)
    if hit is not None and "entries.json" in hit.files:
        try:
            return json.loads((hit.path / "entries.json").read_text(encoding="utf-8"))
        except (OSError, ValueError):
            pass
    from .bag import manifest_digests

    records, digests = _read_records(bag)
    entries = [index_entry(r, year=year, version=bag.name, latest=False, bag_rel=rel) for r in records]
    listed = {k: v for k, v in manifest_digests(bag).items() if k.startswith("data/metadata/")}
    if listed and digests == listed:                 # kept only when the records are exactly the sealed ones
        import tempfile

        with tempfile.TemporaryDirectory(prefix="kjhdz-index-") as tmp:
            path = Path(tmp) / "entries.json"
            path.write_text(json.dumps(entries, ensure_ascii=False), encoding="utf-8")
            cache.put("index-entries", key, {"entries.json": path})
    return entries


def collect_entries(root: Path | None = None) -> list[dict]:
    root = root or archive_root()
    entries = []
    for year_dir in year_dirs(root):
        latest = latest_version(year_dir)
        for bag in versions(year_dir):
            rel = bag.relative_to(root).as_posix()
            for entry in bag_entries(bag, year=int(year_dir.name), rel=rel):
                entries.append({**entry, "latest": bag.name == latest})
    return entries


def write_index(root: Path | None = None) -> int:
    """Rebuild the index from the bags, then the full-text index (:mod:`.fulltext`, ``archive/search/``) of the
    latest versions (the caller holds the archive lock); returns the entry count."""
    root = root or archive_root()
    entries = collect_entries(root)
    tmp = root / f".{INDEX}.part"
    tmp.unlink(missing_ok=True)
    db = TinyDB(tmp, storage=JSONStorage, ensure_ascii=False, sort_keys=True, indent=1)
    db.insert_multiple(entries)
    db.close()
    replace_durably(tmp, index_path(root))         # flushed before the rename, the folder after it
    fulltext.write_search_index(root, entries)
    return len(entries)


def reindex() -> int:
    """``invoke reindex``: rebuild ``archive/index.json`` from every sealed bag."""
    root = archive_root()
    with archive_lock("rebuilding the index", root=root):
        n = write_index(root)
    console.say(f"{index_path(root)}: {n} records from {sum(len(versions(y)) for y in year_dirs(root))} bag(s)")
    return 0


def load_index(root: Path | None = None) -> list[dict]:
    """Every entry of the index (read-only; [] when there is no index yet)."""
    path = index_path(root)
    if not path.exists():
        return []
    db = TinyDB(path, storage=JSONStorage, access_mode="r")
    try:
        return [dict(d) for d in db.all()]
    finally:
        db.close()

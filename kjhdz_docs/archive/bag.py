"""BagIt (RFC 8493) through bagit-python: the one module that makes and validates bags.

bagit-python bags a folder in place (its contents move into ``data/``), so a seal lays the payload
out in a temporary folder beside the final one, bags and validates it there, then renames it.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from pathlib import Path

import bagit

CHECKSUMS = ("sha256", "sha512")
PARALLEL_FROM = 500         # files from which bagit hashes the payload in two processes

logging.getLogger("bagit").setLevel(logging.ERROR)    # every problem is reported by validate()


BAGIT_PATH_CHECK = bagit.Bag._path_is_dangerous        # bagit's own, the reference tests compare against


def _path_is_dangerous(self, path: str) -> bool:
    """bagit-python's check that a path named in a manifest stays inside the bag, with the same answer but
    each folder resolved once per bag opened: bagit resolves every component of every entry (and the bag's
    own path) again for each line of each manifest, which for a bag of 18,000 files took seconds per
    opening. The last component is resolved fully when it is a symbolic link."""
    if os.path.isabs(path) or os.path.expanduser(path) != path:
        return True
    resolved = self.__dict__.setdefault("_kjhdz_resolved", {})      # folder in the bag → its real path

    def real_folder(head: str) -> str:
        if head not in resolved:
            resolved[head] = os.path.normpath(os.path.realpath(os.path.join(self.path, head)))
        return resolved[head]

    head, tail = os.path.split(path)
    target = os.path.join(real_folder(head), tail)
    real = os.path.normpath(os.path.realpath(target) if not tail or os.path.islink(target) else target)
    return os.path.commonprefix((real_folder(""), real)) != real_folder("")


bagit.Bag._path_is_dangerous = _path_is_dangerous


@dataclass(frozen=True)
class BagProblem:
    """One thing wrong with a bag: the file (relative to the bag) and what."""

    path: str
    check: str           # checksum | missing | unexpected | structure
    message: str


BAGIT_TXT = "BagIt-Version: 1.0\nTag-File-Character-Encoding: UTF-8\n"


def _processes(folder: Path) -> int:
    """How many processes bagit hashes ``folder``'s files in (:func:`.parallel.processes`)."""
    from .. import parallel

    return parallel.processes(sum(len(files) for _, _, files in os.walk(folder)), PARALLEL_FROM)


def make_bag(folder: Path, info: dict[str, str]) -> None:
    """Turn ``folder`` into a BagIt 1.0 bag (RFC 8493) in place (payload moves to ``data/``), sha256 + sha512
    manifests. bagit-python writes ``BagIt-Version: 0.97``; the declaration is rewritten to 1.0 (what it
    writes is valid 1.0: UTF-8 tag files, manifests of every payload file) and the tag manifests updated."""
    bagit.make_bag(str(folder), bag_info=dict(info), processes=_processes(folder), checksums=list(CHECKSUMS))
    (Path(folder) / "bagit.txt").write_text(BAGIT_TXT, encoding="utf-8")
    _remake_tagmanifests(Path(folder))         # over the rewritten bagit.txt


def _remake_tagmanifests(folder: Path) -> None:
    """The tag manifests made again over the tag files as they are now, by bagit-python's own function as its
    ``Bag.save`` does (which would also walk the whole payload twice for permissions and load every manifest
    again; a seal validates the whole bag right after)."""
    old = os.getcwd()
    os.chdir(folder)                 # bagit lists the tag files relative to the working folder, as in save()
    try:
        for alg in CHECKSUMS:
            bagit._make_tagmanifest_file(alg, str(folder), encoding="utf-8")
    finally:
        os.chdir(old)


def add_to_payload(folder: Path, added: list[str], info: dict[str, str]) -> None:
    """After the files ``added`` (paths relative to the bag, under ``data/``) were written into a bag: their
    lines added to each payload manifest (no other file is read again), Payload-Oxum counted up, ``info``
    added to bag-info.txt, the tag manifests made again. The seal validates the whole bag right after."""
    import hashlib

    folder = Path(folder)
    digests = {alg: [] for alg in CHECKSUMS}
    size = 0
    for rel in added:
        if not rel.startswith("data/"):
            raise ValueError(f"{rel}: not a payload file")
        hashes = {alg: hashlib.new(alg) for alg in CHECKSUMS}
        with open(folder / rel, "rb") as f:
            for chunk in iter(lambda: f.read(1 << 20), b""):
                for h in hashes.values():
                    h.update(chunk)
        size += (folder / rel).stat().st_size
        for alg, h in hashes.items():
            digests[alg].append(f"{h.hexdigest()}  {rel.replace(chr(13), '%0D').replace(chr(10), '%0A')}\n")
    for alg, lines in digests.items():
        manifest = folder / f"manifest-{alg}.txt"
        listed = {line.split("  ", 1)[1] for line in manifest.read_text(encoding="utf-8").splitlines() if "  " in line}
        if listed & {line.split("  ", 1)[1].rstrip("\n") for line in lines}:
            raise ValueError(f"{manifest.name}: a file to add is listed already")
        with open(manifest, "a", encoding="utf-8") as out:
            out.writelines(lines)
    tags = bagit._load_tag_file(str(folder / "bag-info.txt"))     # what bagit.Bag(folder).info holds
    oxum = tags["Payload-Oxum"][0] if isinstance(tags["Payload-Oxum"], list) else tags["Payload-Oxum"]
    octets, files = (int(x) for x in str(oxum).split("."))
    tags.update(info)
    tags["Payload-Oxum"] = f"{octets + size}.{files + len(added)}"
    bagit._make_tag_file(str(folder / "bag-info.txt"), tags)       # as Bag.save writes it
    _remake_tagmanifests(folder)


def _detail(d) -> BagProblem:
    if isinstance(d, bagit.ChecksumMismatch):
        return BagProblem(d.path, "checksum", f"{d.algorithm} mismatch: manifest {d.expected[:16]}…, file {d.found[:16]}…")
    if isinstance(d, bagit.FileMissing):
        return BagProblem(d.path, "missing", "listed in the manifest but not in the bag")
    if isinstance(d, bagit.UnexpectedFile):
        return BagProblem(d.path, "unexpected", "in the bag but in no manifest")
    return BagProblem(str(getattr(d, "path", "") or ""), "structure", str(d))


def validate(folder: Path) -> list[BagProblem]:
    """Full validation (every checksum recomputed, completeness both ways); [] when the bag is valid.

    bagit-python stops at a Payload-Oxum mismatch without saying which file; then the file lists and
    every checksum are compared one by one so that each missing, added or altered file is named.
    """
    try:
        bag = bagit.Bag(str(folder))
    except bagit.BagError as exc:
        return [BagProblem("", "structure", str(exc))]
    processes = _processes(folder)
    try:
        bag.validate(processes=processes, fast=False)
        return []
    except bagit.BagValidationError as exc:
        found = [_detail(d) for d in exc.details or []]
        if found:
            return found
        first = BagProblem("", "structure", str(exc))
    except bagit.BagError as exc:
        return [BagProblem("", "structure", str(exc))]
    out = [first]
    only_in_manifests, only_in_fs = bag.compare_manifests_with_fs()
    out += [_detail(bagit.FileMissing(p)) for p in sorted(only_in_manifests)]
    out += [_detail(bagit.UnexpectedFile(p)) for p in sorted(only_in_fs)]
    try:
        bag._validate_entries(processes)       # bagit 1.9: recomputes every checksum, collects every mismatch
    except bagit.BagValidationError as exc:
        out += [_detail(d) for d in exc.details or [] if not isinstance(d, bagit.FileMissing)
                and not (isinstance(d, bagit.ChecksumMismatch) and d.path in only_in_manifests)]
    return out


def manifest_digests(folder: Path, alg: str = "sha256") -> dict[str, str]:
    """The payload manifest of ``alg`` as {path relative to the bag: digest}, read as bagit-python reads it
    (``{}`` when it is missing or unreadable). What these digests prove depends on when they are used: right
    after :func:`make_bag` made them from the files, or after :func:`validate` found every file matching them."""
    try:
        lines = (Path(folder) / f"manifest-{alg}.txt").read_text(encoding="utf-8").lstrip("\ufeff").splitlines()
    except (OSError, UnicodeDecodeError):
        return {}
    found = {}
    for line in lines:
        entry = line.strip().split(None, 1)
        if len(entry) == 2 and not entry[0].startswith("#"):
            found[bagit._decode_filename(os.path.normpath(entry[1].lstrip("*")))] = entry[0].lower()
    return found


def info(folder: Path) -> dict[str, str]:
    """bag-info.txt as a dict (first value of repeated labels), read as bagit-python reads it — without
    loading the manifests, which a bag of many files takes seconds for."""
    tags = bagit._load_tag_file(str(Path(folder) / "bag-info.txt"))      # what bagit.Bag(folder).info holds
    return {k: (v[0] if isinstance(v, list) else v) for k, v in tags.items()}

"""Durability drill: the order of flushes and renames of a real seal, read from the kernel with strace.

A rename survives a crash of the machine only when what it names was on disk before it (fsync of every
file and folder of the new version) and the folder holding the new name was flushed after it. The drill
runs a real ``invoke archive --force`` under ``strace -f -y`` (only fsync/fdatasync/rename* are traced, with
seccomp-bpf, so LibreOffice runs at full speed) and checks that order for the bag, ``latest``, the index and
the cache entries the run wrote.
"""

from __future__ import annotations

import codecs
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.conftest import requires_soffice

from .archive_year import FORCE, SEAL, copy_archive, seal_env, seal_test_year
from .common import ROOT

pytestmark = [requires_soffice, pytest.mark.slow,
              pytest.mark.skipif(shutil.which("strace") is None, reason="strace is not installed "
                                 "(apt-get install strace; scripts/quickstart.sh setup installs it)")]

SYNC = re.compile(r"^\d+\s+(?:<\.\.\. )?(fsync|fdatasync)\((\d+)<(.*?)>(?:\)|\s+<unfinished)")
RENAME = re.compile(r"^\d+\s+(rename|renameat|renameat2)\((.*)\)\s+=\s+0")
QUOTED = re.compile(r'"((?:[^"\\]|\\.)*)"')


def _unescape(text: str) -> str:
    return codecs.escape_decode(text.encode("latin-1", "backslashreplace"))[0].decode("utf-8", "replace")


def trace(log: Path) -> list[tuple[str, tuple[str, ...]]]:
    """(sync, (path,)) and (rename, (old, new)) events in the order the kernel saw them."""
    events = []
    for line in log.read_text(encoding="latin-1").splitlines():
        if m := SYNC.match(line):
            events.append(("sync", (_unescape(m.group(3)),)))
        elif m := RENAME.match(line):
            old, new = (_unescape(q) for q in QUOTED.findall(m.group(2))[:2])
            events.append(("rename", (old, new)))
    return events


@pytest.fixture(scope="module")
def sealed(tmp_path_factory):
    return seal_test_year(tmp_path_factory.mktemp("drill-durable"))


def _rename(events, match) -> int:
    found = [i for i, (kind, args) in enumerate(events) if kind == "rename" and match(*args)]
    assert len(found) == 1, f"expected one such rename, found {len(found)}"
    return found[0]


def _synced(events, start: int, stop: int) -> set[str]:
    return {args[0] for kind, args in events[start:stop] if kind == "sync"}


def test_a_seal_flushes_every_file_and_folder_before_each_rename_and_the_folder_after(sealed, tmp_path):
    base, original = sealed
    archive = copy_archive(original, tmp_path / "archive")
    cache = tmp_path / "cache"
    log = tmp_path / "strace.log"
    cmd = ["strace", "-f", "-qq", "--seccomp-bpf", "-y", "-s", "4096", "-o", str(log),
           "-e", "trace=fsync,fdatasync,rename,renameat,renameat2", *SEAL, *FORCE]
    done = subprocess.run(cmd, cwd=ROOT, env=seal_env(base, archive, KJHDZ_CACHE=str(cache)),
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-2000:]
    events = trace(log)
    year = str((archive / "2024").resolve())
    root = str(archive.resolve())

    # the bag: every file and folder of the new version flushed before the rename, the year folder after
    i_bag = _rename(events, lambda old, new: new == f"{year}/v2" and old.startswith(f"{year}/.v2-"))
    staging = events[i_bag][1][0]
    before = _synced(events, 0, i_bag)
    bag = archive / "2024" / "v2"
    files = [p.relative_to(bag).as_posix() for p in bag.rglob("*") if p.is_file()]
    folders = [p.relative_to(bag).as_posix() for p in bag.rglob("*") if p.is_dir()]
    assert len(files) > 50 and "bag-info.txt" in files and "manifest-sha256.txt" in files
    assert [f for f in files if f"{staging}/{f}" not in before] == []
    assert [d for d in folders if f"{staging}/{d}" not in before] == [] and staging in before
    i_latest = _rename(events, lambda old, new: new == f"{year}/latest")
    assert year in _synced(events, i_bag + 1, i_latest), "the year folder was not flushed after the rename"

    # latest: the pointer flushed before its rename, the year folder after
    assert f"{year}/.latest.part" in _synced(events, i_bag, i_latest)
    i_index = _rename(events, lambda old, new: new == f"{root}/index.json")
    assert year in _synced(events, i_latest + 1, len(events))
    # the index: flushed before, the archive folder after
    assert events[i_index][1][0] in _synced(events, i_latest, i_index)
    assert root in _synced(events, i_index + 1, len(events))
    assert i_bag < i_latest < i_index

    # the cache: each entry written in a temporary folder, its files flushed, renamed, the parent flushed
    entries = [i for i, (kind, args) in enumerate(events) if kind == "rename"
               and args[0].startswith(f"{cache.resolve()}/.tmp-")]
    assert entries, "the seal stored nothing in the cache"
    for i in entries:
        old, new = events[i][1]
        assert f"{old}/entry.json" in _synced(events, 0, i) and old in _synced(events, 0, i)
        assert str(Path(new).parent) in _synced(events, i + 1, len(events))

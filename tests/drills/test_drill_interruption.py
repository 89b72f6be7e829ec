"""Drill: a sealing run killed with SIGKILL — during the LibreOffice conversion, during bagging, just before
the rename into ``v<N>``, and just after it (before the index is written).

Afterwards the year holds only complete versions (v1 byte-identical, no half-made v2), the index parses
and matches the bags, the next run seals and ``verify`` passes.
"""

from __future__ import annotations

import os
import signal
import time

import psutil
import pytest

from kjhdz_docs.archive import bag as bagging
from kjhdz_docs.archive.seal import seal_year
from kjhdz_docs.archive.verify import verify

from ..conftest import requires_soffice
from .archive_year import FORCE, seal_test_year, copy_archive, index_consistent, start_seal, versions
from .common import snapshot

pytestmark = [requires_soffice, pytest.mark.slow]


@pytest.fixture(scope="module")
def sealed(tmp_path_factory):
    """(build base, archive with 2024/v1)."""
    return seal_test_year(tmp_path_factory.mktemp("drill-interrupt"))


def _kill_when_converting(proc) -> list[int]:
    """SIGKILL the seal as soon as its LibreOffice child runs; returns the orphaned soffice process groups."""
    deadline = time.monotonic() + 60
    parent = psutil.Process(proc.pid)
    while time.monotonic() < deadline:
        kids = []
        for k in parent.children(recursive=True):
            try:
                if "soffice" in " ".join(k.cmdline()):
                    kids.append(os.getpgid(k.pid))      # soffice runs in its own process group
            except (psutil.Error, ProcessLookupError):
                continue
        if kids:
            proc.send_signal(signal.SIGKILL)
            return kids
        assert proc.poll() is None, proc.stderr.read()
        time.sleep(0.02)
    raise AssertionError("the seal never started LibreOffice")


def _kill_when_paused(proc, point: str) -> list[int]:
    line = proc.stderr.readline()
    while line and "KJHDZ paused at" not in line:
        line = proc.stderr.readline()
    assert f"KJHDZ paused at {point}" in line, "the seal finished or failed before the pause point"
    proc.send_signal(signal.SIGKILL)
    return []


@pytest.mark.parametrize("point", ["conversion", "bagging", "rename", "index"])
def test_sigkill_while_sealing_leaves_a_consistent_archive(sealed, tmp_path, monkeypatch, point):
    base, original = sealed
    archive = copy_archive(original, tmp_path / "archive")
    v1 = snapshot(archive / "2024" / "v1")
    # the year is sealed already with the same content: only a forced seal gets that far
    proc = start_seal(base, archive, *FORCE, **({} if point == "conversion" else {"KJHDZ_TEST_PAUSE_AT": point}))
    try:
        orphans = _kill_when_converting(proc) if point == "conversion" else _kill_when_paused(proc, point)
        assert proc.wait(timeout=30) == -signal.SIGKILL
    finally:
        proc.kill()
        proc.wait()
    for group in set(orphans):               # LibreOffice runs in its own session: end it (and soffice.bin)
        try:
            os.killpg(group, signal.SIGKILL)
        except ProcessLookupError:
            pass

    # right after the kill: only complete versions, v1 untouched, the index not torn
    assert snapshot(archive / "2024" / "v1") == v1
    if point == "index":                     # renamed, so complete and valid; the index still lists v1 only
        assert versions(archive) == ["v1", "v2"] and bagging.validate(archive / "2024" / "v2") == []
    else:
        assert versions(archive) == ["v1"]
    for bag in versions(archive):
        assert bagging.validate(archive / "2024" / bag) == []
    raw_index_ok = index_consistent(archive)
    assert raw_index_ok or point == "index"

    # the next run seals, cleans what the killed run left, and everything verifies
    monkeypatch.setenv("KJHDZ_BUILD", str(base / "build"))
    monkeypatch.setenv("KJHDZ_ARCHIVE", str(archive))
    monkeypatch.setenv("KJHDZ_ARCHIVE_LOCK_TIMEOUT", "10")
    if point == "index":                     # v2 was complete: the next run names it latest, nothing to seal
        assert seal_year(2024) == 0
        assert versions(archive) == ["v1", "v2"] and (archive / "2024" / "latest").read_text().strip() == "v2"
        assert index_consistent(archive)
    assert seal_year(2024, force=True, reason="drill: after the kill") == 0
    expected = ["v1", "v2", "v3"] if point == "index" else ["v1", "v2"]
    assert versions(archive) == expected
    assert (archive / "2024" / "latest").read_text().strip() == expected[-1]
    assert index_consistent(archive)
    assert sorted(p.name for p in (archive / "2024").iterdir()) == sorted(expected + ["latest"]), \
        "a temporary folder of the killed run is still in the year"
    assert not [p.name for p in archive.iterdir() if p.name.endswith(".part")]
    assert verify(2024) == 0

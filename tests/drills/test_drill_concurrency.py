"""Drill: runs at the same time — two real sealing processes of one year, two builds into different folders.

Two seals: with the default wait, the second waits for the lock and seals v2 after v1; with a short wait
(``KJHDZ_ARCHIVE_LOCK_TIMEOUT``) it fails with exit code 5 naming the holder. Either way the year holds
only complete versions and the index matches the bags. Two builds never share a LibreOffice profile.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time

import psutil
import pytest

from kjhdz_docs.archive import bag as bagging
from kjhdz_docs.archive.verify import verify
from kjhdz_docs.errors import ExitCode

from ..archive_tree import make_tree
from ..conftest import fake_soffice, requires_soffice
from .archive_year import FORCE, index_consistent, start_seal, versions
from .common import ROOT, small_statistics_inbox

pytestmark = [requires_soffice, pytest.mark.slow]


@pytest.fixture(scope="module")
def tree(tmp_path_factory):
    base = tmp_path_factory.mktemp("drill-concurrent")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("KJHDZ_BUILD", str(base / "build"))
        make_tree(base)
    return base


def _both(base, archive, args=(), **env):
    procs = [start_seal(base, archive, *args, **env) for _ in range(2)]
    outs = [p.communicate(timeout=300) for p in procs]
    return [(p.returncode, err) for p, (_, err) in zip(procs, outs)]


def test_second_seal_waits_then_finds_the_year_current(tree, tmp_path, monkeypatch):
    archive = tmp_path / "archive"
    runs = _both(tree, archive)
    assert [code for code, _ in runs] == [0, 0], [err[-1500:] for _, err in runs]   # rejected files inside: still 0
    assert versions(archive) == ["v1"]
    assert sum("2024: v1 is current, nothing changed" in err for _, err in runs) == 1
    assert bagging.validate(archive / "2024" / "v1") == [] and index_consistent(archive)


def test_two_forced_seals_wait_for_each_other_and_seal_two_versions(tree, tmp_path, monkeypatch):
    archive = tmp_path / "archive"
    runs = _both(tree, archive, args=FORCE)
    assert [code for code, _ in runs] == [0, 0], [err[-1500:] for _, err in runs]
    assert versions(archive) == ["v1", "v2"]
    assert all(bagging.validate(archive / "2024" / v) == [] for v in ("v1", "v2"))
    assert bagging.info(archive / "2024" / "v2")["Supersedes"] == "v1"
    assert index_consistent(archive)
    monkeypatch.setenv("KJHDZ_BUILD", str(tree / "build"))
    monkeypatch.setenv("KJHDZ_ARCHIVE", str(archive))
    assert verify(2024) == 0


def test_second_seal_fails_clearly_when_it_may_not_wait(tree, tmp_path, monkeypatch):
    archive = tmp_path / "archive"
    runs = sorted(_both(tree, archive, KJHDZ_ARCHIVE_LOCK_TIMEOUT="1"))
    (sealed, _), (refused, message) = runs
    assert sealed == 0 and refused == ExitCode.ARCHIVE_CONFLICT == 5, message[-1500:]
    assert "the archive is locked by pid" in message and "(sealing 2024)" in message
    assert "let that run finish and try again" in message and "Traceback" not in message
    assert versions(archive) == ["v1"] and index_consistent(archive)
    assert sorted(p.name for p in (archive / "2024").iterdir()) == ["latest", "v1"]
    monkeypatch.setenv("KJHDZ_BUILD", str(tree / "build"))
    monkeypatch.setenv("KJHDZ_ARCHIVE", str(archive))
    assert verify(2024) == 0


def test_two_builds_into_different_folders_share_no_libreoffice_profile(tmp_path):
    """Both LibreOffice processes run at the same time (each held 2 s before it starts the real soffice):
    their profiles and their output folders differ, and both builds give the same summary."""
    inbox = small_statistics_inbox(tmp_path / "inbox")
    slow = fake_soffice(tmp_path, f'sleep 2; exec "{shutil.which("soffice")}" "$@"')
    outs = [tmp_path / "a" / "summary", tmp_path / "b" / "summary"]
    procs = [subprocess.Popen([sys.executable, "-m", "invoke", "build-summary", "--inbox", str(inbox), "--out",
                               str(out)], cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                              env=dict(os.environ, KJHDZ_SOFFICE=str(slow)))
             for out in outs]
    profiles: dict[int, set[str]] = {p.pid: set() for p in procs}
    overlapping = False
    while any(p.poll() is None for p in procs):
        running = {}
        for p in procs:
            try:
                kids = psutil.Process(p.pid).children(recursive=True)
            except psutil.NoSuchProcess:
                continue
            for k in kids:
                try:
                    args = k.cmdline()
                except psutil.Error:
                    continue
                if not any("soffice" in a for a in args[:2]):
                    continue
                private = {a for a in args if a.startswith("-env:UserInstallation=")}
                private |= {args[i + 1] for i, a in enumerate(args[:-1]) if a == "--outdir"}
                profiles[p.pid] |= private
                running.setdefault(p.pid, set()).update(private)
        if len(running) == 2:
            overlapping = True
            a, b = running.values()
            assert not a & b, "two builds ran LibreOffice on the same profile"
        time.sleep(0.01)
    results = [(p.returncode, p.communicate()[1]) for p in procs]
    assert [c for c, _ in results] == [0, 0], [e[-1500:] for _, e in results]
    a, b = profiles.values()
    assert overlapping, "the two conversions never ran at the same time"
    assert len(a) >= 2 and len(b) >= 2 and not a & b
    same = [json.loads((out / "summary.json").read_text(encoding="utf-8")) for out in outs]
    assert same[0] == same[1]
    assert all((out / "summary.pdf").stat().st_size > 10_000 for out in outs)
    assert not [p for out in outs for p in out.parent.iterdir() if p.name.startswith(".")]   # no staging left

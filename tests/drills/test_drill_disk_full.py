"""Drill: the disk fills up while a build writes its outputs.

The output folder sits on a small tmpfs (mounted by the test; root only) that already holds the previous
good build and ballast, leaving a chosen amount of room: the run stops with exit code 7 and a message
that says so, the previous build stays byte-identical, and no temporary file or folder is left behind.
Where mounting is not allowed, ``RLIMIT_FSIZE`` (SIGXFSZ ignored, so writes fail with EFBIG) stands in.
"""

from __future__ import annotations

import os
import resource
import shutil
import signal
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

from kjhdz_docs.errors import ExitCode
from kjhdz_docs.summary import build_summary

from .common import ROOT, leftovers, small_statistics_inbox, snapshot

MB = 1024 * 1024


@pytest.fixture(scope="module")
def inbox(tmp_path_factory):
    return small_statistics_inbox(tmp_path_factory.mktemp("drill-disk-inbox") / "statistics")


@pytest.fixture(scope="module")
def previous_build(tmp_path_factory, inbox):
    out = tmp_path_factory.mktemp("drill-disk-out") / "summary"
    assert build_summary(2024, inbox=inbox, out=out) == 0
    return out


def _size(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())


def _mount_tmpfs(where: Path, size: int) -> bool:
    where.mkdir(parents=True, exist_ok=True)
    if os.geteuid() != 0 or not shutil.which("mount"):
        return False
    run = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size},mode=0755", "kjhdz-drill", str(where)],
                         capture_output=True)
    return run.returncode == 0


def _summary_cmd(inbox: Path, out: Path) -> list[str]:
    return [sys.executable, "-m", "invoke", "build-summary", "--inbox", str(inbox), "--out", str(out)]


@pytest.mark.parametrize("room_kb", [8, 300, 800])
def test_disk_full_during_a_build_publishes_nothing(tmp_path, inbox, previous_build, room_kb):
    """``room_kb`` of free space (a build is about 1.2 MB): full while writing the JSON/.xlsx, the charts and
    .docx, or the PDF (copied in from LibreOffice's own temporary folder)."""
    disk = tmp_path / "disk"
    size = 8 * MB
    if not _mount_tmpfs(disk, size):
        pytest.skip("cannot mount a tmpfs here (not root); see the RLIMIT_FSIZE drill")
    try:
        out = disk / "summary"
        shutil.copytree(previous_build, out)
        st = os.statvfs(disk)
        free = st.f_bavail * st.f_frsize
        with open(disk / "ballast", "wb") as f:
            f.write(b"\0" * (free - room_kb * 1024))
        before = snapshot(out)
        run = subprocess.run(_summary_cmd(inbox, out), cwd=ROOT, capture_output=True, text=True, timeout=300)
        assert run.returncode == ExitCode.DISK_FULL == 7, run.stderr[-2000:]
        assert "no space left on device (No space left on device) while writing" in run.stderr
        assert "nothing half-written was published" in run.stderr
        assert "Traceback" not in run.stderr
        assert snapshot(out) == before
        assert leftovers(disk) == [] and sorted(p.name for p in disk.iterdir()) == ["ballast", "summary"]
        if room_kb != 800:
            return
        # room again: the same command succeeds and replaces the build
        (disk / "ballast").unlink()
        again = subprocess.run(_summary_cmd(inbox, out), cwd=ROOT, capture_output=True, text=True, timeout=300)
        assert again.returncode == 0, again.stderr[-2000:]
        assert snapshot(out)["summary.json"] == before["summary.json"]
    finally:
        subprocess.run(["umount", "-l", str(disk)], capture_output=True)


def _limited(limit: int):
    def apply():
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))
    return apply


def test_file_size_limit_during_a_build_publishes_nothing(tmp_path, inbox, previous_build):
    """Without root: no file may grow past 200 KB, so the .docx (about 240 KB) cannot be written."""
    out = tmp_path / "out" / "summary"
    shutil.copytree(previous_build, out)
    before = snapshot(out.parent)
    env = dict(os.environ, TMPDIR=str(tmp_path / f"tmp-{uuid.uuid4().hex[:6]}"))
    Path(env["TMPDIR"]).mkdir()
    run = subprocess.run(_summary_cmd(inbox, out), cwd=ROOT, capture_output=True, text=True, timeout=300,
                         env=env, preexec_fn=_limited(200 * 1024))
    assert run.returncode == ExitCode.DISK_FULL, run.stderr[-2000:]
    assert "no space left on device (File too large) while writing" in run.stderr
    assert "Traceback" not in run.stderr
    assert snapshot(out.parent) == before and leftovers(out.parent) == []

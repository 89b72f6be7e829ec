"""Shared pieces of the reliability drills: small real inboxes, task runs in real processes, tree snapshots."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from pathlib import Path

from kjhdz_docs import specimens

ROOT = Path(__file__).resolve().parents[2]
UNITS = ("北京市", "河北省", "上海市")


def small_statistics_inbox(inbox: Path, units=UNITS) -> Path:
    """A few filled 统计表 (real .xlsx), one per unit."""
    inbox.mkdir(parents=True, exist_ok=True)
    for n, unit in enumerate(units):
        specimens.write_statistics(inbox / f"{unit}-统计表.xlsx", unit, specimens.sample_values(unit, seed=n))
    return inbox


def run_task(*args: str, env: dict | None = None, timeout: float = 300, cwd: Path = ROOT
             ) -> subprocess.CompletedProcess:
    """``invoke <args>`` in a real process (the documented exit codes are what the user sees)."""
    full = dict(os.environ)
    full.update(env or {})
    return subprocess.run([sys.executable, "-m", "invoke", *args], cwd=cwd, env=full, capture_output=True,
                          text=True, timeout=timeout)


def snapshot(folder: Path) -> dict[str, str]:
    """Every file under ``folder`` (hidden ones included) → sha256 of its bytes."""
    if not folder.exists():
        return {}
    return {p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def leftovers(folder: Path) -> list[str]:
    """Temporary names a run leaves behind when it does not clean up (``.x-…`` folders, ``*.part`` files)."""
    if not folder.exists():
        return []
    return sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*")
                  if p.name.startswith(".") and p.name not in (".lock",) or p.name.endswith((".part", ".raw")))

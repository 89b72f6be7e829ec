"""Shared helpers of the benchmark scripts: timing, the machine's description, the closing line."""

from __future__ import annotations

import json
import os
import platform
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

RESULT_PREFIX = "BENCH-RESULT "


@contextmanager
def timer():
    """``with timer() as t: ...`` then ``t()`` is the elapsed wall time in seconds."""
    start = time.perf_counter()
    end: list[float] = []
    yield lambda: (end[0] if end else time.perf_counter()) - start
    end.append(time.perf_counter())


def machine() -> dict:
    """nproc, RAM, CPU model and LibreOffice version of this machine."""
    cpu = "?"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    ram = 0
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                ram = int(line.split()[1]) // 1024
    except OSError:
        pass
    try:
        from kjhdz_docs import converter

        lo = converter.version()
    except Exception as exc:  # reported, not fatal
        lo = f"unknown ({exc})"
    return {"nproc": os.cpu_count(), "ram_mb": ram, "cpu": cpu, "libreoffice": lo,
            "python": platform.python_version()}


def emit(name: str, result: dict) -> None:
    """One machine-readable line for ``kjhdz_docs.bench`` (the human lines come before it)."""
    print(RESULT_PREFIX + json.dumps({"benchmark": name, **result}, ensure_ascii=False, sort_keys=True), flush=True)


def verdict(ratio: float, target: float) -> str:
    return f"target ≥ {target:g}×: {'met' if ratio >= target else 'MISSED'}"


def run_quiet(cmd: list[str], **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, **kwargs)

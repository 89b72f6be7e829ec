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


def _machine_jiffies() -> tuple[int, int] | None:
    """(busy, total) CPU time of the whole machine so far, in clock ticks (``/proc/stat``); None elsewhere."""
    try:
        fields = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:9]]
    except (OSError, ValueError):
        return None
    idle = fields[3] + fields[4]                       # idle + iowait
    return sum(fields) - idle, sum(fields)


def _own_cpu() -> float:
    """CPU seconds of this process and its children that ended (a forked worker is counted once reaped)."""
    t = os.times()
    return t.user + t.system + t.children_user + t.children_system


class OthersLoad:
    """``with OthersLoad() as load: …`` then ``load.cores``: how many cores' worth of CPU **other** processes
    used while the block ran (the machine's busy time minus this process tree's), e.g. 0.02 on a quiet machine,
    0.9 when another job kept one core busy. None where ``/proc/stat`` does not exist."""

    def __enter__(self):
        self._m, self._own, self._t = _machine_jiffies(), _own_cpu(), time.perf_counter()
        self.cores = None
        return self

    def __exit__(self, *exc):
        end = _machine_jiffies()
        wall = time.perf_counter() - self._t
        if self._m is not None and end is not None and wall > 0:
            busy = (end[0] - self._m[0]) / os.sysconf("SC_CLK_TCK")
            self.cores = max(0.0, (busy - (_own_cpu() - self._own)) / wall)
        return False


def wait_for_quiet(max_wait: float, *, cores: float = 0.3, window: float = 0.5) -> float | None:
    """Wait (at most ``max_wait`` seconds) until other processes use less than ``cores`` cores over a
    ``window``; returns what they used in the last window (None where it cannot be measured). The same wait
    before each timed measurement of both sides of a benchmark, so neither starts into another job's burst."""
    until = time.perf_counter() + max(0.0, max_wait)
    while True:
        with OthersLoad() as load:
            time.sleep(window)
        if load.cores is None or load.cores < cores or time.perf_counter() >= until:
            return load.cores

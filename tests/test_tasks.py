"""Every task has help text, every task is documented in the README, and `invoke --list` shows them all."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from invoke import Task

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
import tasks  # noqa: E402

TASKS = {name.replace("_", "-"): obj for name, obj in vars(tasks).items() if isinstance(obj, Task)}


def test_there_are_tasks():
    assert {"build-notice", "build-recommendations", "build-summary", "archive", "verify", "search", "browse",
            "reindex", "build-all", "bench"} <= set(TASKS)


@pytest.mark.parametrize("name", sorted(TASKS))
def test_task_has_help_and_is_documented(name):
    task = TASKS[name]
    assert (task.__doc__ or "").strip(), f"invoke {name} has no docstring (it is its --help text)"
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert f"invoke {name}" in readme or f"`{name}`" in readme, f"README.md does not mention invoke {name}"


def test_invoke_list_shows_every_task():
    out = subprocess.run([sys.executable, "-m", "invoke", "--list"], cwd=ROOT, capture_output=True, text=True,
                         timeout=60)
    assert out.returncode == 0, out.stderr
    for name in TASKS:
        assert name in out.stdout

"""parallel.fork_share: every item once, in order, the calling process working beside a forked child; errors
raised in the caller; no process left behind."""

from __future__ import annotations

import os
import time

import pytest

from kjhdz_docs import parallel

pytestmark = pytest.mark.skipif(not hasattr(os, "fork"), reason="fork_share forks")


def _busy(x):
    until = time.perf_counter() + 0.0005
    while time.perf_counter() < until:
        pass
    if x == 777 and parallel.shared() == "fail at 777":
        raise ValueError("item 777")
    return x * x, parallel.shared(), os.getpid()


def _no_children() -> bool:
    try:
        os.waitpid(-1, os.WNOHANG)
    except ChildProcessError:
        return True
    return False


def test_every_item_once_in_order_from_both_processes():
    out = list(parallel.fork_share(_busy, range(1_000), state="roster", procs=2))
    assert [o[0] for o in out] == [x * x for x in range(1_000)]
    assert {o[1] for o in out} == {"roster"} and parallel.shared() is None
    pids = {o[2] for o in out}
    assert os.getpid() in pids and len(pids) == 2           # this process worked, and one child
    assert _no_children()


def test_one_process_or_one_item_runs_here():
    assert [o[2] for o in parallel.fork_share(_busy, range(5), state="s", procs=1)] == [os.getpid()] * 5
    assert list(parallel.fork_share(_busy, [3], state="s", procs=2)) == [(9, "s", os.getpid())]
    assert list(parallel.fork_share(_busy, [], procs=2)) == []


def test_an_error_in_a_worker_is_raised_and_no_child_is_left():
    with pytest.raises(ValueError, match="item 777"):
        list(parallel.fork_share(_busy, range(1_000), state="fail at 777", procs=2))
    assert _no_children()


def test_giving_up_early_ends_the_child():
    it = parallel.fork_share(_busy, range(1_000), state="s", procs=2)
    assert next(it)[0] == 0
    it.close()
    assert _no_children()

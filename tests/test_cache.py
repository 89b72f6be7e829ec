"""The content-addressed cache (kjhdz_docs.cache) shared by several processes of one build: entries whole or
absent, pruning while other processes write."""

from __future__ import annotations

import os
import threading
import time

from kjhdz_docs import cache


def _entry(tmp_path, name: str, size: int) -> dict:
    path = tmp_path / name
    path.write_bytes(os.urandom(size))
    return {"out": path}


def test_put_get_and_a_damaged_entry_is_dropped(tmp_path):
    assert cache.put("convert", "a" * 64, _entry(tmp_path, "a", 100))
    hit = cache.get("convert", "a" * 64)
    assert hit is not None and hit.files == ["out"]
    (hit.path / "out").write_bytes(b"changed")
    assert cache.get("convert", "a" * 64) is None and not hit.path.exists()


def test_listed_reads_no_file_and_a_damaged_listed_entry_is_still_never_served(tmp_path):
    assert not cache.listed("convert", "f" * 64)
    assert cache.put("convert", "f" * 64, _entry(tmp_path, "f", 100))
    assert cache.listed("convert", "f" * 64)
    hit = cache.get("convert", "f" * 64)
    (hit.path / "out").write_bytes(b"changed")
    assert cache.listed("convert", "f" * 64)                 # work done ahead skips it …
    assert cache.get("convert", "f" * 64) is None            # … its user finds it damaged and makes it again
    assert not cache.listed("convert", "f" * 64)


def test_a_restore_by_link_shares_the_bytes_and_an_entry_altered_through_it_is_never_served(tmp_path):
    src = _entry(tmp_path, "e", 5000)
    assert cache.put("convert", "e" * 64, src)
    hit = cache.get("convert", "e" * 64)
    copied = cache.restore(hit, "out", tmp_path / "work" / "copied.pdf")
    linked = cache.restore(hit, "out", tmp_path / "work" / "linked.pdf", link=True)
    assert copied.read_bytes() == linked.read_bytes() == src["out"].read_bytes()
    entry_file = os.stat(hit.path / "out")
    assert os.stat(linked).st_ino == entry_file.st_ino and os.stat(copied).st_ino != entry_file.st_ino
    assert not list((tmp_path / "work").glob(".*.part"))
    linked.unlink()                                      # the work folder deleted: the entry stays whole
    assert cache.get("convert", "e" * 64) is not None
    again = cache.restore(hit, "out", tmp_path / "work" / "linked.pdf", link=True)
    with open(again, "r+b") as f:                        # written in place through the link …
        f.write(b"X")
    assert cache.get("convert", "e" * 64) is None        # … the entry fails its sha256 and is dropped


def test_prune_removes_the_least_recently_used_and_never_a_writers_folder(tmp_path):
    root = cache.cache_root()
    for n, key in enumerate(("b" * 64, "c" * 64, "d" * 64)):
        cache.put("convert", key, _entry(tmp_path, key[:1], 1000))
        os.utime(root / "convert" / key[:2] / key, (1000 + n, 1000 + n))
    # a live writer's folder, laid out like an entry: it is not one and is left alone
    writer = root / f".tmp-{os.getpid()}-x" / "ee" / ("e" * 64)
    writer.mkdir(parents=True)
    (writer / cache.ENTRY).write_text("{}")
    os.utime(writer, (1, 1))                 # the oldest of all, were it taken for an entry
    removed, used = cache.prune(limit=2500)
    assert removed == 1 and not (root / "convert" / "bb").joinpath("b" * 64).exists()
    assert (root / "convert" / "dd" / ("d" * 64)).exists() and writer.exists()
    assert used <= 2500


def test_prune_while_other_writers_come_and_go(tmp_path):
    """What two processes of one build do at once (the seal's conversions and the renditions made ahead):
    writers' temp folders appear and vanish while one prunes; pruning never fails on them."""
    root = cache.cache_root()
    root.mkdir(parents=True, exist_ok=True)
    stop = threading.Event()

    def writer() -> None:
        n = 0
        while not stop.is_set():
            tmp = root / f".tmp-{os.getpid()}-{threading.get_ident()}-{n}"
            (tmp / "ab" / "cd").mkdir(parents=True)
            (tmp / "ab" / "cd" / cache.ENTRY).write_text("{}")
            cache.put("ocr", f"{n:064x}", _entry(tmp_path, f"w{n % 4}", 10))
            for p in sorted(tmp.rglob("*"), reverse=True):
                p.rmdir() if p.is_dir() else p.unlink()
            tmp.rmdir()
            n += 1

    threads = [threading.Thread(target=writer) for _ in range(2)]
    for t in threads:
        t.start()
    errors = []
    deadline = time.monotonic() + 1.5
    while time.monotonic() < deadline:
        try:
            cache.prune(limit=200)
        except OSError as exc:          # pragma: no cover - the failure this test is for
            errors.append(exc)
            break
    stop.set()
    for t in threads:
        t.join()
    assert errors == []

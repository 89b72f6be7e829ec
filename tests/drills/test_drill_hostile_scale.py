"""Drill: 200 hostile workbooks mixed into 1,000 good ones.

The totals are exactly those of the 1,000 good ones (万元 as exact decimals), every hostile file is
rejected with the rule that fits it, the reading processes stay within bounded memory, and the mixed
inbox is read within 2× the time of the clean one.
"""

from __future__ import annotations

import os
import shutil
import threading
import time
from collections import Counter

import psutil
import pytest
import yaml

from kjhdz_docs import aggregate, forms, sample_data
from kjhdz_docs import specimens as sp
from kjhdz_docs.intake import read_inbox
from kjhdz_docs.model import FormKind, Status
from kjhdz_docs.roster import parse_roster

pytestmark = pytest.mark.slow

GOOD, HOSTILE = 1000, 200
COUNT_ID = next(i.id for i in forms.INDICATORS if not i.is_money and i.unit in ("次", "个"))


def _bad_values(**override) -> dict:
    values = sp.sample_values("河北省")
    values.update(override)
    return values


# kind -> (writer(path), the rule the intake must give, suffix)
KINDS = {
    "zip-bomb-1GiB": (lambda p: sp.write_zip_bomb(p, 1024), "zip-bomb", ".xlsx"),
    "lying-zip": (lambda p: sp.write_lying_zip(p, 64), "zip-bomb", ".xlsx"),
    "entity-bomb": (sp.write_entity_bomb, "xml-entity", ".xlsx"),
    "external-entity": (sp.write_external_entity, "xml-entity", ".xlsx"),
    "password": (sp.write_password_protected, "password-protected", ".xlsx"),
    "text-renamed": (sp.write_not_a_workbook, "not-a-workbook", ".xlsx"),
    "empty": (sp.write_empty, "empty-file", ".xls"),
    "truncated": (sp.write_truncated, "corrupt-file", ".ods"),
    "wps": (sp.write_wps_et, "wps-format", ".et"),
    "negative": (lambda p: sp.write_statistics(p, "河北省", _bad_values(**{COUNT_ID: -5})), "negative-number", ".xlsx"),
    "about": (lambda p: sp.write_statistics(p, "河北省", _bad_values(**{COUNT_ID: "约100"})), "not-a-number", ".xlsx"),
    "fraction": (lambda p: sp.write_statistics(p, "河北省", _bad_values(**{COUNT_ID: 12.5})), "not-integer", ".xlsx"),
    "formula": (lambda p: sp.write_statistics(p, "河北省", _bad_values(**{COUNT_ID: "=SUM(1,2)"})),
                "formula-no-value", ".xlsx"),
    "unknown-unit": (lambda p: sp.write_statistics(p, "火星科学技术厅", _bad_values()), "unknown-unit", ".xlsx"),
    "path-unit": (lambda p: sp.write_statistics(p, "../../../etc/passwd", _bad_values()), "unknown-unit", ".xlsx"),
    "no-unit": (lambda p: sp.write_statistics(p, "", _bad_values()), "missing-unit", ".xlsx"),
}


class PeakTreeRss:
    """Peak RSS of this process and its children (the forked readers), sampled every 10 ms."""

    def __enter__(self):
        self.me, self.peak, self._stop = psutil.Process(), 0, threading.Event()
        self._t = threading.Thread(target=self._sample, daemon=True)
        self._t.start()
        return self

    def _sample(self):
        while not self._stop.is_set():
            total = 0
            for p in [self.me, *self.me.children(recursive=True)]:
                try:
                    total += p.memory_info().rss
                except psutil.Error:
                    pass
            self.peak = max(self.peak, total)
            time.sleep(0.01)

    def __exit__(self, *exc):
        self._stop.set()
        self._t.join()


@pytest.fixture(scope="module")
def inboxes(tmp_path_factory):
    root = tmp_path_factory.mktemp("drill-scale")
    units = sample_data.scale_units(GOOD)
    (root / "units.yaml").write_text(yaml.safe_dump({"year": 2024, "units": units}, allow_unicode=True),
                                     encoding="utf-8")
    roster = parse_roster(root / "units.yaml", 2024)
    clean = root / "clean"
    pairs = [(u["name"], u["kind"]) for u in units]
    sample_data.write_statistics_inbox(clean, pairs)
    expected = aggregate.sum_values(sample_data.unit_values(u, k, 2024) for u, k in pairs)
    mixed = root / "mixed"
    shutil.copytree(clean, mixed, copy_function=os.link)
    templates = root / "templates"
    templates.mkdir()
    made = {kind: writer(templates / f"{kind}{suffix}") for kind, (writer, _, suffix) in KINDS.items()}
    hostile = {}
    for i in range(HOSTILE):
        kind = list(KINDS)[i % len(KINDS)]
        name = f"hostile-{i:03d}-{kind}{KINDS[kind][2]}"
        os.link(made[kind], mixed / name)
        hostile[name] = KINDS[kind][1]
    return roster, clean, mixed, expected, hostile


def _read(inbox, roster):
    t0 = time.perf_counter()
    report = read_inbox(2024, FormKind.STATISTICS, inbox, progress=False, roster=roster)
    return report, time.perf_counter() - t0


def test_hostile_files_at_scale(inboxes):
    roster, clean, mixed, expected, hostile = inboxes
    clean_report, _ = _read(clean, roster)                   # warm the page cache for both inboxes
    _read(mixed, roster)
    clean_s = min(_read(clean, roster)[1] for _ in range(2))
    with PeakTreeRss() as rss:
        mixed_report, mixed_s = _read(mixed, roster)
    mixed_s = min(mixed_s, _read(mixed, roster)[1])

    assert Counter(s.status for s in clean_report.submissions) == {Status.ACCEPTED: GOOD}
    subs = {s.file: s for s in mixed_report.submissions}
    assert len(subs) == GOOD + HOSTILE                       # every file accounted for
    assert Counter(s.status for s in subs.values()) == {Status.ACCEPTED: GOOD, Status.REJECTED: HOSTILE}
    wrong = {name: [p.rule for p in subs[name].problems] for name, rule in hostile.items()
             if subs[name].status is not Status.REJECTED or rule not in [p.rule for p in subs[name].problems]}
    assert not wrong, wrong
    assert all(p.message for name in hostile for p in subs[name].problems)

    for report in (clean_report, mixed_report):
        totals = aggregate.aggregate(2024, report.submissions, list(roster.units)).totals
        assert totals == expected                            # exact: Decimal 万元, int counts
    print(f"\nclean {GOOD} files {clean_s:.2f} s; mixed {GOOD}+{HOSTILE} {mixed_s:.2f} s "
          f"(×{mixed_s / clean_s:.2f}); peak RSS of the readers {rss.peak / 2**20:.0f} MB")
    assert mixed_s <= 2 * clean_s + 0.5
    assert rss.peak < 1024 * 2**20

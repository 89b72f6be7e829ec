"""Inbox entries that are not regular files, and the issuer every intake entry names.

Symbolic links are never followed (rejected, rule ``symlink``, target named, never hashed); a folder named
``*.xlsx`` is walked as a folder; a FIFO is skipped with a note (reading it would block); the seal accepts
an intake report holding such entries and archives only the regular files.
"""

from __future__ import annotations

import json
import os

import pytest

from kjhdz_docs import specimens as sp
from kjhdz_docs.intake import read_inbox
from kjhdz_docs.intake.report import report_json
from kjhdz_docs.model import FormKind, Status


@pytest.fixture(scope="module")
def odd_inbox(tmp_path_factory):
    base = tmp_path_factory.mktemp("odd")
    outside = base / "outside"
    inbox = base / "statistics"
    sp.write_statistics(outside / "河北省.xlsx", "河北省科学技术厅", sp.sample_values("河北省"))
    (outside / "folder").mkdir()
    sp.write_statistics(outside / "folder" / "山西省.xlsx", "山西省", sp.sample_values("山西省"))
    sp.write_statistics(inbox / "北京市.xlsx", "北京市科学技术委员会", sp.sample_values("北京市"))
    sp.write_statistics(inbox / "上海市.xlsx" / "统计表.xlsx", "上海市科学技术委员会", sp.sample_values("上海市"))
    sp.write_symlink(inbox / "河北省.xlsx", outside / "河北省.xlsx")
    sp.write_symlink(inbox / "山西省", outside / "folder")
    sp.write_symlink(inbox / "北京市-副本.xlsx", inbox / "北京市.xlsx")      # even a link to a file inside
    sp.write_fifo(inbox / "管道.xlsx")
    return inbox


@pytest.fixture(scope="module")
def odd_report(odd_inbox):
    return read_inbox(2024, FormKind.STATISTICS, odd_inbox, progress=False)


def test_symlinks_rejected_never_followed(odd_report, odd_inbox):
    by = {s.file: s for s in odd_report.submissions}
    assert sorted(by) == ["上海市.xlsx/统计表.xlsx", "北京市-副本.xlsx", "北京市.xlsx", "山西省", "河北省.xlsx", "管道.xlsx"]
    for name, target in (("河北省.xlsx", odd_inbox.parent / "outside" / "河北省.xlsx"),
                         ("山西省", odd_inbox.parent / "outside" / "folder"),
                         ("北京市-副本.xlsx", odd_inbox / "北京市.xlsx")):
        sub = by[name]
        assert sub.status is Status.REJECTED
        assert [p.rule for p in sub.problems] == ["symlink"]
        assert sub.file_type == "symlink" and sub.target == str(target)
        assert str(target) in sub.problems[0].message
        assert sub.sha256 == "" and sub.size == 0 and not sub.values
    # the linked 河北省 form was never read: its figures count nowhere, its unit is only the path's
    assert [s.unit for s in odd_report.accepted] == ["上海市", "北京市"]


def test_folder_named_xlsx_is_walked_and_fifo_skipped(odd_report):
    by = {s.file: s for s in odd_report.submissions}
    assert by["上海市.xlsx/统计表.xlsx"].status is Status.ACCEPTED
    assert by["上海市.xlsx/统计表.xlsx"].values == sp.sample_values("上海市")
    fifo = by["管道.xlsx"]
    assert fifo.status is Status.UNMATCHED and fifo.file_type == "fifo" and fifo.sha256 == ""
    assert fifo.notes == ["「管道.xlsx」是命名管道（FIFO），不是普通文件，已跳过（未读取、未归档）"]


def test_report_json_names_file_type_and_target(odd_report):
    data = json.loads(json.dumps(report_json(odd_report), ensure_ascii=False))
    by = {s["file"]: s for s in data["submissions"]}
    assert by["河北省.xlsx"]["file_type"] == "symlink" and by["河北省.xlsx"]["problems"][0]["rule"] == "symlink"
    assert by["管道.xlsx"]["file_type"] == "fifo"
    assert "file_type" not in by["北京市.xlsx"]


def test_issuer_in_full_for_both_forms(tmp_path):
    stats = tmp_path / "statistics"
    sp.write_statistics(stats / "a.xlsx", "北京市科学技术委员会", sp.sample_values("北京市"))
    sp.write_statistics(stats / "b.xlsx", "河北省科学技术厅（盖章）", sp.sample_values("河北省"), style="unit_next_cell")
    sp.write_statistics(stats / "c.xlsx", "火星科学院", sp.sample_values("河北省"))
    got = {s.file: (s.status.value, s.issuer) for s in read_inbox(2024, FormKind.STATISTICS, stats, progress=False).submissions}
    assert got == {"a.xlsx": ("accepted", "北京市科学技术委员会"), "b.xlsx": ("accepted", "河北省科学技术厅"),
                   "c.xlsx": ("rejected", "火星科学院")}
    recs = tmp_path / "recommendations"
    sp.write_recommendations(recs / "a.xlsx", "深圳市科技创新局", sp.sample_activities("深圳市", 2))
    sp.write_recommendations(recs / "b.xlsx", "天津市科学技术局", sp.sample_activities("天津市", 2), style="seed_layout",
                             row_unit="天津市科学技术局")
    report = read_inbox(2024, FormKind.RECOMMENDATIONS, recs, progress=False)
    assert {s.file: s.issuer for s in report.submissions} == {"a.xlsx": "深圳市科技创新局", "b.xlsx": "天津市科学技术局"}
    assert {s["file"]: s["issuer"] for s in report_json(report)["submissions"]} == \
        {"a.xlsx": "深圳市科技创新局", "b.xlsx": "天津市科学技术局"}


@pytest.mark.slow
def test_seal_accepts_a_report_with_links_and_fifos(tmp_path):
    """A real sealed year: the statistics inbox holds a symlink to a form outside it and a FIFO; the intake's own
    entries for them go into the report, the seal succeeds and archives only the regular files."""
    from kjhdz_docs.archive.seal import seal_year
    from kjhdz_docs.intake.inbox import read_submission
    from kjhdz_docs.manifest import write_json
    from kjhdz_docs.roster import load_roster

    from .archive_tree import year_tree

    with year_tree(tmp_path):
        inbox = tmp_path / "inbox" / "statistics"
        sp.write_statistics(tmp_path / "outside.xlsx", "河北省", sp.sample_values("河北省"))
        os.symlink(tmp_path / "outside.xlsx", inbox / "河北省.xlsx")
        os.mkfifo(inbox / "pipe.xlsx")
        report_path = tmp_path / "build" / "2024" / "summary" / "intake.json"
        data = json.loads(report_path.read_text(encoding="utf-8"))
        roster = load_roster(2024)
        for rel in ("河北省.xlsx", "pipe.xlsx"):
            data["submissions"].append(read_submission(inbox / rel, rel, FormKind.STATISTICS, roster).as_dict())
        write_json(report_path, data)
        assert seal_year(2024) == 0          # sealed (the rejected files are listed, the seal succeeds)
    bag = tmp_path / "archive" / "2024" / "v1"
    archived = sorted(p.name for p in (bag / "data" / "submissions" / "statistics").rglob("*") if p.is_file())
    assert archived and not any(n.startswith(("河北省", "pipe")) for n in archived), archived
    sealed_report = json.loads((bag / "data" / "reports" / "summary" / "intake.json").read_text(encoding="utf-8"))
    by = {s["file"]: s for s in sealed_report["submissions"]}
    # the link's target is named, without the machine's absolute path (no absolute path inside a bag)
    target = by["河北省.xlsx"]["target"]
    assert by["河北省.xlsx"]["file_type"] == "symlink" and target.endswith("outside.xlsx")
    assert str(tmp_path) not in target
    assert by["pipe.xlsx"]["file_type"] == "fifo"
    assert not any(p.is_symlink() for p in bag.rglob("*"))


def test_devices_and_sockets_skipped_with_a_note_never_opened(tmp_path):
    """A character device (the numbers of /dev/null: opened, it would read as an empty file and be rejected
    empty-file) and a Unix socket, both named like workbooks: skipped with a note naming what they are; neither
    opened, hashed, counted nor given a unit; the regular form beside them is read as usual."""
    inbox = tmp_path / "statistics"
    sp.write_statistics(inbox / "北京市.xlsx", "北京市", sp.sample_values("北京市"))
    try:
        sp.write_device(inbox / "河北省.xlsx")
    except PermissionError:
        pytest.skip("this machine does not allow making device nodes")
    sp.write_socket(inbox / "山西省.xlsx")
    report = read_inbox(2024, FormKind.STATISTICS, inbox, progress=False)
    by = {s.file: s for s in report.submissions}
    assert sorted(by) == ["北京市.xlsx", "山西省.xlsx", "河北省.xlsx"]
    assert [s.unit for s in report.accepted] == ["北京市"] and by["北京市.xlsx"].values == sp.sample_values("北京市")
    for name, kind, said in (("河北省.xlsx", "device", "字符设备"), ("山西省.xlsx", "socket", "套接字")):
        sub = by[name]
        assert (sub.status, sub.file_type, sub.sha256, sub.size, sub.unit) == (Status.UNMATCHED, kind, "", 0, None)
        assert sub.notes == [f"「{name}」是{said}，不是普通文件，已跳过（未读取、未归档）"] and sub.problems == []
    data = report_json(report)
    assert {s["file"]: s.get("file_type") for s in data["submissions"]} == \
        {"北京市.xlsx": None, "河北省.xlsx": "device", "山西省.xlsx": "socket"}

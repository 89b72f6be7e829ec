"""``build_all`` on the sample year with the real stages, and a hard error that stops it before sealing."""

from __future__ import annotations

import json
import shutil

import pytest

from kjhdz_docs.archive import bag as bagging
from kjhdz_docs.archive.index import load_index
from kjhdz_docs.archive.seal import seal_year
from kjhdz_docs.errors import ConversionError, MissingInputError
from kjhdz_docs.paths import build_dir
from kjhdz_docs.pipeline import build_all
from tests.conftest import fake_soffice, requires_soffice

pytestmark = [requires_soffice, pytest.mark.slow]


def test_build_all_builds_seals_verifies_and_browses_the_sample_year(tmp_path, monkeypatch):
    monkeypatch.setenv("KJHDZ_BUILD", str(tmp_path / "build"))
    monkeypatch.setenv("KJHDZ_ARCHIVE", str(tmp_path / "archive"))
    assert build_all(2024) == 0                     # the sample inboxes hold rejected files: sealed, exit 0
    bag = tmp_path / "archive" / "2024" / "v1"
    assert bagging.validate(bag) == []
    seal = json.loads((bag / "data" / "reports" / "seal.json").read_text(encoding="utf-8"))
    intake = [json.loads((bag / p).read_text(encoding="utf-8")) for p in seal["intake_reports"].values()]
    files = sum(len(r["submissions"]) for r in intake)
    assert seal["rejected"] and files >= seal["records_by_type"]["submission"] > 0
    assert seal["records"] == 3 + seal["records_by_type"]["submission"] == len(load_index(tmp_path / "archive"))
    first = json.loads((bag / "data" / "metadata" / "0001.json").read_text(encoding="utf-8"))
    assert first["文件编号"] == "国科发才〔2024〕31号" and first["归档章"]["placed"]
    report = json.loads((tmp_path / "archive" / "reports" / "verify-2024-v1.json").read_text(encoding="utf-8"))
    assert report["ok"] is True
    assert (tmp_path / "archive" / "index.html").exists() and (tmp_path / "archive" / "2024" / "index.html").exists()

    # a submitted file changed after its intake report: the next seal refuses, the archive is untouched
    inbox_copy = tmp_path / "inbox-copy"
    report_file = build_dir(2024, "summary") / "intake.json"
    data = json.loads(report_file.read_text(encoding="utf-8"))
    shutil.copytree(data["inbox"], inbox_copy)
    victim = next(s["file"] for s in data["submissions"] if s["status"] == "accepted")
    (inbox_copy / victim).write_bytes((inbox_copy / victim).read_bytes() + b"\0")
    data["inbox"] = str(inbox_copy)
    report_file.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    with pytest.raises(MissingInputError, match="changed since the intake report"):
        seal_year(2024)
    assert sorted(p.name for p in (tmp_path / "archive" / "2024").iterdir() if p.is_dir()) == ["v1"]


def test_a_hard_error_stops_build_all_before_the_archive(tmp_path, monkeypatch):
    monkeypatch.setenv("KJHDZ_BUILD", str(tmp_path / "build"))
    monkeypatch.setenv("KJHDZ_ARCHIVE", str(tmp_path / "archive"))
    monkeypatch.setenv("KJHDZ_SOFFICE", str(fake_soffice(tmp_path, "exit 1")))
    with pytest.raises(ConversionError):
        build_all(2024)
    assert not (tmp_path / "archive" / "2024").exists()

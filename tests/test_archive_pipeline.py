"""``build_all`` on the sample year with the real stages, and a hard error that stops it before sealing."""

from __future__ import annotations

import json
import re
import shutil
import subprocess

import pikepdf
import pytest

from kjhdz_docs.archive import bag as bagging
from kjhdz_docs.archive.index import load_index
from kjhdz_docs.archive.seal import seal_year
from kjhdz_docs.errors import ConversionError, MissingInputError
from kjhdz_docs.paths import ROOT, build_dir
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
    first = json.loads((bag / "data" / "metadata" / "Y-KJB-0001.json").read_text(encoding="utf-8"))
    assert first["文件编号"] == "国科发才〔2024〕31号" and first["归档章"]["placed"]
    report = json.loads((tmp_path / "archive" / "reports" / "verify-2024-v1.json").read_text(encoding="utf-8"))
    assert report["ok"] is True
    _the_transfer_package_is_one_an_archivist_accepts(bag, seal, intake, tmp_path)
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


def _the_transfer_package_is_one_an_archivist_accepts(bag, seal, intake, tmp_path) -> None:
    """Issue acceptance on the sealed sample year."""
    records = sorted((json.loads(p.read_text(encoding="utf-8")) for p in (bag / "data" / "metadata").glob("*.json")),
                     key=lambda r: r["序号"])
    codes = [r["档号"] for r in records]
    n = len(records) - 3
    assert codes == [f"Z109-WS·2024-Y-KJB-{i:04d}" for i in (1, 2, 3)] + [
        f"Z109-WS·2024-D30-DWB-{i:04d}" for i in range(1, n + 1)]            # 件号 restart in every class
    by_path = {f["path"]: r for r in records for f in r["files"]}
    pdfs = sorted((bag / "data" / "documents").rglob("*.pdf"))
    assert len(pdfs) >= len(records)
    for pdf in pdfs:
        rel = pdf.relative_to(bag).as_posix()
        with pikepdf.open(pdf) as doc:
            meta = doc.open_metadata()
            assert meta.pdfa_status == "2B", rel
            assert meta.get("dc:identifier") == by_path[rel]["档号"] == str(doc.docinfo["/DA46ArchivalCode"]), rel
            assert str(doc.Root.Lang) == "zh-CN"
    scans = [(kind, s["file"]) for kind, report in zip(seal["intake_reports"], intake) for s in report["submissions"]
             if s["file"].lower().endswith((".pdf", ".png", ".jpg", ".tif"))]
    assert len(scans) >= 5
    for kind, name in scans:
        part = f"data/submissions/{kind}/{name}"
        r = by_path[part]
        made = next(f for f in r["files"] if f.get("of") == part)
        assert made["format"] == "PDF/A-2b" and made["method"] == "OCRmyPDF" and r["stamps"][made["path"]]["placed"]
        with pikepdf.open(bag / made["path"]) as doc:
            assert doc.open_metadata().get("{http://kjhdz-docs.org/ns/da46/1.0/}originalName") == name.rsplit("/")[-1]
        assert any(d["文件"] == part for d in r["数字化属性"])
    text = subprocess.run(["pdftotext", "-l", "1", str(bag / made["path"]), "-"], capture_output=True, text=True,
                          check=True, timeout=60).stdout
    assert "盖章页" in re.sub(r"\s+", "", text)
    assert (bag / "data" / "catalogue" / "归档文件目录.pdf").is_file() and (bag / "data/catalogue/归档文件目录.xlsx").is_file()
    assert (bag / "bagit.txt").read_text(encoding="utf-8").startswith("BagIt-Version: 1.0\n")
    machine = [str(ROOT), str(tmp_path), str(tmp_path.resolve())]
    for path in (bag / "data").rglob("*"):
        if path.is_file():
            data = path.read_bytes()
            assert not any(m.encode("utf-8") in data for m in machine), path


def test_a_hard_error_stops_build_all_before_the_archive(tmp_path, monkeypatch):
    monkeypatch.setenv("KJHDZ_BUILD", str(tmp_path / "build"))
    monkeypatch.setenv("KJHDZ_ARCHIVE", str(tmp_path / "archive"))
    monkeypatch.setenv("KJHDZ_SOFFICE", str(fake_soffice(tmp_path, "exit 1")))
    with pytest.raises(ConversionError):
        build_all(2024)
    assert not (tmp_path / "archive" / "2024").exists()

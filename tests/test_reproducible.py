"""Same inputs → the same bytes: the sample year built and sealed twice from scratch, every file compared."""

from __future__ import annotations

import datetime as dt
import hashlib
import importlib.util
import json
import re
import shutil
import sys
from pathlib import Path

import pikepdf
import pytest

from kjhdz_docs import reproducible
from kjhdz_docs.archive import sign
from tests.conftest import requires_soffice
from tests.drills.common import ROOT, run_task


def tree(folder: Path) -> dict[str, str]:
    """Every file under ``folder`` → sha256; a PDF by its revision before its signature
    (:func:`kjhdz_docs.archive.sign.unsigned_revision`: a signature is an incremental update appended later)."""
    out = {}
    for p in sorted(folder.rglob("*")):
        if p.is_file():
            data = p.read_bytes()
            if p.suffix.lower() == ".pdf":
                data = sign.unsigned_revision(data)
            out[p.relative_to(folder).as_posix()] = hashlib.sha256(data).hexdigest()
    return out


def sealed_tree(bag: Path) -> dict[str, str]:
    """:func:`tree` of a sealed bag, less what the signatures make differ from run to run (they are made at
    the real time, never a fixed date): each PDF by its unsigned revision; in the records, a signed rendition's
    sha256 (its size is fixed: the signature's room is reserved); in the sealing 四性检测 report, the signatures'
    times. The payload manifests are compared line by line, except the lines of exactly those files compared
    above by their normalized content; the tag manifests and the tag manifest's signature (over the manifests)
    are left out."""
    out, normalized = {}, set()
    for rel, digest in tree(bag).items():
        if rel.startswith("tagmanifest-") or rel.startswith("manifest-"):
            continue
        path = bag / rel
        if rel.endswith(".pdf"):
            normalized.add(rel)
        elif rel.startswith("data/metadata/") and rel.endswith(".json"):
            record = json.loads(path.read_text(encoding="utf-8"))
            for f in record.get("files", []):
                if f["role"] in ("rendition", "normalized"):
                    f["sha256"] = "(signed)"
            digest = hashlib.sha256(json.dumps(record, sort_keys=True).encode()).hexdigest()
            normalized.add(rel)
        elif rel == "data/reports/四性检测报告.json":
            # the sealing 四性检测 names each signature with its signing time (a real time)
            report = json.loads(path.read_text(encoding="utf-8"))
            report.pop("signatures", None)
            for check in report.get("checks", []):
                if check.get("check") in ("bag-signature", "pdf-signature"):
                    check.pop("note", None)
            digest = hashlib.sha256(json.dumps(report, sort_keys=True).encode()).hexdigest()
            normalized.add(rel)
        out[rel] = digest
    for manifest in sorted(bag.glob("manifest-*.txt")):
        for line in manifest.read_text(encoding="utf-8").splitlines():
            digest, _, rel = line.partition(" ")
            rel = rel.strip()
            if rel not in normalized:
                out[f"{manifest.name}:{rel}"] = digest
    return out


def test_pdf_dates_icc_time_and_id_are_fixed(tmp_path):
    """The pieces LibreOffice stamps with the clock are rewritten: DocInfo/XMP dates, the ICC profile's
    header time, /DocChecksum and /ID."""
    icc = bytearray(128)
    icc[36:40] = b"acsp"
    icc[84:100] = b"\x01" * 16
    when = reproducible.document_time("2024-03-29")
    fixed = reproducible.icc_with_time(bytes(icc), when)
    assert fixed[24:36] == bytes.fromhex("07e80003001c001000000000")      # 2024-03-28 16:00 UTC
    assert fixed[84:100] != b"\x01" * 16
    pdfs = []
    for n in range(2):
        pdf = pikepdf.new()
        pdf.add_blank_page()
        pdf.docinfo["/CreationDate"] = f"D:2026120{n + 1}120000Z"
        pdf.trailer["/DocChecksum"] = pikepdf.Name(f"/ABC{n}")
        with pdf.open_metadata(set_pikepdf_as_editor=False) as meta:
            meta["xmp:CreateDate"] = f"2026-12-0{n + 1}T12:00:00Z"
        reproducible.set_pdf_dates(pdf, when)
        out = tmp_path / f"{n}.pdf"
        pdf.save(out, deterministic_id=True)
        pdfs.append(out.read_bytes())
    assert pdfs[0] == pdfs[1]
    with pikepdf.open(tmp_path / "0.pdf") as pdf:
        assert str(pdf.docinfo["/CreationDate"]) == "D:20240329000000+08'00'"
        assert pdf.open_metadata()["xmp:CreateDate"] == "2024-03-29T00:00:00+08:00"
        assert "/DocChecksum" not in pdf.trailer


def test_source_date_epoch_is_the_time_of_the_run(monkeypatch):
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1717171200")        # 2024-05-31T16:00:00Z
    assert reproducible.now() == dt.datetime(2024, 6, 1, 0, 0, tzinfo=reproducible.CST)
    assert reproducible.today() == "2024-06-01"
    monkeypatch.delenv("SOURCE_DATE_EPOCH")
    assert reproducible.document_time(None) is None


def _bench():
    """benchmarks/bench_incremental.py as a module (its correction and notice edits are the test's too)."""
    spec = importlib.util.spec_from_file_location("bench_incremental", ROOT / "benchmarks" / "bench_incremental.py")
    sys.path.insert(0, str(ROOT / "benchmarks"))
    try:
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
    finally:
        sys.path.remove(str(ROOT / "benchmarks"))
    return module


def _records(bag: Path) -> dict[str, dict]:
    return {m["档号"]: m for m in (json.loads(p.read_text(encoding="utf-8"))
                                   for p in (bag / "data" / "metadata").glob("*.json"))}


def _env(base: Path, data: Path) -> dict:
    return {"KJHDZ_DATA": str(data), "KJHDZ_BUILD": str(base / "build"), "KJHDZ_ARCHIVE": str(base / "archive"),
            "KJHDZ_CACHE": str(base / "cache"), "SOURCE_DATE_EPOCH": "1733011200"}


def _build_all(base: Path, data: Path):
    done = run_task("build-all", "--year", "2024", "--quiet", env=_env(base, data), timeout=600)
    assert done.returncode == 0, done.stderr[-2000:]
    return done


@requires_soffice
@pytest.mark.slow
def test_the_sample_year_twice_identical_then_unchanged_corrected_and_renumbered(tmp_path):
    """Two cold builds of the sample year (own build, archive and cache folders) give the same bytes in
    build/ and in the sealed v1; then, on the second: unchanged → nothing sealed; one corrected 统计表 →
    exactly one new version with the corrected total, the new 件 named in seal.json and bag-info; a new
    notice serial → rebuilt (the PDF shows it, nothing stale from the cache); every bag verifies."""
    data = tmp_path / "data"
    shutil.copytree(ROOT / "data", data, ignore=shutil.ignore_patterns("register.json", ".register.lock"))
    a, b = tmp_path / "a", tmp_path / "b"
    _build_all(a, data)
    _build_all(b, data)
    ta, tb = tree(a / "build"), tree(b / "build")
    assert len(ta) > 20 and {"2024/notice/notice.pdf", "2024/notice/notice.docx", "2024/summary/summary.xlsx",
                             "2024/summary/funding.png", "2024/recommendations/recommendations.json"} <= set(ta)
    assert {k for k in ta.keys() | tb.keys() if ta.get(k) != tb.get(k)} == set()
    sa, sb = (sealed_tree(r / "archive" / "2024" / "v1") for r in (a, b))
    assert len(sa) > 200 and sum(k.endswith(".pdf") for k in sa) > 100
    assert {k for k in sa.keys() | sb.keys() if sa.get(k) != sb.get(k)} == set()
    assert sum(k.startswith("manifest-sha256.txt:") for k in sa) > 50       # the manifests' other lines compared

    # unchanged: served from the cache, nothing sealed
    done = _build_all(b, data)
    assert "2024: v1 is current, nothing changed" in done.stderr
    assert sorted(p.name for p in (b / "archive" / "2024").iterdir() if p.is_dir()) == ["v1"]
    assert tree(b / "build") == tb

    # one corrected 统计表: exactly one new version, the corrected total, the 件 named
    bench = _bench()
    unit, indicator, expected, path = bench.correct_one(data, b / "build", 2024)
    _build_all(b, data)
    assert bench.versions(b / "archive", 2024) == ["v1", "v2"]
    v2 = b / "archive" / "2024" / "v2"
    summary = json.loads((v2 / "data" / "reports" / "summary" / "summary.json").read_text(encoding="utf-8"))
    assert summary["totals"][indicator] == expected
    seal = json.loads((v2 / "data" / "reports" / "seal.json").read_text(encoding="utf-8"))
    added = seal["changes"]["added"]
    assert [c["件"] for c in added] == [f"submission:statistics:{path.name}"] and added[0]["档号"].startswith("Z109-WS")
    superseded = [c for c in seal["changes"]["changed"] if unit in c["题名"]]
    assert superseded, seal["changes"]            # the unit's earlier 统计表 is now superseded: changed
    assert not seal["changes"]["removed"] and seal["changes"]["against"] == "v1"
    info = (v2 / "bag-info.txt").read_text(encoding="utf-8")
    assert f"Change-Added: {added[0]['档号']}" in info and "Changes: against v1: 1 件 added" in info
    # received last, the correction takes the next 件号 of its class: no 件 of v1 is renumbered, and every 件
    # stamped from the same inputs keeps v1's stamped, signed PDFs byte for byte
    assert not seal["changes"].get("renumbered")
    r1, r2 = _records(b / "archive" / "2024" / "v1"), _records(v2)
    new = r2[added[0]["档号"]]
    assert new["件号"] == max(r["件号"] for r in r2.values() if r["档号"].rsplit("-", 1)[0] == new["档号"].rsplit("-", 1)[0])
    assert set(r1) <= set(r2) and all(r1[c]["题名"] == r2[c]["题名"] for c in r1)
    carried = {c for c, r in r2.items() if (r.get("stamped") or {}).get("version") == "v1"}
    assert new["stamped"]["version"] == "v2" and added[0]["档号"] not in carried
    assert len(carried) >= len([r for r in r1.values() if r.get("stamped")]) - len(superseded) > 100
    assert seal["pdfs_carried_over"] == len(carried)
    for code in set(r1) & set(r2):
        for f in (f for f in r2[code]["files"] if f["format"] == "PDF/A-2b"):
            same = (v2 / f["path"]).read_bytes() == (b / "archive" / "2024" / "v1" / f["path"]).read_bytes()
            assert same == (code in carried), (code, f["path"])
        if code in carried:
            assert r2[code]["业务"] == r1[code]["业务"] and r2[code]["stamped"] == r1[code]["stamped"]
    # the seal's 四性检测 took the per-PDF results of those PDFs from v1's seal of the same day, and says so
    checked = json.loads((v2 / "data" / "reports" / "四性检测报告.json").read_text(encoding="utf-8"))
    assert checked["ok"] and f"沿用 v1 的 {len(carried)} 件的 PDF" in checked["scope"]

    # a new notice serial: rebuilt, the PDF shows it
    number = bench.bump_serial(data, 2024)
    _build_all(b, data)
    assert number in re.sub(r"\s+", "", bench.pdf_text(b / "build" / "2024" / "notice" / "notice.pdf"))
    assert bench.versions(b / "archive", 2024) == ["v1", "v2", "v3"]
    v3 = json.loads((b / "archive" / "2024" / "v3" / "data" / "reports" / "seal.json").read_text(encoding="utf-8"))
    assert [c["件"] for c in v3["changes"]["changed"]][:1] == ["notice"]
    done = run_task("verify", "--year", "2024", "--quiet", env=_env(b, data))
    assert done.returncode == 0, done.stderr[-2000:]

"""The LibreOffice wrapper: real conversions, and injected failures of the external program."""

from __future__ import annotations

import time
from pathlib import Path

import pikepdf
import pytest
from docx import Document

from kjhdz_docs import converter
from kjhdz_docs.errors import ConversionError, ConversionTimeout, ExitCode, MissingDependencyError

from .conftest import fake_soffice


def _docs(tmp_path: Path, n: int) -> list[Path]:
    paths = []
    for i in range(n):
        d = Document()
        d.add_paragraph(f"第{i}号测试文档：科普&创新<之夜>")
        p = tmp_path / f"doc{i}.docx"
        d.save(p)
        paths.append(p)
    return paths


def test_batch_converts_to_pdfa(tmp_path):
    docs = _docs(tmp_path, 3)
    out = converter.convert_to_pdf(docs, tmp_path / "out")
    assert [p.name for p in out] == ["doc0.pdf", "doc1.pdf", "doc2.pdf"]
    for p in out:
        with pikepdf.open(p) as pdf:
            assert len(pdf.pages) == 1
            assert pdf.open_metadata().pdfa_status == "2B"


def test_same_stem_in_one_batch_does_not_collide(tmp_path):
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    d1, d2 = Document(), Document()
    d1.add_paragraph("甲")
    d2.add_paragraph("乙乙")
    d1.save(tmp_path / "a" / "x.docx")
    d2.save(tmp_path / "b" / "x.docx")
    out = converter.convert_to_pdf([(tmp_path / "a" / "x.docx", tmp_path / "o1.pdf"),
                                    (tmp_path / "b" / "x.docx", tmp_path / "o2.pdf")])
    assert out[0].read_bytes() != out[1].read_bytes()


def test_missing_soffice_is_a_clear_error(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.delenv("KJHDZ_SOFFICE", raising=False)
    with pytest.raises(MissingDependencyError) as info:
        converter.convert_to_pdf(_docs(tmp_path, 1), tmp_path / "out")
    assert info.value.exit_code == ExitCode.MISSING_DEPENDENCY
    assert "libreoffice-writer-nogui" in str(info.value)


def test_hanging_soffice_is_killed_and_named(tmp_path, monkeypatch):
    pidfile = tmp_path / "pid"
    monkeypatch.setenv("KJHDZ_SOFFICE", str(fake_soffice(tmp_path, f"echo $$ > {pidfile}; sleep 600")))
    start = time.monotonic()
    with pytest.raises(ConversionTimeout) as info:
        converter.convert_to_pdf(_docs(tmp_path, 1), tmp_path / "out", timeout_base=2, timeout_per_document=0)
    assert time.monotonic() - start < 30
    assert "doc0.docx" in str(info.value)
    pid = int(pidfile.read_text())
    assert not Path(f"/proc/{pid}").exists() or "zombie" in Path(f"/proc/{pid}/status").read_text()


@pytest.mark.parametrize("body, reason", [
    ("exit 1", "no PDF was written"),
    ("exit 0", "no PDF was written"),
    ('out=""; while [ $# -gt 0 ]; do [ "$1" = --outdir ] && out=$2; shift; done; '
     'for f in "$out"/../in/*; do b=$(basename "$f"); printf "%%PDF-1.6\\n1 0 obj" > "$out/${b%.*}.pdf"; done',
     "does not open"),
])
def test_soffice_failures_are_detected_and_nothing_kept(tmp_path, monkeypatch, body, reason):
    monkeypatch.setenv("KJHDZ_SOFFICE", str(fake_soffice(tmp_path, body)))
    with pytest.raises(ConversionError) as info:
        converter.convert_to_pdf(_docs(tmp_path, 2), tmp_path / "out")
    assert reason in str(info.value)
    assert set(info.value.documents) == {"doc0.docx", "doc1.docx"}
    assert not (tmp_path / "out").exists() or not list((tmp_path / "out").iterdir())


def test_convert_files_writes_legacy_xls(tmp_path):
    from openpyxl import Workbook
    from python_calamine import CalamineWorkbook

    wb = Workbook()
    wb.active["A1"] = "科普活动开展次数"
    wb.active["B1"] = 12
    wb.save(tmp_path / "f.xlsx")
    (out,) = converter.convert_files([tmp_path / "f.xlsx"], tmp_path / "o", target="xls")
    assert out.suffix == ".xls"
    rows = CalamineWorkbook.from_path(str(out)).get_sheet_by_index(0).to_python()
    assert rows[0][0] == "科普活动开展次数" and rows[0][1] == 12


def test_timeout_grows_with_documents_and_bytes(tmp_path):
    small = tmp_path / "form.xlsx"
    small.write_bytes(b"x" * 6_500)
    long = tmp_path / "list.docx"
    long.write_bytes(b"x" * 300_000)
    limits = dict(base=60, per_document=20, per_100kb=20)
    one = converter.batch_timeout([converter.Job(small, tmp_path / "a.pdf")], **limits)
    assert one == pytest.approx(60 + 20 + 1.3)
    assert converter.batch_timeout([converter.Job(long, tmp_path / "b.pdf")], **limits) == pytest.approx(60 + 20 + 60)
    many = [converter.Job(small, tmp_path / f"{i}.pdf") for i in range(10)]
    assert converter.batch_timeout(many, **limits) == pytest.approx(60 + 200 + 13)


def test_at_most_max_batch_files_per_soffice_start(tmp_path, monkeypatch):
    """Each start gets a fresh process (its memory released at exit); the stand-in logs its file count."""
    log = tmp_path / "starts"
    monkeypatch.setenv("KJHDZ_SOFFICE", str(fake_soffice(tmp_path, f"echo $(( $# - 10 )) >> {log}; exit 0")))
    with pytest.raises(ConversionError) as info:
        converter.convert_to_pdf(_docs(tmp_path, 7), tmp_path / "out", max_batch=3)
    assert sorted(int(n) for n in log.read_text().split()) == [1, 3, 3]       # 7 files: 3 starts of ≤ 3
    assert len(info.value.documents) == 7
    log.unlink()
    with pytest.raises(ConversionError):
        converter.convert_to_pdf(_docs(tmp_path, 7), tmp_path / "out")
    assert sorted(int(n) for n in log.read_text().split()) == [3, 4]          # default: one start per worker


def test_freed_memory_goes_back_before_libreoffice_starts():
    import psutil

    me = psutil.Process()
    before = me.memory_info().rss
    blob = [bytes(1000) + bytes([i % 256]) for i in range(200_000)]      # ~200 MB in small blocks
    grown = me.memory_info().rss
    survivors = blob[::64]               # one block in 64 stays: the heap cannot shrink from its top alone
    del blob
    converter.release_memory()
    assert grown - before > 150e6 and len(survivors) == 3125
    assert me.memory_info().rss - before < 50e6

"""Drill: tampering with and decay of a sealed year — each detected by ``verify`` (exit 6), naming the file
and the check; ``reindex`` repairs the index only and never changes a bag.
"""

from __future__ import annotations

import json

import pytest

from kjhdz_docs.archive import index as archive_index
from kjhdz_docs.archive.index import reindex
from kjhdz_docs.archive.verify import verify
from kjhdz_docs.errors import ExitCode, VerificationError

from ..conftest import requires_soffice
from .archive_year import seal_test_year, copy_archive
from .common import snapshot

pytestmark = [requires_soffice, pytest.mark.slow]


@pytest.fixture(scope="module")
def sealed(tmp_path_factory):
    """(build base, archive with 2024/v1)."""
    return seal_test_year(tmp_path_factory.mktemp("drill-tamper"))


@pytest.fixture
def archive(sealed, tmp_path, monkeypatch):
    base, original = sealed
    copy = copy_archive(original, tmp_path / "archive")
    monkeypatch.setenv("KJHDZ_BUILD", str(base / "build"))
    monkeypatch.setenv("KJHDZ_ARCHIVE", str(copy))
    assert verify(2024) == 0
    return copy


def _records(bag):
    return {p.name: json.loads(p.read_text(encoding="utf-8")) for p in sorted((bag / "data" / "metadata").glob("*.json"))}


def flip_pdf_byte(bag):
    rel = "data/documents/Y-KJB-0003/summary.pdf"
    data = bytearray((bag / rel).read_bytes())
    data[len(data) // 2] ^= 0x01
    (bag / rel).write_bytes(bytes(data))
    return rel, "bagit"


def delete_submission(bag):
    rel = next(f["path"] for r in _records(bag).values() if r["type"] == "submission"
               for f in r["files"] if f["role"] == "submission")
    (bag / rel).unlink()
    return rel, "bagit"


def stray_file_in_payload(bag):
    rel = "data/submissions/statistics/补报-北京市.xlsx"
    (bag / rel).write_bytes(b"PK\x03\x04 not really")
    return rel, "bagit"


def stray_file_beside_tags(bag):
    (bag / "README.txt").write_text("说明\n", encoding="utf-8")
    return "README.txt", "extra-files"


def edit_metadata_json(bag):
    rel = "data/metadata/D30-DWB-0001.json"
    path = bag / rel
    path.write_text(path.read_text(encoding="utf-8").replace("北京市", "天津市"), encoding="utf-8")
    return rel, "bagit"


def flip_workbook_deflate_byte(bag):
    """A byte flipped inside a submitted workbook's compressed data: the zip still opens, inflating fails."""
    import zipfile

    rel = next(f["path"] for r in _records(bag).values() if r["type"] == "submission"
               for f in r["files"] if f["role"] == "submission" and f["path"].endswith(".xlsx"))
    with zipfile.ZipFile(bag / rel) as z:
        member = max((i for i in z.infolist() if i.compress_type == zipfile.ZIP_DEFLATED), key=lambda i: i.compress_size)
    data = bytearray((bag / rel).read_bytes())
    start = member.header_offset + 30 + int.from_bytes(data[member.header_offset + 26:member.header_offset + 28], "little") \
        + int.from_bytes(data[member.header_offset + 28:member.header_offset + 30], "little")
    for i in range(start + 8, start + member.compress_size - 8, 97):
        data[i] ^= 0xFF
    (bag / rel).write_bytes(bytes(data))
    return rel, "bagit"


TAMPERING = [flip_pdf_byte, delete_submission, stray_file_in_payload, stray_file_beside_tags, edit_metadata_json,
             flip_workbook_deflate_byte]


@pytest.mark.parametrize("tamper", TAMPERING, ids=[t.__name__ for t in TAMPERING])
def test_tampered_bag_fails_verify_naming_file_and_check(archive, tamper):
    bag = archive / "2024" / "v1"
    rel, check = tamper(bag)
    damaged = snapshot(bag)
    with pytest.raises(VerificationError) as info:
        verify(2024)
    assert info.value.exit_code == ExitCode.VERIFY_FAILED
    report = json.loads((archive / "reports" / "verify-2024-v1.json").read_text(encoding="utf-8"))
    assert {"file": rel, "check": check} in [{"file": f["file"], "check": f["check"]} for f in report["failures"]]
    assert f"2024/v1/{rel}: [" in str(info.value) and f" {check}] " in str(info.value)
    # reindex repairs nothing in a bag: the damage stays, and so does the verdict
    assert reindex() == 0
    assert snapshot(bag) == damaged
    with pytest.raises(VerificationError):
        verify(2024)


@pytest.mark.parametrize("field, value", [("题名", "关于举办2025年全国科技活动周的通知"), ("pdf_sha256", "0" * 64),
                                          ("latest", False)])
def test_edited_index_entry_is_detected_and_reindex_repairs_only_the_index(archive, field, value):
    path = archive_index.index_path(archive)
    data = json.loads(path.read_text(encoding="utf-8"))
    table = data["_default"]
    key = next(k for k, e in table.items() if e["序号"] == 1)
    table[key][field] = value
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    bags = snapshot(archive / "2024")
    with pytest.raises(VerificationError) as info:
        verify(2024)
    assert f"2024/v1/{archive_index.INDEX}: [可用性 index]" in str(info.value)
    assert reindex() == 0
    assert snapshot(archive / "2024") == bags
    assert verify(2024) == 0
    assert next(e for e in archive_index.load_index(archive) if e["序号"] == 1)[field] != value


# --- the forger: edit a PDF, fix its record, let bagit recompute every manifest, reindex ----------------
PDF = "data/documents/Y-KJB-0003/summary.pdf"


def _forge(bag, rel, data: bytes) -> None:
    """What a forger with write access to the archive folder does after changing ``rel``."""
    import hashlib

    import bagit

    (bag / rel).write_bytes(data)
    for name, record in _records(bag).items():
        for f in record["files"]:
            if f["path"] == rel:
                f["sha256"], f["size"] = hashlib.sha256(data).hexdigest(), len(data)
                (bag / "data" / "metadata" / name).write_text(json.dumps(record, ensure_ascii=False, indent=2,
                                                                         sort_keys=True) + "\n", encoding="utf-8")
    bagit.Bag(str(bag)).save(manifests=True)
    assert bagit.Bag(str(bag)).is_valid()                 # the checksums alone now say nothing is wrong
    assert reindex() == 0


def _edited_pdf(path) -> bytes:
    """The PDF with a changed page (the forger's edit), saved by pikepdf as any PDF tool would."""
    import io

    import pikepdf

    with pikepdf.open(path) as pdf:
        pdf.pages[0].contents_add(pikepdf.Stream(pdf, b"q 1 0 0 RG 100 100 200 20 re S Q"), prepend=False)
        out = io.BytesIO()
        pdf.save(out)
    return out.getvalue()


def _edited_unsigned(path) -> bytes:
    """The forger strips the signature: the unsigned revision, edited."""
    import io

    import pikepdf

    from kjhdz_docs.archive.sign import unsigned_revision

    with pikepdf.open(io.BytesIO(unsigned_revision(path.read_bytes()))) as pdf:
        pdf.docinfo["/Title"] = "改过的题名"
        out = io.BytesIO()
        pdf.save(out)
    return out.getvalue()


def _appended_update(path) -> bytes:
    """The forger appends an incremental update after the signature (the signed bytes stay intact)."""
    import io

    from pyhanko.pdf_utils import generic
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter

    w = IncrementalPdfFileWriter(io.BytesIO(path.read_bytes()), strict=False)
    page = w.root["/Pages"]["/Kids"][0].get_object()
    page["/Rotate"] = generic.NumberObject(90)
    w.update_container(page)
    out = io.BytesIO()
    w.write(out)
    return out.getvalue()


FORGERIES = {"edited-and-resaved": (_edited_pdf, "broken signature"),
             "signature-stripped": (_edited_unsigned, "no signature"),
             "update-appended": (_appended_update, "broken signature")}


@pytest.mark.parametrize("forgery", FORGERIES, ids=list(FORGERIES))
def test_forger_who_recomputes_every_checksum_fails_authenticity(archive, forgery):
    bag = archive / "2024" / "v1"
    edit, words = FORGERIES[forgery]
    _forge(bag, PDF, edit(bag / PDF))
    with pytest.raises(VerificationError) as info:
        verify(2024)
    report = json.loads((archive / "reports" / "verify-2024-v1.json").read_text(encoding="utf-8"))
    assert report["aspects"]["真实性"] == "fail"
    failed = {(f["file"], f["check"]): f["message"] for f in report["failures"]}
    assert words in failed[(PDF, "pdf-signature")]
    assert "broken signature" in failed[("tagmanifest-sha256.txt.p7s", "bag-signature")]
    assert f"2024/v1/{PDF}: [真实性 pdf-signature] {words}" in str(info.value)
    assert not [f for f in report["failures"] if f["check"] in ("bagit", "fixity")]   # the checksums were fixed


def test_forger_who_resigns_with_a_key_of_their_own_fails(archive, tmp_path, monkeypatch):
    from kjhdz_docs.archive import sign

    bag = archive / "2024" / "v1"
    trusted_before = sign.trusted_path().read_bytes()
    monkeypatch.setenv(sign.P12_ENV, str(tmp_path / "forger.p12"))
    sign.create_self_signed(tmp_path / "forger.p12")              # same subject as the ministry's own
    forger = sign.load_signing_key(create=False)
    assert forger.notes and "not in" in forger.notes[0]
    forged = tmp_path / "forged.pdf"
    forged.write_bytes(_edited_unsigned(bag / PDF))
    sign.sign_pdf(forged, forger)
    _forge(bag, PDF, forged.read_bytes())
    sign.sign_bag(bag, forger)
    monkeypatch.delenv(sign.P12_ENV)
    assert sign.trusted_path().read_bytes() == trusted_before
    with pytest.raises(VerificationError):
        verify(2024)
    report = json.loads((archive / "reports" / "verify-2024-v1.json").read_text(encoding="utf-8"))
    failed = {(f["file"], f["check"]): f["message"] for f in report["failures"]}
    assert failed[(PDF, "pdf-signature")].startswith(f"untrusted signer: certificate {forger.fingerprint}")
    assert failed[("tagmanifest-sha256.txt.p7s", "bag-signature")].startswith("untrusted signer")
    assert report["signatures"]["bag"]["signer"] == "科学技术部 档案 归档封装签名"   # a name proves nothing
    assert len(failed) == 2


def test_a_new_version_shares_unchanged_files_and_never_takes_over_a_damaged_one(archive):
    """A new version hard-links every file byte for byte the same as in the version it supersedes (checked
    against the sealed sha256 first); a file damaged in the earlier version is copied afresh from its source
    (a submitted file) or stamped and signed again (a PDF): v2 verifies, v1 still fails."""
    import os

    from kjhdz_docs.archive.seal import seal_year

    v1 = archive / "2024" / "v1"
    records = _records(v1)
    subs = [r for r in records.values() if r["type"] == "submission"
            and {"submission", "rendition"} <= {f["role"] for f in r["files"]}]
    damaged, intact = subs[0], subs[1]
    role = lambda r, name: next(f for f in r["files"] if f["role"] == name)     # noqa: E731
    for name in ("submission", "rendition"):
        path = v1 / role(damaged, name)["path"]
        data = bytearray(path.read_bytes())
        data[len(data) // 2] ^= 0x01
        path.write_bytes(bytes(data))
    assert seal_year(2024, force=True, reason="drill: v1 damaged") == 0
    v2 = archive / "2024" / "v2"
    after = _records(v2)
    for name in ("submission", "rendition"):
        f1 = role(damaged, name)
        got = v2 / f1["path"]
        assert os.stat(got).st_ino != os.stat(v1 / f1["path"]).st_ino
        assert got.read_bytes() != (v1 / f1["path"]).read_bytes()
    by_code = {r["档号"]: r for r in after.values()}
    assert role(by_code[damaged["档号"]], "submission")["sha256"] == role(damaged, "submission")["sha256"]
    assert by_code[damaged["档号"]]["stamped"]["version"] == "v2"
    shared = [f for f in intact["files"] if f["role"] in ("submission", "rendition")]
    assert len(shared) == 2 and all(os.stat(v2 / f["path"]).st_ino == os.stat(v1 / f["path"]).st_ino for f in shared)
    assert by_code[intact["档号"]]["stamped"]["version"] == "v1"
    assert verify(2024, versions=["v2"]) == 0
    with pytest.raises(VerificationError):
        verify(2024, versions=["v1"])


def test_a_catalogue_row_edited_is_named_by_the_catalogue_check(archive):
    from openpyxl import load_workbook

    bag = archive / "2024" / "v1"
    rel = "data/catalogue/归档文件目录.xlsx"
    wb = load_workbook(bag / rel)
    ws = wb.worksheets[0]
    ws.cell(4, 5).value = ws.cell(4, 5).value + "（改）"
    wb.save(bag / rel)
    with pytest.raises(VerificationError):
        verify(2024)
    report = json.loads((archive / "reports" / "verify-2024-v1.json").read_text(encoding="utf-8"))
    found = [f for f in report["failures"] if f["check"] == "catalogue"]
    assert [f["file"] for f in found] == [rel] and "first difference at row 4" in found[0]["message"]

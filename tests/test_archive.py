"""Sealing a year: 档号, stamped PDF/A renditions, the bag, 四性检测, the index and search.

One real build tree (python-docx + LibreOffice + openpyxl, two inboxes) and one real seal serve
the module; tests that damage or re-seal the archive work on a copy of it.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import re
import shutil
import subprocess
import sys
import unicodedata
from pathlib import Path

import pdfplumber
import pikepdf
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kjhdz_docs.archive import bag as bagging
from kjhdz_docs.archive import stamp
from kjhdz_docs.archive.index import collect_entries, index_path, load_index, reindex
from kjhdz_docs.archive.records import load_config, plan_year
from kjhdz_docs.archive.search import find, search
from kjhdz_docs.archive.seal import seal_year
from kjhdz_docs.archive.verify import verify
from kjhdz_docs.errors import ArchiveConflictError, DataFileError, MissingInputError, VerificationError
from tests.archive_tree import NFD_NAME, year_tree
from tests.conftest import requires_soffice

pytestmark = [requires_soffice, pytest.mark.slow]

CODE = re.compile(r"^Z109-WS·2024-(Y|D30)-(KJB|DWB)-(\d{4})$")


def tree_hash(folder: Path) -> dict[str, str]:
    return {p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.fixture(scope="module")
def sealed(tmp_path_factory):
    """(base, archive root, exit code) of one seal of the generated 2024 build tree."""
    base = tmp_path_factory.mktemp("archive-year")
    with year_tree(base):
        code = seal_year(2024)
        yield base, base / "archive", code


@pytest.fixture
def archive_env(sealed, monkeypatch):
    base, root, _ = sealed
    monkeypatch.setenv("KJHDZ_BUILD", str(base / "build"))
    monkeypatch.setenv("KJHDZ_ARCHIVE", str(root))
    return root


@pytest.fixture
def archive_copy(sealed, tmp_path, monkeypatch):
    """A private copy of the sealed archive (and the same build tree) to damage or re-seal."""
    base, root, _ = sealed
    copy = tmp_path / "archive"
    shutil.copytree(root, copy, symlinks=True)
    monkeypatch.setenv("KJHDZ_BUILD", str(base / "build"))
    monkeypatch.setenv("KJHDZ_ARCHIVE", str(copy))
    return copy


@pytest.fixture(scope="module")
def bag(sealed):
    return sealed[1] / "2024" / "v1"


@pytest.fixture(scope="module")
def records(bag):
    return [json.loads(p.read_text(encoding="utf-8")) for p in sorted((bag / "data" / "metadata").glob("*.json"))]


def rendition(record: dict) -> dict | None:
    return next((f for f in record["files"] if f["role"] == "rendition"), None)


# --- 件 and 档号 ---------------------------------------------------------------------------------------
def test_seal_returns_0_although_the_intake_rejected_files(sealed):
    assert sealed[2] == 0          # the rejected files are sealed with their reasons


def test_codes_are_gap_free_ordered_and_stable(sealed, records, archive_env):
    codes = [r["档号"] for r in records]
    assert [int(CODE.match(c).group(3)) for c in codes] == list(range(1, len(records) + 1))
    assert [r["type"] for r in records[:3]] == ["notice", "recommendations", "summary"]
    assert codes[0] == "Z109-WS·2024-Y-KJB-0001"
    assert all(r["type"] == "submission" and "-D30-DWB-" in r["档号"] for r in records[3:])
    # 推荐表 inbox before 统计表 inbox, roster order (北京 河北 上海), unknown unit last
    files = [r["submission"]["file"] for r in records[3:]]
    assert files[:4] == ["北京市-推荐表.xlsx", "河北省-推荐表.xlsx", "上海市-推荐表.xlsx", "说明.txt"]
    assert files[4:] == ["北京市-统计表-修改稿.xlsx", "北京市-统计表-初稿.xlsx", "天津市.xlsx", f"广东省/{NFD_NAME}"]
    assert [r.code for r in plan_year(2024).records] == codes       # a rebuild numbers the same way


def test_companion_scan_rides_with_its_workbook(records):
    beijing = records[3]
    roles = {f["name"]: f["role"] for f in beijing["files"]}
    assert roles == {"北京市-推荐表.xlsx": "submission", "北京市-盖章扫描件.pdf": "companion", "北京市-推荐表.pdf": "rendition"}
    assert any(rel["关系类型"] == "随附材料" for rel in beijing["关系"])


def test_unsafe_file_is_archived_as_is_with_the_reason(records):
    hebei = records[4]
    assert hebei["submission"]["status"] == "rejected"
    assert rendition(hebei) is None and "not-a-workbook" in hebei["rendition"]["reason"]
    shanghai = records[5]                  # rejected by the form rules, but a workbook: it has a rendition
    assert shanghai["submission"]["status"] == "rejected" and rendition(shanghai)


def test_bad_archive_config_names_every_field(tmp_path):
    bad = tmp_path / "archive.yaml"
    bad.write_text("fonds: 'Z 1'\ncategory: WS\narchival_code: '{fonds}-{nope}'\nretention: {notice: X}\n",
                   encoding="utf-8")
    with pytest.raises(DataFileError) as exc:
        load_config(2024, bad)
    text = str(exc.value)
    for field in ("fonds", "fonds_name", "retention.notice", "retention.submission", "organizations.notice",
                  "unknown parts ['nope']", "{year} and {item}"):
        assert field in text
    assert load_config(2024).code(year=2024, record_type="notice", item=7) == "Z109-WS·2024-Y-KJB-0007"


def test_sealing_before_the_builds_is_missing_input(tmp_path, monkeypatch):
    monkeypatch.setenv("KJHDZ_BUILD", str(tmp_path / "build"))
    monkeypatch.setenv("KJHDZ_ARCHIVE", str(tmp_path / "archive"))
    with pytest.raises(MissingInputError, match="notice, recommendations, summary"):
        seal_year(2024)
    assert not (tmp_path / "archive" / "2024").exists()


# --- stamped PDFs ---------------------------------------------------------------------------------
def test_every_stamped_pdf_reads_back_every_field(bag, records):
    checked = 0
    for r in records:
        ren = rendition(r)
        if ren is None:
            continue
        original = next(f for f in r["files"] if f["role"] in ("original", "submission"))
        with pikepdf.open(bag / ren["path"]) as pdf:
            got = stamp.read_fields(pdf)
            assert pdf.Root.Metadata.get("/Filter") is None          # PDF/A: the XMP stream is not compressed
            xmp = pdf.Root.Metadata.read_bytes().decode("utf-8")
        assert got["pdfa"] == "2B"
        assert got["dc:title"] == r["题名"] == got["docinfo"]["Title"]
        assert got["dc:creator"] == r["责任者"]
        assert got["dc:identifier"] == r["档号"] == got["archivalCode"]
        assert set(got["dc:language"]) == {"zh-CN"}
        assert "LibreOffice" in got["pdf:Producer"] and "pikepdf" in got["pdf:Producer"]
        assert got["docinfo"]["Producer"] == got["pdf:Producer"]
        assert got["pageCount"] == str(r["页数"]) and got["itemNumber"] == f"{r['件号']:04d}"
        assert got["retention"] == r["保管期限"] and got["fonds"] == "Z109" and got["year"] == "2024"
        assert got["documentNumber"] == r["文件编号"] and got["disclosure"] == r["公开属性"]
        assert got["originalName"] == original["name"] and got["originalSha256"] == original["sha256"]
        assert all(got[k] is not None for k in stamp.FIELDS)
        # every project property is declared in the PDF/A extension schema
        assert xmp.count(f"<pdfaSchema:namespaceURI>{stamp.NS}</pdfaSchema:namespaceURI>") == 1
        assert all(f"<pdfaProperty:name>{k}</pdfaProperty:name>" in xmp for k in stamp.FIELDS)
        checked += 1
    assert checked == 9
    notice = records[0]
    assert notice["文件编号"] == "国科发才〔2024〕31号"
    assert notice["责任者"] == ["科学技术部", "中共中央宣传部", "中国科学技术协会"]


def test_stamp_sits_on_blank_top_of_page_one(sealed, bag, records, tmp_path):
    base = sealed[0]
    for r in records[:3]:
        placed = r["归档章"]
        assert placed["placed"] and placed["size_mm"] == [45, 16]
        x, top = placed["x_mm"] * stamp.MM, placed["top_mm"] * stamp.MM
        box = (x, top, x + stamp.STAMP_W, top + stamp.STAMP_H)
        source = base / "build" / "2024" / r["type"] / f"{r['type']}.pdf"
        with pdfplumber.open(source) as before, pdfplumber.open(bag / rendition(r)["path"]) as after:
            text_before = before.pages[0].extract_text()
            assert not any(c["x0"] < box[2] and c["x1"] > box[0] and c["top"] < box[3] and c["bottom"] > box[1]
                           for c in before.pages[0].chars)
            page = after.pages[0]
            assert page.extract_text() == text_before             # outlines, not text: nothing added, nothing lost
            inside = [o for o in page.curves + page.lines + page.rects
                      if o["x0"] >= box[0] - 1 and o["x1"] <= box[2] + 1 and o["top"] >= box[1] - 1
                      and o["bottom"] <= box[3] + 1]
            assert len(inside) > 20                               # the box, its rules and the glyph outlines
    # page 1 rendered: red ink inside the box and nowhere else
    r = records[0]
    png = tmp_path / "page1"
    subprocess.run(["pdftoppm", "-r", "40", "-f", "1", "-l", "1", "-png", "-singlefile", str(bag / rendition(r)["path"]),
                    str(png)], check=True, timeout=60)
    from PIL import Image

    img = Image.open(f"{png}.png").convert("RGB")
    k = img.width / (210 * stamp.MM)
    x0, y0 = r["归档章"]["x_mm"] * stamp.MM * k, r["归档章"]["top_mm"] * stamp.MM * k
    px = img.load()
    red = [(i, j) for j in range(img.height) for i in range(img.width)
           if px[i, j][0] > 150 and px[i, j][1] < 90 and px[i, j][2] < 90]
    assert len(red) > 50
    assert all(x0 - 3 <= px <= x0 + 45 * stamp.MM * k + 3 and y0 - 3 <= py <= y0 + 16 * stamp.MM * k + 3 for px, py in red)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(title=st.text(min_size=1, max_size=40).filter(lambda s: s.strip()),
       creators=st.lists(st.text(min_size=1, max_size=12).filter(lambda s: s.strip()), min_size=1, max_size=3),
       number=st.text(max_size=20))
def test_metadata_round_trip(title, creators, number):
    def clean(s):         # XML 1.0 cannot carry control characters; XMP normalises nothing else away
        return "".join(ch for ch in s if ch in "\t\n" or (ord(ch) >= 0x20 and not 0xD800 <= ord(ch) <= 0xDFFF
                                                             and ord(ch) not in (0xFFFE, 0xFFFF)))
    title, number = clean(title).strip() or "题名", clean(number).strip()
    creators = [clean(c).strip() or "单位" for c in creators]
    pdf = pikepdf.new()
    pdf.add_blank_page()
    fields = {k: f"{k}:{number}" for k in stamp.FIELDS}
    stamp.write_metadata(pdf, title=title, creators=creators, date="2024-05-25", identifier="Z109-WS·2024-Y-KJB-0001",
                         fields=fields)
    import io

    buf = io.BytesIO()
    pdf.save(buf, deterministic_id=True)
    with pikepdf.open(io.BytesIO(buf.getvalue())) as back:
        got = stamp.read_fields(back)
    assert got["dc:title"] == title and got["dc:creator"] == creators and got["dc:date"] == ["2024-05-25"]
    assert {k: got[k] for k in stamp.FIELDS} == fields


# --- the bag ---------------------------------------------------------------------------------------
def test_bag_validates_and_holds_every_submission_byte_identical(sealed, bag, records):
    assert bagging.validate(bag) == []
    names = {p.name for p in bag.iterdir()}
    assert {"bagit.txt", "bag-info.txt", "manifest-sha256.txt", "manifest-sha512.txt", "data"} <= names
    info = bagging.info(bag)
    assert info["Source-Organization"] == "科学技术部"
    assert info["External-Identifier"] == "Z109-WS·2024-v1" and info["Bagging-Date"] and "Supersedes" not in info
    assert "全国科技活动周" in info["External-Description"]
    base = sealed[0]
    for kind in ("recommendations", "statistics"):
        inbox = base / "inbox" / kind
        for src in sorted(p for p in inbox.rglob("*") if p.is_file()):
            rel = unicodedata.normalize("NFC", src.relative_to(inbox).as_posix())
            assert (bag / "data" / "submissions" / kind / rel).read_bytes() == src.read_bytes(), rel
    nfc = unicodedata.normalize("NFC", NFD_NAME)
    assert (bag / "data" / "submissions" / "statistics" / "广东省" / nfc).exists()
    assert {p.name for p in (bag / "data" / "reports").rglob("*.json")} >= {
        "intake.json", "manifest.json", "summary.json", "recommendations.json", "seal.json"}
    assert len(list((bag / "data" / "metadata").glob("*.json"))) == len(records) == 11


# --- verify ------------------------------------------------------------------------------------------
def test_verify_passes_with_four_headings(archive_env, capsys):
    assert verify(2024, as_json=True) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["ok"] is True
    report = out["bags"][0]
    assert set(report["aspects"]) == {"真实性", "完整性", "可用性", "安全性"}
    by_check = {c["check"]: c for c in report["checks"]}
    assert by_check["antivirus"]["status"] == "not-run" and "ClamAV" in by_check["antivirus"]["reason"]
    assert by_check["verapdf"]["status"] == "not-run"
    assert by_check["intake-files"]["checked"] == 9 and by_check["pdfa"]["checked"] == 9
    assert (archive_env / "reports" / "verify-2024-v1.json").exists()


def _flip(bag: Path) -> str:
    rel = "data/documents/0001/notice.pdf"
    data = bytearray((bag / rel).read_bytes())
    data[len(data) // 2] ^= 0x01
    (bag / rel).write_bytes(bytes(data))
    return rel


def _delete(bag: Path) -> str:
    rel = "data/submissions/statistics/天津市.xlsx"
    (bag / rel).unlink()
    return rel


def _add(bag: Path) -> str:
    rel = "data/documents/0002/补充.txt"
    (bag / rel).write_text("后加的文件\n", encoding="utf-8")
    return rel


@pytest.mark.parametrize("damage", [_flip, _delete, _add], ids=["flip-one-byte", "delete-a-file", "add-a-file"])
def test_verify_fails_and_names_the_damaged_file(archive_copy, damage, capsys):
    rel = damage(archive_copy / "2024" / "v1")
    with pytest.raises(VerificationError) as exc:
        verify(2024)
    assert f"2024/v1/{rel}" in str(exc.value)
    assert exc.value.exit_code == 6
    report = json.loads((archive_copy / "reports" / "verify-2024-v1.json").read_text(encoding="utf-8"))
    assert report["ok"] is False and report["aspects"]["真实性"] == "fail"
    assert any(f["file"] == rel for f in report["failures"])


def test_verify_flags_a_pdf_whose_metadata_was_rewritten(archive_copy):
    """Re-signing the bag does not hide a PDF whose 档号 no longer matches its record."""
    bag = archive_copy / "2024" / "v1"
    path = bag / "data" / "documents" / "0002" / "recommendations.pdf"
    with pikepdf.open(path, allow_overwriting_input=True) as pdf:
        with pdf.open_metadata(set_pikepdf_as_editor=False) as meta:
            meta["dc:identifier"] = "Z109-WS·2024-Y-KJB-9999"
        pdf.save(path)
    import bagit

    bagit.Bag(str(bag)).save(manifests=True)
    with pytest.raises(VerificationError, match="0002/recommendations.pdf.*pdf-metadata"):
        verify(2024)


# --- index and search ------------------------------------------------------------------------------
def test_index_matches_the_bags_and_reindex_rebuilds_it(archive_copy):
    before = tree_hash(archive_copy / "2024")
    entries = load_index(archive_copy)
    assert sorted(entries, key=lambda e: e["档号"]) == sorted(collect_entries(archive_copy), key=lambda e: e["档号"])
    index_path(archive_copy).unlink()
    assert reindex() == 0
    assert sorted(load_index(archive_copy), key=lambda e: e["档号"]) == sorted(entries, key=lambda e: e["档号"])
    assert tree_hash(archive_copy / "2024") == before                   # reindex never touches a bag
    e = next(x for x in entries if x["件号"] == 1)
    assert e["文件编号"] == "国科发才〔2024〕31号" and e["页数"] >= 1 and e["保管期限"] == "Y"
    assert (archive_copy / e["pdf"]).exists() and (archive_copy / e["original"]).exists()


def test_search_by_each_criterion(archive_env, capsys):
    assert [e["件号"] for e in find(number="31号")] == [1]
    assert [e["件号"] for e in find(dh="Z109-WS·2024-Y")] == [1, 2, 3]
    assert [e["件号"] for e in find(unit="北京市", record_type="submission")] == [4, 8, 9]
    assert [e["件号"] for e in find(text="推荐清单 2024")] == [2]
    assert find(year=2023) == []
    assert search(text="统计表", unit="天津", as_json=True) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["count"] == 1 and out["records"][0]["题名"].startswith("天津市报送的")


# --- versions and the lock -------------------------------------------------------------------------
def test_sealing_again_unchanged_seals_nothing_forced_makes_v2_and_leaves_v1_alone(archive_copy, capsys):
    v1 = tree_hash(archive_copy / "2024" / "v1")
    assert seal_year(2024) == 0
    assert "2024: v1 is current, nothing changed" in capsys.readouterr().err
    assert sorted(p.name for p in (archive_copy / "2024").iterdir()) == ["latest", "v1"]
    with pytest.raises(MissingInputError, match="--force needs --reason"):
        seal_year(2024, force=True)
    assert seal_year(2024, force=True, reason="重新封装：测试") == 0
    assert tree_hash(archive_copy / "2024" / "v1") == v1
    v2 = archive_copy / "2024" / "v2"
    assert bagging.validate(v2) == []
    assert bagging.info(v2)["Supersedes"] == "v1"
    assert bagging.info(v2)["Seal-Reason"] == "重新封装：测试"
    assert bagging.info(v2)["Changes"].startswith("against v1: 0 件 added, 0 removed, 0 changed")
    seal = json.loads((v2 / "data" / "reports" / "seal.json").read_text(encoding="utf-8"))
    assert seal["reason"] == "重新封装：测试" and seal["changes"]["against"] == "v1"
    assert seal["content"]["digest"] == json.loads((archive_copy / "2024" / "v1" / "data" / "reports" / "seal.json")
                                                    .read_text(encoding="utf-8"))["content"]["digest"]
    assert (archive_copy / "2024" / "latest").read_text().strip() == "v2"
    meta = json.loads((v2 / "data" / "metadata" / "0001.json").read_text(encoding="utf-8"))
    assert meta["version"] == "v2" and meta["supersedes"] == "v1" and meta["档号"] == "Z109-WS·2024-Y-KJB-0001"
    entries = load_index(archive_copy)
    assert {(e["version"], e["latest"]) for e in entries} == {("v1", False), ("v2", True)}
    assert [e["version"] for e in find(number="31号")] == ["v2"]
    assert not [p for p in (archive_copy / "2024").iterdir() if p.name.startswith(".")]   # no staging left
    assert verify(2024) == 0


def test_a_second_sealing_run_waits_then_names_the_holder(archive_copy, monkeypatch):
    holder = subprocess.Popen(
        [sys.executable, "-c", "import sys, time; from kjhdz_docs.archive.lock import archive_lock\n"
         "with archive_lock('sealing 2024 (test holder)'):\n    print('held', flush=True); time.sleep(30)"],
        stdout=subprocess.PIPE, text=True, env=dict(os.environ), cwd=Path(__file__).resolve().parent.parent)
    try:
        assert holder.stdout.readline().strip() == "held"
        monkeypatch.setenv("KJHDZ_ARCHIVE_LOCK_TIMEOUT", "1")
        with pytest.raises(ArchiveConflictError) as exc:
            seal_year(2024)
        assert f"pid {holder.pid}" in str(exc.value) and "test holder" in str(exc.value)
        assert exc.value.exit_code == 5
        assert sorted(p.name for p in (archive_copy / "2024").iterdir() if p.is_dir()) == ["v1"]
    finally:
        holder.kill()
        holder.wait()


@pytest.mark.parametrize("file, sha", [
    ("../../../../etc/passwd", "0" * 64),       # escapes the inbox
    ("/etc/passwd", "0" * 64),                  # absolute
    ("北京市.xlsx", ""),                         # no sha256 to check the bytes against
])
def test_a_tampered_intake_report_is_refused(tmp_path, file, sha):
    from kjhdz_docs.archive.records import _read_intake
    from kjhdz_docs.errors import MissingInputError

    inbox = tmp_path / "inbox"
    inbox.mkdir()
    report = tmp_path / "intake.json"
    report.write_text(json.dumps({"inbox": str(inbox), "kind": "statistics",
                                  "submissions": [{"file": file, "sha256": sha, "status": "accepted"}]}),
                      encoding="utf-8")
    with pytest.raises(MissingInputError) as info:
        _read_intake("summary", report)
    assert file in str(info.value)


# --- signed seals ---------------------------------------------------------------------------------
def test_every_rendition_is_signed_and_stays_pdfa_with_its_stamp(bag, records):
    from kjhdz_docs.archive import sign

    trusted = sign.trusted_fingerprints()
    assert len(trusted) == 1                                       # the first seal made the key and trusted it
    signed = 0
    for r in records:
        ren = rendition(r)
        if ren is None:
            continue
        path = bag / ren["path"]
        found = sign.check_pdf(path, trusted)
        assert found.ok, (ren["path"], found.problem)
        assert found.signer == "科学技术部 档案 归档封装签名" and found.fingerprint in trusted
        assert found.signed_at and found.signed_at.endswith("+08:00")
        unsigned = sign.unsigned_revision(path.read_bytes())
        assert len(unsigned) < path.stat().st_size and path.read_bytes().startswith(unsigned)
        assert stamp.inspect_pdf(path)["pdfa"] == "2B" and not stamp.inspect_pdf(path)["fonts_not_embedded"]
        with pdfplumber.open(path) as after, pdfplumber.open(io.BytesIO(unsigned)) as before:
            a, b = after.pages[0], before.pages[0]
            assert a.extract_text() == b.extract_text() and a.extract_text()
            assert len(a.curves + a.lines + a.rects) == len(b.curves + b.lines + b.rects) > 20   # 归档章 still drawn
        assert r["电子签名"]["签名人"] == found.signer and found.fingerprint in r["电子签名"]["证书"]
        assert [e["行为"] for e in r["业务"]][-2:] == ["签名", "归档"]
        signed += 1
    assert signed == 9
    assert sign.check_bag(bag, trusted).ok
    assert "Tag-Signature" in (bag / "bag-info.txt").read_text(encoding="utf-8")


def test_unsigned_revision_is_the_pdf_before_signing(bag, records, tmp_path):
    from kjhdz_docs.archive import sign

    path = bag / rendition(records[0])["path"]
    before = sign.unsigned_revision(path.read_bytes())
    copy = tmp_path / "again.pdf"
    copy.write_bytes(before)
    assert sign.check_pdf(copy, sign.trusted_fingerprints()).problem.startswith("no signature")
    sign.sign_pdf(copy, sign.load_signing_key(create=False))
    assert sign.unsigned_revision(copy.read_bytes()) == before     # what determinism compares
    assert copy.read_bytes() != path.read_bytes()                  # a real, new signing time and signature


def test_verify_reports_the_signer(archive_env, capsys):
    assert verify(2024, as_json=True) == 0
    captured = capsys.readouterr()
    report = json.loads(captured.out)["bags"][0]
    by_check = {c["check"]: c for c in report["checks"]}
    assert by_check["pdf-signature"]["status"] == "pass" and by_check["pdf-signature"]["checked"] == 9
    assert by_check["bag-signature"]["status"] == "pass"
    assert by_check["timestamp"]["status"] == "not-run" and "TSA" in by_check["timestamp"]["reason"]
    assert report["signatures"]["bag"]["signer"] == "科学技术部 档案 归档封装签名"
    assert "科学技术部 档案 归档封装签名" in captured.err


def test_bad_trusted_list_names_file_and_line(archive_env, tmp_path, monkeypatch):
    from kjhdz_docs.archive import sign

    monkeypatch.setenv(sign.KEYS_ENV, str(tmp_path))
    (tmp_path / sign.TRUSTED).write_text("# ok\nnot-a-fingerprint  # typo\n", encoding="utf-8")
    with pytest.raises(DataFileError) as exc:
        verify(2024)
    assert str(tmp_path / sign.TRUSTED) in str(exc.value) and "line 2" in str(exc.value)


def test_a_configured_key_that_is_missing_is_a_data_error(tmp_path, monkeypatch):
    from kjhdz_docs.archive import sign

    monkeypatch.setenv(sign.P12_ENV, str(tmp_path / "institution.p12"))
    with pytest.raises(DataFileError) as exc:
        sign.load_signing_key()
    assert "institution.p12" in str(exc.value) and sign.P12_ENV in str(exc.value)


def test_signatures_check_inside_a_running_event_loop(bag, records):
    """pyHanko runs its own asyncio loop; verify is also called where one is running (playwright's sync API)."""
    import asyncio

    from kjhdz_docs.archive import sign

    async def inside():
        return sign.check_pdf(bag / rendition(records[0])["path"], sign.trusted_fingerprints())

    assert asyncio.run(inside()).ok

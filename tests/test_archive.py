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
from tests.archive_tree import NFD_NAME, WRONG_INBOX, year_tree
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
    """Every 件's metadata, in the order of the 归档文件目录 (序号)."""
    found = [json.loads(p.read_text(encoding="utf-8")) for p in (bag / "data" / "metadata").glob("*.json")]
    return sorted(found, key=lambda r: r["序号"])


def rendition(record: dict) -> dict | None:
    return next((f for f in record["files"] if f["role"] == "rendition"), None)


# --- 件 and 档号 ---------------------------------------------------------------------------------------
def test_seal_returns_0_although_the_intake_rejected_files(sealed):
    assert sealed[2] == 0          # the rejected files are sealed with their reasons


def test_item_numbers_restart_in_every_class_gap_free_ordered_and_stable(sealed, records, archive_env):
    """DA/T 22-2015: the 件号 is the order number within the lowest class (年度-保管期限-机构), from 1."""
    codes = [r["档号"] for r in records]
    assert codes[:3] == [f"Z109-WS·2024-Y-KJB-000{i}" for i in (1, 2, 3)]
    assert codes[3:] == [f"Z109-WS·2024-D30-DWB-{i:04d}" for i in range(1, len(records) - 2)]
    assert [r["件号"] for r in records] == [int(CODE.match(c).group(3)) for c in codes]
    assert [r["序号"] for r in records] == list(range(1, len(records) + 1))
    assert [r["type"] for r in records[:3]] == ["notice", "recommendations", "summary"]
    assert all(r["type"] == "submission" and "-D30-DWB-" in r["档号"] for r in records[3:])
    # 推荐表 inbox before 统计表 inbox, roster order (北京 河北 上海 云南), unknown unit last
    files = [r["submission"]["file"] for r in records[3:]]
    assert files[:5] == ["北京市-推荐表.xlsx", "河北省-推荐表.xlsx", "上海市-推荐表.xlsx", WRONG_INBOX, "说明.txt"]
    assert files[5:] == ["北京市-统计表-修改稿.xlsx", "北京市-统计表-初稿.xlsx", "天津市.xlsx", f"广东省/{NFD_NAME}"]
    assert [r.code for r in plan_year(2024).records] == codes       # a rebuild numbers the same way
    # folders and metadata files are named by class and 件号
    assert all(r["files"][0]["path"].startswith("data/submissions/") or
               r["files"][0]["path"].startswith(f"data/documents/{r['档号'].split('-', 2)[2]}/") for r in records)


def test_companion_scan_rides_with_its_workbook(records):
    beijing = records[3]
    roles = {f["name"]: f["role"] for f in beijing["files"]}
    assert roles == {"北京市-推荐表.xlsx": "submission", "北京市-盖章扫描件.pdf": "companion",
                     "北京市-补充说明.pdf": "companion", "北京市-推荐表.pdf": "rendition",
                     "北京市-盖章扫描件.pdf.pdf": "normalized"}
    assert any(rel["关系类型"] == "随附材料" for rel in beijing["关系"])


def test_unsafe_file_is_archived_as_is_with_the_reason(records):
    hebei = records[4]
    assert hebei["submission"]["status"] == "rejected"
    assert rendition(hebei) is None and "not-a-workbook" in hebei["rendition"]["reason"]
    shanghai = records[5]                  # rejected by the form rules, but a workbook: it has a rendition
    assert shanghai["submission"]["status"] == "rejected" and rendition(shanghai)
    assert hebei["normalization"]["missing"][0]["原因"] == hebei["rendition"]["reason"]


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
        assert got["filePages"] == str(ren["页数"]) and got["lang"] == "zh-CN"
        assert got["docinfo_fields"] == {k: got[k] for k in got["docinfo_fields"]} and \
            set(got["docinfo_fields"]) == set(stamp.FIELDS)
        assert got["retention"] == r["保管期限"] and got["fonds"] == "Z109" and got["year"] == "2024"
        assert got["documentNumber"] == r["文件编号"] and got["disclosure"] == r["公开属性"]
        assert got["originalName"] == original["name"] and got["originalSha256"] == original["sha256"]
        assert all(got[k] is not None for k in stamp.FIELDS)
        # every project property is declared in the PDF/A extension schema
        assert xmp.count(f"<pdfaSchema:namespaceURI>{stamp.NS}</pdfaSchema:namespaceURI>") == 1
        assert all(f"<pdfaProperty:name>{k}</pdfaProperty:name>" in xmp for k in stamp.FIELDS)
        checked += 1
    assert checked == 10
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
    assert len(list((bag / "data" / "metadata").glob("*.json"))) == len(records) == 12


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
    assert by_check["intake-files"]["checked"] == 13
    assert by_check["pdfa"]["checked"] == 10 + 3          # 10 workbook/built renditions, 3 normalized parts
    assert (archive_env / "reports" / "verify-2024-v1.json").exists()


def _flip(bag: Path) -> str:
    rel = "data/documents/Y-KJB-0001/notice.pdf"
    data = bytearray((bag / rel).read_bytes())
    data[len(data) // 2] ^= 0x01
    (bag / rel).write_bytes(bytes(data))
    return rel


def _delete(bag: Path) -> str:
    rel = "data/submissions/statistics/天津市.xlsx"
    (bag / rel).unlink()
    return rel


def _add(bag: Path) -> str:
    rel = "data/documents/Y-KJB-0002/补充.txt"
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
    path = bag / "data" / "documents" / "Y-KJB-0002" / "recommendations.pdf"
    with pikepdf.open(path, allow_overwriting_input=True) as pdf:
        with pdf.open_metadata(set_pikepdf_as_editor=False) as meta:
            meta["dc:identifier"] = "Z109-WS·2024-Y-KJB-9999"
        pdf.save(path)
    import bagit

    bagit.Bag(str(bag)).save(manifests=True)
    with pytest.raises(VerificationError, match="Y-KJB-0002/recommendations.pdf.*pdf-metadata"):
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
    e = next(x for x in entries if x["序号"] == 1)
    assert e["文件编号"] == "国科发才〔2024〕31号" and e["页数"] >= 1 and e["保管期限"] == "Y"
    assert (archive_copy / e["pdf"]).exists() and (archive_copy / e["original"]).exists()


def test_search_by_each_criterion(archive_env, capsys):
    assert [e["序号"] for e in find(number="31号")] == [1]
    assert [e["序号"] for e in find(dh="Z109-WS·2024-Y")] == [1, 2, 3]
    assert [e["序号"] for e in find(unit="北京市", record_type="submission")] == [4, 9, 10]
    assert [e["序号"] for e in find(text="推荐清单 2024")] == [2]
    assert find(year=2023) == []
    assert search(text="统计表", unit="天津", as_json=True) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["count"] == 1 and out["records"][0]["题名"] == "[天津市科学技术局报送的2024年全国科技活动周开展情况统计表]"


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
    meta = json.loads((v2 / "data" / "metadata" / "Y-KJB-0001.json").read_text(encoding="utf-8"))
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
        _read_intake("summary", report, 2024)
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
    assert signed == 10
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
    assert by_check["pdf-signature"]["status"] == "pass" and by_check["pdf-signature"]["checked"] == 13
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


# --- the 移交 package as an archivist reviews it ---------------------------------------------------------
# DA/T 46-2009 elements (archival.md §1.3 and the project's minimum): JSON element -> XMP property of the PDF
DA46 = {
    "档号": "archivalCode", "全宗号": "fonds", "年度": "year", "保管期限": "retention", "机构或问题": "organization",
    "件号": "itemNumber", "聚合层次": "aggregationLevel", "立档单位名称": "archivingUnit", "全宗名称": "fondsName",
    "电子文件号": "electronicFileNumber", "题名": "title", "文件编号": "documentNumber", "责任者": "responsible",
    "日期": "date", "文种": "documentType", "密级": "classification", "公开属性": "disclosure", "页数": "pageCount",
    "语种": "language", "稿本": "draft", "文件组合类型": "compositionType", "文档创建程序": "creatingApplication",
    "机构人员": "agent", "业务": "events", "报送单位": "reportingUnit",
    "计算机文件名": "originalName", "计算机文件大小": "originalSize", "格式信息": "originalFormat",
    "校验值": "originalSha256", "数字化属性": "digitization",
}
OPTIONAL_EMPTY = {"文件编号", "报送单位"}       # a submission has no 发文字号; a built 件 no roster unit


def _pdf_fields(bag: Path, path: str) -> dict:
    with pikepdf.open(bag / path) as pdf:
        return stamp.read_fields(pdf)


def _json_value(r: dict, element: str, part: dict | None):
    if element in ("计算机文件名", "计算机文件大小", "格式信息", "校验值"):
        key = {"计算机文件名": "name", "计算机文件大小": "size", "格式信息": "format", "校验值": "sha256"}[element]
        return part[key]
    if element == "数字化属性":
        return next((d for d in r["数字化属性"] if d["文件"] == part["path"]), None)
    return r[element]


@pytest.mark.parametrize("element", list(DA46))
def test_each_da46_element_is_in_the_json_and_the_xmp(bag, records, element):
    prop = DA46[element]
    assert prop in stamp.FIELDS                                   # declared in the PDF/A extension schema
    seen = 0
    for r in records:
        by_path = {f["path"]: f for f in r["files"]}
        for pdf in (f for f in r["files"] if f["role"] in ("rendition", "normalized")):
            part = by_path[pdf["of"]]
            value = _json_value(r, element, part)
            got = _pdf_fields(bag, pdf["path"])[prop]
            if element == "数字化属性":
                if pdf["method"] != "OCRmyPDF":
                    continue
                assert value and value["扫描分辨率"] and value["扫描色彩模式"] and value["数字化设备信息"]
                assert value["扫描分辨率"] in got and value["扫描色彩模式"] in got
            elif element in OPTIONAL_EMPTY and not value:
                assert got == ""
            else:
                assert value not in (None, "", []), (r["档号"], element)
                if element == "件号":
                    value = f"{value:04d}"
                elif element == "责任者":
                    value = "；".join(value)
                elif element == "机构人员":
                    assert set(value) == {"机构人员类型", "机构人员名称", "组织机构代码", "个人职位"}
                    value = value["机构人员名称"]
                elif element == "业务":
                    assert all(e["机构人员"]["机构人员名称"] == "科学技术部" for e in value)
                    assert [e["行为"] for e in value][0] == "接收" and value[-1]["行为"] == "归档"
                    value = "；".join(f"{e['行为']} {e['时间']}（{e['机构人员']['机构人员名称']}）" for e in value)
                assert got == str(value), (pdf["path"], element)
            seen += 1
    assert seen >= (2 if element == "数字化属性" else 13)


def test_core_values_are_those_an_archivist_expects(records):
    notice = records[0]
    assert notice["文种"] == "通知" and notice["密级"] == "非涉密" and notice["聚合层次"] == "文件"
    assert notice["立档单位名称"] == "科学技术部" and notice["稿本"] == "正本" and notice["文件组合类型"] == "组合文件"
    assert re.fullmatch(r"Z109-2024-[0-9A-F]{16}", notice["电子文件号"])
    tianjin = next(r for r in records if (r.get("submission") or {}).get("file") == "天津市.xlsx")
    assert tianjin["责任者"] == ["天津市科学技术局"] and tianjin["报送单位"] == "天津市"      # the form's issuer, in full
    beijing = records[3]
    assert beijing["责任者"] == ["北京市"] and beijing["报送单位"] == "北京市"      # no issuer reported: the roster unit
    for r in records[3:]:
        assert r["题名"].startswith("[") and r["题名"].endswith("]")            # constructed titles
        assert not any(f["name"] in r["题名"] for f in r["files"]) and ".xlsx" not in r["题名"], r["题名"]
    wrong = next(r for r in records if (r.get("submission") or {}).get("file") == WRONG_INBOX)
    assert wrong["题名"] == "[云南省报送的2024年全国科技活动周开展情况统计表]"          # the form actually found
    assert next(r for r in records if (r.get("submission") or {}).get("file") == "说明.txt")["题名"] == \
        "[报送单位不详的2024年全国科技活动周随表报送材料]"
    assert all(r["日期"].startswith("2024-") for r in records)


def test_every_scan_and_companion_has_a_stamped_searchable_pdfa(bag, records):
    tianjin = next(r for r in records if (r.get("submission") or {}).get("file") == "天津市.xlsx")
    made = {f["of"].rsplit("/", 1)[1]: f for f in tianjin["files"] if f["role"] in ("rendition", "normalized")}
    assert set(made) == {"天津市.xlsx", "天津市-盖章页.png", "天津市-工作总结.docx"}
    assert tianjin["页数"] == sum(f["页数"] for f in made.values()) >= 3
    assert made["天津市-盖章页.png"]["method"] == "OCRmyPDF" and made["天津市-工作总结.docx"]["method"] == "LibreOffice"
    png = next(d for d in tianjin["数字化属性"] if d["文件"].endswith(".png"))
    assert png["扫描分辨率"] == "原图未记录" and png["扫描色彩模式"] == "彩色" and "A4" in png["说明"]
    beijing = records[3]
    scan = next(f for f in beijing["files"] if f["role"] == "normalized")
    pdf_scan = next(d for d in beijing["数字化属性"] if d["文件"] == scan["of"])
    assert pdf_scan["扫描分辨率"].startswith("约 100 dpi")
    for r, part in ((tianjin, made["天津市-盖章页.png"]), (beijing, scan)):
        got = _pdf_fields(bag, part["path"])
        assert got["pdfa"] == "2B" and got["dc:identifier"] == r["档号"] and got["lang"] == "zh-CN"
        assert got["originalName"] == part["of"].rsplit("/", 1)[1]
        assert r["stamps"][part["path"]]["placed"]                      # the 归档章 on the scan's blank top
        text = subprocess.run(["pdftotext", "-l", "1", str(bag / part["path"]), "-"], capture_output=True, text=True,
                              check=True, timeout=60).stdout
        assert "全国科技活动周" in re.sub(r"\s+", "", text)                 # Tesseract chi_sim read the scan
    # a part that cannot be normalized: recorded with the reason, the original kept
    assert [m["文件"] for m in beijing["normalization"]["missing"]] == [
        "data/submissions/recommendations/北京市-补充说明.pdf"]


def test_catalogue_and_report_are_in_the_payload_and_no_machine_path(sealed, bag, records):
    from openpyxl import load_workbook

    from kjhdz_docs.paths import ROOT

    assert (bag / "bagit.txt").read_text(encoding="utf-8").startswith("BagIt-Version: 1.0\n")
    info = bagging.info(bag)
    assert "data/catalogue/归档文件目录.pdf" in info["Archival-Catalogue"]
    assert info["Verification-Report"] == "data/reports/四性检测报告.json"
    sealed_report = json.loads((bag / "data/reports/四性检测报告.json").read_text(encoding="utf-8"))
    assert sealed_report["ok"] is True and sealed_report["bag"] == "2024/v1"
    ws = load_workbook(bag / "data/catalogue/归档文件目录.xlsx").active
    assert [c.value for c in ws[2]] == ["序号", "档号", "文号", "责任者", "题名", "日期", "密级", "页数", "备注"]
    body = list(ws.iter_rows(min_row=3, values_only=True))
    assert [row[1] for row in body] == [r["档号"] for r in records]
    assert body[0][5] == "20240329" and body[0][6] == "非涉密" and body[0][7] == records[0]["页数"]
    with pikepdf.open(bag / "data/catalogue/归档文件目录.pdf") as pdf:
        assert pdf.open_metadata().pdfa_status == "2B"
    with pdfplumber.open(bag / "data/catalogue/归档文件目录.pdf") as pdf:
        text = "".join(p.extract_text() or "" for p in pdf.pages)
    assert "Z109-WS·2024-D30-DWB-0009" in text and "归档文件目录" in text
    machine = [str(sealed[0]), str(ROOT), str(Path(sealed[0]).resolve())]
    for path in (bag / "data").rglob("*"):
        if path.is_file():
            data = path.read_bytes()
            assert not any(m.encode("utf-8") in data for m in machine), path


def _forge(bag: Path) -> None:
    """Re-make the manifests after an edit, as a forger would: the bag itself validates again."""
    import bagit

    bagit.Bag(str(bag)).save(manifests=True)


def _meta_path(bag: Path, code_tail: str) -> Path:
    return bag / "data" / "metadata" / f"{code_tail}.json"


def test_verify_names_a_date_moved_to_another_year(archive_copy):
    bag = archive_copy / "2024" / "v1"
    path = _meta_path(bag, "Y-KJB-0003")
    meta = json.loads(path.read_text(encoding="utf-8"))
    meta["日期"] = "2023-06-30"
    path.write_text(json.dumps(meta, ensure_ascii=False), encoding="utf-8")
    _forge(bag)
    with pytest.raises(VerificationError) as exc:
        verify(2024)
    assert "2024/v1/data/metadata/Y-KJB-0003.json: [真实性 values] 日期 2023-06-30 is outside the 年度" in str(exc.value)
    assert "Y-KJB-0003/summary.pdf: [真实性 core-consistent] 日期: XMP da:date '2024-06-30', JSON '2023-06-30'" \
        in str(exc.value)


def test_verify_names_an_xmp_responsible_that_differs_from_the_json(archive_copy):
    bag = archive_copy / "2024" / "v1"
    meta = json.loads(_meta_path(bag, "D30-DWB-0008").read_text(encoding="utf-8"))
    rel = next(f["path"] for f in meta["files"] if f["role"] == "rendition")
    with pikepdf.open(bag / rel, allow_overwriting_input=True) as pdf:
        with pdf.open_metadata(set_pikepdf_as_editor=False) as xmp:
            xmp[f"{{{stamp.NS}}}responsible"] = "北京市科学技术委员会"
        pdf.save(bag / rel)
    _forge(bag)
    with pytest.raises(VerificationError) as exc:
        verify(2024)
    assert f"2024/v1/{rel}: [真实性 core-consistent] 责任者: XMP da:responsible '北京市科学技术委员会'" in str(exc.value)


def test_verify_names_a_skipped_item_number(archive_copy):
    bag = archive_copy / "2024" / "v1"
    last = _meta_path(bag, "D30-DWB-0009")
    meta = json.loads(last.read_text(encoding="utf-8"))
    meta["件号"], meta["档号"] = 10, "Z109-WS·2024-D30-DWB-0010"
    last.unlink()
    _meta_path(bag, "D30-DWB-0010").write_text(json.dumps(meta, ensure_ascii=False), encoding="utf-8")
    _forge(bag)
    with pytest.raises(VerificationError) as exc:
        verify(2024)
    assert "2024/v1/data/metadata/D30-DWB-0010.json: [完整性 gap-free] 件号 of class D30-DWB not 1…9: missing [9]" \
        in str(exc.value)


def test_index_mismatch_of_a_bag_that_disagrees_with_its_pdfs_never_advises_reindex(archive_copy):
    bag = archive_copy / "2024" / "v1"
    path = _meta_path(bag, "Y-KJB-0002")
    meta = json.loads(path.read_text(encoding="utf-8"))
    meta["题名"] = "2025年全国科技活动周特色群众性科技活动推荐清单"
    path.write_text(json.dumps(meta, ensure_ascii=False), encoding="utf-8")
    _forge(bag)                                  # consistently edited: the bag validates, its PDFs disagree
    with pytest.raises(VerificationError) as exc:
        verify(2024)
    text = str(exc.value)
    assert "Y-KJB-0002/recommendations.pdf: [真实性 core-consistent] 题名" in text
    assert "[可用性 index]" in text and "do NOT run `invoke reindex`" in text


def test_a_reseal_reads_the_projects_own_inbox_not_a_recorded_machine_path(tmp_path, monkeypatch):
    from kjhdz_docs.archive.records import inbox_location

    monkeypatch.setenv("KJHDZ_DATA", str(tmp_path / "data"))
    own = tmp_path / "data" / "2024" / "inbox" / "statistics"
    own.mkdir(parents=True)
    assert inbox_location(2024, "statistics", "/home/someone/kjhdz-docs/data/2024/inbox/statistics") == (
        own.resolve(), "inbox/statistics")
    assert inbox_location(2024, "statistics", str(own)) == (own.resolve(), "inbox/statistics")
    assert inbox_location(2024, "statistics", "inbox/statistics") == (own.resolve(), "inbox/statistics")
    where, label = inbox_location(2024, "statistics", str(tmp_path / "elsewhere" / "收件"))
    assert where == (tmp_path / "elsewhere" / "收件").resolve() and "/" not in label and "收件" in label


def test_keys_inside_the_archive_are_refused(archive_env, monkeypatch):
    from kjhdz_docs.archive import sign

    monkeypatch.setenv(sign.KEYS_ENV, str(archive_env / "keys"))
    with pytest.raises(DataFileError) as exc:
        verify(2024)
    assert "must not be inside the archive folder" in str(exc.value)


def test_the_facts_kept_for_the_next_seal_come_back_exactly(bag):
    """The per-PDF results a seal keeps for the next version's seal of the same day (verify.keep_checks) are
    those a fresh check finds, value for value and type for type (XMP bags are sets), for every PDF of a bag."""
    from kjhdz_docs.archive import sign, verify

    trusted = sign.trusted_fingerprints()
    pdfs = sorted(bag.rglob("*.pdf"))
    assert len(pdfs) > 10
    signed = 0
    for p in pdfs:
        inspected = stamp.inspect_pdf(p)
        check = sign.check_pdf(p, trusted) if "/documents/" in str(p) else None
        signed += check is not None and check.ok
        back = verify.facts_from_json(*json.loads(json.dumps(verify.facts_to_json(inspected, check))))
        assert back[0] == inspected
        if "fields" in inspected:
            assert type(back[0]["fields"]["dc:language"]) is type(inspected["fields"]["dc:language"])
        assert back[1] == check
    assert signed > 10


def test_the_office_checks_kept_for_the_next_seal_come_back_exactly(bag, tmp_path, monkeypatch):
    """The Office files' results (opens, safety checks, macros) a seal keeps for the next version's seal of the
    same day are those a fresh check finds, a refusal included; an unknown bag recalls nothing."""
    from kjhdz_docs.archive import seal, sign, verify

    broken = tmp_path / "broken.xlsx"
    broken.write_bytes(b"PK\x03\x04 not really a workbook")
    files = sorted(p for p in bag.rglob("*") if p.suffix.lower() in (".xlsx", ".docx", ".xls")) + [broken]
    assert len(files) > 10
    monkeypatch.setattr(verify, "_OFFICE_SEEN", {})
    fresh = {}
    for p in files:
        digest = seal.sha256_of(p)
        for check in (verify._office_problem, verify._has_macros):
            fresh[(check.__name__, digest, p.suffix.lower())] = verify._once(check, p, digest)
    assert fresh[("_office_problem", seal.sha256_of(broken), ".xlsx")]          # a refusal, kept as such
    trusted = sign.trusted_fingerprints()
    verify.keep_checks(trusted, "test-bag")
    monkeypatch.setattr(verify, "_OFFICE_SEEN", {})
    assert verify.recall_checks(trusted, "another-bag") == 0 and verify._OFFICE_SEEN == {}
    assert verify.recall_checks(trusted, "test-bag") >= len(fresh)
    assert verify._OFFICE_SEEN == fresh


@requires_soffice
def test_the_catalogue_made_ahead_is_the_records_and_is_made_again_when_it_is_not(archive_copy, monkeypatch, caplog):
    """The 归档文件目录 is made while the 件 are described, from what it will show of them; a seal keeps it only
    when its rows are exactly the records' (else it is made again from the records). A forced seal of the
    unchanged year keeps it; with a prediction made wrong on purpose, the catalogue is made again and right."""
    import logging

    from kjhdz_docs.archive import catalogue, seal

    caplog.set_level(logging.WARNING, logger="kjhdz_docs.archive.seal")
    assert seal_year(2024, force=True, reason="test: the catalogue made ahead") == 0
    assert "made again" not in caplog.text
    early = seal._early_catalogue

    def wrong(plan, per_record, staging):            # injects a wrong prediction: one 题名 altered
        predicted, made = early(plan, per_record, staging)
        predicted[3] = {**predicted[3], "题名": predicted[3]["题名"] + "（误）"}
        return predicted, catalogue.write_catalogue(plan, predicted, staging)

    monkeypatch.setattr(seal, "_early_catalogue", wrong)
    assert seal_year(2024, force=True, reason="test: a wrong catalogue made ahead") == 0
    assert "made again from them" in caplog.text
    v3 = archive_copy / "2024" / "v3"
    records = [json.loads(p.read_text(encoding="utf-8")) for p in (v3 / "data" / "metadata").glob("*.json")]
    from python_calamine import CalamineWorkbook

    sheet = CalamineWorkbook.from_path(str(v3 / "data/catalogue/归档文件目录.xlsx")).get_sheet_by_index(0)
    assert [tuple(r) for r in sheet.to_python(skip_empty_area=False)[2:]] == catalogue.rows(records)
    assert verify(2024, versions=["v3"]) == 0


def test_index_entries_of_a_sealed_bag_are_kept_by_its_manifest(archive_copy):
    """A seal rebuilds the index from every version; a sealed bag's entries come from the cache by its payload
    manifest after the first time (a season of versions is not read again at each seal), and from its
    records again once the manifest differs."""
    from kjhdz_docs.archive.index import bag_entries, index_entry, read_bag_records

    bag = archive_copy / "2024" / "v1"
    want = [index_entry(r, year=2024, version="v1", latest=False, bag_rel="2024/v1") for r in read_bag_records(bag)]
    assert bag_entries(bag, year=2024, rel="2024/v1") == want and len(want) >= 10
    hidden = bag / "data" / "metadata-hidden"
    (bag / "data" / "metadata").rename(hidden)
    try:
        assert bag_entries(bag, year=2024, rel="2024/v1") == want          # the records were not read
        manifest = bag / "manifest-sha256.txt"
        manifest.write_text(manifest.read_text(encoding="utf-8") + "\n", encoding="utf-8")
        assert bag_entries(bag, year=2024, rel="2024/v1") == []            # another manifest: read again
    finally:
        hidden.rename(bag / "data" / "metadata")
    assert bag_entries(bag, year=2024, rel="2024/v1") == want     # what the records missing gave was not kept
    assert [e for e in collect_entries(archive_copy) if e["bag"] == "2024/v1"] == [{**e, "latest": True} for e in want]

"""``invoke verify``: 四性检测 (DA/T 70-2018) of the sealed bags.

真实性 (authenticity): the signatures (:mod:`.sign`: every archival PDF's PAdES signature and the bag's
detached signature over its tag manifest, against the certificates trusted in ``keys/trusted.txt``; the
timestamp is reported as not run); full BagIt validation; every file a record names has the sha256 and size its
metadata says; the PDF's 页数, 档号 and original sha256 match the record; 档号 follow the rule and are
unique. 完整性 (integrity): record count, required fields, gap-free 件号, every file of every intake
report present and byte-identical, every 件 with its content. 可用性 (usability): metadata parses,
PDFs open, claim PDF/A-2b and embed their fonts, .docx/.xlsx open, the index answers for the bag.
安全性 (safety): no JavaScript, encryption or embedded files in PDFs, no macros in Office files, no
stray files beside the bag's tag files; antivirus and veraPDF are reported as not run, with the reason.

A table goes to stderr, the JSON report to stdout (``--json``) and to ``archive/reports/``; any
failure raises :class:`VerificationError` naming each failing file and check (exit code 6).
"""

from __future__ import annotations

import json
import zipfile
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from .. import console
from ..errors import MissingInputError, VerificationError
from ..manifest import write_json
from ..paths import archive_root
from . import bag as bagging
from . import index as archive_index
from . import sign
from .records import ArchiveConfig, Organization, bag_relpath
from .seal import SEAL_REPORT, sha256_of
from .stamp import inspect_pdf

ASPECTS = ("真实性", "完整性", "可用性", "安全性")
REPORTS = "reports"
TAG_FILES = {"bagit.txt", "bag-info.txt", "fetch.txt", sign.TAG_SIGNATURE}
REQUIRED = ("档号", "全宗号", "年度", "保管期限", "件号", "题名", "责任者", "日期", "type", "files")
OOXML_PARTS = {".docx": "word/document.xml", ".xlsx": "xl/workbook.xml", ".xlsm": "xl/workbook.xml"}
NOT_RUN = {
    "antivirus": "未执行：本机无法更新 ClamAV 病毒库（freshclam 需联网）；移交前请用病毒库已更新的杀毒软件扫描整个包",
    "timestamp": sign.NOT_RUN_TIMESTAMP,
    "verapdf": "未执行：veraPDF 在本环境不可得；PDF/A 仅核对了 PDF/A-2b 声明与字体嵌入，正式移交前请用 veraPDF 校验",
}


@dataclass
class Check:
    aspect: str
    check: str
    title: str
    checked: int = 0
    problems: list[dict] = field(default_factory=list)
    warnings: list[dict] = field(default_factory=list)
    not_run: str | None = None
    note: str | None = None

    @property
    def status(self) -> str:
        if self.not_run:
            return "not-run"
        return "fail" if self.problems else ("warn" if self.warnings else "pass")

    def as_dict(self) -> dict:
        return {"aspect": self.aspect, "check": self.check, "title": self.title, "status": self.status,
                "checked": self.checked, "problems": self.problems, "warnings": self.warnings,
                "reason": self.not_run, "note": self.note}


class Checks:
    """The checks of one bag, in report order."""

    def __init__(self):
        self.items: dict[str, Check] = {}

    def define(self, aspect: str, check: str, title: str) -> Check:
        return self.items.setdefault(check, Check(aspect, check, title))

    def ok(self, check: str, n: int = 1) -> None:
        self.items[check].checked += n

    def fail(self, check: str, file: str, message: str) -> None:
        c = self.items[check]
        c.checked += 1
        c.problems.append({"file": file, "message": message})

    def warn(self, check: str, file: str, message: str) -> None:
        c = self.items[check]
        c.checked += 1
        c.warnings.append({"file": file, "message": message})


def _define_all(c: Checks) -> None:
    for aspect, check, title in (
            ("真实性", "bag-signature", "包标签清单的电子签名（CMS 分离式签名，受信任证书）"),
            ("真实性", "pdf-signature", "版式文件 PDF 的电子签名（PAdES，受信任证书）"),
            ("真实性", "timestamp", "可信时间戳"),
            ("真实性", "bagit", "BagIt 完整校验（sha256、sha512 清单，文件齐全，无多余文件）"),
            ("真实性", "fixity", "元数据所列文件的 sha256 与大小"),
            ("真实性", "pdf-metadata", "PDF 内档号、页数、原始文件 sha256 与元数据一致"),
            ("真实性", "code-rule", "档号符合规则"),
            ("真实性", "code-unique", "档号不重复"),
            ("完整性", "count", "件数与封装报告一致"),
            ("完整性", "required", "必填元数据项齐全"),
            ("完整性", "gap-free", "件号从 1 起连续无缺号"),
            ("完整性", "intake-files", "收件报告所列文件全部在包内且逐字节一致"),
            ("完整性", "content", "每件均有原件及版式文件"),
            ("可用性", "metadata-parses", "元数据 JSON 可解析"),
            ("可用性", "pdf-opens", "PDF 可打开"),
            ("可用性", "pdfa", "PDF 声明 PDF/A-2b 且字体全部嵌入"),
            ("可用性", "office-opens", ".docx/.xlsx 可打开"),
            ("可用性", "index", "检索索引可用且与包一致"),
            ("安全性", "pdf-active", "PDF 无 JavaScript、加密、嵌入文件"),
            ("安全性", "macros", "Office 文件无宏"),
            ("安全性", "extra-files", "包内无多余文件"),
            ("安全性", "antivirus", "病毒检测"),
            ("安全性", "verapdf", "veraPDF 格式校验")):
        c.define(aspect, check, title)
    for check, reason in NOT_RUN.items():
        c.items[check].not_run = reason


def _config(seal: dict) -> ArchiveConfig:
    cfg = dict(seal["config"])
    cfg["organizations"] = {k: Organization(**v) for k, v in cfg["organizations"].items()}
    return ArchiveConfig(**cfg)


def _office_problem(path: Path) -> str | None:
    try:
        with zipfile.ZipFile(path) as z:
            names = set(z.namelist())
            bad = z.testzip()
    except (zipfile.BadZipFile, OSError) as exc:
        return f"does not open as an Office file: {exc}"
    if bad:
        return f"corrupt member {bad}"
    part = OOXML_PARTS.get(path.suffix.lower())
    if part and part not in names:
        return f"no {part}: not a {path.suffix} document"
    return None


def _has_macros(path: Path) -> bool:
    suffix = path.suffix.lower()
    if suffix in (".docx", ".xlsx", ".xlsm", ".docm", ".pptx"):
        try:
            with zipfile.ZipFile(path) as z:
                return any(n.lower().endswith("vbaproject.bin") for n in z.namelist())
        except (zipfile.BadZipFile, OSError):
            return False
    if suffix in (".xls", ".doc"):
        data = path.read_bytes()
        return "_VBA_PROJECT".encode("utf-16-le") in data
    return False


def verify_bag(bag: Path, *, root: Path, index_entries: list[dict], trusted: dict[str, str] | None = None) -> dict:
    """Every check of one bag; returns its report (``ok`` False when anything failed)."""
    c = Checks()
    _define_all(c)
    rel_bag = bag.relative_to(root).as_posix()
    trusted = sign.trusted_fingerprints() if trusted is None else trusted
    signatures = {"bag": None, "pdfs": []}

    found = sign.check_bag(bag, trusted)
    signatures["bag"] = found.as_dict()
    if found.ok:
        c.ok("bag-signature")
        c.items["bag-signature"].note = _signed_by(found)
    else:
        c.fail("bag-signature", sign.TAG_SIGNATURE, found.problem)

    for p in bagging.validate(bag):
        c.fail("bagit", p.path or "(bag)", f"{p.check}: {p.message}")
    c.ok("bagit")

    for extra in sorted(x.name for x in bag.iterdir() if x.name not in TAG_FILES and x.name != "data"
                        and not x.name.startswith(("manifest-", "tagmanifest-"))):
        c.fail("extra-files", extra, "a file beside the bag's tag files, in no manifest")
    c.ok("extra-files")

    seal_path = bag / "data" / "reports" / SEAL_REPORT
    try:
        seal = json.loads(seal_path.read_text(encoding="utf-8"))
        config = _config(seal)
    except (OSError, ValueError, KeyError, TypeError) as exc:
        c.fail("count", f"data/reports/{SEAL_REPORT}", f"the seal report is missing or unreadable: {exc}")
        seal, config = {}, None

    records = []
    for path in sorted((bag / "data" / "metadata").glob("*.json")):
        rel = path.relative_to(bag).as_posix()
        try:
            records.append((rel, json.loads(path.read_text(encoding="utf-8"))))
            c.ok("metadata-parses")
        except (OSError, ValueError) as exc:
            c.fail("metadata-parses", rel, str(exc))

    # 完整性: counts, numbering, required fields
    if seal and seal.get("records") != len(records):
        c.fail("count", "data/metadata/", f"{len(records)} records, the seal report says {seal.get('records')}")
    else:
        c.ok("count")
    items = sorted(r.get("件号", 0) for _, r in records)
    if items != list(range(1, len(items) + 1)):
        missing = sorted(set(range(1, max(items, default=0) + 1)) - set(items))
        dup = sorted(k for k, n in Counter(items).items() if n > 1)
        c.fail("gap-free", "data/metadata/", f"件号 not 1…{len(items)}: missing {missing[:20]}, repeated {dup[:20]}")
    else:
        c.ok("gap-free")

    codes = Counter(r.get("档号") for _, r in records)
    pattern = config.code_pattern(seal.get("year")) if config else None
    for rel, r in records:
        missing = [k for k in REQUIRED if r.get(k) in (None, "", [])]
        if r.get("rendition", {}).get("status") == "ok" and not r.get("页数"):
            missing.append("页数")
        if missing:
            c.fail("required", rel, f"empty or missing: {', '.join(missing)}")
        else:
            c.ok("required")
        code = r.get("档号", "")
        m = pattern.match(code) if pattern else None
        if pattern and (m is None or int(m.group("item")) != r.get("件号")):
            c.fail("code-rule", rel, f"档号 {code!r} does not follow {config.archival_code} (件号 {r.get('件号')})")
        else:
            c.ok("code-rule")
        if codes[code] > 1:
            c.fail("code-unique", rel, f"档号 {code} is used by {codes[code]} records")
        else:
            c.ok("code-unique")
        _check_files(c, bag, rel, r, trusted, signatures)

    # 完整性: every intake-report file present and byte-identical
    for kind, report_rel in sorted((seal.get("intake_reports") or {}).items()):
        try:
            report = json.loads((bag / report_rel).read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            c.fail("intake-files", report_rel, f"the intake report is missing or unreadable: {exc}")
            continue
        for sub in report.get("submissions", []):
            rel = f"data/submissions/{kind}/{bag_relpath(sub['file'])}"
            path = bag / rel
            if not path.is_file():
                c.fail("intake-files", rel, f"submitted file {sub['file']} ({sub.get('status')}) is not in the bag")
            elif sha256_of(path) != sub.get("sha256"):
                c.fail("intake-files", rel, "differs from the sha256 in the intake report")
            else:
                c.ok("intake-files")

    # 可用性: the index answers for this bag
    mine = {e.get("档号"): e for e in index_entries if e.get("bag") == rel_bag}
    latest = archive_index.latest_version(bag.parent) == bag.name
    want = {}
    for _, r in records:
        try:
            want[r.get("档号")] = archive_index.index_entry(r, year=int(bag.parent.name), version=bag.name,
                                                           latest=latest, bag_rel=rel_bag)
        except (KeyError, TypeError):                    # reported by the required-fields check
            want[r.get("档号")] = None
    differ = sorted(str(k) for k in want if k in mine and want[k] is not None and mine[k] != want[k])
    if set(mine) != set(want):
        c.fail("index", archive_index.INDEX, f"the index lists {len(mine)} records of {rel_bag}, the bag has "
                                             f"{len(want)}: run `invoke reindex`")
    elif differ:
        c.fail("index", archive_index.INDEX, f"{len(differ)} index entries of {rel_bag} differ from the bag's "
                                             f"metadata ({', '.join(differ[:5])}): run `invoke reindex`")
    else:
        c.ok("index")

    checks = [x.as_dict() for x in c.items.values()]
    failures = [{"check": x["check"], "aspect": x["aspect"], **p} for x in checks for p in x["problems"]]
    info = {}
    try:
        info = bagging.info(bag)
    except Exception:                                    # a broken bag is reported by the bagit check
        pass
    signers = sorted({(s["signer"], s["fingerprint"]) for s in signatures["pdfs"] if s.get("ok")})
    if signers:
        c.items["pdf-signature"].note = "；".join(f"{n}（证书 SHA-256 {fp}）" for n, fp in signers)
        checks = [x.as_dict() for x in c.items.values()]
    return {"bag": rel_bag, "year": int(bag.parent.name), "version": bag.name, "ok": not failures,
            "external_identifier": info.get("External-Identifier"), "signatures": signatures,
            "aspects": {a: ("fail" if any(x["status"] == "fail" for x in checks if x["aspect"] == a) else "pass")
                        for a in ASPECTS},
            "checks": checks, "failures": failures}


def _signed_by(found: sign.SignatureCheck) -> str:
    return f"签名人 {found.signer}，签名时间 {found.signed_at or '未记录'}，证书 SHA-256 {found.fingerprint}"


def _check_signature(c: Checks, path: Path, name: str, trusted: dict[str, str], signatures: dict) -> None:
    found = sign.check_pdf(path, trusted)
    signatures["pdfs"].append({"file": name, **found.as_dict()})
    if found.ok:
        c.ok("pdf-signature")
    else:
        c.fail("pdf-signature", name, found.problem)


def _check_files(c: Checks, bag: Path, rel: str, r: dict, trusted: dict[str, str], signatures: dict) -> None:
    files = r.get("files") or []
    roles = {f.get("role") for f in files}
    if not roles & {"original", "submission"}:
        c.fail("content", rel, "the record names no original")
    elif r.get("rendition", {}).get("status") == "ok" and "rendition" not in roles:
        c.fail("content", rel, "the record says it has a rendition but names none")
    else:
        c.ok("content")
    submitted = r.get("type") == "submission"
    for f in files:
        path = bag / f["path"]
        if not path.is_file():
            c.fail("fixity", f["path"], f"named by {rel} ({r.get('档号')}) but missing")
            continue
        if path.stat().st_size != f.get("size") or sha256_of(path) != f.get("sha256"):
            c.fail("fixity", f["path"], f"sha256/size differ from {rel} ({r.get('档号')})")
        else:
            c.ok("fixity")
        suffix = path.suffix.lower()
        as_submitted = f["role"] in ("submission", "companion")
        if suffix == ".pdf":
            _check_pdf(c, path, f, r, as_submitted=as_submitted, record_rel=rel)
            if f["role"] == "rendition":
                _check_signature(c, path, f["path"], trusted, signatures)
        elif suffix in OOXML_PARTS and not as_submitted:
            why = _office_problem(path)
            c.fail("office-opens", f["path"], why) if why else c.ok("office-opens")
        if _has_macros(path):
            if as_submitted:
                c.warn("macros", f["path"], "the submitted file contains macros (kept as submitted, never run)")
            else:
                c.fail("macros", f["path"], "contains macros")
        elif suffix in OOXML_PARTS or suffix in (".xls", ".doc"):
            c.ok("macros")
    if submitted and r.get("rendition", {}).get("status") != "ok" and r.get("rendition", {}).get("reason"):
        c.warn("content", rel, r["rendition"]["reason"])


def _check_pdf(c: Checks, path: Path, f: dict, r: dict, *, as_submitted: bool, record_rel: str) -> None:
    got = inspect_pdf(path)
    name = f["path"]
    if got.get("error"):
        (c.warn if as_submitted else c.fail)("pdf-opens", name, f"does not open: {got['error']}")
        return
    c.ok("pdf-opens")
    active = [what for what, flag in (("JavaScript", got["javascript"]), ("encryption", got["encrypted"]),
                                      ("embedded files", got["embedded_files"])) if flag]
    if active:
        (c.warn if as_submitted else c.fail)("pdf-active", name, "contains " + ", ".join(active))
    else:
        c.ok("pdf-active")
    if as_submitted:
        return
    if got["pdfa"] != "2B":
        c.fail("pdfa", name, f"does not claim PDF/A-2b (claims {got['pdfa'] or 'nothing'})")
    elif got["fonts_not_embedded"]:
        c.fail("pdfa", name, "fonts not embedded: " + ", ".join(got["fonts_not_embedded"]))
    else:
        c.ok("pdfa")
    if f["role"] == "rendition":
        fields = got["fields"]
        original = next((x for x in r.get("files", []) if x["role"] in ("original", "submission")), {})
        wrong = []
        if got["pages"] != r.get("页数"):
            wrong.append(f"{got['pages']} pages, metadata says {r.get('页数')}")
        if fields.get("dc:identifier") != r.get("档号") or fields.get("archivalCode") != r.get("档号"):
            wrong.append(f"档号 in the PDF is {fields.get('dc:identifier')!r}, metadata says {r.get('档号')!r}")
        if fields.get("pageCount") != str(r.get("页数")):
            wrong.append(f"页数 in the PDF is {fields.get('pageCount')!r}")
        if original and fields.get("originalSha256") != original.get("sha256"):
            wrong.append("the original's sha256 in the PDF differs from the original in the bag")
        if wrong:
            c.fail("pdf-metadata", name, "; ".join(wrong) + f" ({record_rel})")
        else:
            c.ok("pdf-metadata")


def report_path(root: Path, year: int, version: str) -> Path:
    return root / REPORTS / f"verify-{year}-{version}.json"


def read_status(root: Path, year: int, version: str) -> str | None:
    """"pass"/"fail" of the last verify of a bag, or None when it was never verified."""
    try:
        data = json.loads(report_path(root, year, version).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return "pass" if data.get("ok") else "fail"


def verify(year: int | None = None, as_json: bool = False) -> int:
    """四性检测 of every version of ``year`` (or of every sealed year); 0 when everything passes."""
    root = archive_root()
    year_dirs = [d for d in archive_index.year_dirs(root) if year is None or d.name == str(year)]
    bags = [b for d in year_dirs for b in archive_index.versions(d)]
    if not bags:
        raise MissingInputError(f"{root}: no sealed {'year' if year is None else year} to verify",
                                hint=f"seal it first: invoke archive --year {year or 2024}")
    entries = archive_index.load_index(root)
    trusted = sign.trusted_fingerprints()
    reports = []
    for bag in console.progress(bags, "四性检测"):
        report = verify_bag(bag, root=root, index_entries=entries, trusted=trusted)
        write_json(report_path(root, report["year"], report["version"]), report)
        reports.append(report)
    _print(reports)
    if as_json:
        console.emit_json({"ok": all(r["ok"] for r in reports), "bags": reports})
    failures = [f"{r['bag']}/{f['file']}: [{f['aspect']} {f['check']}] {f['message']}"
                for r in reports for f in r["failures"]]
    if failures:
        shown = failures[:40] + ([f"… and {len(failures) - 40} more"] if len(failures) > 40 else [])
        raise VerificationError("四性检测 failed:\n  - " + "\n  - ".join(shown),
                                hint=f"the full report is in {root / REPORTS}; a damaged bag is not repaired: "
                                     "restore it from a copy, or seal the year again (a new version)")
    return 0


def _print(reports: list[dict]) -> None:
    label = {"pass": "通过", "fail": "未通过", "warn": "通过（有提示）", "not-run": "未执行"}
    for r in reports:
        rows = [(x["aspect"], x["title"], label[x["status"]], x["checked"] or "",
                 x["reason"] or (x.get("note") if not (x["problems"] or x["warnings"]) else None) or "; ".join(f"{p['file']}: {p['message']}" for p in (x["problems"] or x["warnings"])[:3])
                 + (f" …（共 {len(x['problems'] or x['warnings'])} 处）" if len(x["problems"] or x["warnings"]) > 3 else ""))
                for x in r["checks"]]
        verdict = "通过" if r["ok"] else "未通过"
        console.table(f"四性检测 {r['bag']}（{r.get('external_identifier') or ''}）：{verdict}",
                      ["四性", "检测项", "结果", "检测数", "说明"], rows)
        bag_sig = (r.get("signatures") or {}).get("bag") or {}
        if bag_sig.get("fingerprint"):
            console.say(f"{r['bag']} 签名人：{bag_sig['signer']}；签名时间：{bag_sig.get('signed_at') or '未记录'}；"
                        f"证书 SHA-256：{bag_sig['fingerprint']}（"
                        + ("受信任" if bag_sig.get("trusted") else "不在受信任证书清单中") + "）")

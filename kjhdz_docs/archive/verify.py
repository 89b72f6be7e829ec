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

import logging
import os
import re

import json
import zipfile
import zlib
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from .. import console, parallel
from ..errors import MissingInputError, VerificationError
from ..manifest import write_json
from ..paths import archive_root
from . import bag as bagging
from . import index as archive_index
from . import sign
from .records import ArchiveConfig, Organization, bag_relpath
from .seal import SEAL_REPORT, pyhanko_version, sha256_of
from .stamp import inspect_pdf

log = logging.getLogger(__name__)

ASPECTS = ("真实性", "完整性", "可用性", "安全性")
REPORTS = "reports"
TAG_FILES = {"bagit.txt", "bag-info.txt", "fetch.txt", sign.TAG_SIGNATURE}
REQUIRED = ("序号", "档号", "全宗号", "全宗名称", "立档单位名称", "年度", "保管期限", "机构或问题", "件号", "聚合层次",
            "电子文件号", "题名", "责任者", "日期", "文种", "密级", "公开属性", "语种", "稿本", "文件组合类型",
            "文档创建程序", "机构人员", "业务", "type", "files")
# JSON element -> XMP property (DA/T 46 core compared between the record, every PDF of it and the index)
CORE_XMP = {"档号": "archivalCode", "全宗号": "fonds", "门类": "category", "年度": "year", "保管期限": "retention",
            "机构或问题": "organization", "件号": "itemNumber", "文件编号": "documentNumber", "责任者": "responsible",
            "日期": "date", "公开属性": "disclosure", "type": "recordType", "题名": "title", "页数": "pageCount",
            "聚合层次": "aggregationLevel", "立档单位名称": "archivingUnit", "全宗名称": "fondsName",
            "电子文件号": "electronicFileNumber", "文种": "documentType", "稿本": "draft",
            "文件组合类型": "compositionType", "文档创建程序": "creatingApplication", "密级": "classification",
            "报送单位": "reportingUnit", "语种": "language", "机构人员": "agent", "业务": "events"}
INDEX_FIELDS = ("档号", "题名", "文件编号", "责任者", "日期", "保管期限", "页数", "公开属性", "密级", "件号", "type")
WORKBOOKS = {".xlsx", ".xlsm", ".xls", ".ods"}
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
EVENT_KEYS = ("行为", "时间", "机构人员")
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
            ("真实性", "code-rule", "档号符合规则且与其组成部分一致"),
            ("真实性", "values", "元数据值合规（日期在年度内、保管期限、密级为规定值）"),
            ("真实性", "core-consistent", "JSON、XMP、文档信息字典的 DA/T 46 核心元数据逐项一致"),
            ("真实性", "code-unique", "档号不重复"),
            ("完整性", "count", "件数与封装报告一致"),
            ("完整性", "required", "必填元数据项齐全"),
            ("完整性", "gap-free", "每个类别（保管期限-机构）内件号从 1 起连续无缺号，序号连续"),
            ("完整性", "intake-files", "收件报告所列文件全部在包内且逐字节一致"),
            ("完整性", "content", "每件均有原件及版式文件"),
            ("完整性", "catalogue", "归档文件目录（PDF/A 与 .xlsx）在包内且与元数据一致"),
            ("完整性", "seal-report", "封装时的四性检测报告在包内"),
            ("可用性", "metadata-parses", "元数据 JSON 可解析"),
            ("可用性", "pdf-opens", "PDF 可打开"),
            ("可用性", "pdfa", "PDF 声明 PDF/A-2b 且字体全部嵌入"),
            ("可用性", "office-opens", "每个 Office 文件可打开"),
            ("可用性", "normalized", "每个非归档格式文件均有 PDF/A-2b 版式文件"),
            ("可用性", "index", "检索索引可用且与包一致"),
            ("安全性", "pdf-active", "PDF 无 JavaScript、加密、嵌入文件"),
            ("安全性", "macros", "Office 文件无宏"),
            ("安全性", "extra-files", "包内无多余文件，BagIt 1.0"),
            ("安全性", "antivirus", "病毒检测"),
            ("安全性", "verapdf", "veraPDF 格式校验")):
        c.define(aspect, check, title)
    for check, reason in NOT_RUN.items():
        c.items[check].not_run = reason


def _config(seal: dict) -> ArchiveConfig:
    cfg = dict(seal["config"])
    cfg["organizations"] = {k: Organization(**v) for k, v in cfg["organizations"].items()}
    cfg["departments"] = {k: Organization(**v) for k, v in (cfg.get("departments") or {}).items()}
    return ArchiveConfig(**cfg)


def _office_problem(path: Path) -> str | None:
    """Why an Office file does not open (None when it does): OOXML/ODF parts, workbooks read in full by the
    intake's reader (after its safety checks), OLE files by their header."""
    suffix = path.suffix.lower()
    if suffix in (".xls", ".doc", ".wps", ".et"):
        with open(path, "rb") as f:
            head = f.read(8)
        if head != OLE_MAGIC:
            return f"not an OLE compound file (a {suffix} must be one)"
    else:
        try:
            with zipfile.ZipFile(path) as z:
                names = set(z.namelist())
                bad = z.testzip()
        except (zipfile.BadZipFile, zlib.error, EOFError, OSError, NotImplementedError, RuntimeError,
                ValueError) as exc:                      # a damaged or unreadable member: reported, not raised
            return f"does not open as an Office file: {type(exc).__name__}: {exc}"
        if bad:
            return f"corrupt member {bad}"
        part = OOXML_PARTS.get(suffix) or ("content.xml" if suffix in (".ods", ".odt") else None)
        if part and part not in names:
            return f"no {part}: not a {suffix} document"
    if suffix in WORKBOOKS:
        from ..intake.reader import read_workbook
        from ..intake.safety import UnsafeFile, check_file

        try:
            check_file(path)
            grid = read_workbook(path)
        except UnsafeFile as exc:
            return f"refused by the safety checks ({exc.rule}): {exc.message}"
        except Exception as exc:                       # any parser failure means: does not open
            return f"does not open as a workbook: {type(exc).__name__}: {exc}"
        if not grid.sheets:
            return "the workbook has no sheet"
    return None


_OFFICE_SEEN: dict[tuple[str, str, str], object] = {}     # this process's results, by the file's sha256


def _once(check, path: Path, digest: str):
    """``check(path)`` for a file whose bytes have the sha256 ``digest`` (just computed for its fixity check):
    once per content in this process (the seal's 四性检测 and build-all's verify read the same bytes)."""
    key = (check.__name__, digest, path.suffix.lower())
    if key not in _OFFICE_SEEN:
        _OFFICE_SEEN[key] = check(path)
    return _OFFICE_SEEN[key]


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


def _text(value) -> str:
    """A JSON value as the PDFs write it."""
    if isinstance(value, list):
        return "；".join(str(v) for v in value)
    if isinstance(value, dict) and "机构人员名称" in value:
        return str(value["机构人员名称"])
    return "" if value is None else str(value)


def expected_xmp(r: dict, digits: int) -> dict[str, str]:
    """What the XMP of every PDF of record ``r`` must say, from the JSON."""
    out = {}
    for key, prop in CORE_XMP.items():
        value = r.get(key)
        if key == "件号" and isinstance(value, int):
            value = f"{value:0{digits}d}"
        elif key == "业务":
            value = "；".join(f"{e.get('行为')} {e.get('时间')}（{_text(e.get('机构人员'))}）" for e in value or [])
        elif key == "责任者":
            value = "；".join(value or []) or "未署名"
        elif key == "页数":
            value = value or 0
        out[prop] = _text(value)
    return out


_NOT_IN_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def _xmp(value) -> str:
    """A metadata value as XMP can hold it: characters XML 1.0 cannot carry (a control character in a
    submitted file's name) are left out of the XMP, so they are left out of the comparison too."""
    return _NOT_IN_XML.sub("", "" if value is None else str(value))


def _date_range(seal: dict, year: int | None) -> tuple[str, str] | None:
    rng = seal.get("date_range")
    if isinstance(rng, list) and len(rng) == 2:
        return str(rng[0]), str(rng[1])
    return (f"{year}-01-01", f"{year}-12-31") if year else None


def _check_values(c: Checks, rel: str, r: dict, config: ArchiveConfig | None, seal: dict) -> None:
    import datetime as dt

    from .records import CLASSIFICATIONS, RETENTIONS

    wrong = []
    date = r.get("日期") or ""
    year = r.get("年度")
    rng = _date_range(seal, seal.get("year"))
    try:
        dt.date.fromisoformat(date)
        if year != seal.get("year"):
            wrong.append(f"年度 {year!r} is not the sealed year {seal.get('year')}")
        if rng and not rng[0] <= date <= rng[1]:
            basis = (r.get("submission") or r.get("letter") or {}).get("date_basis") or ""
            message = f"日期 {date} is outside the 年度 {year} ({rng[0]} … {rng[1]})"
            if basis.startswith("文件修改时间"):
                # the intake had no receipt register: the date is a file's mtime, flagged, not claimed
                c.warn("values", rel, f"{message}: it is the file's modification time (no receipt register for "
                                      "this inbox) — receive the submissions (invoke receive) and seal again")
            elif basis.startswith("发送时间"):
                # a letter sent after the year's end about the year's season: archived with the year
                c.warn("values", rel, f"{message}: it is the day the letter was sent (the register's 去文), archived "
                                      "with the year whose season it concerns")
            elif basis.startswith("登记时间"):
                # a file put into the inbox by hand: the date is when it was registered, said as such
                c.warn("values", rel, f"{message}: it is the day the file was registered (put into the inbox "
                                      "by hand, not received by invoke receive) — receive the original message "
                                      "and seal again if the received date matters")
            else:
                wrong.append(message)
    except ValueError:
        wrong.append(f"日期 {date!r} is not a date (YYYY-MM-DD)")
    allowed = set(config.retention.values()) if config else set(RETENTIONS)
    if r.get("保管期限") not in allowed or r.get("保管期限") not in RETENTIONS:
        wrong.append(f"保管期限 {r.get('保管期限')!r} is not one of the configured {', '.join(sorted(allowed))}")
    if r.get("密级") not in CLASSIFICATIONS:
        wrong.append(f"密级 {r.get('密级')!r} is not one of {', '.join(CLASSIFICATIONS)}")
    for n, e in enumerate(r.get("业务") or []):
        missing = [k for k in EVENT_KEYS if not e.get(k)]
        if missing:
            wrong.append(f"业务[{n}] has no {', '.join(missing)}")
    if wrong:
        c.fail("values", rel, "; ".join(wrong))
    else:
        c.ok("values")


def _check_code(c: Checks, rel: str, r: dict, config: ArchiveConfig | None, pattern) -> None:
    code = r.get("档号", "")
    if config is None:
        return
    m = pattern.match(code) if pattern else None
    try:
        parts = config.archival_code.format(fonds=r.get("全宗号"), category=r.get("门类"), year=r.get("年度"),
                                            retention=r.get("保管期限"), org=r.get("机构或问题"),
                                            item=f"{int(r.get('件号')):0{config.item_digits}d}")
    except (TypeError, ValueError):
        parts = None
    if m is None or int(m.group("item")) != r.get("件号") or code != parts or r.get("全宗号") != config.fonds:
        c.fail("code-rule", rel, f"档号 {code!r} does not follow {config.archival_code} or does not match its parts "
                                 f"(全宗号 {r.get('全宗号')}, 年度 {r.get('年度')}, 保管期限 {r.get('保管期限')}, "
                                 f"机构或问题 {r.get('机构或问题')}, 件号 {r.get('件号')}: {parts!r})")
    else:
        c.ok("code-rule")


def _check_numbering(c: Checks, records: list[tuple[str, dict]]) -> None:
    classes: dict[str, list[tuple[int, str]]] = {}
    for rel, r in records:
        classes.setdefault(f"{r.get('保管期限')}-{r.get('机构或问题')}", []).append((r.get("件号") or 0, rel))
    for klass, items in sorted(classes.items()):
        numbers = sorted(n for n, _ in items)
        if numbers != list(range(1, len(numbers) + 1)):
            missing = sorted(set(range(1, max(numbers, default=0) + 1)) - set(numbers))
            dup = sorted(k for k, n in Counter(numbers).items() if n > 1)
            after = [rel for n, rel in sorted(items) if missing and n > missing[0]][:3]
            c.fail("gap-free", after[0] if after else "data/metadata/",
                   f"件号 of class {klass} not 1…{len(numbers)}: missing {missing[:20]}, repeated {dup[:20]}")
        else:
            c.ok("gap-free")
    seqs = sorted(r.get("序号") or 0 for _, r in records)
    if seqs != list(range(1, len(seqs) + 1)):
        c.fail("gap-free", "data/metadata/", f"序号 not 1…{len(seqs)}")


def verify_bag(bag: Path, *, root: Path, index_entries: list[dict], trusted: dict[str, str] | None = None,
               year: int | None = None, version: str | None = None, check_index: bool = True,
               check_bagit: bool = True) -> dict:
    """Every check of one bag; returns its report (``ok`` False when anything failed). ``check_bagit`` False:
    the BagIt validation is left to the caller (the seal validates the finished bag in full right after).

    Each file's sha256 is read once: when the full BagIt validation found every file matching its manifest,
    or (``check_bagit`` False) the manifest was made from the files just now and the caller's full validation
    is still to come before anything is published, the other checks take each file's sha256 from the payload
    manifest; otherwise (a bag that fails its validation) every file is hashed again, so that each is named."""
    c = Checks()
    _define_all(c)
    year = year or int(bag.parent.name)
    version = version or bag.name
    rel_bag = f"{year}/{version}"
    trusted = sign.trusted_fingerprints() if trusted is None else trusted
    signatures = {"bag": None, "pdfs": []}

    found = sign.check_bag(bag, trusted)
    signatures["bag"] = found.as_dict()
    if found.ok:
        c.ok("bag-signature")
        c.items["bag-signature"].note = _signed_by(found)
    else:
        c.fail("bag-signature", sign.TAG_SIGNATURE, found.problem)

    if check_bagit:
        problems = bagging.validate(bag)
        for p in problems:
            c.fail("bagit", p.path or "(bag)", f"{p.check}: {p.message}")
        c.ok("bagit")
    else:
        problems = []
        c.items["bagit"].not_run = "封装时：清单文件在本检测之后最终写定，随即对整个包做完整的 BagIt 校验"
    digests = Digests(bag, bagging.manifest_digests(bag) if not problems else {})

    for extra in sorted(x.name for x in bag.iterdir() if x.name not in TAG_FILES and x.name != "data"
                        and not x.name.startswith(("manifest-", "tagmanifest-"))):
        c.fail("extra-files", extra, "a file beside the bag's tag files, in no manifest")
    try:
        declared = (bag / "bagit.txt").read_text(encoding="utf-8").splitlines()[0].strip()
    except (OSError, IndexError):
        declared = ""
    if declared != "BagIt-Version: 1.0":
        c.fail("extra-files", "bagit.txt", f"declares {declared!r}, not BagIt-Version: 1.0 (RFC 8493)")
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
    records.sort(key=lambda x: (x[1].get("序号") or 0, x[0]))

    # 完整性: counts, numbering, required fields
    if seal and seal.get("records") != len(records):
        c.fail("count", "data/metadata/", f"{len(records)} records, the seal report says {seal.get('records')}")
    else:
        c.ok("count")
    _check_numbering(c, records)

    codes = Counter(r.get("档号") for _, r in records)
    pattern = config.code_pattern(seal.get("year")) if config else None
    digits = config.item_digits if config else 4
    facts = _pdf_facts_of(bag, records, trusted, digests)
    for rel, r in records:
        missing = [k for k in REQUIRED if r.get(k) in (None, "", [])]
        if r.get("rendition", {}).get("status") == "ok" and not r.get("页数"):
            missing.append("页数")
        if missing:
            c.fail("required", rel, f"empty or missing: {', '.join(missing)}")
        else:
            c.ok("required")
        _check_code(c, rel, r, config, pattern)
        _check_values(c, rel, r, config, seal)
        if codes[r.get("档号")] > 1:
            c.fail("code-unique", rel, f"档号 {r.get('档号')} is used by {codes[r.get('档号')]} records")
        else:
            c.ok("code-unique")
        _check_files(c, bag, rel, r, digits, facts, signatures, digests)

    # 完整性: every intake-report file present and byte-identical
    for kind, report_rel in sorted((seal.get("intake_reports") or {}).items()):
        try:
            report = json.loads((bag / report_rel).read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            c.fail("intake-files", report_rel, f"the intake report is missing or unreadable: {exc}")
            continue
        for sub in report.get("submissions", []):
            if sub.get("file_type", "file") != "file":
                continue    # a symbolic link, FIFO or device the intake listed: never read, never archived
            rel = f"data/submissions/{kind}/{bag_relpath(sub['file'])}"
            path = bag / rel
            if not path.is_file():
                c.fail("intake-files", rel, f"submitted file {sub['file']} ({sub.get('status')}) is not in the bag")
            elif digests.of(path) != sub.get("sha256"):
                c.fail("intake-files", rel, "differs from the sha256 in the intake report")
            else:
                c.ok("intake-files")

    _check_catalogue(c, bag, seal, [r for _, r in records])
    if check_index:
        report_rel = "data/reports/四性检测报告.json"
        try:
            sealed = json.loads((bag / report_rel).read_text(encoding="utf-8"))
            if sealed.get("ok") is not True or sealed.get("bag") != rel_bag:
                c.fail("seal-report", report_rel, "the 四性检测 made at sealing did not pass or is of another bag")
            else:
                c.ok("seal-report")
        except (OSError, ValueError) as exc:
            c.fail("seal-report", report_rel, f"missing or unreadable: {exc}")
    else:
        c.items["seal-report"].not_run = "封装时的检测本身（报告在检测后写入）"

    if check_index:
        _check_index(c, bag, records, index_entries, year=year, version=version, rel_bag=rel_bag)
    else:
        c.items["index"].not_run = "封装时：索引在新包发布后重建"

    checks = [x.as_dict() for x in c.items.values()]
    failures = [{"check": x["check"], "aspect": x["aspect"], **p} for x in checks for p in x["problems"]]
    warnings = [{"check": x["check"], "aspect": x["aspect"], **p} for x in checks for p in x["warnings"]]
    info = {}
    try:
        info = bagging.info(bag)
    except Exception:                                    # a broken bag is reported by the bagit check
        pass
    signers = sorted({(s["signer"], s["fingerprint"]) for s in signatures["pdfs"] if s.get("ok")})
    if signers:
        c.items["pdf-signature"].note = "；".join(f"{n}（证书 SHA-256 {fp}）" for n, fp in signers)
        checks = [x.as_dict() for x in c.items.values()]
    return {"bag": rel_bag, "year": year, "version": version, "ok": not failures,
            "external_identifier": info.get("External-Identifier"), "signatures": signatures,
            "verified": _now(),
            "aspects": {a: ("fail" if any(x["status"] == "fail" for x in checks if x["aspect"] == a) else "pass")
                        for a in ASPECTS},
            "checks": checks, "failures": failures, "warnings": warnings}


def _signed_by(found: sign.SignatureCheck) -> str:
    return f"签名人 {found.signer}，签名时间 {found.signed_at or '未记录'}，证书 SHA-256 {found.fingerprint}"


PARALLEL_FROM = 16      # PDFs from which they are opened and their signatures checked in two processes


def _pdf_facts(item: tuple[str, bool]) -> tuple[dict, sign.SignatureCheck | None]:
    """What the checks need of one PDF: :func:`.stamp.inspect_pdf`, and its signature's check when it is one
    of the bag's signed renditions (``parallel.shared()`` is the trusted list)."""
    path, signed = item
    return inspect_pdf(Path(path)), sign.check_pdf(Path(path), parallel.shared()) if signed else None


_FACTS_SEEN: dict[tuple[str, bool, str], tuple] = {}     # this process's results, by the PDF's sha256


# --- the seal's checks of the PDFs a new version shares with the one before it ------------------------------
def _checks_key(trusted: dict[str, str], bag_label: str) -> str:
    """The cache key of the per-file results (PDFs and Office files) of one sealed bag: the trusted list, the
    day (a certificate may expire: nothing is reused on another day), the code and the PDF libraries, and
    which bag."""
    import pikepdf

    from .. import cache, reproducible

    return (cache.Key("pdf-checks").add("trusted", trusted).add("day", reproducible.today())
            .add("code", cache.code_digest()).add("software", [pikepdf.__version__, pyhanko_version()])
            .add("bag", bag_label).hexdigest())


def facts_to_json(inspected: dict, signature: sign.SignatureCheck | None) -> list:
    """One PDF's facts (:func:`_pdf_facts`) as JSON, exactly: a set (XMP bags) is tagged, not made a string."""
    def plain(v):
        if isinstance(v, dict):
            return {k: plain(x) for k, x in v.items()}
        if isinstance(v, (set, frozenset)):
            return {"$set": sorted(plain(x) for x in v)}
        if isinstance(v, tuple):
            return {"$tuple": [plain(x) for x in v]}
        if isinstance(v, list):
            return [plain(x) for x in v]
        if v is None or isinstance(v, (str, int, float, bool)):
            return v
        raise TypeError(f"{type(v).__name__} in a PDF's facts")
    return [plain(inspected), signature.as_dict() if signature else None]


def facts_from_json(inspected, signature: dict | None) -> tuple[dict, sign.SignatureCheck | None]:
    """The inverse of :func:`facts_to_json`."""
    def back(v):
        if isinstance(v, dict):
            if set(v) == {"$set"}:
                return set(back(x) for x in v["$set"])
            if set(v) == {"$tuple"}:
                return tuple(back(x) for x in v["$tuple"])
            return {k: back(x) for k, x in v.items()}
        if isinstance(v, list):
            return [back(x) for x in v]
        return v
    return back(inspected), sign.SignatureCheck(**signature) if signature else None


def recall_checks(trusted: dict[str, str], bag_label: str) -> int:
    """Make the per-file results the seal of ``bag_label`` kept (:func:`keep_checks`, the same day, the same
    trusted list and code) known to this process, by each file's sha256: the seal's 四性检测 of a new version
    then does not open again the PDFs and Office files it took over byte for byte. ``invoke verify`` never
    calls this: it checks every file itself. Returns how many results were recalled."""
    from .. import cache

    hit = cache.get("pdf-checks", _checks_key(trusted, bag_label))
    if hit is None or "checks.json" not in hit.files:
        return 0
    try:
        kept = json.loads((hit.path / "checks.json").read_text(encoding="utf-8"))
        trust = json.dumps(trusted, sort_keys=True)
        for sha, signed, inspected, signature in kept["pdf"]:
            _FACTS_SEEN[(sha, signed, trust)] = facts_from_json(inspected, signature)
        for check, digest, suffix, verdict in kept["office"]:
            _OFFICE_SEEN[(check, digest, suffix)] = verdict
    except (OSError, ValueError, TypeError, KeyError) as exc:
        log.warning("the kept checks of %s are unreadable (%s); every file is checked", bag_label, exc)
        return 0
    return len(kept["pdf"]) + len(kept["office"])


def keep_checks(trusted: dict[str, str], bag_label: str) -> None:
    """Keep this process's per-file results for ``trusted`` under the bag just sealed (see :func:`recall_checks`):
    in the seal's process, those of that bag's PDFs and Office files, checked by its 四性检测 (and recalled for
    it). Each result is by the file's sha256, true of those bytes whichever bag holds them."""
    import tempfile

    from .. import cache

    trust = json.dumps(trusted, sort_keys=True)
    rows = sorted([sha, signed, *facts_to_json(*facts)]
                  for (sha, signed, t), facts in _FACTS_SEEN.items() if t == trust)
    office = sorted([check, digest, suffix, verdict] for (check, digest, suffix), verdict in _OFFICE_SEEN.items())
    with tempfile.TemporaryDirectory(prefix="kjhdz-checks-") as tmp:
        path = Path(tmp) / "checks.json"
        path.write_text(json.dumps({"pdf": rows, "office": office}, ensure_ascii=False), encoding="utf-8")
        cache.put("pdf-checks", _checks_key(trusted, bag_label), {"checks.json": path})


class Digests:
    """The sha256 of a bag's files: from the payload manifest where :func:`verify_bag` may take it from there
    (``listed``, by path relative to the bag), else computed."""

    def __init__(self, bag: Path, listed: dict[str, str]):
        self.bag, self.listed = str(bag), listed

    def of(self, path: Path) -> str:
        rel = os.path.relpath(path, self.bag)
        return self.listed.get(rel) or sha256_of(Path(path))


def _pdf_facts_of(bag: Path, records, trusted: dict[str, str], digests: Digests) -> dict[str, tuple]:
    """(sha256, *:func:`_pdf_facts`) of every PDF the records name (those on disk), by path (the digest serves
    the fixity check too: each PDF is read for it once); CPU-bound (pikepdf,
    pyHanko), so in two processes for a bag of many. A PDF whose bytes (sha256) this process has already
    checked against the same trusted list — the seal's 四性检测 of the bag build-all then verifies — is
    not checked twice; nothing of this is kept beyond the process."""
    todo = {}
    for _, r in records:
        for f in r.get("files") or []:
            path = bag / f["path"]
            if path.suffix.lower() == ".pdf" and path.is_file():
                todo[str(path)] = todo.get(str(path), False) or f["role"] in ("rendition", "normalized")
    trust = json.dumps(trusted, sort_keys=True)
    keys = {p: (digests.of(Path(p)), signed, trust) for p, signed in todo.items()}
    items = sorted((p, signed) for p, signed in todo.items() if keys[p] not in _FACTS_SEEN)
    for (p, _), got in zip(items, parallel.fork_map(_pdf_facts, items, state=trusted, parallel_from=PARALLEL_FROM)):
        _FACTS_SEEN[keys[p]] = got
    return {p: (keys[p][0], *_FACTS_SEEN[keys[p]]) for p in todo}


def _check_signature(c: Checks, found: sign.SignatureCheck | None, name: str, signatures: dict) -> None:
    if found is None:             # not on disk when the bag's PDFs were listed: its fixity check failed above
        c.fail("pdf-signature", name, "the file was not there to be checked")
        return
    signatures["pdfs"].append({"file": name, **found.as_dict()})
    if found.ok:
        c.ok("pdf-signature")
    else:
        c.fail("pdf-signature", name, found.problem)


def _now() -> str:
    from .. import reproducible

    return reproducible.now().isoformat(timespec="seconds")


def _check_index(c: Checks, bag: Path, records, index_entries, *, year: int, version: str, rel_bag: str) -> None:
    mine = {e.get("档号"): e for e in index_entries if e.get("bag") == rel_bag}
    latest = archive_index.latest_version(bag.parent) == bag.name
    want = {}
    for _, r in records:
        try:
            want[r.get("档号")] = archive_index.index_entry(r, year=year, version=version, latest=latest,
                                                           bag_rel=rel_bag)
        except (KeyError, TypeError):                    # reported by the required-fields check
            want[r.get("档号")] = None
    bag_failed = any(x.problems for k, x in c.items.items() if k != "index")
    advice = ("the bag itself fails its checks above: restore the bag from a copy or seal the year again — "
              "do NOT run `invoke reindex`, which would copy the bag's wrong metadata into the index"
              if bag_failed else
              "the bag passes every check above, so the index is what is wrong: `invoke reindex` rebuilds it "
              "from the bags")
    if set(mine) != set(want):
        c.fail("index", archive_index.INDEX, f"the index lists {len(mine)} records of {rel_bag}, the bag has "
                                             f"{len(want)}; {advice}")
        return
    differ = []
    for code, entry in sorted(want.items(), key=lambda x: str(x[0])):
        got = mine.get(code)
        if entry is None or got is None:
            continue
        fields = [k for k in entry if entry[k] != got.get(k)]
        if fields:
            differ.append(f"{code} ({', '.join(fields[:4])})")
    if differ:
        c.fail("index", archive_index.INDEX, f"{len(differ)} index entries of {rel_bag} differ from the bag's "
                                             f"metadata: {'; '.join(differ[:5])}; {advice}")
    else:
        c.ok("index")


def _check_catalogue(c: Checks, bag: Path, seal: dict, records: list[dict]) -> None:
    from .catalogue import rows

    cat = seal.get("catalogue") or {}
    if not cat:
        c.fail("catalogue", "data/catalogue/", "the seal report names no 归档文件目录")
        return
    pdf, xlsx = bag / cat.get("pdf", ""), bag / cat.get("xlsx", "")
    got = inspect_pdf(pdf) if pdf.is_file() else {"error": "missing"}
    if got.get("error"):
        c.fail("catalogue", cat.get("pdf", ""), f"the catalogue PDF does not open: {got['error']}")
    elif got["pdfa"] != "2B" or got["fonts_not_embedded"]:
        c.fail("catalogue", cat.get("pdf", ""), "the catalogue PDF is not PDF/A-2b with embedded fonts")
    else:
        c.ok("catalogue")
    try:
        from python_calamine import CalamineWorkbook

        sheet = CalamineWorkbook.from_path(str(xlsx)).get_sheet_by_index(0).to_python(skip_empty_area=False)
        found = [tuple(row) for row in sheet[2:]]       # numbers as floats: 1.0 == 1, "1" != 1
    except Exception as exc:                             # a damaged workbook: reported, not raised
        c.fail("catalogue", cat.get("xlsx", ""), f"the catalogue workbook does not open: {exc}")
        return
    want = [tuple("" if v is None else v for v in row) for row in rows(records)]
    if found != want:
        first = next((i for i, (a, b) in enumerate(zip(found, want)) if a != b), min(len(found), len(want)))
        c.fail("catalogue", cat.get("xlsx", ""), f"{len(found)} rows, {len(want)} records; first difference at row "
                                                 f"{first + 3}")
    else:
        c.ok("catalogue")


def _check_files(c: Checks, bag: Path, rel: str, r: dict, digits: int, facts: dict[str, tuple],
                 signatures: dict, digests: Digests) -> None:
    files = r.get("files") or []
    roles = {f.get("role") for f in files}
    if not roles & {"original", "submission"}:
        c.fail("content", rel, "the record names no original")
    elif r.get("rendition", {}).get("status") == "ok" and "rendition" not in roles:
        c.fail("content", rel, "the record says it has a rendition but names none")
    else:
        c.ok("content")
    pdfs = [f for f in files if f.get("role") in ("rendition", "normalized")]
    if pdfs and sum(f.get("页数") or 0 for f in pdfs) != r.get("页数"):
        c.fail("core-consistent", rel, f"页数 {r.get('页数')} is not the sum of its PDFs' pages "
                                       f"({sum(f.get('页数') or 0 for f in pdfs)})")
    by_path = {f["path"]: f for f in files}
    xmp_want = expected_xmp(r, digits)
    for f in files:
        path = bag / f["path"]
        if not path.is_file():
            c.fail("fixity", f["path"], f"named by {rel} ({r.get('档号')}) but missing")
            continue
        fact = facts.get(str(path))
        digest = fact[0] if fact else digests.of(path)
        if path.stat().st_size != f.get("size") or digest != f.get("sha256"):
            c.fail("fixity", f["path"], f"sha256/size differ from {rel} ({r.get('档号')})")
        else:
            c.ok("fixity")
        suffix = path.suffix.lower()
        as_submitted = f["role"] in ("submission", "companion")
        if suffix == ".pdf":
            _, got, found = fact or (None, inspect_pdf(path), None)
            _check_pdf(c, got, f, r, as_submitted=as_submitted, record_rel=rel, by_path=by_path, want=xmp_want)
            if f["role"] in ("rendition", "normalized"):
                _check_signature(c, found, f["path"], signatures)
        elif suffix in OOXML_PARTS or suffix in WORKBOOKS or suffix in (".doc", ".wps", ".odt"):
            why = _once(_office_problem, path, digest)
            if why:
                (c.warn if as_submitted else c.fail)("office-opens", f["path"], why
                                                     + (" (kept as submitted)" if as_submitted else ""))
            else:
                c.ok("office-opens")
        if _once(_has_macros, path, digest):
            if as_submitted:
                c.warn("macros", f["path"], "the submitted file contains macros (kept as submitted, never run)")
            else:
                c.fail("macros", f["path"], "contains macros")
        elif suffix in OOXML_PARTS or suffix in (".xls", ".doc"):
            c.ok("macros")
    if r.get("type") == "letter":
        _check_letter(c, bag, rel, r)
    for miss in (r.get("normalization") or {}).get("missing") or []:
        c.warn("normalized", miss.get("文件", rel), f"{miss.get('原因')} ({rel})")
    if r.get("type") == "submission":
        rendered = {f.get("of") for f in pdfs}
        missing = {m.get("文件") for m in (r.get("normalization") or {}).get("missing") or []}
        for f in files:
            if f["role"] in ("submission", "companion") and f["path"] not in rendered and f["path"] not in missing:
                c.fail("normalized", f["path"], f"no PDF/A rendition and no reason recorded ({rel})")
            elif f["role"] in ("submission", "companion") and f["path"] in rendered:
                c.ok("normalized")


def _check_letter(c: Checks, bag: Path, rel: str, r: dict) -> None:
    """A 去文: its message is the one the register recorded (sha256) and carries the PDF its 版式文件 was made
    from (the attachment's sha256 is the record's ``pdf_sha256``)."""
    import hashlib
    from email import message_from_bytes
    from email.policy import default as default_policy

    letter = r.get("letter") or {}
    original = next((f for f in r.get("files") or [] if f.get("role") == "original"), None)
    if original is None or not (bag / original["path"]).is_file():
        return                                           # reported by the content and fixity checks
    path = bag / original["path"]
    data = path.read_bytes()
    wrong = []
    if hashlib.sha256(data).hexdigest() != letter.get("sha256"):
        wrong.append("the message is not the one the register recorded as sent (sha256)")
    attached = [hashlib.sha256(p.get_content()).hexdigest()
                for p in message_from_bytes(data, policy=default_policy).iter_attachments()
                if p.get_content_type() == "application/pdf"]
    if attached != [letter.get("pdf_sha256")]:
        wrong.append(f"the message's PDF attachment {attached} is not the letter {letter.get('pdf_sha256')} the "
                     "版式文件 was made from")
    if wrong:
        c.fail("fixity", original["path"], "; ".join(wrong) + f" ({rel})")
    else:
        c.ok("fixity")


def _check_pdf(c: Checks, got: dict, f: dict, r: dict, *, as_submitted: bool, record_rel: str,
               by_path: dict, want: dict) -> None:
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
    if f["role"] not in ("rendition", "normalized"):
        return
    fields = got["fields"]
    source = by_path.get(f.get("of") or "") or next(
        (x for x in r.get("files", []) if x["role"] in ("original", "submission")), {})
    wrong = []
    if got["pages"] != f.get("页数", r.get("页数")):
        wrong.append(f"页数: the PDF has {got['pages']} pages, metadata says {f.get('页数', r.get('页数'))}")
    if fields.get("dc:identifier") != r.get("档号"):
        wrong.append(f"档号: dc:identifier is {fields.get('dc:identifier')!r}, JSON {r.get('档号')!r}")
    if fields.get("lang") != "zh-CN":
        wrong.append(f"/Lang is {fields.get('lang')!r}, not zh-CN")
    for prop, value in want.items():
        if _xmp(fields.get(prop)) != _xmp(value):
            element = next(k for k, v in CORE_XMP.items() if v == prop)
            wrong.append(f"{element}: XMP da:{prop} {fields.get(prop)!r}, JSON {value!r}")
    creators = fields.get("dc:creator") or []
    if [_xmp(x) for x in creators] != [_xmp(x) for x in r.get("责任者") or []]:
        wrong.append(f"责任者: XMP dc:creator {list(creators)!r}, JSON {r.get('责任者')!r}")
    if _xmp(fields.get("dc:title")) != _xmp(r.get("题名")):
        wrong.append(f"题名: XMP dc:title {fields.get('dc:title')!r}, JSON {r.get('题名')!r}")
    for prop, value in (("originalName", source.get("name")), ("originalSha256", source.get("sha256")),
                        ("originalSize", str(source.get("size"))), ("renditionOf", source.get("path")),
                        ("filePages", str(f.get("页数")))):
        if _xmp(fields.get(prop)) != _xmp(value):
            wrong.append(f"{prop}: XMP {fields.get(prop)!r}, JSON {value!r}")
    docinfo = fields.get("docinfo_fields") or {}
    for prop in (*want, "originalName", "originalSha256", "renditionOf", "filePages"):
        if _xmp(docinfo.get(prop)) != _xmp(fields.get(prop)):
            wrong.append(f"{prop}: DocInfo {docinfo.get(prop)!r}, XMP {fields.get(prop)!r}")
    basic = [w for w in wrong if w.startswith(("页数", "档号", "originalSha256"))]
    rest = [w for w in wrong if w not in basic]
    for check, found in (("pdf-metadata", basic), ("core-consistent", rest)):
        if found:
            c.fail(check, name, "; ".join(found[:6]) + (f" … ({len(found)} in all)" if len(found) > 6 else "")
                   + f" ({record_rel})")
        else:
            c.ok(check)


def report_path(root: Path, year: int, version: str) -> Path:
    return root / REPORTS / f"verify-{year}-{version}.json"


def read_status(root: Path, year: int, version: str) -> str | None:
    """"pass"/"fail" of the last verify of a bag, or None when it was never verified."""
    return last_verify(root, year, version)["status"]


def last_verify(root: Path, year: int, version: str) -> dict:
    """The last verify of a bag: ``status`` (pass | fail | None), ``verified`` (when, ISO 8601, or None),
    ``report`` (its path relative to the archive root, or None)."""
    path = report_path(root, year, version)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {"status": None, "verified": None, "report": None}
    return {"status": "pass" if data.get("ok") else "fail", "verified": data.get("verified"),
            "report": path.relative_to(root).as_posix()}


def verify(year: int | None = None, as_json: bool = False, versions: list[str] | None = None) -> int:
    """四性检测 of every version of ``year`` (or of every sealed year; ``versions``: only those of ``year``);
    0 when everything passes."""
    root = archive_root()
    year_dirs = [d for d in archive_index.year_dirs(root) if year is None or d.name == str(year)]
    bags = [b for d in year_dirs for b in archive_index.versions(d) if versions is None or b.name in versions]
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

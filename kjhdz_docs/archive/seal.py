"""``invoke archive``: seal a year's documents and submissions into ``archive/<year>/v<N>/``.

1. Plan the 件 and their 档号 from the stage manifests and intake reports (:mod:`.records`).
2. Check every submitted file is still byte-identical to what the intake report recorded.
3. Under ``archive/.lock``, lay the payload out in a temporary folder beside the final one:
   originals, the submissions (byte-identical, NFC names), the stage reports; PDF/A-2b renditions of
   every submitted workbook (one LibreOffice batch for the workbooks the intake read, one for the
   rejected ones, files that fail the intake's safety checks are never opened); every PDF stamped
   with the 归档章 and its metadata, then signed (PAdES, :mod:`.sign`); one DA/T 46 record per 件 in
   ``data/metadata/``.
4. Bag it (sha256 + sha512), sign its tag manifest (detached CMS), validate it in full, rename it to ``v<N>`` (never over an existing
   version: the new one records which it supersedes), point ``<year>/latest`` at it, rebuild the index.
"""

from __future__ import annotations

import hashlib
import logging
import os
import shutil
import sys
import tempfile
import time
from dataclasses import asdict
from pathlib import Path

import bagit
import pikepdf

from .. import console, reproducible
from ..errors import ConversionError, MissingInputError, VerificationError
from ..manifest import write_json
from ..paths import archive_root
from ..staging import fsync_dir, fsync_tree, replace_durably
from . import bag as bagging
from . import changes
from . import index as archive_index
from . import sign
from .lock import archive_lock
from .records import RETENTIONS, Member, Record, YearPlan, plan_year
from .stamp import MM, StampCells, stamp_pdf

log = logging.getLogger(__name__)

SEAL_REPORT = "seal.json"
FORMATS = {".pdf": "PDF/A-2b", ".docx": "Office Open XML 文档 (.docx)", ".xlsx": "Office Open XML 工作簿 (.xlsx)",
           ".xlsm": "Office Open XML 工作簿（含宏）(.xlsm)", ".xls": "Excel 97-2003 工作簿 (.xls)",
           ".ods": "OpenDocument 电子表格 (.ods)", ".json": "JSON", ".png": "PNG", ".jpg": "JPEG",
           ".jpeg": "JPEG", ".eml": "电子邮件 (RFC 5322 .eml)", ".msg": "Outlook 邮件 (.msg)"}


def _pause_for_drill(point: str) -> None:
    """Reliability drills only: ``KJHDZ_TEST_PAUSE_AT=<point>`` makes the seal say so on stderr and wait there
    (to be killed with SIGKILL). Points: ``bagging``, ``rename``, ``index``."""
    if os.environ.get("KJHDZ_TEST_PAUSE_AT") == point:
        print(f"KJHDZ paused at {point}", file=sys.stderr, flush=True)
        time.sleep(600)


def sha256_of(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def file_format(name: str, role: str) -> str:
    suffix = Path(name).suffix.lower()
    if suffix == ".pdf" and role != "rendition":
        return "PDF"
    return FORMATS.get(suffix, suffix.lstrip(".").upper() or "未知")


def check_inputs(plan: YearPlan) -> None:
    """Every file to seal exists and every submission still has the sha256 its intake report recorded."""
    problems = []
    for rec in plan.records:
        for m in rec.members:
            if not m.source.is_file():
                problems.append(f"{m.source}: missing ({rec.code}, {m.role})")
            elif m.sha256 and sha256_of(m.source) != m.sha256:
                problems.append(f"{m.source}: changed since the intake report was written (sha256 differs)")
        if rec.type != "submission" and (rec.rendition_source is None or not rec.rendition_source.is_file()):
            problems.append(f"{rec.rendition_source}: the PDF rendition of {rec.code} is missing")
    for source, _ in plan.reports:
        if not source.is_file():
            problems.append(f"{source}: missing (listed in its stage manifest)")
    if problems:
        raise MissingInputError(f"{plan.year}: cannot seal —\n  - " + "\n  - ".join(problems),
                                hint=f"run the build tasks for {plan.year} again (invoke build-all --year "
                                     f"{plan.year}); the archive was not touched")


def remove_leftovers(year_dir: Path) -> list[str]:
    """Remove what a killed seal left in ``year_dir`` (its staging and renditions folders, the half-written
    ``latest`` pointer). Called under the archive lock, so no live run owns them; sealed versions are never
    touched. Returns the names removed."""
    gone = []
    for p in sorted(year_dir.iterdir()):
        stale = (p.is_dir() and (p.name.startswith(".v") or p.name.startswith("renditions-"))) \
            or p.name == f".{archive_index.LATEST}.part"
        if stale and not archive_index.VERSION_RE.match(p.name):
            shutil.rmtree(p, ignore_errors=True) if p.is_dir() else p.unlink(missing_ok=True)
            gone.append(p.name)
    if gone:
        log.warning("%s: removed what an interrupted seal left: %s", year_dir, ", ".join(gone))
    return gone


def repair_latest(year_dir: Path) -> str | None:
    """Point ``latest`` at the highest sealed version when a killed run renamed it into place but did not
    get to write the pointer (a renamed version is complete: validated and flushed before the rename).
    Called under the archive lock; returns the version now named, or None when nothing was repaired."""
    found = archive_index.versions(year_dir)
    if not found:
        return None
    try:
        named = (year_dir / archive_index.LATEST).read_text(encoding="utf-8").strip()
    except OSError:
        named = None
    if named == found[-1].name:
        return None
    pointer = year_dir / f".{archive_index.LATEST}.part"
    pointer.write_text(found[-1].name + "\n", encoding="utf-8")
    replace_durably(pointer, year_dir / archive_index.LATEST)
    archive_index.write_index(year_dir.parent)
    log.warning("%s: latest named %s, but %s was sealed after it (an interrupted run); latest now names %s",
                year_dir, named or "nothing", found[-1].name, found[-1].name)
    return found[-1].name


def next_version(year_dir: Path) -> tuple[str, str | None]:
    found = archive_index.versions(year_dir)
    last = found[-1].name if found else None
    return f"v{int(last[1:]) + 1 if last else 1}", last


# --- renditions of submitted workbooks ---------------------------------------------------------------
def convert_submissions(plan: YearPlan, staging: Path, work: Path) -> dict[int, Path | str]:
    """PDF renditions of every submitted workbook: item -> PDF path, or the reason there is none."""
    from .. import converter
    from ..intake.safety import UnsafeFile, check_file

    out: dict[int, Path | str] = {}
    batches: dict[str, list[tuple[Path, Path]]] = {"read": [], "rejected": []}
    wanted: dict[Path, int] = {}
    for rec in plan.records:
        if rec.type != "submission" or rec.rendition_path is None:
            continue
        staged = staging / rec.original.path[len("data/"):]
        try:
            check_file(staged)
        except UnsafeFile as exc:
            out[rec.item] = f"未转换：文件未通过安全检查（{exc.rule}：{exc.message}），按原样归档"
            continue
        target = work / f"{rec.item:04d}.pdf"
        wanted[target] = rec.item
        status = (rec.submission or {}).get("status")
        batches["rejected" if status == "rejected" else "read"].append((staged, target))
    for name, jobs in batches.items():
        if not jobs:
            continue
        with console.status(f"converting {len(jobs)} submitted workbook(s) to PDF/A-2b ({name})"):
            try:
                converter.convert_to_pdf(jobs, workers=2)
            except ConversionError as exc:
                log.warning("%d of %d workbook(s) could not be rendered: %s", len(exc.documents), len(jobs),
                            str(exc).splitlines()[0])
        for _, target in jobs:
            item = wanted[target]
            out[item] = target if target.exists() else "未转换：LibreOffice 未能打开该文件生成 PDF，按原样归档"
    return out


# --- one 件 ---------------------------------------------------------------------------------------
def stamp_fields(plan: YearPlan, rec: Record, original_sha: str) -> dict[str, str]:
    return {"archivalCode": rec.code, "fonds": plan.config.fonds, "category": plan.config.category,
            "year": str(plan.year), "retention": rec.retention, "organization": rec.organization.code,
            "itemNumber": f"{rec.item:0{plan.config.item_digits}d}", "documentNumber": rec.doc_number,
            "responsible": "；".join(rec.creators), "date": rec.date, "disclosure": rec.disclosure,
            "recordType": rec.type, "originalName": rec.original.name, "originalSha256": original_sha}


def stamp_record(plan: YearPlan, rec: Record, source: Path, staging: Path, original_sha: str) -> dict:
    """Stamp ``source`` into the record's rendition path; returns what the metadata says of it."""
    cfg = plan.config
    cells = lambda pages: StampCells(cfg.fonds, str(plan.year), f"{rec.item:0{cfg.item_digits}d}",  # noqa: E731
                                     rec.organization.name, RETENTIONS[rec.retention], str(pages))
    result = stamp_pdf(source, staging / rec.rendition_path[len("data/"):], cells_for_pages=cells,
                       title=rec.title, creators=rec.creators, date=rec.date, identifier=rec.code,
                       fields=stamp_fields(plan, rec, original_sha))
    p = result.placement
    return {"pages": result.pages,
            "stamp": {"placed": True, "where": p.where, "x_mm": round(p.x / MM, 1), "top_mm": round(p.top / MM, 1),
                      "size_mm": [45, 16]} if p else
                     {"placed": False, "reason": "第1页顶部没有空白处（45×16 mm），归档章信息仅写入元数据"}}


def receipt_event(rec: Record, today: str) -> dict:
    """The 业务 event 接收: for a submission, when and from whom the receipt register says it came."""
    sub = rec.submission or {}
    if not sub:
        return {"行为": "接收", "时间": today, "描述": "自构建目录复制"}
    copied = "归档时自收件箱复制，逐字节与收件报告 sha256 核对"
    if not sub.get("received"):
        return {"行为": "接收", "时间": today, "描述": "自收件箱复制（无收件登记），逐字节与收件报告 sha256 核对"}
    event = {"行为": "接收", "时间": sub["received"], "发件人": sub.get("sender"), "Message-ID": sub.get("message_id")}
    if sub.get("message_id"):
        event["描述"] = f"电子邮件收件（收件登记 register.json）；{copied}"
    else:
        event["描述"] = f"收件时间按登记时间（文件未经收件登记放入收件箱）；{copied}"
    return event


def metadata_record(plan: YearPlan, rec: Record, staging: Path, *, version: str, supersedes: str | None,
                    pages: int | None, stamp: dict | None, rendition_note: str | None, today: str) -> dict:
    files = []
    for m in rec.members:
        staged = staging / m.path[len("data/"):]
        files.append({"role": m.role, "path": m.path, "name": m.name, "size": staged.stat().st_size,
                      "sha256": sha256_of(staged), "format": file_format(m.name, m.role)})
    relations, events = [], [receipt_event(rec, today)]
    if rec.rendition_path and pages is not None:
        staged = staging / rec.rendition_path[len("data/"):]
        files.append({"role": "rendition", "path": rec.rendition_path, "name": Path(rec.rendition_path).name,
                      "size": staged.stat().st_size, "sha256": sha256_of(staged), "format": "PDF/A-2b"})
        relations.append({"关系类型": "版式文件", "源": rec.original.path, "目标": rec.rendition_path,
                          "描述": "PDF/A-2b 版式文件（LibreOffice 转换），已加盖归档章并写入元数据"})
        events.append({"行为": "转换", "时间": today, "描述": "LibreOffice 转换为 PDF/A-2b"})
        events.append({"行为": "著录", "时间": today, "描述": "XMP 写入档号及 DA/T 46 元数据"
                       + ("，加盖归档章" if stamp and stamp.get("placed") else "")})
    for m in rec.members:
        if m.role == "message":
            relations.append({"关系类型": "来文", "源": rec.original.path, "目标": m.path,
                              "描述": "报送邮件原件（按收到时原样保存的 .eml），Message-ID "
                                      + str((rec.submission or {}).get("message_id") or "")})
        if m.role in ("attachment", "companion"):
            relations.append({"关系类型": "附件" if m.role == "attachment" else "随附材料", "源": rec.original.path,
                              "目标": m.path, "描述": "同一件的附件" if m.role == "attachment" else "报送单位随表报送"})
    events.append({"行为": "归档", "时间": today, "描述": f"封装为 BagIt 包 {plan.year}/{version}"
                   + (f"（替代 {supersedes}）" if supersedes else "")})
    cfg = plan.config
    return {
        "档号": rec.code, "全宗号": cfg.fonds, "全宗名称": cfg.fonds_name, "门类": cfg.category, "年度": plan.year,
        "保管期限": rec.retention, "机构或问题": rec.organization.code, "件号": rec.item,
        "题名": rec.title, "文件编号": rec.doc_number, "责任者": rec.creators or ["未识别单位"],
        "日期": rec.date, "公开属性": rec.disclosure, "语种": "zh-CN", "页数": pages,
        "type": rec.type, "files": files, "关系": relations, "业务": events,
        "归档章": stamp, "rendition": {"status": "ok" if pages is not None else "none", "reason": rendition_note},
        "submission": rec.submission, "version": version, "supersedes": supersedes,
    }


# --- the seal ---------------------------------------------------------------------------------------
def lay_out(plan: YearPlan, staging: Path, *, version: str, supersedes: str | None, today: str,
            key: sign.SigningKey, extra: dict | None = None) -> dict:
    """Write the whole payload into ``staging`` (bag not yet made); returns the seal report. Every stamped
    PDF is signed (PAdES) before its record is written, so the record's sha256 is of the signed file
    (``extra``: further fields of seal.json, e.g. the content and changes of :mod:`.changes`)."""
    for rec in plan.records:
        for m in rec.members:
            _copy(m, staging)
    for source, path in plan.reports:
        dst = staging / path[len("data/"):]
        dst.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, dst)
    work = Path(tempfile.mkdtemp(prefix="renditions-", dir=staging.parent))
    try:
        renditions = convert_submissions(plan, staging, work)
        unstamped, failed = [], []
        for rec in console.progress(plan.records, "stamping and describing"):
            source = rec.rendition_source if rec.type != "submission" else renditions.get(rec.item)
            note = source if isinstance(source, str) else None
            pages = stamp = None
            if isinstance(source, Path):
                orig_sha = sha256_of(staging / rec.original.path[len("data/"):])
                described = stamp_record(plan, rec, source, staging, orig_sha)
                pages, stamp = described["pages"], described["stamp"]
                sign.sign_pdf(staging / rec.rendition_path[len("data/"):], key, location=plan.config.fonds_name)
                if not stamp["placed"]:
                    unstamped.append(rec.code)
            elif rec.rendition_path:
                failed.append({"档号": rec.code, "file": rec.original.name, "reason": note})
            meta = metadata_record(plan, rec, staging, version=version, supersedes=supersedes, pages=pages,
                                   stamp=stamp, rendition_note=note, today=today)
            if pages is not None:
                meta["电子签名"] = sign.describe(key)
                meta["业务"].insert(-1, {"行为": "签名", "时间": today, "描述": "版式文件加 PAdES 电子签名（"
                                     f"{key.subject}，证书 SHA-256 {key.fingerprint[:16]}…）"})
            write_json(staging / "metadata" / f"{rec.item:04d}.json", meta)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    cfg = plan.config
    subs = [r for r in plan.records if r.type == "submission"]
    report = {
        "year": plan.year, "version": version, "supersedes": supersedes, "sealed": today,
        "config": asdict(cfg), "records": len(plan.records),
        "records_by_type": {t: sum(1 for r in plan.records if r.type == t)
                            for t in ("notice", "recommendations", "summary", "submission")},
        "submitted_files": {i.kind: len(i.submissions) for i in plan.intakes},
        "intake_reports": {i.kind: f"data/reports/{i.stage}/{i.report_file.name}" for i in plan.intakes},
        "rejected": sorted(r.submission["file"] for r in subs if r.submission.get("status") == "rejected"),
        "renditions_missing": failed, "stamps_not_placed": unstamped,
        "software": {"pikepdf": pikepdf.__version__, "bagit": bagit.VERSION, "pyhanko": _pyhanko_version()},
        "signature": sign.describe(key),
    }
    report.update(extra or {})
    write_json(staging / "reports" / SEAL_REPORT, report)
    return report


def _pyhanko_version() -> str:
    from importlib.metadata import version
    return version("pyhanko")


def _copy(m: Member, staging: Path) -> None:
    dst = staging / m.path[len("data/"):]
    dst.parent.mkdir(parents=True, exist_ok=True)
    if dst.exists():
        raise VerificationError(f"{m.path}: two files of the year map to the same name in the bag ({m.source})")
    shutil.copyfile(m.source, dst)
    if m.sha256 and sha256_of(dst) != m.sha256:
        raise VerificationError(f"{m.source}: the copy in the bag differs from the intake report's sha256",
                                hint="the file changed while sealing; run the seal again")


def bag_info(plan: YearPlan, report: dict) -> dict[str, str]:
    cfg = plan.config
    c = report["records_by_type"]
    info = {
        "Source-Organization": cfg.source_organization,
        "External-Identifier": f"{cfg.fonds}-{cfg.category}·{plan.year}-{report['version']}",
        "External-Description": (f"{plan.year}年全国科技活动周文件归档包：通知、推荐清单、汇总报告及各单位报送材料，"
                                 f"共{report['records']}件（报送材料{c['submission']}件）；"
                                 "档号、DA/T 46 元数据见 data/metadata/，版式文件为 PDF/A-2b"),
        "Bag-Group-Identifier": f"{cfg.fonds}-{cfg.category}·{plan.year}",
        "Internal-Sender-Identifier": f"{plan.year}/{report['version']}",
        "Bagging-Date": report["sealed"],
    }
    if report["supersedes"]:
        info["Supersedes"] = report["supersedes"]
    info.update(sign.BAG_INFO)
    info.update(changes.bag_info_lines(report.get("changes"), report.get("reason")))
    return info


def seal_year(year: int, *, force: bool = False, reason: str | None = None) -> int:
    """Seal ``year`` into a new version of ``archive/<year>/`` when its content differs from the latest
    version (:mod:`.changes`), else say that version is current; 0 either way. ``force`` seals anyway
    (``reason`` is then required and recorded in seal.json and bag-info.txt). A rejected submitted file is
    the intake's finding: it is sealed with its reason and named in the closing table, not an error."""
    if force and not (reason or "").strip():
        raise MissingInputError("--force needs --reason \"…\": the reason for sealing an unchanged year is recorded "
                                "in seal.json and bag-info.txt", hint='e.g. invoke archive --force --reason "…"')
    plan = plan_year(year)
    check_inputs(plan)
    key = sign.signing_key_for_seal()
    new_content = changes.content(plan)
    root = archive_root()
    year_dir = root / str(year)
    with archive_lock(f"sealing {year}", root=root):
        year_dir.mkdir(parents=True, exist_ok=True)
        remove_leftovers(year_dir)
        repair_latest(year_dir)
        current, recorded = changes.latest(year_dir)
        if current and not force and changes.unchanged(new_content, recorded):
            console.err.print(f"{year}: {current} is current, nothing changed", highlight=False)   # even --quiet
            return 0
        version, supersedes = next_version(year_dir)
        delta = changes.diff(new_content, recorded, supersedes)
        staging = Path(tempfile.mkdtemp(prefix=f".{version}-", dir=year_dir))
        try:
            today = reproducible.today()
            report = lay_out(plan, staging, version=version, supersedes=supersedes, today=today, key=key,
                             extra={"content": new_content, "changes": delta,
                                    "reason": reason.strip() if force and reason else None})
            _pause_for_drill("bagging")
            with console.status("bagging (sha256 + sha512) and validating"):
                bagging.make_bag(staging, bag_info(plan, report))
                sign.sign_bag(staging, key)
                problems = bagging.validate(staging)
            if problems:
                raise VerificationError(f"{year}: the new bag does not validate: "
                                        + "; ".join(f"{p.path}: {p.message}" for p in problems[:10]))
            final = year_dir / version
            if final.exists():
                raise VerificationError(f"{final} appeared while sealing; nothing was replaced")
            os.chmod(staging, 0o755)
            fsync_tree(staging)                    # every file and folder on disk before the rename …
            _pause_for_drill("rename")
            os.rename(staging, final)
            fsync_dir(year_dir)                    # … and the rename itself after it
        except BaseException:
            shutil.rmtree(staging, ignore_errors=True)
            raise
        _pause_for_drill("index")
        pointer = year_dir / f".{archive_index.LATEST}.part"
        pointer.write_text(version + "\n", encoding="utf-8")
        replace_durably(pointer, year_dir / archive_index.LATEST)
        archive_index.write_index(root)
    _closing_table(plan, report, final)
    _print_changes(report)
    return 0


def _print_changes(report: dict) -> None:
    delta = report.get("changes")
    if report.get("reason"):
        console.say(f"sealed although unchanged: {report['reason']}")
    console.say(changes.summary_line(delta))
    for label, key in (("+", "added"), ("-", "removed"), ("~", "changed")):
        for c in (delta or {}).get(key) or []:
            console.say(f"  {label} {c['档号']}  {c['题名']}")


def _closing_table(plan: YearPlan, report: dict, final: Path) -> None:
    c = report["records_by_type"]
    title = f"{plan.year} → {final}" + (f"（替代 {report['supersedes']}）" if report["supersedes"] else "")
    console.table(title, ["件", "通知", "推荐清单", "汇总报告", "报送材料", "退回", "无版式文件", "未盖章"],
                  [(report["records"], c["notice"], c["recommendations"], c["summary"], c["submission"],
                    len(report["rejected"]), len(report["renditions_missing"]), len(report["stamps_not_placed"]))])
    first, last = plan.records[0].code, plan.records[-1].code
    console.say(f"档号 {first} … {last}")
    for miss in report["renditions_missing"]:
        console.say(f"  {miss['档号']}  {miss['file']}: {miss['reason']}")

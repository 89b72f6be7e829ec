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
import json
import logging
import os
import shutil
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict
from pathlib import Path

import bagit
import pikepdf

from .. import console, parallel, reproducible
from ..errors import ConversionError, MissingInputError, VerificationError
from ..manifest import write_json
from ..paths import archive_root
from ..staging import fsync_dir, fsync_tree, replace_durably
from . import bag as bagging
from . import changes
from . import index as archive_index
from . import sign
from .lock import archive_lock
from .records import RECORD_TYPES, RETENTIONS, Member, Record, YearPlan, plan_year
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


# --- one 件 ---------------------------------------------------------------------------------------
AGGREGATION = "文件"          # 聚合层次: each record is one 件 (not a 案卷)
DRAFT = "正本"                # 稿本


def agent(plan: YearPlan) -> dict:
    """机构人员 (DA/T 46-2009) of the 业务 events: the 立档单位, which receives, converts and archives."""
    cfg = plan.config
    return {"机构人员类型": "单位", "机构人员名称": cfg.fonds_name, "组织机构代码": cfg.organization_code or "未配置",
            "个人职位": "—"}


def electronic_file_number(plan: YearPlan, original_sha: str) -> str:
    """电子文件号: the fonds, the year and the original's digest — the same for the same content in every
    version of the package."""
    return f"{plan.config.fonds}-{plan.year}-{original_sha[:16].upper()}"


def _events_text(events: list[dict]) -> str:
    return "；".join(f"{e['行为']} {e['时间']}（{e['机构人员']['机构人员名称']}）" for e in events)


def _digitization_text(d: dict | None) -> str:
    if not d:
        return ""
    return "；".join(f"{k}：{v}" for k, v in d.items() if k not in ("dpi", "layout_dpi"))


def core_fields(plan: YearPlan, rec: Record, *, original: dict, events: list[dict], pages: int,
                composition: str, application: str) -> dict[str, str]:
    """The DA/T 46 core of a 件 as written into every PDF of it (XMP and DocInfo)."""
    cfg = plan.config
    return {"archivalCode": rec.code, "fonds": cfg.fonds, "category": cfg.category,
            "year": str(plan.year), "retention": rec.retention, "organization": rec.organization.code,
            "itemNumber": f"{rec.item:0{cfg.item_digits}d}", "documentNumber": rec.doc_number,
            "responsible": "；".join(rec.creators) or "未署名", "date": rec.date, "disclosure": rec.disclosure,
            "recordType": rec.type, "title": rec.title, "pageCount": str(pages),
            "aggregationLevel": AGGREGATION, "archivingUnit": cfg.fonds_name, "fondsName": cfg.fonds_name,
            "electronicFileNumber": electronic_file_number(plan, original["sha256"]),
            "documentType": cfg.document_type(rec.type), "draft": DRAFT, "compositionType": composition,
            "creatingApplication": application, "classification": rec.classification,
            "reportingUnit": rec.unit or "", "language": "zh-CN",
            "agent": agent(plan)["机构人员名称"], "events": _events_text(events)}


def stamp_rendition(plan: YearPlan, rec: Record, r, staging: Path, *, pages: int, fields: dict[str, str],
                    part: dict) -> dict:
    """Stamp one rendition ``r`` (a :class:`.normalize.Rendition`) into the bag; returns its 归档章 placement."""
    cfg = plan.config
    cells = lambda _pages: StampCells(cfg.fonds, str(plan.year), f"{rec.item:0{cfg.item_digits}d}",  # noqa: E731
                                      rec.organization.name, RETENTIONS[rec.retention], str(pages))
    mine = {**fields, "originalName": r.of.name, "originalSha256": part["sha256"], "originalSize": str(part["size"]),
            "originalFormat": part["format"], "renditionOf": r.of.path,
            "digitization": _digitization_text(r.digitization)}
    result = stamp_pdf(r.source, staging / r.path[len("data/"):], cells_for_pages=cells, title=rec.title,
                       creators=rec.creators, date=rec.date, identifier=rec.code, fields=mine)
    p = result.placement
    return ({"placed": True, "where": p.where, "x_mm": round(p.x / MM, 1), "top_mm": round(p.top / MM, 1),
             "size_mm": [45, 16]} if p else
            {"placed": False, "reason": "第1页顶部没有空白处（45×16 mm），归档章信息仅写入元数据"})


def letter_events(rec: Record, today: str) -> list[dict]:
    """The 业务 events of a letter sent (去文): 发文, when the mail server accepted it and to whom (the receipt
    register), then 接收 into the archive from ``data/<year>/sent/``."""
    x = rec.letter or {}
    return [{"行为": "发文", "时间": x.get("sent"), "收件人": x.get("to"), "Message-ID": x.get("message_id"),
             "描述": f"{x.get('kind')}以电子邮件发出（去文登记 register.json letters）"},
            {"行为": "接收", "时间": today, "描述": "归档时自去文目录复制（data/<年度>/sent/），逐字节与去文登记的 sha256 核对，"
                                             "版式文件与邮件所附 PDF 逐字节一致"}]


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


def _file_entry(staging: Path, m: Member) -> dict:
    from .normalize import creating_application

    staged = staging / m.path[len("data/"):]
    return {"role": m.role, "path": m.path, "name": m.name, "size": staged.stat().st_size,
            "sha256": sha256_of(staged), "format": file_format(m.name, m.role),
            "创建程序": creating_application(staged)}


def page_count(path: Path) -> int:
    """The number of pages of a PDF (PDFium: the page tree only, not every object of a large file)."""
    import pypdfium2 as pdfium

    pdf = pdfium.PdfDocument(str(path))
    try:
        return len(pdf)
    finally:
        pdf.close()


def record_events(plan: YearPlan, rec: Record, renditions: list, *, day: str, sealed_in: str,
                  supersedes: str | None, key: sign.SigningKey) -> list[dict]:
    """The 业务 events of ``rec`` up to its first sealing: received, converted, described and stamped, signed
    (``day``: the day its PDFs were stamped and signed) and archived into ``sealed_in``."""
    who = agent(plan)
    made = [r for r in renditions if r.source is not None]
    events = [{**e, "机构人员": who} for e in (letter_events(rec, day) if rec.type == "letter"
                                              else [receipt_event(rec, day)])]
    for r in made:
        how = {"构建": "构建时由 LibreOffice 转换为 PDF/A-2b", "LibreOffice": "LibreOffice 转换为 PDF/A-2b",
               "OCRmyPDF": "OCRmyPDF 转换为 PDF/A-2b，Tesseract chi_sim 文字识别"}[r.method]
        what = f"{r.of.name}：{how}"
        if rec.type == "letter":       # the letter's PDF was made when it was written, and sent as it is
            what = f"{Path(r.path).name}：生成函件时由 LibreOffice 转换为 PDF/A-2b，作为 {r.of.name} 的附件发出"
        events.append({"行为": "转换", "时间": day, "机构人员": who, "描述": what})
    if made:
        events.append({"行为": "著录", "时间": day, "机构人员": who,
                       "描述": "XMP 与文档信息写入档号及 DA/T 46 元数据，加盖归档章"})
        events.append({"行为": "签名", "时间": day, "机构人员": who, "描述": "版式文件加 PAdES 电子签名（"
                       f"{key.subject}，证书 SHA-256 {key.fingerprint[:16]}…）"})
    events.append({"行为": "归档", "时间": day, "机构人员": who, "描述": f"封装为 BagIt 包 {plan.year}/{sealed_in}"
                   + (f"（替代 {supersedes}）" if supersedes else "")})
    return events


def stamp_key(plan: YearPlan, rec: Record, made: list, *, fields: dict[str, str], by_path: dict, pages: int | None,
              key: sign.SigningKey) -> str:
    """The digest of everything that decides the bytes of ``rec``'s stamped, signed PDFs but the signing time:
    each rendition's bytes and place, the 归档章's cells, the metadata written, the signing key and the code."""
    from ..cache import code_digest

    h = hashlib.sha256()
    for r in made:
        h.update(json.dumps([r.path, r.role, r.of.path, r.method, _rendition_identity(r), r.digitization,
                             by_path[r.of.path]["sha256"], by_path[r.of.path]["size"], by_path[r.of.path]["format"]],
                            ensure_ascii=False, sort_keys=True, default=str).encode() + b"\0")
    cfg = plan.config
    h.update(json.dumps({"fields": fields, "pages": pages, "title": rec.title, "creators": rec.creators,
                         "date": rec.date, "code": rec.code, "item": rec.item, "cells": [
                             cfg.fonds, plan.year, cfg.item_digits, rec.organization.name, rec.retention],
                         "signer": key.fingerprint, "location": cfg.fonds_name, "program": code_digest()},
                        ensure_ascii=False, sort_keys=True, default=str).encode())
    return h.hexdigest()


def _rendition_identity(r) -> str:
    """What a rendition is made of: its bytes; for an OCR'd scan (OCRmyPDF's bytes differ from run to run,
    its text and images do not) the OCR programs' versions (the scan's digest is in the key beside it)."""
    if r.method == "OCRmyPDF":
        from .. import ocr

        return f"ocr:{ocr.version()}"
    return sha256_of(r.source)


def carried_over(previous: dict | None, rec: Record, made: list, staging: Path, want_key) -> dict | None:
    """The stamped, signed PDFs of ``rec`` taken over byte for byte from the version this one supersedes, when
    that version's record of the same 件 was stamped from exactly the same inputs (``want_key(day)`` is the
    digest for a first stamping on ``day``); each file, shared (:func:`share`), is checked against that
    record's sha256. None when not."""
    old = (previous or {}).get("records", {}).get(rec.code)
    stamped = (old or {}).get("stamped") or {}
    if not made or not stamped.get("key") or want_key(stamped.get("date")) != stamped["key"]:
        return None
    files = {f["path"]: f for f in old["files"]}
    if any(r.path not in files or r.path not in (old.get("stamps") or {}) for r in made):
        return None
    for r in made:
        src = previous["bag"] / r.path
        dst = staging / r.path[len("data/"):]
        dst.parent.mkdir(parents=True, exist_ok=True)
        if not share(src, dst, files[r.path]["sha256"]):
            log.warning("%s: %s in %s differs from its record; stamped and signed again", rec.code, r.path,
                        previous["version"])
            for q in made:
                (staging / q.path[len("data/"):]).unlink(missing_ok=True)
            return None
    return old


def previous_records(bag: Path | None, version: str | None) -> dict | None:
    """The metadata records of the version a new one supersedes, by 档号 (for :func:`carried_over`)."""
    folder = bag / "data" / "metadata" if bag is not None else None
    if folder is None or not folder.is_dir():
        return None
    records = {}
    for p in sorted(folder.glob("*.json")):
        try:
            meta = json.loads(p.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        if isinstance(meta, dict) and meta.get("档号"):
            records[meta["档号"]] = meta
    return {"bag": bag, "version": version, "records": records}


def shown_in_catalogue(rec: Record, renditions: list) -> dict:
    """The fields of ``rec``'s metadata record that the 归档文件目录 shows (:func:`.catalogue.rows`): 序号, 档号,
    文号, 责任者, 题名, 日期, 密级, 页数 (its renditions' pages, counted before) and what 备注 is made of."""
    made = [r for r in renditions if r.source is not None]
    return {"序号": rec.seq, "档号": rec.code, "文件编号": rec.doc_number, "责任者": rec.creators or ["未署名"],
            "题名": rec.title, "日期": rec.date, "密级": rec.classification, "报送单位": rec.unit,
            "页数": sum(r.pages for r in made) if made else None, "submission": rec.submission,
            "normalization": {"missing": [{"文件": r.of.path, "原因": r.reason} for r in renditions
                                          if r.source is None and r.reason]},
            **({"letter": rec.letter} if rec.letter is not None else {})}


def describe_record(plan: YearPlan, rec: Record, renditions: list, staging: Path, *, version: str,
                    supersedes: str | None, today: str, key: sign.SigningKey, previous: dict | None = None) -> dict:
    """Stamp and sign (PAdES) every rendition of ``rec`` and return its DA/T 46 metadata record (the sha256
    of each PDF is of the signed file). A 件 whose PDFs the superseded version stamped from the same inputs
    keeps those PDFs byte for byte, and its record the day and version of that first sealing."""
    cfg = plan.config
    who = agent(plan)
    files = [_file_entry(staging, m) for m in rec.members]
    by_path = {f["path"]: f for f in files}
    original = by_path[rec.original.path]
    made = [r for r in renditions if r.source is not None]
    for r in made:
        if r.pages is None:
            r.pages = page_count(r.source)
    pages = sum(r.pages for r in made) if made else None
    composition = "组合文件" if len(rec.members) > 1 else "单件"

    def fields_for(day: str) -> tuple[list[dict], dict[str, str]]:
        """The events and the DA/T 46 fields of a first stamping on ``day`` (the fields hold the events' actions
        and dates, not their descriptions, so they do not depend on the version sealed into)."""
        events = record_events(plan, rec, renditions, day=day, sealed_in=version, supersedes=supersedes, key=key)
        return events, core_fields(plan, rec, original=original, events=events, pages=pages or 0,
                                   composition=composition, application=original["创建程序"])

    def key_for(day: str | None) -> str | None:
        return stamp_key(plan, rec, made, fields=fields_for(day)[1], by_path=by_path, pages=pages,
                         key=key) if day else None

    old = carried_over(previous, rec, made, staging, key_for)
    if old is not None:                  # the same key: the same fields, events as that first sealing had them
        events, fields, stamped = old["业务"], fields_for(old["stamped"]["date"])[1], dict(old["stamped"])
    else:
        events, fields = fields_for(today)
        stamped = {"date": today, "version": version, "key": key_for(today)} if made else None
    relations, stamps, digitized = [], {}, []
    old_files = {f["path"]: f for f in old["files"]} if old is not None else {}
    for r in renditions:
        if r.source is None:
            continue
        staged = staging / r.path[len("data/"):]
        if old is not None:
            stamps[r.path] = old["stamps"][r.path]
        else:
            stamps[r.path] = stamp_rendition(plan, rec, r, staging, pages=pages, fields=fields,
                                             part=by_path[r.of.path])
            sign.sign_pdf(staged, key, location=cfg.fonds_name)
        files.append({"role": r.role, "path": r.path, "name": Path(r.path).name, "size": staged.stat().st_size,
                      "sha256": old_files[r.path]["sha256"] if old is not None else sha256_of(staged),
                      "format": "PDF/A-2b", "页数": r.pages, "of": r.of.path, "method": r.method})
        relations.append({"关系类型": "版式文件", "源": r.of.path, "目标": r.path,
                          "描述": f"PDF/A-2b 版式文件（{r.method}），已加盖归档章并写入元数据"
                                  + (f"，沿用 {plan.year}/{stamped['version']} 封装时的文件（逐字节相同）"
                                     if old is not None else "")})
        if r.digitization is not None:
            digitized.append({"文件": r.of.path, **{k: v for k, v in r.digitization.items()
                                                    if k not in ("dpi", "layout_dpi")}})
    for m in rec.members:
        if m.role == "message":
            relations.append({"关系类型": "来文", "源": rec.original.path, "目标": m.path,
                              "描述": "报送邮件原件（按收到时原样保存的 .eml），Message-ID "
                                      + str((rec.submission or {}).get("message_id") or "")})
        if m.role in ("attachment", "companion"):
            relations.append({"关系类型": "附件" if m.role == "attachment" else "随附材料", "源": rec.original.path,
                              "目标": m.path, "描述": "同一件的附件" if m.role == "attachment" else "报送单位随表报送"})
    if rec.letter is not None:
        relations.append({"关系类型": "去文", "源": rec.original.path, "目标": main_path(renditions),
                          "描述": f"发出的邮件原件（按发送时原样保存的 .eml，Message-ID {rec.letter.get('message_id')}，"
                                  f"收件人 {rec.letter.get('to')}）；版式文件即其所附函件 PDF（sha256 "
                                  f"{rec.letter.get('pdf_sha256')}）加盖归档章"})
    main = next((r for r in renditions if r.role == "rendition"), None)
    first_stamp = stamps.get(main.path) if main is not None and main.path in stamps else None
    return {
        **shown_in_catalogue(rec, renditions),
        "全宗号": cfg.fonds, "全宗名称": cfg.fonds_name, "立档单位名称": cfg.fonds_name,
        "门类": cfg.category, "年度": plan.year, "保管期限": rec.retention, "机构或问题": rec.organization.code,
        "机构或问题名称": rec.organization.name, "件号": rec.item, "聚合层次": AGGREGATION,
        "电子文件号": fields["electronicFileNumber"],
        "文种": fields["documentType"], "公开属性": rec.disclosure,
        "语种": "zh-CN", "稿本": DRAFT, "文件组合类型": composition, "件数": 1,
        "文档创建程序": original["创建程序"], "数字化属性": digitized, "机构人员": who,
        "电子签名": sign.describe(key) if made else None,
        "type": rec.type, "files": files, "关系": relations, "业务": events,
        "归档章": first_stamp, "stamps": stamps,
        "rendition": {"status": "ok" if main is not None and main.source is not None else "none",
                      "reason": main.reason if main is not None and main.source is None else None},
        "version": version, "supersedes": supersedes, "stamped": stamped,
        **({"主送": [rec.letter.get("unit")]} if rec.letter is not None else {}),
    }


def main_path(renditions: list) -> str | None:
    return next((r.path for r in renditions if r.role == "rendition"), None)


def portable(value, replacements: list[tuple[str, str]]):
    """``value`` (JSON data) with every absolute path of this machine replaced by its portable name."""
    if isinstance(value, dict):
        return {k: portable(v, replacements) for k, v in value.items()}
    if isinstance(value, list):
        return [portable(v, replacements) for v in value]
    if isinstance(value, str) and value.startswith("/"):
        for prefix, name in replacements:
            if value == prefix or value.startswith(prefix.rstrip("/") + "/"):
                rest = value[len(prefix.rstrip("/")):].lstrip("/")
                return f"{name}/{rest}" if rest else name
        return f"（本机路径，已略去）{Path(value).name}"
    return value


def path_replacements(plan: YearPlan) -> list[tuple[str, str]]:
    """Absolute prefixes of this machine and what the bag calls them (longest first)."""
    from ..paths import ROOT, build_root, data_dir

    pairs = [(str(i.inbox), i.inbox_label) for i in plan.intakes]
    pairs += [(i.inbox_recorded, i.inbox_label) for i in plan.intakes]
    pairs += [(str(data_dir(plan.year).resolve()), "."), (str(build_root().resolve()), "build"),
              (str(archive_root().resolve()), "archive"), (str(ROOT), "<项目目录>")]
    return sorted(((p, n) for p, n in pairs if p and p.startswith("/")), key=lambda x: -len(x[0]))


def _copy_report(source: Path, dst: Path, replacements: list[tuple[str, str]]) -> None:
    dst.parent.mkdir(parents=True, exist_ok=True)
    if source.suffix.lower() == ".json":
        import json

        write_json(dst, portable(json.loads(source.read_text(encoding="utf-8")), replacements))
    else:
        shutil.copyfile(source, dst)


# --- the seal ---------------------------------------------------------------------------------------
PARALLEL_FROM = 16          # 件 from which stamping and signing run in two processes (CPU-bound: pikepdf, pyHanko)


def _describe_one(i: int) -> dict:
    """:func:`describe_record` of the i-th 件, its metadata record written (in a forked worker: the state comes
    from :func:`lay_out`)."""
    plan, per_record, staging, version, supersedes, today, key, previous = parallel.shared()
    rec = plan.records[i]
    meta = describe_record(plan, rec, per_record.get(rec.seq, []), staging, version=version,
                           supersedes=supersedes, today=today, key=key, previous=previous)
    write_json(staging / "metadata" / f"{rec.key}.json", meta, atomic=False)    # staging: published by one rename
    return meta


def lay_out(plan: YearPlan, staging: Path, *, version: str, supersedes: str | None, today: str,
            key: sign.SigningKey, extra: dict | None = None) -> dict:
    """Write the whole payload into ``staging`` (bag not yet made); returns the seal report. Every stamped
    PDF is signed (PAdES) before its record is written, so the record's sha256 is of the signed file
    (``extra``: further fields of seal.json, e.g. the content and changes of :mod:`.changes`)."""
    from .normalize import make_renditions

    earlier = staging.parent / supersedes if supersedes else None
    for rec in plan.records:
        for m in rec.members:
            _copy(m, staging, earlier)
    replacements = path_replacements(plan)
    for source, path in plan.reports:
        _copy_report(source, staging / path[len("data/"):], replacements)
    work = Path(tempfile.mkdtemp(prefix="renditions-", dir=staging.parent))
    records_meta = []
    try:
        renditions = make_renditions(plan, staging, work)
        per_record: dict[int, list] = {}
        for r in renditions:
            per_record.setdefault(r.rec.seq, []).append(r)
        unstamped, failed = [], []
        previous = previous_records(staging.parent / supersedes, supersedes) if supersedes else None
        if any(r.method == "OCRmyPDF" for r in renditions):
            from .. import ocr

            ocr.version()                        # once, before the workers fork
        for r in renditions:                     # here, for the catalogue made ahead (PDFium in one thread only)
            if r.source is not None:
                r.pages = page_count(r.source)
        state = (plan, per_record, staging, version, supersedes, today, key, previous)
        described = parallel.fork_map(_describe_one, range(len(plan.records)), state=state,
                                      parallel_from=PARALLEL_FROM)          # the workers are forked here …
        with ThreadPoolExecutor(max_workers=1) as pool:                     # … before this thread starts
            early = pool.submit(_early_catalogue, plan, per_record, staging)
            try:
                for rec, meta in zip(plan.records, console.progress(described, "stamping, signing and describing",
                                                                    total=len(plan.records))):
                    for path, st in meta["stamps"].items():
                        if not st["placed"]:
                            unstamped.append(f"{rec.code} {path}")
                    for miss in meta["normalization"]["missing"]:
                        failed.append({"档号": rec.code, "file": miss["文件"], "reason": miss["原因"]})
                    records_meta.append(meta)
            finally:
                predicted, catalogue = early.result()       # waited for before its PDFs are deleted
    finally:
        shutil.rmtree(work, ignore_errors=True)
    from .catalogue import rows, write_catalogue

    if rows(predicted) != rows(records_meta):       # never the case unless describing changed what it shows
        log.warning("the 归档文件目录 made ahead differs from the records; made again from them")
        catalogue = write_catalogue(plan, records_meta, staging)
    cfg = plan.config
    subs = [r for r in plan.records if r.type == "submission"]
    from .. import ocr

    report = {
        "year": plan.year, "version": version, "supersedes": supersedes, "sealed": today,
        "config": asdict(cfg), "records": len(plan.records),
        "date_range": [f"{plan.year}-01-01", f"{plan.year}-12-31"],
        "records_by_type": {t: sum(1 for r in plan.records if r.type == t)
                            for t in RECORD_TYPES},
        "classes": {k: sum(1 for r in plan.records if r.class_key == k)
                    for k in dict.fromkeys(r.class_key for r in plan.records)},
        "submitted_files": {i.kind: len(i.submissions) for i in plan.intakes},
        "intake_reports": {i.kind: f"data/reports/{i.stage}/{i.report_file.name}" for i in plan.intakes},
        "inboxes": {i.kind: i.inbox_label for i in plan.intakes},
        "catalogue": catalogue,
        "rejected": sorted(r.submission["file"] for r in subs if r.submission.get("status") == "rejected"),
        "renditions_missing": failed, "stamps_not_placed": unstamped,
        "pdfs_carried_over": sum((m.get("stamped") or {}).get("version") not in (None, version) for m in records_meta),
        "software": {"pikepdf": pikepdf.__version__, "bagit": bagit.VERSION, "pyhanko": pyhanko_version(),
                     "ocr": ocr.version() if any(r.method == "OCRmyPDF" for r in renditions) else None},
        "signature": sign.describe(key),
    }
    report.update(extra or {})
    write_json(staging / "reports" / SEAL_REPORT, report)
    return report


def _early_catalogue(plan: YearPlan, per_record: dict[int, list], staging: Path) -> tuple[list[dict], dict]:
    """The 归档文件目录 made while the 件 are stamped and described (its PDF is a LibreOffice conversion, mostly
    waiting), from :func:`shown_in_catalogue` of each 件. Returns those fields and the catalogue's paths;
    :func:`lay_out` compares them with the records written and makes the catalogue again if they differ."""
    from .catalogue import write_catalogue

    predicted = [shown_in_catalogue(rec, per_record.get(rec.seq, [])) for rec in plan.records]
    return predicted, write_catalogue(plan, predicted, staging)


def pyhanko_version() -> str:
    from importlib.metadata import version
    return version("pyhanko")


def share(earlier: Path | None, dst: Path, sha256: str) -> bool:
    """Put into ``dst`` the file ``earlier`` of the sealed version a new one supersedes, as a hard link (a copy
    on a file system without links), when it is a regular file with exactly the bytes of ``sha256``: versions
    then store unchanged content once, as OCFL does. False, and nothing at ``dst``, when there is no such
    file or its bytes differ (damage in a sealed version is never carried over). ``invoke verify`` checks every
    version's files, so damage to a shared file later is reported in each version that holds it."""
    if earlier is None or os.path.islink(earlier) or not os.path.isfile(earlier):
        return False
    try:
        os.link(earlier, dst, follow_symlinks=False)
    except OSError:
        shutil.copyfile(earlier, dst)
    if sha256_of(dst) == sha256:
        return True
    log.warning("%s differs from its sealed sha256; not taken over", earlier)
    dst.unlink()
    return False


def _copy(m: Member, staging: Path, earlier: Path | None = None) -> None:
    """Place member ``m`` into the bag: shared with the superseded version's bag ``earlier`` when that holds
    the same bytes at the same place (:func:`share`), else copied and checked against the intake's sha256."""
    dst = staging / m.path[len("data/"):]
    dst.parent.mkdir(parents=True, exist_ok=True)
    if dst.exists():
        raise VerificationError(f"{m.path}: two files of the year map to the same name in the bag ({m.source})")
    if m.sha256 and share(earlier / m.path if earlier is not None else None, dst, m.sha256):
        return
    shutil.copyfile(m.source, dst)
    if m.sha256 and sha256_of(dst) != m.sha256:
        raise VerificationError(f"{m.source}: the copy in the bag differs from the intake report's sha256",
                                hint="the file changed while sealing; run the seal again")


IN_BAG_REPORT = "data/reports/四性检测报告.json"


def bag_label(year: int, version: str) -> str:
    """Which sealed bag this is on this machine (the key of its kept per-PDF checks, :func:`.verify.keep_checks`)."""
    return f"{archive_root().resolve()}/{year}/{version}"


def check_staged(staging: Path, *, year: int, version: str, supersedes: str | None = None,
                 carried: int = 0) -> dict:
    """四性检测 of the freshly made bag, written into its payload (the report covers the bag as it was before
    the report was added; the manifests updated afterwards are checked by the full BagIt validation). The
    PDFs and Office files byte for byte the same as in ``supersedes`` are not opened again when the seal of
    that version kept their results the same day (:func:`.verify.recall_checks`); the report says so."""
    from .verify import recall_checks, verify_bag

    trusted = sign.trusted_fingerprints()
    recalled = recall_checks(trusted, bag_label(year, supersedes)) if supersedes and carried else 0
    result = verify_bag(staging, root=staging.parent.parent, index_entries=[], year=year, version=version,
                        check_index=False, check_bagit=False, trusted=trusted)
    result = json.loads(json.dumps(result, ensure_ascii=False).replace(str(staging) + "/", ""))
    result["scope"] = ("封装时对新包的四性检测；本报告及随后更新的清单文件（manifest、bag-info）不在本次检测之内，"
                       "由封装后的完整 BagIt 校验及此后每次 invoke verify 覆盖")
    if recalled:
        result["scope"] += (f"；沿用 {supersedes} 的 {carried} 件的 PDF 及与 {supersedes} 逐字节相同（sha256）的 Office "
                            f"文件，其逐文件检测（PDF/A、字体、签名，Office 文件能否打开、安全检查、宏等）采用同日封装 "
                            f"{supersedes} 时对同一字节的检测结果")
    write_json(staging / IN_BAG_REPORT, result)
    return result


def bag_info(plan: YearPlan, report: dict) -> dict[str, str]:
    cfg = plan.config
    c = report["records_by_type"]
    info = {
        "Source-Organization": cfg.source_organization,
        "External-Identifier": f"{cfg.fonds}-{cfg.category}·{plan.year}-{report['version']}",
        "External-Description": (f"{plan.year}年全国科技活动周文件归档包：通知、推荐清单、汇总报告及各单位报送材料，"
                                 f"共{report['records']}件（报送材料{c['submission']}件"
                                 + (f"，函件（去文）{c['letter']}件" if c.get("letter") else "") + "）；"
                                 "档号、DA/T 46 元数据见 data/metadata/，版式文件为 PDF/A-2b；归档文件目录见 "
                                 f"{report['catalogue']['pdf']}，四性检测报告见 {IN_BAG_REPORT}"),
        "Bag-Group-Identifier": f"{cfg.fonds}-{cfg.category}·{plan.year}",
        "Internal-Sender-Identifier": f"{plan.year}/{report['version']}",
        "Bagging-Date": report["sealed"],
        "Archival-Catalogue": f"{report['catalogue']['pdf']}; {report['catalogue']['xlsx']}",
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
    from .verify import keep_checks

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
            with console.status("bagging (sha256 + sha512), 四性检测 of the new bag, validating"):
                bagging.make_bag(staging, bag_info(plan, report))
                sign.sign_bag(staging, key)
                seal_check = check_staged(staging, year=year, version=version, supersedes=supersedes,
                                          carried=report.get("pdfs_carried_over", 0))
                (staging / sign.TAG_SIGNATURE).unlink()          # the tag manifest changes: signed again below
                bagging.add_to_payload(staging, [IN_BAG_REPORT], {"Verification-Report": IN_BAG_REPORT})
                sign.sign_bag(staging, key)
                problems = bagging.validate(staging)
            if problems:
                raise VerificationError(f"{year}: the new bag does not validate: "
                                        + "; ".join(f"{p.path}: {p.message}" for p in problems[:10]))
            if not seal_check["ok"]:
                raise VerificationError(f"{year}: the new bag fails its 四性检测: " + "; ".join(
                    f"{f['file']}: [{f['check']}] {f['message']}" for f in seal_check["failures"][:10]),
                    hint="nothing was published; fix the cause and seal again")
            final = year_dir / version
            if final.exists():
                raise VerificationError(f"{final} appeared while sealing; nothing was replaced")
            os.chmod(staging, 0o755)
            keep_checks(sign.trusted_fingerprints(), bag_label(year, version))     # for a next seal today
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
    if report.get("pdfs_carried_over"):
        console.say(f"{report['pdfs_carried_over']} 件 unchanged since {report['supersedes']}: their stamped, signed "
                    f"PDFs taken over byte for byte")
    for label, key in (("+", "added"), ("-", "removed"), ("~", "changed")):
        for c in (delta or {}).get(key) or []:
            console.say(f"  {label} {c['档号']}  {c['题名']}")


def _closing_table(plan: YearPlan, report: dict, final: Path) -> None:
    c = report["records_by_type"]
    title = f"{plan.year} → {final}" + (f"（替代 {report['supersedes']}）" if report["supersedes"] else "")
    console.table(title, ["件", "通知", "推荐清单", "汇总报告", "报送材料", "函件（去文）", "退回", "无版式文件", "未盖章"],
                  [(report["records"], c["notice"], c["recommendations"], c["summary"], c["submission"],
                    c.get("letter", 0), len(report["rejected"]), len(report["renditions_missing"]), len(report["stamps_not_placed"]))])
    first, last = plan.records[0].code, plan.records[-1].code
    console.say(f"档号 {first} … {last}")
    for miss in report["renditions_missing"]:
        console.say(f"  {miss['档号']}  {miss['file']}: {miss['reason']}")

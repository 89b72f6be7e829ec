"""Normalization (GB/T 18894-2016): a PDF/A-2b rendition of every part of a 件 that is not in an archival
format, next to the original, which stays byte-identical.

- a submitted workbook (.xlsx/.xls/.ods): LibreOffice calc, in one batch with the documents below (the
  workbooks the intake refused go in a batch of their own); a file that fails the intake's safety checks
  is never opened;
- a companion document (.docx, .doc, .wps, .odt, .rtf — a unit's own 总结报告): LibreOffice writer;
- a scan (.pdf, .png, .jpg, .tif — the 盖章扫描件): OCRmyPDF, searchable through Tesseract ``chi_sim``;
  its 数字化属性 (resolution, colour, device when the file names one) are read from the file itself;
- anything else (a .txt, .zip, .ofd …): no rendition; the record says why and verify warns.

Every rendition is made once per distinct content: LibreOffice's through the converter's cache, OCRmyPDF's
through :mod:`kjhdz_docs.cache` (kind ``ocr``; key: the scan's bytes, the resolution given, OCRmyPDF's and
Tesseract's versions, the languages and this module's code).
"""

from __future__ import annotations

import logging
import shutil
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from .. import console
from ..errors import ConversionError
from .records import NAME_BYTES, WORKBOOK_SUFFIXES, Member, Record, YearPlan, bag_name

log = logging.getLogger(__name__)

DOCUMENT_SUFFIXES = {".docx", ".doc", ".wps", ".odt", ".rtf"}
A4_WIDTH_IN = 210 / 25.4
UNSAFE = "未转换：文件未通过安全检查（{rule}：{message}），按原样归档"


@dataclass
class Rendition:
    """The PDF/A-2b of one part of a 件 (or the reason there is none)."""

    rec: Record
    of: Member                       # the part it renders
    path: str                        # where the stamped PDF goes in the bag
    role: str                        # rendition (of the 件's own document) | normalized (of a companion)
    method: str                      # LibreOffice | OCRmyPDF | 构建
    source: Path | None = None       # the unstamped PDF, once made
    reason: str | None = None        # why there is none
    digitization: dict | None = None  # 数字化属性 of a scan
    pages: int | None = None
    notes: list[str] = field(default_factory=list)


def kind_of(name: str) -> str:
    suffix = PurePosixPath(name).suffix.lower()
    from ..ocr import SCAN_SUFFIXES

    if suffix in WORKBOOK_SUFFIXES:
        return "workbook"
    if suffix in DOCUMENT_SUFFIXES:
        return "document"
    if suffix in SCAN_SUFFIXES:
        return "scan"
    return "other"


def plan_renditions(plan: YearPlan) -> list[Rendition]:
    """One entry per part to render: the built PDFs, every submitted workbook, scan and document."""
    out: list[Rendition] = []
    for rec in plan.records:
        used = {m.path for m in rec.members}
        if rec.type != "submission":
            out.append(Rendition(rec, rec.original, rec.rendition_path, "rendition", "构建",
                                 source=rec.rendition_source))
            continue
        for m in rec.members:
            if m.role not in ("submission", "companion"):
                continue
            kind = kind_of(m.name)
            main = m.role == "submission"
            if main and kind == "workbook" and rec.rendition_path:
                path = rec.rendition_path
            else:
                path = f"{rec.folder}/{bag_name(m.name, limit=NAME_BYTES - 4)}.pdf"
            n = 2
            while path in used:
                path = f"{rec.folder}/{bag_name(PurePosixPath(m.name).stem, limit=NAME_BYTES - 12)}-{n}.pdf"
                n += 1
            used.add(path)
            method = {"workbook": "LibreOffice", "document": "LibreOffice", "scan": "OCRmyPDF"}.get(kind, "")
            r = Rendition(rec, m, path, "rendition" if main else "normalized", method)
            if kind == "other":
                r.reason = (f"未转换：{PurePosixPath(m.name).suffix or '无扩展名'} 格式无可用的 PDF/A 转换，按原样归档"
                            "（请人工核对其内容）")
            out.append(r)
    return out


def _staged(staging: Path, m: Member) -> Path:
    return staging / m.path[len("data/"):]


def make_renditions(plan: YearPlan, staging: Path, work: Path) -> list[Rendition]:
    """Make every planned rendition into ``work`` (unstamped); failures become reasons."""
    from .. import converter
    from ..intake.safety import UnsafeFile, check_file

    from .prefetch import wait_all

    renditions = plan_renditions(plan)
    with console.status("waiting for the renditions made ahead"):
        wait_all()
    batches: dict[str, list[tuple[Path, Path]]] = {"read": [], "rejected": []}
    waiting: dict[Path, Rendition] = {}
    scans: list[Rendition] = []
    for n, r in enumerate(renditions):
        if r.method == "构建" or r.reason:
            continue
        staged = _staged(staging, r.of)
        if r.method == "OCRmyPDF":
            scans.append(r)
            continue
        if kind_of(r.of.name) == "workbook":
            try:
                check_file(staged)
            except UnsafeFile as exc:
                r.reason = UNSAFE.format(rule=exc.rule, message=exc.message)
                continue
        target = work / f"{n:05d}.pdf"
        waiting[target] = r
        status = (r.rec.submission or {}).get("status")
        batches["rejected" if status == "rejected" and r.role == "rendition" else "read"].append((staged, target))
    wait_ocr = _start_ocr(scans, staging, work)     # the scans' OCR runs beside LibreOffice's conversions
    try:
        for name, jobs in batches.items():
            if not jobs:
                continue
            with console.status(f"converting {len(jobs)} submitted workbook(s) and document(s) to PDF/A-2b ({name})"):
                try:
                    converter.convert_to_pdf(jobs, workers=2, link_from_cache=True)     # work: read, then deleted
                except ConversionError as exc:
                    log.warning("%d of %d file(s) could not be rendered: %s", len(exc.documents), len(jobs),
                                str(exc).splitlines()[0])
            for _, target in jobs:
                r = waiting[target]
                if target.exists():
                    r.source = target
                else:
                    r.reason = "未转换：LibreOffice 未能打开该文件生成 PDF/A，按原样归档"
    finally:
        wait_ocr()
    return renditions


OCR_PROCESSES = 2          # OCRmyPDF runs with --jobs 1; two scans at a time use both cores


def ocr_key(scan: Path) -> tuple[str, int | None, dict]:
    """The cache key of ``scan``'s OCR (its bytes, the resolution given to OCRmyPDF, the languages, the
    programs' versions, the code), that resolution, and the scan's 数字化属性."""
    from .. import cache, ocr

    found = digitization(scan)
    dpi = found["layout_dpi"] if scan.suffix.lower() != ".pdf" and not found.get("dpi") else None
    key = (cache.Key("ocr").file("scan", scan).add("dpi", dpi).add("languages", ocr.LANGUAGES)
           .add("tools", ocr.version()).add("code", cache.file_sha256(Path(ocr.__file__))).hexdigest())
    return key, dpi, found


def ocr_into_cache(scan: Path, target: Path, key: str, dpi: int | None) -> str | None:
    """OCR ``scan`` into ``target`` and keep it in the cache under ``key``; the reason when it failed."""
    from .. import cache, ocr

    result = ocr.to_pdfa(scan, target, image_dpi=dpi)
    if not result.ok:
        return result.reason
    cache.put("ocr", key, {"pdf": target})
    return None


def _start_ocr(scans: list[Rendition], staging: Path, work: Path):
    """Start the OCR of every scan into ``work`` — one OCR per distinct content (within the run and, through
    the cache, across runs), two OCRmyPDF processes at a time, beside LibreOffice's conversions (neither waits
    for the other's start-up and tail) — and return the function that waits for it (raising its error)."""
    from concurrent.futures import ThreadPoolExecutor

    from .. import cache

    if not scans:
        return lambda: None
    first: dict[str, tuple[Rendition, Path, Path, int | None]] = {}    # key → the scan that is OCR'd
    same: list[tuple[Rendition, str, Path]] = []                        # scans whose content comes again
    for n, r in enumerate(scans):
        staged = _staged(staging, r.of)
        key, dpi, r.digitization = ocr_key(staged)
        target = work / f"ocr-{n:04d}.pdf"
        if key in first:
            same.append((r, key, target))
            continue
        first[key] = (r, staged, target, dpi)

    def one(key: str) -> None:
        r, staged, target, dpi = first[key]
        hit = cache.get("ocr", key)
        if hit is not None and "pdf" in hit.files:
            r.source = cache.restore(hit, "pdf", target)
            return
        why = ocr_into_cache(staged, target, key, dpi)
        if why:
            r.reason = why + "；原件按原样归档"
            return
        r.source = target

    pool = ThreadPoolExecutor(max_workers=OCR_PROCESSES, thread_name_prefix="ocr")
    futures = [pool.submit(one, key) for key in first]

    def wait() -> None:
        try:
            with console.status(f"OCR of {len(first)} scan(s) (PDF/A-2b, chi_sim)"):
                for f in futures:
                    f.result()
        finally:
            pool.shutdown(wait=True, cancel_futures=True)
        for r, key, target in same:
            made = first[key][0]
            if made.source is not None:
                shutil.copyfile(made.source, target)
                r.source = target
            else:
                r.reason = made.reason
    return wait


# --- 数字化属性 ---------------------------------------------------------------------------------------
COLOUR = {"1": "黑白二值", "L": "灰度", "LA": "灰度", "P": "彩色（调色板）", "RGB": "彩色", "RGBA": "彩色",
          "CMYK": "彩色（CMYK）", "I;16": "灰度（16位）"}


def digitization(path: Path) -> dict:
    """数字化属性 (DA/T 46-2009) of a scan as the file itself records them: resolution, colour, device.
    What the file does not record is said to be unrecorded, never guessed."""
    suffix = path.suffix.lower()
    if suffix == ".pdf":
        return _pdf_digitization(path)
    from PIL import Image

    with Image.open(path) as img:
        dpi = img.info.get("dpi")
        exif = img.getexif()
        device = " ".join(str(exif.get(t)).strip() for t in (271, 272) if exif.get(t)) or None
        software = exif.get(305) or img.info.get("Software")
        width, height, mode = img.width, img.height, img.mode
    dpi_value = round(float(dpi[0])) if dpi and float(dpi[0]) > 1 else None
    out = {"数字化对象形态": "纸质文件扫描件或照片", "扫描分辨率": f"{dpi_value} dpi" if dpi_value else "原图未记录",
           "扫描色彩模式": COLOUR.get(mode, mode), "图像尺寸": f"{width}×{height} 像素",
           "数字化设备信息": device or "未记录", "数字化软件": str(software) if software else "未记录",
           "dpi": dpi_value, "layout_dpi": dpi_value or max(36, round(width / A4_WIDTH_IN))}
    if not dpi_value:
        out["说明"] = f"原图未记录分辨率，版式文件按 A4 宽度排版（折合 {out['layout_dpi']} dpi），实际扫描分辨率不详"
    return out


def _pdf_digitization(path: Path) -> dict:
    import pikepdf

    out = {"数字化对象形态": "纸质文件扫描件", "扫描分辨率": "未记录", "扫描色彩模式": "未记录",
           "数字化设备信息": "未记录", "数字化软件": "未记录", "dpi": None, "layout_dpi": None}
    try:
        with pikepdf.open(path) as pdf:
            info = pdf.docinfo
            made = [str(info[k]) for k in ("/Creator", "/Producer") if k in info]
            if made:
                out["数字化软件"] = "；".join(made)
            page = pdf.pages[0]
            images = list((page.get_images() if hasattr(page, "get_images") else page.images).values())
            if images:
                img = images[0]
                width_pt = float(page.mediabox[2]) - float(page.mediabox[0])
                dpi = round(int(img.Width) / (width_pt / 72))
                space = str(img.get("/ColorSpace", ""))
                bpc = int(img.get("/BitsPerComponent", 8))
                colour = "黑白二值" if bpc == 1 else {"/DeviceRGB": "彩色", "/DeviceGray": "灰度",
                                                     "/DeviceCMYK": "彩色（CMYK）"}.get(space, space or "未记录")
                out.update({"扫描分辨率": f"约 {dpi} dpi（由第1页图像像素与页面尺寸计算）", "扫描色彩模式": colour,
                            "图像尺寸": f"{int(img.Width)}×{int(img.Height)} 像素", "dpi": dpi})
            else:
                out["说明"] = "第1页不含图像（非扫描生成的 PDF）"
    except (pikepdf.PdfError, OSError, ValueError, KeyError) as exc:
        out["说明"] = f"无法读取：{type(exc).__name__}"
    return out


def creating_application(path: Path) -> str:
    """文档创建程序 as the file itself names it (Office app.xml, PDF Creator/Producer), else 未记录."""
    import re
    import zipfile

    suffix = path.suffix.lower()
    try:
        if suffix in (".docx", ".xlsx", ".xlsm", ".pptx"):
            with zipfile.ZipFile(path) as z:
                if "docProps/app.xml" in z.namelist():
                    xml = z.read("docProps/app.xml")[:20000].decode("utf-8", "replace")
                    app = re.search(r"<Application>([^<]{1,100})</Application>", xml)
                    ver = re.search(r"<AppVersion>([^<]{1,20})</AppVersion>", xml)
                    if app:
                        return app.group(1).strip() + (f" {ver.group(1).strip()}" if ver else "")
        elif suffix == ".ods":
            with zipfile.ZipFile(path) as z:
                if "meta.xml" in z.namelist():
                    xml = z.read("meta.xml")[:20000].decode("utf-8", "replace")
                    gen = re.search(r"<meta:generator>([^<]{1,200})</meta:generator>", xml)
                    if gen:
                        return gen.group(1).strip()
        elif suffix == ".pdf":
            import pikepdf

            with pikepdf.open(path) as pdf:
                made = [str(pdf.docinfo[k]) for k in ("/Creator", "/Producer") if k in pdf.docinfo]
                if made:
                    return "；".join(dict.fromkeys(made))
    except Exception:                          # a damaged or hostile file names no program
        return "未记录"
    return "未记录"

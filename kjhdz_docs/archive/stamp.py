"""Archival metadata and the 归档章 in PDFs: the one module that edits PDFs with pikepdf.

- XMP: Dublin Core (dc:title, dc:creator, dc:date, dc:identifier = 档号, dc:language zh-CN) and the
  DA/T 46 core in the project namespace, declared in a ``pdfaExtension`` schema block so the file
  still conforms to PDF/A-2b. DocInfo is kept in step (``update_docinfo=True``); Producer names
  both the program that made the PDF and pikepdf, which rewrote it.
- 归档章 (DA/T 22-2015): a 45 × 16 mm box of 2 × 3 cells (全宗号 | 年度 | 件号 / 机构 | 保管期限 | 页数)
  drawn in the first blank spot found at the top of page 1 (checked with PDFium: no character,
  path, shading or inked pixel of an image within 1.5 mm). Its characters are vector outlines taken from a
  CJK font with fontTools, so no font is added to the PDF.
- :func:`inspect_pdf`: what verify needs to know of a PDF (pages, PDF/A claim, fonts embedded,
  JavaScript, encryption, embedded files, the archival fields).
"""

from __future__ import annotations

from ..staging import save_pdf
import functools
import logging
import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pikepdf
from pikepdf.models.metadata import PdfMetadata

from ..fonts import fontconfig_env
from ..reproducible import document_time, set_pdf_dates

MM = 72 / 25.4
STAMP_W, STAMP_H = 45 * MM, 16 * MM
CLEARANCE = 1.5 * MM
STAMP_RGB = (0.80, 0.0, 0.0)

NS = "http://kjhdz-docs.org/ns/da46/1.0/"
PREFIX = "da"
# XMP property -> (DA/T 46 element, description in the extension schema)
FIELDS: dict[str, str] = {
    "archivalCode": "档号",
    "fonds": "全宗号",
    "category": "门类代码",
    "year": "年度",
    "retention": "保管期限",
    "organization": "机构或问题",
    "itemNumber": "件号",
    "documentNumber": "文件编号",
    "responsible": "责任者",
    "date": "日期",
    "pageCount": "页数",
    "disclosure": "公开属性",
    "recordType": "文件类型",
    "originalName": "原始文件名",
    "originalSha256": "原始文件SHA-256",
    "originalSize": "计算机文件大小（原始文件，字节）",
    "originalFormat": "格式信息（原始文件）",
    "aggregationLevel": "聚合层次",
    "archivingUnit": "立档单位名称",
    "fondsName": "全宗名称",
    "electronicFileNumber": "电子文件号",
    "title": "题名",
    "documentType": "文种",
    "draft": "稿本",
    "compositionType": "文件组合类型",
    "creatingApplication": "文档创建程序",
    "classification": "密级",
    "reportingUnit": "报送单位（名册单位）",
    "language": "语种",
    "agent": "机构人员",
    "events": "业务（行为、时间、机构人员）",
    "digitization": "数字化属性",
    "filePages": "本文件页数",
    "renditionOf": "实体关系：本版式文件所转换的文件",
}
# DocInfo keys (second-class names, ASCII) mirroring the DA/T 46 fields, kept equal to the XMP values
DOCINFO_PREFIX = "/DA46"
PDFA_EXT = "http://www.aiim.org/pdfa/ns/extension/"
PDFA_SCHEMA = "http://www.aiim.org/pdfa/ns/schema#"
PDFA_PROPERTY = "http://www.aiim.org/pdfa/ns/property#"
RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"

PdfMetadata.register_xml_namespace(NS, PREFIX)
logging.getLogger("pikepdf").setLevel(logging.WARNING)
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class StampCells:
    """What the 归档章 shows: top row 全宗号 | 年度 | 件号, bottom row 机构 | 保管期限 | 页数."""

    fonds: str
    year: str
    item: str
    organization: str
    retention: str
    pages: str

    def rows(self) -> tuple[tuple[str, str, str], tuple[str, str, str]]:
        return (self.fonds, self.year, self.item), (self.organization, self.retention, self.pages)


@dataclass(frozen=True)
class Placement:
    x: float        # left edge, pt from the page's left
    top: float      # top edge, pt from the page's top
    where: str      # top-centre | top-right | top-left


@dataclass(frozen=True)
class StampResult:
    pages: int
    placement: Placement | None


# --- where the stamp goes ---------------------------------------------------------------------------
RASTER_DPI = 36
INK = 170            # a pixel darker than this (0–255 grey) is ink, not paper


def _first_page(path: Path):
    """Page 1 as PDFium sees it: (width, height, boxes of everything drawn except images (pt, from the
    top-left), whether it holds an image, the page rendered in grey at RASTER_DPI when it does).

    Characters are their glyph boxes; paths and shadings their bounds, form XObjects looked into. Measured on
    the sample year's 130 renditions: the same placements as pdfplumber's characters, lines, rectangles and
    curves, at a sixth of the time."""
    import pypdfium2 as pdfium
    import pypdfium2.raw as raw

    pdf = pdfium.PdfDocument(str(path))
    try:
        page = pdf[0]
        width, height = page.get_size()
        left, _, _, top = page.get_mediabox()
        boxes, images = [], False
        text = page.get_textpage()
        try:
            for i in range(text.count_chars()):
                x0, y0, x1, y1 = text.get_charbox(i)
                if x1 > x0 or y1 > y0:
                    boxes.append((x0 - left, top - y1, x1 - left, top - y0))
        finally:
            text.close()
        for obj in page.get_objects(max_depth=15):
            if obj.type == raw.FPDF_PAGEOBJ_IMAGE:
                images = True
            elif obj.type in (raw.FPDF_PAGEOBJ_PATH, raw.FPDF_PAGEOBJ_SHADING):
                x0, y0, x1, y1 = obj.get_bounds()
                boxes.append((x0 - left, top - y1, x1 - left, top - y0))
        raster = page.render(scale=RASTER_DPI / 72, grayscale=True).to_pil().convert("L") if images else None
        return width, height, boxes, images, raster
    finally:
        pdf.close()


def _raster_blank(img, x: float, top: float) -> bool:
    """No ink in the stamp's box (and its clearance) on the rendered page."""
    k = RASTER_DPI / 72
    box = (int((x - CLEARANCE) * k), int((top - CLEARANCE) * k),
           int((x + STAMP_W + CLEARANCE) * k) + 1, int((top + STAMP_H + CLEARANCE) * k) + 1)
    lo, _ = img.crop(box).getextrema()
    return lo >= INK


def find_blank_spot(path: Path) -> Placement | None:
    """The first blank 45 × 16 mm spot at the top of page 1: centre, then right, then left; None if none.

    Text, paths and shadings are taken from the page's content (PDFium); where the page holds images (a
    scan), the page is also rendered and the spot must show no ink."""
    import pypdfium2 as pdfium

    try:
        width, height, boxes, _, raster = _first_page(path)
    except (pdfium.PdfiumError, OSError) as exc:     # a page PDFium cannot read: no place for the stamp
        log.warning("%s: page 1 could not be read to place the 归档章 (%s)", path, exc)
        return None
    candidates = [("top-centre", (width - STAMP_W) / 2), ("top-right", width - STAMP_W - 12 * MM),
                  ("top-left", 12 * MM)]
    for where, x in candidates:
        top = 5 * MM
        while top + STAMP_H <= min(height / 4, 60 * MM):
            if _is_blank(boxes, x, top) and (raster is None or _raster_blank(raster, x, top)):
                return Placement(round(x, 2), round(top, 2), where)
            top += 1 * MM
    return None


def blank_spot(path: Path) -> Placement | None:
    """:func:`find_blank_spot`, remembered in :mod:`kjhdz_docs.cache` by the PDF's bytes and this module's
    code."""
    from dataclasses import asdict

    from .. import cache

    key = cache.Key("stamp-spot").file("pdf", path).add("code", cache.file_sha256(Path(__file__))).hexdigest()
    hit = cache.get("stamp-spot", key)
    if hit is not None and "placement" in hit.info:
        found = hit.info["placement"]
        return Placement(**found) if found else None
    placement = find_blank_spot(path)
    cache.put("stamp-spot", key, {}, info={"placement": asdict(placement) if placement else None})
    return placement


def _is_blank(boxes, x: float, top: float) -> bool:
    x0, y0 = x - CLEARANCE, top - CLEARANCE
    x1, y1 = x + STAMP_W + CLEARANCE, top + STAMP_H + CLEARANCE
    return not any(bx0 < x1 and bx1 > x0 and by0 < y1 and by1 > y0 for bx0, by0, bx1, by1 in boxes)


# --- glyph outlines -------------------------------------------------------------------------------
@functools.lru_cache(maxsize=1)
def stamp_font_file() -> str:
    """The CJK font whose outlines draw the stamp's characters (黑体 → FandolHei via fonts.conf)."""
    fc = shutil.which("fc-match")
    if fc:
        got = subprocess.run([fc, "-f", "%{file}", "黑体"], env=fontconfig_env(), capture_output=True,
                             text=True, timeout=30).stdout.strip()
        if got and Path(got).exists() and got.lower().endswith((".otf", ".ttf", ".ttc")):
            return got
    for fallback in ("/usr/share/texlive/texmf-dist/fonts/opentype/public/fandol/FandolHei-Regular.otf",
                     "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc"):
        if os.path.exists(fallback):
            return fallback
    from ..errors import MissingDependencyError
    raise MissingDependencyError("no CJK font to draw the 归档章 with",
                                 hint="apt-get install texlive-lang-chinese fonts-noto-cjk")


@functools.lru_cache(maxsize=1)
def _font():
    from fontTools.ttLib import TTFont

    path = stamp_font_file()
    font = TTFont(path, fontNumber=2 if path.endswith(".ttc") else -1, lazy=True)
    return font, font.getGlyphSet(), font.getBestCmap(), font["head"].unitsPerEm, font["hmtx"]


def _fmt(v: float) -> str:
    return f"{v:.2f}".rstrip("0").rstrip(".") or "0"


@functools.lru_cache(maxsize=4096)
def _glyph_path(name: str) -> tuple[tuple[str, tuple], ...]:
    """Glyph ``name``'s outline in font units as (PDF path operator, points), read from the font once: the
    stamps of a year use a few dozen characters, thousands of times."""
    from fontTools.pens.basePen import BasePen

    _, glyphs, *_ = _font()
    path: list[tuple[str, tuple]] = []

    class Recorder(BasePen):
        def _moveTo(self, p):
            path.append(("m", (p,)))

        def _lineTo(self, p):
            path.append(("l", (p,)))

        def _curveToOne(self, p1, p2, p3):
            path.append(("c", (p1, p2, p3)))

        def _closePath(self):
            path.append(("h", ()))

    glyphs[name].draw(Recorder(glyphs))
    return tuple(path)


def text_outline(text: str, cx: float, cy: float, max_w: float, max_size: float) -> tuple[bytes, float]:
    """PDF path operators filling ``text`` centred on (cx, cy) (PDF user space); returns (ops, font size)."""
    _, _, cmap, upm, hmtx = _font()
    names = [cmap.get(ord(ch)) or ".notdef" for ch in text]
    advance = sum(hmtx[n][0] for n in names) or upm
    size = min(max_size, max_w * upm / advance)
    scale = size / upm
    x = cx - advance * scale / 2
    base = cy - 0.36 * size
    ops: list[str] = []
    for n in names:
        for op, points in _glyph_path(n):
            ops.append(" ".join([*(f"{_fmt(x + p[0] * scale)} {_fmt(base + p[1] * scale)}" for p in points), op]))
        x += hmtx[n][0] * scale
    if ops:
        ops.append("f")
    return ("\n".join(ops) + "\n").encode("ascii"), size


def stamp_stream(cells: StampCells, x: float, y_bottom: float) -> bytes:
    """Content stream of the 归档章 with its lower-left corner at (x, y_bottom) in PDF user space."""
    r, g, b = STAMP_RGB
    cw, ch = STAMP_W / 3, STAMP_H / 2
    out = [f"q\n{r} {g} {b} RG {r} {g} {b} rg\n0.8 w\n"
           f"{_fmt(x)} {_fmt(y_bottom)} {_fmt(STAMP_W)} {_fmt(STAMP_H)} re S\n"
           f"{_fmt(x)} {_fmt(y_bottom + ch)} m {_fmt(x + STAMP_W)} {_fmt(y_bottom + ch)} l S\n"]
    for i in (1, 2):
        out.append(f"{_fmt(x + i * cw)} {_fmt(y_bottom)} m {_fmt(x + i * cw)} {_fmt(y_bottom + STAMP_H)} l S\n")
    parts = [b"".join(s.encode("ascii") for s in out)]
    for row, texts in enumerate(cells.rows()):
        cy = y_bottom + STAMP_H - ch * (row + 0.5)
        for col, text in enumerate(texts):
            if text:
                ops, _ = text_outline(text, x + cw * (col + 0.5), cy, cw - 2 * MM, 4.2 * MM)
                parts.append(ops)
    parts.append(b"Q\n")
    return b"".join(parts)


def draw_stamp(pdf: pikepdf.Pdf, cells: StampCells, placement: Placement) -> None:
    """Add the 归档章 to page 1 (the page's own content is wrapped in q/Q first)."""
    page = pdf.pages[0]
    llx, lly, urx, ury = [float(v) for v in page.mediabox]
    x = llx + placement.x
    y_bottom = ury - placement.top - STAMP_H
    page.contents_add(pikepdf.Stream(pdf, b"q\n"), prepend=True)
    page.contents_add(pikepdf.Stream(pdf, b"\nQ\n" + stamp_stream(cells, x, y_bottom)), prepend=False)


# --- XMP -------------------------------------------------------------------------------------------
def extension_schema_xml() -> str:
    """The ``pdfaExtension:schemas`` description declaring every project property (PDF/A-2 §6.6.2.3)."""
    props = "".join(
        f"<rdf:li rdf:parseType=\"Resource\"><pdfaProperty:name>{name}</pdfaProperty:name>"
        f"<pdfaProperty:valueType>Text</pdfaProperty:valueType>"
        f"<pdfaProperty:category>external</pdfaProperty:category>"
        f"<pdfaProperty:description>{desc}（DA/T 46-2009）</pdfaProperty:description></rdf:li>"
        for name, desc in FIELDS.items())
    return (f"<rdf:Description rdf:about=\"\" xmlns:rdf=\"{RDF}\" xmlns:pdfaExtension=\"{PDFA_EXT}\" "
            f"xmlns:pdfaSchema=\"{PDFA_SCHEMA}\" xmlns:pdfaProperty=\"{PDFA_PROPERTY}\">"
            f"<pdfaExtension:schemas><rdf:Bag><rdf:li rdf:parseType=\"Resource\">"
            f"<pdfaSchema:schema>DA/T 46-2009 文书类电子文件元数据（kjhdz-docs）</pdfaSchema:schema>"
            f"<pdfaSchema:namespaceURI>{NS}</pdfaSchema:namespaceURI>"
            f"<pdfaSchema:prefix>{PREFIX}</pdfaSchema:prefix>"
            f"<pdfaSchema:property><rdf:Seq>{props}</rdf:Seq></pdfaSchema:property>"
            f"</rdf:li></rdf:Bag></pdfaExtension:schemas></rdf:Description>")


def _declare_extension(pdf: pikepdf.Pdf) -> None:
    """Insert the extension schema block into the raw XMP unless our namespace is declared already."""
    from lxml import etree

    stream = pdf.Root.Metadata
    root = etree.fromstring(stream.read_bytes())
    rdf = root if root.tag == f"{{{RDF}}}RDF" else root.find(f".//{{{RDF}}}RDF")
    for ns_uri in root.iter(f"{{{PDFA_SCHEMA}}}namespaceURI"):
        if (ns_uri.text or "").strip() == NS:
            return
    rdf.append(etree.fromstring(extension_schema_xml()))
    body = etree.tostring(root, encoding="utf-8")
    xmp = (b'<?xpacket begin="\xef\xbb\xbf" id="W5M0MpCehiHzreSzNTczkc9d"?>\n' + body
           + b'\n<?xpacket end="w"?>')
    new = pikepdf.Stream(pdf, xmp)
    new.Type = pikepdf.Name.Metadata
    new.Subtype = pikepdf.Name.XML
    pdf.Root.Metadata = new


def write_metadata(pdf: pikepdf.Pdf, *, title: str, creators: list[str], date: str, identifier: str,
                   fields: dict[str, str]) -> None:
    """Dublin Core + the DA/T 46 fields into XMP (and DocInfo), then declare the extension schema."""
    producer = str(pdf.docinfo.get("/Producer", "")) if "/Producer" in pdf.docinfo else ""
    editor = f"pikepdf {pikepdf.__version__}"
    pdf.Root.Lang = pikepdf.String("zh-CN")
    with pdf.open_metadata(set_pikepdf_as_editor=False, update_docinfo=True) as meta:
        producer = producer or str(meta.get("pdf:Producer", ""))
        meta["dc:title"] = title
        meta["dc:creator"] = list(creators) or ["未署名"]
        if date:
            meta["dc:date"] = [date]
        meta["dc:identifier"] = identifier
        meta["dc:language"] = ["zh-CN"]
        if editor not in producer:
            meta["pdf:Producer"] = f"{producer}; {editor}" if producer else editor
        for key, value in fields.items():
            if key not in FIELDS:
                raise KeyError(f"{key} is not a declared archival field")
            meta[f"{PREFIX}:{key}"] = str(value)
    for key in [k for k in pdf.docinfo.keys() if str(k).startswith(DOCINFO_PREFIX)]:
        del pdf.docinfo[key]
    for key, value in fields.items():
        pdf.docinfo[pikepdf.Name(f"{DOCINFO_PREFIX}{key[0].upper()}{key[1:]}")] = pikepdf.String(str(value))
    _declare_extension(pdf)


def _docinfo_field(key: str) -> str:
    """``/DA46ArchivalCode`` -> ``archivalCode``."""
    name = key[len(DOCINFO_PREFIX):]
    return name[:1].lower() + name[1:]


def read_fields(pdf: pikepdf.Pdf) -> dict:
    """The archival metadata of a PDF: Dublin Core, DocInfo title/author and the DA/T 46 fields."""
    meta = pdf.open_metadata()
    out = {"dc:title": meta.get("dc:title"), "dc:creator": meta.get("dc:creator"),
           "dc:date": meta.get("dc:date"), "dc:identifier": meta.get("dc:identifier"),
           "dc:language": meta.get("dc:language"), "pdf:Producer": meta.get("pdf:Producer"),
           "pdfa": meta.pdfa_status, "lang": str(pdf.Root.get("/Lang", "")),
           "docinfo": {k[1:]: str(v) for k, v in pdf.docinfo.items() if k in ("/Title", "/Author", "/Producer")},
           "docinfo_fields": {_docinfo_field(str(k)): str(v) for k, v in pdf.docinfo.items()
                              if str(k).startswith(DOCINFO_PREFIX)}}
    out.update({key: meta.get(f"{{{NS}}}{key}") for key in FIELDS})
    return out


def _stable_document_ids(pdf: pikepdf.Pdf, seed: str) -> None:
    """Replace the xmpMM document/instance ids a producer drew at random or from the clock (OCRmyPDF's
    Ghostscript writes a time-based uuid) by ids derived from the record, so the same record gives the same bytes."""
    import uuid

    with pdf.open_metadata(set_pikepdf_as_editor=False, update_docinfo=False) as meta:
        for key in ("xmpMM:DocumentID", "xmpMM:InstanceID"):
            if key in meta:
                meta[key] = f"uuid:{uuid.uuid5(uuid.NAMESPACE_URL, key + '|' + seed)}"


def stamp_pdf(src: Path, dst: Path, *, cells_for_pages, title: str, creators: list[str], date: str,
              identifier: str, fields: dict[str, str]) -> StampResult:
    """Write ``src`` with the 归档章 and archival metadata to ``dst`` (atomically, deterministic /ID; the
    creation and modification dates are the record's own ``date``, so the same record gives the same bytes).

    ``cells_for_pages(pages) -> StampCells`` gives the stamp's contents once the page count is known;
    ``fields`` are the DA/T 46 fields (``filePages`` is filled in here, ``pageCount`` too unless given: the
    件's 页数 when the 件 has more than this file).
    """
    placement = blank_spot(src)
    with pikepdf.open(src) as pdf:
        pages = len(pdf.pages)
        if placement is not None:
            draw_stamp(pdf, cells_for_pages(pages), placement)
        write_metadata(pdf, title=title, creators=creators, date=date, identifier=identifier,
                       fields={"pageCount": str(pages), **fields, "filePages": str(pages)})
        set_pdf_dates(pdf, document_time(date))
        _stable_document_ids(pdf, f"{identifier}|{fields.get('renditionOf', '')}|{fields.get('originalSha256', '')}")
        dst.parent.mkdir(parents=True, exist_ok=True)
        tmp = dst.with_name(f".{dst.name}.part")
        save_pdf(pdf, tmp)
    os.replace(tmp, dst)
    return StampResult(pages, placement)


def write_pdf_description(path: Path, *, title: str, creators: list[str], identifier: str) -> None:
    """Describe a PDF of the package that is not a 件 (the 归档文件目录): Dublin Core, /Lang, in place."""
    with pikepdf.open(path, allow_overwriting_input=True) as pdf:
        write_metadata(pdf, title=title, creators=creators, date="", identifier=identifier, fields={})
        tmp = path.with_name(f".{path.name}.part")
        save_pdf(pdf, tmp)
    os.replace(tmp, path)


# --- inspection (verify) ---------------------------------------------------------------------------
def _fonts_without_program(pdf: pikepdf.Pdf) -> list[str]:
    """Names of fonts used anywhere (pages, forms, Type3, descendants) without an embedded program."""
    missing: set[str] = set()
    seen: set = set()

    def font(f):
        key = f.objgen if f.objgen != (0, 0) else id(f)
        if key in seen:
            return
        seen.add(key)
        sub = f.get("/Subtype")
        if sub == "/Type0":
            for d in f.get("/DescendantFonts", []):
                font(d)
            return
        if sub == "/Type3":
            resources(f.get("/Resources"))
            return
        desc = f.get("/FontDescriptor")
        if desc is None or not any(k in desc for k in ("/FontFile", "/FontFile2", "/FontFile3")):
            missing.add(str(f.get("/BaseFont", "?")))

    def resources(res):
        if res is None:
            return
        key = res.objgen if res.objgen != (0, 0) else id(res)
        if ("r", key) in seen:
            return
        seen.add(("r", key))
        for f in (res.get("/Font") or {}).values():
            font(f)
        for x in (res.get("/XObject") or {}).values():
            if x.get("/Subtype") == "/Form":
                resources(x.get("/Resources"))

    for page in pdf.pages:
        resources(page.obj.get("/Resources"))
        for annot in page.obj.get("/Annots", []) or []:
            ap = annot.get("/AP")
            if ap is not None and isinstance(ap.get("/N"), pikepdf.Stream):
                resources(ap.N.get("/Resources"))
    return sorted(missing)


def _has_javascript(pdf: pikepdf.Pdf) -> bool:
    names = pdf.Root.get("/Names")
    if names is not None and "/JavaScript" in names:
        return True
    if "/OpenAction" in pdf.Root:
        oa = pdf.Root.OpenAction
        if isinstance(oa, pikepdf.Dictionary) and oa.get("/S") in ("/JavaScript", "/Launch"):
            return True
    if "/AA" in pdf.Root:
        return True
    for obj in pdf.objects:
        if isinstance(obj, pikepdf.Dictionary) and obj.get("/S") in ("/JavaScript", "/Launch"):
            return True
    return False


def inspect_pdf(path: Path) -> dict:
    """What verify checks in a PDF; ``error`` is set when it does not open at all."""
    try:
        with pikepdf.open(path) as pdf:
            names = pdf.Root.get("/Names")
            return {
                "error": None,
                "pages": len(pdf.pages),
                "encrypted": pdf.is_encrypted,
                "pdfa": pdf.open_metadata().pdfa_status,
                "fonts_not_embedded": _fonts_without_program(pdf),
                "javascript": _has_javascript(pdf),
                "embedded_files": bool(pdf.attachments) or (names is not None and "/EmbeddedFiles" in names),
                "fields": read_fields(pdf),
            }
    except (pikepdf.PdfError, pikepdf.PasswordError, OSError) as exc:
        return {"error": f"{type(exc).__name__}: {str(exc).replace(str(path), path.name)}"}

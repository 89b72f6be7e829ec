"""The official notice (`invoke build-notice`): .docx + PDF/A-2b to GB/T 9704-2012, and the blank forms.

The notice is rendered from ``doc_templates/notice.docx`` with the year's ``data/<year>/notice.yaml``.
LibreOffice cannot anchor a block to the foot of a page (it ignores floating tables and bottom-aligned
frames), so the 版记 is placed in two passes: render with an empty spacer before it, convert, measure
where its rules land, then set the spacer's exact height (and page breaks, so that the 版记 page is even)
and render and convert once more. Everything is built in a temporary folder next to the output folder
and moved into place at the end.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from pathlib import Path

from . import console, converter, fonts
from .errors import ConversionError
from .manifest import BuiltRecord, StageManifest, write_manifest
from .notice_data import NoticeData, date_cn, load_notice, load_notice_file
from .paths import build_dir
from .rendering import render_docx
from .staging import staged_output
from .blank_forms import write_blank_forms

PT_MM = 25.4 / 72

log = logging.getLogger(__name__)

TEMPLATE = "notice.docx"
DOCX = "notice.docx"
PDF = "notice.pdf"

# 版心 in mm from the paper top (GB/T 9704: 天头 37 mm, height 225 mm)
TYPE_TOP_MM = 37.0
TYPE_BOTTOM_MM = 37.0 + 225.0
FIRST_PASS_SPACER_TWIPS = 20          # 1 pt
IMPRINT_RULE_MIN_PT = 0.9             # the 版记's thick rules are 1 pt; table borders are 0.5 pt
SAFETY_MM = 0.4                       # keeps rounding from pushing the 版记 onto the next page
RULE_OVERHANG_MM = 0.5 * PT_MM        # a 1 pt border reaches half its width beyond its centre line


@dataclass(frozen=True)
class ImprintPlacement:
    """How the 版记 is pushed to the foot of an even page."""

    spacer_twips: int = FIRST_PASS_SPACER_TWIPS
    breaks: int = 0                    # page breaks before it (2 = leave a blank page)


@dataclass(frozen=True)
class ImprintPosition:
    """Where the 版记 landed in a PDF."""

    page: int                          # 1-based
    pages: int
    first_rule_mm: float
    last_rule_mm: float
    alone: bool                        # nothing but the 版记 (and the page number) on its page


def notice_context(data: NoticeData, placement: ImprintPlacement = ImprintPlacement()) -> dict:
    """The template context of ``doc_templates/notice.docx`` for ``data``."""
    numbered = {a.form: (f"附件{i}", a) for i, a in enumerate(data.attachments, 1)}

    def attachment(form: str) -> dict:
        label, a = numbered[form]
        return {"label": label, "title": a.title, "title_lines": a.lines, "unit_line": a.unit_line,
                "notes": list(a.notes)}

    return {
        "issuers": data.creators,
        "doc_number": data.number,
        "title_lines": list(data.title_lines),
        "addressees": data.addressees,
        "body": data.body_blocks(),
        "contact": [{"label": c.label, "value": c.value} for c in data.contact],
        "attachments": [{"title": a.title} for a in data.attachments],
        "note": data.note,
        "rec": attachment("recommendations"),
        "stat": attachment("statistics"),
        "imprint": {"printer": data.imprint.printer, "date": date_cn(data.imprint.date),
                    "copies_to": data.imprint.copies_to},
        "imprint_spacer": placement.spacer_twips,
        "imprint_breaks": placement.breaks,
    }


def imprint_position(pdf_path: Path) -> ImprintPosition:
    """Find the 版记 (the last page's thick black full-width rules) in a rendered notice."""
    from . import pdf_layout

    with pdf_layout.open_pdf(pdf_path) as pdf:
        n = len(pdf.pages)
        page = pdf.pages[-1]
        rules = [r for r in pdf_layout.horizontal_rules(page, min_length_mm=150)
                 if r.width_pt >= IMPRINT_RULE_MIN_PT and not pdf_layout.is_red(r.color)]
        if not rules:
            raise ConversionError(f"{pdf_path.name}: the 版记 rules are not on the last page",
                                  [pdf_path.name], hint="check doc_templates/notice.docx (rebuild it with "
                                  "`invoke make-templates`)")
        first, last = rules[0].y, rules[-1].y
        above = [ln for ln in pdf_layout.text_lines(page) if ln.y < first - 1.0]
    return ImprintPosition(n, n, first, last, alone=not above)


def next_placement(pos: ImprintPosition, current: ImprintPlacement) -> ImprintPlacement:
    """The spacer and page breaks that put the 版记's last rule on the type area's bottom, on an even page."""
    if pos.page % 2 == 0 and current.breaks == 0:
        gap_mm = TYPE_BOTTOM_MM - RULE_OVERHANG_MM - SAFETY_MM - pos.last_rule_mm
        twips = current.spacer_twips + max(0, round(gap_mm / PT_MM * 20))
        return ImprintPlacement(twips, 0)
    # start a new (even) page: the spacer then begins at the type area's top
    block_mm = pos.last_rule_mm - pos.first_rule_mm + 2 * RULE_OVERHANG_MM
    spacer_mm = TYPE_BOTTOM_MM - TYPE_TOP_MM - block_mm - SAFETY_MM
    breaks = 2 if pos.alone else 1
    if pos.page % 2 == 0:   # already even after breaks: keep them
        breaks = current.breaks
    return ImprintPlacement(max(FIRST_PASS_SPACER_TWIPS, round(spacer_mm / PT_MM * 20)), breaks)


def render_notice(data: NoticeData, workdir: Path) -> tuple[Path, Path, ImprintPosition]:
    """Render and convert the notice in ``workdir`` (two passes); returns docx, PDF and the 版记's place."""
    docx = workdir / DOCX
    pdf = workdir / PDF
    placement = ImprintPlacement()
    render_docx(TEMPLATE, notice_context(data, placement), docx, date=data.issue_date)
    converter.convert_to_pdf([(docx, pdf)], document_date=data.issue_date)
    first = imprint_position(pdf)
    placement = next_placement(first, placement)
    log.debug("版记 after pass 1: page %d of %d, last rule at %.1f mm → %s",
              first.page, first.pages, first.last_rule_mm, placement)
    render_docx(TEMPLATE, notice_context(data, placement), docx, date=data.issue_date)
    converter.convert_to_pdf([(docx, pdf)], document_date=data.issue_date)
    final = imprint_position(pdf)
    if final.page % 2 or abs(final.last_rule_mm - TYPE_BOTTOM_MM) > 1.0:
        log.warning("the 版记 ends at %.1f mm on page %d (wanted %.0f mm on an even page)",
                    final.last_rule_mm, final.page, TYPE_BOTTOM_MM)
    return docx, pdf, final


def build_notice(year: int, out: str | os.PathLike | None = None, *, source: Path | None = None) -> int:
    """Render the year's notice (.docx, PDF/A-2b) and write the blank forms into ``build/<year>/notice/``.

    ``source`` replaces ``data/<year>/notice.yaml`` (e.g. a draft). Returns 0; raises a typed error
    when a font, LibreOffice or the data is missing or wrong (before any work is done).
    """
    fonts.check_fonts()
    converter.soffice_path()
    data = load_notice_file(Path(source)) if source else load_notice(year)
    outdir = build_dir(year, "notice", out)
    with staged_output(outdir) as (work, written):
        with console.status("rendering the notice"):
            docx, pdf, pos = render_notice(data, work)
        forms = write_blank_forms(year, work)
        record = BuiltRecord(type="notice", title=data.title, creators=data.creators,
                             date=data.issue_date.isoformat(), original=DOCX, pdf=PDF,
                             doc_number=data.number, disclosure=data.disclosure,
                             attachments=sorted(p.name for p in forms))
        write_manifest(work, StageManifest(year=year, stage="notice", records=[record]))
    console.table(f"{data.number} → {outdir}", ["file", "size"],
                  [(p.name, f"{p.stat().st_size:,} B") for p in written])
    console.say(f"{pos.pages} pages; 版记 on page {pos.page}, last rule at {pos.last_rule_mm:.1f} mm")
    return 0

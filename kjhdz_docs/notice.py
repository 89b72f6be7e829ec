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
import math
import os
from dataclasses import dataclass
from pathlib import Path

from . import console, converter, fonts
from .errors import ConversionError
from .manifest import BuiltRecord, StageManifest, write_manifest
from .notice_data import NoticeData, date_cn, load_notice, load_notice_file, notice_path, text_width_em
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

# 发文机关标志 (GB/T 9704 §7.2.4 gives no size: it must fit the 版心's width, 156 mm, on one line a name)
TYPE_WIDTH_PT = 156 / PT_MM
MARK_JOINT_NAME_PT = 30.0             # organ names of a joint mark, at most
MARK_WORD_RATIO = 1.2                 # 文件 beside them, this much larger
MARK_GAP_MM = 8.0                     # between the names and 文件 (at 30 pt; scaled with the size)
MARK_SINGLE_PT = 42.0                 # 初号: one organ's "name文件" line, at most
MARK_LINE_RATIO = 1.25                # exact line height of a joint mark's name line (one organ: 4/3)
MARK_SINGLE_LINE_RATIO = 4 / 3
MARK_MIN_PT = 22.0                    # never smaller than the title (2号); below that page 1 is warned about
MARK_SLACK = 1.02                     # a names column is this much wider than its longest name (no wrap)
MARK_TOP_MM = 35.0                    # the mark's ink top below the type area's top
MARK_INK_OFFSET = 0.18                # measured: ink top − line top, in units of the font size
# page 1 must show body text (GB/T 9704 §7.3.3: shrink the mark if needed). Measured in LibreOffice: the
# first body baseline lies this far below the mark block's bottom, plus a title line (2号, 36 pt lines)
# and an addressee line (28.95 pt) each; the last baseline of a page is at 259.5 mm.
PAGE1_BELOW_MARK_MM = 71.96
TITLE_LINE_MM = 36 * PT_MM
BODY_LINE_MM = 28.95 * PT_MM
LAST_BASELINE_MM = 259.5
CHARS_PER_LINE = 28
PAGE1_BODY_LINES = 2                  # a paragraph's first two lines (LibreOffice keeps no orphan line)


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


def _half_points(pt: float) -> int:
    """A font size in half-points, rounded down to a half point (never larger than what fits)."""
    return max(2, math.floor(pt * 2))


def masthead(names: list[str], *, title_lines: int = 2, addressee_lines: int = 4) -> dict:
    """The 发文机关标志's sizes for ``names`` (lead organ first), as the template takes them.

    One organ: "name文件" on one line in one size, centred (the standard's example A.1), at most 初号 and
    shrunk to the 版心's width. Several: the names stacked in their order, each on one line and spread to
    the longest's width, "文件" larger to their right and centred on the block; all shrunk together until
    names, gap and 文件 fit the 版心. Either is shrunk further (not below 2号) until page 1 holds two body
    lines under a title of ``title_lines`` and an addressee of ``addressee_lines`` lines; ``page1_body``
    says whether it does.
    """
    single = len(names) == 1
    ratio = MARK_SINGLE_LINE_RATIO if single else MARK_LINE_RATIO
    below = PAGE1_BELOW_MARK_MM + title_lines * TITLE_LINE_MM + (addressee_lines + PAGE1_BODY_LINES - 1) * BODY_LINE_MM
    room_mm = LAST_BASELINE_MM - (TYPE_TOP_MM + MARK_TOP_MM) - below
    # block bottom = mark top − offset·s + n·ratio·s  (s in pt, converted to mm)
    tall = (len(names) * ratio - MARK_INK_OFFSET) * PT_MM
    page1_pt = room_mm / tall
    if single:
        text = names[0] + "文件"
        width_pt = TYPE_WIDTH_PT / (text_width_em(text) * MARK_SLACK)
        size = min(MARK_SINGLE_PT, width_pt, max(page1_pt, min(MARK_MIN_PT, width_pt)))
        half = word_half = _half_points(size)
        names_twips = word_twips = 0
    else:
        text = ""
        longest = max(text_width_em(n) for n in names)
        gap_per_pt = MARK_GAP_MM / PT_MM / MARK_JOINT_NAME_PT
        width_pt = TYPE_WIDTH_PT / (longest * MARK_SLACK + 2 * MARK_WORD_RATIO + gap_per_pt) - 0.5
        size = min(MARK_JOINT_NAME_PT, width_pt, max(page1_pt, min(MARK_MIN_PT, width_pt)))
        half = _half_points(size)
        word_half = _half_points(half / 2 * MARK_WORD_RATIO)
        names_twips = math.ceil(longest * half / 2 * MARK_SLACK * 20)
        word_twips = math.ceil((2 * word_half / 2 + gap_per_pt * half / 2) * 20)
    name_pt = half / 2
    spacer_pt = MARK_TOP_MM / PT_MM - MARK_INK_OFFSET * name_pt
    return {"single": single, "text": text, "names": list(names),
            "name_half_points": half, "word_half_points": word_half,
            "name_line_twips": round(name_pt * ratio * 20), "word_line_twips": round(word_half / 2 * 1.3 * 20),
            "names_twips": names_twips, "word_twips": word_twips, "spacer_twips": round(spacer_pt * 20),
            "page1_body": name_pt <= page1_pt + 0.01}


def notice_masthead(data: NoticeData) -> dict:
    """:func:`masthead` for a notice: its organs, title lines and the lines its addressees take."""
    addressee_lines = math.ceil(text_width_em(data.addressees) / CHARS_PER_LINE)
    return masthead(data.creators, title_lines=len(data.title_lines), addressee_lines=addressee_lines)


def attachment_labels(data: NoticeData) -> list[str]:
    """附件1, 附件2 … in the data's order; a single attachment is 附件, without a number (§7.3.6/7.3.7)."""
    n = len(data.attachments)
    return ["附件" if n == 1 else f"附件{i}" for i in range(1, n + 1)]


def notice_context(data: NoticeData, placement: ImprintPlacement = ImprintPlacement()) -> dict:
    """The template context of ``doc_templates/notice.docx`` for ``data``."""
    attachments = [{"label": label, "title": a.title, "title_lines": a.lines, "form": a.form,
                    "unit_line": a.unit_line, "notes": list(a.notes)}
                   for label, a in zip(attachment_labels(data), data.attachments)]
    return {
        "mark": notice_masthead(data),
        "doc_number": data.number,
        "title_lines": list(data.title_lines),
        "addressees": data.addressees,
        "body": data.body_blocks(),
        "contact": [{"label": c.label, "value": c.value} for c in data.contact],
        "attachments": attachments,
        "note": data.note,
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
    gap_twips = max(0, round((TYPE_BOTTOM_MM - RULE_OVERHANG_MM - SAFETY_MM - pos.last_rule_mm) / PT_MM * 20))
    if pos.page % 2 == 0 and current.breaks == 0:
        return ImprintPlacement(current.spacer_twips + gap_twips, 0)
    if pos.alone:
        # it began at the top of its page and will again (on the next, even page): grow the spacer alike
        breaks = current.breaks if pos.page % 2 == 0 else 2
        return ImprintPlacement(current.spacer_twips + gap_twips, breaks)
    # start a new (even) page: the spacer then begins at the type area's top
    block_mm = pos.last_rule_mm - pos.first_rule_mm + 2 * RULE_OVERHANG_MM
    spacer_mm = TYPE_BOTTOM_MM - TYPE_TOP_MM - block_mm - SAFETY_MM
    return ImprintPlacement(max(FIRST_PASS_SPACER_TWIPS, round(spacer_mm / PT_MM * 20)), 1)


def render_notices(jobs: list[tuple[NoticeData, Path]]) -> list[tuple[Path, Path, ImprintPosition]]:
    """Render and convert notices, each in its own folder, in two passes (one LibreOffice start a pass
    for the notices of one 印发日期); returns per notice its docx, PDF and where its 版记 landed."""
    placements = [ImprintPlacement() for _ in jobs]
    paths = [(workdir / DOCX, workdir / PDF) for _, workdir in jobs]
    for n in (1, 2):
        for (data, _), placement, (docx, _) in zip(jobs, placements, paths):
            render_docx(TEMPLATE, notice_context(data, placement), docx, date=data.issue_date)
        # one LibreOffice start per pass for notices of one 印发日期 (each PDF carries its own date)
        for day in sorted({data.issue_date for data, _ in jobs}):
            converter.convert_to_pdf([p for (data, _), p in zip(jobs, paths) if data.issue_date == day],
                                     document_date=day)
        positions = [imprint_position(pdf) for _, pdf in paths]
        if n == 1:
            placements = [next_placement(pos, placement) for pos, placement in zip(positions, placements)]
            for (data, _), pos, placement in zip(jobs, positions, placements):
                log.debug("%s: 版记 after pass 1 on page %d of %d, last rule at %.1f mm → %s", data.number,
                          pos.page, pos.pages, pos.last_rule_mm, placement)
    for (data, _), final in zip(jobs, positions):
        if final.page % 2 or abs(final.last_rule_mm - TYPE_BOTTOM_MM) > 1.0:
            log.warning("%s: the 版记 ends at %.1f mm on page %d (wanted %.0f mm on an even page)",
                        data.number, final.last_rule_mm, final.page, TYPE_BOTTOM_MM)
    return [(docx, pdf, pos) for (docx, pdf), pos in zip(paths, positions)]


def render_notice(data: NoticeData, workdir: Path) -> tuple[Path, Path, ImprintPosition]:
    """Render and convert one notice in ``workdir`` (two passes); returns docx, PDF and the 版记's place."""
    return render_notices([(data, workdir)])[0]


def build_notice(year: int, out: str | os.PathLike | None = None, *, source: Path | None = None) -> int:
    """Render the year's notice (.docx, PDF/A-2b) and write the blank forms into ``build/<year>/notice/``.

    ``source`` replaces ``data/<year>/notice.yaml`` (e.g. a draft). Returns 0; raises a typed error
    when a font, LibreOffice or the data is missing or wrong (before any work is done).
    """
    fonts.check_fonts()
    converter.soffice_path()
    from . import cache
    from .rendering import template_path

    path = Path(source) if source else notice_path(year)
    data = load_notice_file(path) if source else load_notice(year)
    for warning in data.layout_warnings():
        log.warning("%s: %s", path, warning)
    if not notice_masthead(data).get("page1_body"):
        log.warning("%s: page 1 shows no body text even with the 发文机关标志 at 2号 (GB/T 9704 §7.3.3): "
                    "shorten title_lines or addressees (the standard allows moving the 主送机关 to the 版记)", path)
    outdir = build_dir(year, "notice", out)
    key = cache.stage_key("notice", year, files={"notice.yaml": Path(source) if source else notice_path(year),
                                                 "template": template_path(TEMPLATE)})
    if cache.serve_stage("notice", key, outdir):
        cache.say_unchanged("notice", year, outdir)
        return 0
    with staged_output(outdir) as (work, written):
        with console.status("rendering the notice"):
            docx, pdf, pos = render_notice(data, work)
        forms = write_blank_forms(data.year, work, notice=data)
        record = BuiltRecord(type="notice", title=data.title, creators=data.creators,
                             date=data.issue_date.isoformat(), original=DOCX, pdf=PDF,
                             doc_number=data.number, disclosure=data.disclosure,
                             attachments=[p.name for p in forms])
        write_manifest(work, StageManifest(year=year, stage="notice", records=[record]))
    cache.store_stage("notice", key, written, info={"exit": 0})
    console.table(f"{data.number} → {outdir}", ["file", "size"],
                  [(p.name, f"{p.stat().st_size:,} B") for p in written])
    console.say(f"{pos.pages} pages; 版记 on page {pos.page}, last rule at {pos.last_rule_mm:.1f} mm")
    return 0

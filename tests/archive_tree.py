"""A small but real build tree for the archive tests, laid out the way the build stages write it.

Real .docx (python-docx, GB/T 9704 top margin), their PDF/A-2b renditions (one LibreOffice start),
real .xlsx, two inboxes with the files units really send (accepted, rejected, superseded, a companion
scan, garbage bytes named .xlsx, an NFD file name, a nested folder) and intake reports written with
the intake's own ``report_json``. ``make_tree(base)`` writes it under ``base``.
"""

from __future__ import annotations

import hashlib
import os
import unicodedata
from contextlib import contextmanager
from pathlib import Path

import openpyxl
import pytest
from docx import Document
from docx.shared import Mm, Pt

from kjhdz_docs import specimens
from kjhdz_docs.converter import convert_to_pdf
from kjhdz_docs.errors import Problem
from kjhdz_docs.intake.report import report_json
from kjhdz_docs.manifest import BuiltRecord, StageManifest, write_json, write_manifest
from kjhdz_docs.model import FormKind, IntakeReport, Status, Submission
from kjhdz_docs.sample_data import write_scan_pdf, write_scan_png

YEAR = 2024
NFD_NAME = unicodedata.normalize("NFD", "统计表-Café修订.xlsx")
# an activity 北京市 recommends: in its 推荐表's cells and in the 推荐清单's text
ACTIVITY = "2024年北京市科技活动周·人工智能科普大篷车进社区"
ACTIVITY_INTRO = "组织人工智能科普大篷车走进社区，邀请科研人员讲解机器学习与大模型的原理。"
WRONG_INBOX = "云南省-统计表（误报）.xlsx"      # a real 统计表 sent to the 推荐表 inbox


def _docx(path: Path, title: str, paragraphs: int = 12, extra: tuple[str, ...] = ()) -> Path:
    doc = Document()
    sec = doc.sections[0]
    sec.page_height, sec.page_width = Mm(297), Mm(210)
    sec.top_margin, sec.left_margin, sec.right_margin, sec.bottom_margin = Mm(37), Mm(28), Mm(26), Mm(35)
    doc.add_paragraph(title).runs[0].font.size = Pt(22)
    for i in range(paragraphs):
        doc.add_paragraph(f"第{i + 1}段　各地方、各部门要高度重视全国科技活动周工作，科学安排，精心组织。")
    for text in extra:
        doc.add_paragraph(text)
    doc.save(path)
    return path


def _xlsx(path: Path, unit: str, rows: int = 6, title: str = "统计表", activity: tuple[str, str] | None = None) -> Path:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = title
    ws["A1"] = f"{YEAR}年全国科技活动周开展情况统计表"
    ws["A2"], ws["B2"] = "地方/部门（盖章）", unit
    for r in range(rows):
        ws.cell(4 + r, 1, f"指标{r + 1}")
        ws.cell(4 + r, 2, (r + 1) * 10)
    if activity:
        ws.cell(5 + rows, 1, activity[0])
        ws.cell(5 + rows, 2, activity[1])
    path.parent.mkdir(parents=True, exist_ok=True)
    wb.save(path)
    return path


RECEIVED = 1712712660.0          # 2024-04-10 09:31 +08:00: the day the test inboxes were "received"


def _sub(inbox: Path, rel: str, status: Status, unit: str | None, **kw) -> Submission:
    os.utime(inbox / rel, (RECEIVED, RECEIVED))
    data = (inbox / rel).read_bytes()
    return Submission(file=rel, sha256=hashlib.sha256(data).hexdigest(), size=len(data), status=status, unit=unit,
                      **kw)


def make_inboxes(base: Path) -> dict[str, tuple[Path, list[Submission]]]:
    rec_inbox = base / "inbox" / "recommendations"
    stat_inbox = base / "inbox" / "statistics"
    rec_inbox.mkdir(parents=True)
    stat_inbox.mkdir(parents=True)

    _xlsx(rec_inbox / "北京市-推荐表.xlsx", "北京市", title="推荐表", activity=(ACTIVITY, ACTIVITY_INTRO))
    _xlsx(rec_inbox / "上海市-推荐表.xlsx", "", title="推荐表")
    (rec_inbox / "河北省-推荐表.xlsx").write_bytes(b"this is not a workbook, just text renamed\n" * 3)
    write_scan_pdf(rec_inbox / "北京市-盖章扫描件.pdf", "北京市科学技术委员会", "推荐表盖章页", YEAR)
    specimens.write_statistics(rec_inbox / WRONG_INBOX, "云南省科技厅", specimens.sample_values("云南省", seed=3))
    (rec_inbox / "北京市-补充说明.pdf").write_bytes(b"%PDF-1.4\n% not a usable PDF\n%%EOF\n")
    (rec_inbox / "说明.txt").write_text("随表说明\n", encoding="utf-8")
    recs = [
        _sub(rec_inbox, "北京市-推荐表.xlsx", Status.ACCEPTED, "北京市"),
        _sub(rec_inbox, "上海市-推荐表.xlsx", Status.REJECTED, "上海市",
             problems=[Problem("missing-unit", "未填写推荐单位", sheet="推荐表", cell="B2")]),
        _sub(rec_inbox, "河北省-推荐表.xlsx", Status.REJECTED, "河北省",
             problems=[Problem("not-a-workbook", "文件内容不是电子表格")]),
        _sub(rec_inbox, "北京市-盖章扫描件.pdf", Status.ATTACHMENT, "北京市", attached_to="北京市-推荐表.xlsx"),
        # a PDF that only looks like one: it cannot be normalized, the record says why
        _sub(rec_inbox, "北京市-补充说明.pdf", Status.ATTACHMENT, "北京市", attached_to="北京市-推荐表.xlsx"),
        _sub(rec_inbox, WRONG_INBOX, Status.REJECTED, "云南省",
             problems=[Problem("no-form", "工作簿中未找到推荐表的表头（这是附件2 统计表，请报送到统计表收件箱）")]),
        _sub(rec_inbox, "说明.txt", Status.UNMATCHED, None, notes=["文件名未能对应到报送单位，请人工核对"]),
    ]

    _xlsx(stat_inbox / "北京市-统计表-初稿.xlsx", "北京市")
    _xlsx(stat_inbox / "北京市-统计表-修改稿.xlsx", "北京市", rows=8)
    _xlsx(stat_inbox / "广东省" / NFD_NAME, "广东省")
    _xlsx(stat_inbox / "天津市.xlsx", "天津市", rows=30)
    write_scan_png(stat_inbox / "天津市-盖章页.png", "天津市科学技术局", "统计表盖章页", YEAR)    # no resolution recorded
    _docx(stat_inbox / "天津市-工作总结.docx", "天津市2024年全国科技活动周工作总结", paragraphs=0,
          extra=("活动周期间，全市举办科普讲座、展览和开放日活动。",) * 4)
    stats = [
        _sub(stat_inbox, "北京市-统计表-初稿.xlsx", Status.SUPERSEDED, "北京市",
             superseded_by="北京市-统计表-修改稿.xlsx"),
        _sub(stat_inbox, "北京市-统计表-修改稿.xlsx", Status.ACCEPTED, "北京市"),
        _sub(stat_inbox, f"广东省/{NFD_NAME}", Status.ACCEPTED, "广东省"),
        # the organization as the form names itself (the intake's issuer); the others fall back to the roster unit
        _sub(stat_inbox, "天津市.xlsx", Status.ACCEPTED, "天津市", issuer="天津市科学技术局"),
        _sub(stat_inbox, "天津市-盖章页.png", Status.ATTACHMENT, "天津市", attached_to="天津市.xlsx"),
        _sub(stat_inbox, "天津市-工作总结.docx", Status.ATTACHMENT, "天津市", attached_to="天津市.xlsx"),
    ]
    return {"recommendations": (rec_inbox, recs), "statistics": (stat_inbox, stats)}


def make_tree(base: Path) -> Path:
    """Write ``base/build/<year>/{notice,recommendations,summary}`` and the inboxes; returns the build root
    (point ``KJHDZ_BUILD`` at it)."""
    build = base / "build"
    stages = {s: build / str(YEAR) / s for s in ("notice", "recommendations", "summary")}
    for folder in stages.values():
        folder.mkdir(parents=True)
    inboxes = make_inboxes(base)

    _docx(stages["notice"] / "notice.docx", "关于举办2024年全国科技活动周的通知")
    _docx(stages["recommendations"] / "recommendations.docx", "2024年全国科技活动周特色群众性科技活动推荐清单",
          extra=(f"1　{ACTIVITY}　{ACTIVITY_INTRO}　2024年5月26日，北京市海淀区　北京市",))
    _docx(stages["summary"] / "summary.docx", "2024年全国科技活动周总结报告", paragraphs=40)
    convert_to_pdf([(stages[s] / f"{s}.docx", stages[s] / f"{s}.pdf") for s in stages])
    blank = [_xlsx(stages["notice"] / n, "") for n in ("附件1-推荐表.xlsx", "附件2-统计表.xlsx")]
    _xlsx(stages["recommendations"] / "recommendations.xlsx", "全国")
    _xlsx(stages["summary"] / "summary.xlsx", "全国")

    write_manifest(stages["notice"], StageManifest(year=YEAR, stage="notice", records=[BuiltRecord(
        type="notice", title="关于举办2024年全国科技活动周的通知", creators=["科学技术部", "中共中央宣传部", "中国科学技术协会"],
        date="2024-03-29", original="notice.docx", pdf="notice.pdf", doc_number="国科发才〔2024〕31号",
        attachments=[p.name for p in blank])]))
    for stage, kind, title, date in (
            ("recommendations", FormKind.RECOMMENDATIONS, "2024年全国科技活动周特色群众性科技活动推荐清单", "2024-05-25"),
            ("summary", FormKind.STATISTICS, "2024年全国科技活动周总结报告", "2024-06-30")):
        inbox, subs = inboxes[kind.value]
        report = report_json(IntakeReport(year=YEAR, kind=kind, inbox=str(inbox), submissions=subs))
        write_json(stages[stage] / "intake.json", report)
        write_json(stages[stage] / f"{stage}.json", {"counts": {"files": len(subs)}, "submissions": report})
        write_manifest(stages[stage], StageManifest(year=YEAR, stage=stage, records=[BuiltRecord(
            type=stage, title=title, creators=["科学技术部"], date=date, original=f"{stage}.docx", pdf=f"{stage}.pdf",
            attachments=[f"{stage}.xlsx"])], reports=[f"{stage}.json"], intake="intake.json"))
    return build


@contextmanager
def year_tree(base: Path):
    """Build outputs and archive of the test year under ``base``: the tree is made, and KJHDZ_BUILD /
    KJHDZ_ARCHIVE point into it until the block ends. Yields the MonkeyPatch in force."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("KJHDZ_BUILD", str(base / "build"))
        mp.setenv("KJHDZ_ARCHIVE", str(base / "archive"))
        make_tree(base)
        yield mp

"""The intake report: a table on stderr for the clerk, a dict for ``--json`` and the stage's JSON."""

from __future__ import annotations

from collections import Counter

from .. import console
from ..model import IntakeReport, Status

STATUS_ZH = {Status.ACCEPTED: "采用", Status.REJECTED: "退回", Status.SUPERSEDED: "已被替代",
             Status.ATTACHMENT: "附件", Status.UNMATCHED: "未匹配"}


def counts(report: IntakeReport) -> dict[str, int]:
    c = Counter(s.status.value for s in report.submissions)
    return {status.value: c.get(status.value, 0) for status in Status} | {"files": len(report.submissions)}


def report_json(report: IntakeReport) -> dict:
    """Every file with status, unit, sha256, problems and notes, plus counts (sorted, no timestamps)."""
    data = report.as_dict()
    data["counts"] = counts(report)
    by_file = {s.file: s for s in report.submissions}
    for item in data["submissions"]:
        sub = by_file[item["file"]]
        item["attached_to"] = sub.attached_to
        if sub.values:
            item["values"] = {k: str(v) if not isinstance(v, int) else v for k, v in sorted(sub.values.items())}
        if sub.activities:
            item["activities"] = len(sub.activities)
    return data


def problem_lines(report: IntakeReport) -> list[str]:
    """One line per problem: ``file  sheet!cell  [rule]  message``."""
    out = []
    for s in sorted(report.submissions, key=lambda s: s.file):
        for p in s.problems:
            where = f"{p.sheet}!{p.cell}" if p.sheet and p.cell else (p.sheet or "")
            out.append(f"{s.file}  {where}  [{p.rule}]  {p.message}".replace("    ", "  "))
    return out


def print_report(report: IntakeReport) -> None:
    """The table of every file (stderr), then every problem of every rejected file."""
    rows = []
    for s in sorted(report.submissions, key=lambda s: s.file):
        detail = s.problems[0].message if s.problems else (
            f"→ {s.superseded_by}" if s.superseded_by else (f"随 {s.attached_to}" if s.attached_to else ""))
        if len(s.problems) > 1:
            detail += f"（另有 {len(s.problems) - 1} 处问题）"
        rows.append((s.file, STATUS_ZH[s.status], s.unit or "—", s.sha256[:12], detail))
    c = counts(report)
    title = (f"收件 {report.kind.value}: {c['files']} 个文件 — 采用 {c['accepted']}，退回 {c['rejected']}，"
             f"已被替代 {c['superseded']}，附件 {c['attachment']}，未匹配 {c['unmatched']}")
    console.table(title, ["文件", "状态", "单位", "sha256", "说明"], rows)
    lines = problem_lines(report)
    if lines:
        console.say("退回原因（逐个单元格）：")
        for line in lines:
            console.say_text("  " + line)
    flagged = [(s, f) for s in sorted(report.submissions, key=lambda s: s.file) for f in s.flags]
    if flagged:
        console.table(f"待核实（合理性检查，{len(flagged)} 项；数据照报计入汇总）",
                      ["文件", "指标", "单元格", "今年", "上年", "同类中位数", "倍数"],
                      [(s.file, f["indicator"], f.get("cell") or "—", str(f.get("value")),
                        "—" if f.get("previous") is None else str(f["previous"]),
                        "—" if f.get("peer_median") is None else str(f["peer_median"]),
                        "—" if f.get("factor") is None else f"{f['factor']:g}") for s, f in flagged])
        for s, f in flagged:
            console.say_text(f"  {s.file}  {f.get('cell') or ''}  [{f.get('rule')}]  {f['message']}")
    warned = [(s, w) for s in sorted(report.submissions, key=lambda s: s.file) for w in s.warnings]
    if warned:
        console.say("提示（宏、外部链接等未运行，使用文件中保存的值）：")
        for s, w in warned:
            console.say_text(f"  {s.file}  {w}")

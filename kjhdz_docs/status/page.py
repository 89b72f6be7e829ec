"""``status.html``: the season's status as a static page beside the browse pages (works from file://)."""

from __future__ import annotations

import html
import os
from pathlib import Path

from ..archive.browse import CSS, JS
from ..paths import archive_root
from .compute import FORM_ZH, Season

STATE_CLASS = {"accepted": "ok", "flagged": "warn", "rejected": "bad", "superseded": "warn", "missing": "bad"}
KIND_CSS = ".warn{color:#8a5a00;font-weight:bold}\n"


def _e(text) -> str:
    return html.escape(str(text if text is not None else ""), quote=True)


def _days(row: dict) -> str:
    if row["state"] in ("accepted", "flagged"):
        return ""
    if row["days_left"] >= 0:
        return f"剩 {row['days_left']} 天"
    return f'<span class="bad">逾期 {-row["days_left"]} 天</span>'


def _problems(row: dict) -> str:
    items = [f"{_e(p.get('sheet') or '')}{'!' if p.get('cell') else ''}{_e(p.get('cell') or '')} "
             f"[{_e(p['rule'])}] {_e(p['message'])}" for p in row["problems"]]
    items += [f"核实：{_e(f.get('indicator'))} {_e(f.get('cell'))} {_e(f.get('message'))}" for f in row["flags"]]
    return "<br>".join(items)


def _letters(row: dict) -> str:
    return "<br>".join(f"{_e(x['kind'])} {_e((x.get('sent') or '')[:16].replace('T', ' '))} → {_e(x.get('to'))}"
                       for x in row["letters"])


def render(season: Season, forms: list[str]) -> str:
    head = ["单位", "报表", "状态", "收件时间", "发件人", "文件", "问题", "已发函件", "截止"]
    rows = []
    counts: dict[str, int] = {}
    for unit, by_form in season.units.items():
        for form in forms:
            r = by_form[form]
            counts[r["state"]] = counts.get(r["state"], 0) + 1
            received = (r["received"] or "")[:16].replace("T", " ") or f'<span class="muted">{_e(r["received_note"] or "—")}</span>'
            rows.append(
                f'<tr data-state="{r["state"]}"><td>{_e(unit)}</td><td>{FORM_ZH[form]}</td>'
                f'<td class="{STATE_CLASS[r["state"]]}">{_e(r["state_zh"])}</td><td>{received}</td>'
                f'<td>{_e(r["sender"])}</td><td>{_e(r["file"])}</td><td>{_problems(r)}</td>'
                f'<td>{_letters(r)}</td><td>{r["deadline"]}<br>{_days(r)}</td></tr>')
    summary = "，".join(f"{_e(k)} {v}" for k, v in sorted(counts.items()))
    title = f"{season.year}年全国科技活动周 报送情况"
    return ("<!DOCTYPE html>\n<html lang=\"zh-CN\"><head><meta charset=\"utf-8\">"
            f"<title>{_e(title)}</title><style>{CSS}{KIND_CSS}</style></head><body>\n"
            f"<h1>{_e(title)}</h1>\n<p>截至 {_e(season.today.isoformat())}（生成于 {_e(season.generated)}）：{summary}。"
            ' <a href="index.html">归档文件目录</a></p>\n'
            '<p><input id="filter" type="search" placeholder="筛选：单位、状态、文件……" autofocus> '
            '显示 <span id="count"></span> 行</p>\n'
            f'<table id="status"><thead><tr>{"".join(f"<th>{h}</th>" for h in head)}</tr></thead>\n<tbody>\n'
            + "\n".join(rows) + f"\n</tbody></table>\n<script>{JS}</script></body></html>\n")


def write_page(season: Season, forms: list[str], root: Path | None = None) -> Path:
    """Write ``archive/<year>/status.html`` (atomically) and return its path."""
    folder = (root or archive_root()) / str(season.year)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "status.html"
    tmp = path.with_name(f".{path.name}.part")
    tmp.write_text(render(season, forms), encoding="utf-8")
    os.replace(tmp, path)
    return path

"""``invoke status``: where every roster unit stands with each form (state, received, sender, problems, letters,
days to the deadline), as a table on stderr, JSON on stdout (``--json``) and ``archive/<year>/status.html``.

Public API::

    from kjhdz_docs.status import load_season, status_json
    season = load_season(2024)                    # intake of both inboxes + register + notice, read once
    season.units["北京市"]["statistics"]["state"]  # accepted | flagged | rejected | superseded | missing
"""

from __future__ import annotations

import datetime as dt

from .. import console
from .compute import FORM_ZH, FORMS, STATES, Season, load_season, status_json

__all__ = ["FORMS", "STATES", "Season", "load_season", "show_status", "status_json"]


def _forms(form: str | None) -> list[str]:
    from ..errors import DataFileError

    if form is None:
        return [f.value for f in FORMS]
    if form not in FORM_ZH:
        raise DataFileError("--form", [f"form must be statistics or recommendations, not {form!r}"])
    return [form]


def parse_day(text: str | None) -> dt.date | None:
    from ..errors import DataFileError

    if not text:
        return None
    try:
        return dt.date.fromisoformat(str(text))
    except ValueError:
        raise DataFileError("--today", [f"not a date like 2024-04-20: {text!r}"]) from None


def show_status(year: int, *, form: str | None = None, as_json: bool = False, today: str | None = None) -> int:
    """Print the status table (stderr), the JSON (stdout with ``as_json``) and write ``status.html``.

    Returns 0; 1 when some unit's counting file is rejected (as the builds do for a rejected file)."""
    from .page import write_page

    forms = _forms(form)
    season = load_season(year, today=parse_day(today))
    rows = []
    for unit, by_form in season.units.items():
        for f in forms:
            r = by_form[f]
            days = "" if r["state"] in ("accepted", "flagged") else (
                f"剩 {r['days_left']} 天" if r["days_left"] >= 0 else f"逾期 {-r['days_left']} 天")
            first = r["problems"][0] if r["problems"] else None
            problem = (f"{first.get('sheet') or ''}!{first.get('cell') or ''} {first['message']}"
                       + (f"（另有 {len(r['problems']) - 1} 处）" if len(r["problems"]) > 1 else "")) if first else (
                f"待核实 {len(r['flags'])} 项" if r["flags"] else "")
            rows.append((unit, FORM_ZH[f], r["state_zh"], (r["received"] or "—")[:16].replace("T", " "),
                         r["sender"] or "—", r["file"] or "—", problem, len(r["letters"]), days))
    console.table(f"{year} 报送情况（截至 {season.today.isoformat()}）",
                  ["单位", "报表", "状态", "收件时间", "发件人", "文件", "问题", "已发函", "截止"], rows)
    from .compute import unassigned

    for item in unassigned(season, forms):
        console.say(f"not a roster unit's: {FORM_ZH[item['form']]} {item['file']} ({item['status']}, "
                    f"from {item['sender'] or '—'}): {item['problems'][0]['message'] if item['problems'] else ''}")
    page = write_page(season, forms)
    console.say(f"status page: {page} ({page.as_uri()})")
    if as_json:
        console.emit_json(status_json(season, forms))
    return 1 if any(season.units[u][f]["state"] == "rejected" for u in season.units for f in forms) else 0

"""Where each roster unit stands with each form: computed from the intake, the register and the notice.

The intake (:func:`kjhdz_docs.intake.read_inbox`) decides what every file is (accepted, rejected,
superseded …) and, from the receipt register, when it was received, who sent it and in which message —
this module never reads a workbook or the register's receipts itself. The register's ``letters`` table
says which letters went out; the notice (``data/<year>/notice.yaml``) gives each form's deadline. A time never comes from a file's
mtime: when the intake report does not know it, it is ``null`` and a note says so.

States (one per unit and form):

==============  ===============================================================================
``accepted``    the unit's counting file was accepted
``flagged``     accepted, with plausibility flags (the intake report's ``flags``) to confirm
``rejected``    no accepted file; the latest received workbook was rejected (its problems listed)
``superseded``  only superseded files (nothing counting)
``missing``     nothing received
==============  ===============================================================================
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import MissingInputError
from ..intake import read_inbox
from ..intake.inbox import default_inbox
from ..intake.report import report_json
from ..model import FormKind
from ..notice_data import NoticeData, load_notice
from ..paths import data_dir
from ..receive.register import NOTE_BY_REGISTRATION
from ..roster import Roster, load_roster

CHINA = dt.timezone(dt.timedelta(hours=8), "Asia/Shanghai")
FORMS = (FormKind.STATISTICS, FormKind.RECOMMENDATIONS)
STATES = ("accepted", "flagged", "rejected", "superseded", "missing")
STATE_ZH = {"accepted": "已采用", "flagged": "已采用（待核实）", "rejected": "退回修改", "superseded": "仅有被替代文件",
            "missing": "未报送"}
FORM_ZH = {"statistics": "统计表", "recommendations": "推荐表"}
WORKBOOK_STATUSES = ("accepted", "rejected", "superseded")
NO_TIME = "收件时间不详（收件登记簿中没有该文件）"


@dataclass
class Season:
    """Everything status and letters need for one year, read once."""

    year: int
    today: dt.date
    notice: NoticeData
    roster: Roster
    reports: dict[str, dict]                          # form -> intake report (report_json form)
    inboxes: dict[str, Path | None]                   # form -> inbox folder (None: it does not exist)
    register: object | None = None                    # kjhdz_docs.receive.register.Register, when there is one
    generated: str = ""
    units: dict[str, dict[str, dict]] = field(default_factory=dict)   # unit -> form -> row

    def deadline(self, form: str) -> dt.date:
        return self.notice.statistics_deadline if form == "statistics" else self.notice.recommendations_deadline

    def form_title(self, form: str) -> str:
        """The form's title as the notice's attachment names it (e.g. 2024年全国科技活动周开展情况统计表)."""
        for a in self.notice.attachments:
            if a.form == form:
                return a.title
        return f"{self.year}年全国科技活动周{FORM_ZH[form]}"


def _open_register(year: int):
    from ..receive.register import Register

    year_dir = data_dir(year)
    return Register.open(year_dir) if Register.exists(year_dir) else None


def _read_report(year: int, form: FormKind, roster: Roster) -> tuple[dict, Path | None]:
    inbox = default_inbox(year, form)
    if not inbox.is_dir():
        return {"year": year, "kind": form.value, "inbox": str(inbox), "submissions": []}, None
    try:
        report = read_inbox(year, form, progress=False, roster=roster)
    except MissingInputError:
        return {"year": year, "kind": form.value, "inbox": str(inbox), "submissions": []}, None
    return report_json(report), inbox


def _provenance(entry: dict) -> dict:
    """received / sender / message_id of an intake entry (the intake took them from the register)."""
    notes = entry.get("notes") or []
    note = NOTE_BY_REGISTRATION if NOTE_BY_REGISTRATION in notes else None
    return {"received": entry.get("received"), "sender": entry.get("sender"), "message_id": entry.get("message_id"),
            "received_note": NO_TIME if not entry.get("received") else note}


def _sent_name(season: Season, form: str, counting: dict) -> str:
    """The file's name as the unit sent it (the register's attachment entry), else its name in the inbox."""
    entry = season.register.for_stored(f"inbox/{form}/{counting['file']}") if season.register is not None else None
    return (entry or {}).get("name") or Path(counting["file"]).name


def _received_key(item: dict):
    return (item.get("received") or "", item["file"])


def _row(season: Season, unit: str, form: str, entries: list[dict], letters: list[dict]) -> dict:
    deadline = season.deadline(form)
    days_left = (deadline - season.today).days
    files = []
    for e in entries:
        files.append({"file": e["file"], "status": e["status"], "sha256": e["sha256"], "size": e["size"],
                      **_provenance(e), "problems": e.get("problems") or [],
                      "flags": e.get("flags") or [], "issuer": e.get("issuer"),
                      "warnings": e.get("warnings") or [], "superseded_by": e.get("superseded_by")})
    files.sort(key=_received_key)
    accepted = [f for f in files if f["status"] == "accepted"]
    rejected = [f for f in files if f["status"] == "rejected"]
    if accepted:
        counting = accepted[-1]
        state = "flagged" if counting["flags"] else "accepted"
    elif rejected:
        counting = rejected[-1]
        state = "rejected"
    elif files:
        counting, state = files[-1], "superseded"
    else:
        counting, state = None, "missing"
    problems = ([{"file": counting["file"], **p} for p in counting["problems"]] if state == "rejected" else [])
    return {
        "unit": unit, "form": form, "state": state, "state_zh": STATE_ZH[state],
        "file": counting["file"] if counting else None,
        "name": _sent_name(season, form, counting) if counting else None,
        "stored": f"inbox/{form}/{counting['file']}" if counting else None,
        "received": counting["received"] if counting else None,
        "received_note": counting["received_note"] if counting else None,
        "sender": counting["sender"] if counting else None,
        "message_id": counting["message_id"] if counting else None,
        "sha256": counting["sha256"] if counting else None,
        "size": counting["size"] if counting else None,
        "issuer": counting["issuer"] if counting else None,
        "problems": problems,
        "flags": list(counting["flags"]) if counting and state == "flagged" else [],
        "warnings": list(counting["warnings"]) if counting else [],      # macros, external links, DDE formulas
        "files": [{k: f[k] for k in ("file", "status", "received", "sender", "sha256")} for f in files],
        "letters": letters,
        "deadline": deadline.isoformat(),
        "days_left": days_left,
        "overdue_days": max(0, -days_left) if state in ("missing", "rejected", "superseded") else 0,
    }


def sent_letters(register) -> list[dict]:
    """The register's 去文 (letters sent), oldest first."""
    if register is None:
        return []
    return sorted(register.letters(), key=lambda e: (e.get("sent") or "", e.get("message_id") or ""))


def load_season(year: int, *, today: dt.date | None = None, now: dt.datetime | None = None) -> Season:
    """Read the notice, the roster, both inboxes (through the intake) and the register; compute every row."""
    now = now or dt.datetime.now(CHINA)
    notice = load_notice(year)
    roster = load_roster(year)
    reports, inboxes = {}, {}
    for form in FORMS:
        reports[form.value], inboxes[form.value] = _read_report(year, form, roster)
    season = Season(year=year, today=today or now.astimezone(CHINA).date(), notice=notice, roster=roster,
                    reports=reports, inboxes=inboxes, register=_open_register(year),
                    generated=now.astimezone(CHINA).replace(microsecond=0).isoformat())
    letters = sent_letters(season.register)
    for unit in roster:
        season.units[unit.name] = {}
        for form in FORMS:
            entries = [e for e in reports[form.value]["submissions"]
                       if e.get("unit") == unit.name and e["status"] in WORKBOOK_STATUSES]
            mine = [{k: e.get(k) for k in ("kind", "sent", "to", "message_id")}
                    for e in letters if e.get("unit") == unit.name and e.get("form") == form.value]
            season.units[unit.name][form.value] = _row(season, unit.name, form.value, entries, mine)
    return season


def status_json(season: Season, forms: list[str] | None = None) -> dict:
    """``{"year", "generated", "today", "roster": [unit …], "units": {unit: {form: row}}}`` (``roster``: the
    units in roster order, as JSON objects have none)."""
    forms = forms or [f.value for f in FORMS]
    return {"year": season.year, "generated": season.generated, "today": season.today.isoformat(),
            "roster": list(season.units), "unassigned": unassigned(season, forms),
            "units": {u: {f: rows[f] for f in forms} for u, rows in season.units.items()}}


def unassigned(season: Season, forms: list[str] | None = None) -> list[dict]:
    """Workbooks that belong to no roster unit (no unit line, or one the roster does not know): the clerk
    answers these by hand — no letter is written for them."""
    out = []
    for form in forms or [f.value for f in FORMS]:
        for e in season.reports[form]["submissions"]:
            if e["status"] in WORKBOOK_STATUSES and (not e.get("unit") or season.roster.get(e["unit"]) is None):
                out.append({"form": form, "file": e["file"], "status": e["status"], **_provenance(e),
                            "problems": e.get("problems") or []})
    return out

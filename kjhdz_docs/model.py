"""Plain data shared by intake, the recommendation list, the summary report and the archive."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from enum import Enum

from .errors import Problem


class Status(str, Enum):
    ACCEPTED = "accepted"
    REJECTED = "rejected"
    SUPERSEDED = "superseded"
    ATTACHMENT = "attachment"
    UNMATCHED = "unmatched"


class FormKind(str, Enum):
    STATISTICS = "statistics"            # 附件2 统计表
    RECOMMENDATIONS = "recommendations"  # 附件1 推荐表


@dataclass
class Activity:
    """One row of a 附件1 推荐表."""

    unit: str            # canonical roster name
    seq: int             # 序号 as the unit numbered it (or its position)
    name: str
    intro: str
    time_place: str
    contact: str
    source_file: str
    sheet: str
    row: int             # 1-based worksheet row (the first, for an activity over several rows)
    cells: dict[str, str] = field(default_factory=dict)      # field → its cell(s): name → B7, time → D7、D8
    formulas: dict[str, str] = field(default_factory=dict)   # field → the formula of a text cell without a value
    sessions: int = 1    # rows of the activity (one merged activity, one session a row)
    numeric: dict[str, str] = field(default_factory=dict)    # field → a 时间 stored as a bare number (5.3)
    unclear: str = ""    # a row shaped like another session of the activity above but not joined to it: why

    def as_dict(self) -> dict:
        d = {"unit": self.unit, "seq": self.seq, "name": self.name, "intro": self.intro,
             "time_place": self.time_place, "contact": self.contact,
             "source": {"file": self.source_file, "sheet": self.sheet, "row": self.row}}
        if self.cells:
            d["source"]["cells"] = dict(self.cells)
        if self.sessions > 1:
            d["source"]["sessions"] = self.sessions
        if self.formulas:
            d["formulas"] = dict(self.formulas)
        if self.numeric:
            d["numeric"] = dict(self.numeric)
        if self.unclear:
            d["unclear"] = self.unclear
        return d


@dataclass
class Submission:
    """One file found in an inbox, whatever became of it."""

    file: str                       # path relative to the inbox, POSIX separators, as submitted
    sha256: str
    size: int
    status: Status
    unit: str | None = None         # canonical roster name, when known
    problems: list[Problem] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)     # non-fatal remarks (blank cell read as 0 …)
    values: dict[str, Decimal | int] = field(default_factory=dict)   # 统计表 indicator id -> value
    activities: list[Activity] = field(default_factory=list)         # 推荐表 rows
    modified: float = 0.0           # file mtime, decides which of two submissions counts
    superseded_by: str | None = None
    attached_to: str | None = None  # for companion files: the workbook they go with
    issuer: str | None = None       # the organization as the form names itself (地方/部门, 推荐单位), in full
    warnings: list[str] = field(default_factory=list)   # macros, external links, DDE: cached values used
    flags: list[dict] = field(default_factory=list)     # plausibility flags (待核实); never change a figure
    file_type: str = "file"         # file | symlink | fifo | device | socket: only a "file" is read or archived
    target: str | None = None       # a symlink's target, as the link holds it (never followed)
    cells: dict[str, tuple] = field(default_factory=dict)  # 统计表: indicator id → (sheet, row, col) read (not serialized)
    received: str | None = None     # from the receipt register: when it was received (ISO, +08:00)
    sender: str | None = None       # the sender's address (From)
    message_id: str | None = None   # the message it came in

    def as_dict(self) -> dict:
        d = {
            "file": self.file, "unit": self.unit, "status": self.status.value, "sha256": self.sha256,
            "size": self.size, "problems": [p.as_dict() for p in self.problems], "notes": list(self.notes),
            "superseded_by": self.superseded_by, "issuer": self.issuer, "warnings": list(self.warnings),
            "flags": [dict(f) for f in self.flags],
        }
        if self.file_type != "file":
            d["file_type"] = self.file_type
            d["target"] = self.target
        for key in ("received", "sender", "message_id"):       # from the receipt register, when known
            if getattr(self, key) is not None:
                d[key] = getattr(self, key)
        return d


@dataclass
class IntakeReport:
    year: int
    kind: FormKind
    inbox: str                       # absolute path of the inbox read
    submissions: list[Submission]

    def with_status(self, status: Status) -> list[Submission]:
        return [s for s in self.submissions if s.status is status]

    @property
    def accepted(self) -> list[Submission]:
        return self.with_status(Status.ACCEPTED)

    @property
    def rejected(self) -> list[Submission]:
        return self.with_status(Status.REJECTED)

    @property
    def any_rejected(self) -> bool:
        return bool(self.rejected)

    def as_dict(self) -> dict:
        return {"year": self.year, "kind": self.kind.value, "inbox": self.inbox,
                "submissions": [s.as_dict() for s in sorted(self.submissions, key=lambda s: s.file)]}

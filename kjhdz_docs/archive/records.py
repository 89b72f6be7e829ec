"""The year's records (件) and their 档号 (DA/T 22-2015), from what the build stages wrote.

Every document of the year is one 件: the notice (with its blank forms), the 推荐清单, the summary
report, every submitted workbook, accepted or not, and every letter sent to a unit (去文, from the receipt
register: :mod:`.correspondence`). A companion file a unit sent along (stamped
scan, its own report) belongs to the 件 of the workbook the intake attached it to; a file attached to
nothing (an unmatched scan, a WPS file, a zip) is a 件 of its own, archived as-is without rendition.

Order (序号 of the 归档文件目录): notice, recommendations, summary, then the submissions — 推荐表 inbox
before 统计表 inbox, each in roster order, then by file name —, then the letters sent, in the order sent. The 件号 (DA/T 22-2015) is the order number
within the lowest class of the scheme, 年度-保管期限-机构(问题): it runs from 1 in every class, gap-free and
the same on every rebuild of the same content (``Z109-WS·2024-Y-KJB-0001…0003``,
``Z109-WS·2024-D30-DWB-0001…``).
"""

from __future__ import annotations

import hashlib
import json
import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

import yaml

from ..errors import DataFileError, MissingInputError
from ..forms import recommendation_title, statistics_title
from ..manifest import MANIFEST, read_manifest
from ..paths import build_dir, data_dir

STAGES = ("notice", "recommendations", "summary")
RECORD_TYPES = ("notice", "recommendations", "summary", "submission", "letter")
# a type archive.yaml may leave out: (保管期限 taken from, 机构(问题) taken from) — a 去文 is kept as long as the
# submissions it answers, under the ministry's own 机构(问题)
DEFAULTED_TYPES = {"letter": ("submission", "notice")}
RETENTIONS = {"Y": "永久", "D30": "30年", "D10": "10年"}
CLASSIFICATIONS = ("非涉密", "秘密", "机密", "绝密")     # 密级 (DA/T 46-2009)
DOCUMENT_TYPES = {"notice": "通知", "recommendations": "清单", "summary": "报告", "submission": "报表",
                  "letter": "函"}   # 文种
DOC_NUMBER_PREFIX = re.compile(r"^(?P<prefix>[^〔\[(（]+)[〔\[(（]")   # 国科发才〔2024〕31号 -> 国科发才
WORKBOOK_SUFFIXES = {".xlsx", ".xlsm", ".xls", ".ods"}
# the inbox each stage reads, in 件号 order
INBOX_KINDS = {"recommendations": "recommendations", "summary": "statistics"}
KIND_ORDER = ("recommendations", "statistics")
FORM_TITLES = {"recommendations": recommendation_title, "statistics": statistics_title}
NAME_BYTES = 240          # file names in the bag stay under the 255-byte limit of common filesystems


@dataclass(frozen=True)
class Organization:
    code: str
    name: str


@dataclass(frozen=True)
class ArchiveConfig:
    """``data/<year>/archive.yaml``: 全宗号, 门类, 档号 form, 保管期限 and 机构或问题 per record type."""

    fonds: str
    fonds_name: str
    source_organization: str
    category: str
    archival_code: str
    item_digits: int
    retention: dict[str, str]
    organizations: dict[str, Organization]
    classification: dict[str, str] = field(default_factory=dict)       # 密级 per record type
    departments: dict[str, Organization] = field(default_factory=dict)  # 发文字号 代字 -> 机构(问题)
    document_types: dict[str, str] = field(default_factory=dict)      # 文种 per record type
    organization_code: str = ""          # 组织机构代码 of the 立档单位 (机构人员 of the 业务 events)

    def organization_for(self, record_type: str, doc_number: str = "") -> Organization:
        """The 机构(问题) of a 件: the department its 发文字号's 代字 names (``departments``), else the
        record type's (``organizations``)."""
        m = DOC_NUMBER_PREFIX.match(doc_number or "")
        if m and m.group("prefix").strip() in self.departments:
            return self.departments[m.group("prefix").strip()]
        return self.organizations[record_type]

    def classification_for(self, record_type: str) -> str:
        return self.classification.get(record_type) or "非涉密"

    def document_type(self, record_type: str) -> str:
        return self.document_types.get(record_type) or DOCUMENT_TYPES[record_type]

    def code(self, *, year: int, record_type: str, item: int, org: Organization | None = None) -> str:
        """The 档号 of one 件 (``item`` is its 件号 within its class)."""
        org = org or self.organizations[record_type]
        return self.archival_code.format(fonds=self.fonds, category=self.category, year=year,
                                         retention=self.retention[record_type], org=org.code,
                                         item=f"{item:0{self.item_digits}d}")

    def class_key(self, retention: str, org_code: str) -> str:
        """The lowest class below the 年度 (保管期限-机构(问题)), e.g. ``D30-DWB``."""
        return f"{retention}-{org_code}"

    def code_pattern(self, year: int | None = None) -> re.Pattern:
        """A regex every 档号 of this configuration matches (件号 captured as ``item``)."""
        parts = {
            "fonds": re.escape(self.fonds), "category": re.escape(self.category),
            "year": str(year) if year else r"\d{4}",
            "retention": "(?:" + "|".join(re.escape(v) for v in sorted(set(self.retention.values()))) + ")",
            "org": "(?:" + "|".join(re.escape(o.code) for o in [*self.organizations.values(),
                                                                 *self.departments.values()]) + ")",
            "item": rf"(?P<item>\d{{{self.item_digits}}})",
        }
        out, pos = "", 0
        for m in re.finditer(r"\{(\w+)\}", self.archival_code):
            out += re.escape(self.archival_code[pos:m.start()]) + parts[m.group(1)]
            pos = m.end()
        return re.compile("^" + out + re.escape(self.archival_code[pos:]) + "$")


def config_path(year: int) -> Path:
    return data_dir(year) / "archive.yaml"


def load_config(year: int, path: Path | None = None) -> ArchiveConfig:
    """Read and check the year's archive arrangement; :class:`DataFileError` lists every bad field."""
    path = Path(path) if path else config_path(year)
    if not path.exists():
        raise DataFileError(path, ["the file is missing: copy data/2024/archive.yaml and ask the archive "
                                   "for its 全宗号"])
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as exc:
        raise DataFileError(path, [f"not valid YAML: {exc}"]) from None
    problems = []
    for key in ("fonds", "fonds_name", "category", "archival_code"):
        if not isinstance(raw.get(key), str) or not raw.get(key):
            problems.append(f"{key}: a non-empty text is required")
    if isinstance(raw.get("fonds"), str) and not re.fullmatch(r"[A-Za-z0-9]{1,8}", raw["fonds"]):
        problems.append(f"fonds: {raw['fonds']!r} is not a 全宗号 (letters and digits, e.g. Z109)")
    retention = dict(raw.get("retention") or {})
    orgs = dict(raw.get("organizations") or {})
    inherited = set()                    # a left-out type's settings, taken from another's (reported there)
    for t, (keep_as, org_of) in DEFAULTED_TYPES.items():
        if t not in retention:
            retention[t] = retention.get(keep_as)
            inherited.add(f"retention.{t}")
        if t not in orgs:
            orgs[t] = orgs.get(org_of)
            inherited.add(f"organizations.{t}")
    for t in RECORD_TYPES:
        if retention.get(t) not in RETENTIONS and f"retention.{t}" not in inherited:
            problems.append(f"retention.{t}: {retention.get(t)!r} is not one of {', '.join(RETENTIONS)}")
        org = orgs.get(t)
        if (not isinstance(org, dict) or not re.fullmatch(r"[A-Za-z0-9]{1,8}", str(org.get("code", "")))) \
                and f"organizations.{t}" not in inherited:
            problems.append(f"organizations.{t}: needs a code (letters/digits) and a name")
    classification = raw.get("classification") or {}
    if not isinstance(classification, dict):
        problems.append("classification: a mapping of record type to 密级 is required")
        classification = {}
    for t, v in classification.items():
        if t not in ("default", *RECORD_TYPES):
            problems.append(f"classification.{t}: not a record type ({', '.join(RECORD_TYPES)} or default)")
        elif v not in CLASSIFICATIONS:
            problems.append(f"classification.{t}: {v!r} is not one of {', '.join(CLASSIFICATIONS)}")
    departments = raw.get("departments") or {}
    if not isinstance(departments, dict):
        problems.append("departments: a mapping of 发文字号 代字 to {code, name} is required")
        departments = {}
    for prefix, org in departments.items():
        if not isinstance(org, dict) or not re.fullmatch(r"[A-Za-z0-9]{1,8}", str(org.get("code", ""))) \
                or not org.get("name"):
            problems.append(f"departments.{prefix}: needs a code (letters/digits) and a name")
    document_types = raw.get("document_types") or {}
    if not isinstance(document_types, dict) or any(t not in RECORD_TYPES or not isinstance(v, str) or not v
                                                   for t, v in document_types.items()):
        problems.append(f"document_types: a mapping of record type ({', '.join(RECORD_TYPES)}) to 文种 is required")
        document_types = {}
    digits = raw.get("item_digits", 4)
    if not isinstance(digits, int) or not 3 <= digits <= 6:
        problems.append(f"item_digits: {digits!r} is not a width between 3 and 6")
    fmt = raw.get("archival_code", "")
    if isinstance(fmt, str):
        used = set(re.findall(r"\{(\w+)\}", fmt))
        unknown = used - {"fonds", "category", "year", "retention", "org", "item"}
        if unknown:
            problems.append(f"archival_code: unknown parts {sorted(unknown)}")
        if "item" not in used or "year" not in used:
            problems.append("archival_code: must contain {year} and {item}")
    if problems:
        raise DataFileError(path, problems)
    return ArchiveConfig(
        fonds=raw["fonds"], fonds_name=raw["fonds_name"],
        source_organization=raw.get("source_organization") or raw["fonds_name"], category=raw["category"],
        archival_code=fmt, item_digits=digits, retention={t: retention[t] for t in RECORD_TYPES},
        organizations={t: Organization(str(orgs[t]["code"]), str(orgs[t].get("name", ""))) for t in RECORD_TYPES},
        classification={t: classification.get(t) or classification.get("default") or "非涉密" for t in RECORD_TYPES},
        departments={str(k).strip(): Organization(str(v["code"]), str(v["name"])) for k, v in departments.items()},
        document_types={t: document_types.get(t) or DOCUMENT_TYPES[t] for t in RECORD_TYPES},
        organization_code=str(raw.get("organization_code") or ""))


def bag_name(name: str, *, limit: int = NAME_BYTES) -> str:
    """A file name as stored in the bag: NFC, no path separators, at most ``limit`` UTF-8 bytes (a longer
    name is cut and marked ``…~<8 hex digits of its sha256>``)."""
    name = unicodedata.normalize("NFC", name).replace("/", "_").replace("\\", "_")
    if len(name.encode("utf-8")) <= limit:
        return name
    stem, dot, suffix = name.rpartition(".")
    if not dot or len(suffix) > 10:
        stem, suffix = name, ""
    # a digest of the whole name keeps two long names that share their beginning apart
    tail = "~" + hashlib.sha256(name.encode("utf-8")).hexdigest()[:8] + (("." + suffix) if suffix else "")
    while len((stem + "…" + tail).encode("utf-8")) > limit:
        stem = stem[:-1]
    return stem + "…" + tail


def bag_relpath(rel: str) -> str:
    """A submitted file's path inside its inbox, each part NFC-normalised and length-limited."""
    return "/".join(bag_name(p) for p in PurePosixPath(rel).parts if p not in ("", ".", ".."))


@dataclass
class Member:
    """One file of a 件 as it goes into the bag."""

    role: str            # original | rendition | attachment | submission | companion | message (来文 .eml)
    source: Path         # where the bytes come from now (build folder or inbox)
    path: str            # path inside the bag (data/…)
    name: str            # the file's own name (as built or as submitted)
    sha256: str = ""     # expected digest (from the intake report), checked before sealing


@dataclass
class Record:
    """One 件 of the year."""

    item: int                      # 件号 within its class (保管期限-机构(问题))
    code: str                      # 档号
    type: str                      # notice | recommendations | summary | submission
    title: str                     # 题名 (a constructed one in [ ])
    creators: list[str]            # 责任者, as the document names its issuer
    date: str                      # ISO date
    doc_number: str                # 文件编号
    disclosure: str                # 公开属性
    retention: str                 # Y | D30 | D10
    organization: Organization
    seq: int = 0                   # 序号: position in the 归档文件目录 (1…n over the year)
    key: str = ""                  # class and 件号, e.g. D30-DWB-0001: folder and metadata file name
    classification: str = "非涉密"  # 密级
    unit: str | None = None        # the roster unit a submission was matched to (kept apart from 责任者)
    members: list[Member] = field(default_factory=list)
    rendition_source: Path | None = None      # the unstamped PDF to stamp (None: no rendition)
    rendition_path: str | None = None         # where the stamped PDF goes in the bag
    submission: dict | None = None            # the intake report entry (file, unit, status, problems …)
    letter: dict | None = None                # a 去文: the register's entry (kind, unit, To, Message-ID, sent …)
    notes: list[str] = field(default_factory=list)

    @property
    def original(self) -> Member:
        return next(m for m in self.members if m.role in ("original", "submission"))

    @property
    def folder(self) -> str:
        return f"data/documents/{self.key}"

    @property
    def class_key(self) -> str:
        return f"{self.retention}-{self.organization.code}"


@dataclass
class Intake:
    """One stage's intake report as the stage wrote it."""

    stage: str
    kind: str
    inbox: Path                  # where the submitted files are read from now
    report_file: Path
    submissions: list[dict]
    inbox_label: str = ""        # the inbox as the bag records it: relative to data/<year>/, never absolute
    inbox_recorded: str = ""     # the inbox as the intake report recorded it


@dataclass
class YearPlan:
    """Everything one seal of a year takes in."""

    year: int
    config: ArchiveConfig
    records: list[Record]
    stages: dict[str, Path]                   # stage -> build folder
    reports: list[tuple[Path, str]]           # (source, bag path) of stage reports and manifests
    intakes: list[Intake]


def _stage_folders(year: int) -> dict[str, Path]:
    folders = {s: build_dir(year, s) for s in STAGES}
    missing = [s for s, f in folders.items() if not (f / MANIFEST).exists()]
    if missing:
        raise MissingInputError(
            f"{year}: nothing to seal yet — no manifest from {', '.join(missing)} "
            f"({', '.join(str(folders[s] / MANIFEST) for s in missing)})",
            hint=f"run the build tasks first (invoke build-all --year {year}, or build-"
                 + " / build-".join(missing) + ")")
    return folders


def inbox_location(year: int, kind: str, recorded: str) -> tuple[Path, str]:
    """Where an intake report's inbox is on this machine, and how the bag names it.

    A relative path is relative to the year's data folder (``inbox/statistics``). An absolute path inside
    this project's data folder is made relative; one that ends in ``<year>/inbox/<kind>`` but lies
    elsewhere (the report was written on another machine, or the project folder was copied) means the
    project's own inbox. Any other absolute path (``--inbox DIR``) is read where it is, and the bag names
    it only by its last part, never by the machine's path.
    """
    base = data_dir(year).resolve()
    raw = PurePosixPath(str(recorded).replace("\\", "/"))
    if not raw.is_absolute():
        return (base / raw).resolve(), raw.as_posix()
    here = Path(str(recorded)).resolve()
    if here.is_relative_to(base):
        return here, here.relative_to(base).as_posix()
    tail = raw.parts[-3:]
    own = base / "inbox" / kind
    if tail == (str(year), "inbox", kind) and own.is_dir():
        return own.resolve(), f"inbox/{kind}"
    return here, f"（收件箱在项目数据目录以外：{raw.name}）"


def _read_intake(stage: str, path: Path, year: int) -> Intake:
    data = json.loads(path.read_text(encoding="utf-8"))
    if not isinstance(data, dict) or "submissions" not in data or "inbox" not in data:
        raise MissingInputError(f"{path}: not an intake report (no inbox/submissions)",
                                hint=f"run build-{stage} again")
    kind = data.get("kind") or INBOX_KINDS.get(stage, stage)
    inbox, label = inbox_location(year, kind, data["inbox"])
    problems = []
    regular = []
    for sub in data["submissions"]:
        name = str(sub.get("file", ""))
        lexical = PurePosixPath(name)
        if not name or lexical.is_absolute() or ".." in lexical.parts:
            problems.append(f"{name!r}: not a path inside the inbox {label}")
            continue
        if sub.get("file_type", "file") != "file":
            # a symbolic link, FIFO or device the intake listed without following or reading it: the report
            # keeps it (and is archived), the entry itself is not; it must still not be a regular file
            if (inbox / name).is_symlink() or not (inbox / name).is_file():
                continue
            problems.append(f"{name!r}: recorded as a {sub.get('file_type')}, but is now a regular file")
            continue
        if not (inbox / name).resolve().is_relative_to(inbox):
            problems.append(f"{name!r}: not a path inside the inbox {label}")
        if not re.fullmatch(r"[0-9a-f]{64}", str(sub.get("sha256", ""))):
            problems.append(f"{name!r}: no valid sha256 recorded")
        regular.append(sub)
    if problems:
        raise MissingInputError(f"{path}: the intake report cannot be trusted —\n  - " + "\n  - ".join(problems),
                                hint=f"run build-{stage} again to rewrite it; the archive was not touched")
    return Intake(stage=stage, kind=kind, inbox=inbox, report_file=path, submissions=regular, inbox_label=label,
                  inbox_recorded=str(data["inbox"]))


def _roster_order(year: int):
    try:
        from ..roster import load_roster
        roster = load_roster(year)
    except Exception:                          # no roster for the year: file names alone decide
        return lambda unit: 0
    return roster.order


def plan_year(year: int, config: ArchiveConfig | None = None) -> YearPlan:
    """Read the stage manifests and intake reports and lay out every 件 with its 档号."""
    config = config or load_config(year)
    folders = _stage_folders(year)
    records: list[Record] = []
    reports: list[tuple[Path, str]] = []
    intakes: list[Intake] = []

    per_class: dict[str, int] = {}

    def new_record(record_type: str, **kw) -> Record:
        org = config.organization_for(record_type, kw.get("doc_number", ""))
        retention = config.retention[record_type]
        klass = config.class_key(retention, org.code)
        item = per_class[klass] = per_class.get(klass, 0) + 1
        rec = Record(item=item, code=config.code(year=year, record_type=record_type, item=item, org=org),
                     type=record_type, retention=retention, organization=org, seq=len(records) + 1,
                     key=f"{klass}-{item:0{config.item_digits}d}",
                     classification=config.classification_for(record_type), **kw)
        records.append(rec)
        return rec

    for stage in STAGES:
        folder = folders[stage]
        manifest = read_manifest(folder)
        reports.append((folder / MANIFEST, f"data/reports/{stage}/{MANIFEST}"))
        for name in manifest.reports:
            reports.append((folder / name, f"data/reports/{stage}/{bag_name(name)}"))
        if manifest.intake:
            intake = _read_intake(stage, folder / manifest.intake, year)
            intakes.append(intake)
            reports.append((folder / manifest.intake, f"data/reports/{stage}/{bag_name(manifest.intake)}"))
        for built in manifest.records:
            rec = new_record(built.type if built.type in RECORD_TYPES[:3] else stage, title=built.title,
                             creators=list(built.creators), date=built.date, doc_number=built.doc_number,
                             disclosure=built.disclosure)
            for role, name in [("original", built.original), *[("attachment", a) for a in built.attachments]]:
                rec.members.append(Member(role, folder / name, f"{rec.folder}/{bag_name(name)}", name))
            rec.rendition_source = folder / built.pdf
            rec.rendition_path = f"{rec.folder}/{bag_name(built.pdf)}"

    # the receipt register the intakes read is part of the year's records
    from ..receive.register import REGISTER, year_dir_of_inbox

    registers = sorted({d for d in (year_dir_of_inbox(year, i.inbox) for i in intakes) if d is not None})
    if len(registers) == 1 and (registers[0] / REGISTER).is_file():
        reports.append((registers[0] / REGISTER, f"data/reports/receive/{REGISTER}"))

    _submission_records(new_record, year, intakes)
    _letter_records(new_record, year)
    return YearPlan(year=year, config=config, records=records, stages=folders, reports=reports, intakes=intakes)


def _received_key(sub: dict) -> tuple:
    """Submissions are filed by the time they were received (DA/T 22: 按时间排列), those without a received time
    (an inbox with no receipt register) after them: a submission received later takes the next 件号 of its
    class, so no 件 sealed before is renumbered."""
    when = _received_time(sub)
    return (0, when.timestamp()) if when else (1, 0.0)


def _submission_records(new_record, year: int, intakes: list[Intake]) -> None:
    """One 件 per submitted workbook (or file sent on its own), ordered by received time, then by form, roster
    order and file name; a file sent with a workbook rides with it (``companion``)."""
    order = _roster_order(year)
    kind_rank = lambda kind: KIND_ORDER.index(kind) if kind in KIND_ORDER else len(KIND_ORDER)  # noqa: E731
    by_kind = sorted(intakes, key=lambda i: (kind_rank(i.kind), i.stage))
    subs = sorted(((i, s) for i in by_kind for s in i.submissions),
                  key=lambda x: (_received_key(x[1]), kind_rank(x[0].kind), x[0].stage, order(x[1].get("unit")),
                                 x[1]["file"]))
    owners: dict[tuple[str, str], Record] = {}
    for intake, sub in subs:
        if _own_record(sub):
            owners[(intake.stage, sub["file"])] = _submission_record(new_record, year, intake, sub)
    for intake, sub in subs:
        if _own_record(sub):
            continue
        owner = owners.get((intake.stage, sub.get("attached_to") or ""))
        if owner is None:
            _submission_record(new_record, year, intake, sub)
        else:
            owner.members.append(_submission_member("companion", intake, sub))


def _letter_records(new_record, year: int) -> None:
    """One 件 per letter the register records as sent (:mod:`.correspondence`), in the order sent."""
    from .correspondence import ROLE_PREFIX, letter_fields, sent_letters

    year_dir = data_dir(year)
    for letter in sent_letters(year, year_dir):
        fields = letter_fields(letter)
        rec = new_record("letter", title=letter.title, creators=[letter.organ], date=letter.date, doc_number="",
                         disclosure="不公开")
        rec.letter = fields
        rec.members.append(Member("original", letter.eml, f"{rec.folder}/{bag_name(ROLE_PREFIX + letter.eml.name)}",
                                  letter.eml.name, sha256=fields["sha256"]))
        rec.rendition_source = letter.pdf
        rec.rendition_path = f"{rec.folder}/{bag_name(letter.pdf.name)}"


def _own_record(sub: dict) -> bool:
    """A workbook is a 件 of its own; anything else rides with the workbook it was attached to."""
    return PurePosixPath(sub["file"]).suffix.lower() in WORKBOOK_SUFFIXES or not sub.get("attached_to")


def _submission_member(role: str, intake: Intake, sub: dict) -> Member:
    return Member(role, intake.inbox / sub["file"], f"data/submissions/{intake.kind}/{bag_relpath(sub['file'])}",
                  PurePosixPath(sub["file"]).name, sha256=sub.get("sha256", ""))


def _file_date(intake: Intake, sub: dict) -> str:
    """The day a submitted file was last written: only for an intake report without received times (an
    inbox outside a year folder, which has no receipt register); the record says so."""
    import datetime as dt

    try:
        return dt.date.fromtimestamp((intake.inbox / sub["file"]).stat().st_mtime).isoformat()
    except OSError:
        return ""


def _date_basis(sub: dict, received: str | None) -> str:
    """Where a submission's 日期 comes from: a received message, the moment a hand-placed file was registered,
    or (no register at all) the file's modification time."""
    from ..receive.register import NOTE_BY_REGISTRATION

    if not received:
        return "文件修改时间（该收件箱没有收件登记）"
    if NOTE_BY_REGISTRATION in (sub.get("notes") or []):
        return "登记时间（文件未经收件登记放入收件箱，收件时间按登记时间）"
    return "收件时间（收件登记）"


def _received_time(sub: dict):
    """When (China time) the submission was received, from the receipt register via the intake report; None
    when the report gives no (readable) time."""
    from ..receive.register import parse_time

    try:
        return parse_time(sub.get("received"))
    except (TypeError, ValueError):
        return None


def _received_date(sub: dict) -> str | None:
    """The day (China time) the submission was received."""
    when = _received_time(sub)
    return when.date().isoformat() if when else None


def _message_member(year: int, intake: Intake, sub: dict, folder: str) -> Member | None:
    """The message the submission came in (来文), as the register kept it, or None."""
    from ..receive.register import Register, year_dir_of_inbox

    mid = sub.get("message_id")
    year_dir = year_dir_of_inbox(year, intake.inbox) if mid else None
    if year_dir is None:
        return None
    entry = Register.open(year_dir).message(mid)
    if not entry or not entry.get("eml"):
        return None
    name = PurePosixPath(entry["eml"]).name
    return Member("message", year_dir / entry["eml"], f"{folder}/{bag_name('来文-' + name)}", name,
                  sha256=entry.get("sha256") or "")
UNSAFE_RULES = {"not-a-workbook", "corrupt-file", "password-protected", "zip-bomb", "xml-entity", "empty-file",
                "file-too-large"}


def form_found(path: Path) -> str | None:
    """Which form a workbook actually holds (``statistics`` | ``recommendations``), by the intake's own label
    search after its safety checks, or None when it holds neither, is unsafe or does not open."""
    from ..intake.reader import read_workbook
    from ..intake.recommendation_form import find_header
    from ..intake.safety import UnsafeFile, check_file
    from ..intake.statistics import MIN_LABELS, best_sheet

    try:
        check_file(path)
        grid = read_workbook(path)
    except (UnsafeFile, OSError, ValueError):
        return None
    except Exception:                          # a parser failure on a hostile file: no form found
        return None
    if any(find_header(s) for s in grid.sheets):
        return "recommendations"
    if len(best_sheet(grid)[1]) >= MIN_LABELS:
        return "statistics"
    return None


def _found_kind(intake: Intake, sub: dict) -> str | None:
    """The form of a submitted workbook: the inbox's, unless the intake found no such form in it (then the
    form actually in it, read again with the intake's label search); None for a file the intake refused
    as unsafe (it is never opened)."""
    rules = {p.get("rule") for p in sub.get("problems") or [] if isinstance(p, dict)}
    if rules & UNSAFE_RULES:
        return None
    if "no-form" not in rules:
        return intake.kind
    return form_found(intake.inbox / sub["file"])


def submission_title(year: int, issuer: str | None, form: str | None, *, is_workbook: bool) -> str:
    """A constructed 题名 (DA/T 22-2015: in ``[ ]``), naming the issuer and the form actually found —
    never a file name."""
    who = f"{issuer}报送的" if issuer else "报送单位不详的"
    if form in FORM_TITLES:
        what = FORM_TITLES[form](year)
    elif is_workbook:
        what = f"{year}年全国科技活动周报送电子表格（未见通知所附报表）"
    else:
        what = f"{year}年全国科技活动周随表报送材料"
    return f"[{who}{what}]"


def _submission_record(new_record, year: int, intake: Intake, sub: dict) -> Record:
    unit = sub.get("unit")
    issuer = (sub.get("issuer") or "").strip() or unit
    name = PurePosixPath(sub["file"]).name
    is_form = PurePosixPath(name).suffix.lower() in WORKBOOK_SUFFIXES
    form = _found_kind(intake, sub) if is_form else None
    title = submission_title(year, issuer, form, is_workbook=is_form)
    received = _received_date(sub)
    rec = new_record("submission", title=title, creators=[issuer] if issuer else [],
                     date=received or _file_date(intake, sub), doc_number="", disclosure="不公开", unit=unit)
    rec.members.append(_submission_member("submission", intake, sub))
    message = _message_member(year, intake, sub, rec.folder)
    if message is not None:
        rec.members.append(message)
    rec.submission = {"kind": intake.kind, "stage": intake.stage, "file": sub["file"], "unit": unit,
                      "issuer": sub.get("issuer"), "form": form,
                      "status": sub.get("status"), "sha256": sub.get("sha256"), "size": sub.get("size"),
                      "problems": sub.get("problems") or [], "notes": sub.get("notes") or [],
                      "superseded_by": sub.get("superseded_by"), "attached_to": sub.get("attached_to"),
                      "received": sub.get("received"), "sender": sub.get("sender"),
                      "message_id": sub.get("message_id"),
                      "date_basis": _date_basis(sub, received)}
    if PurePosixPath(name).suffix.lower() in WORKBOOK_SUFFIXES:
        stem = bag_name(PurePosixPath(name).stem, limit=NAME_BYTES - 4)
        rec.rendition_path = f"{rec.folder}/{stem}.pdf"
    return rec

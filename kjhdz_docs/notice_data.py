"""The notice's content for one year: ``data/<year>/notice.yaml``, loaded and validated.

:func:`load_notice` returns a :class:`NoticeData`; any missing or malformed field raises
:class:`~kjhdz_docs.errors.DataFileError` naming the file and every bad field path
(e.g. ``sections[1].subsections[0].heading: field required``). Other steps read the dates from here:
``week_start``/``week_end`` (the activity week), ``recommendations_deadline``,
``statistics_deadline`` and ``issue_date`` (印发日期), all :class:`datetime.date`.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Annotated, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationError, model_validator

from .errors import DataFileError
from .paths import data_dir

NOTICE_FILE = "notice.yaml"

Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]

_NUMERALS = "一二三四五六七八九十"


def chinese_number(n: int) -> str:
    """1 → 一, 10 → 十, 12 → 十二, 21 → 二十一 (up to 99)."""
    if not 1 <= n <= 99:
        raise ValueError(n)
    tens, ones = divmod(n, 10)
    head = "" if tens == 0 else ("十" if tens == 1 else _NUMERALS[tens - 1] + "十")
    return head + (_NUMERALS[ones - 1] if ones else "")


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=False, frozen=True)


class Issuer(_Model):
    name: Text                     # full name in the 发文机关标志 (科学技术部)
    short: Text                    # short name in the title (科技部)


class DocNumber(_Model):
    prefix: Text                   # 发文机关代字 (国科发才)
    year: int = Field(ge=1949, le=2999)
    serial: int = Field(ge=1)      # 发文顺序号, no leading zeros

    @property
    def text(self) -> str:
        return f"{self.prefix}〔{self.year}〕{self.serial}号"


class Week(_Model):
    start: dt.date
    end: dt.date

    @model_validator(mode="after")
    def _ordered(self):
        if self.end < self.start:
            raise ValueError("end is before start")
        return self


class Deadlines(_Model):
    recommendations: dt.date       # 附件1 推荐表
    statistics: dt.date            # 附件2 统计表


class Subsection(_Model):
    heading: Text                  # without （一）
    paragraphs: list[Text] = []
    items: list[Text] = []         # numbered 1. 2. 3.

    @model_validator(mode="after")
    def _not_empty(self):
        if not self.paragraphs and not self.items:
            raise ValueError("a sub-section needs paragraphs or items")
        return self


class Section(_Model):
    heading: Text                  # without 一、
    paragraphs: list[Text] = []
    subsections: list[Subsection] = []


class ContactLine(_Model):
    label: Text
    value: Text


class Attachment(_Model):
    title: Text
    title_lines: list[Text] = []   # how the title breaks on the attachment page (default: one line)
    form: Literal["recommendations", "statistics"]
    unit_line: str = ""
    notes: list[Text] = []


    @model_validator(mode="after")
    def _lines_spell_title(self):
        if self.title_lines and "".join(self.title_lines) != self.title:
            raise ValueError("title_lines joined must equal title")
        return self

    @property
    def lines(self) -> list[str]:
        return list(self.title_lines) or [self.title]


class Imprint(_Model):
    printer: Text                  # 印发机关
    date: dt.date                  # 印发日期
    copies_to: str = ""            # 抄送 (without "抄送：")


class NoticeData(_Model):
    year: int
    issuers: list[Issuer] = Field(min_length=1)
    doc_number: DocNumber
    title_lines: list[Text] = Field(min_length=1)
    addressees: Text
    week: Week
    deadlines: Deadlines
    intro: list[Text] = []
    sections: list[Section] = Field(min_length=1)
    contact: list[ContactLine] = []
    attachments: list[Attachment] = []
    note: Text                     # 附注, e.g. （此件主动公开）
    disclosure: Literal["主动公开", "依申请公开", "不予公开"]
    imprint: Imprint

    @model_validator(mode="after")
    def _consistent(self):
        problems = []
        if self.doc_number.year != self.year:
            problems.append(f"doc_number.year {self.doc_number.year} is not the notice's year {self.year}")
        if not self.addressees.endswith("："):
            problems.append("addressees must end with the full-width colon “：”")
        if not (self.note.startswith("（") and self.note.endswith("）")):
            problems.append("note must be in full-width parentheses, e.g. （此件主动公开）")
        if self.week.start.year != self.year:
            problems.append(f"week.start {self.week.start} is not in {self.year}")
        if problems:
            raise ValueError("; ".join(problems))
        return self

    # --- derived values other steps use --------------------------------------------------------------
    @property
    def title(self) -> str:
        """题名: the title lines joined."""
        return "".join(self.title_lines)

    @property
    def number(self) -> str:
        """发文字号, e.g. 国科发才〔2024〕31号."""
        return self.doc_number.text

    @property
    def creators(self) -> list[str]:
        """责任者: the issuing organs in order."""
        return [i.name for i in self.issuers]

    @property
    def week_start(self) -> dt.date:
        return self.week.start

    @property
    def week_end(self) -> dt.date:
        return self.week.end

    @property
    def recommendations_deadline(self) -> dt.date:
        return self.deadlines.recommendations

    @property
    def statistics_deadline(self) -> dt.date:
        return self.deadlines.statistics

    @property
    def issue_date(self) -> dt.date:
        """印发日期."""
        return self.imprint.date

    def body_blocks(self) -> list[dict]:
        """The body as a flat list of ``{"kind": "p"|"h1"|"h2"|"item", "text": ...}``, numbers added."""
        blocks = [{"kind": "p", "text": t} for t in self.intro]
        for i, section in enumerate(self.sections, 1):
            blocks.append({"kind": "h1", "text": f"{chinese_number(i)}、{section.heading}"})
            blocks += [{"kind": "p", "text": t} for t in section.paragraphs]
            for j, sub in enumerate(section.subsections, 1):
                blocks.append({"kind": "h2", "text": f"（{chinese_number(j)}）{sub.heading}"})
                blocks += [{"kind": "p", "text": t} for t in sub.paragraphs]
                blocks += [{"kind": "item", "text": f"{k}.{t}"} for k, t in enumerate(sub.items, 1)]
        return blocks


def date_cn(day: dt.date) -> str:
    """2024年3月29日 (no padding, as GB/T 9704 writes dates)."""
    return f"{day.year}年{day.month}月{day.day}日"


def notice_path(year: int) -> Path:
    return data_dir(year) / NOTICE_FILE


def _field_path(loc: tuple) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + str(part)
    return out or "(top level)"


def load_notice_file(path: Path) -> NoticeData:
    """Load and validate one notice data file."""
    path = Path(path)
    if not path.exists():
        raise DataFileError(path, ["the file does not exist (each year needs data/<year>/notice.yaml)"])
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark else ""
        raise DataFileError(path, [f"{where}not valid YAML ({getattr(exc, 'problem', exc)})"]) from None
    except UnicodeDecodeError:
        raise DataFileError(path, ["not UTF-8 text"]) from None
    if not isinstance(raw, dict):
        raise DataFileError(path, ["the file must hold a mapping of fields (year, issuers, …)"])
    try:
        return NoticeData.model_validate(raw)
    except ValidationError as exc:
        problems = []
        for err in exc.errors():
            msg = err["msg"].removeprefix("Value error, ")
            problems.append(f"{_field_path(err['loc'])}: {msg}")
        raise DataFileError(path, problems) from None


def load_notice(year: int) -> NoticeData:
    """The validated notice of ``year`` (``data/<year>/notice.yaml``)."""
    data = load_notice_file(notice_path(year))
    if data.year != year:
        raise DataFileError(notice_path(year), [f"year: {data.year} in the file, but the folder is {year}"])
    return data

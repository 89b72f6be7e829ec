"""The notice's content for one year: ``data/<year>/notice.yaml``, loaded and validated.

:func:`load_notice` returns a :class:`NoticeData`; any missing or malformed field raises
:class:`~kjhdz_docs.errors.DataFileError` naming the file and every bad field path
(e.g. ``sections[1].subsections[0].heading: field required``). Other steps read the dates from here:
``week_start``/``week_end`` (the activity week), ``recommendations_deadline``,
``statistics_deadline`` and ``issue_date`` (印发日期), all :class:`datetime.date`.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from pathlib import Path
from typing import Annotated, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationError, model_validator

from .errors import DataFileError
from .paths import data_dir

NOTICE_FILE = "notice.yaml"

Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]

_NUMERALS = "一二三四五六七八九十"
_BEFORE_DAY = re.compile(r"(\d{1,2})月(\d{1,2})日前")
TITLE_PT = 22                    # 2号, the title and the attachment titles
TYPE_WIDTH_MM = 156.0
PT_MM = 25.4 / 72


def text_width_em(text: str) -> float:
    """Printed width in ems: a full-width character 1, a half-width one (digits, Latin) 0.65 (measured:
    the digits of the 小标宋 stand-in are 0.64 em wide)."""
    return sum(1.0 if unicodedata.east_asian_width(c) in "WFA" else 0.65 for c in text)


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

    def problems(self) -> list[str]:
        """What contradicts itself across fields, each as ``field.path: message`` (empty when consistent)."""
        out = []
        if self.doc_number.year != self.year:
            out.append(f"doc_number.year: {self.doc_number.year} is not the notice's year {self.year}")
        if not self.addressees.endswith("："):
            out.append("addressees: must end with the full-width colon “：”")
        if not (self.note.startswith("（") and self.note.endswith("）")):
            out.append("note: must be in full-width parentheses, e.g. （此件主动公开）")
        if self.week.start.year != self.year:
            out.append(f"week.start: {self.week.start} is not in {self.year}")
        for name, day in (("recommendations", self.deadlines.recommendations),
                          ("statistics", self.deadlines.statistics)):
            if day.year != self.year:
                out.append(f"deadlines.{name}: {day} is not in {self.year}")
        if self.deadlines.recommendations > self.week.start:
            out.append(f"deadlines.recommendations: {self.deadlines.recommendations} is after the week starts "
                       f"({self.week.start}); the 推荐表 are needed before it")
        if self.deadlines.statistics < self.week.end:
            out.append(f"deadlines.statistics: {self.deadlines.statistics} is before the week ends ({self.week.end})")
        if self.imprint.date.year != self.year:
            out.append(f"imprint.date: {self.imprint.date} is not in {self.year}")
        seen: dict[str, int] = {}
        for i, a in enumerate(self.attachments):
            if a.form in seen:
                out.append(f"attachments[{i}].form: {a.form} is attached already as attachments[{seen[a.form]}]; "
                           "each form is attached once")
            seen.setdefault(a.form, i)
            deadline = self.deadline_of(a.form)
            for j, text in enumerate([a.title, *a.notes]):
                where = f"attachments[{i}]." + ("title" if j == 0 else f"notes[{j - 1}]")
                for y in {int(m) for m in re.findall(r"(\d{4})年", text)} - {self.year}:
                    out.append(f"{where}: names the year {y}, the notice is for {self.year}")
                for m in _BEFORE_DAY.finditer(text):
                    month, day = int(m.group(1)), int(m.group(2))
                    if (month, day) != (deadline.month, deadline.day):
                        out.append(f"{where}: says {m.group(0)}, but deadlines.{a.form} is "
                                   f"{deadline.month}月{deadline.day}日")
        return out

    def layout_warnings(self) -> list[str]:
        """Lines that will not fit on one line when printed (``field.path: message``); not errors."""
        out = []
        for field, lines, size in [("title_lines", self.title_lines, TITLE_PT)] + [
                (f"attachments[{i}].title_lines" if a.title_lines else f"attachments[{i}].title", a.lines, TITLE_PT)
                for i, a in enumerate(self.attachments)]:
            for k, line in enumerate(lines):
                width = text_width_em(line) * size * PT_MM
                if width > TYPE_WIDTH_MM + 0.05:
                    where = f"{field}[{k}]" if field.endswith("lines") else field
                    out.append(f"{where}: 「{line}」 is {width:.0f} mm wide in 2号 (the type area is "
                               f"{TYPE_WIDTH_MM:.0f} mm, about {int(TYPE_WIDTH_MM / (size * PT_MM))} characters); "
                               "it will wrap — break it into lines in the yaml where it should break")
        return out

    def deadline_of(self, form: str) -> dt.date:
        return self.deadlines.recommendations if form == "recommendations" else self.deadlines.statistics

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


class _Loader(yaml.SafeLoader):
    """YAML without implicit timestamps (a date is parsed by the model, so ``2025-06-31`` is reported with
    its field) and with duplicate keys refused (YAML would silently keep the last)."""


_Loader.yaml_implicit_resolvers = {
    k: [(tag, rx) for tag, rx in v if tag != "tag:yaml.org,2002:timestamp"]
    for k, v in yaml.SafeLoader.yaml_implicit_resolvers.items()}


def _mapping(loader: _Loader, node: yaml.MappingNode, deep: bool = False):
    keys = set()
    for key_node, _ in node.value:
        key = loader.construct_object(key_node, deep=deep)
        if key in keys:
            raise yaml.constructor.ConstructorError(
                None, None, f"the key “{key}” appears twice in one mapping", key_node.start_mark)
        keys.add(key)
    return loader.construct_mapping(node, deep=deep)


_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _mapping)


def load_notice_file(path: Path) -> NoticeData:
    """Load and validate one notice data file."""
    path = Path(path)
    if not path.exists():
        raise DataFileError(path, ["the file does not exist (each year needs data/<year>/notice.yaml)"])
    try:
        raw = yaml.load(path.read_text(encoding="utf-8"), Loader=_Loader)  # noqa: S506 - a SafeLoader
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark else ""
        raise DataFileError(path, [f"{where}not valid YAML ({getattr(exc, 'problem', exc)})"]) from None
    except UnicodeDecodeError:
        raise DataFileError(path, ["not UTF-8 text"]) from None
    except OSError as exc:
        raise DataFileError(path, [f"cannot be read ({exc.strerror or exc})"]) from None
    if not isinstance(raw, dict):
        raise DataFileError(path, ["the file must hold a mapping of fields (year, issuers, …)"])
    try:
        data = NoticeData.model_validate(raw)
    except ValidationError as exc:
        problems = []
        for err in exc.errors():
            msg = err["msg"].removeprefix("Value error, ")
            shown = err.get("input")
            value = (f" (the file says {str(shown)[:40]!r})"
                     if isinstance(shown, (str, int, float)) and not isinstance(shown, bool) and err["loc"] else "")
            problems.append(f"{_field_path(err['loc'])}: {msg}{value}")
        raise DataFileError(path, problems) from None
    problems = data.problems()
    if problems:
        raise DataFileError(path, problems)
    return data


def load_notice(year: int) -> NoticeData:
    """The validated notice of ``year`` (``data/<year>/notice.yaml``)."""
    data = load_notice_file(notice_path(year))
    if data.year != year:
        raise DataFileError(notice_path(year), [f"year: {data.year} in the file, but the folder is {year}"])
    return data

"""The two forms of the notice, as data: 附件1 推荐表 columns and 附件2 统计表 indicators.

Labels are the seed notice's; ids are the code's and never change. The blank forms, the intake
readers, the summary report and the notice's attachment tables all read these definitions.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date


@dataclass(frozen=True)
class Indicator:
    id: str
    label: str
    unit: str                 # 次 / 万元 / 人次 / 家 / 篇 / 个 / 所
    group: str | None = None  # the merged label to the left in the 统计表, if any

    @property
    def is_money(self) -> bool:
        return self.unit == "万元"

    @property
    def is_integer(self) -> bool:
        return not self.is_money


FUNDING = "活动经费投入数量（单位：万元）"
STAFF = "科普工作人员参与数量（单位：人次）"
PUBLIC = "科普活动群众参与数量（单位：人次）"
MEDIA = "宣传报道情况"

INDICATORS: tuple[Indicator, ...] = (
    Indicator("activities", "科普活动开展次数", "次"),
    Indicator("funding.central", "中央财政经费投入情况", "万元", FUNDING),
    Indicator("funding.provincial", "省级、副省级财政经费投入情况", "万元", FUNDING),
    Indicator("funding.municipal", "市级财政经费投入情况", "万元", FUNDING),
    Indicator("funding.county", "县级财政经费投入情况", "万元", FUNDING),
    Indicator("funding.enterprise", "企业赞助经费情况", "万元", FUNDING),
    Indicator("funding.in_kind", "实物投入情况（如：捐赠图书、光盘、创新操作室等）", "万元", FUNDING),
    Indicator("funding.other", "其他经费情况", "万元", FUNDING),
    Indicator("staff.fulltime", "科普专职人员数量", "人次", STAFF),
    Indicator("staff.scientists", "科技工作者参与数量", "人次", STAFF),
    Indicator("staff.volunteers", "招募科技志愿者数量", "人次", STAFF),
    Indicator("staff.other", "其他人员数量", "人次", STAFF),
    Indicator("public.offline", "线下活动群众参与数量", "人次", PUBLIC),
    Indicator("public.online", "线上活动群众参与数量", "人次", PUBLIC),
    Indicator("media.outlets", "参与媒体数量", "家", MEDIA),
    Indicator("media.reports", "宣传报道数量", "篇", MEDIA),
    Indicator("open.venues", "活动周期间开放的科普场馆数量", "个"),
    Indicator("open.institutes", "活动周期间开放的科研机构数量", "个"),
    Indicator("open.universities", "活动周期间开放的大学数量", "所"),
)
INDICATOR_BY_ID = {i.id: i for i in INDICATORS}

STATISTICS_UNIT_LABEL = "地方/部门（盖章）"


@dataclass(frozen=True)
class Column:
    id: str
    label: str
    hint: str = ""


RECOMMENDATION_COLUMNS: tuple[Column, ...] = (
    Column("seq", "序号"),
    Column("name", "活动名称"),
    Column("intro", "活动简介", "（100字以内，方案可附后）"),
    Column("time_place", "举办时间、地点", "（地点精确到县级）"),
    Column("unit", "推荐单位"),
    Column("contact", "联系人及电话"),
)
# the 推荐表 fields a reader finds (separate 时间 / 地点 and 联系人 / 电话 columns too), as messages name them
FIELD_NAMES = {"name": "活动名称", "intro": "活动简介", "time": "举办时间", "place": "举办地点",
               "time_place": "举办时间、地点", "contact": "联系人", "phone": "联系电话"}
RECOMMENDATION_UNIT_LABEL = "推荐单位"
RECOMMENDATION_UNIT_LINE = "推荐单位：党中央、国务院有关部门相关司局，地方科技管理部门（公章）"
MAX_ACTIVITIES = 5
INTRO_MAX_CHARS = 100


def statistics_title(year: int) -> str:
    return f"{year}年全国科技活动周开展情况统计表"


def recommendation_title(year: int) -> str:
    return f"{year}年全国科技活动周特色群众性科技活动推荐表"


def recommendation_notes(deadline: date | None) -> tuple[str, ...]:
    """The 推荐表's 说明 when the notice gives none: the year's own deadline (from ``notice.yaml``) and the
    limit of activities; without a deadline (no notice data for the year) only the limit."""
    lines = [f"请于{deadline.month}月{deadline.day}日前将该表盖章扫描件及电子版反馈联系人邮箱。"] if deadline else []
    return numbered_notes([*lines, f"各地方各相关部门推荐活动数量不超过{MAX_ACTIVITIES}项。"])


def numbered_notes(notes) -> tuple[str, ...]:
    """「说明：1. …」, 「2. …」: a form's notes as its rows print them."""
    return tuple(("说明：" if i == 1 else "") + f"{i}. {n}" for i, n in enumerate(notes, 1))

"""Notices of other years and shapes, written as data files only (a ``notice.yaml`` each), from the 2024
notice's content: what a new user changes for a new year. Used by ``test_notice_shapes.py``."""

from __future__ import annotations

import copy
from pathlib import Path

import yaml

from kjhdz_docs.notice_data import notice_path

LONG_ORGANS = [("国家市场监督管理总局", "市场监管总局"), ("国家国防科技工业局", "国家国防科工局")]


def base() -> dict:
    return yaml.safe_load(notice_path(2024).read_text(encoding="utf-8"))


def for_year(raw: dict, year: int, *, rec_deadline: str, stat_deadline: str, issued: str,
             week: tuple[str, str]) -> dict:
    """The 2024 content moved to ``year`` with that year's dates (titles, notes and text follow)."""
    text = yaml.safe_dump(raw, allow_unicode=True, sort_keys=False)
    text = text.replace("2024年", f"{year}年").replace("〔2024〕", f"〔{year}〕")
    data = yaml.safe_load(text)
    rm, rd = int(rec_deadline[5:7]), int(rec_deadline[8:10])
    for a in data["attachments"]:
        a["notes"] = [n.replace("4月15日", f"{rm}月{rd}日") for n in a["notes"]]
    data["year"] = year
    data["doc_number"]["year"] = year
    data["week"] = {"start": week[0], "end": week[1]}
    data["deadlines"] = {"recommendations": rec_deadline, "statistics": stat_deadline}
    data["imprint"]["date"] = issued
    return data


def shapes() -> dict[str, dict]:
    """name → notice data (as the yaml holds it)."""
    raw = base()
    out: dict[str, dict] = {}

    # 2025: four organs, two with 9+ character names; a 抄送 of two lines;
    # the attachments in the other order (统计表 first)
    d = for_year(raw, 2025, rec_deadline="2025-04-18", stat_deadline="2025-07-10", issued="2025-03-31",
                 week=("2025-05-17", "2025-05-24"))
    d["issuers"] = d["issuers"][:2] + [{"name": n, "short": s} for n, s in LONG_ORGANS]
    d["title_lines"] = ["科技部等四部门关于举办", "2025年全国科技活动周的通知"]
    d["imprint"]["copies_to"] = ("国务院办公厅，全国人大教科文卫委员会，全国政协教科卫体委员会，各省、自治区、"
                                 "直辖市人民政府办公厅，新疆生产建设兵团办公厅")
    d["attachments"] = list(reversed(d["attachments"]))
    out["four-organs-2025"] = d

    # 2026: one organ, one attachment (the 推荐表), a short body
    d = for_year(raw, 2026, rec_deadline="2026-04-10", stat_deadline="2026-06-30", issued="2026-03-20",
                 week=("2026-05-16", "2026-05-23"))
    d["issuers"] = [{"name": "科学技术部", "short": "科技部"}]
    d["title_lines"] = ["科技部关于举办", "2026年全国科技活动周的通知"]
    d["sections"] = d["sections"][:1]
    d["attachments"] = d["attachments"][:1]
    out["one-organ-2026"] = d

    # 2027: two organs, a three-line title, a long body; the 统计表's notes fill its page, so the 版记 needs a page of its own
    d = for_year(raw, 2027, rec_deadline="2027-04-15", stat_deadline="2027-06-30", issued="2027-03-26",
                 week=("2027-05-22", "2027-05-29"))
    d["issuers"] = d["issuers"][:2]
    d["title_lines"] = ["科技部 中央宣传部关于举办", "2027年全国科技活动周", "暨科技工作者日活动的通知"]
    d["intro"] = d["intro"] * 2
    d["attachments"][1]["notes"] = [
        "请于6月30日前报送。各项数据请按活动周期间实际开展情况如实填写，不得估算或重复统计。",
        "经费单位为万元，可保留两位小数；人数、次数、数量为整数。",
        "同一活动由多个单位联合举办的，由牵头单位统计，其他单位不重复填报。",
        "线上活动群众参与数量以平台统计的独立访问人次为准，并在报送总结报告时注明统计口径。",
        "各单位请指定专人负责统计，报送前由单位负责同志审核，并加盖单位公章后报送扫描件。",
    ] * FILL_REPEAT
    out["long-2027"] = d
    return out


FILL_REPEAT = 2


def write(data: dict, folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "notice.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path

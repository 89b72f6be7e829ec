"""What each letter says: its facts (what decides whether it is new), its text and its addressee.

A :class:`Letter` is plain data: the template context of ``doc_templates/letter.docx`` plus the mail
headers. Its ``key`` is the sha256 of its *facts* (the unit, the form, the file and its problems or flags,
the deadline phase, the wording version) — never of the date it was written: the same problems give the
same key, so no new letter is written (or sent) for them. A 催报通知's facts are the missing form and
whether the deadline has passed: one reminder before the deadline, one more once it is overdue.

Whatever the unit typed (a cell's value, a file name, the issuer's name) is carried verbatim; the template
renders it with autoescape, so ``<``, ``&`` or ``{{ x }}`` come out as typed.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
from dataclasses import dataclass, field

from ..notice_data import date_cn
from ..status.compute import FORM_ZH, Season

WORDING_VERSION = 4           # bump when the wording changes: every letter is then written anew

REJECTION, VERIFICATION, REMINDER, RECEIPT = "退回修改通知", "核实函", "催报通知", "回执"
KINDS = (REJECTION, VERIFICATION, REMINDER, RECEIPT)
KIND_IDS = {REJECTION: "rejection", VERIFICATION: "verification", REMINDER: "reminder", RECEIPT: "receipt"}

# rule id -> (the rule in plain words, what to do)
RULES: dict[str, tuple[str, str]] = {
    "negative-number": ("数值为负数，统计数不能小于 0", "核实后填写不小于 0 的数"),
    "not-a-number": ("不是数字，该栏只能填写数字", "只填写阿拉伯数字，不加文字、单位或“约”“余”等字"),
    "not-integer": ("不是整数，次、人次、个、家、篇、所计的数应为整数", "核实后填写整数"),
    "wrong-unit": ("单位不对，经费以万元计", "换算为万元后只填写数字（如 35.6 万元填 35.6）"),
    "formula-no-value": ("公式没有计算结果，文件中只有公式，没有数值", "在 Excel 或 WPS 中打开、重新计算并保存，或直接填写数值"),
    "missing-indicator": ("缺少指标行，统计表的指标不能删除或改写", "使用通知所附统计表重新填写"),
    "no-form": ("不是统计表或推荐表，文件中找不到表格的指标或表头", "使用通知所附的表格填写后重新报送"),
    "empty-form": ("推荐表没有填写任何活动", "填写推荐活动后重新报送"),
    "missing-unit": ("没有填写报送单位", "在“地方/部门”或“推荐单位”处填写单位全称"),
    "unknown-unit": ("报送单位名称无法识别", "填写规范的地方或部门名称（如：河北省、深圳市、中国科学院）"),
    "wps-format": ("文件为 WPS 专用格式，无法读取", "用 WPS 或 Excel 打开后另存为 .xlsx 格式"),
    "archive-file": ("文件为压缩包，不予拆解读取", "将其中的表格和扫描件解压后分别发送"),
    "empty-file": ("文件是空的（0 字节）", "重新导出文件后发送"),
    "file-too-large": ("文件过大", "删除多余内容后重新保存并发送"),
    "too-large": ("文件内容过大，无法读取", "删除多余内容后重新保存并发送"),
    "not-a-workbook": ("文件不是 Excel 表格（可能是改了扩展名的其他文件）", "用 Excel 或 WPS 打开通知所附表格，填写后保存为 .xlsx"),
    "corrupt-file": ("文件已损坏，无法打开", "重新保存后发送"),
    "password-protected": ("文件设置了打开密码", "取消密码后重新保存并发送"),
    "zip-bomb": ("文件结构异常，出于安全原因未予打开", "用 Excel 或 WPS 重新保存为 .xlsx 后发送"),
    "xml-entity": ("文件含有不安全的内部结构，出于安全原因未予打开", "用 Excel 或 WPS 重新保存为 .xlsx 后发送"),
}


_LABEL = re.compile(r"「([^」]+)」")
_SPACES = re.compile(r"\s+")
CONTACT_LABELS = ("联系人", "电话", "邮箱")


def rule_words(rule: str, message: str) -> tuple[str, str]:
    """(the rule in plain words, what to do); an unknown rule falls back to the intake's own message."""
    return RULES.get(rule, (message, "按说明修改后重新报送"))


@dataclass
class Letter:
    kind: str                        # 退回修改通知 | 核实函 | 催报通知 | 回执
    unit: str
    form: str                        # statistics | recommendations
    facts: dict                      # what the key is made of
    title_lines: list[str]
    addressee: str
    before: list[str]
    after: list[str]
    problems: list[dict] = field(default_factory=list)
    flags: list[dict] = field(default_factory=list)
    receipt: list[dict] = field(default_factory=list)
    to: str | None = None
    to_source: str | None = None     # register | roster | None
    note: str | None = None

    @property
    def key(self) -> str:
        data = {"kind": self.kind, "unit": self.unit, "form": self.form, "to": self.to, "v": WORDING_VERSION,
                **self.facts}
        return hashlib.sha256(json.dumps(data, ensure_ascii=False, sort_keys=True).encode()).hexdigest()

    @property
    def name(self) -> str:
        """File name without suffix: kind first, then the form, then the key's first 8 hex digits."""
        return f"{self.kind}-{FORM_ZH[self.form]}-{self.key[:8]}"

    @property
    def subject(self) -> str:
        return f"【{self.kind}】{''.join(self.title_lines)}（{self.unit}）"


def received_cn(iso: str | None) -> str | None:
    """2024-04-10T09:31:00+08:00 → 2024年4月10日9时31分 (China time); None when unknown."""
    if not iso:
        return None
    t = dt.datetime.fromisoformat(iso).astimezone(dt.timezone(dt.timedelta(hours=8)))
    return f"{date_cn(t.date())}{t.hour}时{t.minute:02d}分"


def contact_address(season: Season) -> str | None:
    """The notice's contact e-mail address (the contact line whose label says 邮箱)."""
    for c in season.notice.contact:
        if "邮箱" in re.sub(r"\s", "", c.label) and "@" in c.value:
            return c.value.strip()
    return None


def contact_lines(season: Season) -> list[str]:
    """The notice's contact (联系人, 电话, 邮箱), one line each (联系人：…, 联系电话：…, 邮箱：…): a telephone
    number is never broken at its hyphen, as one run-on paragraph did (010- | 58881428)."""
    return [_SPACES.sub("", c.label) + "：" + c.value for c in season.notice.contact
            if any(word in _SPACES.sub("", c.label) for word in CONTACT_LABELS)]


def _addressee(season: Season, unit: str, row: dict) -> str:
    issuer = row.get("issuer")
    return f"{issuer or unit}："


def _recipient(season: Season, unit: str, row: dict) -> tuple[str | None, str | None, str | None]:
    """(To, where it came from, note): the sender of the file, else of any file of the unit, else the roster."""
    if row.get("sender"):
        return row["sender"], "register", None
    for form_row in season.units.get(unit, {}).values():
        for f in reversed(form_row["files"]):
            if f.get("sender"):
                return f["sender"], "register", f"收件地址取自该单位报送{FORM_ZH[form_row['form']]}的发件人"
    roster_unit = season.roster.get(unit)
    if roster_unit is not None and roster_unit.email:
        return roster_unit.email, "roster", "收件地址取自报送单位名单（units.yaml）"
    return None, None, "收件登记簿和报送单位名单中都没有该单位的邮箱：请填写收件人后再发送"


TITLE_LINE = 20                # 2号 characters a title line holds in the 156 mm 版心
TITLE_ONE_LINE = 16            # a title up to this width stays on one line
# where a title may break (GB/T 9704 §7.3.1: 回行时词意完整): after these words, or before these
BREAK_AFTER = ("活动周", "年")
BREAK_BEFORE = ("开展情况", "特色", "重点", "有关", "的", "收件")


def _size(s: str) -> float:
    return sum(0.5 if ch.isascii() else 1 for ch in s)


def _split_title(text: str, width: int = TITLE_ONE_LINE) -> list[str]:
    """Break a title into lines, whole words kept together: of the places where a title may break
    (after 活动周 or a year, before 开展情况, 有关, 的 …), the one giving the most even lines that each fit
    a line of the 版心; a title with no such place is broken evenly by width (digits count half, never
    inside a number)."""
    if _size(text) <= width:
        return [text]
    places = sorted({i + len(w) for w in BREAK_AFTER for i in _finds(text, w)}
                    | {i for w in BREAK_BEFORE for i in _finds(text, w)})
    fits = [i for i in places if 0 < i < len(text)
            and max(_size(text[:i]), _size(text[i:])) <= TITLE_LINE and _size(text[i:]) >= 4]
    if fits:
        best = min(fits, key=lambda i: (abs(_size(text[:i]) - _size(text[i:])), -i))
        return [text[:best], text[best:]]
    total = _size(text)
    lines = -(-int(total) // width)
    target = total / lines
    out, cur = [], ""
    for ch in text:
        if cur and _size(cur) >= target and len(out) < lines - 1 and not (ch.isdigit() and cur[-1].isdigit()):
            out.append(cur)
            cur = ""
        cur += ch
    out.append(cur)
    return out


def _finds(text: str, word: str) -> list[int]:
    return [m.start() for m in re.finditer(re.escape(word), text)]


def _warned(row: dict, after: list[str], facts: dict) -> None:
    """The intake's warnings on the file (macros not run, external links not updated, DDE formulas not run)
    as paragraphs before the closing line, and in the letter's facts (a letter without them keeps its key)."""
    warnings = [str(w).rstrip("。") for w in row.get("warnings") or []]
    if warnings:
        after[-1:-1] = [f"另：所报文件{w}。" for w in warnings]
        facts["warnings"] = warnings


def rejection(season: Season, unit: str, row: dict, letter_date: dt.date) -> Letter:
    title = season.form_title(row["form"])
    email = contact_address(season)
    problems = []
    for n, p in enumerate(row["problems"], 1):
        plain, todo = rule_words(p["rule"], p["message"])
        named = _LABEL.search(p["message"]) if p["rule"] in RULES else None
        problems.append({"n": n, "sheet": p.get("sheet") or "—", "cell": p.get("cell") or "—",
                         "value": p.get("value") if p.get("value") is not None else "—",
                         "rule": f"{named.group(1)}：{plain}" if named else plain, "todo": todo})
    when = received_cn(row.get("received"))
    sent = f"你单位于{when}报送的" if when else "你单位报送的"
    before = [f"{sent}《{title}》（文件“{row['name']}”）经审核，有以下 {len(problems)} 处问题，未予采用，现予退回："]
    resend = f"将表格电子版（.xlsx）及盖章扫描件重新发送至{email}" if email else "将表格电子版（.xlsx）及盖章扫描件重新报送"
    deadline = season.deadline(row["form"])
    after = [f"请逐项修改后，于{date_cn(deadline)}前{resend}。" if letter_date <= deadline else
             f"请逐项修改。报送截止时间（{date_cn(deadline)}）已过，请于收到本通知后尽快{resend}。",
             "特此通知。"]
    to, source, note = _recipient(season, unit, row)
    facts = {"file": row["file"], "sha256": row["sha256"], "deadline": row["deadline"],
             "late": letter_date > season.deadline(row["form"]),
             "problems": [{k: p.get(k) for k in ("sheet", "cell", "rule", "message", "value")} for p in row["problems"]]}
    _warned(row, after, facts)
    return Letter(REJECTION, unit, row["form"], facts, _split_title(f"关于退回修改{title}的通知"),
                  _addressee(season, unit, row), before, after, problems=problems, to=to, to_source=source, note=note)


def _number(value) -> str:
    if value is None or value == "":
        return "—"
    return str(value)


def verification(season: Season, unit: str, row: dict, letter_date: dt.date) -> Letter:
    title = season.form_title(row["form"])
    email = contact_address(season)
    limits = {f.get("limit") for f in row["flags"] if f.get("limit") not in (None, "")}
    one_limit = next(iter(limits)) if len(limits) == 1 else None
    flags = [{"n": n, "indicator": _indicator_label(f.get("indicator")),
              "cell": str(f.get("cell") or "—").rsplit("!", 1)[-1],
              "value": _number(f.get("value")), "previous": _number(f.get("previous")),
              "peer_median": _number(f.get("peer_median")), "note": _flag_note(f, with_limit=one_limit is None)}
             for n, f in enumerate(row["flags"], 1)]
    when = received_cn(row.get("received"))
    sent = f"你单位于{when}报送的" if when else "你单位报送的"
    why = []
    if any(f.get("rule") != "total-mismatch" for f in row["flags"]):
        why.append(f"与上年数或同类单位中位数相差 {float(one_limit):g} 倍以上" if one_limit is not None else
                   "与上年数或同类单位中位数相差过大（倍数见说明）")
    if any(f.get("rule") == "total-mismatch" for f in row["flags"]):
        why.append("合计数与各分项之和不等")
    before = [f"{sent}《{title}》（文件“{row['name']}”）已收到并予采用。经审核，以下 {len(flags)} 项数据"
              f"{'或'.join(why)}，可能有误，请予核实（“—”为无可比数据）："]
    deadline = season.deadline(row["form"])
    answer = f"将核实结果发送至{email}" if email else "报送核实结果"
    after = ["如数据无误，请复函确认（回复本邮件即可）；如有误，请修改后重新报送统计表电子版（.xlsx）及盖章扫描件。"
             + (f"请于{date_cn(deadline)}前{answer}。" if letter_date <= deadline else f"请于收到本函后尽快{answer}。"),
             "特此函告。"]
    to, source, note = _recipient(season, unit, row)
    facts = {"file": row["file"], "sha256": row["sha256"],
             "flags": [{k: f.get(k) for k in ("indicator", "cell", "value", "previous", "peer_median", "factor",
                                               "message")} for f in row["flags"]]}
    _warned(row, after, facts)
    return Letter(VERIFICATION, unit, row["form"], facts, _split_title(f"关于核实{title}有关数据的函"),
                  _addressee(season, unit, row), before, after, flags=flags, to=to, to_source=source, note=note)


_LIMIT_TAIL = re.compile(r"（超出 ?([\d.]+) ?倍的合理范围），?待核实。?$")


def _flag_note(flag: dict, *, with_limit: bool) -> str:
    """The 说明 of a flag, short enough for its column: what the figures beside it do not say — how far off
    it is (高于同类单位中位数约 1945.3 倍), or for a 合计 row the sum of its parts; the bound only when the
    letter's flags have different ones (else the paragraph above the table names it)."""
    message = str(flag.get("message") or "")
    if flag.get("rule") == "total-mismatch":
        m = re.search(r"各分项之和为[^，]*，二者不等", message)
        return m.group(0) if m else message
    note = message.rsplit("：", 1)[-1] if "：" in message else message   # the figures are in the columns
    tail = _LIMIT_TAIL.search(note)
    if tail:
        note = note[:tail.start()] + (f"（超出 {tail.group(1)} 倍）" if with_limit else "")
    if not note and flag.get("factor") not in (None, ""):
        note = f"约为参照值的 {flag['factor']} 倍"
    return note


def _indicator_label(indicator_id) -> str:
    from ..forms import INDICATORS

    for ind in INDICATORS:
        if ind.id == indicator_id:
            return f"{ind.label}（{ind.unit}）"
    return str(indicator_id or "—")


def reminder(season: Season, unit: str, row: dict, letter_date: dt.date) -> Letter:
    title = season.form_title(row["form"])
    email = contact_address(season)
    notice = season.notice
    deadline = season.deadline(row["form"])
    late = letter_date > deadline
    before = [f"根据《{notice.title}》（{notice.number}）要求，各地方各部门应于{date_cn(deadline)}前报送《{title}》。"
              f"截至{date_cn(letter_date)}，我部尚未收到你单位报送的{FORM_ZH[row['form']]}。"]
    if late:
        before[0] += f"报送截止时间已过 {(letter_date - deadline).days} 天。"
    where = f"发送至{email}" if email else "报送"
    short = FORM_ZH[row["form"]]
    after = [(f"请于收到本通知后尽快将{short}电子版（.xlsx）及盖章扫描件{where}；" if late else
              f"请于{date_cn(deadline)}前将{short}电子版（.xlsx）及盖章扫描件{where}；")
             + ("如已报送，请将原邮件转发至该邮箱。" if email else "如已报送，请告知报送时间。"), "特此通知。"]
    to, source, note = _recipient(season, unit, row)
    facts = {"deadline": row["deadline"], "late": late}
    return Letter(REMINDER, unit, row["form"], facts, _split_title(f"关于报送{title}的催报通知"),
                  f"{unit}：", before, after, to=to, to_source=source, note=note)


def receipt(season: Season, unit: str, row: dict, letter_date: dt.date) -> Letter:
    title = season.form_title(row["form"])
    when = received_cn(row.get("received"))
    before = [f"你单位报送的《{title}》" + (f"已于{when}收到" if when else "已收到") + "，经审核予以采用。所收文件如下"
              "（SHA-256 校验值可用来核对收发文件是否一致）："]
    rows = [{"label": "报送内容", "value": title}, {"label": "文件名", "value": row["name"]},
            {"label": "收件时间", "value": when or (row.get("received_note") or "不详")},
            {"label": "发件人", "value": row.get("sender") or "—"},
            {"label": "文件大小", "value": f"{row['size']:,} 字节"},
            {"label": "SHA-256 校验值", "value": row["sha256"]}]
    after = ["特此回复。"]
    to, source, note = _recipient(season, unit, row)
    facts = {"file": row["file"], "sha256": row["sha256"], "received": row.get("received")}
    _warned(row, after, facts)
    return Letter(RECEIPT, unit, row["form"], facts, [f"{FORM_ZH[row['form']]}收件回执"],
                  _addressee(season, unit, row), before, after, receipt=rows, to=to, to_source=source, note=note)


def letters_for(season: Season, unit: str, form: str, letter_date: dt.date) -> list[Letter]:
    """The letters a unit's state with a form calls for (none for ``superseded``)."""
    row = season.units[unit][form]
    state = row["state"]
    if state == "rejected":
        return [rejection(season, unit, row, letter_date)]
    if state == "missing":
        return [reminder(season, unit, row, letter_date)]
    if state == "flagged":
        return [verification(season, unit, row, letter_date), receipt(season, unit, row, letter_date)]
    if state == "accepted":
        return [receipt(season, unit, row, letter_date)]
    return []


def plain_text(letter: Letter, *, signature: str, date: str, contact: list[str]) -> str:
    """The e-mail body: the letter's text, its table as numbered lines."""
    lines = ["".join(letter.title_lines), "", letter.addressee, *[f"　　{t}" for t in letter.before], ""]
    for p in letter.problems:
        lines.append(f"{p['n']}. 工作表“{p['sheet']}”单元格 {p['cell']}，填写内容：{p['value']}")
        lines.append(f"   问题：{p['rule']}")
        lines.append(f"   修改要求：{p['todo']}")
    for f in letter.flags:
        lines.append(f"{f['n']}. {f['indicator']}（单元格 {f['cell']}）：今年 {f['value']}，上年 {f['previous']}，"
                     f"同类中位数 {f['peer_median']}。{f['note']}")
    for r in letter.receipt:
        lines.append(f"{r['label']}：{r['value']}")
    if letter.problems or letter.flags or letter.receipt:
        lines.append("")
    lines += [f"　　{t}" for t in letter.after]
    lines += ["", *contact, "", signature, date, "", f"（正式函件见附件 PDF：{letter.name}.pdf）"]
    return "\n".join(lines) + "\n"

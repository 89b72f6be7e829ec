"""The sample year as it arrives: the generated submissions packed into the messages units send.

:func:`mbox_bytes` turns a generated inbox (:mod:`kjhdz_docs.sample_data`) into an mbox: one message per
workbook a unit sends (a unit's 统计表 and its scans or own report in one message, its 推荐表 and scan
in another), dated when the unit sent it (April for the 推荐表, June for the 统计表; 河北省's correction
three days after its first 统计表), from a fictional address of the unit. Everything is deterministic:
fixed MIME boundaries, Message-IDs and the mbox ``From_`` lines are made from the data, so the same
inputs give the same bytes. The .xls/.ods renditions (LibreOffice output, not byte-stable) carry the
sha256 of the .xlsx they were saved from (``X-Sample-Source-Sha256``), so that a run without
LibreOffice can take them from the committed mbox.
"""

from __future__ import annotations

import datetime as dt
import email
import hashlib
import io
import random
from email import policy
from email.generator import BytesGenerator
from email.message import EmailMessage
from pathlib import Path, PurePosixPath

CHINA = dt.timezone(dt.timedelta(hours=8))
MINISTRY = "全国科技活动周办公室 <kjhdz@example.org>"
SOURCE_HEADER = "X-Sample-Source-Sha256"
WORKBOOKS = {".xlsx", ".xls", ".ods"}
CONTENT_TYPES = {
    ".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ".xls": "application/vnd.ms-excel", ".ods": "application/vnd.oasis.opendocument.spreadsheet",
    ".pdf": "application/pdf", ".png": "image/png",
    ".docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
}
FORM_NAMES = {"statistics": "开展情况统计表", "recommendations": "特色活动推荐表"}


def _sender(unit: str | None, index: dict[str, int], files: list[str]) -> str:
    if unit is None:                     # a sender not on the roster (or one whose form names no unit)
        tag = hashlib.sha256(files[0].encode("utf-8")).hexdigest()[:6]
        return f"报送联系人 <sender-{tag}@mail.example.net>"
    return f"{unit}科技活动周联系人 <kjhdz-{index.get(unit, 999):03d}@units.example.org>"


def _messages(plan, inbox: Path) -> list[dict]:
    """The messages of one generated year: [{kind, unit, when, files: [rel]}], in sending order."""
    by_key: dict[tuple, dict] = {}
    companions = []
    for key, (unit, when) in sorted(plan.owners.items()):
        kind, rel = key.split("/", 1)
        if PurePosixPath(rel).suffix.lower() in WORKBOOKS:
            k = (kind, unit or rel, when)
            by_key.setdefault(k, {"kind": kind, "unit": unit, "when": when, "files": []})["files"].append(key)
        else:
            companions.append((kind, unit, key))
    for kind, unit, key in companions:   # a scan or report goes with the unit's first workbook of that form
        own = sorted((m for m in by_key.values() if m["kind"] == kind and m["unit"] == unit), key=lambda m: m["when"])
        if own:
            own[0]["files"].append(key)
        else:
            by_key[(kind, unit, key)] = {"kind": kind, "unit": unit, "when": plan.owners[key][1], "files": [key]}
    out = sorted(by_key.values(), key=lambda m: (m["when"], m["kind"], m["unit"] or "", m["files"]))
    seen: dict[tuple, int] = {}
    for m in out:
        who = (m["kind"], m["unit"] or m["files"][0])
        n = seen.get(who, 0)
        seen[who] = n + 1
        m["resend"] = n
    return out


def build_messages(year: int, inbox: Path, plan, units: list[tuple[str, str]], rendition_sources: dict[str, str],
                   reuse: dict[str, bytes]) -> list[tuple[dt.datetime, EmailMessage]]:
    index = {name: i + 1 for i, (name, _kind) in enumerate(units)}
    out = []
    for n, m in enumerate(_messages(plan, inbox)):
        rng = random.Random(f"sample-mail/{year}/{m['kind']}/{m['unit']}/{m['when']}")
        when = dt.datetime.fromtimestamp(m["when"], CHINA) + dt.timedelta(minutes=rng.randrange(5, 55),
                                                                           seconds=rng.randrange(60))
        unit = m["unit"] or "我单位"
        form = FORM_NAMES[m["kind"]]
        msg = EmailMessage(policy=policy.default.clone(linesep="\n"))
        msg["From"] = _sender(m["unit"], index, m["files"])
        msg["To"] = MINISTRY
        msg["Subject"] = (f"【更正】{unit}{year}年科技活动周{form}" if m["resend"]
                          else f"{unit}报送{year}年全国科技活动周{form}")
        msg["Date"] = email.utils.format_datetime(when)
        digest = hashlib.sha256("|".join(m["files"]).encode("utf-8")).hexdigest()[:12]
        msg["Message-ID"] = f"<{year}.{n + 1:03d}.{digest}@units.example.org>"
        msg.set_content(f"全国科技活动周办公室：\n\n附件为{unit}{year}年{form}"
                        + ("（更正稿，请以此为准）" if m["resend"] else "") + "，请查收。\n\n此致\n敬礼\n", charset="utf-8",
                        cte="base64")
        for key in sorted(m["files"], key=lambda k: (PurePosixPath(k).suffix.lower() not in WORKBOOKS, k)):
            rel = key.split("/", 1)[1]
            name = PurePosixPath(rel).name
            path = inbox / key
            if path.exists():
                data = path.read_bytes()
            elif key in rendition_sources and rendition_sources[key] in reuse:
                data = reuse[rendition_sources[key]]
            else:
                continue                   # a rendition that could not be made (no LibreOffice, none committed)
            maintype, subtype = CONTENT_TYPES.get(PurePosixPath(name).suffix.lower(),
                                                  "application/octet-stream").split("/")
            headers = [f"{SOURCE_HEADER}: {rendition_sources[key]}"] if key in rendition_sources else None
            msg.add_attachment(data, maintype=maintype, subtype=subtype, filename=name, headers=headers)
        msg.set_boundary(f"=_kjhdz_sample_{year}_{n + 1:03d}_{digest}")
        out.append((when, msg))
    return out


def mbox_bytes(messages: list[tuple[dt.datetime, EmailMessage]]) -> bytes:
    """An mbox (``From_`` lines from the messages' own dates, ``>From`` quoting) of the messages."""
    buf = io.BytesIO()
    for when, msg in messages:
        addr = email.utils.parseaddr(msg["From"])[1] or "MAILER-DAEMON"
        stamp = when.astimezone(dt.timezone.utc).strftime("%a %b %d %H:%M:%S %Y")
        buf.write(f"From {addr} {stamp}\n".encode("ascii"))
        body = io.BytesIO()
        BytesGenerator(body, mangle_from_=True, policy=msg.policy).flatten(msg)
        data = body.getvalue()
        buf.write(data if data.endswith(b"\n") else data + b"\n")
        buf.write(b"\n")
    return buf.getvalue()


def committed_renditions(mbox: Path) -> dict[str, bytes]:
    """{sha256 of the source .xlsx: rendition bytes} from an existing sample mbox."""
    import mailbox

    if not Path(mbox).is_file():
        return {}
    out = {}
    box = mailbox.mbox(str(mbox), create=False)
    try:
        for key in box.iterkeys():
            msg = email.message_from_bytes(box.get_bytes(key), policy=policy.default)
            for part in msg.walk():
                sha = part.get(SOURCE_HEADER)
                if sha:
                    out[str(sha).strip()] = part.get_payload(decode=True)
    finally:
        box.close()
    return out

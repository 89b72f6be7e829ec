"""``invoke letters --send``: send the drafts through SMTP (stdlib smtplib), each letter once.

The server, port, TLS mode and user come from ``data/<year>/mail.yaml`` (``smtp:``, through
:mod:`kjhdz_docs.mail_config`), the password from ``KJHDZ_SMTP_PASSWORD`` only (asked for only when the
server offers AUTH). What will be sent, and to whom, is printed before the connection is opened.

A letter counts as sent when the register's ``letters`` table (去文) holds its Message-ID: a second run
sends nothing new. Each message is registered right after the server accepted it (time, To, Message-ID,
sha256 of the bytes sent) and its exact bytes and PDF are kept in ``data/<year>/sent/<unit>/`` — the
correspondence the archive seals with the year. A failure stops the run with the letters sent so far
registered; the rest go out on the next run.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import smtplib
import ssl
from email import message_from_bytes
from email.policy import SMTP as SMTP_POLICY
from email.utils import format_datetime, parseaddr
from pathlib import Path

from .. import console
from ..errors import MailError, MissingInputError
from ..paths import data_dir
from ..status.compute import CHINA, FORM_ZH, Season
from .build import unit_folder

SENT = "sent"


def sent_dir(year: int) -> Path:
    return data_dir(year) / SENT


def _connect(settings):
    context = ssl.create_default_context()
    if settings.tls == "ssl":
        smtp = smtplib.SMTP_SSL(settings.host, settings.port, timeout=settings.timeout, context=context)
    else:
        smtp = smtplib.SMTP(settings.host, settings.port, timeout=settings.timeout)
        if settings.tls == "starttls":
            smtp.starttls(context=context)
    smtp.ehlo_or_helo_if_needed()
    if smtp.has_extn("auth"):
        smtp.login(settings.user, settings.password())
    return smtp


def prepare(draft_bytes: bytes, now: dt.datetime) -> tuple[bytes, str, str]:
    """The message as sent: the draft without ``X-Unsent``, dated ``now``; (bytes, From address, To address)."""
    msg = message_from_bytes(draft_bytes, policy=SMTP_POLICY)
    del msg["X-Unsent"]
    del msg["Date"]
    msg["Date"] = format_datetime(now.astimezone(CHINA))
    return msg.as_bytes(), parseaddr(str(msg["From"] or ""))[1], parseaddr(str(msg["To"] or ""))[1]


def send_letters(season: Season, root: Path, entries: list[dict], *, now: dt.datetime | None = None) -> int:
    """Send every letter of ``entries`` with a To that the register has not sent yet; returns 0."""
    from ..mail_config import smtp_settings
    from ..receive.register import Register, iso, write_atomic

    year = season.year
    year_dir = data_dir(year)
    done = {e.get("message_id") for e in Register.open(year_dir).letters()}
    todo = [e for e in entries if e["to"] and e["message_id"] not in done]
    no_to = [e for e in entries if not e["to"]]
    for e in no_to:
        console.say(f"not sent (no address): {e['unit']} {e['kind']} — {e['note']}")
    if not todo:
        console.say(f"--send: nothing new to send ({len(entries) - len(no_to)} letters already sent)")
        return 0
    console.table(f"--send: {len(todo)} letters will be sent", ["单位", "报表", "函件", "收件人", "主题"],
                  [(e["unit"], FORM_ZH[e["form"]], e["kind"], e["to"], e["subject"]) for e in todo])
    settings = smtp_settings(year)
    try:
        smtp = _connect(settings)
    except (OSError, smtplib.SMTPException) as exc:
        raise MailError(f"SMTP {settings.host}:{settings.port} ({settings.tls}): {exc}",
                        hint="check the smtp: section of data/<year>/mail.yaml and KJHDZ_SMTP_PASSWORD") from None
    sent = 0
    try:
        with Register.open(year_dir) as register:
            done = {x.get("message_id") for x in register.letters()}     # re-read under the lock
            for e in todo:
                if e["message_id"] in done:
                    console.say(f"skipped (sent meanwhile by another run): {e['unit']} {e['kind']}")
                    continue
                folder = root / unit_folder(e["unit"])
                draft_bytes = (folder / f"{e['name']}.eml").read_bytes()
                when = now or dt.datetime.now(CHINA)
                data, from_addr, to_addr = prepare(draft_bytes, when)
                if not from_addr:
                    raise MissingInputError(f"{e['name']}.eml has no From address",
                                            hint="add the contact e-mail (邮箱) to data/<year>/notice.yaml")
                try:
                    smtp.sendmail(from_addr, [to_addr], data)
                except smtplib.SMTPException as exc:
                    raise MailError(f"SMTP refused {e['name']} to {to_addr}: {exc}",
                                    hint=f"{sent} letters were sent and registered; run again to send the rest") \
                        from None
                keep = sent_dir(year) / unit_folder(e["unit"])
                keep.mkdir(parents=True, exist_ok=True)
                write_atomic(keep / f"{e['name']}.eml", data)
                write_atomic(keep / f"{e['name']}.pdf", (folder / f"{e['name']}.pdf").read_bytes())
                register.add_letter({"kind": e["kind"], "unit": e["unit"], "form": e["form"], "to": to_addr,
                                     "message_id": e["message_id"], "sent": iso(when),
                                     "sha256": hashlib.sha256(data).hexdigest(),
                                     "eml": f"{SENT}/{unit_folder(e['unit'])}/{e['name']}.eml"})
                register.save()
                sent += 1
                console.say(f"sent {e['kind']} → {to_addr} ({e['unit']})")
    finally:
        try:
            smtp.quit()
        except (OSError, smtplib.SMTPException):
            pass
    console.say(f"--send: {sent} letters sent and registered in {year_dir / 'register.json'}")
    return 0

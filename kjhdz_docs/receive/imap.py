"""Reading the ministry's mailbox over IMAP (imapclient), read-only and incremental.

The folder is selected read-only (``EXAMINE``) and messages are fetched with ``BODY.PEEK[]``: nothing is
marked, moved or deleted. The register remembers, per account and folder, the UIDVALIDITY and the
UIDs already registered; a run fetches only the others (all of them again when UIDVALIDITY changed —
duplicates are then recognised by Message-ID and registered once).
"""

from __future__ import annotations

import datetime as dt
import socket
import ssl
from typing import Iterator

from ..errors import KjhdzError, MissingInputError
from ..mail_config import ImapSettings
from .message import MAX_MESSAGE_BYTES, Incoming, parse

BATCH = 50


class MailServerError(KjhdzError):
    """The IMAP server could not be reached or refused us (exit 8: the step's input is not available)."""

    exit_code = MissingInputError.exit_code


def connect(settings: ImapSettings):
    from imapclient import IMAPClient

    context = ssl.create_default_context()
    try:
        client = IMAPClient(settings.host, port=settings.port, ssl=settings.tls == "ssl",
                            ssl_context=context if settings.tls == "ssl" else None, timeout=settings.timeout)
        if settings.tls == "starttls":
            client.starttls(context)
        client.normalise_times = False          # INTERNALDATE with its offset, never a local guess
        client.login(settings.user, settings.password())
    except (OSError, socket.timeout, ssl.SSLError) as exc:
        raise MailServerError(f"IMAP {settings.host}:{settings.port}: cannot connect ({exc})",
                              hint="check host, port and tls in data/<year>/mail.yaml and the network") from None
    except Exception as exc:         # imapclient's LoginError / IMAP4.error
        if isinstance(exc, KjhdzError):
            raise
        raise MailServerError(f"IMAP {settings.host}:{settings.port}: the server refused us ({exc})",
                              hint="check the user in data/<year>/mail.yaml and KJHDZ_IMAP_PASSWORD") from None
    return client


def new_messages(settings: ImapSettings, seen_for) -> Iterator[tuple[int, int, Incoming | None]]:
    """``(uidvalidity, uid, message)`` for every message of the folder whose UID is not in
    ``seen_for(uidvalidity)``; the message is None for one over the size limit (it stays on the server)."""
    client = connect(settings)
    try:
        try:
            info = client.select_folder(settings.folder, readonly=True)
        except Exception as exc:
            raise MailServerError(f"IMAP folder {settings.folder!r}: cannot open it read-only ({exc})",
                                  hint="check folder in data/<year>/mail.yaml") from None
        uidvalidity = int(info[b"UIDVALIDITY"])
        seen = seen_for(uidvalidity)
        uids = sorted(u for u in client.search("ALL") if u not in seen)
        yield uidvalidity, -len(uids), None                    # announces how many follow (for the bar)
        for i in range(0, len(uids), BATCH):
            batch = uids[i:i + BATCH]
            sizes = client.fetch(batch, ["RFC822.SIZE"])
            small = [u for u in batch if int(sizes.get(u, {}).get(b"RFC822.SIZE", 0)) <= MAX_MESSAGE_BYTES]
            for u in batch:
                if u not in small:
                    yield uidvalidity, u, None
            if not small:
                continue
            got = client.fetch(small, ["BODY.PEEK[]", "INTERNALDATE"])
            for u in small:
                item = got.get(u) or {}
                raw = item.get(b"BODY[]")
                if raw is None:
                    continue
                when = item.get(b"INTERNALDATE")
                if isinstance(when, dt.datetime) and when.tzinfo is None:
                    when = None                                  # a time without its zone is not used
                yield uidvalidity, u, parse(bytes(raw), f"imap:{settings.folder}:{uidvalidity}:{u}", internaldate=when)
    finally:
        try:
            client.logout()
        except Exception:
            pass

"""A real SMTP server for tests: aiosmtpd on 127.0.0.1, a free port, AUTH LOGIN/PLAIN with one user.

Every message the server accepts is kept as ``(mail_from, rcpt_tos, bytes)`` in ``server.received``.
"""

from __future__ import annotations

import warnings
from contextlib import contextmanager
from dataclasses import dataclass, field

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

from .dovecot import free_port

USER = "kjhdz@example.org"
PASSWORD = "s3cret-for-the-test"


@dataclass
class Server:
    host: str
    port: int
    received: list[tuple[str, list[str], bytes]] = field(default_factory=list)
    logins: list[str] = field(default_factory=list)


class _Handler:
    def __init__(self, server: Server):
        self.server = server

    async def handle_DATA(self, smtp, session, envelope):
        self.server.received.append((envelope.mail_from, list(envelope.rcpt_tos), bytes(envelope.original_content)))
        return "250 OK"


@contextmanager
def smtp_server():
    server = Server("127.0.0.1", free_port())

    def authenticate(smtp, session, envelope, mechanism, auth_data):
        ok = isinstance(auth_data, LoginPassword) and auth_data.login.decode() == USER \
            and auth_data.password.decode() == PASSWORD
        if ok:
            server.logins.append(auth_data.login.decode())
        return AuthResult(success=ok)

    with warnings.catch_warnings():       # AUTH without TLS is what the test wants, on 127.0.0.1 only
        warnings.simplefilter("ignore", UserWarning)
        controller = Controller(_Handler(server), hostname=server.host, port=server.port,
                                authenticator=authenticate, auth_required=True, auth_require_tls=False)
        controller.start()
    try:
        yield server
    finally:
        controller.stop()

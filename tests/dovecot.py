"""A real IMAP server for the tests: Debian's dovecot-imapd, configured in a temporary folder.

``with imap_server() as server:`` starts ``dovecot -F -c <conf>`` as a child process listening on
127.0.0.1 at a free port, with one passwd-file user and a Maildir the test fills with
``server.deliver(raw_bytes)``; it is stopped at the end. Run as root (CI), dovecot's own unprivileged
users (``dovecot``, ``dovenull`` from the package) run its helper processes and the mailbox belongs to
``dovecot``; run as another user, every process is that user.
"""

from __future__ import annotations

import grp
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

USER = "kjhdz@example.org"
PASSWORD = "season-2024"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Server:
    root: Path
    port: int
    maildir: Path
    uid: int
    gid: int
    _n: int = 0

    def deliver(self, raw: bytes, *, flags: str = "") -> Path:
        """Put one message into the user's INBOX (Maildir ``new/``), as a delivery agent would."""
        self._n += 1
        name = f"{int(time.time())}.M{self._n:06d}P{os.getpid()}.kjhdz-test"
        tmp = self.maildir / "tmp" / name
        tmp.write_bytes(raw)
        target = self.maildir / ("cur" if flags else "new") / (name + (f":2,{flags}" if flags else ""))
        os.replace(tmp, target)
        os.chown(target, self.uid, self.gid)
        return target

    def log(self) -> str:
        path = self.root / "dovecot.log"
        return path.read_text(encoding="utf-8", errors="replace") if path.exists() else ""


def _conf(root: Path, port: int, internal: str, login: str, uid: int, gid: int) -> str:
    return f"""
base_dir = {root}/run
state_dir = {root}/state
log_path = {root}/dovecot.log
info_log_path = {root}/dovecot.log
protocols = imap
listen = 127.0.0.1
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
default_internal_user = {internal}
default_internal_group = {grp.getgrgid(pwd.getpwnam(internal).pw_gid).gr_name}
default_login_user = {login}
first_valid_uid = {uid}
first_valid_gid = {gid}
mail_location = maildir:{root}/home/%u/Maildir
mail_uid = {uid}
mail_gid = {gid}
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {root}/passwd
}}
userdb {{
  driver = static
  args = uid={uid} gid={gid} home={root}/home/%u
}}
service imap-login {{
  inet_listener imap {{
    address = 127.0.0.1
    port = {port}
  }}
  inet_listener imaps {{
    port = 0
  }}
  chroot =
}}
service anvil {{
  chroot =
}}
service stats {{
  unix_listener stats-writer {{
    mode = 0666
  }}
}}
"""


@contextmanager
def imap_server():
    """A running dovecot with user ``USER`` / ``PASSWORD`` and an empty INBOX; skips when not installed."""
    binary = shutil.which("dovecot") or ("/usr/sbin/dovecot" if Path("/usr/sbin/dovecot").exists() else None)
    if binary is None:
        pytest.skip("dovecot is not installed (apt-get install dovecot-imapd; scripts/quickstart.sh does it)")
    root = Path(tempfile.mkdtemp(prefix="kjhdz-dovecot-", dir="/tmp"))
    os.chmod(root, 0o755)
    if os.geteuid() == 0:
        internal, login = "dovecot", "dovenull"
        mail = pwd.getpwnam("dovecot")
    else:
        me = pwd.getpwuid(os.geteuid()).pw_name
        internal = login = me
        mail = pwd.getpwuid(os.geteuid())
    uid, gid = mail.pw_uid, mail.pw_gid
    port = free_port()
    (root / "passwd").write_text(f"{USER}:{{PLAIN}}{PASSWORD}\n", encoding="utf-8")
    os.chmod(root / "passwd", 0o644)
    maildir = root / "home" / USER / "Maildir"
    for sub in ("cur", "new", "tmp"):
        (maildir / sub).mkdir(parents=True)
    for dirpath, _dirs, _files in os.walk(root / "home"):
        os.chown(dirpath, uid, gid)
    conf = root / "dovecot.conf"
    conf.write_text(_conf(root, port, internal, login, uid, gid), encoding="utf-8")
    proc = subprocess.Popen([binary, "-F", "-c", str(conf)], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            start_new_session=True)
    server = Server(root, port, maildir, uid, gid)
    try:
        deadline = time.monotonic() + 20
        while True:
            if proc.poll() is not None:
                out = proc.stdout.read().decode("utf-8", "replace") if proc.stdout else ""
                pytest.fail(f"dovecot exited with {proc.returncode}: {out}\n{server.log()}")
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=1) as s:
                    if s.recv(200).startswith(b"* OK"):
                        break
            except OSError:
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"dovecot did not answer on 127.0.0.1:{port}\n{server.log()}")
            time.sleep(0.1)
        yield server
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)
        shutil.rmtree(root, ignore_errors=True)

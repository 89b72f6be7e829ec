"""The year's mail settings: ``data/<year>/mail.yaml`` (the one loader; receive and letters use it).

```yaml
imap: {host: 127.0.0.1, port: 993, tls: ssl, user: kjhdz@example.org, folder: INBOX}   # tls: ssl | starttls | none
smtp: {host: 127.0.0.1, port: 465, tls: ssl, user: kjhdz@example.org}
```

Passwords are never in the file: they come from the environment only (``KJHDZ_IMAP_PASSWORD``,
``KJHDZ_SMTP_PASSWORD``) and are never written anywhere. A bad file is a :class:`DataFileError`
(exit 2) naming the file and every bad field.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from .errors import DataFileError, MissingInputError
from .paths import data_dir

MAIL_FILE = "mail.yaml"
PASSWORD_ENV = {"imap": "KJHDZ_IMAP_PASSWORD", "smtp": "KJHDZ_SMTP_PASSWORD"}


class _Server(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    host: str = Field(min_length=1)
    port: int = Field(ge=1, le=65535)
    tls: Literal["ssl", "starttls", "none"] = "ssl"
    user: str = Field(min_length=1)


class ImapSettings(_Server):
    folder: str = Field(default="INBOX", min_length=1)
    timeout: float = Field(default=60.0, gt=0)

    @property
    def account(self) -> str:
        """``user@host:port`` — the key of the register's incremental IMAP state."""
        return f"{self.user}@{self.host}:{self.port}"

    def password(self) -> str:
        return _password("imap")


class SmtpSettings(_Server):
    timeout: float = Field(default=60.0, gt=0)

    def password(self) -> str:
        return _password("smtp")


class MailConfig(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    imap: ImapSettings | None = None
    smtp: SmtpSettings | None = None


def mail_path(year: int) -> Path:
    return data_dir(year) / MAIL_FILE


def _password(kind: str) -> str:
    name = PASSWORD_ENV[kind]
    value = os.environ.get(name)
    if not value:
        raise MissingInputError(f"no {kind.upper()} password: the environment variable {name} is not set",
                                hint=f"export {name}=… (it is read from the environment only, never stored)")
    return value


def load_mail_config(year: int, path: Path | None = None) -> MailConfig:
    """The validated ``data/<year>/mail.yaml`` (or ``path``)."""
    path = Path(path) if path else mail_path(year)
    if not path.is_file():
        raise DataFileError(path, ["the file is missing: write it with the imap (and smtp) settings, e.g. "
                                   "imap: {host: mail.example.org, port: 993, tls: ssl, user: kjhdz@example.org, "
                                   "folder: INBOX}"])
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise DataFileError(path, [f"not valid YAML: {exc}"]) from None
    if not isinstance(raw, dict):
        raise DataFileError(path, ["the file must be a mapping with imap: and/or smtp:"])
    for kind in ("imap", "smtp"):
        section = raw.get(kind)
        if isinstance(section, dict) and "password" in section:
            raise DataFileError(path, [f"{kind}.password: passwords are never stored in the file; remove it and "
                                       f"set {PASSWORD_ENV[kind]} in the environment"])
    try:
        return MailConfig.model_validate(raw)
    except ValidationError as exc:
        problems = []
        for err in exc.errors():
            where = ".".join(str(p) for p in err["loc"])
            problems.append(f"{where}: {err['msg']}")
        raise DataFileError(path, problems) from None


def imap_settings(year: int, path: Path | None = None) -> ImapSettings:
    cfg = load_mail_config(year, path)
    if cfg.imap is None:
        raise DataFileError(path or mail_path(year), ["imap: the section is missing (host, port, tls, user, folder)"])
    return cfg.imap


def smtp_settings(year: int, path: Path | None = None) -> SmtpSettings:
    cfg = load_mail_config(year, path)
    if cfg.smtp is None:
        raise DataFileError(path or mail_path(year), ["smtp: the section is missing (host, port, tls, user)"])
    return cfg.smtp

"""Typed failures and the one table of exit codes.

Every failure the user can act on is a :class:`KjhdzError` carrying its exit code;
``tasks.py`` turns them into exit codes in exactly one place (:func:`exit_for`).
"""

from __future__ import annotations

import errno
from dataclasses import dataclass, field
from enum import IntEnum

# no room to write: the disk is full, a quota is reached, or a file-size limit (ulimit -f) is hit
NO_ROOM_ERRNOS = frozenset({errno.ENOSPC, errno.EDQUOT, errno.EFBIG})


class ExitCode(IntEnum):
    OK = 0
    REJECTED_INPUT = 1        # the run finished, but at least one submitted file was rejected
    BAD_DATA = 2              # a data file of the project (notice, roster, selection) is invalid
    MISSING_DEPENDENCY = 3    # LibreOffice, a font or another program is not installed
    CONVERSION_FAILED = 4     # LibreOffice failed, hung or wrote no/invalid PDF
    ARCHIVE_CONFLICT = 5      # the archive is locked by another run, or a sealed year would be replaced
    VERIFY_FAILED = 6         # 四性检测 found a problem
    DISK_FULL = 7             # no space left while writing
    MISSING_INPUT = 8         # a build output the step needs is not there yet
    MAIL_FAILED = 9           # the mail server could not be reached, or refused the login or a message
    INTERNAL = 70


class KjhdzError(Exception):
    """Base of every error the user can act on."""

    exit_code: ExitCode = ExitCode.INTERNAL
    hint: str = ""

    def __init__(self, message: str, *, hint: str | None = None):
        super().__init__(message)
        if hint is not None:
            self.hint = hint

    def __str__(self) -> str:
        msg = super().__str__()
        return f"{msg}\n  → {self.hint}" if self.hint else msg


class DataFileError(KjhdzError):
    """A project data file (e.g. ``data/2024/notice.yaml``) is missing a field or malformed."""

    exit_code = ExitCode.BAD_DATA

    def __init__(self, path, problems: list[str]):
        self.path = str(path)
        self.problems = list(problems)
        lines = "\n".join(f"  - {p}" for p in self.problems)
        super().__init__(f"{self.path}: invalid data file\n{lines}",
                         hint=f"fix the fields listed above in {self.path} and run again")


class MissingDependencyError(KjhdzError):
    exit_code = ExitCode.MISSING_DEPENDENCY


class ConversionError(KjhdzError):
    """LibreOffice did not produce a valid PDF for one or more documents."""

    exit_code = ExitCode.CONVERSION_FAILED

    def __init__(self, message: str, documents: list[str] | None = None, *, hint: str | None = None):
        self.documents = list(documents or [])
        super().__init__(message, hint=hint)


class ConversionTimeout(ConversionError):
    pass


class MissingInputError(KjhdzError):
    exit_code = ExitCode.MISSING_INPUT


class ArchiveConflictError(KjhdzError):
    exit_code = ExitCode.ARCHIVE_CONFLICT


class VerificationError(KjhdzError):
    exit_code = ExitCode.VERIFY_FAILED


class MailError(KjhdzError):
    """The mail server could not be reached, or refused the login or a message."""

    exit_code = ExitCode.MAIL_FAILED


class DiskFullError(KjhdzError):
    exit_code = ExitCode.DISK_FULL


@dataclass(frozen=True)
class Problem:
    """One thing wrong with one submitted file: where, which rule, what to do."""

    rule: str
    message: str
    sheet: str | None = None
    cell: str | None = None
    value: str | None = None        # the cell's content as the form shows it, when a cell is named

    def as_dict(self) -> dict:
        out = {"sheet": self.sheet, "cell": self.cell, "rule": self.rule, "message": self.message}
        if self.value is not None:
            out["value"] = self.value
        return out


@dataclass
class Rejection:
    file: str
    problems: list[Problem] = field(default_factory=list)


def exit_for(exc: BaseException) -> int:
    """The process exit code for an exception (the one place this mapping lives)."""
    if isinstance(exc, KjhdzError):
        return int(exc.exit_code)
    if isinstance(exc, OSError) and getattr(exc, "errno", None) in NO_ROOM_ERRNOS:
        return int(ExitCode.DISK_FULL)
    return int(ExitCode.INTERNAL)


def exit_message(exc: BaseException, *, traceback: bool = False) -> str:
    """What the user reads when a task ends with ``exc`` (goes with :func:`exit_for`).

    A bug (any exception that is not a :class:`KjhdzError` or a full disk) is reported in one paragraph
    with where it happened and "please report", never as a bare traceback; ``traceback=True`` (``--verbose``
    or ``KJHDZ_TRACEBACK=1``) appends the full traceback for the report.
    """
    if isinstance(exc, KjhdzError):
        return f"error: {exc}"
    if isinstance(exc, OSError) and getattr(exc, "errno", None) in NO_ROOM_ERRNOS:
        return (f"error: no space left on device ({exc.strerror}) while writing {exc.filename or ''}: "
                "free some space and run again (nothing half-written was published)")
    import traceback as tb

    frames = tb.extract_tb(exc.__traceback__)
    where = ""
    if frames:
        last = frames[-1]
        where = f" at {_short_path(last.filename)}:{last.lineno} in {last.name}"
    text = (f"internal error: {type(exc).__name__}: {exc}{where}\n"
            "  → this is a bug in kjhdz-docs, not in your data: please report it with this output "
            "(run again with --verbose or KJHDZ_TRACEBACK=1 to include the traceback)")
    if traceback:
        text += "\n" + "".join(tb.format_exception(exc)).rstrip()
    return text


def _short_path(filename: str) -> str:
    marker = "kjhdz_docs/"
    i = filename.rfind(marker)
    return filename[i:] if i >= 0 else filename

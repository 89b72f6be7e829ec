"""Walk an inbox of submitted files and account for every one of them.

Each file found (recursively) becomes one :class:`~kjhdz_docs.model.Submission`:

- a workbook (.xlsx/.xlsm/.xls/.ods) is checked for safety, read, and ``accepted`` or ``rejected``
  with every problem listed;
- WPS's own formats (.et/.ett/.wps) are ``rejected`` with the request to save as .xlsx;
- a companion file (stamped scan .pdf/.jpg/.png, the unit's 总结报告 .docx/.doc …) becomes an
  ``attachment`` of the unit its path names, or ``unmatched``;
- of two accepted workbooks of one unit, the later *received* counts (the receipt register,
  :mod:`.provenance`) and the other is ``superseded`` — both are kept and reported. Only an inbox
  without a register (a folder outside the year's data) falls back to file modification times, and
  says so.

Large inboxes are read in two processes. The order of the result is the files' path order.
"""

from __future__ import annotations

import gc
import hashlib
import logging
import os
import stat
from collections import defaultdict
from pathlib import Path

from .. import console, parallel
from ..errors import Problem
from ..model import FormKind, IntakeReport, Status, Submission
from ..paths import data_dir
from ..roster import Roster, load_roster
from .labels import issuer_text
from .provenance import apply_register, received_key
from .reader import read_workbook
from .recommendation_form import read_recommendations
from .safety import MAX_FILE_BYTES, UnsafeFile
from .statistics import read_statistics, title_year_of

log = logging.getLogger(__name__)

WORKBOOK_SUFFIXES = {".xlsx", ".xlsm", ".xls", ".ods"}
WPS_SUFFIXES = {".et", ".ett", ".wps", ".dps"}
COMPANION_SUFFIXES = {".pdf", ".ofd", ".jpg", ".jpeg", ".png", ".tif", ".tiff", ".bmp", ".gif", ".heic", ".webp",
                      ".docx", ".doc", ".odt", ".rtf", ".txt", ".wpt"}
ARCHIVE_SUFFIXES = {".zip", ".rar", ".7z", ".tar", ".gz"}
SYSTEM_FILES = {".ds_store", "thumbs.db", "desktop.ini"}
PARALLEL_FROM = 48          # workbooks; below this one process is faster than starting a pool
SAVE_AS_XLSX = "请用 WPS 或 Excel 打开后「另存为」.xlsx 格式重新报送"


def default_inbox(year: int, kind: FormKind) -> Path:
    return data_dir(year) / "inbox" / kind.value


_NOFOLLOW = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_BINARY", 0)


def _read_bytes(path: Path, size: int = 0) -> bytes:
    """The file's bytes (``size``: the length it was listed with, a hint); a path swapped for a symbolic link
    since it was listed is refused (O_NOFOLLOW). Read to its end, whatever its length now."""
    fd = os.open(path, _NOFOLLOW)
    try:
        first = os.read(fd, size + 1)
        if not first:
            return first
        parts = [first]
        while more := os.read(fd, 1 << 16):
            parts.append(more)
        return first if len(parts) == 1 else b"".join(parts)
    finally:
        os.close(fd)


def sha256_of(path: Path) -> str:
    h = hashlib.sha256()
    with os.fdopen(os.open(path, _NOFOLLOW), "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def inbox_entries(inbox: Path) -> list[tuple[str, str]]:
    """(path, path relative to the inbox with ``/``) of every entry of the inbox that is not a folder,
    recursively, in the order of the relative paths; a symbolic link to a folder is listed (to be rejected),
    never walked into; a folder whose name ends in ``.xlsx`` is walked like any folder."""
    out = []
    root = os.fspath(inbox)
    for dirpath, dirnames, filenames in os.walk(root, followlinks=False):
        dirnames.sort()
        rel_dir = os.path.relpath(dirpath, root)
        prefix = "" if rel_dir == "." else rel_dir.replace(os.sep, "/") + "/"
        for name in list(dirnames):
            if os.path.islink(os.path.join(dirpath, name)):
                dirnames.remove(name)
                out.append((os.path.join(dirpath, name), prefix + name))
        for name in filenames:
            out.append((os.path.join(dirpath, name), prefix + name))
    out.sort(key=lambda e: e[1])
    return out


_SPECIAL = {stat.S_IFIFO: ("fifo", "命名管道（FIFO）"), stat.S_IFCHR: ("device", "字符设备"),
            stat.S_IFBLK: ("device", "块设备"), stat.S_IFSOCK: ("socket", "套接字")}


def _not_a_regular_file(path: Path, rel: str, st: os.stat_result, roster: Roster) -> Submission | None:
    """The entry for a symbolic link (rejected, its target named, never followed) or a FIFO, device or socket
    (skipped with a note); None for a regular file. Neither is opened, hashed or archived."""
    if stat.S_ISREG(st.st_mode):
        return None
    if stat.S_ISLNK(st.st_mode):
        try:
            target = os.readlink(path)
        except OSError:
            target = "?"
        sub = Submission(file=rel, sha256="", size=0, status=Status.REJECTED, file_type="symlink", target=target,
                         unit=_unit_name(_path_unit(roster, rel)))
        sub.problems.append(Problem("symlink", f"收件箱中的「{rel}」是符号链接（指向 {target}），不是报送的文件本身；"
                                               "链接不予跟随、读取或归档，请将报送的文件本身放入收件箱"))
        return sub
    kind, zh = _SPECIAL.get(stat.S_IFMT(st.st_mode), ("device", "特殊文件"))
    sub = Submission(file=rel, sha256="", size=0, status=Status.UNMATCHED, file_type=kind)
    sub.notes.append(f"「{rel}」是{zh}，不是普通文件，已跳过（未读取、未归档）")
    return sub


def _path_unit(roster: Roster, rel: str):
    """The unit a file's path names: its own name first, then its folders from the nearest."""
    parts = rel.split("/")
    stem = parts[-1].rsplit(".", 1)[0]
    for text in [stem, *reversed(parts[:-1])]:
        unit = roster.match(text)
        if unit is not None:
            return unit
    return None


def read_submission(path: Path, rel: str, kind: FormKind, roster: Roster) -> Submission:
    """One file of the inbox, read and judged (never raises for a bad file)."""
    st = os.lstat(path)
    special = _not_a_regular_file(path, rel, st, roster)
    if special is not None:
        return special
    name = path.name.lower()
    suffix = path.suffix.lower()
    # a workbook of sane size is read once: its bytes serve the digest, the safety checks and the reader
    data = _read_bytes(path, st.st_size) if suffix in WORKBOOK_SUFFIXES and st.st_size <= MAX_FILE_BYTES else None
    sub = Submission(file=rel, sha256=hashlib.sha256(data).hexdigest() if data is not None else sha256_of(path),
                     size=st.st_size, status=Status.UNMATCHED, modified=st.st_mtime)
    if name in SYSTEM_FILES or name.startswith("~$") or name.startswith("._"):
        sub.notes.append("系统或临时文件，未处理")
        return sub
    if suffix in WPS_SUFFIXES:
        sub.status = Status.REJECTED
        sub.unit = _unit_name(_path_unit(roster, rel))
        sub.problems.append(Problem("wps-format", f"WPS 专用格式（{suffix}）无法读取，{SAVE_AS_XLSX}"))
        return sub
    if suffix in ARCHIVE_SUFFIXES:
        sub.status = Status.REJECTED
        sub.unit = _unit_name(_path_unit(roster, rel))
        sub.problems.append(Problem("archive-file", "压缩包不予拆解读取，请将其中的表格和扫描件解压后分别报送"))
        return sub
    if suffix in COMPANION_SUFFIXES or suffix not in WORKBOOK_SUFFIXES:
        unit = _path_unit(roster, rel)
        sub.unit = _unit_name(unit)
        sub.status = Status.ATTACHMENT if unit else Status.UNMATCHED
        if unit is None:
            sub.notes.append("文件名未能对应到报送单位，请人工核对")
        elif suffix not in COMPANION_SUFFIXES:
            sub.notes.append(f"未知文件类型（{suffix or '无扩展名'}），作为附件保存")
        return sub
    return _read_workbook_file(path, rel, kind, roster, sub, data)


def _unit_name(unit) -> str | None:
    return unit.name if unit is not None else None


def _read_workbook_file(path: Path, rel: str, kind: FormKind, roster: Roster, sub: Submission,
                        data: bytes | None = None) -> Submission:
    asked: list = []

    def fallback():                     # the unit the path names, asked only when the form names none
        if not asked:
            asked.append(_path_unit(roster, rel))
        return asked[0]

    try:
        grid = read_workbook(path, data)
    except UnsafeFile as exc:
        sub.status = Status.REJECTED
        sub.unit = _unit_name(fallback())
        sub.problems.append(Problem(exc.rule, exc.message))
        return sub
    except MemoryError:
        sub.status = Status.REJECTED
        sub.problems.append(Problem("too-large", "文件内容过大，无法读取；请删除多余内容后重新报送"))
        return sub
    sub.warnings = list(grid.warnings)
    if kind is FormKind.STATISTICS:
        result = read_statistics(grid, roster, fallback_unit=fallback)
        sub.values = result.values
        sub.flags = list(result.flags)
        sub.cells = {k: (result.sheet, *rc) for k, rc in result.cells.items()} if result.values else {}
    else:
        result = read_recommendations(grid, roster, file=rel, fallback_unit=fallback)
        sub.activities = result.activities
    sub.unit = _unit_name(result.unit) or (_unit_name(fallback()) if result.problems else None)
    sub.issuer = issuer_text(result.unit_text)
    sub.problems = result.problems
    sub.notes = result.notes + _other_year_notes(grid, roster.year)
    sub.status = Status.REJECTED if result.problems else Status.ACCEPTED
    return sub


def _other_year_notes(grid, year: int) -> list[str]:
    """A note when the form's title (a cell of a visible sheet's first rows naming 「YYYY年全国科技活动周…」)
    names another year than the inbox's, e.g. last year's form sent again (the figures are still read)."""
    titles = []
    for sheet in grid.sheets:
        if not sheet.visible:
            continue
        for row in sheet.rows[:6]:
            for value in row:
                named = title_year_of(value) if type(value) is str and value else None
                if named is not None:
                    titles.append((named, value.strip()))
    if not titles or any(y == year for y, _ in titles):
        return []
    other, title = titles[0]
    return [f"表格标题为「{title}」，与{year}年不符（可能误用了{other}年的表格），请核实"]


def _work(entry: tuple[str, str]) -> Submission:
    """One file (in a forked worker, the form kind and the parsed roster inherited: ``parallel.shared()``)."""
    kind, roster = parallel.shared()
    return read_submission(Path(entry[0]), entry[1], kind, roster)


def read_inbox(year: int, kind: FormKind, inbox: Path | None = None, *, progress: bool = True,
               roster: Roster | None = None, processes: int | None = None, plausibility: bool = True) -> IntakeReport:
    """Read every file of the inbox (default ``data/<year>/inbox/<kind>/``) into an :class:`IntakeReport`.
    Accepted 统计表 get their plausibility flags (:mod:`.plausibility`) unless ``plausibility`` is false.

    Never raises for a bad submitted file; raises :class:`~kjhdz_docs.errors.DataFileError` when the
    roster is invalid and :class:`~kjhdz_docs.errors.MissingInputError` when the inbox does not exist.
    """
    from ..errors import MissingInputError

    kind = FormKind(kind)
    inbox = Path(inbox) if inbox else default_inbox(year, kind)
    if not inbox.is_dir():
        raise MissingInputError(f"the inbox {inbox} does not exist",
                                hint=f"put the submitted {'推荐表' if kind is FormKind.RECOMMENDATIONS else '统计表'} "
                                     f"files into {inbox} (invoke receive --year {year} files received mail there) "
                                     "or pass --inbox DIR")
    roster = roster or load_roster(year)
    files = inbox_entries(inbox)
    workbooks = sum(os.path.splitext(rel)[1].lower() in WORKBOOK_SUFFIXES for _, rel in files)
    procs = processes if processes is not None else parallel.processes(workbooks, PARALLEL_FROM)
    label = f"reading {len(files)} files"
    # what exists before the intake (the caller's objects; what forked workers inherit) is left out of the
    # intake's garbage collections (gc.freeze): collecting then does not walk — nor, in a forked worker, touch
    # and copy — every object and page of it; gc.unfreeze gives it back to the collector afterwards
    gc.freeze()
    try:
        # this process reads files too, beside the forked workers, which inherit the roster
        results = parallel.fork_share(_work, files, state=(kind, roster), procs=procs)
        subs = list(console.progress(results, label, total=len(files)) if progress else results)
    finally:
        gc.unfreeze()
    apply_register(year, kind, inbox, subs)
    settle(subs)
    report = IntakeReport(year=year, kind=kind, inbox=str(inbox.resolve()), submissions=subs)
    if kind is FormKind.STATISTICS and plausibility:
        from ..previous_year import find_previous
        from .plausibility import flag_report

        flag_report(report, roster, find_previous(year))
    return report


def settle(subs: list[Submission]) -> None:
    """Supersede earlier received workbooks of the same unit; attach companion files that came in no
    registered message to their unit's counting workbook."""
    by_unit: dict[str, list[Submission]] = defaultdict(list)
    for s in subs:
        if s.status is Status.ACCEPTED and s.unit:
            by_unit[s.unit].append(s)
    counting: dict[str, Submission] = {}
    for unit, group in by_unit.items():
        group.sort(key=received_key)
        winner = group[-1]
        counting[unit] = winner
        for older in group[:-1]:
            older.status = Status.SUPERSEDED
            older.superseded_by = winner.file
            if winner.received and older.received:
                older.notes.append(f"同一单位后收到的报送文件 {winner.file}（{winner.received}）计入，本文件"
                                   f"（{older.received}）不计入")
            else:
                older.notes.append(f"同一单位有更新的报送文件 {winner.file}，本文件不计入"
                                   "（无收件登记，按文件修改时间判断先后，请人工核对）")
        if len(group) > 1 and winner.received and winner.received == group[-2].received:
            winner.notes.append(f"与 {group[-2].file} 收件时间相同，按文件修改时间判断先后，请人工核对")
    for s in subs:
        if s.status is Status.ATTACHMENT and s.unit and s.unit in counting and not s.attached_to:
            s.attached_to = counting[s.unit].file

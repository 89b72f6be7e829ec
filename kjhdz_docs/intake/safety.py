"""Checks on a submitted file's bytes before any parser sees them.

- What the file really is, from its first bytes (a zip, an OLE compound file, or neither): a text
  file renamed .xlsx, an empty file or a password-protected workbook is named as such.
- A zip (.xlsx, .ods): number of members, declared sizes and compression ratio, then every member is
  actually inflated in chunks with a hard cap — a zip can lie about its sizes — and every XML part is
  scanned for ``<!DOCTYPE``/``<!ENTITY`` (entity expansion is refused, not parsed).
- Legacy .xls: a size cap.

Everything here runs in bounded memory (one chunk at a time) and stops at the first unsafe sign.
"""

from __future__ import annotations

import io
import re
import struct
import zipfile
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import NamedTuple

MAX_FILE_BYTES = 30 * 1024 * 1024          # a filled form is a few KB; a scan pasted in, a few MB
MAX_MEMBERS = 2_000
MAX_TOTAL_INFLATED = 200 * 1024 * 1024     # all members together, as actually inflated
MAX_MEMBER_INFLATED = 100 * 1024 * 1024
MAX_RATIO = 200                            # for members over RATIO_FLOOR bytes
RATIO_FLOOR = 1024 * 1024
CHUNK = 256 * 1024

ZIP_MAGIC = b"PK\x03\x04"
EMPTY_ZIP_MAGIC = b"PK\x05\x06"
OLE_MAGIC = bytes.fromhex("d0cf11e0a1b11ae1")
_XML_SUFFIXES = (".xml", ".rels", ".vml")
_DANGEROUS = tuple(m for s in (b"<!DOCTYPE", b"<!ENTITY") for m in (s, s.decode().encode("utf-16-le"),
                                                                    s.decode().encode("utf-16-be")))
_OVERLAP = max(len(m) for m in _DANGEROUS)
_DANGER = re.compile(b"|".join(re.escape(m) for m in _DANGEROUS))


def _declares_dtd(data: bytes, utf16: bool = False) -> bool:
    """``<!DOCTYPE``/``<!ENTITY`` anywhere (UTF-8, or UTF-16 when the part starts like it); cheap test first."""
    if b"<!" not in data and not (utf16 and (b"<\x00!" in data or b"\x00<\x00!" in data)):
        return False
    return _DANGER.search(data) is not None


def _looks_utf16(first: bytes) -> bool:
    return first[:2] in (b"\xff\xfe", b"\xfe\xff") or b"\x00" in first[:4]


class UnsafeFile(Exception):
    """A file that must not be parsed: ``rule`` (English id) and ``message`` (what to do, in Chinese)."""

    def __init__(self, rule: str, message: str):
        super().__init__(message)
        self.rule = rule
        self.message = message


@dataclass(frozen=True)
class Sniffed:
    container: str     # "zip" | "ole"
    format: str        # "xlsx" | "ods" | "xls"
    warnings: tuple[str, ...] = ()   # macros, external links, DDE formulas: never run or resolved
    # the checked workbook again as a zip of the same members, stored (not compressed): the bytes the checks
    # inflated, so that the reader does not inflate them a second time (None: read the file's own bytes)
    unpacked: bytes | None = field(default=None, repr=False, compare=False)


_DDE = re.compile(rb"<f\b[^>]*>[^<]*?[A-Za-z][\w.]*\|[^<]*!")
_LINK_TARGET = re.compile(rb'Target="([^"]{1,300})"')


def _active_content(names: set[str], found: dict[str, list[str]]) -> tuple[str, ...]:
    """Warnings for a workbook that carries macros, external links or DDE formulas (read, never run)."""
    out = []
    macros = sorted(n for n in names if n.lower().endswith("vbaproject.bin"))
    if macros:
        out.append(f"工作簿含有宏（{macros[0]}），宏未运行，只读取单元格中保存的值；请核实数字，今后请另存为不含宏的 .xlsx")
    links = sorted(n for n in names if n.lower().startswith("xl/externallinks/") and n.lower().endswith(".xml"))
    if links:
        targets = sorted(set(found.get("targets", [])))
        named = f"，指向 {'、'.join(targets[:3])}" if targets else ""
        out.append(f"工作簿含有 {len(links)} 个外部链接（{links[0]}{named}），链接未更新，使用文件中保存的计算结果；"
                   "请核实这些数字，今后请将公式转换为数值后报送")
    if found.get("dde"):
        out.append(f"工作表含有 DDE 形式的公式（{'、'.join(sorted(set(found['dde']))[:3])}），未执行，使用文件中保存的结果；"
                   "请删除这类公式后报送")
    return tuple(out)


def sniff(path: Path, data: bytes | None = None) -> Sniffed:
    """What the file is, from its bytes; raises :class:`UnsafeFile` when it is not a workbook we may open."""
    size = len(data) if data is not None else path.stat().st_size
    if size == 0:
        raise UnsafeFile("empty-file", "文件为空（0 字节），请重新导出后报送")
    if size > MAX_FILE_BYTES:
        raise UnsafeFile("file-too-large", f"文件过大（{size / 1048576:.1f} MB，上限 {MAX_FILE_BYTES // 1048576} MB），"
                                           "请删除多余的工作表和图片后重新报送")
    if data is not None:
        head = data[:8]
    else:
        with path.open("rb") as fh:
            head = fh.read(8)
    if head.startswith(ZIP_MAGIC) or head.startswith(EMPTY_ZIP_MAGIC):
        return Sniffed("zip", "ods" if path.suffix.lower() == ".ods" else "xlsx")
    if head == OLE_MAGIC:
        if _ole_is_encrypted(path):
            raise UnsafeFile("password-protected", "工作簿设置了打开密码，无法读取；请取消密码后重新报送")
        return Sniffed("ole", "xls")
    raise UnsafeFile("not-a-workbook", "文件内容不是电子表格（可能是改了扩展名的文本或其他文件），"
                                       "请用 Excel 或 WPS 另存为 .xlsx 后重新报送")


def _ole_is_encrypted(path: Path) -> bool:
    """An encrypted .xlsx/.docx is an OLE file holding ``EncryptionInfo`` and ``EncryptedPackage`` streams."""
    marker = "EncryptedPackage".encode("utf-16-le")
    with path.open("rb") as fh:
        tail = b""
        while chunk := fh.read(CHUNK):
            if marker in tail + chunk:
                return True
            tail = chunk[-len(marker):]
    return False


def check_zip(path: Path, *, fmt: str = "xlsx", data: bytes | None = None,
              unpacked: list | None = None) -> tuple[str, ...]:
    """Refuse zip bombs, lying zips, DTD/entity declarations and encrypted ODS; bounded memory. Returns the
    warnings of :func:`_active_content` (macros, external links, DDE formulas are reported, never run).

    The file (at most :data:`MAX_FILE_BYTES`) is read once; every member is inflated from it with
    zlib in :data:`CHUNK` steps (``max_length``), so no member can grow past the caps in memory.

    With a list ``unpacked``, a plain .xlsx whose members each fit one step (at most :data:`UNPACKED_BYTES`
    inflated in all) gets its checked, inflated copy appended (:func:`stored_zip`), for the reader.
    """
    if data is None:
        data = path.read_bytes()
    infos = central_directory(data)
    keep = unpacked is not None and fmt == "xlsx" and infos is not None
    if infos is None:                   # anything unusual: zipfile's own reading, and its errors
        try:
            with zipfile.ZipFile(io.BytesIO(data)) as zf:
                infos = zf.infolist()
        except (zipfile.BadZipFile, OSError, ValueError, NotImplementedError) as exc:
            raise UnsafeFile("corrupt-file", f"文件已损坏，无法解压（{exc}），请重新导出后报送") from None
    if len(infos) > MAX_MEMBERS:
        raise UnsafeFile("zip-bomb", f"压缩包内文件数异常（{len(infos)} 个），拒绝读取；请重新导出后报送")
    declared = sum(i.file_size for i in infos)
    if declared > MAX_TOTAL_INFLATED:
        raise UnsafeFile("zip-bomb", f"解压后体积异常（声明 {declared / 1048576:.0f} MB），拒绝读取；请重新导出后报送")
    if sum(i.compress_size for i in infos) > len(data):
        raise UnsafeFile("zip-bomb", "压缩包内的文件相互重叠（一种压缩炸弹），拒绝读取；请重新导出后报送")
    for info in infos:
        if info.file_size > MAX_MEMBER_INFLATED or (
                info.file_size > RATIO_FLOOR and info.file_size > MAX_RATIO * max(info.compress_size, 1)):
            raise UnsafeFile("zip-bomb", f"{info.filename} 的压缩比异常（{info.compress_size} → {info.file_size} 字节），"
                                         "拒绝读取；请重新导出后报送")
        if info.compress_type == zipfile.ZIP_DEFLATED and \
                info.compress_size > info.file_size + info.file_size // 100 + 1024:
            # deflate never grows data like this: the declared size is a lie
            raise UnsafeFile("zip-bomb", f"{info.filename} 声明的解压大小（{info.file_size} 字节）小于压缩数据本身，"
                                         "文件异常，拒绝读取；请重新导出后报送")
    names = {i.filename for i in infos}
    if fmt == "xlsx" and "[Content_Types].xml" not in names and not ("mimetype" in names and "content.xml" in names):
        raise UnsafeFile("not-a-workbook", "文件是压缩包但不是 Excel 工作簿（可能是改了扩展名的 Word 文档或 zip），"
                                           "请另存为 .xlsx 后重新报送")
    total = 0
    found: dict[str, list[str]] = {}
    parts: list[tuple[Member, bytes]] = []
    keep = keep and len(names) == len(infos)            # no member named twice
    for info in infos:
        seen, head = _inflate_checked(data, info, MAX_TOTAL_INFLATED - total, found)
        total += seen
        if keep:
            if seen == len(head) and total <= UNPACKED_BYTES:
                parts.append((info, head))
            else:
                keep = False
        if info.filename == "META-INF/manifest.xml" and b"encryption-data" in head:
            raise UnsafeFile("password-protected", "工作簿设置了打开密码，无法读取；请取消密码后重新报送")
        lower = info.filename.lower()
        if lower.startswith("xl/externallinks/_rels/"):
            found.setdefault("targets", []).extend(t.decode("utf-8", "replace") for t in _LINK_TARGET.findall(head))
    if keep:
        unpacked.append(stored_zip(parts))
    return _active_content(names, found)


UNPACKED_BYTES = 4 * 1024 * 1024      # a filled form inflates to about 30 KB


def stored_zip(parts: list[tuple["Member", bytes]]) -> bytes:
    """A zip of ``parts`` (checked members of :func:`central_directory` and their inflated bytes, in their
    order), every member stored under its own name (the same bytes, the same UTF-8 flag) and CRC-32 — the
    same workbook, nothing left to inflate."""
    local, central, offset = [], [], 0
    pack_local, pack_central = _LOCAL.pack, _CENTRAL.pack
    for info, content in parts:
        utf8 = info.flag_bits & 0x800
        name = info.raw_name
        n = len(content)
        head = pack_local(ZIP_MAGIC, 20, utf8, 0, 0, 0x21, info.CRC, n, n, len(name), 0)
        local += (head, name, content)
        central += (pack_central(b"PK\x01\x02", 20, 0, 20, 0, utf8, 0, 0, 0x21, info.CRC, n, n, len(name),
                                 0, 0, 0, 0, 0, offset), name)
        offset += len(head) + len(name) + n
    directory = b"".join(central)
    end = _END.pack(EMPTY_ZIP_MAGIC, 0, 0, len(parts), len(parts), len(directory), offset, 0)
    return b"".join(local) + directory + end


_LOCAL = struct.Struct("<4s5H3L2H")
_END = struct.Struct("<4s4H2LH")                 # end of central directory record
_CENTRAL = struct.Struct("<4s4B4HL2L5H2L")       # central directory entry (zipfile's structCentralDir)
_MAX_EXTRACT_VERSION = 63                        # zipfile.MAX_EXTRACT_VERSION


class Member(NamedTuple):
    """What the checks need of one central directory entry (the names of :class:`zipfile.ZipInfo`'s)."""
    filename: str
    flag_bits: int
    compress_type: int
    CRC: int
    compress_size: int
    file_size: int
    header_offset: int
    raw_name: bytes = b""          # the name's bytes as stored


def central_directory(data: bytes) -> list[Member] | None:
    """The members of a plain zip as :mod:`zipfile` would list them, read straight from the bytes: one end
    record at the very end (no archive comment, no zip64, nothing before the archive), entries without zip64
    fields. None whenever anything differs from that — the caller then lets :class:`zipfile.ZipFile` read it,
    with its own errors — so this is never more lenient than zipfile, only faster on the usual workbook."""
    n = len(data)
    if n < _END.size:
        return None
    sig, disk, disk_cd, count, total, cd_size, cd_offset, comment = _END.unpack_from(data, n - _END.size)
    if sig != EMPTY_ZIP_MAGIC or comment or disk or disk_cd or count != total or count == 0xFFFF \
            or cd_size == 0xFFFFFFFF or cd_offset == 0xFFFFFFFF or cd_offset + cd_size != n - _END.size \
            or (n >= _END.size + 20 and data[n - _END.size - 20:n - _END.size - 16] == b"PK\x06\x07"):
        return None
    out: list[Member] = []
    pos, end = cd_offset, cd_offset + cd_size
    unpack = _CENTRAL.unpack_from
    while pos < end:
        if pos + _CENTRAL.size > end:
            return None
        (sig, _, _, version, _, flags, method, _, _, crc, csize, size, name_len, extra_len, comment_len,
         _, _, _, offset) = unpack(data, pos)
        if sig != b"PK\x01\x02" or version > _MAX_EXTRACT_VERSION or 0xFFFFFFFF in (csize, size, offset):
            return None
        pos += _CENTRAL.size
        raw = data[pos:pos + name_len]
        extra = data[pos + name_len:pos + name_len + extra_len]
        pos += name_len + extra_len + comment_len
        if pos > end or len(raw) != name_len or b"\0" in raw:
            return None
        while len(extra) >= 4:               # zipfile refuses a corrupt extra field and reads zip64 ones
            tp, ln = struct.unpack_from("<HH", extra)
            if ln + 4 > len(extra) or tp == 0x0001:
                return None
            extra = extra[ln + 4:]
        try:
            name = raw.decode("utf-8" if flags & 0x800 else "cp437")
        except UnicodeDecodeError:
            return None
        out.append(Member(name, flags, method, crc, csize, size, offset, raw))
    return out if pos == end else None


def _inflate_checked(data: bytes, info: zipfile.ZipInfo, budget: int,
                     found: dict[str, list[str]] | None = None) -> tuple[int, bytes]:
    """Inflate one member in bounded steps; refuse it past its declared size or the budget, or on a DTD.
    A worksheet's DDE-style formulas are recorded in ``found["dde"]``.

    Returns the inflated size and its first chunk.
    """
    sheet = found is not None and info.filename.lower().startswith("xl/worksheets/")
    if info.flag_bits & 0x1:
        raise UnsafeFile("password-protected", "工作簿内容已加密，无法读取；请取消密码后重新报送")
    off = info.header_offset
    try:
        sig, _, _, _, _, _, _, _, _, name_len, extra_len = _LOCAL.unpack_from(data, off)
    except struct.error:
        sig = b""
    if sig != ZIP_MAGIC:
        raise UnsafeFile("corrupt-file", f"文件已损坏（{info.filename} 的位置不对），请重新导出后报送")
    start = off + _LOCAL.size + name_len + extra_len
    raw = data[start:start + info.compress_size]
    if info.compress_type == zipfile.ZIP_STORED:
        steps = (raw[i:i + CHUNK] for i in range(0, len(raw), CHUNK))
        inflater = None
    elif info.compress_type == zipfile.ZIP_DEFLATED:
        inflater = zlib.decompressobj(-15)
        steps = None
    else:
        raise UnsafeFile("corrupt-file", f"{info.filename} 使用了不常见的压缩方式，无法安全读取；请用 Excel 或 WPS 另存为 .xlsx 后重新报送")
    scan = info.filename.lower().endswith(_XML_SUFFIXES)
    cap = min(info.file_size, budget)
    if inflater is not None and cap <= CHUNK:      # the usual small part: one bounded step
        try:
            out = inflater.decompress(raw, cap + 1)
        except zlib.error as exc:
            raise UnsafeFile("corrupt-file", f"文件已损坏（{info.filename}：{exc}），请重新导出后报送") from None
        if len(out) > cap:
            raise UnsafeFile("zip-bomb", f"{info.filename} 解压后超过声明大小（{info.file_size} 字节）或总上限，"
                                         "拒绝读取；请重新导出后报送")
        if scan and _declares_dtd(out, _looks_utf16(out)):
            raise UnsafeFile("xml-entity", f"{info.filename} 含有 DTD/实体声明（<!DOCTYPE/<!ENTITY），"
                                           "可能是恶意文件，拒绝读取；请用 Excel 或 WPS 重新另存后报送")
        if not inflater.eof or len(out) != info.file_size or zlib.crc32(out) != info.CRC:
            raise UnsafeFile("corrupt-file", f"文件已损坏（{info.filename} 不完整或校验不符），请重新导出后报送")
        if sheet and b"|" in out and _DDE.search(out):
            found.setdefault("dde", []).append(info.filename)
        return len(out), out
    seen, tail, crc, head = 0, b"", 0, b""
    try:
        while True:
            if inflater is None:
                chunk = next(steps, b"")
            else:
                chunk = inflater.decompress(raw, CHUNK)
                raw = inflater.unconsumed_tail
            if not chunk:
                break
            seen += len(chunk)
            if seen > cap:
                raise UnsafeFile("zip-bomb", f"{info.filename} 解压后超过声明大小（{info.file_size} 字节）或总上限，"
                                             "拒绝读取；请重新导出后报送")
            crc = zlib.crc32(chunk, crc)
            head = head or chunk
            if sheet and b"|" in chunk and _DDE.search(tail + chunk):
                found.setdefault("dde", []).append(info.filename)
            if scan:
                window = tail + chunk
                if _declares_dtd(window, _looks_utf16(head)):
                    raise UnsafeFile("xml-entity", f"{info.filename} 含有 DTD/实体声明（<!DOCTYPE/<!ENTITY），"
                                                   "可能是恶意文件，拒绝读取；请用 Excel 或 WPS 重新另存后报送")
                tail = window[-max(_OVERLAP, 256):]
    except zlib.error as exc:
        raise UnsafeFile("corrupt-file", f"文件已损坏（{info.filename}：{exc}），请重新导出后报送") from None
    if (inflater is not None and not inflater.eof) or seen != info.file_size or crc != info.CRC:
        raise UnsafeFile("corrupt-file", f"文件已损坏（{info.filename} 不完整或校验不符），请重新导出后报送")
    return seen, head


def check_file(path: Path, data: bytes | None = None) -> Sniffed:
    """All checks for a workbook file (its bytes ``data`` when already read); returns what it is,
    raises :class:`UnsafeFile` otherwise."""
    kind = sniff(path, data)
    if kind.container == "zip":
        unpacked: list[bytes] = []
        warnings = check_zip(path, fmt=kind.format, data=data, unpacked=unpacked)
        if warnings or unpacked:
            return Sniffed(kind.container, kind.format, warnings, unpacked[0] if unpacked else None)
    return kind

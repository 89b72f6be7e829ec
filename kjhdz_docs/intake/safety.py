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

import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path

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


def sniff(path: Path) -> Sniffed:
    """What the file is, from its bytes; raises :class:`UnsafeFile` when it is not a workbook we may open."""
    size = path.stat().st_size
    if size == 0:
        raise UnsafeFile("empty-file", "文件为空（0 字节），请重新导出后报送")
    if size > MAX_FILE_BYTES:
        raise UnsafeFile("file-too-large", f"文件过大（{size / 1048576:.1f} MB，上限 {MAX_FILE_BYTES // 1048576} MB），"
                                           "请删除多余的工作表和图片后重新报送")
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


def check_zip(path: Path, *, fmt: str = "xlsx") -> None:
    """Refuse zip bombs, lying zips, DTD/entity declarations and encrypted ODS; bounded memory."""
    try:
        zf = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise UnsafeFile("corrupt-file", f"文件已损坏，无法解压（{exc}），请重新导出后报送") from None
    with zf:
        infos = zf.infolist()
        if len(infos) > MAX_MEMBERS:
            raise UnsafeFile("zip-bomb", f"压缩包内文件数异常（{len(infos)} 个），拒绝读取；请重新导出后报送")
        declared = sum(i.file_size for i in infos)
        if declared > MAX_TOTAL_INFLATED:
            raise UnsafeFile("zip-bomb", f"解压后体积异常（声明 {declared / 1048576:.0f} MB），拒绝读取；请重新导出后报送")
        for info in infos:
            if info.file_size > MAX_MEMBER_INFLATED or (
                    info.file_size > RATIO_FLOOR and info.file_size > MAX_RATIO * max(info.compress_size, 1)):
                raise UnsafeFile("zip-bomb", f"{info.filename} 的压缩比异常（{info.compress_size} → {info.file_size} 字节），"
                                             "拒绝读取；请重新导出后报送")
        for info in infos:
            if info.compress_type == zipfile.ZIP_DEFLATED and info.compress_size > info.file_size + info.file_size // 100 + 1024:
                # deflate never grows data like this: the declared size is a lie
                raise UnsafeFile("zip-bomb", f"{info.filename} 声明的解压大小（{info.file_size} 字节）小于压缩数据本身，"
                                             "文件异常，拒绝读取；请重新导出后报送")
        names = {i.filename for i in infos}
        if fmt == "ods" and "META-INF/manifest.xml" in names:
            if b"encryption-data" in _read_capped(zf, zf.getinfo("META-INF/manifest.xml"), 1024 * 1024):
                raise UnsafeFile("password-protected", "工作簿设置了打开密码，无法读取；请取消密码后重新报送")
        if fmt == "xlsx" and "[Content_Types].xml" not in names:
            if "mimetype" in names and "content.xml" in names:
                return    # an .ods saved with an .xlsx name: calamine reads it by content
            raise UnsafeFile("not-a-workbook", "文件是压缩包但不是 Excel 工作簿（可能是改了扩展名的 Word 文档或 zip），"
                                               "请另存为 .xlsx 后重新报送")
        total = 0
        for info in infos:
            total += _inflate_checked(zf, info, MAX_TOTAL_INFLATED - total)


def _read_capped(zf: zipfile.ZipFile, info: zipfile.ZipInfo, cap: int) -> bytes:
    with zf.open(info) as fh:
        return fh.read(cap)


def _inflate_checked(zf: zipfile.ZipFile, info: zipfile.ZipInfo, budget: int) -> int:
    """Inflate one member chunk by chunk; refuse it past its declared size, the budget, or on a DTD."""
    if info.flag_bits & 0x1:
        raise UnsafeFile("password-protected", "工作簿内容已加密，无法读取；请取消密码后重新报送")
    scan = info.filename.lower().endswith(_XML_SUFFIXES)
    cap = min(info.file_size, budget)
    seen, tail = 0, b""
    try:
        with zf.open(info) as fh:
            while True:
                # read one byte past the declared size: a member that inflates to more is lying
                chunk = fh.read(min(CHUNK, cap - seen + 1))
                if not chunk:
                    break
                seen += len(chunk)
                if seen > cap:
                    raise UnsafeFile("zip-bomb", f"{info.filename} 解压后超过声明大小或总上限，拒绝读取；请重新导出后报送")
                if scan:
                    window = tail + chunk
                    if any(m in window for m in _DANGEROUS):
                        raise UnsafeFile("xml-entity", f"{info.filename} 含有 DTD/实体声明（<!DOCTYPE/<!ENTITY），"
                                                       "可能是恶意文件，拒绝读取；请用 Excel 或 WPS 重新另存后报送")
                    tail = window[-_OVERLAP:]
    except (zipfile.BadZipFile, zlib.error, EOFError, OSError, NotImplementedError) as exc:
        if "CRC" in str(exc) and seen <= info.file_size:
            # stopped at the declared size and the data did not end there: the zip lies about its sizes
            raise UnsafeFile("zip-bomb", f"{info.filename} 解压后的大小与声明不符（声明 {info.file_size} 字节），"
                                         "拒绝读取；请重新导出后报送") from None
        raise UnsafeFile("corrupt-file", f"文件已损坏（{info.filename}：{exc}），请重新导出后报送") from None
    return seen


def check_file(path: Path) -> Sniffed:
    """All checks for a workbook file; returns what it is, raises :class:`UnsafeFile` otherwise."""
    kind = sniff(path)
    if kind.container == "zip":
        check_zip(path, fmt=kind.format)
    return kind

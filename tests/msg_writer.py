"""Outlook .msg fixtures: a small writer of the Compound File Binary format ([MS-CFB], version 3) and of
the MSG property layout ([MS-OXMSG]) — enough for extract-msg to read a message with attachments.

``write_msg(path, subject=…, sender=…, to=…, date=…, message_id=…, attachments=[(name, bytes)])`` writes
a message the way Outlook saves one: the transport headers (Date, Message-ID …) in
``__substg1.0_007D001F``, the properties as ``__substg1.0_*`` streams and ``__properties_version1.0``,
each attachment in an ``__attach_version1.0_#…`` storage (attach by value), one recipient.
"""

from __future__ import annotations

import datetime as dt
import email.utils
import struct
from pathlib import Path

SECTOR = 512
MINI = 64
CUTOFF = 4096
FREESECT, ENDOFCHAIN, FATSECT, NOSTREAM = 0xFFFFFFFF, 0xFFFFFFFE, 0xFFFFFFFD, 0xFFFFFFFF


class _Node:
    def __init__(self, name: str, kind: int, data: bytes = b""):
        self.name, self.kind, self.data = name, kind, data      # kind: 1 storage, 2 stream, 5 root
        self.children: list[_Node] = []
        self.sid = 0
        self.start = ENDOFCHAIN
        self.size = 0

    def add(self, node: "_Node") -> "_Node":
        self.children.append(node)
        return node


def _cfb_key(name: str):
    return (len(name), name.upper())


def _write_cfb(root: _Node) -> bytes:
    nodes: list[_Node] = []

    def walk(n: _Node):
        n.sid = len(nodes)
        nodes.append(n)
        for c in sorted(n.children, key=lambda c: _cfb_key(c.name)):
            walk(c)

    walk(root)
    sectors: list[bytes] = []
    fat: list[int] = []

    def alloc(data: bytes) -> int:
        if not data:
            return ENDOFCHAIN
        n = (len(data) + SECTOR - 1) // SECTOR
        start = len(sectors)
        for i in range(n):
            sectors.append(data[i * SECTOR:(i + 1) * SECTOR].ljust(SECTOR, b"\0"))
            fat.append(start + i + 1 if i < n - 1 else ENDOFCHAIN)
        return start

    ministream = bytearray()
    minifat: list[int] = []
    for n in nodes:
        if n.kind != 2:
            continue
        n.size = len(n.data)
        if n.size < CUTOFF:
            if n.size == 0:
                n.start = ENDOFCHAIN
                continue
            count = (n.size + MINI - 1) // MINI
            n.start = len(ministream) // MINI
            ministream += n.data.ljust(count * MINI, b"\0")
            for i in range(count):
                minifat.append(n.start + i + 1 if i < count - 1 else ENDOFCHAIN)
    big = [n for n in nodes if n.kind == 2 and n.size >= CUTOFF]
    # directory entries (siblings chained through the right sibling, in CFB name order)
    dir_bytes = bytearray()
    entries = []
    for n in nodes:
        kids = sorted(n.children, key=lambda c: _cfb_key(c.name))
        entries.append((n, kids))
    right = {}
    child = {}
    for n, kids in entries:
        child[n.sid] = kids[0].sid if kids else NOSTREAM
        for a, b in zip(kids, kids[1:]):
            right[a.sid] = b.sid
    dir_start = None
    minifat_data = b"".join(struct.pack("<I", x) for x in minifat)
    minifat_data += b"\xff" * (-len(minifat_data) % SECTOR)
    # allocate: directory placeholder first (its size is known), then minifat, ministream, big streams
    n_dir_sectors = (len(nodes) * 128 + SECTOR - 1) // SECTOR
    dir_start = alloc(b"\0" * (n_dir_sectors * SECTOR))
    minifat_start = alloc(minifat_data) if minifat else ENDOFCHAIN
    root.start = alloc(bytes(ministream)) if ministream else ENDOFCHAIN
    root.size = len(ministream)
    for n in big:
        n.start = alloc(n.data)
    for n in nodes:
        name = n.name.encode("utf-16-le")
        dir_bytes += name.ljust(64, b"\0")
        dir_bytes += struct.pack("<HBB", len(name) + 2, n.kind, 1)
        dir_bytes += struct.pack("<III", NOSTREAM, right.get(n.sid, NOSTREAM), child[n.sid] if n.kind != 2 else NOSTREAM)
        dir_bytes += b"\0" * 16 + struct.pack("<I", 0) + b"\0" * 16
        dir_bytes += struct.pack("<IQ", n.start if (n.kind == 2 or n.kind == 5) else 0, n.size if n.kind != 1 else 0)
    while len(dir_bytes) % SECTOR:
        dir_bytes += b"\0" * 64 + struct.pack("<HBB", 0, 0, 0) + struct.pack("<III", NOSTREAM, NOSTREAM, NOSTREAM) \
            + b"\0" * 16 + b"\0" * 4 + b"\0" * 16 + struct.pack("<IQ", 0, 0)
    for i in range(n_dir_sectors):
        sectors[dir_start + i] = bytes(dir_bytes[i * SECTOR:(i + 1) * SECTOR])
    # FAT sectors at the end
    n_fat = 1
    while (len(sectors) + n_fat) > n_fat * (SECTOR // 4):
        n_fat += 1
    fat_start = len(sectors)
    fat += [FATSECT] * n_fat
    fat += [FREESECT] * (n_fat * (SECTOR // 4) - len(fat))
    fat_bytes = b"".join(struct.pack("<I", x) for x in fat)
    for i in range(n_fat):
        sectors.append(fat_bytes[i * SECTOR:(i + 1) * SECTOR])
    assert n_fat <= 109
    difat = [fat_start + i for i in range(n_fat)] + [FREESECT] * (109 - n_fat)
    header = bytes.fromhex("d0cf11e0a1b11ae1") + b"\0" * 16
    header += struct.pack("<HHHHH", 0x003E, 0x0003, 0xFFFE, 9, 6) + b"\0" * 6
    header += struct.pack("<IIIIIIIII", 0, n_fat, dir_start, 0, CUTOFF, minifat_start,
                          (len(minifat_data) // SECTOR) if minifat else 0, ENDOFCHAIN, 0)
    header += b"".join(struct.pack("<I", x) for x in difat)
    assert len(header) == SECTOR
    return header + b"".join(sectors)


def _unicode(text: str) -> bytes:
    return text.encode("utf-16-le")


def _props(entries: list[tuple[int, int, bytes]], header: bytes) -> bytes:
    """``__properties_version1.0``: header, then 16-byte entries (tag, flags, 8-byte value)."""
    out = bytearray(header)
    for prop_id, prop_type, value in entries:
        out += struct.pack("<II", (prop_id << 16) | prop_type, 0x6) + value.ljust(8, b"\0")
    return bytes(out)


def write_msg(path: Path, *, subject: str, sender_name: str, sender_addr: str, to: str, date: dt.datetime | None,
              message_id: str | None, attachments: list[tuple[str, bytes]], body: str = "请查收附件。") -> Path:
    root = _Node("Root Entry", 5)

    def stream(parent: _Node, name: str, data: bytes) -> None:
        parent.add(_Node(name, 2, data))

    headers = [f"From: {sender_name} <{sender_addr}>", f"To: {to}", f"Subject: {subject}", "MIME-Version: 1.0"]
    if date is not None:
        headers.append(f"Date: {email.utils.format_datetime(date)}")
    if message_id:
        headers.append(f"Message-ID: {message_id}")
    transport = "\r\n".join(headers) + "\r\n\r\n"
    strings = {0x001A: "IPM.Note", 0x0037: subject, 0x0C1A: sender_name, 0x0C1F: sender_addr, 0x0C1E: "SMTP",
               0x0E04: to, 0x1000: body, 0x007D: transport, 0x0042: sender_name, 0x0065: sender_addr}
    if message_id:
        strings[0x1035] = message_id
    for prop_id, text in strings.items():
        stream(root, f"__substg1.0_{prop_id:04X}001F", _unicode(text))
    fixed = [(0x0E07, 0x0003, struct.pack("<I", 1))]     # PR_MESSAGE_FLAGS: read
    if date is not None:                                  # PR_CLIENT_SUBMIT_TIME, PR_MESSAGE_DELIVERY_TIME
        ft = int((date - dt.datetime(1601, 1, 1, tzinfo=dt.timezone.utc)).total_seconds() * 10_000_000)
        fixed += [(0x0039, 0x0040, struct.pack("<Q", ft)), (0x0E06, 0x0040, struct.pack("<Q", ft))]
    for prop_id, text in strings.items():
        fixed.append((prop_id, 0x001F, struct.pack("<II", len(_unicode(text)), 0)))
    top = struct.pack("<8sIIII8s", b"\0" * 8, 1, len(attachments), 1, len(attachments), b"\0" * 8)
    stream(root, "__properties_version1.0", _props(fixed, top))
    recip = root.add(_Node("__recip_version1.0_#00000000", 1))
    for prop_id, text in {0x3001: to, 0x3003: to, 0x39FE: to, 0x3002: "SMTP"}.items():
        stream(recip, f"__substg1.0_{prop_id:04X}001F", _unicode(text))
    stream(recip, "__properties_version1.0", _props([(0x0C15, 0x0003, struct.pack("<I", 1)),
                                                     (0x3000, 0x0003, struct.pack("<I", 0))], b"\0" * 8))
    for i, (name, data) in enumerate(attachments):
        att = root.add(_Node(f"__attach_version1.0_#{i:08X}", 1))
        short = name if len(name) <= 12 else name[:6] + "~1" + Path(name).suffix[:4]
        for prop_id, text in {0x3707: name, 0x3704: short, 0x3001: name, 0x3703: Path(name).suffix}.items():
            stream(att, f"__substg1.0_{prop_id:04X}001F", _unicode(text))
        stream(att, "__substg1.0_37010102", data)
        stream(att, "__properties_version1.0", _props([(0x3705, 0x0003, struct.pack("<I", 1)),     # by value
                                                       (0x0E21, 0x0003, struct.pack("<I", i)),
                                                       (0x0E20, 0x0003, struct.pack("<I", len(data))),
                                                       (0x3701, 0x0102, struct.pack("<II", len(data), 0))],
                                                      b"\0" * 8))
    nameid = root.add(_Node("__nameid_version1.0", 1))
    for n in ("00020102", "00030102", "00040102"):
        stream(nameid, f"__substg1.0_{n}", b"")
    Path(path).write_bytes(_write_cfb(root))
    return Path(path)

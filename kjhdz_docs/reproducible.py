"""Reproducible outputs: the dates written into documents, and the clock of the run.

A document carries **its own date**, never the time it happened to be built: the notice its 印发日期, the
推荐清单 the first day of the activity week, the summary report the 统计表 deadline, a submitted workbook's
rendition the 日期 of its record. :func:`document_time` turns such a date into the instant written into
the .docx/.xlsx core properties, the zip entries and the PDF's DocInfo and XMP (00:00 China Standard Time).

What does record the time of the run (the seal's 归档 date, bag-info's Bagging-Date) asks :func:`now`, which
follows the ``SOURCE_DATE_EPOCH`` convention of reproducible builds: when that variable is set (seconds
since 1970-01-01 UTC), it is the time; otherwise the clock.
"""

from __future__ import annotations

import datetime as dt
import os

CST = dt.timezone(dt.timedelta(hours=8), "CST")
XMP_DATES = ("xmp:CreateDate", "xmp:ModifyDate", "xmp:MetadataDate")


def source_date_epoch() -> dt.datetime | None:
    """``SOURCE_DATE_EPOCH`` as an aware datetime in China Standard Time, or None when unset/invalid."""
    raw = os.environ.get("SOURCE_DATE_EPOCH", "").strip()
    if not raw.isdigit():
        return None
    return dt.datetime.fromtimestamp(int(raw), tz=dt.timezone.utc).astimezone(CST)


def now() -> dt.datetime:
    """The time of this run: ``SOURCE_DATE_EPOCH`` when set, else the clock (China Standard Time)."""
    return source_date_epoch() or dt.datetime.now(CST).replace(microsecond=0)


def today() -> str:
    """The date of this run (ISO), see :func:`now`."""
    return now().date().isoformat()


def document_time(date: str | dt.date | dt.datetime | None) -> dt.datetime | None:
    """The instant a document's own date stands for: 00:00 China Standard Time of that day.

    An aware datetime is kept as it is (e.g. a received time). None or "" gives ``SOURCE_DATE_EPOCH``
    when set, else None (then no date is written at all rather than a made-up one)."""
    if isinstance(date, dt.datetime):
        return date if date.tzinfo else date.replace(tzinfo=CST)
    if isinstance(date, dt.date):
        return dt.datetime(date.year, date.month, date.day, tzinfo=CST)
    if date:
        try:
            return document_time(dt.datetime.fromisoformat(str(date)) if "T" in str(date)
                                 else dt.date.fromisoformat(str(date)))
        except ValueError:
            return source_date_epoch()
    return source_date_epoch()


def zip_time(when: dt.datetime | None, fallback: dt.datetime) -> tuple[int, int, int, int, int, int]:
    """The local (China Standard Time) date and time tuple for zip entries (no earlier than 1980)."""
    if when is None:
        return fallback.timetuple()[:6]
    local = when.astimezone(CST)
    return max(local, dt.datetime(1980, 1, 1, tzinfo=CST)).timetuple()[:6]


def pdf_date(when: dt.datetime) -> str:
    """A PDF date string, e.g. ``D:20240329000000+08'00'``."""
    off = when.utcoffset() or dt.timedelta(0)
    minutes = int(off.total_seconds() // 60)
    sign = "+" if minutes >= 0 else "-"
    minutes = abs(minutes)
    return when.strftime("D:%Y%m%d%H%M%S") + f"{sign}{minutes // 60:02d}'{minutes % 60:02d}'"


def set_pdf_dates(pdf, when: dt.datetime | None) -> None:
    """Write ``when`` as the creation and modification date of an open ``pikepdf.Pdf`` (DocInfo and XMP in
    step), or remove every such date when ``when`` is None. The caller saves with ``deterministic_id=True``
    so that the ``/ID`` is derived from the content.

    LibreOffice also leaves the clock in two more places, both made reproducible here: the trailer's
    ``/DocChecksum`` (an MD5 over the document and its time; removed, as is its random ``/ID``) and the creation time in the header
    of the sRGB ICC profile it generates for the PDF/A output intent (set to ``when``, or 2000-01-01)."""
    import pikepdf

    for key in ("/DocChecksum", "/ID"):      # qpdf keeps an existing first /ID element: derive both anew
        if key in pdf.trailer:
            del pdf.trailer[key]
    for intent in pdf.Root.get("/OutputIntents", None) or []:
        profile = intent.get("/DestOutputProfile")
        if isinstance(profile, pikepdf.Stream):
            data = profile.read_bytes()
            fixed = icc_with_time(data, when)
            if fixed != data:
                profile.write(fixed)

    with pdf.open_metadata(set_pikepdf_as_editor=False, update_docinfo=False) as meta:
        for key in XMP_DATES:
            if when is None:
                if key in meta:
                    del meta[key]
            else:
                meta[key] = when.isoformat()
    for key in ("/CreationDate", "/ModDate"):
        if when is None:
            if key in pdf.docinfo:
                del pdf.docinfo[key]
        else:
            pdf.docinfo[key] = pikepdf.String(pdf_date(when))


def icc_with_time(data: bytes, when: dt.datetime | None) -> bytes:
    """An ICC profile with its header's creation time (bytes 24–35) set to ``when`` (UTC; 2000-01-01 when
    None) and its profile ID (bytes 84–99, an MD5) recomputed when it was set."""
    import hashlib
    import struct

    if len(data) < 128 or data[36:40] != b"acsp":
        return data
    t = (when or dt.datetime(2000, 1, 1, tzinfo=dt.timezone.utc)).astimezone(dt.timezone.utc)
    out = bytearray(data)
    out[24:36] = struct.pack(">6H", t.year, t.month, t.day, t.hour, t.minute, t.second)
    if any(out[84:100]):
        probe = bytearray(out)
        probe[44:48] = probe[64:68] = b"\0" * 4
        probe[84:100] = b"\0" * 16
        out[84:100] = hashlib.md5(bytes(probe)).digest()
    return bytes(out)

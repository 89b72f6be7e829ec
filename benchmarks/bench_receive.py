"""Receive: ``invoke receive`` on an mbox of 1,000 messages with one 统计表 workbook each (target ≤ 10 s).

The messages are real RFC 5322 messages (stdlib ``email``) from 1,000 different senders, each with a
different filled 统计表 (the blank form filled in, one in four in a specimen layout) and a Date in June.
The receive is measured whole: the mbox read, every message parsed, kept as ``.eml``, its workbook read
with the intake's reader to file it by content, written (atomic, fsynced) into the inbox, the register
written. Then the mbox is received again (nothing new must be registered) and timed too.
"""

from __future__ import annotations

import argparse
import datetime as dt
import email.utils
import mailbox
import sys
import tempfile
from email.message import EmailMessage
from pathlib import Path

from common import emit, timer

TARGET_S = 10.0
XLSX = ("application", "vnd.openxmlformats-officedocument.spreadsheetml.sheet")


def write_mbox(path: Path, books: list[Path]) -> int:
    box = mailbox.mbox(str(path))
    start = dt.datetime(2024, 6, 1, 9, 0, tzinfo=dt.timezone(dt.timedelta(hours=8)))
    try:
        for n, book in enumerate(books):
            msg = EmailMessage()
            msg["From"] = f"报送单位{n:05d} <unit{n:05d}@units.example.org>"
            msg["To"] = "kjhdz@example.org"
            msg["Subject"] = f"报送统计表（{n:05d}）"
            msg["Date"] = email.utils.format_datetime(start + dt.timedelta(minutes=17 * n))
            msg["Message-ID"] = f"<bench-{n:05d}@units.example.org>"
            msg.set_content("附件为我单位统计表，请查收。")
            msg.add_attachment(book.read_bytes(), maintype=XLSX[0], subtype=XLSX[1], filename="统计表.xlsx")
            box.add(bytes(msg))
        box.flush()
    finally:
        box.close()
    return path.stat().st_size


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--quick", action="store_true", help="50 messages (checks the benchmark runs)")
    ap.add_argument("--messages", type=int, default=None)
    args = ap.parse_args(argv)
    n = args.messages or (50 if args.quick else 1000)

    from kjhdz_docs import console, sample_data
    from kjhdz_docs.receive.filing import receive
    from kjhdz_docs.receive.register import Register

    console.configure(quiet=True)
    with tempfile.TemporaryDirectory(prefix="kjhdz-bench-receive-") as tmp:
        root = Path(tmp)
        units = sample_data.scale_units(n)
        with timer() as t_gen:
            books = sample_data.write_statistics_inbox(root / "books", [(u["name"], u["kind"]) for u in units])
            size = write_mbox(root / "season.mbox", books)
        print(f"receive: {n} messages with one 统计表 each written in {t_gen():.1f} s ({size / 1e6:.1f} MB mbox)")
        year_dir = root / "data" / "2024"
        with timer() as t_first:
            first = receive(2024, [root / "season.mbox"], year_dir=year_dir, progress=False, show=False)
        with timer() as t_again:
            again = receive(2024, [root / "season.mbox"], year_dir=year_dir, progress=False, show=False)
        reg = Register.open(year_dir)
        filed = sum(a["kind"] == "statistics" and a["stored"] is not None for a in reg.attachments())
    seconds, rerun = t_first(), t_again()
    ok = first.new_messages == n and filed == n and again.new_messages == 0
    print(f"  first receive:  {seconds:6.2f} s  {1000 * seconds / n:5.1f} ms/message  registered {first.new_messages}, "
          f"filed as 统计表 {filed}")
    print(f"  second receive: {rerun:6.2f} s  registered {again.new_messages} (all {n} recognised as duplicates)")
    met = seconds <= TARGET_S * n / 1000
    print(f"  target ≤ {TARGET_S:g} s for 1,000 messages ({TARGET_S * n / 1000:g} s for {n}): "
          f"{'met' if met else 'MISSED'}")
    emit("receive", {"messages": n, "files": n, "seconds": round(seconds, 3), "rerun_s": round(rerun, 3),
                     "ms_per_message": round(1000 * seconds / n, 2), "target_s": TARGET_S,
                     "ratio": round(TARGET_S / seconds * (n / 1000), 2), "target": 1.0,
                     "met": met, "registered": first.new_messages, "filed": filed})
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())

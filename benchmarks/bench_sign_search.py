"""Signed seals and full-text search: what signing adds to a seal, how fast a search answers, how much the
character matching finds against jieba's words.

    .venv/bin/python benchmarks/bench_sign_search.py [--quick] [--units 3000] [--scale-data DIR]

1. **The sample year** (data/2024) is built and sealed in a temp dir (``invoke build-all``), then sealed once
   more (``force``: nothing changed) in this process with the signing and full-text functions timed: signing's share of the seal
   (target ≤ 20 % on top of the unsigned seal), the full-text extraction's share, the index size.
2. **Recall** on that sealed year: every activity name of the submitted 推荐表 (from recommendations.json,
   listed or 待核实) must find the 推荐清单 and the unit's 推荐表; measured for the project's character
   matching, for jieba's words over the same normalized text, and for the PDF text alone in pdftotext's
   default (layout) order against ``-raw``.
3. **Search time** (``fulltext.search``: the year's script read and parsed, every 件 scanned, ranked; as the
   CLI does it): median and worst of 20 runs of each query on the sample year and on a generated year of
   ``--units`` units (target ≤ 200 ms), and the size of its index. The generated year's text is what its
   workbooks' cells hold (sample_data.write_scale_project; ``build-all`` of 3,000 units — LibreOffice
   renditions — takes about 10 minutes, see bench_scale.py): each submission 件 carries its cells' text (on
   the sample year a submission's indexed text — rendition text plus the cells it lacks — is 1.05× its
   cells' text), the 推荐清单 every activity once.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from common import ROOT, emit, timer

TARGET_SIGN_SHARE = 0.20
TARGET_SEARCH_MS = 200.0


def build_sample_year(tmp: Path) -> dict:
    env = dict(os.environ, KJHDZ_BUILD=str(tmp / "build"), KJHDZ_ARCHIVE=str(tmp / "archive"),
               KJHDZ_KEYS=str(tmp / "keys"), KJHDZ_CACHE=str(tmp / "cache"))
    env.pop("KJHDZ_SIGNING_P12", None)
    done = subprocess.run([sys.executable, "-m", "invoke", "build-all", "--year", "2024", "--quiet"], cwd=ROOT,
                          env=env, capture_output=True, text=True, timeout=1800)
    if done.returncode not in (0, 1):
        sys.exit(f"build-all failed ({done.returncode}): {done.stderr[-3000:]}")
    for k in ("KJHDZ_BUILD", "KJHDZ_ARCHIVE", "KJHDZ_KEYS", "KJHDZ_CACHE"):
        os.environ[k] = env[k]
    return env


def timed_seal() -> dict:
    """Seal 2024 again with the signing and full-text functions timed (a wrapper adds up their wall time)."""
    from kjhdz_docs import console
    from kjhdz_docs.archive import fulltext, seal, sign

    spent = {"sign_pdf": 0.0, "sign_bag": 0.0, "key": 0.0, "fulltext": 0.0}
    counts = {"sign_pdf": 0}

    def wrap(module, name, bucket):
        real = getattr(module, name)

        def timed(*a, **kw):
            t = time.perf_counter()
            try:
                return real(*a, **kw)
            finally:
                spent[bucket] += time.perf_counter() - t
                counts[bucket] = counts.get(bucket, 0) + 1
        setattr(module, name, timed)

    wrap(sign, "sign_pdf", "sign_pdf")
    wrap(sign, "sign_bag", "sign_bag")
    wrap(sign, "signing_key_for_seal", "key")
    wrap(fulltext, "write_search_index", "fulltext")
    console.configure(quiet=True)
    with timer() as t:
        seal.seal_year(2024, force=True, reason="benchmark: what signing adds to a seal")   # unchanged: forced
    total = t()
    signing = spent["sign_pdf"] + spent["sign_bag"] + spent["key"]
    return {"seal_s": round(total, 2), "signing_s": round(signing, 2), "pdfs_signed": counts["sign_pdf"],
            "ms_per_pdf": round(1000 * spent["sign_pdf"] / max(1, counts["sign_pdf"]), 1),
            "sign_share": round(signing / (total - signing), 3), "fulltext_s": round(spent["fulltext"], 2)}


def recall(root: Path, build: Path) -> dict:
    """Of every (activity name, expected 件) pair, the share each method finds."""
    import shutil

    from kjhdz_docs.archive import fulltext
    from kjhdz_docs.archive.index import load_index

    data = json.loads((build / "2024" / "recommendations" / "recommendations.json").read_text(encoding="utf-8"))
    acts = [(a["name"], a["source"]["file"]) for a in data["activities"] + data["excluded"] if a.get("name")]
    entries = [e for e in load_index(root) if e["latest"] and e["year"] == 2024]
    rec = next(e for e in entries if e["type"] == "recommendations")
    by_original = {}
    for e in entries:
        if e["type"] == "submission":
            by_original.setdefault(Path(e.get("original_name") or "").name, e["档号"])
    pairs = [(name, code) for name, src in acts
             for code in (rec["档号"], by_original.get(Path(src).name)) if code]
    docs = {d["档号"]: d for d in fulltext.load_year(root, 2024)}

    found = {"characters": 0, "jieba": None, "pdf_raw": 0, "pdf_layout": 0}
    for name, code in pairs:
        if code in {h["档号"] for h in fulltext.search(root, name)}:
            found["characters"] += 1
    try:
        import jieba
        jieba.setLogLevel(60)
        tokens = {code: set(jieba.lcut(d["text"])) | set(jieba.lcut(fulltext.normalize(d["题名"])))
                  for code, d in docs.items()}
        found["jieba"] = sum(all(w in tokens[code] for w in jieba.lcut(fulltext.normalize(name)) if w.strip())
                             for name, code in pairs)
    except ImportError:
        pass
    # words an archivist types (parts of the activities' themes, district names without 区): a 件 is expected
    # when its normalized text or 题名 holds the word
    words = ["嘉年华", "防灾减灾", "智慧农业", "田间课堂", "讲解大赛", "航天", "实验室", "开放日", "科学家精神", "青少年",
             "科创营", "科技大集", "科技馆", "院士", "进校园", "科学之夜", "西城", "东城", "西湖", "金水", "武侯", "浑南",
             "甘井子"]
    truth = {w: {c for c, d in docs.items() if w in d["text"] or w in fulltext.normalize(d["题名"])} for w in words}
    word_pairs = sum(len(v) for v in truth.values())
    words_found = {"characters": sum(len(truth[w] & {h["档号"] for h in fulltext.search(root, w)}) for w in words),
                   "jieba": None}
    if found["jieba"] is not None:
        words_found["jieba"] = sum(len({c for c in truth[w] if all(t in tokens[c] for t in jieba.lcut(w))})
                                   for w in words)
    exe = shutil.which("pdftotext")
    pdf_text = {}
    for code in {c for _, c in pairs}:
        pdf = root / docs[code]["pdf"] if docs[code].get("pdf") else None
        for mode in ("raw", "layout"):
            args = [exe, "-q", "-enc", "UTF-8"] + (["-raw"] if mode == "raw" else []) + [str(pdf), "-"]
            pdf_text[(code, mode)] = fulltext.normalize(subprocess.run(args, capture_output=True).stdout.decode())
    for name, code in pairs:
        n = fulltext.normalize(name)
        found["pdf_raw"] += n in pdf_text[(code, "raw")]
        found["pdf_layout"] += n in pdf_text[(code, "layout")]
    return {"word_queries": len(words), "word_pairs": word_pairs,
            **{f"words_{k}": (None if v is None else round(v / word_pairs, 4)) for k, v in words_found.items()},
            "pairs": len(pairs), "activities": len(acts),
            **{k: (None if v is None else round(v / len(pairs), 4)) for k, v in found.items()},
            "missed_by_jieba": None if found["jieba"] is None else len(pairs) - found["jieba"]}


def search_times(root: Path, queries: list[str], runs: int) -> dict:
    from kjhdz_docs.archive import fulltext

    out = {}
    for q in queries:
        times = []
        for _ in range(runs):
            t = time.perf_counter()
            hits = fulltext.search(root, q)
            times.append(1000 * (time.perf_counter() - t))
        out[q] = {"median_ms": round(statistics.median(times), 1), "max_ms": round(max(times), 1), "hits": len(hits)}
    return out


def scale_year(tmp: Path, units: int, reuse: Path | None = None) -> Path:
    """A generated year of ``units`` units: its full-text script from the workbooks' cells (see the doc);
    ``reuse``: a data folder written before by sample_data.write_scale_project with that many units."""
    from kjhdz_docs.archive import fulltext
    from kjhdz_docs.sample_data import write_scale_project

    year_dir = reuse / "2024" if reuse else write_scale_project(tmp / "scale-data", units)
    root = tmp / "scale-archive"
    files = sorted(p for p in (year_dir / "inbox").rglob("*") if p.suffix.lower() in fulltext.WORKBOOK_SUFFIXES)
    docs, activities = [], []
    for n, path in enumerate(files, start=4):
        cells = fulltext.workbook_cells(path)
        text = " ".join(cells)
        if "recommendations" in path.parts:
            activities.append(text)
        code = f"Z109-WS·2024-D30-DWB-{n:04d}"
        title = f"{path.stem}报送的2024年全国科技活动周报表"
        docs.append({"档号": code, "题名": title, "title": fulltext.normalize(title).casefold(), "year": 2024, "version": "v1",
                     "件号": n, "type": "submission", "unit": path.stem, "责任者": [path.stem],
                     "pdf": f"2024/v1/data/documents/{n:04d}/{path.stem}.pdf", "original": None,
                     "text": text, "parts": []})
    docs.insert(0, {"档号": "Z109-WS·2024-Y-KJB-0002", "题名": "2024年全国科技活动周特色群众性科技活动推荐清单",
                    "title": "2024年全国科技活动周特色群众性科技活动推荐清单",
                    "year": 2024, "version": "v1", "件号": 2, "type": "recommendations", "unit": None, "责任者": [],
                    "pdf": "2024/v1/data/documents/0002/recommendations.pdf", "original": None,
                    "text": "\n".join(activities), "parts": []})
    (root / fulltext.SEARCH_DIR).mkdir(parents=True, exist_ok=True)
    (root / fulltext.SEARCH_DIR / "2024.js").write_text(fulltext.year_script(2024, docs), encoding="utf-8")
    return root


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true", help="a 100-unit generated year; the sample year as usual")
    ap.add_argument("--units", type=int, default=3000)
    ap.add_argument("--scale-data", type=Path, help="reuse this write_scale_project data folder of --units units")
    args = ap.parse_args()
    units = 100 if args.quick else args.units
    with tempfile.TemporaryDirectory(prefix="kjhdz-bench-sign-") as d:
        tmp = Path(d)
        with timer() as t:
            build_sample_year(tmp)
        print(f"sample year built and sealed (v1) in {t():.1f} s")
        seal = timed_seal()
        print(f"seal (v2): {seal['seal_s']} s, of which signing {seal['signing_s']} s ({seal['pdfs_signed']} PDFs, "
              f"{seal['ms_per_pdf']} ms each, + the tag manifest): +{100 * seal['sign_share']:.1f} % on the unsigned "
              f"seal (target ≤ {100 * TARGET_SIGN_SHARE:.0f} %); full-text index {seal['fulltext_s']} s")
        root = tmp / "archive"
        rec = recall(root, tmp / "build")
        print(f"recall over {rec['pairs']} (activity name, 件) pairs of {rec['activities']} activities: characters "
              f"{rec['characters']:.2%}, jieba {rec['jieba'] if rec['jieba'] is None else format(rec['jieba'], '.2%')}"
              f" ({rec['missed_by_jieba']} missed); PDF text alone: pdftotext -raw {rec['pdf_raw']:.2%}, "
              f"layout order {rec['pdf_layout']:.2%}")
        print(f"recall over {rec['word_pairs']} (word, 件 containing it) pairs of {rec['word_queries']} words: characters "
              f"{rec['words_characters']:.2%}, jieba "
              f"{rec['words_jieba'] if rec['words_jieba'] is None else format(rec['words_jieba'], '.2%')}")
        name = json.loads((tmp / "build" / "2024" / "recommendations" / "recommendations.json")
                          .read_text(encoding="utf-8"))["activities"][1]["name"]
        queries = ["航天", name, "防灾减灾 西城", "没有这样的词"]
        sample = search_times(root, queries, 20)
        sample_size = (root / "search" / "2024.js").stat().st_size
        for q, r in sample.items():
            print(f"sample year, {q!r}: {r['hits']} 件, median {r['median_ms']} ms, worst {r['max_ms']} ms")
        with timer() as t:
            sroot = scale_year(tmp, units, args.scale_data)
        big = search_times(sroot, queries, 20)
        big_size = (sroot / "search" / "2024.js").stat().st_size
        big_docs = len(json.loads((sroot / "search" / "2024.js").read_text(encoding="utf-8").split("\n")[1])["docs"])
        print(f"generated year of {units} units ({big_docs} 件, made in {t():.0f} s), index {big_size / 1e6:.1f} MB:")
        for q, r in big.items():
            print(f"  {q!r}: {r['hits']} 件, median {r['median_ms']} ms, worst {r['max_ms']} ms")
        n_sample = len(json.loads((root / "search" / "2024.js").read_text(encoding="utf-8").split("\n")[1])["docs"])
        print(f"sample year index {sample_size / 1e3:.0f} kB for {n_sample} 件 ({sample_size / 1e3 / n_sample:.1f} kB per 件; "
              f"10 such years {10 * sample_size / 1e6:.1f} MB)")
        worst = max(r["max_ms"] for r in list(sample.values()) + list(big.values()))
        met = seal["sign_share"] <= TARGET_SIGN_SHARE and worst <= TARGET_SEARCH_MS
        emit("sign-search", {"seal": seal, "recall": rec, "search_sample": sample, "search_scale": big,
                             "scale_units": units, "scale_docs": big_docs, "index_bytes_sample": sample_size,
                             "index_bytes_scale": big_size, "worst_search_ms": worst, "met": met,
                             "target_sign_share": TARGET_SIGN_SHARE, "target_search_ms": TARGET_SEARCH_MS})
    return 0


if __name__ == "__main__":
    sys.exit(main())

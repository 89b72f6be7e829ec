"""What each build stage produced: ``build/<year>/<stage>/manifest.json``.

The archive seals exactly what the manifests list, so a stage's outputs and their descriptive
metadata (题名, 文件编号, 责任者, 日期 …) travel together.
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass, field
from pathlib import Path

MANIFEST = "manifest.json"


@dataclass
class BuiltRecord:
    """One 件 a stage built: its original and PDF rendition, plus descriptive metadata."""

    type: str                       # notice | recommendations | summary
    title: str                      # 题名
    creators: list[str]             # 责任者 (issuing organs)
    date: str                       # ISO date, e.g. 2024-03-29
    original: str                   # file name in the stage folder (.docx)
    pdf: str                        # PDF/A-2b rendition in the stage folder
    doc_number: str = ""            # 文件编号 / 发文字号
    disclosure: str = "主动公开"     # 公开属性
    attachments: list[str] = field(default_factory=list)   # further files of the same 件 (.xlsx …)


@dataclass
class StageManifest:
    year: int
    stage: str
    records: list[BuiltRecord] = field(default_factory=list)
    reports: list[str] = field(default_factory=list)     # machine-readable outputs (.json/.xlsx)
    intake: str | None = None       # the stage's intake report (JSON file name), if it read an inbox


def write_json(path: Path, data, *, atomic: bool = True) -> Path:
    """Deterministic JSON (sorted keys, UTF-8, trailing newline), written atomically. ``atomic`` False: written
    in place, for a file inside a folder that is itself published whole by one rename (a seal's staging
    folder: a file cut short there is never seen, the folder is removed as a leftover)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    text = json.dumps(data, ensure_ascii=False, indent=2, sort_keys=True) + "\n"
    if not atomic:
        path.write_text(text, encoding="utf-8")
        return path
    tmp = path.with_name(f".{path.name}.part")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)
    return path


def write_manifest(folder: Path, manifest: StageManifest) -> Path:
    return write_json(folder / MANIFEST, asdict(manifest))


def read_manifest(folder: Path) -> StageManifest:
    data = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
    records = [BuiltRecord(**r) for r in data.pop("records", [])]
    return StageManifest(records=records, **data)

"""Measuring rendered PDFs (pdfplumber): text lines, rules and page numbers in millimetres.

Used by :mod:`kjhdz_docs.notice` to place the 版记 at the foot of the last page and by tests that
check GB/T 9704 layout. All positions are in mm from the page's top-left corner; a line's ``y``
is its baseline.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import pdfplumber

PT_MM = 25.4 / 72
PAGE_NUMBER_RE = re.compile(r"^—\s?(\d+)\s?—$")


def mm(pt: float) -> float:
    return pt * PT_MM


@dataclass
class TextLine:
    """Characters sharing one baseline (within 0.3 mm), left to right."""

    y: float                    # baseline, mm from the top
    x0: float
    x1: float
    text: str
    chars: list = field(repr=False, default_factory=list)

    @property
    def fontnames(self) -> set[str]:
        return {c["fontname"].split("+", 1)[-1] for c in self.chars}

    @property
    def sizes(self) -> set[float]:
        return {round(c["size"], 1) for c in self.chars}

    @property
    def colors(self) -> set[tuple]:
        return {tuple(round(v, 3) for v in (c.get("non_stroking_color") or ())) for c in self.chars}

    @property
    def centre(self) -> float:
        return (self.x0 + self.x1) / 2


@dataclass(frozen=True)
class Rule:
    """A horizontal line (a paragraph or table border)."""

    y: float
    x0: float
    x1: float
    width_pt: float
    color: tuple

    @property
    def length(self) -> float:
        return self.x1 - self.x0


def text_lines(page, *, tolerance_mm: float = 0.3) -> list[TextLine]:
    """The page's text as lines, top to bottom (whitespace characters are dropped)."""
    chars = [c for c in page.chars if c["text"].strip()]
    chars.sort(key=lambda c: (page.height - c["matrix"][5], c["x0"]))
    lines: list[TextLine] = []
    for c in chars:
        y = mm(page.height - c["matrix"][5])
        line = next((ln for ln in lines if abs(ln.y - y) <= tolerance_mm), None)
        if line is None:
            line = TextLine(y, mm(c["x0"]), mm(c["x1"]), "", [])
            lines.append(line)
        line.chars.append(c)
    for line in lines:
        line.chars.sort(key=lambda c: c["x0"])
        line.text = "".join(c["text"] for c in line.chars)
        line.x0 = mm(line.chars[0]["x0"])
        line.x1 = mm(line.chars[-1]["x1"])
    lines.sort(key=lambda ln: ln.y)
    return lines


def horizontal_rules(page, *, min_length_mm: float = 20.0) -> list[Rule]:
    """Horizontal lines at least ``min_length_mm`` long, de-duplicated (LibreOffice draws borders twice)."""
    found: dict[tuple, Rule] = {}
    candidates = [(o["x0"], o["x1"], o["top"], o["bottom"], o.get("linewidth") or 0, o.get("stroking_color"))
                  for o in page.lines]
    # thin filled rectangles are rules too
    candidates += [(o["x0"], o["x1"], o["top"], o["bottom"], o["bottom"] - o["top"],
                    o.get("non_stroking_color")) for o in page.rects if (o["bottom"] - o["top"]) < 3]
    for x0, x1, top, bottom, width, color in candidates:
        if abs(bottom - top) > 3 or mm(x1 - x0) < min_length_mm:
            continue
        col = tuple(round(v, 3) for v in (color or ()))
        rule = Rule(round(mm((top + bottom) / 2), 2), round(mm(x0), 2), round(mm(x1), 2), round(width, 2), col)
        key = (round(rule.y, 1), round(rule.x0), round(rule.x1), rule.width_pt, col)
        found.setdefault(key, rule)
    return sorted(found.values(), key=lambda r: (r.y, r.x0))


def page_number(page) -> int | None:
    """The number in the "— N —" footer, if the page has one."""
    for line in reversed(text_lines(page)):
        m = PAGE_NUMBER_RE.match(line.text.replace(" ", ""))
        if m:
            return int(m.group(1))
    return None


def is_red(color: tuple) -> bool:
    """Red as GB/T 9704 prints it (RGB; tolerant: R ≥ 0.8, G and B ≤ 0.3)."""
    return len(color) == 3 and color[0] >= 0.8 and color[1] <= 0.3 and color[2] <= 0.3


def open_pdf(path: Path):
    return pdfplumber.open(str(path))

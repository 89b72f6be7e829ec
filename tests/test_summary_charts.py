"""Charts: CJK font by path, legible sizes at print width, stable bytes; the report with nobody reported."""

from __future__ import annotations

from decimal import Decimal

import pytest
from docx import Document

from kjhdz_docs import aggregate as agg
from kjhdz_docs import charts
from kjhdz_docs import summary as sm
from kjhdz_docs.errors import MissingDependencyError
from kjhdz_docs.model import Status, Submission
from kjhdz_docs.rendering import render_docx
from kjhdz_docs.roster import load_roster


def _sub(unit, n):
    return Submission(file=f"{unit}.xlsx", sha256="0" * 64, size=1, status=Status.ACCEPTED, unit=unit,
                      values={"activities": 100 * n, "funding.central": Decimal(n) * Decimal("1234.56"),
                              "funding.other": Decimal("0.01"), "public.offline": 1_000_000 * n,
                              "public.online": 3_000_000 * n})


@pytest.fixture(scope="module")
def roster():
    return list(load_roster(2024).units)


@pytest.fixture(scope="module")
def summary(roster):
    return agg.aggregate(2024, [_sub(u.name, i) for i, u in enumerate(roster[:14], 1)], roster)


def test_cjk_font_has_the_glyphs(summary):
    from matplotlib.ft2font import FT2Font

    font = FT2Font(charts.cjk_font_file())
    cmap = font.get_charmap()
    labels = "".join(charts.FUNDING_SHORT.values()) + "".join(r.unit for r in summary.units) + "线下线上万亿人次元"
    assert all(ord(ch) in cmap for ch in labels if not ch.isascii())
    assert charts.font_family() in ("FandolHei", "Noto Sans CJK JP", "Noto Sans CJK SC", "WenQuanYi Zen Hei")


def test_text_is_legible_at_print_size(summary, tmp_path, monkeypatch):
    seen = []
    real_save = charts._save

    def capture(fig, path):
        seen.append((fig.get_size_inches()[0] * 25.4, [t.get_fontsize() for t in fig.findobj(
            lambda a: hasattr(a, "get_text") and hasattr(a, "get_fontsize") and a.get_text())]))
        return real_save(fig, path)

    monkeypatch.setattr(charts, "_save", capture)
    charts.draw_all(summary, tmp_path)
    assert len(seen) == len(charts.CHARTS) >= 3
    for width_mm, sizes in seen:
        assert width_mm == pytest.approx(charts.WIDTH_MM)      # drawn at the width it is embedded at
        assert sizes and min(sizes) >= charts.MIN_PT >= 9


def test_png_bytes_are_stable(summary, tmp_path):
    a = charts.draw_all(summary, tmp_path / "a")
    b = charts.draw_all(summary, tmp_path / "b")
    for key in a:
        assert a[key].read_bytes() == b[key].read_bytes()
        assert b"matplotlib" not in a[key].read_bytes()


def test_missing_cjk_font_is_a_typed_error(monkeypatch):
    monkeypatch.setattr(charts, "CJK_FONT_FILES", (("/nonexistent/font.otf", 0),))
    with pytest.raises(MissingDependencyError, match="CJK font"):
        charts.cjk_font_file()


def test_report_when_nobody_has_reported_yet(roster, tmp_path):
    s = agg.aggregate(2024, [], roster)
    assert s.missing == [u.name for u in roster] and s.derived["funding.total"] == 0
    pngs = charts.draw_all(s, tmp_path)
    context = sm.report_context(s, [], None, sm.calendar(2024))
    out = render_docx(sm.TEMPLATE, context, tmp_path / "r.docx", images={k: (p, 150) for k, p in pngs.items()})
    text = "\n".join(p.text for p in Document(str(out)).paragraphs)
    assert "据0个地方和部门报送的统计表汇总（应报送60个）" in text
    assert "活动经费投入均为零" in text and "尚未报送统计表的地方和部门（60个）" in text
    data = sm.summary_data(s, [], None)
    assert data["funding_shares_percent"]["funding.central"] is None and data["units"] == {}

"""The 版记 placement rule (pure arithmetic on measured positions)."""

from __future__ import annotations

from kjhdz_docs.notice import (PT_MM, TYPE_BOTTOM_MM, ImprintPlacement, ImprintPosition, next_placement)

FIRST = ImprintPlacement()


def spacer_mm(p: ImprintPlacement) -> float:
    return p.spacer_twips / 20 * PT_MM


def test_even_page_grows_the_spacer_to_the_foot():
    pos = ImprintPosition(page=8, pages=8, first_rule_mm=150.0, last_rule_mm=160.5, alone=False)
    nxt = next_placement(pos, FIRST)
    assert nxt.breaks == 0
    end = pos.last_rule_mm + spacer_mm(nxt) - spacer_mm(FIRST)
    assert TYPE_BOTTOM_MM - 1 <= end <= TYPE_BOTTOM_MM


def test_odd_page_with_content_moves_to_the_next_page():
    pos = ImprintPosition(page=7, pages=7, first_rule_mm=150.0, last_rule_mm=160.5, alone=False)
    nxt = next_placement(pos, FIRST)
    assert nxt.breaks == 1
    assert 37 + spacer_mm(nxt) + 10.5 <= TYPE_BOTTOM_MM


def test_odd_page_alone_leaves_a_blank_page():
    pos = ImprintPosition(page=9, pages=9, first_rule_mm=37.7, last_rule_mm=48.2, alone=True)
    assert next_placement(pos, FIRST).breaks == 2

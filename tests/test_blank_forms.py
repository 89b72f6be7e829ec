"""The blank 附件1/附件2 forms: seed labels verbatim, validation rules, locked labels, A4, deterministic."""

from __future__ import annotations

import re
import unicodedata
from pathlib import Path

import pytest
from openpyxl import load_workbook

from kjhdz_docs import forms
from kjhdz_docs.blank_forms import form_notes, write_blank_forms

FIXTURE = Path(__file__).parent / "fixtures" / "seed_notice_2024.txt"


def norm(text: str) -> str:
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", str(text)))


@pytest.fixture(scope="module")
def written(tmp_path_factory):
    out = tmp_path_factory.mktemp("forms")
    return write_blank_forms(2024, out)


@pytest.fixture(scope="module")
def seed_text():
    path = FIXTURE
    return norm(path.read_text(encoding="utf-8"))


def texts(path: Path) -> list[str]:
    ws = load_workbook(path).active
    return [norm(c.value) for row in ws.iter_rows() for c in row if isinstance(c.value, str)]


def test_file_names(written):
    assert [p.name for p in written] == ["附件1-2024年全国科技活动周特色群众性科技活动推荐表.xlsx",
                                         "附件2-2024年全国科技活动周开展情况统计表.xlsx"]


def test_every_seed_label_of_the_statistics_form(written, seed_text):
    cells = texts(written[1])
    wanted = [forms.statistics_title(2024), forms.STATISTICS_UNIT_LABEL]
    wanted += [i.label for i in forms.INDICATORS] + sorted({i.group for i in forms.INDICATORS if i.group})
    for label in wanted:
        assert norm(label) in seed_text, label          # the definitions are the seed's words
        assert any(c.startswith(norm(label)) for c in cells), label


def test_every_seed_label_of_the_recommendation_form(written, seed_text):
    cells = texts(written[0])
    wanted = [forms.recommendation_title(2024), forms.RECOMMENDATION_UNIT_LINE]
    wanted += [c.label for c in forms.RECOMMENDATION_COLUMNS] + [c.hint for c in forms.RECOMMENDATION_COLUMNS if c.hint]
    wanted += list(form_notes(2024, "recommendations"))
    for label in wanted:
        assert norm(label) in seed_text, label
        assert any(norm(label) in c for c in cells), label


def test_statistics_validation(written):
    ws = load_workbook(written[1]).active
    rules = {(dv.type, dv.operator, dv.formula1): str(dv.sqref) for dv in ws.data_validations.dataValidation}
    whole = rules[("whole", "greaterThanOrEqual", "0")].split()
    money = rules[("decimal", "greaterThanOrEqual", "0")].split()
    assert len(whole) == sum(i.is_integer for i in forms.INDICATORS) == 12
    assert len(money) == sum(i.is_money for i in forms.INDICATORS) == 7
    by_label = {norm(ws.cell(r, c).value): r for r in range(1, ws.max_row + 1) for c in (1, 2)
                if isinstance(ws.cell(r, c).value, str)}
    for ind in forms.INDICATORS:
        coord = f"C{by_label[norm(ind.label)]}"
        assert coord in (money if ind.is_money else whole), ind.id
        assert ws[coord].protection.locked is False
    assert ws.protection.sheet is True
    assert ws["A3"].protection.locked is True       # a label cell
    assert int(ws.page_setup.paperSize) == 9


def test_recommendation_validation(written):
    ws = load_workbook(written[0]).active
    (intro,) = [dv for dv in ws.data_validations.dataValidation if dv.type == "textLength"
                and dv.operator == "lessThanOrEqual"]
    assert intro.formula1 == str(forms.INTRO_MAX_CHARS) == "100"
    assert str(intro.sqref) == "C4:C8"              # five activity rows, no more
    assert [ws.cell(r, 1).value for r in range(4, 9)] == [1, 2, 3, 4, 5]
    assert ws.cell(9, 1).value.startswith("说明")
    assert ws.protection.sheet is True and ws["B4"].protection.locked is False and ws["B3"].protection.locked
    assert int(ws.page_setup.paperSize) == 9 and ws.page_setup.orientation == "landscape"


def test_deterministic(written, tmp_path):
    again = write_blank_forms(2024, tmp_path)
    for a, b in zip(written, again):
        assert a.read_bytes() == b.read_bytes()

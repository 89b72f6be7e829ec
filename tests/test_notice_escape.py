"""Data is data: `& < > " '` and `{{ }}` in the notice's content come out verbatim (autoescape on)."""

from __future__ import annotations

import re

import pytest
import yaml
from docx import Document

from kjhdz_docs import converter, pdf_layout as pl
from kjhdz_docs.notice import notice_context
from kjhdz_docs.notice_data import load_notice_file, notice_path
from kjhdz_docs.rendering import render_docx
from tests.conftest import requires_soffice

TRICKY = "科普&创新<之夜>与{{ x }}及\"引号\"和'单引号'"


@pytest.fixture(scope="module")
def tricky_notice(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("escape")
    raw = yaml.safe_load(notice_path(2024).read_text(encoding="utf-8"))
    raw["intro"][0] = TRICKY + raw["intro"][0]
    raw["sections"][0]["heading"] = "时间&地点<{% if %}>"
    raw["contact"][0]["value"] = "{{ x }}"
    source = tmp / "notice.yaml"
    source.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    data = load_notice_file(source)
    docx = render_docx("notice.docx", notice_context(data), tmp / "notice.docx")
    return data, docx


def test_docx_holds_the_text_verbatim(tricky_notice):
    _, docx = tricky_notice
    texts = [p.text for p in Document(str(docx)).paragraphs]
    assert any(t.startswith(TRICKY) for t in texts)
    assert "一、时间&地点<{% if %}>" in texts
    assert "联系人：{{ x }}" in texts
    # nothing after the tricky text was swallowed: the attachment tables and the 版记 are there
    doc = Document(str(docx))
    assert len(doc.tables) == 3
    assert any("印发" in t for t in texts)


@requires_soffice
@pytest.mark.slow
def test_pdf_holds_the_text_verbatim(tricky_notice, tmp_path):
    _, docx = tricky_notice
    (pdf,) = converter.convert_to_pdf([docx], tmp_path)
    with pl.open_pdf(pdf) as doc:
        text = "".join(ln.text for page in doc.pages for ln in pl.text_lines(page))
    squeeze = lambda s: re.sub(r"\s+", "", s)  # noqa: E731 - text_lines drops spaces
    assert squeeze(TRICKY) in text
    assert squeeze("时间&地点<{% if %}>") in text
    assert "联系人：{{x}}" in text

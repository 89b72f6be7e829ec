"""Builders of the docxtpl templates in ``doc_templates/`` (python-docx).

The templates are committed so staff can edit them in Word/WPS; these builders regenerate them
(`invoke make-templates`). Each document type has one module with ``build(path) -> Path``;
``gongwen`` holds the GB/T 9704-2012 conventions they share.
"""

from __future__ import annotations

import importlib

from ..paths import TEMPLATES

# template file name -> builder module (relative to this package)
TEMPLATES_BUILT = {
    "notice.docx": ".notice",
    "recommendations.docx": ".recommendations",
    "summary.docx": ".summary",
    "letter.docx": ".letter",
}


def build_all_templates() -> int:
    for name, module in TEMPLATES_BUILT.items():
        try:
            mod = importlib.import_module(module, __name__)
        except ModuleNotFoundError:
            continue
        mod.build(TEMPLATES / name)
    return 0

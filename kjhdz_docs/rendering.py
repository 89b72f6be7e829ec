"""docxtpl: the one place templates in ``doc_templates/`` are rendered.

Autoescape is always on: without it, a value such as ``科普&创新<之夜>`` is silently "repaired"
by docxtpl's XML recovery and the text (and the table after it) disappears.
Values are data, never template code: ``{{ x }}`` inside a value comes out verbatim.
"""

from __future__ import annotations

from pathlib import Path

import jinja2
from docxtpl import DocxTemplate, InlineImage, RichText
from docx.shared import Mm

from .errors import MissingInputError
from .paths import TEMPLATES

__all__ = ["render_docx", "template_path", "RichText"]


def template_path(name: str) -> Path:
    path = TEMPLATES / name
    if not path.exists():
        raise MissingInputError(f"template {path} is missing",
                                hint="restore it from git, or rebuild it with `invoke make-templates`")
    return path


class _Environment(jinja2.Environment):
    """Compiles each template part once: docxtpl compiles every XML part of a template on every render
    (a third of a one-page letter's render time); the same template's parts are the same strings."""

    _compiled: dict[str, jinja2.Template]

    def from_string(self, source, globals=None, template_class=None):
        if globals is not None or template_class is not None or not isinstance(source, str):
            return super().from_string(source, globals, template_class)
        compiled = self._compiled.get(source)
        if compiled is None:
            if len(self._compiled) >= 256:
                self._compiled.clear()
            compiled = self._compiled[source] = super().from_string(source)
        return compiled


_ENV: _Environment | None = None


class _Template(DocxTemplate):
    """docxtpl's template with its XML preprocessing (``patch_xml``, a series of regular expressions over
    the whole part) done once per distinct part instead of on every render."""

    _patched: dict[str, str] = {}

    def patch_xml(self, src_xml):
        out = self._patched.get(src_xml)
        if out is None:
            if len(self._patched) >= 256:
                self._patched.clear()
            out = self._patched[src_xml] = super().patch_xml(src_xml)
        return out


def _env() -> jinja2.Environment:
    # StrictUndefined: a placeholder the context does not fill is an error, not an empty string
    global _ENV
    if _ENV is None:
        _ENV = _Environment(autoescape=True, undefined=jinja2.StrictUndefined)
        _ENV._compiled = {}
    return _ENV


def render_docx(template: str | Path, context: dict, out: Path, *, images: dict | None = None,
                date=None) -> Path:
    """Render ``template`` (a name in doc_templates/ or a path) with ``context`` into ``out``.

    ``images`` maps context keys to ``(path, width_mm)``; each becomes an InlineImage. ``date`` is the
    document's own date (印发日期, deadline …): written into its core properties and zip entries, so the
    same inputs give the same bytes (:func:`kjhdz_docs.ooxml.publish_deterministic`).
    The file is written next to ``out`` and renamed into place.
    """
    from .ooxml import publish_deterministic
    from .reproducible import document_time

    tpl_path = Path(template) if isinstance(template, Path) else template_path(template)
    doc = _Template(str(tpl_path))
    ctx = dict(context)
    for key, (img_path, width_mm) in (images or {}).items():
        ctx[key] = InlineImage(doc, str(img_path), width=Mm(width_mm))
    doc.render(ctx, jinja_env=_env(), autoescape=True)
    out.parent.mkdir(parents=True, exist_ok=True)
    raw = out.with_name(f".{out.name}.raw")
    doc.save(str(raw))
    return publish_deterministic(raw, out, when=document_time(date))



"""Drill: the external programs fail — LibreOffice missing, hanging, lying about success; a font missing.

Each build stops with the documented exit code and a message naming what to fix, and publishes nothing:
the output folder keeps exactly what it held before (a previous good build stays intact).
"""

from __future__ import annotations

import os
import re
import shutil
import time

import psutil
import pytest

from kjhdz_docs import converter, fonts
from kjhdz_docs.errors import ConversionError, ConversionTimeout, ExitCode, MissingDependencyError
from kjhdz_docs.summary import build_summary

from ..conftest import fake_soffice
from .common import leftovers, run_task, small_statistics_inbox, snapshot

# prints its process id and its child's, then hangs (the child too: only a group kill ends both)
HANG = 'echo $$ >> "{pids}"; sleep 600 & echo $! >> "{pids}"; wait'
# writes the first 3 KB of a real PDF for every input, then reports success
TRUNCATED = ('out=""; while [ $# -gt 0 ]; do [ "$1" = --outdir ] && out=$2; shift; done; '
             'for f in "$out"/../in/*; do b=$(basename "$f"); head -c 3000 "{pdf}" > "$out/${{b%.*}}.pdf"; done; exit 0')


@pytest.fixture(scope="module")
def inbox(tmp_path_factory):
    return small_statistics_inbox(tmp_path_factory.mktemp("drill-inbox") / "statistics")


@pytest.fixture(scope="module")
def previous_build(tmp_path_factory, inbox):
    """A good build of the summary stage; every failing run below targets this folder."""
    out = tmp_path_factory.mktemp("drill-out") / "summary"
    assert build_summary(2024, inbox=inbox, out=out) == 0
    return out


@pytest.fixture()
def target(previous_build, tmp_path):
    """A copy of the good build to fail into, and its snapshot."""
    out = tmp_path / "out" / "summary"
    shutil.copytree(previous_build, out)
    return out, snapshot(out.parent)


def _alive(pid: int) -> bool:
    try:
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


def test_libreoffice_missing_stops_before_any_work(tmp_path, inbox):
    """PATH without soffice: exit 3 with the install command, in well under the time of a read of the inbox."""
    bindir = tmp_path / "bin"
    bindir.mkdir()
    os.symlink(shutil.which("fc-match"), bindir / "fc-match")     # fonts are fine, only LibreOffice is gone
    out = tmp_path / "out"
    for task in (["build-summary", "--inbox", str(inbox)], ["build-notice"], ["build-recommendations"]):
        t0 = time.monotonic()
        run = run_task(*task, "--out", str(out / task[0]), env={"PATH": str(bindir), "KJHDZ_SOFFICE": ""})
        assert run.returncode == ExitCode.MISSING_DEPENDENCY == 3, (task, run.stderr)
        assert "LibreOffice (soffice) was not found" in run.stderr
        assert "apt-get install --no-install-recommends libreoffice-writer-nogui" in run.stderr
        assert "reading" not in run.stderr and "Traceback" not in run.stderr
        assert time.monotonic() - t0 < 20
    assert not out.exists()


def test_hanging_libreoffice_is_killed_and_the_document_named(monkeypatch, tmp_path, inbox, target):
    out, before = target
    pids = tmp_path / "pids"
    monkeypatch.setenv("KJHDZ_SOFFICE", str(fake_soffice(tmp_path, HANG.format(pids=pids))))
    monkeypatch.setitem(converter.convert_to_pdf.__kwdefaults__, "timeout_base", 3.0)
    monkeypatch.setitem(converter.convert_to_pdf.__kwdefaults__, "timeout_per_document", 0.0)
    monkeypatch.setitem(converter.convert_to_pdf.__kwdefaults__, "timeout_per_100kb", 0.0)
    t0 = time.monotonic()
    with pytest.raises(ConversionTimeout) as info:
        build_summary(2024, inbox=inbox, out=out)
    assert time.monotonic() - t0 < 60
    assert info.value.exit_code == ExitCode.CONVERSION_FAILED
    assert "did not finish within 3 s" in str(info.value) and "summary.docx" in str(info.value)
    assert info.value.documents == ["summary.docx"]
    started = [int(p) for p in pids.read_text().split()]
    assert len(started) == 2
    deadline = time.monotonic() + 5
    while any(_alive(p) for p in started) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not [p for p in started if _alive(p)], "the stand-in or its child outlived the timeout"
    assert snapshot(out.parent) == before and not leftovers(out.parent)


@pytest.mark.parametrize("body, reason", [
    ("exit 0", "no PDF was written"),
    (TRUNCATED, "the PDF does not open"),
])
def test_libreoffice_success_without_a_usable_pdf(monkeypatch, tmp_path, inbox, target, previous_build, body, reason):
    out, before = target
    body = body.format(pdf=previous_build / "summary.pdf")
    monkeypatch.setenv("KJHDZ_SOFFICE", str(fake_soffice(tmp_path, body)))
    with pytest.raises(ConversionError) as info:
        build_summary(2024, inbox=inbox, out=out)
    assert info.value.exit_code == ExitCode.CONVERSION_FAILED
    assert f"summary.docx: {reason}" in str(info.value) and "soffice exit 0" in str(info.value)
    # nothing published: the previous build (hence what the archive would seal) is untouched
    assert snapshot(out.parent) == before and not leftovers(out.parent)


def _without(conf: str, family: str) -> str:
    """fonts.conf minus every rule that maps to ``family``."""
    return re.sub(r"\s*<match target=\"pattern\">(?:(?!</match>).)*?<string>" + family
                  + r"</string>(?:(?!</match>).)*?</match>", "", conf, flags=re.S)


@pytest.mark.parametrize("mapping, named", [
    ("fandol-fang", ["仿宋_GB2312"]),
    ("nothing", list(fonts.OFFICIAL_FONTS)),
])
def test_missing_font_is_named_before_any_work(monkeypatch, tmp_path, inbox, target, mapping, named):
    out, before = target
    conf = tmp_path / "fonts.conf"
    if mapping == "nothing":
        conf.write_text('<?xml version="1.0"?>\n<fontconfig><dir>/nonexistent</dir></fontconfig>\n')
    else:
        text = _without(fonts.FONTCONFIG_FILE.read_text(encoding="utf-8"), "FandolFang")
        assert "FandolFang" not in text.split("<fontconfig>", 1)[1].split("</dir>", 1)[1]
        conf.write_text(text, encoding="utf-8")
    monkeypatch.setattr(fonts, "FONTCONFIG_FILE", conf)
    with pytest.raises(MissingDependencyError) as info:
        build_summary(2024, inbox=inbox, out=out)
    message = str(info.value)
    assert info.value.exit_code == ExitCode.MISSING_DEPENDENCY
    assert sorted(re.findall(r"(\S+) → ", message.split("fonts missing: ", 1)[1].splitlines()[0])) == sorted(named)
    assert "texlive-lang-chinese" in message
    assert snapshot(out.parent) == before and not leftovers(out.parent)

"""`invoke build-notice` fails early and clearly when LibreOffice or a font is missing."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from kjhdz_docs import fonts
from kjhdz_docs.errors import ExitCode, MissingDependencyError
from kjhdz_docs.notice import build_notice

ROOT = Path(__file__).resolve().parent.parent
INVOKE = Path(sys.executable).parent / "invoke"


@pytest.mark.skipif(not shutil.which("fc-match"), reason="fontconfig not installed")
def test_without_libreoffice_exits_3_saying_what_to_install(tmp_path):
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "fc-match").symlink_to(shutil.which("fc-match"))   # fonts present, soffice not
    env = {k: v for k, v in os.environ.items() if k != "KJHDZ_SOFFICE"}
    env["PATH"] = str(bin_dir)
    out = tmp_path / "out"
    proc = subprocess.run([str(INVOKE), "build-notice", "--year", "2024", "--out", str(out)], cwd=ROOT,
                          env=env, capture_output=True, text=True, timeout=120)
    assert proc.returncode == ExitCode.MISSING_DEPENDENCY, proc.stderr
    assert "LibreOffice" in proc.stderr and "apt-get install" in proc.stderr
    assert not out.exists()


def test_a_missing_font_fails_before_any_work(tmp_path, monkeypatch):
    monkeypatch.setitem(fonts.OFFICIAL_FONTS, "方正小标宋简体", ("No Such Font SC", "fonts-no-such"))
    with pytest.raises(MissingDependencyError) as info:
        build_notice(2024, out=tmp_path / "out")
    assert "方正小标宋简体" in str(info.value) and "fonts-no-such" in str(info.value)
    assert not (tmp_path / "out").exists()


def test_invoke_lists_build_notice_with_help():
    proc = subprocess.run([str(INVOKE), "--help", "build-notice"], cwd=ROOT, capture_output=True, text=True,
                          timeout=60)
    assert proc.returncode == 0
    assert "--year" in proc.stdout and "--out" in proc.stdout

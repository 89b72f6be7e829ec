"""The official 公文 fonts and the free fonts that stand in for them on Linux.

Templates name the official fonts; ``resources/fonts.conf`` (given to LibreOffice through
``FONTCONFIG_FILE``) maps each to a font from a Debian package. :func:`check_fonts` proves
the mapping resolves before any document is built.
"""

from __future__ import annotations

import functools
import os
import shutil
import subprocess

from .errors import MissingDependencyError
from .paths import RESOURCES

FONTCONFIG_FILE = RESOURCES / "fonts.conf"

# official name -> (family it must resolve to, Debian package that provides it)
OFFICIAL_FONTS: dict[str, tuple[str, str]] = {
    "方正小标宋简体": ("Noto Serif CJK SC", "fonts-noto-cjk"),
    "仿宋_GB2312": ("FandolFang", "texlive-lang-chinese"),
    "楷体_GB2312": ("FandolKai", "texlive-lang-chinese"),
    "黑体": ("FandolHei", "texlive-lang-chinese"),
    "宋体": ("FandolSong", "texlive-lang-chinese"),
}

XIAOBIAOSONG = "方正小标宋简体"
FANGSONG = "仿宋_GB2312"
KAITI = "楷体_GB2312"
HEITI = "黑体"
SONGTI = "宋体"

# PDF font names (subset prefix stripped) acceptable for each role when checking output.
EMBEDDED_NAME_HINTS = ("Fandol", "NotoSerifCJK", "NotoSansCJK")


def fontconfig_env(base: dict[str, str] | None = None) -> dict[str, str]:
    env = dict(os.environ if base is None else base)
    env["FONTCONFIG_FILE"] = str(FONTCONFIG_FILE)
    return env


def resolution() -> dict[str, tuple[str, str]]:
    """Each official font name → (the families it resolves to, the font file), through ``fonts.conf``
    (asked once per configuration file, its version and the names)."""
    try:
        stamp = os.stat(FONTCONFIG_FILE).st_mtime_ns
    except OSError:
        stamp = 0
    return dict(_resolve(str(FONTCONFIG_FILE), stamp, tuple(OFFICIAL_FONTS)))


@functools.lru_cache(maxsize=8)
def _resolve(conf: str, stamp: int, names: tuple[str, ...]) -> tuple[tuple[str, tuple[str, str]], ...]:
    fc_match = shutil.which("fc-match")
    if not fc_match:
        raise MissingDependencyError(
            "fontconfig (fc-match) is not installed",
            hint="run scripts/quickstart.sh setup, or: apt-get install fontconfig")
    env = fontconfig_env()
    env["FONTCONFIG_FILE"] = conf
    out = []
    for name in names:
        got = subprocess.run([fc_match, "-f", "%{family}\\n%{file}", name], env=env, capture_output=True,
                             text=True, timeout=30).stdout
        family, _, path = got.partition("\n")
        out.append((name, (family, path)))
    return tuple(out)


def check_fonts() -> None:
    """Raise :class:`MissingDependencyError` naming each official font that does not resolve."""
    bad = []
    for name, (family, package) in OFFICIAL_FONTS.items():
        got = resolution()[name][0]
        if family not in got.split(","):
            bad.append((name, family, package, got or "nothing"))
    if bad:
        lines = "; ".join(f"{n} → {got} (want {fam})" for n, fam, _, got in bad)
        packages = " ".join(sorted({p for *_, p, _ in bad}))
        raise MissingDependencyError(
            f"fonts missing: {lines}",
            hint=f"run scripts/quickstart.sh setup, or: apt-get install {packages}")

"""OCRmyPDF: the one wrapper around ``ocrmypdf`` (Debian package ``ocrmypdf`` with ``tesseract-ocr-chi-sim``,
Ghostscript and img2pdf).

A scan (``.pdf``, ``.png``, ``.jpg``, ``.tif``) becomes a searchable PDF/A-2b: pages that are images get
an invisible text layer from Tesseract (``chi_sim+eng``), pages that already carry text are kept as they are
(``--skip-text``), images are wrapped without re-encoding where Ghostscript allows. ``--jobs 1`` (the machine
is shared), a timeout on every call, the process group killed when it fires, stderr logged, partial output
deleted — and exit status 0 is not trusted: the PDF must open, have pages and claim PDF/A-2b.

Debian's ``ocrmypdf`` (14.0) was chosen over the PyPI wheel: it comes with the Tesseract, Ghostscript and
img2pdf it was tested against, is upgraded with the system, and keeps its own dependencies out of the
project's environment (it runs as a program, never imported).
"""

from __future__ import annotations

import functools
import logging
import os
import shutil
import signal
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

from .errors import MissingDependencyError

log = logging.getLogger(__name__)

IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".tif", ".tiff"}
SCAN_SUFFIXES = IMAGE_SUFFIXES | {".pdf"}
LANGUAGES = "chi_sim+eng"
INSTALL_HINT = ("install OCRmyPDF and Tesseract's simplified Chinese: apt-get install --no-install-recommends "
                "ocrmypdf tesseract-ocr-chi-sim ghostscript img2pdf (or run scripts/quickstart.sh setup)")
# ocrmypdf's exit codes that mean "this input cannot be made into PDF/A", not "the tool is broken"
INPUT_ERRORS = {2: "输入文件无效", 6: "已有文字层（--skip-text 未生效）", 8: "文件已加密", 4: "输出文件校验失败"}


@dataclass(frozen=True)
class OcrResult:
    ok: bool
    reason: str = ""          # why not, for the record (Chinese, for the archivist)
    dpi_assumed: int | None = None


def ocrmypdf_path() -> str:
    found = os.environ.get("KJHDZ_OCRMYPDF") or shutil.which("ocrmypdf")
    if not found:
        raise MissingDependencyError("OCRmyPDF (ocrmypdf) was not found", hint=INSTALL_HINT)
    return found


def available() -> bool:
    try:
        ocrmypdf_path()
    except MissingDependencyError:
        return False
    return bool(shutil.which("tesseract"))


@functools.lru_cache(maxsize=1)
def version() -> str:
    """``ocrmypdf x.y; tesseract x.y``: for the 业务 events and the seal report."""
    parts = []
    for cmd in ([ocrmypdf_path(), "--version"], ["tesseract", "--version"]):
        try:
            out = subprocess.run(cmd, capture_output=True, text=True, timeout=60)
            first = (out.stdout or out.stderr).strip().splitlines()
            parts.append(f"{Path(cmd[0]).name} {first[0].split()[-1] if first else '?'}")
        except (OSError, subprocess.TimeoutExpired):
            parts.append(f"{Path(cmd[0]).name} ?")
    return "; ".join(parts)


@functools.lru_cache(maxsize=1)
def languages() -> set[str]:
    try:
        out = subprocess.run(["tesseract", "--list-langs"], capture_output=True, text=True, timeout=60).stdout
    except (OSError, subprocess.TimeoutExpired):
        return set()
    return {line.strip() for line in out.splitlines()[1:] if line.strip()}


def to_pdfa(src: Path, dst: Path, *, image_dpi: int | None = None, timeout: float = 300.0) -> OcrResult:
    """Make ``dst`` a searchable PDF/A-2b of the scan ``src``; ``image_dpi`` for an image that records no
    resolution (its page size is then computed from it). ``src`` is only read."""
    if "chi_sim" not in languages():
        raise MissingDependencyError("Tesseract has no simplified Chinese (chi_sim) data", hint=INSTALL_HINT)
    dst.parent.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix="kjhdz-ocr-"))
    try:
        # an ASCII name: ocrmypdf and Ghostscript are given no path they could misread
        staged = work / f"in{src.suffix.lower()}"
        shutil.copyfile(src, staged)
        out = work / "out.pdf"
        cmd = [ocrmypdf_path(), "--output-type", "pdfa-2", "-l", LANGUAGES, "--jobs", "1", "--skip-text",
               "--quiet", "--optimize", "0"]
        if image_dpi:
            cmd += ["--image-dpi", str(int(image_dpi))]
        cmd += [str(staged), str(out)]
        env = dict(os.environ, OMP_THREAD_LIMIT="1")
        proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env,
                                start_new_session=True, stdin=subprocess.DEVNULL)
        try:
            _, err = proc.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            try:
                os.killpg(proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            proc.wait()
            return OcrResult(False, f"OCRmyPDF 超过 {timeout:.0f} 秒未完成，已终止")
        text = err.decode("utf-8", "replace").strip()
        if text:
            log.info("ocrmypdf %s: %s", src.name, text[-2000:])
        if proc.returncode != 0:
            why = INPUT_ERRORS.get(proc.returncode, f"OCRmyPDF 退出码 {proc.returncode}")
            last = text.splitlines()[-1] if text else ""
            return OcrResult(False, f"未能转换为 PDF/A：{why}" + (f"（{last[:200]}）" if last else ""))
        from .converter import verify_pdf

        problem = verify_pdf(out, pdfa=True)
        if problem:
            return OcrResult(False, f"OCRmyPDF 的输出不可用：{problem}")
        tmp = dst.with_name(f".{dst.name}.part")
        shutil.copyfile(out, tmp)
        os.replace(tmp, dst)
        return OcrResult(True, dpi_assumed=image_dpi)
    finally:
        shutil.rmtree(work, ignore_errors=True)

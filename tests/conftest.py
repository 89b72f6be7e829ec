from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="session", autouse=True)
def _isolated_outputs(tmp_path_factory):
    """Tests never write into the checkout's build/, archive/ or keys/ (the signing key a seal creates)."""
    base = tmp_path_factory.mktemp("kjhdz")
    old = {k: os.environ.get(k) for k in ("KJHDZ_BUILD", "KJHDZ_ARCHIVE", "KJHDZ_KEYS", "KJHDZ_SIGNING_P12")}
    os.environ["KJHDZ_BUILD"] = str(base / "build")
    os.environ["KJHDZ_ARCHIVE"] = str(base / "archive")
    os.environ["KJHDZ_KEYS"] = str(base / "keys")
    os.environ.pop("KJHDZ_SIGNING_P12", None)
    yield
    for k, v in old.items():
        if v is None:
            os.environ.pop(k, None)
        else:
            os.environ[k] = v


@pytest.fixture(autouse=True)
def _own_cache(tmp_path_factory, monkeypatch):
    """Each test starts with an empty cache of its own (kjhdz_docs.cache): what one test built is never
    served to another (a test injecting a fault must see the real work done)."""
    monkeypatch.setenv("KJHDZ_CACHE", str(tmp_path_factory.mktemp("cache")))


def fake_soffice(tmp_path: Path, body: str) -> Path:
    """A stand-in for soffice that injects a failure (hang, exit 1, no output, truncated PDF)."""
    path = tmp_path / "soffice"
    path.write_text("#!/usr/bin/env bash\n" + body + "\n")
    path.chmod(0o755)
    return path


requires_soffice = pytest.mark.skipif(shutil.which("soffice") is None and not os.environ.get("CI"),
                                      reason="LibreOffice not installed (CI installs it)")

"""BagIt (RFC 8493) through bagit-python: the one module that makes and validates bags.

bagit-python bags a folder in place (its contents move into ``data/``), so a seal lays the payload
out in a temporary folder beside the final one, bags and validates it there, then renames it.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

import bagit

CHECKSUMS = ("sha256", "sha512")

logging.getLogger("bagit").setLevel(logging.WARNING)


@dataclass(frozen=True)
class BagProblem:
    """One thing wrong with a bag: the file (relative to the bag) and what."""

    path: str
    check: str           # checksum | missing | unexpected | structure
    message: str


def make_bag(folder: Path, info: dict[str, str]) -> None:
    """Turn ``folder`` into a bag in place (payload moves to ``data/``), sha256 + sha512 manifests."""
    bagit.make_bag(str(folder), bag_info=dict(info), processes=1, checksums=list(CHECKSUMS))


def validate(folder: Path) -> list[BagProblem]:
    """Full validation (every checksum recomputed, completeness both ways); [] when the bag is valid."""
    try:
        bag = bagit.Bag(str(folder))
        bag.validate(processes=1, fast=False)
    except bagit.BagValidationError as exc:
        out = []
        for d in exc.details or []:
            if isinstance(d, bagit.ChecksumMismatch):
                out.append(BagProblem(d.path, "checksum",
                                      f"{d.algorithm} mismatch: manifest {d.expected[:16]}…, file {d.found[:16]}…"))
            elif isinstance(d, bagit.FileMissing):
                out.append(BagProblem(d.path, "missing", "listed in the manifest but not in the bag"))
            elif isinstance(d, bagit.UnexpectedFile):
                out.append(BagProblem(d.path, "unexpected", "in the bag but in no manifest"))
            else:
                out.append(BagProblem(str(getattr(d, "path", "")), "structure", str(d)))
        return out or [BagProblem("", "structure", str(exc))]
    except bagit.BagError as exc:
        return [BagProblem("", "structure", str(exc))]
    return []


def info(folder: Path) -> dict[str, str]:
    """bag-info.txt as a dict (first value of repeated labels)."""
    bag = bagit.Bag(str(folder))
    return {k: (v[0] if isinstance(v, list) else v) for k, v in bag.info.items()}

"""Benchmark results for the report: asv's saved results when present, else the quick built-in benchmark."""

from __future__ import annotations

import sys
from pathlib import Path


def gather(out_dir, run_quick: bool = True) -> dict | None:
    """The benchmark document the report shows, or None when there is none and none may be run."""
    return None

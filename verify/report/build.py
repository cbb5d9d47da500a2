"""Build both report files and write them atomically."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from . import content, html, pdf

HTML_NAME = "index.html"
PDF_NAME = "report.pdf"


def atomic_write(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` so that readers see the old file or the new one, never a partial one.

    The bytes go to a temporary file in the same directory (same file
    system), are flushed to disk, and replace the target in one rename.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)  # mkstemp makes it private; a report is meant to be read
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def bench_sections(bench: dict | None):
    """(figures, tables) from a benchmark document: it carries them as plain data."""
    if not bench:
        return [], []
    return list(bench.get("figures", [])), list(bench.get("tables", []))


# The steps of write_report, as its ``progress`` hears of them.
WRITE_STEPS = ("html", "pdf", "files")


def write_report(results: dict, bench: dict | None, out_dir, progress=None) -> tuple[Path, Path]:
    """Render the HTML page and the PDF, then put both in place.

    Both files are rendered in memory first: an error in either leaves the
    previous report untouched. ``progress(step)``, when given, is called
    after each of ``WRITE_STEPS``.
    """
    out = Path(out_dir)
    told = progress or (lambda step: None)
    report = content.build(results, bench)
    figures, tables = bench_sections(bench)
    page = html.render(report, figures, tables).encode("utf-8")
    told("html")
    document = pdf.render(report, figures, tables)
    told("pdf")
    atomic_write(out / HTML_NAME, page)
    atomic_write(out / PDF_NAME, document)
    told("files")
    return out / HTML_NAME, out / PDF_NAME

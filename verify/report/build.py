"""Build the report's files and put them in place together (:func:`verify.harness.files.publish_together`)."""

from __future__ import annotations

from pathlib import Path

from ..harness.files import json_bytes, pause_at, publish_together
from . import content, html, pdf

HTML_NAME = "index.html"
PDF_NAME = "report.pdf"
RESULTS_NAME = "results.json"  # the results the report was built from, beside it


def bench_sections(bench: dict | None):
    """(figures, tables) from a benchmark document: it carries them as plain data."""
    if not bench:
        return [], []
    return list(bench.get("figures", [])), list(bench.get("tables", []))


# The steps of write_report, as its ``progress`` hears of them.
WRITE_STEPS = ("html", "pdf", "files")


def write_report(results: dict, bench: dict | None, out_dir, waiting=None, progress=None) -> tuple[Path, Path]:
    """Render the HTML page and the PDF, then replace ``OUT/index.html``, ``report.pdf`` and ``results.json`` together.

    All three are rendered in memory first, then written into a fresh folder
    that one rename makes current: an error or an interrupt at any point
    leaves the previous report (all three files) as it was. ``waiting()`` is
    called when another report into ``out_dir`` must finish first.
    ``progress(step)``, when given, is called after each of ``WRITE_STEPS``.
    """
    told = progress or (lambda step: None)
    report = content.build(results, bench)
    figures, tables = bench_sections(bench)
    page = html.render(report, figures, tables).encode("utf-8")
    told("html")
    document = pdf.render(report, figures, tables)
    told("pdf")
    pause_at("report:rendered")
    paths = publish_together(out_dir, {HTML_NAME: page, PDF_NAME: document, RESULTS_NAME: json_bytes(results)}, waiting)
    told("files")
    return paths[0], paths[1]

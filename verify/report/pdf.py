"""The report as a PDF with the content of the HTML page (ReportLab's Platypus layout), made to be printed.

It reads the report's model (:mod:`verify.report.content`, which the HTML page renders too) and recomputes
nothing. The first page holds the summary and the glossary; the contents (two columns, every line a link with its
page number) follow; each source is a section opening with its bibliographic records, the error column's legend
and the clauses its results share, then one block per claim (its place in the source, the statement with its
typeset formula, the results and counterexamples, :mod:`verify.report.pdf_evidence`, and its figures beside it
or two to a row under it). The environment, the git commit and the implementations' capabilities close it, as
tables (:mod:`verify.report.pdf_environment`). The page machinery (footer "page N of M", outline, contents,
page-fill bookkeeping) is :mod:`verify.report.pdf_layout`. Every text from the results is escaped for
ReportLab's markup.
"""

from __future__ import annotations

from html import escape

from reportlab.lib import colors
from reportlab.lib.units import cm
from reportlab.platypus import CondPageBreak, Image, NextPageTemplate, PageBreak, Spacer

from . import pdf_environment
from .content import (Figure, Report, error_cell, glossary, glossary_anchor, partial_notice, row_class, slug,
                      verdict_legend, verdict_line)
from .figures import STYLE as FIGURE_STYLE, png_or_reason
from .html import safe_url
from .math import formula_png
from .pdf_evidence import GREY, ROW_COLOURS, claim_results, error_legend, shared_notes, term, verdict
from .pdf_layout import FRAME_HEIGHT, FRAME_WIDTH, P, build, contents, heading, png_image, table

FIGURES_PER_ROW = 2
# A claim's text and its one figure stand side by side only when the text is at most this many times the figure's
# height: the pair is one table row, which moves whole to the next page when it does not fit, so it must stay
# about a figure tall (half a page) for the page it leaves to stay more than half full.
SIDE_BY_SIDE_TEXT = 1.15
# Cells holding figures: no grid, no padding at the sides (the gap column keeps them apart).
FIGURE_CELLS = [("LEFTPADDING", (0, 0), (-1, -1), 0),
                ("RIGHTPADDING", (0, 0), (-1, -1), 0)]
# A section starts on the page where the last one ended when this share of the page is still free.
SECTION_ROOM = 0.35
FIGURE_GAP = 0.4 * cm
# The resolution formula_png draws at (its default): the image's natural size in the PDF is pixels / FORMULA_DPI inches.
FORMULA_DPI = 200
# A formula at most this share of the width wide stands beside the statement; a wider one goes under it.
FORMULA_SHARE = 0.45


def anchor(kind: str, name: str) -> str:
    """A PDF destination name for a section or a claim (content.slug: safe characters, distinct for distinct ids)."""
    return f"{kind}-{slug(name)}"


# ---------------------------------------------------------------------------------------------------------------
# The first page: summary, legend, glossary.


def summary(report: Report, width) -> list:
    rows = [[P(h) for h in ("source", "claims", "hold", "refuted", "hold under an added hypothesis", "unconfirmed (fails)",
                            "inconclusive", "reconstructed statements", "verdict ≠ expected")]]
    for s in report.sections:
        c = s.counts()
        rows.append([P(f"<a href='#{anchor('source', s.key)}' color='#1a4f8a'>{escape(s.title)}</a>"),
                     *(P(str(v)) for v in (len(s.claim_ids), c.get("holds", 0), c.get("refuted", 0),
                                           c.get("holds-under", 0), c.get("unconfirmed", 0), c.get("inconclusive", 0),
                                           len(s.reconstructed), len(s.mismatches)))])
    total = report.results.get("summary", {})
    notice = partial_notice(report.results)
    legend = [P(f"{verdict(v)}: {escape(meaning)}.", "body") for v, meaning in verdict_legend(report.results)]
    return [
        heading("Summary", "h2", "summary", 0),
        *([P(f"<b>{escape(notice)}</b>", "body")] if notice else []),
        P(f"{total.get('matched', 0)} of {total.get('total', 0)} verdicts match the expected verdicts (what the source claims, or where the source is wrong, the refutation we expect); "
          f"{total.get('mismatched', 0)} mismatched, {total.get('inconclusive', 0)} inconclusive, "
          f"{total.get('robustness', 0)} robustness findings (beyond the input domain; not failures), "
          f"{total.get('skipped', 0)} skipped. A refuted claim is a result: the harness found, shrank and confirmed "
          "the counterexample the expectation predicts.", "body"),
        *legend,
        Spacer(1, 4),
        table(rows, [width * f for f in (0.32, 0.07, 0.07, 0.07, 0.12, 0.09, 0.09, 0.08, 0.09)]),
    ]


def glossary_section(width) -> list:
    """The glossary (content.glossary(): verify/report/glossary.py's terms), each term a link target of its verdict
    words; nothing where that module is absent."""
    terms = glossary()
    if not terms:
        return []
    rows = [[P("term"), P("meaning")]] + [[P(f"<a name='{glossary_anchor(term)}'/><b>{escape(term)}</b>"), P(escape(text))]
                                         for term, text in terms]
    return [Spacer(1, 8), heading("Glossary", "h2", "glossary", 0), table(rows, [width * 0.2, width * 0.8])]


# ---------------------------------------------------------------------------------------------------------------
# A source's section: its record, then one block per claim.


def citation(src) -> str:
    """A source (content.SourceView) as ReportLab markup: title, byline, arXiv id with its link (http(s) only)."""
    url = safe_url(src.url)
    out = f"<b>{escape(src.title)}</b>" + (f". {escape(src.byline)}" if src.byline else "")
    if src.arxiv:
        arxiv = escape(src.arxiv)
        out += f" arXiv:<a href='{escape(url)}' color='#1a4f8a'>{arxiv}</a>" if url else f" arXiv:{arxiv}"
    elif url:
        out += f" <a href='{escape(url)}' color='#1a4f8a'>{escape(url)}</a>"
    return out


def statement(claim: dict, width: float) -> list:
    """The statement with its hypotheses and the typeset formula (when the claim has one): beside the text when the
    formula at its natural size takes at most FORMULA_SHARE of the width, else under it (scaled down to the width
    if wider, never up)."""
    hyp = escape("; ".join(claim.get("hypotheses") or []) or "none")
    added = (f"<br/><b>Hypothesis the source left out:</b> {escape(claim['missing_hypothesis'])}"
             if claim.get("missing_hypothesis") else "")
    text = P(f"{escape(claim['statement'])}<br/><font color='{GREY}'><b>Hypotheses:</b> {hyp}{added}</font>", "body")
    if not claim.get("formula"):
        return [text]
    image = png_image(formula_png(claim["formula"], dpi=FORMULA_DPI), FORMULA_DPI, width - 12)
    if image.drawWidth > FORMULA_SHARE * width:
        image.hAlign = "CENTER"
        return [text, Spacer(1, 3), image]
    image.hAlign = "CENTER"
    image_width = image.drawWidth + 12
    return [table([[text, image]], [width - image_width, image_width], header=False, grid=False,
                  style=[("VALIGN", (1, 0), (1, 0), "MIDDLE"), ("LEFTPADDING", (0, 0), (0, 0), 0)])]


def figure_image(spec: dict, width: float):
    """The figure drawn and scaled to ``width``, or, for a spec that cannot be drawn (a malformed figure in a
    results file), a line saying why in its place: it costs its picture, not the report."""
    png, reason = png_or_reason(spec)
    if not png:
        return P(escape(reason), "meta")
    return png_image(png, FIGURE_STYLE["figure.dpi"], width)


def figure_rows(figures, width) -> list:
    """The figures, FIGURES_PER_ROW to a row, each scaled to its share of the width and kept with its caption."""
    cell = (width - FIGURE_GAP * (FIGURES_PER_ROW - 1)) / FIGURES_PER_ROW
    out = []
    for start in range(0, len(figures), FIGURES_PER_ROW):
        row = []
        for f in figures[start:start + FIGURES_PER_ROW]:
            row.append([figure_image(f.spec, cell), P(escape(figure_caption(f)), "caption")])
        row += [""] * (FIGURES_PER_ROW - len(row))
        widths = []
        for i in range(FIGURES_PER_ROW):
            widths += [cell] + ([FIGURE_GAP] if i < FIGURES_PER_ROW - 1 else [])
        cells = []
        for i, item in enumerate(row):
            cells += [item] + ([""] if i < FIGURES_PER_ROW - 1 else [])
        out.append(table([cells], widths, header=False, grid=False, style=FIGURE_CELLS + [("ALIGN", (0, 0), (-1, -1), "CENTER")]))
        out.append(Spacer(1, 4))
    return out


def figure_caption(f: Figure) -> str:
    return f"Figure {f.number}. {f.caption}" if f.claim_id else f.caption


def claim_block(section, report: Report, claim_id: str, width: float, frame_height: float) -> list:
    """One claim: its heading (an outline entry), its place in the source, statement and formula, verdicts and
    evidence (one row per implementation for an implementation claim), then its figures: a single figure stands
    beside the text when the text is about as tall as the figure, otherwise figures go in rows of FIGURES_PER_ROW
    below the text."""
    rows = [r for r in section.rows if r.id == claim_id]
    figures = section.figures_of(claim_id)
    claim = rows[0].claim
    place = (claim.get("source") or {}).get("where", "")
    tags = [t for t in ("reconstructed statement" if claim.get("reconstructed") else "",
                        "robustness claim" if claim.get("kind") == "robustness" else "") if t]
    meta = "; ".join(([f"<b>In the source:</b> {escape(place)}"] if place else []) + [term(f"<i>{t}</i>", t) for t in tags])
    head = heading(f"{escape(claim_id)} <font color='{GREY}'>{escape(claim['title'])}</font>", "claim",
                   anchor("claim", claim_id), 1, outline_text=f"{claim_id}  {claim['title']}")

    def text(w):
        return ([P(meta, "claim-meta")] if meta else []) + statement(claim, w) + [Spacer(1, 3)] + claim_results(section, report, rows, w)

    if len(figures) == 1:
        figure_width = (width - FIGURE_GAP) / FIGURES_PER_ROW
        text_width = width - figure_width - FIGURE_GAP
        beside = text(text_width)
        image = figure_image(figures[0].spec, figure_width)
        text_height = sum(f.wrap(text_width, frame_height)[1] for f in beside)
        if isinstance(image, Image) and text_height <= SIDE_BY_SIDE_TEXT * image.drawHeight:
            pair = table([[beside, "", [image, P(escape(figure_caption(figures[0])), "caption")]]],
                         [text_width, FIGURE_GAP, figure_width], header=False, grid=False, style=FIGURE_CELLS)
            return [head, pair, Spacer(1, 4)]
    return [head] + text(width) + ([Spacer(1, 4)] + figure_rows(figures, width) if figures else [])


def implementation_matrix(section, width):
    """The implementation claims at a glance: one row per claim (a link to its block), one column per implementation."""
    impls = list(dict.fromkeys(r.implementation for r in section.rows))
    by = {(r.id, r.implementation): r for r in section.rows}
    rows, style = [[P("claim"), *(P(escape(i)) for i in impls)]], []
    for n, cid in enumerate(section.claim_ids, start=1):
        first = next(r for r in section.rows if r.id == cid)
        cells = []
        for j, i in enumerate(impls, start=1):
            r = by.get((cid, i))
            if r is None:
                cells.append(P(""))
                continue
            cell = error_cell(r.evidence)
            cells.append(P(f"{verdict(r.evidence['verdict'])} {r.evidence.get('examples', 0)} ex."
                           + (f", {escape(cell.text)} <font color='{GREY}' size='6'>{escape(cell.label)}</font>"
                              if cell.text else "")))
            shade = ROW_COLOURS.get(row_class(r))
            if shade:
                style.append(("BACKGROUND", (j, n), (j, n), colors.HexColor(shade)))
        rows.append([P(f"<a href='#{anchor('claim', cid)}' color='#1a4f8a'><b>{escape(cid)}</b></a> "
                       f"{escape(first.claim['title'])}"), *cells])
    first_w = 0.34 if impls else 1.0
    return table(rows, [width * first_w] + [width * (1 - first_w) / max(1, len(impls))] * len(impls), style=style)


def source_section(section, report: Report, width, frame_height) -> list:
    """A source: its bibliographic records, its verdicts, the error column's legend, the clauses several results
    say (once), the implementations' matrix for the implementation claims, then a block per claim."""
    story = [heading(escape(section.title), "h1", anchor("source", section.key), 0, outline_text=section.title)]
    story += [P(citation(src), "body") for src in section.sources]
    story += [P(escape(verdict_line(section.counts())) + ".", "meta"), Spacer(1, 4)]
    story += error_legend(section, width) + shared_notes(section, width)
    if section.key == "impl":
        story += [implementation_matrix(section, width), Spacer(1, 4)]
    for cid in section.claim_ids:
        story += claim_block(section, report, cid, width, frame_height)
    return story


# ---------------------------------------------------------------------------------------------------------------


def benchmarks(report: Report, bench_figures, bench_tables, width) -> list:
    story = [heading("Benchmarks", "h1", "benchmarks", 0)]
    if report.bench is None:
        return story + [P("No benchmark results were available for this report.", "body")]
    story.append(P(escape(report.bench.get("description", "")), "body"))
    for t in bench_tables:
        columns = len(t["columns"]) or 1
        story += [P(escape(t["title"]), "h2"), table([[P(escape(str(c))) for c in t["columns"]]] +
                                                     [[P(escape(str(v))) for v in row] for row in t["rows"]],
                                                     [width / columns] * columns)]
    figures = [Figure("", spec, spec.get("title", "")) for spec in bench_figures]
    return story + ([Spacer(1, 6)] + figure_rows(figures, width) if figures else [])


def section_break():
    """A new page for the next section unless SECTION_ROOM of this one is still free (no page left mostly empty)."""
    return CondPageBreak(SECTION_ROOM * FRAME_HEIGHT)


def story(report: Report, bench_figures=(), bench_tables=(), width: float = FRAME_WIDTH) -> list:
    results = report.results
    out = [
        P("lossproof report", "title"),
        P(f"Claims about softmax cross-entropy and the losses around it, checked by computation. Results of "
          f"{escape(results.get('created', ''))}, Hypothesis profile {escape(str(results.get('profile', '')))}"
          + (f", claims at commit {escape(str(report.environment['commit']))}" if report.environment.get("commit") else "")
          + ".", "body"),
        *summary(report, width),
        *glossary_section(width),
        NextPageTemplate("contents"), PageBreak(),
        P("Contents", "h1"), contents(),
        NextPageTemplate("main"), PageBreak(),
    ]
    for n, s in enumerate(report.sections):
        out += ([section_break()] if n else []) + source_section(s, report, width, FRAME_HEIGHT)
    out += [section_break(), *benchmarks(report, bench_figures, bench_tables, width)]
    out += [section_break(), *pdf_environment.section(report, width)]
    return out


def render_with_layout(report: Report, bench_figures=(), bench_tables=()):
    """The PDF's bytes and its :class:`~verify.report.pdf_layout.Layout` (pages' fill, tables' widths)."""
    return build(story(report, bench_figures, bench_tables, FRAME_WIDTH), title="lossproof report", author="lossproof")


def render(report: Report, bench_figures=(), bench_tables=()) -> bytes:
    return render_with_layout(report, bench_figures, bench_tables)[0]

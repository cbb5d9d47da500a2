"""The report as a PDF with the same content as the HTML page (ReportLab's Platypus layout)."""

from __future__ import annotations

import io
from html import escape

from reportlab.lib import colors
from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.styles import ParagraphStyle, getSampleStyleSheet
from reportlab.lib.units import cm
from reportlab.platypus import Image, KeepTogether, PageBreak, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from .content import (Report, compact_json, evidence_text, format_error, is_constructed, partial_notice, verdict_legend,
                      verdict_line)
from .figures import render_png

VERDICT_COLOURS = {"holds": "#176f2c", "refuted": "#b3261e", "holds-under": "#8a5a00", "unconfirmed": "#8e1b6f",
                   "inconclusive": "#2f5f8a", "skipped": "#666666", "error": "#666666"}

_base = getSampleStyleSheet()
STYLES = {
    "title": _base["Title"],
    "h1": _base["Heading1"],
    "h2": _base["Heading2"],
    "body": ParagraphStyle("body", parent=_base["BodyText"], fontSize=9, leading=11.5),
    "cell": ParagraphStyle("cell", parent=_base["BodyText"], fontSize=7, leading=8.6),
    "code": ParagraphStyle("code", parent=_base["Code"], fontSize=6.5, leading=7.8),
    "caption": ParagraphStyle("caption", parent=_base["Italic"], fontSize=8, leading=10),
}
TABLE_STYLE = TableStyle(
    [
        ("GRID", (0, 0), (-1, -1), 0.3, colors.grey),
        ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#eeeeee")),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("LEFTPADDING", (0, 0), (-1, -1), 3),
        ("RIGHTPADDING", (0, 0), (-1, -1), 3),
    ]
)


class OutlinedDoc(SimpleDocTemplate):
    """A document whose level-1 headings become PDF outline entries (one per section)."""

    def afterFlowable(self, flowable):
        if isinstance(flowable, Paragraph) and flowable.style.name in ("Heading1", "Heading2"):
            text = flowable.getPlainText()
            key = f"h{id(flowable)}"
            self.canv.bookmarkPage(key)
            self.canv.addOutlineEntry(text, key, level=0 if flowable.style.name == "Heading1" else 1, closed=False)


def P(text: str, style: str = "cell") -> Paragraph:
    return Paragraph(text, STYLES[style])


def constructed(ev: dict) -> str:
    """The 'constructed counterexample' label (ReportLab markup) for a counterexample built rather than searched for."""
    return "<font color='#8a5a00'><b>[constructed counterexample]</b></font> " if is_constructed(ev) else ""


def evidence(ev: dict) -> Paragraph:
    return P(constructed(ev) + escape(evidence_text(ev)))


def verdict(v: str) -> Paragraph:
    return P(f"<font color='{VERDICT_COLOURS.get(v, '#000000')}'><b>{escape(v)}</b></font>")


def figure(spec: dict, caption: str, width: float) -> KeepTogether:
    png = render_png(spec)
    img = Image(io.BytesIO(png), width=width, height=width * 3.8 / 6.4)
    return KeepTogether([img, P(escape(caption), "caption"), Spacer(1, 6)])


def table(rows, widths) -> Table:
    t = Table(rows, colWidths=widths, repeatRows=1)
    t.setStyle(TABLE_STYLE)
    return t


def summary(report: Report, width):
    rows = [[P(h) for h in ("source", "claims", "hold", "refuted", "hold under an added hypothesis", "unconfirmed (fails)",
                            "inconclusive", "reconstructed", "verdict ≠ expected")]]
    for s in report.sections:
        c = s.counts()
        rows.append([P(escape(s.title)), *(P(str(v)) for v in (len(s.claim_ids), c.get("holds", 0), c.get("refuted", 0),
                                                                   c.get("holds-under", 0), c.get("unconfirmed", 0),
                                                                   c.get("inconclusive", 0), len(s.reconstructed),
                                                                   len(s.mismatches)))])
    total = report.results.get("summary", {})
    notice = partial_notice(report.results)
    legend = [P(f"<font color='{VERDICT_COLOURS[v]}'><b>{escape(v)}</b></font>: {escape(meaning)}.", "body")
              for v, meaning in verdict_legend(report.results)]
    return [
        P("Summary", "h1"),
        *([P(f"<b>{escape(notice)}</b>", "body")] if notice else []),
        P(f"{total.get('matched', 0)} of {total.get('total', 0)} verdicts match the catalogs' expectations; "
          f"{total.get('mismatched', 0)} mismatched, {total.get('inconclusive', 0)} inconclusive, "
          f"{total.get('robustness', 0)} robustness findings (beyond the input domain; not failures), "
          f"{total.get('skipped', 0)} skipped.", "body"),
        *legend,
        Spacer(1, 4),
        table(rows, [width * f for f in (0.32, 0.07, 0.07, 0.07, 0.12, 0.09, 0.09, 0.08, 0.09)]),
    ]


def claim_rows(section, width):
    rows = [[P(h) for h in ("claim", "statement and hypotheses", "expected", "observed", "examples", "worst error / tol", "evidence")]]
    for r in section.rows:
        c, ev = r.claim, r.evidence
        rec = " <i>(reconstructed form)</i>" if c.get("reconstructed") else ""
        hyp = escape("; ".join(c.get("hypotheses") or []) or "none")
        added = f"<br/><b>Left out by the source:</b> {escape(c['missing_hypothesis'])}" if c.get("missing_hypothesis") else ""
        rows.append([
            P(f"<b>{escape(r.id)}</b><br/>{escape(c['title'])}{rec}"),
            P(f"{escape(c['statement'])}<br/><b>Hypotheses:</b> {hyp}{added}"),
            verdict(c["expected"]), verdict(ev["verdict"]), P(str(ev.get("examples", 0))), P(escape(format_error(ev))),
            evidence(ev),
        ])
    return table(rows, [width * f for f in (0.14, 0.27, 0.07, 0.07, 0.06, 0.1, 0.29)])


def impl_rows(section, width):
    impls = list(dict.fromkeys(r.implementation for r in section.rows))
    by = {(r.id, r.implementation): r for r in section.rows}
    rows = [[P("claim"), *(P(escape(i)) for i in impls)]]
    for cid in section.claim_ids:
        first = next(r for r in section.rows if r.id == cid)
        cells = []
        for i in impls:
            r = by.get((cid, i))
            cells.append(P("") if r is None else P(
                f"<font color='{VERDICT_COLOURS.get(r.evidence['verdict'], '#000000')}'><b>{escape(r.evidence['verdict'])}</b></font>"
                f"<br/>{r.evidence.get('examples', 0)} ex. {escape(format_error(r.evidence))}"))
        rows.append([P(f"<b>{escape(cid)}</b><br/>{escape(first.claim['statement'])}"), *cells])
    first_w = 0.46 if impls else 1.0
    return table(rows, [width * first_w] + [width * (1 - first_w) / max(1, len(impls))] * len(impls))


def render(report: Report, bench_figures=(), bench_tables=()) -> bytes:
    buf = io.BytesIO()
    doc = OutlinedDoc(buf, pagesize=landscape(A4), leftMargin=1.3 * cm, rightMargin=1.3 * cm,
                            topMargin=1.2 * cm, bottomMargin=1.2 * cm, title="lossproof report", author="lossproof")
    width = doc.width
    fig_width = min(width * 0.62, 17 * cm)
    story = [
        P("lossproof report", "title"),
        P(f"Claims about softmax cross-entropy and the losses around it, checked by computation. Results of "
          f"{escape(report.results.get('created', ''))}, Hypothesis profile {escape(str(report.results.get('profile', '')))}.", "body"),
        *summary(report, width),
    ]
    for s in report.sections:
        story += [PageBreak(), P(escape(s.title), "h1"), P(escape(verdict_line(s.counts())) + ".", "body"), Spacer(1, 4)]
        story.append(impl_rows(s, width) if s.key == "impl" else claim_rows(s, width))
        for r in s.mismatches + s.inconclusive + s.robustness if s.key == "impl" else []:
            v = r.evidence["verdict"]
            story.append(P(f"<b>{escape(r.id)} [{escape(r.implementation)}]</b> <font color='{VERDICT_COLOURS.get(v, '#000000')}'>"
                           f"<b>{escape(v)}</b></font>: {constructed(r.evidence)}{escape(evidence_text(r.evidence))}", "body"))
        story += [figure(f.spec, f.caption, fig_width) for f in s.figures]
    story += [PageBreak(), P("Benchmarks", "h1")]
    if report.bench is None:
        story.append(P("No benchmark results were available for this report.", "body"))
    else:
        story.append(P(escape(report.bench.get("description", "")), "body"))
        for t in bench_tables:
            story += [P(escape(t["title"]), "h2"), table([[P(escape(str(c))) for c in t["columns"]]] +
                                                          [[P(escape(str(v))) for v in row] for row in t["rows"]],
                                                          [width / len(t["columns"])] * len(t["columns"]))]
        story += [figure(spec, spec.get("title", ""), fig_width) for spec in bench_figures]
    env_rows = [[P("item"), P("value")]] + [[P(escape(k)), P(escape(str(v)))] for k, v in report.environment.items()]
    env_rows += [[P(f"hypothesis {escape(k)}"), P(escape(str(v)))] for k, v in report.results.get("hypothesis", {}).items()]
    impl_rows_ = [[P("implementation"), P("declared capabilities")]] + [
        [P(escape(i["name"])), P(escape(compact_json(i["capabilities"], 400)), "code")] for i in report.results.get("implementations", [])
    ]
    story += [PageBreak(), P("Environment", "h1"), table(env_rows, [width * 0.25, width * 0.75]), Spacer(1, 8),
              P("Implementations checked", "h2"), table(impl_rows_, [width * 0.25, width * 0.75])]
    doc.build(story)
    return buf.getvalue()

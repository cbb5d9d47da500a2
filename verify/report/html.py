"""The report as one self-contained HTML page (figures embedded as PNG data URIs)."""

from __future__ import annotations

import base64
from html import escape

from .content import (Report, compact_json, evidence_text, format_error, is_constructed, partial_notice, row_class,
                      verdict_legend, verdict_line)
from .figures import render_png

CSS = """
body { font-family: -apple-system, "Segoe UI", Helvetica, Arial, sans-serif; max-width: 1100px;
       margin: 2em auto; padding: 0 1em; color: #222; line-height: 1.45; }
h1 { font-size: 1.7em; margin-bottom: 0.2em; } h2 { border-bottom: 1px solid #ccc; padding-bottom: 0.2em; margin-top: 2em; }
table { border-collapse: collapse; width: 100%; margin: 0.8em 0; font-size: 0.88em; }
th, td { border: 1px solid #ddd; padding: 4px 6px; vertical-align: top; text-align: left; }
th { background: #f3f3f3; }
td.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
.v-holds { color: #176f2c; font-weight: 600; } .v-refuted { color: #b3261e; font-weight: 600; }
.v-holds-under { color: #8a5a00; font-weight: 600; } .v-skipped, .v-error { color: #666; font-weight: 600; }
.v-unconfirmed { color: #8e1b6f; font-weight: 600; } .v-inconclusive { color: #2f5f8a; font-weight: 600; }
.mismatch { background: #fde8e8; } .inconclusive { background: #e8f0fa; } .robustness { background: #fff4dc; }
.constructed { font-size: 0.8em; background: #fff1d6; padding: 0 4px; border-radius: 3px; font-weight: 600; }
.meta { color: #555; font-size: 0.9em; }
code, .cx { font-family: SFMono-Regular, Menlo, Consolas, monospace; font-size: 0.85em; word-break: break-all; }
figure { margin: 1.2em 0; text-align: center; } figure img { max-width: 100%; }
figcaption { font-size: 0.85em; color: #444; }
.tag { font-size: 0.8em; background: #eef; padding: 0 4px; border-radius: 3px; }
"""


# The verdict columns of the summary table, in order.
SUMMARY_VERDICTS = ("holds", "refuted", "holds-under", "unconfirmed", "inconclusive")


def _constructed(ev: dict) -> str:
    """The 'constructed counterexample' label, for a counterexample that was built rather than found by search."""
    return "<span class='constructed'>constructed counterexample</span> " if is_constructed(ev) else ""


def _verdict(v: str) -> str:
    return f'<span class="v-{escape(v)}">{escape(v)}</span>'


def _img(spec: dict, alt: str) -> str:
    data = base64.b64encode(render_png(spec)).decode("ascii")
    return f'<img alt="{escape(alt)}" src="data:image/png;base64,{data}">'


def _summary(report: Report) -> str:
    rows = []
    for s in report.sections:
        c = s.counts()
        rows.append(
            f"<tr><td><a href='#{s.key}'>{escape(s.title)}</a></td><td class='num'>{len(s.claim_ids)}</td>"
            + "".join(f"<td class='num'>{c.get(v, 0)}</td>" for v in SUMMARY_VERDICTS)
            + f"<td class='num'>{len(s.reconstructed)}</td><td class='num'>{len(s.mismatches)}</td></tr>"
        )
    total = report.results.get("summary", {})
    notice = partial_notice(report.results)
    legend = "".join(f"<li>{_verdict(v)}: {escape(meaning)}.</li>" for v, meaning in verdict_legend(report.results))
    return (
        "<h2 id='summary'>Summary</h2>"
        + (f"<p class='partial'><b>{escape(notice)}</b></p>" if notice else "")
        +
        f"<p>{total.get('matched', 0)} of {total.get('total', 0)} verdicts match the catalogs' expectations; "
        f"{total.get('mismatched', 0)} mismatched, {total.get('inconclusive', 0)} inconclusive, "
        f"{total.get('robustness', 0)} robustness findings (beyond the input domain; not failures), "
        f"{total.get('skipped', 0)} skipped. A refuted claim is a result: "
        "the harness found, shrank and confirmed the counterexample the catalog predicts.</p>"
        + (f"<ul class='legend'>{legend}</ul>" if legend else "")
        + "<table><tr><th>source</th><th>claims</th><th>hold</th><th>refuted</th><th>hold only under an added hypothesis</th>"
        "<th>unconfirmed (fails)</th><th>inconclusive</th>"
        "<th>reconstructed forms</th><th>verdict ≠ expected</th></tr>" + "".join(rows) + "</table>"
    )


def _claim_table(section) -> str:
    head = (
        "<table><tr><th>claim</th><th>statement and hypotheses</th><th>expected</th><th>observed</th>"
        "<th>examples</th><th>worst error / tol</th><th>evidence</th></tr>"
    )
    rows = []
    for r in section.rows:
        c, ev = r.claim, r.evidence
        tags = " <span class='tag'>reconstructed form</span>" if c.get("reconstructed") else ""
        hyp = "; ".join(c.get("hypotheses") or []) or "none"
        added = f"<br><b>Hypothesis the source left out:</b> {escape(c['missing_hypothesis'])}" if c.get("missing_hypothesis") else ""
        rows.append(
            f"<tr id='{escape(r.id)}' class='{row_class(r)}'>"
            f"<td><code>{escape(r.id)}</code><br>{escape(c['title'])}{tags}<br><span class='meta'>{escape(c['source'].get('where') or '')}</span></td>"
            f"<td>{escape(c['statement'])}<br><span class='meta'><b>Hypotheses:</b> {escape(hyp)}{added}</span></td>"
            f"<td>{_verdict(c['expected'])}</td><td>{_verdict(ev['verdict'])}</td>"
            f"<td class='num'>{ev.get('examples', 0)}</td><td class='num'>{escape(format_error(ev))}</td>"
            f"<td>{_constructed(ev)}{escape(evidence_text(ev))}</td></tr>"
        )
    return head + "".join(rows) + "</table>"


def _impl_matrix(section) -> str:
    impls = list(dict.fromkeys(r.implementation for r in section.rows))
    by = {(r.id, r.implementation): r for r in section.rows}
    head = "<table><tr><th>claim</th>" + "".join(f"<th>{escape(i)}</th>" for i in impls) + "</tr>"
    rows = []
    for cid in section.claim_ids:
        any_row = next(r for r in section.rows if r.id == cid)
        cells = []
        for i in impls:
            r = by.get((cid, i))
            if r is None:
                cells.append("<td></td>")
                continue
            err = format_error(r.evidence)
            cells.append(
                f"<td class='{row_class(r)}'>{_verdict(r.evidence['verdict'])}"
                f"<br><span class='meta'>{r.evidence.get('examples', 0)} ex. {escape(err)}</span></td>"
            )
        rows.append(
            f"<tr id='{escape(cid)}'><td><code>{escape(cid)}</code><br>{escape(any_row.claim['title'])}"
            f"<br><span class='meta'>{escape(any_row.claim['statement'])}</span></td>" + "".join(cells) + "</tr>"
        )
    out = head + "".join(rows) + "</table>"
    for r in section.mismatches + section.inconclusive + section.robustness:
        out += (f"<p class='{row_class(r)}'><b>{escape(r.id)} [{escape(r.implementation)}]</b> {_verdict(r.evidence['verdict'])}: "
                f"{_constructed(r.evidence)}{escape(evidence_text(r.evidence))}</p>")
    return out


def _figures(section) -> str:
    return "".join(
        f"<figure>{_img(f.spec, f.caption)}<figcaption>{escape(f.caption)}</figcaption></figure>" for f in section.figures
    )


def _benchmarks(report: Report, bench_figures, bench_tables) -> str:
    if report.bench is None:
        return "<h2 id='benchmarks'>Benchmarks</h2><p>No benchmark results were available for this report.</p>"
    out = [f"<h2 id='benchmarks'>Benchmarks</h2><p class='meta'>{escape(report.bench.get('description', ''))}</p>"]
    for t in bench_tables:
        out.append(f"<h3>{escape(t['title'])}</h3><table><tr>" + "".join(f"<th>{escape(str(c))}</th>" for c in t["columns"]) + "</tr>")
        for row in t["rows"]:
            out.append("<tr>" + "".join(f"<td class='num'>{escape(str(v))}</td>" for v in row) + "</tr>")
        out.append("</table>")
    out += [f"<figure>{_img(spec, spec.get('title', ''))}<figcaption>{escape(spec.get('title', ''))}</figcaption></figure>" for spec in bench_figures]
    return "".join(out)


def _environment(report: Report) -> str:
    env = dict(report.environment)
    hyp = report.results.get("hypothesis", {})
    rows = "".join(f"<tr><th>{escape(k)}</th><td>{escape(str(v))}</td></tr>" for k, v in env.items())
    rows += "".join(f"<tr><th>hypothesis {escape(k)}</th><td>{escape(str(v))}</td></tr>" for k, v in hyp.items())
    rows += f"<tr><th>results created</th><td>{escape(report.results.get('created', ''))}</td></tr>"
    impl_rows = "".join(
        f"<tr><td>{escape(i['name'])}</td><td><code>{escape(compact_json(i['capabilities'], 400))}</code></td></tr>"
        for i in report.results.get("implementations", [])
    )
    return (
        "<h2 id='environment'>Environment</h2><table>" + rows + "</table>"
        "<h3>Implementations checked</h3><table><tr><th>name</th><th>declared capabilities</th></tr>" + impl_rows + "</table>"
        "<p class='meta'>Reproduce: <code>lossproof report --hypothesis-profile "
        + escape(str(report.results.get("profile", "ci")))
        + "</code> with the versions above.</p>"
    )


def render(report: Report, bench_figures=(), bench_tables=()) -> str:
    body = [
        "<h1>lossproof report</h1>",
        f"<p class='meta'>Claims about softmax cross-entropy and the losses around it, checked by computation. "
        f"Results of {escape(report.results.get('created', ''))}, Hypothesis profile "
        f"<code>{escape(str(report.results.get('profile', '')))}</code>.</p>",
        "<p>" + " · ".join(f"<a href='#{s.key}'>{escape(s.key)}</a>" for s in report.sections)
        + " · <a href='#benchmarks'>benchmarks</a> · <a href='#environment'>environment</a></p>",
        _summary(report),
    ]
    for s in report.sections:
        body.append(f"<h2 id='{s.key}'>{escape(s.title)}</h2><p>{escape(verdict_line(s.counts()))}.</p>")
        body.append(_impl_matrix(s) if s.key == "impl" else _claim_table(s))
        body.append(_figures(s))
    body.append(_benchmarks(report, bench_figures, bench_tables))
    body.append(_environment(report))
    return (
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'><title>lossproof report</title>"
        f"<style>{CSS}</style></head><body>" + "\n".join(body) + "</body></html>\n"
    )

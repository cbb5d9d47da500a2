"""A claim's results in the PDF, from the report's model (:mod:`verify.report.content`, which the HTML page renders
too): verdicts (linked to the glossary), the error column with its meaning, the evidence with the section's shared
clauses referred to by number, counterexamples as small tables with their exact values, and the reproduction line.
"""

from __future__ import annotations

from html import escape

from reportlab.lib import colors
from reportlab.platypus import Spacer

from .content import (SHOWN_COLUMNS, SHOWN_ROWS, counterexample_view, error_cell, glossary_terms, is_constructed,
                      result_groups, row_class)
from .pdf_layout import P, table

VERDICT_COLOURS = {"holds": "#176f2c", "refuted": "#b3261e", "holds-under": "#8a5a00", "unconfirmed": "#8e1b6f",
                   "inconclusive": "#2f5f8a", "skipped": "#666666", "error": "#666666"}
# Row shading, as in the HTML page's classes of the same names.
ROW_COLOURS = {"mismatch": "#fde8e8", "inconclusive": "#e8f0fa", "robustness": "#fff4dc"}
GREY = "#444444"
# The results table's narrow columns, in points (the evidence takes the rest of the width).
RESULT_COLUMNS = {"implementation": 64, "verdict": 62, "examples": 40, "error": 70}
# A counterexample array's cell: room for a value rounded to content.SHOWN_DIGITS digits with sign and exponent.
VALUE_CELL_WIDTH = 44
VALUE_NAME_WIDTH = 120  # the header cell of an array (name, shape, dtype) is at least this wide


def term(markup: str, word: str) -> str:
    """``markup`` (the word as shown) linked to the glossary's entry for ``word`` when the glossary explains it."""
    target = glossary_terms().get(str(word).lower())
    return f"<a href='#{target}'>{markup}</a>" if target else markup


def verdict(v: str) -> str:
    """A verdict word in its colour, a link to its glossary entry when the glossary explains it."""
    return term(f"<font color='{VERDICT_COLOURS.get(v, '#000000')}'><b>{escape(str(v))}</b></font>", str(v))


def constructed(ev: dict) -> str:
    """The 'constructed counterexample' label (ReportLab markup) for a counterexample built rather than searched for."""
    label = "<font color='#8a5a00'><b>[constructed counterexample]</b></font>"
    return term(label, "constructed counterexample") + " " if is_constructed(ev) else ""


def error_markup(ev: dict) -> str:
    """The error column: the value, and beneath it what it is (the section's legend says more)."""
    cell = error_cell(ev)
    return f"{escape(cell.text)}<br/><font color='{GREY}' size='6'>{escape(cell.label)}</font>" if cell.text else ""


def evidence_markup(section, row) -> str:
    """The row's own evidence clauses, the numbers of the section's shared clauses it also says, its notes, and
    the error's numbers in full."""
    text = section.evidence_of(row)
    ev = row.evidence
    out = constructed(ev) + escape(text.text)
    if text.notes:
        out += f" <font color='{GREY}'>(and " + ", ".join(f"note {n}" for n in text.notes) + ")</font>"
    if ev.get("notes"):
        out += f"<br/><font color='{GREY}'>{escape('; '.join(map(str, ev['notes'])))}</font>"
    detail = error_cell(ev).detail
    if detail:
        out += f"<br/><font color='{GREY}'>measured: {escape(detail)}</font>"
    return out


def results_table(section, rows, width, per_implementation: bool):
    """One line per group of results that say the same thing (content.result_groups): who, verdict against the
    expectation, examples, error, evidence."""
    head = [h for h in RESULT_COLUMNS if per_implementation or h != "implementation"]
    widths = [RESULT_COLUMNS[h] for h in head]
    head.append("evidence")
    widths.append(width - sum(widths))
    body, style = [[P(h) for h in head]], []
    for i, group in enumerate(result_groups(rows), start=1):
        r = group[0]
        ev, expected = r.evidence, r.claim["expected"]
        said = (f"<br/><font color='{GREY}'>as expected</font>" if ev["verdict"] == expected
                else f"<br/>expected {verdict(expected)}")
        body.append(([P(escape(", ".join(g.implementation for g in group)))] if per_implementation else []) + [
            P(verdict(ev["verdict"]) + said), P(str(ev.get("examples", 0))), P(error_markup(ev)),
            P(evidence_markup(section, r))])
        shade = ROW_COLOURS.get(row_class(r))
        if shade:
            style.append(("BACKGROUND", (0, i), (-1, i), colors.HexColor(shade)))
    return table(body, widths, style=style)


def _array_table(view, width):
    columns = max(1, len(view.cells[0]) if view.cells else 1)
    cell = max(VALUE_CELL_WIDTH, VALUE_NAME_WIDTH / columns)
    shape = " × ".join(map(str, view.shape)) if view.shape else "()"
    head = [P(f"<b>{escape(view.name)}</b> <font color='{GREY}'>shape {escape(shape)}, {escape(view.dtype)}</font>")]
    head += [""] * (columns - 1)
    rows = [head] + [[P(escape(c), "code") for c in row] + [""] * (columns - len(row)) for row in view.cells]
    t = table(rows, [min(cell, width / columns)] * columns, style=[("SPAN", (0, 0), (-1, 0)), ("ALIGN", (0, 1), (-1, -1), "RIGHT")])
    t.hAlign = "LEFT"
    return t


def _side_by_side(tables, width, gap: float = 6) -> list:
    """Small tables in rows across the width (as many as fit, left to right) instead of one under another."""
    rows, current, used = [], [], 0.0
    for t in tables:
        w = t._colWidths and sum(t._colWidths)
        if current and used + gap + w > width:
            rows.append(current)
            current, used = [], 0.0
        current.append((t, w))
        used += w + (gap if len(current) > 1 else 0)
    if current:
        rows.append(current)
    out = []
    for row in rows:
        cells, widths = [], []
        for t, w in row:
            cells += [t, ""]
            widths += [w, gap]
        holder = table([cells[:-1]], widths[:-1], header=False, grid=False, style=[
            ("LEFTPADDING", (0, 0), (-1, -1), 0),
            ("RIGHTPADDING", (0, 0), (-1, -1), 0), ("TOPPADDING", (0, 0), (-1, -1), 0)])
        holder.hAlign = "LEFT"
        out += [holder, Spacer(1, 3)]
    return out


def counterexample(section, row, report, width) -> list:
    """The counterexample (when there is one) as a reader reproduces it: how it came about (what the section's
    shared clauses do not already say), its scalar entries and its arrays as small tables (rounded), every value
    exact beneath; then the reproduction line."""
    ev = row.evidence
    out = []
    if ev.get("counterexample") is not None:
        views = counterexample_view(ev)
        origin = section.evidence_of(row).origin
        who = f" ({escape(row.implementation)})" if row.claim.get("scope") == "implementation" else ""
        out.append(P(f"<b>Counterexample</b>{who} {constructed(ev)}"
                     + (f"<font color='{GREY}'>({escape('; '.join(origin))})</font>" if origin else ""), "body"))
        scalars = [v for v in views if v.kind != "array"]
        if scalars:
            t = table([[P(f"<b>{escape(v.name)}</b>"), P(escape(v.cells[0][0] if v.cells else ""), "code")] for v in scalars],
                      [min(width * 0.3, 160), min(width * 0.7, 420)], header=False)
            t.hAlign = "LEFT"
            out += [t, Spacer(1, 3)]
        arrays = [v for v in views if v.kind == "array"]
        out += _side_by_side([_array_table(v, width) for v in arrays], width)
        out += [P(f"{escape(v.name)}: the first {SHOWN_ROWS} rows and {SHOWN_COLUMNS} columns are shown; every value "
                  "is in the exact values below.", "meta") for v in arrays if v.elided]
        if views:
            out.append(P("Exact values (every float as the shortest text that reads back to the same double): "
                         + "; ".join(f"<font face='Courier'>{escape(v.name)} = {escape(v.exact)}</font>" for v in views),
                         "code"))
    repro = report.reproduction(row)
    line = f"<b>Reproduce:</b> <font face='Courier'>{escape(repro.command)}</font>"
    out.append(P(line, "meta"))
    if repro.python:
        out.append(P(f"<font color='{GREY}'>the counterexample's arrays in Python:</font> {escape(repro.python)}", "code"))
    return out


def claim_results(section, report, rows, width) -> list:
    """The results table, then each counterexample (of a result said alone: content.result_groups merges only
    results without one) with its reproduction line, then one line with the commands for the other results."""
    per_implementation = rows[0].claim.get("scope") == "implementation"
    out = [results_table(section, rows, width, per_implementation), Spacer(1, 2)]
    shown = []
    for group in result_groups(rows):
        if len(group) == 1 and group[0].evidence.get("counterexample") is not None:
            out += counterexample(section, group[0], report, width)
            shown.append(group[0])
    commands = [report.reproduction(r).command for r in rows if not any(r is s for s in shown)]
    if commands:
        out.append(P("<b>Reproduce:</b> " + " · ".join(f"<font face='Courier'>{escape(c)}</font>" for c in commands),
                     "meta"))
    return out


def shared_notes(section, width) -> list:
    """The clauses several results of the section say, once, numbered (a result refers to them by number)."""
    if not section.shared:
        return []
    rows = [[P(f"note {n}"), P(escape(clause))] for n, clause in enumerate(section.shared, start=1)]
    return [P("Said of several results below (once here; a result refers to it by number):", "meta"),
            table(rows, [44, width - 44], header=False), Spacer(1, 4)]


def error_legend(section, width) -> list:
    if not section.error_legend:
        return []
    rows = [[P("the error column"), P("each value says its meaning beneath it; the evidence gives the numbers in full")]]
    rows += [[P(f"<b>{escape(label)}</b>"), P(escape(meaning))] for label, meaning in section.error_legend]
    return [table(rows, [width * 0.2, width * 0.8]), Spacer(1, 4)]

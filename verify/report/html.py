"""The report as one self-contained HTML page (figures embedded as PNG data URIs), from Jinja2 templates.

Escaping is by construction: the environment autoescapes every value in text and in attributes
(templates/page.html.j2, templates/macros.j2); ids and fragments go through ``slug`` and are escaped as well;
a link is written only for an http(s) address; a formula's MathML is rebuilt element by element from
verify.report.math's parse, MathML elements and presentation attributes only, its text escaped. The page
carries a Content-Security-Policy that allows no script and no remote resource.
"""

from __future__ import annotations

import base64
import json
import re
import xml.etree.ElementTree as ET
from urllib.parse import urlsplit

from jinja2 import Environment, PackageLoader
from markupsafe import Markup, escape

from .content import (CAPABILITY_LABELS, SHOWN_COLUMNS, SHOWN_ROWS, Report, capability_keys, counterexample_view,
                      environment_rows, kernel_under_test, readable, search_rows,
                      error_cell, glossary, glossary_anchor, glossary_terms, is_constructed, partial_notice,
                      result_anchor, result_groups, row_class, slug, verdict_legend, verdict_line)
from .figures import png_or_reason
from .math import _MATHML_NS, FormulaError, to_mathml

# The verdict columns of the summary table, in order.
SUMMARY_VERDICTS = ("holds", "refuted", "holds-under", "unconfirmed", "inconclusive")

# The MathML attributes a typeset formula may keep (presentation only: nothing that loads, links or runs).
MATHML_ATTRIBUTES = frozenset({
    "display", "displaystyle", "scriptlevel", "mathvariant", "mathsize", "mathcolor", "mathbackground", "dir",
    "fence", "separator", "stretchy", "symmetric", "largeop", "movablelimits", "accent", "accentunder", "lspace",
    "rspace", "minsize", "maxsize", "form", "linethickness", "columnalign", "rowalign", "columnspacing",
    "rowspacing", "columnlines", "rowlines", "frame", "framespacing", "equalrows", "equalcolumns", "width",
    "height", "depth", "voffset", "notation", "open", "close", "separators", "columnspan", "rowspan", "encoding",
})


# The MathML elements a typeset formula may hold (MathML Core and the presentation elements latex2mathml
# writes). An element in the MathML namespace is not enough: latex2mathml copies markup in \text{...} through
# as elements, which inherit the namespace (``\text{<script>...</script>}`` gives a MathML-namespaced script).
MATHML_ELEMENTS = frozenset({
    "math", "mi", "mn", "mo", "ms", "mtext", "mspace", "mrow", "mfrac", "msqrt", "mroot", "mstyle", "merror",
    "mpadded", "mphantom", "menclose", "msub", "msup", "msubsup", "munder", "mover", "munderover",
    "mmultiscripts", "mprescripts", "none", "mtable", "mtr", "mtd", "mlabeledtr", "semantics", "annotation",
    "mfenced",
})


def _mathml_markup(element) -> str:
    """``element`` (an ElementTree MathML element) written again as HTML: MATHML_ELEMENTS only (FormulaError
    for any other), allowed attributes only, every text and attribute value escaped."""
    namespace, _, tag = element.tag.rpartition("}")
    if namespace != "{" + _MATHML_NS or tag not in MATHML_ELEMENTS:
        raise FormulaError(f"the MathML holds an element <{tag}> that is not typesetting")
    attrs = "".join(f' {name}="{escape(value)}"' for name, value in sorted(element.attrib.items())
                    if name in MATHML_ATTRIBUTES)
    inner = str(escape(element.text or "")) + "".join(
        _mathml_markup(child) + str(escape(child.tail or "")) for child in element)
    return f"<{tag}{attrs}>{inner}</{tag}>"


def mathml(latex) -> Markup:
    """A claim's LaTeX formula as inline MathML; the LaTeX itself (escaped, as code) when it cannot be typeset."""
    try:
        root = ET.fromstring(to_mathml(str(latex)))
        if root.tag != f"{{{_MATHML_NS}}}math":
            raise FormulaError("the MathML is not one <math> element")
        markup = _mathml_markup(root)
    except (FormulaError, ET.ParseError) as exc:
        return Markup('<code class="latex" title="{}">{}</code>').format(str(exc), str(latex))
    return Markup(markup.replace("<math", f'<math xmlns="{_MATHML_NS}"', 1))


def safe_url(url) -> str:
    """``url`` when it is an absolute http(s) address, else '' (no ``javascript:``, no ``data:``, no relative)."""
    text = str(url or "")
    parts = urlsplit(text)
    return text if parts.scheme in ("http", "https") and parts.netloc else ""


def breakable(text) -> Markup:
    """``text`` escaped, with a line-break opportunity (<wbr>) after each '.' and '_': a long claim id wraps
    at its parts (li2020.break.<wbr>label_smoothing), not in the middle of a word."""
    return Markup("<wbr>").join(escape(part) for part in re.split(r"(?<=[._])", str(text)))


def plain(value) -> str:
    """A value as plain text: strings as they are, anything else as compact JSON."""
    return value if isinstance(value, str) else json.dumps(value, separators=(", ", ": "))


def figure_png(spec) -> tuple[str, str]:
    """(a data URI of the figure's PNG, '') or ('', why it could not be drawn)."""
    png, reason = png_or_reason(spec)
    return ("data:image/png;base64," + base64.b64encode(png).decode("ascii"), "") if png else ("", reason)


def environment() -> Environment:
    env = Environment(loader=PackageLoader("verify.report", "templates"), autoescape=True,
                      keep_trailing_newline=True)
    env.filters.update(slug=slug, mathml=mathml, safe_url=safe_url, plain=plain, breakable=breakable)
    env.globals.update(
        error_cell_of=error_cell, counterexample_view=counterexample_view, is_constructed=is_constructed,
        row_class=row_class, verdict_line=verdict_line,
        result_groups=result_groups, result_anchor=result_anchor, figure_png=figure_png,
        glossary_anchor=glossary_anchor, shown_rows=SHOWN_ROWS, shown_columns=SHOWN_COLUMNS,
        summary_verdicts=SUMMARY_VERDICTS, environment_rows=environment_rows, search_rows=search_rows,
        capability_keys=capability_keys, capability_labels=CAPABILITY_LABELS, readable=readable,
        kernel_under_test=kernel_under_test,
    )
    return env


_ENVIRONMENT = None


def render(report: Report, bench_figures=(), bench_tables=()) -> str:
    global _ENVIRONMENT
    if _ENVIRONMENT is None:
        _ENVIRONMENT = environment()
    results = report.results
    totals = {k: results.get("summary", {}).get(k, 0)
              for k in ("matched", "total", "mismatched", "inconclusive", "robustness", "skipped")}
    return _ENVIRONMENT.get_template("page.html.j2").render(
        report=report, results=results, totals=totals, partial_notice=partial_notice(results),
        verdict_legend=verdict_legend(results), glossary=glossary(), glossary_terms=glossary_terms(),
        bench_figures=list(bench_figures), bench_tables=list(bench_tables),
    )

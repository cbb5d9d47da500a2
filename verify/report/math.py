"""Typeset a claim's LaTeX formula offline: MathML for the HTML report, a PNG for the PDF.

MathML comes from latex2mathml (a maintained LaTeX-to-MathML converter; every current browser renders MathML
Core, so the page needs no script and no remote font). The PDF image comes from matplotlib's mathtext, which
is already a dependency and typesets the TeX subset our formulas use without a TeX installation.
"""

from __future__ import annotations

import functools
import io
import re
import xml.etree.ElementTree as ET

_MATHML_NS = "http://www.w3.org/1998/Math/MathML"
_COMMAND = re.compile(r"\\[A-Za-z]+")


class FormulaError(ValueError):
    """A formula that cannot be typeset; the message names the formula."""


@functools.lru_cache(maxsize=None)
def to_mathml(latex: str, display: str = "block") -> str:
    """``latex`` as one ``<math>`` element (a string of well-formed XML holding MathML elements only)."""
    from latex2mathml.converter import convert

    if "\\begin{" in latex:  # latex2mathml drops an environment it does not know, mathtext takes none
        raise FormulaError(f"formula {latex!r}: environments (\\begin ... \\end) are outside the subset both "
                           "typesetters take")
    try:
        markup = convert(latex, display=display)
    except Exception as exc:  # latex2mathml raises its own exception types for bad input
        raise FormulaError(f"formula {latex!r}: latex2mathml cannot convert it ({type(exc).__name__}: {exc})") from exc
    try:
        root = ET.fromstring(markup)
    except ET.ParseError as exc:
        raise FormulaError(f"formula {latex!r}: the MathML is not well-formed XML ({exc})") from exc
    for element in root.iter():
        if not element.tag.startswith("{" + _MATHML_NS + "}"):
            raise FormulaError(f"formula {latex!r}: the MathML holds a non-MathML element <{element.tag}>")
        # latex2mathml passes a command it does not know through as text (\foo -> <mi>\foo</mi>)
        unknown = _COMMAND.search(element.text or "")
        if unknown:
            raise FormulaError(f"formula {latex!r}: latex2mathml does not know the command {unknown.group(0)}")
    return markup


@functools.lru_cache(maxsize=None)
def formula_png(latex: str, dpi: int = 200, fontsize: float = 11.0) -> bytes:
    """``latex`` typeset by matplotlib's mathtext, as PNG bytes (tight box, transparent background)."""
    from matplotlib.figure import Figure
    from matplotlib.font_manager import FontProperties
    from matplotlib.mathtext import MathTextParser

    text, font = f"${latex}$", FontProperties(size=fontsize)
    try:
        # mathtext measures the formula itself, so the figure is cut to its box without savefig's
        # bbox_inches="tight" (which draws the figure twice; parse errors are ValueErrors either way)
        width, height, depth, _, _ = MathTextParser("path").parse(text, dpi=72, prop=font)
        pad = 0.02 * 72  # points around the box, as pad_inches=0.02
        figure = Figure(figsize=((width + 2 * pad) / 72, (height + 2 * pad) / 72))
        figure.text(pad / (width + 2 * pad), (depth + pad) / (height + 2 * pad), text, fontproperties=font)
        buffer = io.BytesIO()
        figure.savefig(buffer, format="png", dpi=dpi, transparent=True)
    except ValueError as exc:
        raise FormulaError(f"formula {latex!r}: matplotlib mathtext cannot typeset it ({exc})") from exc
    return buffer.getvalue()

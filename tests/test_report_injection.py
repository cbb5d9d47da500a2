"""A results file with markup in every string field renders inert: the page holds exactly the elements and
attributes the templates write (html.parser), and in headless Chromium no payload runs.

Results files travel (``report --from`` a colleague's file, a CI artifact) and implementation names come from
user plug-ins, so every field is untrusted: claim id, title, statement, source fields, implementation name,
profile, environment (CPU name), counts, evidence, counterexample keys and values, figure titles.
"""

from __future__ import annotations

import copy
from html.parser import HTMLParser

import impls
import pytest

from tests import report_browser as browser
from verify.catalog import all_claims
from verify.harness import results as results_doc
from verify.harness.claims import ClaimResult, Evidence
from verify.report import content, html

# If any of these ran, the page's title and the body's data-m attribute would read "pwned"; the word is split
# in the payload so that the escaped text itself never reads like a run payload.
SET_MARKER = "document.title='p'+'wned';document.body.setAttribute('data-m','p'+'wned')"
MARKERS = ("<title>pwned</title>", 'data-m="pwned"')
PAYLOAD = (f"<script>{SET_MARKER}</script>\"'><img src=x onerror=\"{SET_MARKER}\">"
           f"<svg onload=\"{SET_MARKER}\"></svg>'><a href=\"javascript:{SET_MARKER}\">x</a>"
           f"</style></title></textarea><iframe srcdoc=\"<script>{SET_MARKER}</script>\"></iframe>{{{{7*7}}}}")
URL_PAYLOAD = f"javascript:{SET_MARKER}//\"'><script>{SET_MARKER}</script>"
# Two formulas: well-formed markup in \text{...} (latex2mathml copies it through as elements, in the MathML
# namespace), and markup as symbols.
LATEX_PAYLOADS = (f"\\text{{<script>{SET_MARKER}</script>}}",
                  f"\\mathrm{{x}}^{{<script>{SET_MARKER}</script>}} + {PAYLOAD}")
# Fields whose type the document fixes (a boolean, a figure's numbers): markup there is not a string field.
NOT_STRINGS = {"matches", "found_by_search", "reconstructed", "partial", "math_claims"}


def _base_document() -> dict:
    """A real results document: a math claim, an implementation claim of two implementations, and a
    counterexample with arrays, numbers and text, a figure, notes, and a partial selection."""
    claims = {c.id: c for c in all_claims()}
    figure = {"title": "a figure", "xlabel": "k", "ylabel": "loss",
              "series": [{"label": "run", "x": [1, 2, 3], "y": [1.0, 0.5, 0.25]}]}
    cx = {"X": [[1.0, 2.0], [3.0, 4.0]], "Y": [[1.0, 0.0], [0.0, 1.0]], "note": "text", "scale": 1e-3}
    results = [
        ClaimResult(claims["rychlik.P1-1"], "numpy", Evidence(
            verdict="refuted", summary="first clause; shared clause", examples=3, worst_error=2.0, tolerance=1.0,
            quantity="grad error", counterexample=cx, found_by_search=True,
            high_precision={"method": "mpmath", "confirmed": True, "finding": "a finding"},
            figures=[figure], notes=["a note"], measurements={"checks": {"a check": True}})),
        ClaimResult(claims["impl.gradient"], "numpy", Evidence(
            verdict="holds", summary="what was checked; shared clause", examples=40, worst_error=0.0,
            tolerance=0.0, quantity="arguments written")),
        ClaimResult(claims["impl.gradient"], "loops", Evidence(
            verdict="refuted", summary="what was checked; another clause", examples=40, worst_error=-1.0,
            tolerance=1e-12, quantity="margin", counterexample={"W": [[0.5]], "text key": "value"},
            found_by_search=False, construction="built")),
    ]
    doc = results_doc.build(results, [impls.get("numpy"), impls.get("loops")], "ci",
                            results_doc.selection(["rychlik.P1-1", "impl.gradient"], math_claims=True))
    for item in doc["results"]:  # every source field present, as math15's records fill them in
        item["claim"]["source"].update(title="t", authors=["a", "b"], year=2020, venue="v", arxiv="1234.56789",
                                       url="https://arxiv.org/abs/1234.56789")
        item["claim"]["formula"] = r"\nabla L = X^T (P - T) / N"
        item["claim"]["missing_hypothesis"] = "h"
    return doc


# Dicts whose keys are data (shown as names), not the document's structure: their keys are filled too.
DATA_DICTS = {"counterexample", "environment", "capabilities", "hypothesis"}


def _fill(value, word: str, key: str = ""):
    """``value`` with every string, every count and every key of a DATA_DICTS dict replaced by ``word``
    (a key gets its position after it, to stay unique); booleans, floats (measured numbers) and None kept."""
    if isinstance(value, dict):
        return {(f"{word}{i}" if key in DATA_DICTS else k): (v if k in NOT_STRINGS else _fill(v, word, k))
                for i, (k, v) in enumerate(value.items())}
    if isinstance(value, list):
        return value if key in ("x", "y") else [_fill(v, word, key) for v in value]
    if isinstance(value, (bool, float)) or value is None:
        return value
    if key == "url":
        return URL_PAYLOAD if word == PAYLOAD else word
    return word  # strings and counts (ints)


class Structure(HTMLParser):
    """Every start tag with its attribute names, in order; a formula's subtree (``<div class="formula">``:
    MathML, or the LaTeX as code where it cannot be typeset) apart, since its elements depend on the formula;
    the text. (The formula div holds no div, so the first closing div closes it.)"""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.elements, self.math_tags, self.attrs, self.text, self._math = [], set(), [], [], 0

    def handle_starttag(self, tag, attrs):
        if tag == "math" or (tag == "div" and ("class", "formula") in attrs):
            self._math += 1
        if self._math:
            self.math_tags.add(tag)
            self.attrs += [(tag, name, value) for name, value in attrs]
        elif tag != "wbr":  # a line-break opportunity after each '.' and '_' of an id: as many as the id has
            self.elements.append((tag, tuple(sorted(name for name, _ in attrs))))
            self.attrs += [(tag, name, value) for name, value in attrs]

    def handle_endtag(self, tag):
        if tag in ("math", "div") and self._math:
            self._math -= 1

    def handle_data(self, data):
        self.text.append(data)


def _parse(page: str) -> Structure:
    parser = Structure()
    parser.feed(page)
    parser.close()
    return parser


@pytest.fixture(scope="module")
def pages():
    """(the page of the markup-filled document, the page of the same document filled with plain words)."""
    base = _base_document()
    hostile, plain = _fill(copy.deepcopy(base), PAYLOAD), _fill(copy.deepcopy(base), "plain words")
    for doc, word in ((hostile, PAYLOAD), (plain, "plain words")):
        for item, which in zip(doc["results"], (0, 1, 1)):  # two claims, the second of two implementations
            item["claim"]["id"] = f"{word}.{which}"
            item["claim"]["formula"] = LATEX_PAYLOADS[which] if doc is hostile else ("\\frac{", "x^2")[which]
    return html.render(content.build(hostile)), html.render(content.build(plain))


def test_every_string_field_of_the_document_is_filled():
    """The fill leaves no string of the document untouched (else the test would not test that field)."""
    hostile = _fill(_base_document(), PAYLOAD)
    strings = []

    def walk(v, key=""):
        if isinstance(v, dict):
            for k, x in v.items():
                if key in DATA_DICTS:
                    strings.append(k[:len(PAYLOAD)] if k[len(PAYLOAD):].isdigit() else k)
                walk(x, k)
        elif isinstance(v, list):
            for x in v:
                walk(x, key)
        elif isinstance(v, str):
            strings.append(v)

    walk(hostile)
    assert strings and all(s in (PAYLOAD, URL_PAYLOAD) for s in strings), \
        sorted({s for s in strings if s not in (PAYLOAD, URL_PAYLOAD)})


def test_the_page_holds_exactly_the_elements_and_attributes_the_templates_write(pages):
    hostile, plain = (_parse(p) for p in pages)
    assert hostile.elements == plain.elements  # markup in the data added, removed or changed no element
    tags = {tag for tag, _ in hostile.elements} | hostile.math_tags
    assert not tags & {"script", "iframe", "svg", "object", "embed", "link", "base", "form", "textarea"}
    assert hostile.math_tags <= html_mathml_tags() | {"div", "code"}
    assert "math" in hostile.math_tags and "code" in hostile.math_tags  # one formula typeset, one shown as LaTeX
    for tag, name, value in hostile.attrs:
        assert not name.startswith("on"), (tag, name, value)
        if name == "href":
            assert value.startswith("#") or value.startswith("https://") or value.startswith("http://"), value
            assert "javascript" not in value.lower(), value
        if name == "src":
            assert value.startswith("data:image/png;base64,"), value
        if name == "id":
            assert all(c.isalnum() or c in "._-" for c in value), value
    text = "".join(hostile.text)
    assert PAYLOAD in text  # shown to the reader as text, whole


def html_mathml_tags() -> set:
    """The MathML element names (Core and the presentation elements latex2mathml writes)."""
    return {"math", "mi", "mn", "mo", "ms", "mtext", "mspace", "mrow", "mfrac", "msqrt", "mroot", "mstyle",
            "merror", "mpadded", "mphantom", "menclose", "msub", "msup", "msubsup", "munder", "mover",
            "munderover", "mmultiscripts", "mprescripts", "none", "mtable", "mtr", "mtd", "mlabeledtr",
            "semantics", "annotation", "annotation-xml", "mfenced"}


def test_no_payload_runs_in_headless_chromium(pages, tmp_path):
    """Loaded in Chromium, as served and with its Content-Security-Policy removed (so that escaping alone is
    tested), the page's DOM after loading carries no marker; a control page whose payload is live does."""
    hostile, _ = pages
    control = tmp_path / "control.html"
    control.write_text(f"<!DOCTYPE html><html><head><title>t</title></head><body>"
                       f"<img src=x onerror=\"{SET_MARKER}\"></body></html>", encoding="utf-8")
    assert all(m in browser.dump_dom(control) for m in MARKERS)  # the detector sees a payload that runs
    for name, page in (("as-served.html", hostile), ("no-csp.html", browser.without_csp(hostile))):
        path = tmp_path / name
        path.write_text(page, encoding="utf-8")
        dom = browser.dump_dom(path)
        assert not [m for m in MARKERS if m in dom], name
        assert "<script" not in dom and "<iframe" not in dom and "<svg" not in dom, name

"""The HTML page as a reader meets it: provenance, formulas, readable evidence, the error column's meaning,
figures beside their claims, nothing remote, and no table wider than a 1400 px window (headless Chromium).

Built from a small synthetic results document of real claims (their declared sources and places), not from a
run of the report.
"""

from __future__ import annotations

import re
import sys
import types
from html.parser import HTMLParser

import impls
import numpy as np
import pytest

from tests import report_browser as browser
from verify.catalog import all_claims
from verify.harness import results as results_doc
from verify.harness.claims import ClaimResult, Evidence
from verify.harness.evidence import P_VALUE, declared_measure, problem_to_dict
from verify.report import content, html

FIGURE = {"title": "loss along the run", "xlabel": "iteration k", "ylabel": "loss",
          "series": [{"label": "run", "x": [1, 10, 100], "y": [1.0, 0.1, 0.01]}]}
SHARED = "confirmed with the same re-check in mpmath (50 digits)"
# 268 characters without a space: the cell that pushed the li2020 table off the page (issue 15).
UNBROKEN = "x" * 268
FORMULA = r"\frac{1 - \bar p_1}{\bar p_0} = \frac{\alpha_0 N_0}{\alpha_1 N_1}"


class Problem:
    """A drawn problem as the searches hold one: float32 arrays (problem_to_dict records their dtype)."""

    X = np.array([[1 / 3, 2.0, -1e-7], [4.5, 1e6, 0.0]], dtype=np.float32)
    W = np.arange(12, dtype=np.float32).reshape(3, 4) / 7
    Y = np.eye(2, 4, dtype=np.float32)


def _document() -> dict:
    claims = {c.id: c for c in all_claims()}
    refuted = Evidence(verdict="refuted", summary=f"pbar determined by weights; violated: gap 0.9 > 0.01; {SHARED}",
                       examples=12, worst_error=0.9, tolerance=0.01, quantity="relative gap of pbar",
                       counterexample=problem_to_dict(Problem), found_by_search=True,
                       high_precision={"method": "mpmath 50 digits", "confirmed": True}, figures=[dict(FIGURE)])
    wide = Evidence(verdict="refuted", summary=f"averaging effect {UNBROKEN}; {SHARED}", examples=13,
                    worst_error=2.1, tolerance=2.0, quantity="max / pooled",
                    counterexample={"dataset": "digits", "a long key " * 6: list(np.linspace(0, 1, 40)),
                                    "note": "a sentence that is long " * 12},
                    found_by_search=False, construction="every example violates")
    inconclusive = Evidence(verdict="inconclusive", summary="no difference at level 0.05", examples=80,
                            worst_error=1.0, tolerance=0.05, quantity="smallest Holm-adjusted p-value",
                            measurements=declared_measure(P_VALUE))
    margin = Evidence(verdict="holds", summary="D1 bound: no violation in 40 examples", examples=40,
                      worst_error=-0.0586, tolerance=7e-15, quantity="D1 bound ratio - 1")
    results = [
        ClaimResult(claims["li2020.G2"], "numpy", refuted),
        ClaimResult(claims["li2020.G3"], "numpy", wide),
        ClaimResult(claims["li2020.B5"], "numpy", inconclusive),
        ClaimResult(claims["gopalani2023.D1"], "numpy", margin),
    ] + [
        ClaimResult(claims["impl.inputs_unchanged"], name, Evidence(
            verdict="holds", summary="every method leaves its arguments unchanged: no violation in 40 examples",
            examples=40, worst_error=0.0, tolerance=0.0, quantity="arguments written"))
        for name in ("loops", "numpy", "sympy")
    ]
    doc = results_doc.build(results, [impls.get(n) for n in ("loops", "numpy", "sympy")], "ci")
    doc["results"][0]["claim"]["formula"] = FORMULA
    doc["results"][1]["claim"]["formula"] = ""  # a claim without a formula (the field is optional)
    return doc


@pytest.fixture(scope="module")
def doc():
    return _document()


@pytest.fixture(scope="module")
def page(doc):
    return html.render(content.build(doc))


class Tree(HTMLParser):
    """Elements with their attributes, the enclosing element ids of each, and the text inside each id."""

    VOID = {"br", "img", "meta", "col", "hr", "input", "link"}

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.stack, self.elements, self.text_in = [], [], {}

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        ids = [a.get("id") for _, a in self.stack if a.get("id")]
        self.elements.append((tag, attrs, ids))
        if tag not in self.VOID:
            self.stack.append((tag, attrs))

    def handle_endtag(self, tag):
        while self.stack:
            if self.stack.pop()[0] == tag:
                break

    def handle_data(self, data):
        for _, a in self.stack:
            if a.get("id"):
                self.text_in.setdefault(a["id"], []).append(data)

    def text(self, element_id) -> str:
        return " ".join(" ".join(self.text_in.get(element_id, [])).split())

    def inside(self, element_id):
        return [(tag, attrs) for tag, attrs, ids in self.elements if element_id in ids]


@pytest.fixture(scope="module")
def tree(page):
    parsed = Tree()
    parsed.feed(page)
    parsed.close()
    return parsed


def test_each_source_section_opens_with_its_bibliographic_record(tree):
    li = tree.text("li2020")
    record = "On the Learning Property of Logistic and Softmax Losses for Deep Neural Networks"
    assert li.index(record) < li.index("li2020.G2")  # before the first claim
    for part in ("Xiangrui Li, Xin Li, Deng Pan, Dongxiao Zhu (2020)", "AAAI", "arXiv: 2003.02309"):
        assert part in li, part
    links = [a.get("href") for tag, a in tree.inside("li2020") if tag == "a"]
    assert "https://arxiv.org/abs/2003.02309" in links


def test_each_claim_shows_its_place_in_the_source_and_its_formula_as_mathml(tree, doc):
    for item in doc["results"]:
        where = item["claim"]["source"]["where"]
        assert where and " ".join(where.split()) in tree.text(item["claim"]["id"]), item["claim"]["id"]
    tags = [tag for tag, _ in tree.inside("li2020.G2")]
    assert "math" in tags and "mfrac" in tags  # the formula, typeset inline
    assert "math" not in [tag for tag, _ in tree.inside("li2020.G3")]  # no formula given, none shown


def test_a_counterexample_is_a_table_with_shape_dtype_rounded_and_exact_values(tree):
    g2 = tree.text("li2020.G2")
    assert "X shape 2 × 3, float32" in g2 and "W shape 3 × 4, float32" in g2
    assert "0.3333" in g2 and "1e+06" in g2  # rounded to 4 significant digits for reading
    exact = float(np.float32(1 / 3))  # the float32 value, exactly, as the double it widens to
    assert repr(exact) in g2  # in the exact values
    assert "tags" not in g2 and "dtypes" not in g2 and "shape (N, D, K)" not in g2  # internal keys dropped
    g3 = tree.text("li2020.G3")
    assert ("a sentence that is long " * 12).strip() in g3  # text whole, never cut
    assert "the first 8 rows and 8 columns are shown" in g3 and "constructed counterexample" in g3


def test_the_reproduction_line_and_the_python_line_give_the_counterexample_back(tree):
    g2 = tree.text("li2020.G2")
    assert "lossproof check --claim li2020.G2" in g2
    line = re.search(r"(import numpy as np; .*?\))(?= |$)", g2).group(1)
    built = {}
    exec(line, built)  # the reader's one-liner, as the page prints it
    for name in ("X", "W", "Y"):
        expected = getattr(Problem, name)
        assert built[name].dtype == expected.dtype and np.array_equal(built[name], expected), name
    impl = tree.text("impl.inputs_unchanged")
    for name in ("loops", "numpy", "sympy"):  # an implementation claim names the implementation
        assert f"lossproof check --claim impl.inputs_unchanged --impl {name}" in impl


def test_a_clause_several_rows_say_is_said_once_in_the_section(page, tree):
    text = " ".join(tree.text("li2020").split())
    assert text.count(SHARED) == 1
    notes = [a.get("href") for tag, a in tree.inside("li2020.G2") + tree.inside("li2020.G3") if tag == "a"]
    assert notes.count("#note-li2020-1") == 2


def test_three_implementations_that_hold_alike_are_said_once(tree):
    text = tree.text("impl.inputs_unchanged")
    assert "loops, numpy, sympy" in text and text.count("no violation in 40 examples") == 1


def test_the_error_column_says_its_meaning_and_the_legend_explains_each(tree):
    li, impl = tree.text("li2020"), tree.text("impl")
    assert "worst error / tolerance" in li and "p-value (level beside it)" in li
    assert "90" in tree.text("row-li2020.G2")  # 0.9 / 0.01
    assert "p-value (level beside it)" in tree.text("row-li2020.B5") and "1" in tree.text("row-li2020.B5")
    assert "margin of the inequality" in tree.text("row-gopalani2023.D1") and "-0.0586" in tree.text("row-gopalani2023.D1")
    assert "measured value (tolerance 0)" in impl
    for label, meaning in content.ERROR_MEASURES.values():
        if label in li:
            assert meaning.split(";")[0] in li  # the legend of the section says what it means
    assert "0.00e+00" not in impl and "7.00e-15" not in tree.text("row-gopalani2023.D1")


def test_figures_stand_beside_their_claim_and_its_row_links_to_them(tree, page):
    figures = [(a.get("id"), ids) for tag, a, ids in tree.elements if tag == "figure"]
    assert figures and all("li2020.G2" in ids for _, ids in figures)  # inside the claim's article
    row_links = [a.get("href") for tag, a in tree.inside("row-li2020.G2") if tag == "a"]
    assert f"#{figures[0][0]}" in row_links


def test_the_page_needs_nothing_remote(tree, page):
    for tag, attrs, _ in tree.elements:
        assert tag not in ("script", "link", "iframe", "object", "embed"), tag
        if "src" in attrs:
            assert attrs["src"].startswith("data:image/png;base64,"), attrs["src"][:60]
        if tag != "a" and "href" in attrs:
            pytest.fail(f"<{tag} href={attrs['href']}>")
    style = re.search(r"<style>(.*?)</style>", page, re.S).group(1)
    assert "url(" not in style and "@import" not in style and "@font-face" not in style
    assert "default-src 'none'" in page  # and the policy tells the browser so


def test_verdict_words_link_to_the_glossary_when_it_exists(doc, monkeypatch):
    module = types.ModuleType("verify.report.glossary")
    module.GLOSSARY = (("refuted", "a counterexample was found"), ("holds-under", "true once a hypothesis is added"),
                       ("reconstructed statement", "the precise form, derived by us"))
    monkeypatch.setitem(sys.modules, "verify.report.glossary", module)
    page = html.render(content.build(doc))
    assert '<dt id="glossary-refuted">refuted</dt>' in page
    assert 'href="#glossary-refuted">refuted</a>' in page
    anchor = content.glossary_anchor("reconstructed statement")  # our own words link to their explanation too
    assert f'<dt id="{anchor}">' in page and f'href="#{anchor}">reconstructed statement</a>' in page
    monkeypatch.setitem(sys.modules, "verify.report.glossary", None)  # the module absent: no section, no link
    page = html.render(content.build(doc))
    assert 'id="glossary"' not in page and "#glossary-" not in page


def test_no_table_is_wider_than_a_1400_px_window(page, tmp_path):
    """In headless Chromium at 1400 x 1000: the page's scrollWidth is within the window; a screenshot is kept
    under pytest's tmp dir. A control page 3000 px wide measures wider (the probe can fail)."""
    path = tmp_path / "index.html"
    path.write_text(page, encoding="utf-8")
    wide = tmp_path / "wide.html"
    wide.write_text("<!DOCTYPE html><html><body><table><tr><td style='white-space:nowrap'>"
                    + "word " * 600 + "</td></tr></table></body></html>", encoding="utf-8")
    assert browser.scroll_width(wide, tmp_path) > browser.VIEWPORT[0]
    assert browser.scroll_width(path, tmp_path) <= browser.VIEWPORT[0]
    shot = browser.screenshot(path, tmp_path / "report-1400.png")
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_a_figure_that_cannot_be_drawn_costs_its_picture_not_the_report(doc):
    broken = {**doc, "results": [dict(doc["results"][0])]}
    broken["results"][0]["evidence"] = {**broken["results"][0]["evidence"],
                                        "figures": [{"title": "bad", "hlines": [{"y": "not a number"}]}]}
    page = html.render(content.build(broken))
    assert "the figure could not be drawn (ValueError" in page and "Figure 1. li2020.G2: bad" in page


def test_without_chromium_the_browser_tests_skip_or_under_require_fail(monkeypatch):
    monkeypatch.setattr(browser.shutil, "which", lambda name: None)
    monkeypatch.delenv("LOSSPROOF_REQUIRE_CHROMIUM", raising=False)
    with pytest.raises(pytest.skip.Exception, match="apt-get install -y chromium"):
        browser.chromium()
    monkeypatch.setenv("LOSSPROOF_REQUIRE_CHROMIUM", "1")
    with pytest.raises(pytest.fail.Exception, match="LOSSPROOF_REQUIRE_CHROMIUM=1 requires it"):
        browser.chromium()

"""What a reader sees of each claim: a typeset formula, its place in the source, the source's bibliographic record,
no words of our own that the glossary does not explain.

Every formula is converted once by each typesetter (latex2mathml for the HTML, matplotlib mathtext for the PDF);
the whole module takes a few seconds."""

import re

import pytest

import verify.catalog as catalog
from verify.catalog.sources import SEEDS
from verify.harness.claims import VERDICTS
from verify.report import content
from verify.report.glossary import GLOSSARY, explained_terms
from verify.report.math import FormulaError, formula_png, to_mathml

CLAIMS = sorted(catalog.all_claims(), key=lambda c: c.id)

# Words of our own that must not reach a reader: the seed files, the catalogs' internal labels (formula numbers
# F7, flags G1, section B.6, evidence tags [D]), our design documents, and abbreviations the reader cannot resolve.
# A claim is named by its full id (rychlik.P2-2), never by a bare catalog label.
INTERNAL_WORDS = {
    "seed file": re.compile(r"\bseeds?\b", re.I),
    "snippet": re.compile(r"\bsnippets?\b", re.I),
    "catalog": re.compile(r"\bcatalogu?e?s?'?s?\b", re.I),
    "design document": re.compile(r"DESIGN\.md|ARCHITECTURE\.md|\bStandards:", re.I),
    "'reconstructed form' (the glossary's term is 'reconstructed statement')": re.compile(
        r"reconstructed form|form reconstructed|form,? reconstructed|rebuilt", re.I),
    "'retrieved' (say 'not located in the source text we hold')": re.compile(r"\bretrieved\b", re.I),
    "evidence tag such as [D] or [3P]": re.compile(r"(?<!\w)\[(?:[A-Z0-9]{1,3}|abs|REC|TXT)\]"),
    "catalog section such as B.6": re.compile(r"\b[ABCV]\.\d"),
    "flag": re.compile(r"\bflag(?:ged)?\b", re.I),
    "bare catalog label such as F7 or D2 (name a claim by its full id)": re.compile(
        r"(?<![\w.])(?:[ACDFGPS]|V-A)\d+(?:-\d+)?(?![\w(])"),
    "unexplained citation key such as LSZ23": re.compile(r"\b[A-Z]{2,4}\d{2}\b"),
}
# Symbols that look like labels but are the mathematics: gopalani2023's bounds B1 = sup|sigma'|, B2 = sup|sigma''|.
MATH_SYMBOLS = {"B1", "B2"}


def reader_fields(claim):
    yield "title", claim.title
    yield "where", claim.source.where
    yield "statement", claim.statement
    for i, hypothesis in enumerate(claim.hypotheses):
        yield f"hypotheses[{i}]", hypothesis
    yield "missing_hypothesis", claim.missing_hypothesis


def internal_words(text):
    """The (rule, matched text) pairs of INTERNAL_WORDS found in ``text``."""
    found = []
    for rule, pattern in INTERNAL_WORDS.items():
        found += [(rule, m.group(0)) for m in pattern.finditer(text) if m.group(0) not in MATH_SYMBOLS]
    return found


def test_the_internal_word_rules_catch_what_they_are_for():
    for text in ("seed 002 snippet: 'convex'", "(catalog F16)", "precise form reconstructed, F4", "DESIGN.md: L(W)",
                 "flag G1; B.6 breakers", "abstract [P]; family form [F]", "recalled from LSZ23", "as in D2",
                 "exact form not retrieved"):
        assert internal_words(text), text
    for text in ("abstract: 'the key equation expressing the gradient'", "claim rychlik.P2-2", "B1 B_x (1 + s)",
                 "W1 in R^{D x H}", "F(x) = 0", "H[V] = X^T S V", "section 1, 'Notation and definitions'"):
        assert not internal_words(text), (text, internal_words(text))


@pytest.mark.parametrize("claim", CLAIMS, ids=lambda c: c.id)
def test_no_internal_word_reaches_a_reader(claim):
    found = [(name, rule, match) for name, text in reader_fields(claim) for rule, match in internal_words(text)]
    assert not found, found


def test_every_claim_says_where_in_its_source_it_is():
    assert [c.id for c in CLAIMS if not c.source.where.strip()] == []


def test_every_claim_has_a_formula_that_both_typesetters_accept():
    """to_mathml and formula_png for every formula in one test (each is cached, matplotlib is imported once)."""
    missing = [c.id for c in CLAIMS if not c.formula.strip()]
    assert missing == []
    failures = {}
    for claim in CLAIMS:
        try:
            assert "<math" in to_mathml(claim.formula)
            assert formula_png(claim.formula).startswith(b"\x89PNG")
        except FormulaError as exc:
            failures[claim.id] = str(exc)
    assert failures == {}


@pytest.mark.parametrize("latex, typesetter", [
    (r"\begin{foo} a \end{foo}", to_mathml),  # an environment it does not know
    (r"\begin{matrix} a \end{matrix}", formula_png),  # mathtext takes no environment at all
    (r"x^", to_mathml),  # a superscript without its argument
    (r"\foo x", to_mathml),  # a command latex2mathml does not know (it would pass it through as text)
    (r"\tfrac{1}{2}", formula_png),  # a command mathtext does not know
    (r"{a", formula_png),  # an unbalanced brace, which latex2mathml accepts
])
def test_a_formula_a_typesetter_cannot_take_is_an_error_that_names_it(latex, typesetter):
    with pytest.raises(FormulaError, match=re.escape(repr(latex))):
        typesetter(latex)


@pytest.mark.parametrize("key", sorted(SEEDS))
def test_every_source_has_its_record_and_cites_without_internal_words(key):
    source = SEEDS[key]
    assert source.title and source.paper
    if source.arxiv:
        assert re.fullmatch(r"\d{4}\.\d{4,5}", source.arxiv), source.arxiv
        assert source.authors and all(len(name.split()) >= 2 and "." not in name for name in source.authors)
        # the year of the first arXiv version is the one the identifier encodes (YYMM.NNNNN)
        assert source.year == 2000 + int(source.arxiv[:2])
        assert source.venue and source.url == f"https://arxiv.org/abs/{source.arxiv}"
    assert not internal_words(source.cite()), source.cite()
    assert source.seed not in source.cite()
    assert not internal_words(source.title)


def test_the_glossary_explains_every_verdict_and_every_term_the_report_prints():
    terms = [term for term, _ in GLOSSARY]
    assert len(terms) == len(set(terms))
    assert all(explanation.strip().endswith(".") for _, explanation in GLOSSARY)
    needed = set(VERDICTS) | set(content.VERDICT_ORDER) | {
        "expected verdict", "reconstructed statement", "candidate form", "robustness finding",
        "constructed counterexample", "found by search", "50-digit re-check", "profile", "derived tolerance",
        "worst error", "missing hypothesis", "lossproof's implementation contract", "source text we hold",
    }
    assert needed - explained_terms() == set()
    # every term the claims lean on is one the glossary explains
    assert SEEDS["conventions"].title in explained_terms()

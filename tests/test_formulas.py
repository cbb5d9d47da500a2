"""What a reader sees of each claim: a typeset formula, its place in the source, the source's bibliographic record,
no words of our own that the glossary does not explain.

Every formula is converted once by each typesetter (latex2mathml for the HTML, matplotlib mathtext for the PDF);
the whole module takes a few seconds."""

import ast
import re
from pathlib import Path

import pytest

import impls
import verify.catalog as catalog
from verify.catalog.sources import SEEDS
from verify.harness.claims import VERDICTS, run_claim
from verify.harness.runner import REFERENCE_IMPL, context
from verify.report import content
from verify.report.glossary import GLOSSARY, explained_terms
from verify.report.math import FormulaError, formula_png, to_mathml

CLAIMS = sorted(catalog.all_claims(), key=lambda c: c.id)

# Words of our own that must not reach a reader: the seed files, the catalogs' internal labels (formula numbers
# F7, flags G1, section B.6, evidence tags [D]), our design documents, and abbreviations the reader cannot resolve.
# A claim is named by its full id (rychlik.P2-2), never by a bare catalog label.
INTERNAL_WORDS = {
    # a random generator's seed is the reader's word too; our seed files are not
    "seed file": re.compile(r"(?<!random )\bseeds?\b", re.I),
    "snippet": re.compile(r"\bsnippets?\b", re.I),
    "catalog": re.compile(r"\bcatalogu?e?s?'?s?\b", re.I),
    "design document": re.compile(r"DESIGN\.md|ARCHITECTURE\.md|\bStandards:", re.I),
    "'reconstructed form' (the glossary's term is 'reconstructed statement')": re.compile(
        r"reconstructed form|form reconstructed|form,? reconstructed|rebuilt", re.I),
    "'retrieved' (say 'not located in the source text we hold')": re.compile(r"\bretrieved\b", re.I),
    "evidence tag such as [D] or [3P]": re.compile(r"(?<![\w\[])\[(?:[A-Z0-9]{1,3}|abs|REC|TXT)\](?!\])"),
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
                 "exact form not retrieved", "data seed 1", "per seed", "the catalog's reconstruction",
                 "V_s along a ray (catalog V-A4 (1))", "m_hat (F7)", "P1-4: gradient descent"):
        assert internal_words(text), text
    for text in ("abstract: 'the key equation expressing the gradient'", "claim rychlik.P2-2", "B1 B_x (1 + s)",
                 "W1 in R^{D x H}", "F(x) = 0", "H[V] = X^T S V", "section 1, 'Notation and definitions'",
                 "numpy random seed 0", "X = [[1]], K = 3", "rychlik.P1-4: gradient descent", "kappa_hat (rychlik.P2-4)"):
        assert not internal_words(text), (text, internal_words(text))


@pytest.mark.parametrize("claim", CLAIMS, ids=lambda c: c.id)
def test_no_internal_word_reaches_a_reader(claim):
    found = [(name, rule, match) for name, text in reader_fields(claim) for rule, match in internal_words(text)]
    assert not found, found


# What the checks print (evidence summaries, notes, constructions, measurement names, figure titles and labels) is
# built from the string literals of the claims' modules and of the evidence builders; docstrings are for us.
ROOT = Path(__file__).resolve().parent.parent
PRINTING_MODULES = sorted((ROOT / "verify" / "catalog").glob("*/*.py")) + [
    ROOT / "verify" / "catalog" / "implementation.py", ROOT / "verify" / "harness" / "evidence.py"]
# Literals that name arrays between two functions and are never printed: gopalani2023's S1 = sigma'(XW) and
# S2 = sigma''(XW), passed from its formulas to its rounding bounds.
UNPRINTED_NAMES = {"gopalani2023/formulas.py": {"S1", "S2"}, "gopalani2023/tolerances.py": {"S1", "S2"}}


def printed_literals(path):
    """The (line, text) of every string literal of the module at ``path`` but its docstrings (f-strings in parts)."""
    tree = ast.parse(path.read_text(), filename=str(path))
    docstrings = {id(node.body[0].value) for node in ast.walk(tree)
                  if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef))
                  and node.body and isinstance(node.body[0], ast.Expr) and isinstance(node.body[0].value, ast.Constant)}
    return [(node.lineno, node.value) for node in ast.walk(tree)
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docstrings]


# The catalog folder of each claim-id prefix, where the two differ (the kernel claims live in kernels/).
FOLDER_OF_PREFIX = {"kernel": "kernels"}


def test_the_printing_modules_are_those_of_every_source():
    packages = {path.parent.name for path in PRINTING_MODULES if path.parent.parent.name == "catalog"}
    prefixes = {claim.id.split(".")[0] for claim in CLAIMS} - {"impl"}
    assert packages == {FOLDER_OF_PREFIX.get(p, p) for p in prefixes}, packages
    assert all(path.exists() for path in PRINTING_MODULES)


@pytest.mark.parametrize("path", PRINTING_MODULES, ids=lambda p: str(p.relative_to(ROOT / "verify")))
def test_no_internal_word_in_what_a_check_prints(path):
    unprinted = UNPRINTED_NAMES.get(f"{path.parent.name}/{path.name}", set())
    found = [(line, rule, match) for line, text in printed_literals(path) if text not in unprinted
             for rule, match in internal_words(text)]
    assert not found, found


# One fast claim per source, run as `lossproof check` runs it (default profile): every string of its result (the words composed at run
# time included) but the claim's declared fields, which test_no_internal_word_reaches_a_reader reads.
PRINTED_SAMPLE = ("folklore.F15", "gopalani2023.D1", "li2020.B4", "rychlik.S6", "song2023.C12")


def strings_in(value, where=""):
    """Every (place, string) in a JSON-like value, its keys included."""
    if isinstance(value, str):
        yield where, value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield f"{where}/{{key}}", str(key)
            yield from strings_in(item, f"{where}/{key}")
    elif isinstance(value, (list, tuple)):
        for i, item in enumerate(value):
            yield from strings_in(item, f"{where}[{i}]")


def test_the_printed_sample_covers_every_source():
    # the kernel claims need torch, which the default test run does not have: their printed words are covered by
    # the literal scan above (test_no_internal_word_in_what_a_check_prints over kernels/*.py)
    runnable = {c.id.split(".")[0] for c in CLAIMS if c.scope != "kernel"} - {"impl"}
    assert {claim_id.split(".")[0] for claim_id in PRINTED_SAMPLE} == runnable


@pytest.mark.parametrize("claim_id", PRINTED_SAMPLE)
def test_no_internal_word_in_a_checks_printed_result(claim_id):
    result = run_claim(catalog.get_claim(claim_id), context(impls.get(REFERENCE_IMPL), "ci"))
    printed = {key: value for key, value in result.to_dict().items() if key != "claim"}
    found = [(where, rule, match) for where, text in strings_in(printed) for rule, match in internal_words(text)]
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

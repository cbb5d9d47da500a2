"""The corpus of real code (tests/corpus/): lossproof must classify each implementation right, by the claim that targets its defect.

Two checks per implementation, parametrized so pytest-xdist spreads them:

(a) the independent 50-digit reference classifier (``tests/corpus/reference.py``,
    not lossproof) finds exactly the wrong quantities the module declares, so
    the declared labels are measured, not typed in;
(b) lossproof's implementation claims, searched with the ``quick`` profile
    (derandomized here, so that an expected failure is the same on every run):
    a correct implementation fails no claim; a buggy one is rejected by its
    targeted claim (``EXPECTED_FAILING[0]``), and no claim errors.

A robustness claim (``kind = "robustness"``: inputs beyond the domain users
have) may fail for a correct implementation; that is a finding, not a
rejection, and is not counted here.
"""

import importlib.util

import pytest
from hypothesis import settings

from tests import corpus
from tests.corpus import reference
from verify.catalog import all_claims
from verify.harness.claims import ERROR, SKIPPED, CheckContext, run_claim

pytestmark = pytest.mark.corpus

PROFILE = "quick"
# The quick profile draws afresh on every run; a strict xfail needs the same draws every time.
SEARCH_SETTINGS = settings(settings.get_profile(PROFILE), derandomize=True, database=None)

IMPLEMENTATION_CLAIMS = {claim.id: claim for claim in all_claims("implementation")}


def _module(name):
    module = corpus.load(name)
    missing = [m for m in module.REQUIRES if importlib.util.find_spec(m) is None]
    if missing:
        pytest.skip(f"{name} needs {', '.join(missing)}, not installed")
    return module


def _lossproof_params():
    params = []
    for name in corpus.MODULES:
        module = corpus.load(name)
        marks = [pytest.mark.corpus]
        params.append(pytest.param(name, marks=marks, id=name))
    return params


def test_every_module_says_where_it_comes_from_and_what_it_is():
    """Each module declares a classification consistent with its defect and targeted claim, and names its source."""
    assert len(corpus.MODULES) >= 12
    for name in corpus.MODULES:
        module = corpus.load(name)
        assert module.CLASSIFICATION in ("correct", "buggy"), name
        assert "Source:" in module.__doc__ and "Classification" in module.__doc__, name
        assert set(module.REFERENCE_FAILS) <= set(reference.QUANTITIES), name
        if module.CLASSIFICATION == "correct":
            assert not module.DEFECT and not module.REFERENCE_FAILS and not module.EXPECTED_FAILING, name
        else:
            assert module.DEFECT and module.REFERENCE_FAILS and module.EXPECTED_FAILING, name
    classifications = {corpus.load(n).CLASSIFICATION for n in corpus.MODULES}
    assert classifications == {"correct", "buggy"}


@pytest.mark.parametrize("name", corpus.MODULES)
def test_reference_classifier_agrees_with_the_declared_classification(name):
    """(a) The 50-digit reference, on its fixed battery, finds exactly the declared wrong quantities."""
    module = _module(name)
    found = reference.classify(module.Impl())
    assert set(found) == set(module.REFERENCE_FAILS), f"{name}: reference found {found}, declared {sorted(module.REFERENCE_FAILS)}"


@pytest.mark.parametrize("name", _lossproof_params())
def test_lossproof_classifies_the_implementation_right(name):
    """(b) A correct implementation fails no claim; a buggy one is rejected by the claim that targets its defect."""
    module = _module(name)
    for claim_id in module.EXPECTED_FAILING[:1]:
        if claim_id not in IMPLEMENTATION_CLAIMS:
            pytest.fail(f"{name}: targeted claim {claim_id} is not registered")
    impl = module.Impl()
    results = {cid: run_claim(claim, CheckContext(impl=impl, settings=SEARCH_SETTINGS))
               for cid, claim in IMPLEMENTATION_CLAIMS.items()}
    # A robustness claim (inputs beyond the domain users have) reports a finding; it does not make code wrong.
    failing = {cid: r for cid, r in results.items()
               if not r.matches and r.evidence.verdict != SKIPPED and r.claim.kind == "correctness"}
    errored = [r.failure_message() for r in results.values() if r.evidence.verdict == ERROR]
    assert not errored, f"{name}: claims errored:\n" + "\n\n".join(errored)
    if module.CLASSIFICATION == "correct":
        assert not failing, f"{name} is correct but lossproof rejects it:\n" + "\n\n".join(r.failure_message() for r in failing.values())
    else:
        targeted = module.EXPECTED_FAILING[0]
        assert targeted in failing, (
            f"{name} ({module.DEFECT}) was not rejected by {targeted}: {results[targeted].evidence.summary}; "
            f"failing: {sorted(failing)}")


def test_overflow_beyond_the_domain_is_a_robustness_finding_not_a_rejection():
    """The course solution's 0 * np.sum(W * W) overflows only beyond the user domain: impl.domain_edge reports it.

    The claim is of kind "robustness", so the correct implementation is still
    classified correct above; scikit-learn, which guards its penalty with
    ``if l2_reg_strength > 0``, has no such finding. The ci profile (40
    examples, derandomized) reaches the edge; the quick one may not.
    """
    claim = IMPLEMENTATION_CLAIMS["impl.domain_edge"]
    assert claim.kind == "robustness"
    ci = settings(settings.get_profile("ci"), database=None)
    naive = run_claim(claim, CheckContext(impl=_module("cs231n_naive_loops").Impl(), settings=ci))
    assert naive.evidence.verdict == "refuted", naive.failure_message()
    assert "overflow" in naive.evidence.summary
    # Reported as such: counted apart from the mismatches (so lossproof check exits 0 on it), and labelled.
    from verify.harness.claims import failure_report
    from verify.harness.results import summarize

    counts = summarize([naive])
    assert counts["robustness"] == 1 and counts["mismatched"] == 0
    assert failure_report([naive])[0].startswith("robustness finding")
    guarded = run_claim(claim, CheckContext(impl=_module("sklearn_linear_model_loss").Impl(), settings=ci))
    assert guarded.evidence.verdict == "holds", guarded.failure_message()

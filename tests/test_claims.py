"""Every registered claim, run through the same machinery as `lossproof check`.

A test passes when the computed verdict equals the claim's expected verdict:
a refuted claim is green because the harness found the counterexample the
catalog predicts. Test ids are the claim ids.
"""

import pytest

import impls
from verify.catalog import all_claims
from verify.harness.claims import INCONCLUSIVE, SKIPPED, run_claim
from verify.harness.runner import REFERENCE_IMPL, context

_INSTANCES = {}


def implementation(key):
    """One instance per implementation for the whole session (SymPy caches compiled shapes)."""
    if key not in _INSTANCES:
        _INSTANCES[key] = impls.load(key) if ":" in key else impls.get(key)
    return _INSTANCES[key]


def pytest_generate_tests(metafunc):
    if "math_claim" in metafunc.fixturenames:
        claims = all_claims("math")
        metafunc.parametrize("math_claim", claims, ids=[c.id for c in claims])
    if "impl_claim" in metafunc.fixturenames:
        keys = metafunc.config.getoption("--impl") or list(impls.names())
        pairs = [(key, c) for key in keys for c in all_claims("implementation")]
        metafunc.parametrize("impl_key, impl_claim", pairs, ids=[f"{c.id}[{key}]" for key, c in pairs])


def check(claim, impl, profile):
    result = run_claim(claim, context(impl, profile))
    if result.evidence.verdict == SKIPPED:
        pytest.skip(result.evidence.summary)
    if result.evidence.verdict == INCONCLUSIVE:  # neither a match nor a failure: shown apart, as lossproof check does
        pytest.xfail(result.failure_message())
    assert result.matches, result.failure_message()
    return result


# Refutations whose counterexample is built, not searched for (issue 13): each must say so.
CONSTRUCTED = {
    "folklore.F12": "W2 = W* + c 1^T",  # part (a): the second minimizer is the shift of the first
    "rychlik.S2": "every example measured violates",  # the statement fails at every point
    "song2023.C6": "A = I and b = e1 are fixed",  # the half without the hypothesis solves for x
}


def test_math_claim(math_claim, profile_name):
    """The claim's computed verdict matches the catalog's expectation (reference implementation)."""
    result = check(math_claim, implementation(REFERENCE_IMPL), profile_name)
    if result.evidence.verdict == "refuted":
        assert result.evidence.counterexample is not None, "a refutation must carry its counterexample"
        assert result.evidence.found_by_search or result.evidence.construction, (
            "a refutation not found by search must say how its counterexample was built")
        if math_claim.id in CONSTRUCTED:
            assert result.evidence.found_by_search is False and CONSTRUCTED[math_claim.id] in result.evidence.construction, (
                result.evidence.construction)
        assert result.evidence.high_precision and result.evidence.high_precision.get("confirmed"), (
            "a refutation must be confirmed in higher precision"
        )


def test_implementation_claim(impl_key, impl_claim, profile_name):
    """The implementation has the property every correct softmax cross-entropy has."""
    check(impl_claim, implementation(impl_key), profile_name)


def test_claim_patterns_select_implementation_claims_too():
    """``--claim`` names implementation claims as well as math ones; a pattern naming none is an error."""
    from verify.harness.runner import run

    numpy_impl = impls.get("numpy")
    chosen = run(all_claims(), [numpy_impl], profile="quick", patterns=["impl.shift_*", "folklore.F16"])
    assert sorted((r.claim.id, r.impl_name) for r in chosen) == [("folklore.F16", "numpy"),
                                                                  ("impl.shift_invariance", "numpy")]
    with pytest.raises(ValueError, match="no claim id matches"):
        run(all_claims(), [numpy_impl], profile="quick", patterns=["impl.no_such_claim"])

"""Self-validation that measures tightness: planted errors near the thresholds, and the re-check's two answers.

As SciPy's derivative tests keep a ladder of tolerances, these tests plant
errors of known size and show where lossproof's checks draw the line:

1. a gradient off by one part in 1e7 is refuted by ``impl.gradient``, and the
   smallest relative error ``check_gradient`` catches on a fixed problem is
   measured and located between the bounds its tolerance implies;
2. an error between the derived finite-difference tolerance and 10 times it
   is caught, and is not caught once the safety factor is 10 times larger;
   and each tolerance stays under its rung of a ladder on a fixed problem,
   so that loosening it 10x makes a test fail;
3. the high-precision re-check dismisses a rounding artifact, confirms a real
   error (the wrong value beside the expected one), and a re-check that
   cannot decide, or a search without examples, never becomes ``holds``;
4. tiny losses are accurate relative to their size (the ``log1p`` promise of
   ``impls/softmax/vectorized.py``);
5. ``impl.sample_weight`` refutes a weighted Hessian, or hvp, that ignores
   the weights.

Searches use the ``ci`` profile, derandomized, so a failure is the same on
every run (as in tests/test_corpus.py).
"""

import math
import re

import mpmath
import numpy as np
import pytest
from hypothesis import settings

import impls
from tests.planted_bugs import (NumpySoftmaxCE, RelativeGradientError, WeightedHessianIgnoresWeights,
                                WeightedHvpIgnoresWeights)
from verify.catalog import all_claims
from verify.catalog.implementation import confirm_against_definition
from verify.harness.claims import ERROR, HOLDS, REFUTED, UNCONFIRMED, CheckContext, run_claim
from verify.harness.evidence import search_evidence
from verify.harness.foreign import Copying
from verify.harness.search import Measurement, SearchOutcome
from verify.harness.strategies import SoftmaxProblem
from verify.numerics import precision
from verify.numerics.derivatives import check_gradient, check_hessian, check_hvp_directional
from verify.numerics.differences import FINITE_DIFFERENCE_SAFETY
from verify.numerics.rounding import eps

PROFILE = "ci"
SEARCH_SETTINGS = settings(settings.get_profile(PROFILE), derandomize=True, database=None)
IMPLEMENTATION_CLAIMS = {claim.id: claim for claim in all_claims("implementation")}

# What a confirmed re-check says (verify.catalog.implementation.recheck): "grad[1, 2] = v where the definition gives w".
FINDING = re.compile(r"(?P<quantity>\w+)\[(?P<index>[\d, ]+)\] = (?P<value>\S+) where the definition gives (?P<expected>\S+) ")

# The fixed problem of the measured thresholds: ordinary logits (|z| ~ 1), soft targets.
FIXED_SEED, FIXED_SHAPE = 13, (6, 4, 5)


def fixed_problem() -> SoftmaxProblem:
    N, D, K = FIXED_SHAPE
    rng = np.random.default_rng(FIXED_SEED)
    V = rng.normal(size=(D, K))
    return SoftmaxProblem(X=rng.normal(size=(N, D)), W=rng.normal(size=(D, K)), Y=rng.dirichlet(np.ones(K), size=N),
                          V=V / np.linalg.norm(V), sample_weight=rng.uniform(0.5, 2.0, size=N))


def numpy_impl():
    return impls.get("numpy")


def shown_finding(finding: str) -> dict:
    """The quantity, index, value and expected value a confirmed finding names."""
    match = FINDING.search(finding)
    assert match, f"the finding does not show the value beside the expected one: {finding!r}"
    index = tuple(int(i) for i in match["index"].split(","))
    return {"quantity": match["quantity"], "index": index, "value": float(match["value"]),
            "expected": float(match["expected"])}


# --------------------------------------------------------------------------
# 1. A gradient off by one part in 1e7
# --------------------------------------------------------------------------

PLANTED_RELATIVE_ERROR = 1e-7


def test_gradient_off_by_one_part_in_1e7_is_refuted_by_impl_gradient():
    """grad * (1 + 1e-7) is refuted, confirmed in 50 digits, the wrong value shown beside the definition's."""
    claim = IMPLEMENTATION_CLAIMS["impl.gradient"]
    control = run_claim(claim, CheckContext(impl=numpy_impl(), settings=SEARCH_SETTINGS))
    assert control.evidence.verdict == HOLDS, control.failure_message()

    result = run_claim(claim, CheckContext(impl=RelativeGradientError(PLANTED_RELATIVE_ERROR), settings=SEARCH_SETTINGS))
    ev = result.evidence
    assert ev.verdict == REFUTED, result.failure_message()
    assert ev.found_by_search and ev.high_precision["confirmed"] is True
    shown = shown_finding(ev.high_precision["finding"])
    assert shown["quantity"] == "grad"
    # 10 significant digits of each value resolve the ratio to ~1e-9, a hundredth of the planted error.
    assert shown["value"] / shown["expected"] - 1 == pytest.approx(PLANTED_RELATIVE_ERROR, rel=1e-2)


def bisect_smallest_caught(caught, low: float, high: float, steps: int = 30) -> float:
    """The smallest x in [low, high] with caught(x), by bisection in log scale (caught(low) False, caught(high) True)."""
    assert not caught(low) and caught(high)
    for _ in range(steps):
        middle = math.sqrt(low * high)
        low, high = (low, middle) if caught(middle) else (middle, high)
    return high


def test_smallest_relative_gradient_error_caught_by_richardson_differences():
    """On the fixed problem (seed 13, N, D, K = 6, 4, 5) check_gradient(method="richardson") catches grad * (1 + r) from r = 1.8e-11.

    Measured: the smallest r caught is 1.8e-11 (tolerance 6.1e-12 against a
    gradient of scale 0.39), i.e. 5,000 times below the 1e-7 of the test
    above. Derived: with e0 the error of the correct gradient against the
    differences and g = max |grad|, the planted check's error lies within
    e0 of r g (triangle inequality), so the threshold lies in
    [(tol - e0) / g, (tol + e0) / g].
    """
    pb, ce = fixed_problem(), numpy_impl()

    def check(relative_error, **kwargs):
        return check_gradient(lambda W: ce.loss(W, pb.X, pb.Y),
                              lambda W: ce.grad(W, pb.X, pb.Y) * (1 + relative_error), pb.W, method="richardson", **kwargs)

    correct = check(0.0)
    assert correct.passed, correct
    g = float(np.max(np.abs(ce.grad(pb.W, pb.X, pb.Y))))
    smallest = bisect_smallest_caught(lambda r: not check(r).passed, 1e-14, PLANTED_RELATIVE_ERROR)
    # The bisection's last bracket (ratio (1e7)^(2^-30)) and the rounding of 1 + r (eps / r ~ 1e-5 relative) are far inside 1%.
    assert (correct.tolerance - correct.max_abs_error) / g * 0.99 <= smallest <= (correct.tolerance + correct.max_abs_error) / g * 1.01
    assert smallest < 1e-10, f"richardson differences catch only relative gradient errors above {smallest:.2e}"


# --------------------------------------------------------------------------
# 2. The finite-difference tolerance is tight: an error between it and 10 times it is caught
# --------------------------------------------------------------------------

# The rung of the ladder each check's tolerance must stay under on the fixed problem, relative to the scale of
# what it checks (max |reference|): the next power of ten above the value measured there (grad 1.5e-11,
# hessian 1.5e-10, hvp 2.0e-11, i.e. 5-7 times below the rung), so that a tolerance 10 times looser -- a
# larger FINITE_DIFFERENCE_SAFETY, error coefficient or noise estimate -- fails this test; the 5-7x margin
# leaves room for the measured noise to differ under another BLAS (not measured here).
TOLERANCE_RUNGS = {"check_gradient": 1e-10, "check_hessian": 1e-9, "check_hvp_directional": 1e-10}

# The planted error, in units of the derived tolerance: the middle (in log scale) of the band (1, 10).
PLANTED_TOLERANCE_MULTIPLE = math.sqrt(10)
LOOSENED_SAFETY = 10 * FINITE_DIFFERENCE_SAFETY


def _derivative_checks():
    """name -> (check of a planted result, the planted result's shape): each at the fixed problem, Richardson differences."""
    pb, ce = fixed_problem(), numpy_impl()
    grad_fn = lambda W: ce.grad(W, pb.X, pb.Y)  # noqa: E731
    return {
        "check_gradient": lambda plant, **kw: check_gradient(
            lambda W: ce.loss(W, pb.X, pb.Y), lambda W: plant(ce.grad(W, pb.X, pb.Y)), pb.W, method="richardson", **kw),
        "check_hessian": lambda plant, **kw: check_hessian(
            grad_fn, lambda W: plant(ce.hessian(W, pb.X, pb.Y)), pb.W, method="richardson", **kw),
        "check_hvp_directional": lambda plant, **kw: check_hvp_directional(
            grad_fn, lambda W, V: plant(ce.hvp(W, pb.X, pb.Y, V)), pb.W, pb.V, method="richardson", **kw),
    }


@pytest.mark.parametrize("checker", sorted(TOLERANCE_RUNGS))
def test_derived_tolerance_stays_under_its_rung_of_the_ladder(checker):
    """On the fixed problem the derived tolerance, relative to the checked quantity's scale, is under its rung."""
    correct = _derivative_checks()[checker](lambda value: value)
    assert correct.passed, correct
    relative = correct.tolerance / correct.scale
    assert relative < TOLERANCE_RUNGS[checker], (
        f"{checker}: tolerance {correct.tolerance:.2e} is {relative:.2e} of the scale {correct.scale:.2e}, "
        f"above the rung {TOLERANCE_RUNGS[checker]:.0e}: the check has become looser")


@pytest.mark.parametrize("checker", sorted(TOLERANCE_RUNGS))
def test_error_between_the_tolerance_and_ten_times_it_is_caught_and_a_10x_looser_tolerance_misses_it(checker):
    """An error of sqrt(10) x the derived tolerance at one entry: caught at FINITE_DIFFERENCE_SAFETY, missed at 10x it."""
    check = _derivative_checks()[checker]
    correct = check(lambda value: value)
    assert correct.passed, correct
    size = PLANTED_TOLERANCE_MULTIPLE * correct.tolerance

    def plant(value):
        value = np.array(value, dtype=np.float64)
        value.flat[0] += size
        return value

    # The planted check's error lies within e0 = correct.max_abs_error of the planted size (triangle inequality);
    # the band must hold that whole interval for the two verdicts below to be the planted error's.
    assert correct.tolerance < size - correct.max_abs_error and size + correct.max_abs_error < 10 * correct.tolerance
    planted = check(plant)
    assert planted.tolerance == correct.tolerance  # derived from the reference alone, not from what is checked
    assert not planted.passed, f"{checker} misses an error of {size:.2e} against its tolerance {planted.tolerance:.2e}"
    loosened = check(plant, rtol_factor=LOOSENED_SAFETY)
    assert loosened.tolerance == pytest.approx(10 * correct.tolerance, rel=1e-12)
    assert loosened.passed, f"{checker} at 10x the safety factor still catches {planted.max_abs_error:.2e}"


# --------------------------------------------------------------------------
# 3. The high-precision re-check
# --------------------------------------------------------------------------


def gradient_measurement(impl, pb, **kwargs) -> Measurement:
    """impl.gradient's measurement of one problem: grad against Richardson differences of loss."""
    chk = check_gradient(lambda W: impl.loss(W, pb.X, pb.Y), lambda W: impl.grad(W, pb.X, pb.Y), pb.W,
                         method="richardson", **kwargs)
    return Measurement(chk.max_abs_error, chk.tolerance, "grad", chk.to_dict())


def outcome_of(pb, measurement, *, examples=4, passing=3) -> SearchOutcome:
    """A search that drew ``examples``, of which ``passing`` passed, and stopped at ``pb``'s violation."""
    return SearchOutcome(examples=examples, worst=measurement, counterexample=pb, counterexample_measurement=measurement,
                         violating=examples - passing, passing=passing)


GRADIENT_RECHECK = ("grad", "loss")  # what impl.gradient's measurement called


def test_recheck_dismisses_a_rounding_artifact_of_the_measurement():
    """A correct gradient measured against a tolerance 1e6 times too tight: the re-check dismisses it, the verdict holds."""
    pb, impl = fixed_problem(), Copying(numpy_impl())
    artifact = gradient_measurement(impl, pb, rtol_factor=FINITE_DIFFERENCE_SAFETY * 1e-6)
    assert artifact.violated, artifact  # the differences' own rounding exceeds the shrunken tolerance
    ev = search_evidence(outcome_of(pb, artifact), what="grad vs differences of loss",
                         confirm=confirm_against_definition(impl, GRADIENT_RECHECK))
    assert ev.verdict == HOLDS, ev.summary
    assert ev.high_precision["confirmed"] is False
    assert "dismissed" in ev.summary and any("dismissed" in note for note in ev.notes)
    assert {c["quantity"] for c in ev.high_precision["rechecks"]} == set(GRADIENT_RECHECK)
    assert ev.counterexample is not None  # kept for inspection


def test_recheck_confirms_a_real_error_and_shows_the_value_beside_the_definition():
    """grad * (1 + 1e-6): the re-check confirms it, the verdict is refuted, the finding shows both values."""
    pb = fixed_problem()
    impl = Copying(RelativeGradientError(1e-6))
    violation = gradient_measurement(impl, pb)
    assert violation.violated, violation
    ev = search_evidence(outcome_of(pb, violation), what="grad vs differences of loss",
                         confirm=confirm_against_definition(impl, GRADIENT_RECHECK))
    assert ev.verdict == REFUTED, ev.summary
    assert ev.high_precision["confirmed"] is True
    finding = ev.high_precision["finding"]
    assert finding in ev.summary
    shown = shown_finding(finding)
    assert shown["quantity"] == "grad"
    exact = float(precision.gradient(pb.W, pb.X, pb.Y)[shown["index"]])
    assert shown["expected"] == pytest.approx(exact, rel=1e-9)  # printed with 10 significant digits
    assert shown["value"] / shown["expected"] - 1 == pytest.approx(1e-6, rel=1e-2)


def _raising_confirm(pb):
    raise RuntimeError("the re-check itself failed")


UNDECIDED_CONFIRMS = {
    "raises": (_raising_confirm, "RuntimeError: the re-check itself failed"),
    "confirmed None": (lambda pb: {"confirmed": None, "finding": "the exact value is itself out of range"},
                       "the exact value is itself out of range"),
    "no answer": (lambda pb: {"method": "a re-check that says nothing"}, "the re-check gave no answer"),
}


@pytest.mark.parametrize("case", sorted(UNDECIDED_CONFIRMS))
def test_a_recheck_that_cannot_decide_is_unconfirmed_never_holds(case):
    """A violation whose re-check raises, or answers neither True nor False, is 'unconfirmed', and says why."""
    confirm, why = UNDECIDED_CONFIRMS[case]
    pb = fixed_problem()
    violation = Measurement(1.0, 1e-12, "grad")
    ev = search_evidence(outcome_of(pb, violation), what="grad vs differences of loss", confirm=confirm)
    assert ev.verdict == UNCONFIRMED, ev.summary
    assert why in ev.summary


def test_a_search_without_a_valid_example_is_an_error():
    """examples = 0 (every draw outside the hypotheses): 'error', not 'holds' by default."""
    ev = search_evidence(SearchOutcome(examples=0, worst=None), what="grad vs differences of loss",
                         confirm=confirm_against_definition(numpy_impl(), GRADIENT_RECHECK))
    assert ev.verdict == ERROR, ev.summary
    assert "no valid example" in ev.summary


def test_found_by_search_only_when_some_example_passed():
    """found_by_search is True only with passing > 0; otherwise False, and the construction says how it came about."""
    pb = fixed_problem()
    violation = Measurement(1.0, 0.0, "grad")  # exact measurement: no confirm needed
    searched = search_evidence(outcome_of(pb, violation, examples=5, passing=4), what="w")
    assert searched.verdict == REFUTED and searched.found_by_search is True and searched.construction == ""

    everywhere = search_evidence(outcome_of(pb, violation, examples=5, passing=0), what="w")
    assert everywhere.verdict == REFUTED and everywhere.found_by_search is False
    assert "every example measured violates" in everywhere.construction and "every example violates" in everywhere.summary

    how = "W2 = W1 + c 1^T built inside the measurement"
    constructed = search_evidence(outcome_of(pb, violation, examples=5, passing=4), what="w", construction=how)
    assert constructed.found_by_search is False and constructed.construction == how and "counterexample constructed" in constructed.summary


# --------------------------------------------------------------------------
# 4. Tiny losses are accurate relative to their size
# --------------------------------------------------------------------------

# Margins of the correct class over the next: loss ~ (K - 1) e^-margin, from 1e-13 down to 1e-304 (still normal).
CONFIDENT_MARGINS = (30.0, 50.0, 700.0)
TINY_LOSS_N = 3
# exp and log1p are library routines, not correctly rounded: each is allowed this many ulps (an allowance, not a
# documented bound of a particular libm; the measured total below stays under 1 eps).
LIBM_ULPS = 2.0


def tiny_loss_relative_bound(K: int, N: int) -> float:
    """Bound on the relative error of the mean cross-entropy at exact logits [m, 0, -1, ..., -(K-2)], one-hot at m.

    With u = eps / 2: ``z - max`` is exact (integers and m - m); the K - 1
    terms exp(z_k - m) each carry LIBM_ULPS ulps, their sum K - 2 roundings
    (positive terms: gamma_{K-2} relative); log1p(r) for r > 0 has relative
    condition number r / ((1 + r) log1p(r)) <= 1 and adds its own LIBM_ULPS;
    y . (z - max) is exactly 0 (one-hot at the max), so the subtraction is
    exact; the mean adds N - 1 roundings of positive terms (in any order,
    zeros added exactly) and one division. First order in u:
    ``(K - 2 + N - 1 + 1) u + 2 LIBM_ULPS eps``.
    """
    u = eps(np.float64) / 2
    return (K - 2 + N) * u + 2 * LIBM_ULPS * eps(np.float64)


def exact_digits(margin: float) -> int:
    """Digits for the definition lse(z) - y . z to resolve a loss ~ e^-margin relative to eps.

    The subtraction cancels: at d digits its absolute error is ~ margin 10^-d,
    so 50 digits resolve nothing below ~1e-47 (margin 700 gives exactly 0).
    HIGH_PRECISION_DIGITS more than the magnitude of e^-margin keeps them.
    """
    return precision.HIGH_PRECISION_DIGITS + math.ceil(margin / math.log(10))


@pytest.mark.parametrize("method", ["loss", "loss_grad"])
@pytest.mark.parametrize("K", [2, 5])
@pytest.mark.parametrize("margin", CONFIDENT_MARGINS)
def test_tiny_loss_is_accurate_relative_to_its_size(margin, K, method):
    """At a very confident correct prediction the numpy loss (~1e-13 .. 1e-304) is within a few eps relative of the truth."""
    N = TINY_LOSS_N
    X = np.ones((N, 1))
    W = np.array([[margin] + [-float(j) for j in range(K - 1)]])  # logits X W exact: [m, 0, -1, ..., -(K-2)]
    Y = np.zeros((N, K))
    Y[:, 0] = 1.0
    value = numpy_impl().loss(W, X, Y) if method == "loss" else numpy_impl().loss_grad(W, X, Y)[0]
    digits = exact_digits(margin)
    exact = precision.cross_entropy(W, X, Y, digits=digits)
    with mpmath.workdps(digits):
        assert exact > 0
        relative = float(abs(mpmath.mpf(float(value)) - exact) / exact)
    bound = tiny_loss_relative_bound(K, N)
    assert relative <= bound, (f"{method} at margin {margin}, K = {K}: {float(value):.6e} against {float(exact):.6e}, "
                               f"relative error {relative:.2e} > {bound:.2e} ({bound / eps(np.float64):.1f} eps)")


# --------------------------------------------------------------------------
# 5. The sample-weighted Hessian and hvp
# --------------------------------------------------------------------------

WEIGHT_IGNORING = {
    "hessian": WeightedHessianIgnoresWeights,
    "hvp": WeightedHvpIgnoresWeights,
}


def test_impl_sample_weight_holds_for_the_numpy_implementation():
    """The unplanted base: impl.sample_weight holds (so a refutation below is the planted method's)."""
    result = run_claim(IMPLEMENTATION_CLAIMS["impl.sample_weight"], CheckContext(impl=NumpySoftmaxCE(), settings=SEARCH_SETTINGS))
    assert result.evidence.verdict == HOLDS, result.failure_message()


@pytest.mark.parametrize("method", sorted(WEIGHT_IGNORING))
def test_weighted_second_order_method_that_ignores_the_weights_is_refuted(method):
    """A hessian (or hvp) that drops sample_weight is refuted by impl.sample_weight, with that method named."""
    impl = WEIGHT_IGNORING[method]()
    result = run_claim(IMPLEMENTATION_CLAIMS["impl.sample_weight"], CheckContext(impl=impl, settings=SEARCH_SETTINGS))
    ev = result.evidence
    assert ev.verdict == REFUTED, result.failure_message()
    assert ev.high_precision["confirmed"] is True
    assert shown_finding(ev.high_precision["finding"])["quantity"] == method
    weights = np.asarray(ev.counterexample["sample_weight"])
    assert weights.max() > weights.min()  # equal weights give the unweighted mean: only unequal ones can show the bug

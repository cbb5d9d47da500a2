"""Code under test is foreign (issue 13): the harness calls it on copies, outside its own floating-point error mode,
honours what it declares, and re-checks a violation by calling the same method again.

Each test plants one behaviour into the compact correct implementation of
``tests/planted_bugs.py`` and runs the implementation claim that must see it.
"""

import numpy as np
import pytest
from hypothesis import settings

import impls
from tests.planted_bugs import CorrectSoftmaxCE
from verify.catalog import all_claims
from verify.catalog.implementation import confirm_against_definition
from verify.harness.claims import ERROR, HOLDS, REFUTED, SKIPPED, CheckContext, failure_report, run_claim
from verify.harness.foreign import Copying, attempt
from verify.harness.strategies import USER_DOMAIN, SoftmaxProblem, problems

CLAIMS = {c.id: c for c in all_claims("implementation")}
CI = settings(settings.get_profile("ci"), database=None)


def run(claim_id, impl):
    return run_claim(CLAIMS[claim_id], CheckContext(impl=impl, settings=CI))


class ZeroesLastColumn(CorrectSoftmaxCE):
    """Writes W[:, -1] = 0 into the caller's W on every call, then computes with the original weights."""

    name = "foreign:zeroes-last-column"

    def loss(self, W, X, Y):
        value = super().loss(W.copy(), X, Y)
        W[:, -1] = 0
        return value


class DeclaresItsWrite(ZeroesLastColumn):
    name = "foreign:declared-write"
    capabilities = impls.Capabilities(hessian=True, hvp=True, max_size=200, max_hessian_size=200,
                                      writes_arguments=("W",))


def test_a_write_into_the_callers_array_fails_inputs_unchanged_and_nothing_else():
    """Every other claim sees copies, so the write cannot corrupt a re-check (issue 13 point 4)."""
    impl = ZeroesLastColumn()
    written = run("impl.inputs_unchanged", impl)
    assert written.evidence.verdict == REFUTED and "loss writes into W" in written.evidence.summary
    for claim_id in ("impl.loss_value", "impl.gradient", "impl.shift_invariance"):
        assert run(claim_id, impl).evidence.verdict == HOLDS, claim_id


def test_a_declared_write_is_reported_not_failed():
    result = run("impl.inputs_unchanged", DeclaresItsWrite())
    assert result.evidence.verdict == HOLDS
    assert result.evidence.measurements["declared writes observed"] == ["loss writes into W"]
    assert any("reported, not failed" in n for n in result.evidence.notes)


def test_copying_leaves_the_harness_arrays_as_drawn():
    W = np.ones((2, 3))
    Copying(ZeroesLastColumn()).loss(W, np.ones((1, 2)), np.eye(3)[:1])
    assert np.all(W == 1)


class OverflowsOnTheWay(CorrectSoftmaxCE):
    """Right answers; an intermediate exp overflows (to inf, then exp(-inf) = 0) at large logits, with a warning."""

    name = "foreign:overflows-on-the-way"

    def loss(self, W, X, Y):
        Z = X @ W
        np.exp(np.abs(Z) * 1e3)  # overflow warning, result unused
        return super().loss(W, X, Y)


def test_the_implementation_runs_outside_the_harness_error_mode():
    """Under a caller's np.seterr(all='raise') the code still runs; its warning is recorded, its answer judged."""
    with np.errstate(all="raise"):
        call = attempt(OverflowsOnTheWay().loss, np.full((1, 2), 800.0), np.ones((1, 1)), np.eye(2)[:1])
    assert call.error is None and np.isfinite(call.value)
    assert any("overflow" in w for w in call.warnings)
    with np.errstate(all="raise"):
        assert run("impl.loss_value", OverflowsOnTheWay()).evidence.verdict == HOLDS
    # impl.extreme_logits alone promises no warnings, and says which it saw.
    extreme = run("impl.extreme_logits", OverflowsOnTheWay())
    assert extreme.evidence.verdict == REFUTED and "overflow encountered" in extreme.evidence.summary


class LossGradOverflows(CorrectSoftmaxCE):
    """loss and grad are stable; loss_grad computes exp without the max shift (issue 13 point 2)."""

    name = "foreign:loss-grad-overflows"

    def loss_grad(self, W, X, Y):
        E = np.exp(X @ W)
        P = E / E.sum(axis=1, keepdims=True)
        loss = -np.sum(Y * np.log(P)) / X.shape[0]
        return loss, X.T @ (P - Y) / X.shape[0]


class LossGradSum(CorrectSoftmaxCE):
    """loss_grad forgets the 1/N (issue 13 point 3)."""

    name = "foreign:loss-grad-sum"

    def loss_grad(self, W, X, Y):
        return self.loss(W, X, Y) * X.shape[0], self.grad(W, X, Y) * X.shape[0]


@pytest.mark.parametrize("impl", [LossGradOverflows(), LossGradSum()], ids=lambda i: i.name)
def test_loss_grad_is_checked_and_its_recheck_calls_loss_grad(impl):
    result = run("impl.loss_grad", impl)
    assert result.evidence.verdict == REFUTED, result.failure_message()
    assert "loss_grad" in result.evidence.high_precision["finding"]
    # gradient descent steps with loss_grad: its re-check calls loss_grad too, so the overflow is not dismissed.
    descent = run("impl.monotone_descent", impl)
    assert descent.evidence.verdict != HOLDS or "loss_grad" not in str(descent.evidence.high_precision)


class GradOffByTwoN(CorrectSoftmaxCE):
    """The gradient of the sum, doubled: off by a factor 2N (issue 13 point 2)."""

    name = "foreign:grad-2N"

    def grad(self, W, X, Y):
        return 2 * X.shape[0] * super().grad(W, X, Y)


def test_a_wrong_gradient_is_confirmed_by_calling_grad_again():
    result = run("impl.gradient", GradOffByTwoN())
    assert result.evidence.verdict == REFUTED, result.failure_message()
    finding = result.evidence.high_precision["finding"]
    assert finding.startswith("grad[") and "where the definition gives" in finding


def test_the_recheck_dismisses_agreement_and_confirms_a_real_error():
    pb = SoftmaxProblem(X=np.array([[1.0, -0.5]]), W=np.array([[0.3, -0.2], [0.1, 0.4]]), Y=np.array([[1.0, 0.0]]),
                        V=np.zeros((2, 2)), sample_weight=np.ones(1))
    assert confirm_against_definition(Copying(CorrectSoftmaxCE()), ("loss", "grad"))(pb)["confirmed"] is False
    assert confirm_against_definition(Copying(GradOffByTwoN()), ("loss", "grad"))(pb)["confirmed"] is True


class LabelsOnly(CorrectSoftmaxCE):
    """Takes one-hot targets only, like an adapter around integer labels: soft targets raise."""

    name = "foreign:labels-only"
    capabilities = impls.Capabilities(targets="one-hot")

    def loss(self, W, X, Y):
        if not np.all((Y == 0) | (Y == 1)):
            raise ValueError("Y: labels only")
        return super().loss(W, X, Y)

    grad = CorrectSoftmaxCE.grad


def test_a_one_hot_only_implementation_is_given_one_hot_targets_and_no_claim_crashes():
    impl = LabelsOnly()
    for claim_id in ("impl.loss_value", "impl.gradient", "impl.monotone_descent", "impl.shift_invariance"):
        result = run(claim_id, impl)
        assert result.evidence.verdict == HOLDS, result.failure_message()


class DeclaresNoHessian(CorrectSoftmaxCE):
    name = "foreign:hessian-declared-absent"
    capabilities = impls.Capabilities(hessian=False, hvp=False)

    def hessian(self, W, X, Y):
        raise NotImplementedError


def test_declared_hessian_false_is_skipped_with_the_reason():
    result = run("impl.hessian", DeclaresNoHessian())
    assert result.evidence.verdict == SKIPPED and "hessian=False" in result.evidence.summary


def test_a_search_without_a_valid_example_is_an_error():
    from verify.harness.evidence import searched

    ev = searched(CheckContext(impl=None, settings=settings(CI, max_examples=5)), problems(), lambda pb: None, what="x")
    assert ev.verdict == ERROR and "no valid example" in ev.summary


def test_one_counterexample_that_fails_several_claims_is_reported_once_first():
    class GradRaises(CorrectSoftmaxCE):
        name = "foreign:grad-raises"

        def grad(self, W, X, Y):
            raise RuntimeError("not written yet")

    results = [run(c, GradRaises()) for c in ("impl.gradient", "impl.shift_invariance", "impl.loss_value")]
    messages = failure_report(results)
    assert messages[0].startswith("one counterexample fails 2 claims of [foreign:grad-raises]")
    assert "RuntimeError: not written yet" in messages[1]
    assert sum("counterexample: {" in m or "counterexample (not found by search" in m for m in messages) == 0
    assert len(messages) == 3  # the header and the two claims; loss_value holds


def test_the_user_domain_has_entries_of_ordinary_size():
    """Every entry is 0 or of magnitude in [2^-20, 1] before scaling; |W| <= 1e6 after (docs: the input domain)."""
    from hypothesis import given

    @settings(CI, max_examples=60)
    @given(problems(domain=USER_DOMAIN, logit_scales=(1e-8, 1.0, 1e3, 1e4)))
    def drawn(pb):
        for A in (pb.X, pb.V):
            nonzero = np.abs(A[A != 0])
            assert np.all((nonzero >= USER_DOMAIN.entry_min) & (nonzero <= 1.0))
        assert np.max(np.abs(pb.W)) <= USER_DOMAIN.w_max

    drawn()

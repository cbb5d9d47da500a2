"""The three implementations agree with each other on drawn problems (issue: foundation)."""

import numpy as np
import pytest
from hypothesis import given

import impls
from verify.harness.strategies import problems
from verify.numerics.rounding import agreement_tolerances, eps

QUANTITIES = ("probs", "loss", "grad", "hessian", "hvp")


def evaluate(ce, pb, quantity, weighted):
    sw = pb.sample_weight if weighted else None
    if quantity == "probs":
        return ce.probs(pb.W, pb.X)
    if quantity == "hvp":
        return ce.hvp(pb.W, pb.X, pb.Y, pb.V, sample_weight=sw)
    return getattr(ce, quantity)(pb.W, pb.X, pb.Y, sample_weight=sw)


def assert_agree(a, b, pb, dtype, label):
    tol = agreement_tolerances(pb.X, pb.W, pb.Y, dtype, V=pb.V)
    for q in QUANTITIES:
        x = np.asarray(evaluate(a, pb, q, pb.tags["weighted"]), dtype=np.float64)
        y = np.asarray(evaluate(b, pb, q, pb.tags["weighted"]), dtype=np.float64)
        assert x.shape == y.shape, f"{label}: {q} shapes differ: {x.shape} vs {y.shape}"
        err = float(np.max(np.abs(x - y)))
        assert err <= tol[q], f"{label}: {q} differs by {err:.3e} > tolerance {tol[q]:.3e}"


@given(problems(max_N=6, max_D=4, max_K=5, weighted=None))
def test_loops_and_numpy_agree(pb):
    """loops and numpy agree on probs, loss, grad, hessian and hvp (logits up to 1e3)."""
    assert_agree(impls.get("loops"), impls.get("numpy"), pb, np.float64, "loops vs numpy")


SYMPY = impls.get("sympy")  # one instance, so compiled shapes are cached across examples


@given(problems(max_N=2, max_D=2, max_K=3, weighted=None))
def test_sympy_and_numpy_agree(pb):
    """The lambdified SymPy derivatives agree with numpy (small shapes, logits up to 1e3)."""
    assert_agree(SYMPY, impls.get("numpy"), pb, np.float64, "sympy vs numpy")


@given(problems(dtype=np.float32, max_N=6, max_D=4, max_K=5, weighted=None))
def test_numpy_float32_agrees_with_float64(pb):
    """float32 results equal the float64 ones of the same (exactly upcast) problem, to float32 accuracy."""
    ce = impls.get("numpy")
    pb64 = pb.astype(np.float64)
    tol = agreement_tolerances(pb.X, pb.W, pb.Y, np.float32, V=pb.V)
    for q in QUANTITIES:
        r32 = evaluate(ce, pb, q, pb.tags["weighted"])
        r64 = evaluate(ce, pb64, q, pb.tags["weighted"])
        assert np.asarray(r32).dtype == np.float32, f"{q} was not computed in float32"
        err = float(np.max(np.abs(np.asarray(r32, dtype=np.float64) - r64)))
        assert err <= tol[q], f"float32 {q} differs from float64 by {err:.3e} > {tol[q]:.3e}"


@pytest.mark.parametrize("name", impls.names())
def test_hvp_equals_hessian_times_vector(name):
    """hvp(V) is the Hessian applied to V.ravel() in C order, reshaped to (D, K)."""
    rng = np.random.default_rng(0)
    # N*D*K = 12: within every implementation's declared max_hessian_size (sympy refuses beyond it).
    X, W, V = rng.normal(size=(2, 2)), rng.normal(size=(2, 3)), rng.normal(size=(2, 3))
    Y = rng.dirichlet(np.ones(3), size=2)
    ce = impls.get(name)
    H = ce.hessian(W, X, Y)
    np.testing.assert_allclose(ce.hvp(W, X, Y, V), (H @ V.ravel()).reshape(V.shape), rtol=0, atol=64 * eps(np.float64))


@pytest.mark.parametrize("name", impls.names())
def test_loss_grad_is_loss_and_grad(name):
    """loss_grad returns exactly what loss and grad return separately."""
    rng = np.random.default_rng(1)
    X, W = rng.normal(size=(4, 2)), rng.normal(size=(2, 3))
    Y = impls.one_hot([0, 2, 1, 2], 3)
    ce = impls.get(name)
    value, G = ce.loss_grad(W, X, Y)
    assert float(value) == pytest.approx(float(ce.loss(W, X, Y)), rel=0, abs=4 * eps(np.float64))
    np.testing.assert_allclose(G, ce.grad(W, X, Y), rtol=0, atol=4 * eps(np.float64))


@pytest.mark.parametrize("name", impls.names())
def test_unit_sample_weights_equal_unweighted(name):
    """Sample weights of all ones give the plain mean; scaling all weights changes nothing."""
    rng = np.random.default_rng(2)
    X, W = rng.normal(size=(3, 2)), rng.normal(size=(2, 2))
    Y = rng.dirichlet(np.ones(2), size=3)
    ce = impls.get(name)
    base = ce.grad(W, X, Y)
    np.testing.assert_allclose(ce.grad(W, X, Y, sample_weight=np.ones(3)), base, rtol=0, atol=8 * eps(np.float64))
    np.testing.assert_allclose(ce.grad(W, X, Y, sample_weight=np.full(3, 7.0)), base, rtol=0, atol=8 * eps(np.float64))


def test_numpy_blocks_do_not_change_results():
    """Processing samples in blocks of any size gives the same loss, gradient, Hessian and hvp."""
    rng = np.random.default_rng(3)
    X, W, V = rng.normal(size=(37, 3)), rng.normal(size=(3, 4)), rng.normal(size=(3, 4))
    Y = rng.dirichlet(np.ones(4), size=37)
    whole = impls.NumpySoftmaxCE(block_elements=10**9)
    tol = agreement_tolerances(X, W, Y, np.float64, V=V)
    for block in (1, 5, 64):
        blocked = impls.NumpySoftmaxCE(block_elements=block)
        assert abs(blocked.loss(W, X, Y) - whole.loss(W, X, Y)) <= tol["loss"]
        assert np.max(np.abs(blocked.grad(W, X, Y) - whole.grad(W, X, Y))) <= tol["grad"]
        assert np.max(np.abs(blocked.hessian(W, X, Y) - whole.hessian(W, X, Y))) <= tol["hessian"]
        assert np.max(np.abs(blocked.hvp(W, X, Y, V) - whole.hvp(W, X, Y, V))) <= tol["hvp"]

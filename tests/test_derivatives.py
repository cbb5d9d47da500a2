"""Tests of the derivative checkers in ``verify.numerics.derivatives``.

The checkers are tested on functions whose derivatives are known in closed
form (a quadratic, an exponential sum), then on the numpy implementation: a
correct derivative must pass, and derivatives with the usual bugs (a small
scale error, a missing 1/N, Fortran-order flattening) must fail with
``max_abs_error > tolerance``, so that the checkers are shown able to fail.
"""

from __future__ import annotations

import json

import numpy as np
import pytest

import impls
from verify.numerics import differences as tol
from verify.numerics.derivatives import (
    METHODS,
    DerivativeCheck,
    approx_gradient,
    approx_jacobian,
    central_difference_step,
    check_directional_gradient,
    check_gradient,
    check_hessian,
    check_hvp_against_hessian,
    check_hvp_directional,
    complex_step_gradient,
    directions,
    richardson_step,
)

DTYPES = [np.float64, np.float32]
N, D, K = 12, 3, 4


@pytest.fixture
def rng():
    return np.random.default_rng(20240917)


def every_checker(fns, W, V, method):
    """The five checkers, on a function's ``loss``, ``grad``, ``hessian`` and ``hvp`` at W along V."""
    return [
        check_gradient(fns["loss"], fns["grad"], W, method=method),
        check_hessian(fns["grad"], fns["hessian"], W, method=method),
        check_directional_gradient(fns["loss"], fns["grad"], W, V, method=method),
        check_hvp_directional(fns["grad"], fns["hvp"], W, V, method=method),
        check_hvp_against_hessian(fns["hessian"], fns["hvp"], W, V),
    ]


def ce_problem(rng, dtype=np.float64):
    """A softmax cross-entropy problem in the given dtype and the numpy implementation's callables."""
    X = rng.normal(size=(N, D)).astype(dtype)
    W = rng.normal(size=(D, K)).astype(dtype)
    Y = rng.dirichlet(np.ones(K), size=N).astype(dtype)
    ce = impls.get("numpy")
    fns = {
        "loss": lambda W: ce.loss(W, X, Y),
        "grad": lambda W: ce.grad(W, X, Y),
        "hessian": lambda W: ce.hessian(W, X, Y),
        "hvp": lambda W, V: ce.hvp(W, X, Y, V),
    }
    return W, fns


def quadratic(rng, M=5):
    """f(W) = 0.5 ||A W||_F^2: gradient A^T A W, Hessian kron(A^T A, I_K) in C order."""
    A = rng.normal(size=(M, D))
    AtA = A.T @ A
    return {
        "loss": lambda W: 0.5 * np.sum((A @ W) ** 2),
        "grad": lambda W: AtA @ W,
        "hessian": lambda W: np.kron(AtA, np.eye(K)),
        "hvp": lambda W, V: AtA @ V,
    }


# exp-sum: f(W) = sum exp(c * W), smooth with growing higher derivatives
# (the n-th is c**n exp(c W)), so truncation errors are visible.
EXP_C = 3.0


def exp_sum(W):
    return np.sum(np.exp(EXP_C * W))


def exp_sum_grad(W):
    return EXP_C * np.exp(EXP_C * W)


# ---------------------------------------------------------------- steps


@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: np.dtype(d).name)
@pytest.mark.parametrize("step_fn, rel", [(central_difference_step, "central"), (richardson_step, "richardson")])
def test_step_follows_rule_and_is_exact(dtype, step_fn, rel):
    """Steps are factor * max(1, |x|) up to one spacing at |x|, and x +- h is exactly representable."""
    x = np.array([0.0, 1e-3, -0.7, 1.0, 1.9999999, -3.3, 1234.5678, -1e6], dtype=dtype)
    h = step_fn(x)
    eps = np.finfo(dtype).eps
    factor = tol.central_step_factor(eps) if rel == "central" else tol.richardson_step_factor(eps)
    nominal = factor * np.maximum(1.0, np.abs(x.astype(np.float64)))
    assert h.dtype == x.dtype
    # Rounding x + h to the grid around x moves the step by at most one spacing there.
    assert np.all(np.abs(h - nominal) <= eps * np.maximum(1.0, np.abs(x.astype(np.float64))))
    np.testing.assert_array_equal((x + h) - x, h)
    np.testing.assert_array_equal(x - (x - h), h)


def test_central_step_size_float64():
    """The float64 central step at |x| <= 1 is (3 eps)^(1/3) ~ 8.7e-6."""
    assert central_difference_step(np.array([0.5]))[0] == pytest.approx((3 * np.finfo(float).eps) ** (1 / 3), rel=1e-12)


# ---------------------------------------------------------------- approximations on known functions


@pytest.mark.parametrize("method", METHODS)
def test_approx_gradient_quadratic_within_estimate(rng, method):
    """On a quadratic the numerical gradient is within its own error estimate of the exact one."""
    f = quadratic(rng)
    W = rng.normal(size=(D, K))
    G, err = approx_gradient(f["loss"], W, method=method)
    assert G.shape == err.shape == (D, K)
    assert np.all(np.abs(G - f["grad"](W)) <= err)


def test_approx_jacobian_layout(rng):
    """The Jacobian of W -> B W is kron(B, I_K): rows index outputs, columns inputs, C order."""
    B = rng.normal(size=(D, D))  # not symmetric, so a transposed layout would show
    W = rng.normal(size=(D, K))
    J, err = approx_jacobian(lambda W: B @ W, W)
    assert J.shape == err.shape == (D * K, D * K)
    np.testing.assert_allclose(J, np.kron(B, np.eye(K)), rtol=0, atol=float(np.max(err)))
    assert not np.allclose(J, np.kron(B.T, np.eye(K)), rtol=0, atol=1e-3)


def test_complex_step_exact_to_rounding(rng):
    """The complex-step gradient of exp-sum agrees with the exact gradient to a few ulps."""
    W = rng.normal(size=(D, K))
    G, err = complex_step_gradient(exp_sum, W)
    exact = exp_sum_grad(W)
    assert np.max(np.abs(G - exact)) <= 4 * np.finfo(float).eps * np.max(np.abs(exact))
    assert np.max(err) <= 4 * np.finfo(float).eps * np.max(np.abs(exact))


def test_complex_step_refuses_real_only_implementation(rng):
    """An implementation that rejects complex W (TypeError) gets a clear TypeError from the complex step."""
    W, fns = ce_problem(rng)
    with pytest.raises(TypeError, match="does not accept complex input"):
        complex_step_gradient(fns["loss"], W)
    with pytest.raises(TypeError, match="does not accept complex input"):
        check_gradient(fns["loss"], fns["grad"], W, method="complex-step")


def test_complex_step_refuses_function_dropping_imaginary_part(rng):
    """A function that silently returns a real value for complex input is refused, not read as gradient 0."""
    W = rng.normal(size=(D, K))
    with pytest.raises(TypeError, match="returned a real value"):
        complex_step_gradient(lambda W: float(np.real(np.sum(W**2))), W)


def test_accuracy_ladder_on_smooth_function(rng):
    """Method ladder on exp-sum: complex step < Richardson < central, each below its documented accuracy.

    Central differences are accurate to ~eps^(2/3) (1e-11 relative at unit
    scale; more here, where the n-th derivative grows as 3**n), Richardson to
    ~eps^(4/5), the complex step to rounding. The worst relative errors over 100
    random points were 1.4e-10, 5.8e-12 and 2.2e-16; the thresholds are 5-10x
    those, so that a change that loses accuracy fails even when it still "works".
    """
    W = 0.3 * rng.normal(size=(D, K))
    exact = exp_sum_grad(W)
    scale = np.max(np.abs(exact))
    errors = {}
    for method in METHODS:
        G, _ = approx_gradient(exp_sum, W, method=method)
        errors[method] = np.max(np.abs(G - exact)) / scale
    G, _ = complex_step_gradient(exp_sum, W)
    errors["complex-step"] = np.max(np.abs(G - exact)) / scale
    assert errors["complex-step"] < errors["richardson"] < errors["central"]
    assert errors["central"] < 1e-9
    assert errors["richardson"] < 5e-11
    assert errors["complex-step"] < 2e-15


def test_richardson_tolerance_tighter_than_central(rng):
    """On a smooth float64 problem the Richardson check holds the gradient to a tighter tolerance."""
    W, fns = ce_problem(rng)
    central = check_gradient(fns["loss"], fns["grad"], W, method="central")
    richardson = check_gradient(fns["loss"], fns["grad"], W, method="richardson")
    # Median ratio ~100 over random problems; ~2 where |W| is large (Richardson step pre-asymptotic).
    assert richardson.tolerance < central.tolerance / 2


# ---------------------------------------------------------------- checkers on known functions


@pytest.mark.parametrize("method", METHODS)
def test_checkers_pass_on_quadratic(rng, method):
    """Every checker passes the exact derivatives of the quadratic."""
    f = quadratic(rng)
    W = rng.normal(size=(D, K))
    V = directions(W.shape, rng)
    for check in every_checker(f, W, V, method):
        assert check.passed, check


def test_complex_step_check_passes_and_fails(rng):
    """The complex-step check passes exp-sum's gradient and fails it scaled by 1 + 1e-8."""
    W = rng.normal(size=(D, K))
    good = check_gradient(exp_sum, exp_sum_grad, W, method="complex-step")
    bad = check_gradient(exp_sum, lambda W: (1 + 1e-8) * exp_sum_grad(W), W, method="complex-step")
    assert good.passed and good.method == "complex-step"
    assert not bad.passed and bad.max_abs_error > bad.tolerance


# ---------------------------------------------------------------- checkers on the numpy implementation


@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: np.dtype(d).name)
@pytest.mark.parametrize("method", METHODS)
def test_numpy_impl_derivatives_pass(rng, dtype, method):
    """The numpy implementation's gradient, Hessian and hvp pass every checker."""
    W, fns = ce_problem(rng, dtype)
    V = directions(W.shape, rng, dtype=dtype)
    for check in every_checker(fns, W, V, method):
        assert check.passed, check


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize(
    "bug, wrong_grad",
    [
        ("scaled by 1.01", lambda g, W: 1.01 * g(W)),
        ("missing 1/N", lambda g, W: N * g(W)),
        ("sign flipped", lambda g, W: -g(W)),
    ],
    ids=lambda v: v if isinstance(v, str) else "",
)
def test_wrong_gradient_fails(rng, method, bug, wrong_grad):
    """A wrong gradient fails both the full and the directional check, with the error above tolerance."""
    W, fns = ce_problem(rng)
    V = directions(W.shape, rng)
    grad = lambda W: wrong_grad(fns["grad"], W)  # noqa: E731
    for check in (
        check_gradient(fns["loss"], grad, W, method=method),
        check_directional_gradient(fns["loss"], grad, W, V, method=method),
    ):
        assert not check.passed, (bug, check)
        assert check.max_abs_error > check.tolerance


def fortran_order(H):
    """The Hessian re-indexed to W.ravel(order="F") (index k*D + d): the classic layout bug."""
    return H.reshape(D, K, D, K).transpose(1, 0, 3, 2).reshape(D * K, D * K)


@pytest.mark.parametrize("method", METHODS)
def test_fortran_order_hessian_fails(rng, method):
    """A Hessian flattened in Fortran order fails the check (it is symmetric, so only the layout is wrong)."""
    W, fns = ce_problem(rng)
    check = check_hessian(fns["grad"], lambda W: fortran_order(fns["hessian"](W)), W, method=method)
    assert not check.passed and check.max_abs_error > check.tolerance
    assert check.worst_index is not None and len(check.worst_index) == 2


def test_wrong_hvp_fails(rng):
    """An hvp taken with the Fortran-order Hessian, or scaled by 1.01, fails both hvp checks."""
    W, fns = ce_problem(rng)
    V = directions(W.shape, rng)
    wrong = {
        "fortran": lambda W, V: (fortran_order(fns["hessian"](W)) @ V.ravel()).reshape(W.shape),
        "scaled": lambda W, V: 1.01 * fns["hvp"](W, V),
    }
    for name, hvp in wrong.items():
        for check in (
            check_hvp_against_hessian(fns["hessian"], hvp, W, V),
            check_hvp_directional(fns["grad"], hvp, W, V),
        ):
            assert not check.passed, (name, check)
            assert check.max_abs_error > check.tolerance


def test_float32_tolerance_larger_than_float64(rng):
    """A float32 check runs, passes, and is held to a larger tolerance than the same float64 check."""
    W, fns64 = ce_problem(np.random.default_rng(7), np.float64)
    W32, fns32 = ce_problem(np.random.default_rng(7), np.float32)
    for method in METHODS:
        c64 = check_gradient(fns64["loss"], fns64["grad"], W, method=method)
        c32 = check_gradient(fns32["loss"], fns32["grad"], W32, method=method)
        assert c32.passed and c64.passed
        assert c32.tolerance > 100 * c64.tolerance
        assert c32.step > c64.step


# ---------------------------------------------------------------- the result object and helpers


def test_check_result_is_plain_data(rng):
    """to_dict gives JSON-ready plain values, and passed is max_abs_error <= tolerance."""
    W, fns = ce_problem(rng)
    check = check_hessian(fns["grad"], fns["hessian"], W)
    data = check.to_dict()
    assert json.loads(json.dumps(data)) == data
    assert data["quantity"] == "hessian" and data["method"] == "central"
    assert isinstance(data["worst_index"], list) and len(data["worst_index"]) == 2
    assert data["passed"] is check.passed is (check.max_abs_error <= check.tolerance)
    assert check.max_rel_error == pytest.approx(check.max_abs_error / check.scale)
    with pytest.raises(AttributeError):
        check.tolerance = 1.0  # frozen


def test_directional_check_is_scalar(rng):
    """The directional gradient check compares one number and reports no index."""
    W, fns = ce_problem(rng)
    check = check_directional_gradient(fns["loss"], fns["grad"], W, directions(W.shape, rng))
    assert isinstance(check, DerivativeCheck)
    assert check.worst_index is None and check.to_dict()["worst_index"] is None


def test_directions_unit_norm_and_reproducible():
    """directions gives a unit Frobenius-norm array of the shape asked, the same for the same seed."""
    V = directions((D, K), 3)
    assert V.shape == (D, K) and V.dtype == np.float64
    assert np.linalg.norm(V) == pytest.approx(1.0, rel=1e-15)
    np.testing.assert_array_equal(V, directions((D, K), 3))
    assert directions((D, K), 3, dtype=np.float32).dtype == np.float32


def test_bad_arguments_are_refused(rng):
    """Unknown methods, integer points and mis-shaped results get clear errors."""
    f = quadratic(rng)
    W = rng.normal(size=(D, K))
    with pytest.raises(ValueError, match="method"):
        check_gradient(f["loss"], f["grad"], W, method="forward")
    with pytest.raises(TypeError, match="W: expected a real floating array"):
        check_gradient(f["loss"], f["grad"], np.ones((D, K), dtype=int))
    with pytest.raises(ValueError, match="grad_fn"):
        check_gradient(f["loss"], lambda W: f["grad"](W).T, W)
    with pytest.raises(ValueError, match="hess_fn"):
        check_hessian(f["grad"], lambda W: f["hessian"](W).reshape(D, K, D, K), W)
    with pytest.raises(ValueError, match="step"):
        approx_gradient(f["loss"], W, step=0.0)

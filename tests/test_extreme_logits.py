"""At logits of magnitude 1e4 every implementation returns finite values equal to the analytic limits, silently."""

import warnings

import numpy as np
import pytest

import impls

BIG = 1e4

# (name, W, X, Y, expected loss, expected probabilities) with Z = X W; the
# limits drop terms below exp(-1e4), which are exactly 0 in any float format.
CASES = [
    ("confident-right", [[BIG, -BIG]], [[1.0]], [[1.0, 0.0]], 0.0, [[1.0, 0.0]]),
    ("confident-wrong", [[BIG, -BIG]], [[1.0]], [[0.0, 1.0]], 2 * BIG, [[1.0, 0.0]]),
    ("soft-target", [[BIG, -BIG]], [[1.0]], [[0.5, 0.5]], BIG, [[1.0, 0.0]]),
    ("tie-at-the-top", [[BIG, BIG, -BIG]], [[1.0]], [[1.0, 0.0, 0.0]], np.log(2), [[0.5, 0.5, 0.0]]),
    ("negative-logits", [[-BIG, -2 * BIG, -3 * BIG]], [[1.0], [0.5]], [[0.0, 0.0, 1.0], [1.0, 0.0, 0.0]], (2 * BIG + 0.0) / 2, [[1, 0, 0], [1, 0, 0]]),
]


def analytic(W, X, Y, P):
    """Gradient X^T (P - Y)/N and Hessian (1/N) sum kron(x x^T, diag p - p p^T) from the limit probabilities."""
    N = X.shape[0]
    G = X.T @ (P - Y) / N
    H = sum(np.kron(np.outer(x, x), np.diag(p) - np.outer(p, p)) for x, p in zip(X, P)) / N
    return G, H


def implementations():
    for name in impls.names():
        ce = impls.get(name)
        for dtype in impls.capabilities_of(ce).dtypes:
            yield pytest.param(ce, np.dtype(dtype), id=f"{name}-{np.dtype(dtype).name}")


@pytest.mark.parametrize("ce, dtype", list(implementations()))
@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_extreme_logits_give_analytic_limits(ce, dtype, case):
    """probs, loss, grad, hessian and hvp at |z| = 1e4: finite, equal to the limits, no floating-point warnings."""
    _, W, X, Y, loss, P = case
    W, X, Y, P = (np.asarray(a, dtype=dtype) for a in (W, X, Y, P))
    V = np.ones_like(W)
    G, H = analytic(W.astype(np.float64), X.astype(np.float64), Y.astype(np.float64), P.astype(np.float64))
    # Only rounding of O(1) quantities remains; the loss carries the rounding of a 1e4-sized logit.
    eps = np.finfo(dtype).eps
    with warnings.catch_warnings(), np.errstate(over="raise", invalid="raise", divide="raise"):
        warnings.simplefilter("error")
        got = {
            "probs": ce.probs(W, X),
            "loss": ce.loss(W, X, Y),
            "grad": ce.grad(W, X, Y),
            "hessian": ce.hessian(W, X, Y),
            "hvp": ce.hvp(W, X, Y, V),
        }
    expected = {"probs": P, "loss": loss, "grad": G, "hessian": H, "hvp": (H @ V.ravel().astype(np.float64)).reshape(V.shape)}
    for q, value in got.items():
        value = np.asarray(value, dtype=np.float64)
        assert np.all(np.isfinite(value)), f"{q} is not finite: {value}"
        atol = 8 * eps * (1 + (3 * BIG if q == "loss" else 0))
        np.testing.assert_allclose(value, expected[q], rtol=0, atol=atol, err_msg=q)


def test_high_precision_reference_at_logits_beyond_its_digits():
    """The mpmath reference that confirms counterexamples, at logits far beyond its 50 digits: z = (2e400, 2e400,
    -2e400) gives (1/2, 1/2, 0) (it gave (0, 1, 1): m + log(sum) kept nothing of the log), z_1 = 1e100 + 1 - 1e100
    is 1 (exact logits), and the Hessian of p = (1 - e^-700, e^-700) keeps its 1e-304 (1 - p_k as the others' sum)."""
    from verify.numerics import precision

    P = precision.as_float(precision.probs(np.array([[1e200, 1e200, -1e200]]), np.array([[2e200]])))
    np.testing.assert_array_equal(P, [[0.5, 0.5, 0.0]])
    P = precision.as_float(precision.probs(np.array([[1e100, 0.0], [1.0, 0.0], [-1e100, 0.0]]), np.array([[1.0, 1.0, 1.0]])))
    np.testing.assert_allclose(P, [[1 / (1 + np.exp(-1.0)), 1 / (1 + np.exp(1.0))]], rtol=4 * np.finfo(float).eps)
    H = precision.as_float(precision.hessian(np.array([[700.0, 0.0]]), np.array([[1.0]])))
    p = np.exp(-700.0)  # p_2 = e^-700 / (1 + e^-700) and p_1 p_2 agree with e^-700 to 1e-304 relative
    np.testing.assert_allclose(H, [[p, -p], [-p, p]], rtol=4 * np.finfo(float).eps)


# A saturated row: z = (0, g), where p_1 = 1 - p_0 rounds to 1 (p_0 = e^-g below eps). p_1 - p_1^2 and
# u_1 - <p, u> then cancel to 0 beside the off-diagonal -p_0 p_1 (before this test: loops and SymPy gave the
# Hessian [[a, -a], [-a, 0]], neither symmetric nor PSD, and all three the hvp (-a, 0) for V = (0, 1)).
SATURATED_GAP = {np.dtype(np.float64): 40.0, np.dtype(np.float32): 20.0}


@pytest.mark.parametrize("ce, dtype", list(implementations()))
def test_a_saturated_row_keeps_the_hessians_small_entries(ce, dtype):
    g = SATURATED_GAP[dtype]
    W, X, Y = np.array([[0.0, 1.0]], dtype), np.array([[g]], dtype), np.array([[0.0, 1.0]], dtype)
    p0 = np.exp(-g) / (1 + np.exp(-g))
    a = g * g * p0 * (1 - p0)  # x^2 p_0 p_1, in float64
    # A dozen roundings (exp, the row sum, the products) in the stable forms; the cancellation gives error 1.
    rtol = 32 * float(np.finfo(dtype).eps)
    H = ce.hessian(W, X, Y)
    np.testing.assert_allclose(H, a * np.array([[1.0, -1.0], [-1.0, 1.0]]), rtol=rtol, atol=0)
    assert np.array_equal(H, H.T)
    for V, direction in (([[1.0, 0.0]], [1.0, -1.0]), ([[0.0, 1.0]], [-1.0, 1.0])):
        np.testing.assert_allclose(ce.hvp(W, X, Y, np.array(V, dtype)), a * np.array([direction]), rtol=rtol, atol=0)

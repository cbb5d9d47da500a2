"""The SymPy implementation, exactly: its derivatives equal the closed forms (P1-1, P1-2 in exact form)."""

import numpy as np
import pytest
import sympy as sp

import impls

SHAPES = [(1, 2, 3), (2, 2, 3)]


def symbolic_problem(N, D, K):
    """Symbolic W, X, V and targets whose rows sum to 1 by construction (y_nK = 1 - sum of the others)."""
    W = sp.Matrix(D, K, lambda d, k: sp.Symbol(f"w{d}{k}", real=True))
    X = sp.Matrix(N, D, lambda n, d: sp.Symbol(f"x{n}{d}", real=True))
    V = sp.Matrix(D, K, lambda d, k: sp.Symbol(f"v{d}{k}", real=True))
    t = [[sp.Symbol(f"t{n}{k}", real=True) for k in range(K - 1)] for n in range(N)]
    Y = sp.Matrix(N, K, lambda n, k: t[n][k] if k < K - 1 else 1 - sum(t[n]))
    return W, X, Y, V


def rational_problem(N, D, K, seed):
    rng = np.random.default_rng(seed)
    W = sp.Matrix(D, K, lambda d, k: sp.Rational(int(rng.integers(-9, 10)), int(rng.integers(1, 5))))
    X = sp.Matrix(N, D, lambda n, d: sp.Rational(int(rng.integers(-9, 10)), int(rng.integers(1, 5))))
    V = sp.Matrix(D, K, lambda d, k: sp.Rational(int(rng.integers(-9, 10)), int(rng.integers(1, 5))))
    counts = rng.integers(0, 5, size=(N, K)) + np.eye(N, K, dtype=int)  # every row has a positive entry
    Y = sp.Matrix(N, K, lambda n, k: sp.Rational(int(counts[n, k]), int(counts[n].sum())))
    return W, X, Y, V


def closed_forms(W, X, Y, V, E=None):
    """X^T (P - Y) / N, (1/N) sum_i kron(x_i x_i^T, diag(p_i) - p_i p_i^T), and the mean variance form.

    ``P`` is the softmax of ``E``, the matrix of exponentials ``exp(X W)`` unless given.
    """
    N, K = Y.shape
    if E is None:
        Z = X * W
        E = Z.applyfunc(sp.exp)
    P = sp.Matrix(N, K, lambda n, k: E[n, k] / sum(E[n, j] for j in range(K)))
    G = X.T * (P - Y) / N
    H = sp.zeros(W.rows * K, W.rows * K)
    variance = 0
    for n in range(N):
        x, p = X[n, :].T, P[n, :].T
        H += sp.kronecker_product(x * x.T, sp.diag(*p) - p * p.T)
        u = (x.T * V).T  # u_k = (x_n^T V)_k
        mean = sum(p[k] * u[k] for k in range(K))
        variance += sum(p[k] * (u[k] - mean) ** 2 for k in range(K))
    return G, H / N, variance / N


def as_objects(M):
    return np.array(M.tolist(), dtype=object)


def is_zero_cheaply(expr) -> bool:
    """True when exact rewriting (exp(a + b) = exp(a) exp(b), one fraction, expanded numerator) gives 0.

    Each step is an identity, so True proves the expression is 0; False
    proves nothing, and the caller falls back to ``sp.simplify``.
    """
    numerator, _ = sp.fraction(sp.together(sp.expand_power_exp(expr)))
    return sp.expand(numerator, power_exp=True) == 0


def assert_zero(M, what):
    residual = sp.Matrix(M).applyfunc(lambda e: 0 if is_zero_cheaply(e) else sp.simplify(e))
    assert residual.is_zero_matrix, f"{what}: residual does not simplify to zero: {residual}"


@pytest.mark.parametrize("kind", ["symbolic", "rational"])
@pytest.mark.parametrize("shape", SHAPES, ids=lambda s: "NDK=%d%d%d" % s)
def test_sympy_gradient_hessian_and_variance_form_are_exact(shape, kind):
    """SymPy's gradient and Hessian equal the closed forms exactly, and V^T H V is the mean variance of x_i^T V under p_i."""
    W, X, Y, V = symbolic_problem(*shape) if kind == "symbolic" else rational_problem(*shape, seed=sum(shape))
    ce = impls.get("sympy")
    G = sp.Matrix(ce.grad(as_objects(W), as_objects(X), as_objects(Y)))
    H = sp.Matrix(ce.hessian(as_objects(W), as_objects(X), as_objects(Y)))
    G0, H0, variance = closed_forms(W, X, Y, V)
    assert_zero(G - G0, "gradient - X^T (P - Y) / N")
    assert_zero(H - H0, "Hessian - (1/N) sum kron(x x^T, diag(p) - p p^T)")
    # V^T H V is the mean variance. H = H0 holds exactly (above), and H0 and
    # the variance depend on the logits only through the exponentials
    # exp(z_nk); the identity is checked with positive symbols q_nk in their
    # place, an identity of rational functions that one expanded numerator
    # decides in a few seconds. sp.simplify on the exp form took 15 to 30 s at (2, 2, 3).
    N, K = Y.shape
    q = sp.Matrix(N, K, lambda n, k: sp.Symbol(f"q{n}{k}", positive=True))
    _, Hq, variance_q = closed_forms(W, X, Y, V, E=q)
    v = sp.Matrix(list(V))  # W.ravel() order: index d*K + k
    assert is_zero_cheaply((v.T * Hq * v)[0, 0] - variance_q), "V^T H V - mean variance: the residual is not 0"


def test_sympy_exact_results_are_exact_numbers():
    """Rational inputs give exact SymPy expressions (no floats), here a loss of exactly log 2 at W = 0, K = 2."""
    ce = impls.get("sympy")
    W = np.array([[0, 0]], dtype=object)
    X = np.array([[sp.Rational(3, 7)]], dtype=object)
    Y = np.array([[sp.Rational(1, 3), sp.Rational(2, 3)]], dtype=object)
    value = ce.loss(W, X, Y)
    assert isinstance(value, sp.Basic) and not value.has(sp.Float)
    assert sp.simplify(value - sp.log(2)) == 0
    G = ce.grad(W, X, Y)
    assert sp.simplify(G[0, 0] - sp.Rational(3, 7) * (sp.Rational(1, 2) - sp.Rational(1, 3))) == 0


def test_sympy_float_loss_is_the_rounded_exact_value_under_cancellation():
    """z_1 = 1e100 + 1 - 1e100 = 1 exactly, but 1e100 + 1 is 1e100 at 40 and at 80 digits: both precisions gave
    z_1 = 0 and the loss log 2, and agreeing, passed the old two-precision test. The exact loss is log(1 + e^-1)
    (z = (1, 0), y = (1, 0)); interval arithmetic sees the cancellation and rises to the digits that pin it."""
    import mpmath

    X = np.array([[1.0, 1.0, 1.0]])
    W = np.array([[1e100, 0.0], [1.0, 0.0], [-1e100, 0.0]])
    Y = np.array([[1.0, 0.0]])
    with mpmath.workdps(50):
        exact = float(mpmath.log1p(mpmath.exp(-1)))
    assert impls.get("sympy").loss(W, X, Y) == exact  # correctly rounded: equal, not close

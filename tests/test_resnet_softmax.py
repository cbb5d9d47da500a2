"""The ResNet-softmax family (impls.resnet_softmax) and its approximate Newton method (verify.catalog.song2023.newton).

The paper's helpers used here live beside its claims: the exact SymPy model in
``verify.catalog.song2023.symbolic``, the problems in ``...problems``, the
Gauss-Newton split in ``...formulas`` and the Newton examples in ``...experiments``.
"""

import math
import re

import numpy as np
import pytest
import sympy as sp

from impls import resnet_softmax
from impls.resnet_softmax import LossUndefinedError
from verify.catalog.song2023 import experiments, symbolic
from verify.catalog.song2023 import tolerances as tol
from verify.catalog.song2023.formulas import gauss_newton_split
from verify.catalog.song2023.newton import (
    approximate_newton,
    generalized_eigenvalues,
    sampling_rate,
    sparsify_diagonal,
)
from verify.catalog.song2023.problems import ResNetProblem, solve_first_coordinate
from verify.numerics.blas import single_threaded_blas

IMPLS = {name: resnet_softmax.get(name) for name in resnet_softmax.names()}


@pytest.fixture(autouse=True, scope="module")
def one_blas_thread():
    """Small and thin matrices only: OpenBLAS threads just spin, and on a busy machine slow everything (see verify.numerics.blas)."""
    with single_threaded_blas():
        yield
NAMES = list(IMPLS)
METHODS_WITH_B = ["loss", "grad", "hessian", "B", "B_rank", "B_diag", "low_rank_factors"]
METHODS_WITH_W = ["loss", "grad", "hessian"]


def call(rs, method, x, A, b=None, w=None):
    if method in ("alpha", "f"):
        return getattr(rs, method)(x, A)
    if method in METHODS_WITH_W:
        return getattr(rs, method)(x, A, b, w)
    return getattr(rs, method)(x, A, b)


def problem(n, d, seed, radius=0.8, weighted=True):
    rng = np.random.default_rng(seed)
    A = rng.normal(size=(n, d))
    A *= radius / np.linalg.norm(A, 2)
    x = rng.normal(size=d)
    x *= radius * rng.random() / np.linalg.norm(x)
    b = rng.normal(size=n)
    b /= max(1.0, np.linalg.norm(b))
    w = rng.uniform(0, 2, size=n) if weighted else None
    return x, A, b, w


SHAPES = [(1, 1), (1, 3), (2, 2), (3, 1), (3, 4)]
LARGE_SHAPES = [(6, 3), (8, 4)]  # loops and numpy only (sympy declares max_n = 8, but its first call is slow)


def as_floats(value):
    if isinstance(value, tuple):
        return [np.asarray(v, dtype=np.float64) for v in value]
    return [np.asarray(value, dtype=np.float64)]


# --------------------------------------------------------------------------
# Registry and protocol
# --------------------------------------------------------------------------


def test_registry_names_and_protocol():
    """The registry holds the three implementations, each satisfying the protocol and declaring its capabilities."""
    assert resnet_softmax.names() == ("loops", "numpy", "sympy")
    for rs in IMPLS.values():
        assert isinstance(rs, resnet_softmax.ResNetSoftmaxRegression)
        assert isinstance(rs.capabilities, resnet_softmax.Capabilities)
    with pytest.raises(KeyError, match="no ResNet-softmax implementation called 'nope'"):
        resnet_softmax.get("nope")


# --------------------------------------------------------------------------
# Agreement
# --------------------------------------------------------------------------


@pytest.mark.parametrize("shape", SHAPES + LARGE_SHAPES, ids=lambda s: f"n{s[0]}d{s[1]}")
@pytest.mark.parametrize("method", ["alpha", "f"] + METHODS_WITH_B)
def test_implementations_agree(shape, method):
    """loops, numpy and sympy agree within the derived agreement tolerances (section Song-Wang-Yin)."""
    x, A, b, w = problem(*shape, seed=sum(shape))
    names = [n for n in NAMES if IMPLS[n].capabilities.handles(*shape) and (n != "sympy" or shape in SHAPES)]
    tols = tol.resnet_agreement_tolerances(x, A, b, w)
    key = {"low_rank_factors": None}.get(method, method)
    reference = as_floats(call(IMPLS["numpy"], method, x, A, b, w))
    for name in names:
        values = as_floats(call(IMPLS[name], method, x, A, b, w))
        for ref, val in zip(reference, values):
            assert val.shape == ref.shape, name
            if key is None:  # (gamma, h, q): compare through B_rank instead; here a relative check
                np.testing.assert_allclose(val, ref, rtol=1e-12, atol=1e-14, err_msg=name)
            else:
                np.testing.assert_array_less(np.abs(val - ref), tols[key] + 1e-300, err_msg=f"{name}.{method}")


def test_float32_is_kept_and_close_to_float64():
    """numpy computes in float32 when given float32, within the float32 error model of the float64 result."""
    x, A, b, w = problem(4, 3, seed=3)
    rs = IMPLS["numpy"]
    tols = tol.resnet_agreement_tolerances(x, A, b, w, dtype=np.float32)
    x32, A32, b32, w32 = (a.astype(np.float32) for a in (x, A, b, w))
    for method in ["alpha", "f", "loss", "grad", "hessian", "B"]:
        v32 = call(rs, method, x32, A32, b32, w32)
        v64 = call(rs, method, x, A, b, w)
        assert np.asarray(v32).dtype == np.float32, method
        np.testing.assert_array_less(np.abs(np.asarray(v32, dtype=np.float64) - v64), tols[method], err_msg=method)


def test_no_overflow_at_large_logits():
    """Large z (exp overflows float64 beyond 709) still gives finite f, loss and Hessian: everything is scaled by exp(-s)."""
    A = np.array([[1.0], [0.5], [-1.0]])
    x = np.array([800.0])
    b = np.array([1.0, 0.0, 0.0])
    for name in ("loops", "numpy", "sympy"):
        rs = IMPLS[name]
        f = rs.f(x, A)
        assert np.all(np.isfinite(f)) and f[0] == pytest.approx(1.0, abs=1e-12)
        assert np.isfinite(rs.loss(x, A, b)) and np.all(np.isfinite(rs.hessian(x, A, b)))


# --------------------------------------------------------------------------
# Validation and the undefined region
# --------------------------------------------------------------------------

X0, A0, B0, W0 = problem(3, 2, seed=11)


def expect(error, argument, problem_text):
    return pytest.raises(error, match=rf"^{re.escape(argument)}\b.*{problem_text}")


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize(
    "method, arguments, error, argument, text",
    [
        ("loss", {"x": X0[:1]}, ValueError, "x", "has 1 entries but A has d = 2"),
        ("loss", {"x": X0[None, :]}, ValueError, "x", "1-D"),
        ("grad", {"A": A0[0]}, ValueError, "A", "2-D"),
        ("hessian", {"b": B0[:2]}, ValueError, "b", r"expected shape \(n,\) = \(3,\)"),
        ("loss", {"w": W0[:2]}, ValueError, "w", r"expected shape \(n,\) = \(3,\)"),
        ("B", {"b": None}, TypeError, "b", "expected an array"),
        ("loss", {"x": np.array([1, 2])}, TypeError, "x", "integer dtype"),
        ("grad", {"A": A0.astype(np.complex128)}, TypeError, "A", "complex"),
        ("loss", {"b": np.array([np.nan, 0.0, 0.0])}, ValueError, "b", "NaN"),
        ("hessian", {"w": np.array([np.inf, 1.0, 1.0])}, ValueError, "w", "infinite"),
        ("loss", {"A": np.zeros((0, 2))}, ValueError, "A", "no rows"),
        ("f", {"A": A0.astype(np.float32)}, TypeError, "A", "dtype float32 but x has dtype float64"),
    ],
    ids=["x-length", "x-2d", "A-1d", "b-shape", "w-shape", "b-missing", "x-int", "A-complex", "b-nan", "w-inf", "A-empty", "mixed-dtype"],
)
def test_validation_errors_name_the_argument(name, method, arguments, error, argument, text):
    """Every bad input gets a TypeError / ValueError whose message starts with the argument's name."""
    args = {"x": X0, "A": A0, "b": B0, "w": W0}
    args.update(arguments)
    with expect(error, argument, text):
        call(IMPLS[name], method, args["x"], args["A"], args["b"], args["w"])


def test_float32_not_declared_by_loops_and_sympy():
    """An implementation refuses a dtype it does not declare, with a clear message."""
    for name in ("loops", "sympy"):
        with expect(TypeError, "x", "dtype float32 is not supported"):
            IMPLS[name].loss(X0.astype(np.float32), A0.astype(np.float32), B0.astype(np.float32))


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("method", ["f"] + METHODS_WITH_B)
def test_negative_alpha_raises(name, method):
    """alpha <= 0 (A = I_2, x = (-0.7, -0.7): alpha = -0.40683) raises LossUndefinedError reporting alpha; alpha() still returns it."""
    x, A, b = np.array([-0.7, -0.7]), np.eye(2), np.array([1.0, 0.0])
    with pytest.raises(LossUndefinedError, match=r"^alpha: alpha\(x\) = .*-0\.40682\d* <= 0") as info:
        call(IMPLS[name], method, x, A, b)
    assert isinstance(info.value, ValueError)
    assert info.value.alpha == pytest.approx(-0.40682939241718086, rel=1e-12)
    assert float(IMPLS[name].alpha(x, A)) == pytest.approx(-0.40682939241718086, rel=1e-12)


@pytest.mark.parametrize("name", NAMES)
def test_alpha_too_close_to_zero_raises(name):
    """alpha = 1e-12 is below the reliability threshold (alpha's rounding bound / sqrt(eps)); alpha = 1e-6 is evaluated."""
    level_ok, level_bad = 1e-6, 1e-12
    A, b = np.eye(2), np.array([1.0, 0.0])
    rest = math.exp(-0.3) - 0.3
    x_ok = np.array([solve_first_coordinate(rest, level_ok), -0.3])
    x_bad = np.array([solve_first_coordinate(rest, level_bad), -0.3])
    assert np.isfinite(IMPLS[name].loss(x_ok, A, b))
    with pytest.raises(LossUndefinedError, match=r"too close to 0 to evaluate the loss reliably in float64") as info:
        IMPLS[name].hessian(x_bad, A, b)
    assert 0 < info.value.alpha < 1e-11 and info.value.threshold > 1e-8


def test_exact_zero_alpha_raises_in_sympy():
    """Exact inputs with alpha = 0 exactly (x = -W(1), A = [1; 1]) raise; SymPy cannot prove the sign, 60 digits decide it."""
    rs = IMPLS["sympy"]
    x = np.array([-sp.LambertW(1)], dtype=object)
    A = np.array([[1], [1]], dtype=object)
    with pytest.raises(LossUndefinedError, match="is not > 0"):
        rs.f(x, A)


# --------------------------------------------------------------------------
# Exact SymPy identities (n = 3)
# --------------------------------------------------------------------------


def test_sympy_model_derivatives_equal_closed_forms_exactly():
    """SymPy's Hessian in z equals B_rank + diag(B_diag) and its gradient equals h o (c - <c, f> 1), exactly, for n = 3."""
    m = IMPLS["sympy"].model(3)
    a = sp.Symbol("a", positive=True)
    e = sp.symbols("e0:3", positive=True)
    atoms = {m.alpha_scaled: a, sp.exp(-m.s): 1}
    atoms.update({sp.exp(zj - m.s): ej for zj, ej in zip(m.z, e)})

    def zero(expr):
        expr = sp.expand(sp.sympify(expr).xreplace({m.s: 0}).xreplace({m.alpha_scaled.xreplace({m.s: 0}): a}))
        expr = expr.xreplace({sp.exp(zj): ej for zj, ej in zip(m.z, e)})
        return sp.expand(expr * a**4) == 0

    c = [m.f[j] - m.b[j] for j in range(3)]
    r = sum(c[j] * m.f[j] for j in range(3))
    for j in range(3):
        assert zero(m.grad[j] - m.h[j] * (c[j] - r)), f"grad[{j}]"
        for k in range(3):
            closed = m.B_rank[j, k] + (m.B_diag[j] if j == k else 0)
            assert zero(m.B[j, k] - closed), f"B[{j},{k}]"
            assert zero(m.B[j, k] - m.B[k, j]), f"B symmetric [{j},{k}]"


def test_verify_identities_are_exact_and_catch_a_wrong_formula():
    """The catalog identities hold exactly at n = 3, and the same machinery rejects the softmax Jacobian (f in place of h)."""
    for identities in (symbolic.exact_gradient_identities(3), symbolic.exact_hessian_identities(3),
                       symbolic.exact_structure_identities(3), symbolic.exact_degenerate_identities()):
        assert all(identities.values()), [k for k, v in identities.items() if not v]
    m = symbolic.exact_model(3)
    wrong = m.f[0] * (m.c[0] - m.r)  # softmax's h = f
    assert not m.is_zero(m.symbols_form(m.grad[0]) - wrong, 3)


def test_rational_inputs_give_exact_values():
    """Rational inputs give exact SymPy numbers (no Float) that agree with numpy to rounding."""
    R = sp.Rational
    A = np.array([[R(1, 2), R(-1, 3)], [R(1, 5), R(2, 7)], [R(-3, 4), R(1, 6)]], dtype=object)
    x = np.array([R(1, 3), R(-1, 2)], dtype=object)
    b = np.array([R(1), R(0), R(0)], dtype=object)
    rs = IMPLS["sympy"]
    H = rs.hessian(x, A, b)
    assert all(not sp.sympify(v).has(sp.Float) for v in H.flat)
    reference = IMPLS["numpy"].hessian(x.astype(float), A.astype(float), b.astype(float))
    np.testing.assert_allclose(np.array([[float(sp.N(v, 30)) for v in row] for row in H]), reference, rtol=1e-12, atol=1e-15)


def test_sympy_exact_second_derivative_is_minus_a_quarter():
    """The catalog's exact value: d = 1, A = [0; 1], b = e_1, x = 0 gives L''(0) = -1/4 (the unregularised Hessian is not PSD)."""
    H = IMPLS["sympy"].hessian(np.array([0], dtype=object), np.array([[0], [1]], dtype=object), np.array([1, 0], dtype=object))
    assert sp.nsimplify(H[0, 0]) == sp.Rational(-1, 4)


# --------------------------------------------------------------------------
# Structure of B
# --------------------------------------------------------------------------


@pytest.mark.parametrize("seed", range(5))
def test_structure_rank_symmetry_and_splittings(seed):
    """B_rank has rank <= 2 (third singular value at rounding level), B (entrywise, loops) is symmetric, and B_rank + B_diag = G + K."""
    n, d = 6, 3
    x, A, b, _ = problem(n, d, seed=100 + seed, radius=1.0)
    rs, loops = IMPLS["numpy"], IMPLS["loops"]
    B_rank, B_diag = rs.B_rank(x, A, b), rs.B_diag(x, A, b)
    errors = tol.resnet_error_model(x, A, b)
    sv = np.linalg.svd(B_rank, compute_uv=False)
    assert sv[2] <= tol.resnet_eigenvalue_tolerance(errors["B_rank"].max(), n, sv[0])
    B_loops = loops.B(x, A, b)
    assert np.array_equal(B_loops, B_loops.T)
    agree = tol.resnet_agreement_tolerances(x, A, b)["B"]
    G, K = gauss_newton_split(ResNetProblem(x, A, b))
    np.testing.assert_array_less(np.abs(B_rank + np.diag(B_diag) - G - K), agree)
    np.testing.assert_array_less(np.abs(B_rank + np.diag(B_diag) - B_loops), agree)


def test_hessian_is_A_transpose_B_plus_W2_A():
    """Hess L = A^T (B + diag(w^2)) A (the numpy Hessian never forms B; this checks it against the formed one)."""
    x, A, b, w = problem(5, 3, seed=21)
    rs = IMPLS["numpy"]
    formed = A.T @ (rs.B(x, A, b) + np.diag(w**2)) @ A
    np.testing.assert_array_less(np.abs(rs.hessian(x, A, b, w) - formed), tol.resnet_agreement_tolerances(x, A, b, w)["hessian"])


# --------------------------------------------------------------------------
# The approximate Newton method
# --------------------------------------------------------------------------


def test_approximate_newton_converges_on_the_catalog_example():
    """On the catalog's example (n = 6, d = 3, R = 0.8) the optimizer reaches ||x - x*|| < 1e-12 and records every step."""
    ex = experiments.catalog_newton_example()
    v = np.ones(3) / math.sqrt(3)
    run = approximate_newton(IMPLS["numpy"], ex.x_star + ex.r0 * v, ex.A, ex.b, ex.w, eps0=0.01, x_star=ex.x_star, rng=0)
    assert run.converged, run.message
    assert run.distances[0] == pytest.approx(ex.r0)
    assert run.distances[-1] < 1e-12
    assert all(s.rows_sampled is not None and s.eps_realised is not None for s in run.steps[:-1])
    assert all(s.eps_realised <= 0.01 for s in run.steps[:-1])
    assert len(run.to_dict()["steps"]) == len(run.steps)


def test_approximate_newton_with_sampling_on_a_large_problem():
    """With n = 20000 rows the sampler keeps a fraction of them and the method still converges."""
    ex = experiments.large_newton_example()
    v = np.ones(3) / math.sqrt(3)
    run = approximate_newton(IMPLS["numpy"], ex.x_star + ex.r0 * v, ex.A, ex.b, ex.w, eps0=0.1, x_star=ex.x_star, rng=3)
    assert run.converged
    assert run.distances[-1] < 1e-12 * max(1.0, float(np.linalg.norm(ex.x_star)))
    assert max(s.rows_sampled for s in run.steps[:-1]) < ex.A.shape[0]


def test_sparsifier_bound_and_expected_size():
    """Leverage-score sampling keeps (1 -+ eps) A^T D A in (almost) every trial and about sum_i min(1, k sigma_i) rows."""
    rng = np.random.default_rng(5)
    A = rng.normal(size=(5000, 4)) * (rng.pareto(1.5, size=5000) + 1)[:, None]
    D = rng.uniform(0.01, 1.0, size=5000)
    eps, delta = 0.2, 0.1
    M = A.T @ (D[:, None] * A)
    failures = 0
    for t in range(30):
        sampled = sparsify_diagonal(A, D, eps, delta, rng=t)
        lam = generalized_eigenvalues(A.T @ (sampled.weights[:, None] * A), M)
        failures += np.max(np.abs(lam - 1)) > eps
        assert sampled.nnz < 5000
    assert failures < tol.resnet_binomial_critical_count(30, delta)
    assert sampling_rate(4, eps, delta) == pytest.approx(3 * math.log(80) / 0.04)


def test_sparsifier_and_optimizer_errors():
    """A negative diagonal and bad parameters are refused with errors naming the argument."""
    A = np.ones((4, 2))
    with pytest.raises(ValueError, match=r"^D: has negative entries"):
        sparsify_diagonal(A, np.array([1.0, -1.0, 1.0, 1.0]), 0.1, 0.1)
    with pytest.raises(ValueError, match=r"^eps:"):
        sampling_rate(2, 0.0, 0.1)
    with pytest.raises(ValueError, match=r"^delta:"):
        sampling_rate(2, 0.1, 1.5)
    # x = 0, A = I_2, b = (5, 0): f = p = (1/2, 1/2), h = (1, 1), c - <c, f> = (-5/2, 5/2), so
    # B_diag = h^2 + p (c - <c, f>) = (-1/4, 9/4): with w = 0 the diagonal part is not >= 0 and is refused.
    x, A, b = np.zeros(2), np.eye(2), np.array([5.0, 0.0])
    assert IMPLS["numpy"].B_diag(x, A, b)[0] == pytest.approx(-0.25)
    with pytest.raises(ValueError, match=r"^w: D = B_diag \+ w\^2 has a negative entry"):
        approximate_newton(IMPLS["numpy"], x, A, b, np.zeros(2), max_iter=1)


# ------------------------------------------------------ issue 17: overflow


@pytest.mark.parametrize("name", resnet_softmax.names())
def test_alpha_that_overflows_is_an_error(name):
    """alpha = <exp(Ax) + Ax, 1> for logits of 1e4: beyond float64, the documented error naming x and A (not inf)."""
    with pytest.raises(ValueError, match=r"^x, A: alpha\(x\) = <exp\(Ax\) \+ Ax, 1_n> overflows float64"):
        resnet_softmax.get(name).alpha(np.array([1e4]), np.ones((2, 1)))


@pytest.mark.parametrize("name", ["loops", "sympy"])
def test_slow_implementations_refuse_beyond_their_declared_size(name):
    impl = resnet_softmax.get(name)
    n = impl.capabilities.max_n + 1
    with pytest.raises(ValueError, match=rf"^A: n \(rows of A\) = {n} exceeds this implementation's declared max_size"):
        impl.loss(np.zeros(1), np.ones((n, 1)), np.zeros(n))

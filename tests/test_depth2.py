"""The depth-2 family (issue 5): derivatives, agreement, validation, samplers, grids and data sets."""

import math
import re
import sys

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from impls import depth2
from verify.catalog import datasets
from verify.catalog.gopalani2023 import gibbs, sgd
from verify.catalog.gopalani2023 import tolerances as tol
from verify.numerics import differences
from verify.numerics.derivatives import approx_derivative, check_gradient, check_hessian

NUMPY = depth2.get("numpy")
LOOPS = depth2.get("loops")
SYMPY = depth2.get("sympy")  # one instance, so compiled shapes are cached across tests

CASES = [
    pytest.param(act, trained, id=f"{act}-{'trained' if trained else 'fixed'}")
    for act in depth2.ACTIVATIONS
    for trained in (False, True)
]


def make_problem(activation, trained, n=5, d=2, p=2, lam=0.1, seed=0, scale=1.0):
    rng = np.random.default_rng(seed)
    X = scale * rng.normal(size=(n, d))
    y = np.where(rng.random(n) < 0.5, -1.0, 1.0)
    if trained:
        return depth2.Depth2Problem(X, y, lam=lam, activation=activation, width=p, train_outer=True)
    return depth2.Depth2Problem(X, y, lam=lam, activation=activation, a=rng.normal(size=p))


def rounding(pb, theta):
    """The derived float64 error bounds of loss, gradient, Laplacian and Hessian entries (``formulas.rounding``, from ``tolerances``)."""
    from verify.catalog.gopalani2023 import formulas

    return formulas.rounding(pb, theta)


# --------------------------------------------------------------------------
# Derivatives
# --------------------------------------------------------------------------


# derivative -> (its checker, the function it differentiates, the seed of the point)
DERIVATIVES = {"grad": (check_gradient, "loss", 1), "hessian": (check_hessian, "grad", 2)}


@pytest.mark.parametrize("derivative", sorted(DERIVATIVES))
@pytest.mark.parametrize("activation, trained", CASES)
def test_derivative_matches_finite_differences(activation, trained, derivative):
    """grad is the derivative of loss, hessian that of grad (Richardson differences, derived tolerance)."""
    checker, of, seed = DERIVATIVES[derivative]
    pb = make_problem(activation, trained)
    theta = np.random.default_rng(seed).normal(size=pb.dim) * 2
    check = checker(lambda t: getattr(NUMPY, of)(t, pb), lambda t: getattr(NUMPY, derivative)(t, pb), theta,
                    method="richardson")
    assert check.passed, check.to_dict()


@pytest.mark.parametrize("activation, trained", CASES)
def test_laplacian_is_trace_of_differenced_hessian(activation, trained):
    """laplacian equals the trace of the Jacobian of grad by differences, within the summed error estimates."""
    pb = make_problem(activation, trained)
    theta = np.random.default_rng(3).normal(size=pb.dim) * 2
    J, err, _, _ = approx_derivative(lambda t: NUMPY.grad(t, pb), theta, method="richardson")
    reference, estimate = float(np.trace(J)), float(np.trace(err))
    allowed = differences.derivative_tolerance(estimate, abs(reference), tol.DEPTH2_EPS64)
    assert abs(NUMPY.laplacian(theta, pb) - reference) <= allowed


@pytest.mark.parametrize("activation, trained", CASES)
def test_laplacian_is_trace_of_hessian(activation, trained):
    """laplacian is the trace of hessian, to the rounding of a dim-term sum."""
    pb = make_problem(activation, trained)
    theta = np.random.default_rng(4).normal(size=pb.dim)
    H = NUMPY.hessian(theta, pb)
    assert np.allclose(H, H.T, rtol=0, atol=4 * tol.DEPTH2_EPS64 * np.abs(H).max())
    assert NUMPY.laplacian(theta, pb) == pytest.approx(np.trace(H), rel=0, abs=rounding(pb, theta)["laplacian"])


@pytest.mark.parametrize("activation, trained", CASES)
def test_numpy_matches_sympy_oracle(activation, trained):
    """loss, grad, Hessian and Laplacian equal the SymPy derivatives (50-digit mpmath) within the derived rounding."""
    pb = make_problem(activation, trained, n=3, d=2, p=1 if not trained else 2)
    theta = np.random.default_rng(5).normal(size=pb.dim) * 1.5
    bounds = rounding(pb, theta)
    assert abs(NUMPY.loss(theta, pb) - SYMPY.loss(theta, pb)) <= bounds["loss"]
    assert np.linalg.norm(NUMPY.grad(theta, pb) - SYMPY.grad(theta, pb)) <= bounds["grad"]
    assert abs(NUMPY.laplacian(theta, pb) - SYMPY.laplacian(theta, pb)) <= bounds["laplacian"]
    assert np.max(np.abs(NUMPY.hessian(theta, pb) - SYMPY.hessian(theta, pb))) <= bounds["hessian"]


def test_sympy_is_exact_on_exact_inputs():
    """Exact inputs give exact SymPy results whose 50-digit values match the float evaluation."""
    from fractions import Fraction

    import sympy

    X = np.array([[Fraction(1, 2), Fraction(-1)], [Fraction(3, 4), Fraction(1, 3)]], dtype=object)
    pb = depth2.Depth2Problem(X, np.array([1, -1], dtype=object), lam=Fraction(1, 10), activation="sigmoid",
                              a=np.array([Fraction(3, 2)], dtype=object))
    theta = np.array([Fraction(1, 3), Fraction(-2, 5)], dtype=object)
    g = SYMPY.grad(theta, pb)
    assert all(isinstance(v, sympy.Basic) for v in g)
    lap = SYMPY.laplacian(theta, pb)
    assert isinstance(lap, sympy.Basic) and not isinstance(lap, sympy.Float)
    fpb = pb.to_float()
    ftheta = np.array([float(v) for v in theta])
    assert np.allclose([float(sympy.N(v, 30)) for v in g], NUMPY.grad(ftheta, fpb), rtol=0, atol=1e-15)
    assert float(sympy.N(lap, 30)) == pytest.approx(NUMPY.laplacian(ftheta, fpb), abs=1e-15)


def test_high_precision_evaluator_matches_sympy():
    """The catalog's mpmath evaluator (used to confirm refutations) equals the SymPy oracle."""
    from verify.catalog.gopalani2023.certificates import mp_objective

    for trained in (False, True):
        pb = make_problem("tanh", trained, n=3, d=1, p=2)
        theta = np.random.default_rng(6).normal(size=pb.dim)
        q = mp_objective(pb, theta)
        assert float(q["loss"]) == pytest.approx(SYMPY.loss(theta, pb), rel=1e-15)
        assert np.allclose([float(v) for v in q["grad"]], SYMPY.grad(theta, pb), rtol=1e-14, atol=1e-300)
        assert float(q["laplacian"]) == pytest.approx(SYMPY.laplacian(theta, pb), rel=1e-14)


# --------------------------------------------------------------------------
# Agreement between implementations
# --------------------------------------------------------------------------


@st.composite
def drawn(draw):
    activation = draw(st.sampled_from(depth2.ACTIVATIONS))
    trained = draw(st.booleans())
    n, d, p = draw(st.integers(1, 5)), draw(st.integers(1, 3)), draw(st.integers(1, 3))
    floats = st.floats(-3, 3, allow_nan=False, allow_subnormal=False)
    X = np.array(draw(st.lists(floats, min_size=n * d, max_size=n * d))).reshape(n, d)
    y = np.array(draw(st.lists(st.sampled_from([-1.0, 1.0]), min_size=n, max_size=n)))
    lam = draw(st.floats(0, 1))
    if trained:
        pb = depth2.Depth2Problem(X, y, lam=lam, activation=activation, width=p, train_outer=True)
    else:
        pb = depth2.Depth2Problem(X, y, lam=lam, activation=activation, a=np.array(draw(st.lists(floats, min_size=p, max_size=p))))
    scale = 10.0 ** draw(st.floats(-2, 3))
    theta = scale * np.array(draw(st.lists(st.floats(-1, 1), min_size=pb.dim, max_size=pb.dim)))
    return pb, theta


@settings(max_examples=40, deadline=None)
@given(drawn())
def test_loops_and_numpy_agree(example):
    """loops and numpy agree on loss, grad, Hessian and Laplacian (twice the derived rounding, |theta| up to 1e3)."""
    pb, theta = example
    b = rounding(pb, theta)
    assert abs(LOOPS.loss(theta, pb) - NUMPY.loss(theta, pb)) <= 2 * b["loss"]
    assert np.linalg.norm(LOOPS.grad(theta, pb) - NUMPY.grad(theta, pb)) <= 2 * b["grad"]
    assert abs(LOOPS.laplacian(theta, pb) - NUMPY.laplacian(theta, pb)) <= 2 * b["laplacian"]
    assert np.max(np.abs(LOOPS.hessian(theta, pb) - NUMPY.hessian(theta, pb))) <= 2 * b["hessian"]


def test_batched_equals_one_at_a_time():
    """A batch of M parameter vectors gives the M single results (loss, grad, loss_grad, laplacian)."""
    pb = make_problem("sigmoid", True, n=6, d=3, p=2)
    T = np.random.default_rng(7).normal(size=(4, pb.dim))
    assert np.array_equal(NUMPY.loss(T, pb), [NUMPY.loss(t, pb) for t in T])
    assert np.allclose(NUMPY.grad(T, pb), [NUMPY.grad(t, pb) for t in T], rtol=0, atol=1e-15)
    assert np.allclose(NUMPY.laplacian(T, pb), [NUMPY.laplacian(t, pb) for t in T], rtol=0, atol=1e-14)
    value, G = NUMPY.loss_grad(T, pb)
    assert np.array_equal(value, NUMPY.loss(T, pb)) and np.allclose(G, NUMPY.grad(T, pb), rtol=0, atol=1e-15)


def test_minibatch_rows_equal_subproblem():
    """grad with rows is the gradient of the problem restricted to those samples (regularizer included once)."""
    pb = make_problem("tanh", False, n=7, d=2, p=3)
    rng = np.random.default_rng(8)
    T = rng.normal(size=(3, pb.dim))
    rows = rng.integers(0, pb.n, size=(3, 4))
    for i in range(3):
        sub = depth2.Depth2Problem(pb.X[rows[i]], pb.y[rows[i]], lam=pb.lam, activation=pb.activation, a=pb.a)
        assert np.allclose(NUMPY.grad(T, pb, rows=rows)[i], LOOPS.grad(T[i], sub), rtol=0, atol=1e-15)
        assert NUMPY.loss(T, pb, rows=rows)[i] == pytest.approx(LOOPS.loss(T[i], sub), abs=1e-15)


def test_stable_at_extreme_parameters():
    """No overflow, division by zero or NaN at |theta| = 1e8 (underflow of exp to 0 is exact enough and allowed)."""
    for act in depth2.ACTIVATIONS:
        pb = make_problem(act, True)
        theta = 1e8 * np.random.default_rng(9).normal(size=pb.dim)
        with np.errstate(over="raise", invalid="raise", divide="raise"):
            values = [NUMPY.loss(theta, pb), NUMPY.grad(theta, pb), NUMPY.laplacian(theta, pb), NUMPY.hessian(theta, pb)]
        assert all(np.all(np.isfinite(v)) for v in values)


def test_registry():
    """The registry lists the three implementations and names a missing one in its error."""
    assert depth2.names() == ("loops", "numpy", "sympy")
    assert all(isinstance(depth2.get(n), depth2.Depth2Objective) for n in depth2.names())
    with pytest.raises(KeyError, match="no depth-2 implementation called 'torch'"):
        depth2.get("torch")


# --------------------------------------------------------------------------
# Validation
# --------------------------------------------------------------------------

X0 = np.array([[1.0, 2.0], [0.5, -1.0]])
Y0 = np.array([1.0, -1.0])
A0 = np.array([1.0, -1.0])


def expect(error, argument, problem):
    return pytest.raises(error, match=rf"^{re.escape(argument)}\b.*{problem}")


@pytest.mark.parametrize(
    "kwargs, error, argument, problem",
    [
        (dict(X=[1.0, 2.0]), ValueError, "X", "2-D"),
        (dict(X=np.zeros((0, 2)), y=np.zeros(0)), ValueError, "X", "no samples"),
        (dict(X=np.array([[np.nan, 1.0], [0.0, 1.0]])), ValueError, "X", "NaN"),
        (dict(X=X0.astype(complex)), TypeError, "X", "complex"),
        (dict(y=np.array([1.0, 0.0])), ValueError, "y", "-1 or \\+1"),
        (dict(y=np.array([1.0])), ValueError, "y", "1 labels"),
        (dict(lam=-1.0), ValueError, "lam", ">= 0"),
        (dict(lam="big"), TypeError, "lam", "real number"),
        (dict(activation="relu"), ValueError, "activation", "sigmoid, tanh, softplus"),
        (dict(a=None), TypeError, "a", "required"),
        (dict(a=np.ones((2, 2))), ValueError, "a", "1-D"),
        (dict(train_outer=True), ValueError, "a", "omitted"),
        (dict(a=None, train_outer=True), ValueError, "width", "number of gates"),
        (dict(width=3), ValueError, "width", "p = 2"),
    ],
)
def test_problem_validation(kwargs, error, argument, problem):
    """Every bad problem gets an error that names the argument."""
    fields = dict(X=X0, y=Y0, lam=0.1, activation="tanh", a=A0)
    fields.update(kwargs)
    with expect(error, argument, problem):
        depth2.Depth2Problem(**fields)


@pytest.mark.parametrize("name", depth2.names())
@pytest.mark.parametrize(
    "theta, error, problem",
    [
        (np.zeros(3), ValueError, "shape"),
        (np.zeros((2, 2, 2)), ValueError, "shape"),
        (np.array([np.inf, 0.0, 0.0, 0.0]), ValueError, "infinite"),
        (np.zeros(4, dtype=np.int64), TypeError, "integer"),
        (None, TypeError, "None"),
    ],
)
def test_theta_validation(name, theta, error, problem):
    """Every implementation rejects a bad theta with an error naming it."""
    pb = depth2.Depth2Problem(X0, Y0, lam=0.1, activation="tanh", a=A0)
    with expect(error, "theta", problem):
        depth2.get(name).grad(theta, pb)


def test_rows_validation():
    pb = depth2.Depth2Problem(X0, Y0, lam=0.1, activation="tanh", a=A0)
    with expect(ValueError, "rows", "lie in"):
        NUMPY.grad(np.zeros(4), pb, rows=np.array([0, 5]))
    with expect(TypeError, "rows", "integer"):
        NUMPY.grad(np.zeros(4), pb, rows=np.array([0.0]))
    with expect(ValueError, "rows", "M = 2 chains"):
        NUMPY.grad(np.zeros((2, 4)), pb, rows=np.zeros((3, 1), dtype=int))


def test_problem_is_immutable_and_copies():
    """The problem keeps read-only copies: the caller's arrays stay writable and unchanged."""
    X = X0.copy()
    pb = depth2.Depth2Problem(X, Y0, lam=0.1, activation="tanh", a=A0)
    X[0, 0] = 99.0
    assert pb.X[0, 0] == 1.0 and not pb.X.flags.writeable
    theta = np.arange(4.0)
    W, a = pb.unpack(theta)
    assert W.shape == (2, 2) and np.array_equal(pb.pack(W), theta)


# --------------------------------------------------------------------------
# Samplers
# --------------------------------------------------------------------------


def quadratic_problem(lam=2.0):
    """One gate, x = 0: the loss is log 2 + (lam/2) w^2, an exact quadratic (OU process for the SDE)."""
    return depth2.Depth2Problem(np.zeros((1, 1)), np.array([1.0]), lam=lam, activation="tanh", a=np.array([1.0]))


def test_gradient_descent_contracts_on_quadratic():
    """GD on (lam/2) w^2 multiplies every chain by (1 - step lam) per step, all chains at once."""
    pb = quadratic_problem(2.0)
    theta0 = np.array([[1.0], [-3.0], [0.5]])
    run = sgd.gradient_descent(NUMPY, pb, theta0, 0.1, 10)
    assert run.observed["loss"].shape == (11, 3)
    assert np.allclose(run.theta, theta0 * 0.8**10, rtol=1e-14)
    assert np.all(np.diff(run.observed["loss"], axis=0) <= 0)


def test_isotropic_sgd_stationary_variance():
    """The Euler-Maruyama chain on (lam/2) w^2 has variance s^2 / (1 - (1 - s lam)^2) (exact for the discrete chain)."""
    lam, s, M = 2.0, 0.05, 20000
    pb = quadratic_problem(lam)
    run = sgd.isotropic_sgd(NUMPY, pb, np.zeros((M, 1)), s, 200, rng=0, record_every=200)
    var = run.theta[:, 0].var()
    exact = s * s / (1 - (1 - s * lam) ** 2)
    # sample variance of M normals: relative SD sqrt(2/M) = 1%; 4 SD
    assert abs(var / exact - 1) <= 4 * math.sqrt(2 / M)
    assert abs(run.theta.mean()) <= 4 * math.sqrt(exact / M)
    # chains are independent: the two halves are uncorrelated
    assert abs(np.corrcoef(run.theta[: M // 2, 0], run.theta[M // 2 :, 0])[0, 1]) <= 4 / math.sqrt(M / 2)


def test_isotropic_sgd_is_reproducible_and_records_times():
    pb = quadratic_problem()
    a = sgd.isotropic_sgd(NUMPY, pb, np.zeros((5, 1)), 0.1, 7, rng=3, record_every=3)
    b = sgd.isotropic_sgd(NUMPY, pb, np.zeros((5, 1)), 0.1, 7, rng=3, record_every=3)
    assert np.array_equal(a.theta, b.theta)
    assert np.allclose(a.times, [0.0, 0.3, 0.6, 0.7])
    c = sgd.isotropic_sgd(NUMPY, pb, np.zeros((5, 1)), 0.1, 10, rng=3, dt=0.01)
    assert c.times[-1] == pytest.approx(0.1) and c.settings["dt"] == 0.01


def test_minibatch_sgd_with_one_sample_is_gradient_descent():
    """With a single sample every minibatch is the full data: minibatch SGD equals GD."""
    pb = depth2.Depth2Problem(np.array([[0.7, -1.2]]), np.array([1.0]), lam=0.1, activation="sigmoid", a=np.array([1.0, -2.0]))
    theta0 = np.random.default_rng(10).normal(size=(4, pb.dim))
    mb = sgd.minibatch_sgd(NUMPY, pb, theta0, 0.2, 25, rng=0, batch_size=3)
    gd = sgd.gradient_descent(NUMPY, pb, theta0, 0.2, 25)
    assert np.allclose(mb.theta, gd.theta, rtol=0, atol=1e-14)


def test_samplers_check_their_inputs():
    pb = quadratic_problem()
    with expect(ValueError, "theta0", "shape"):
        sgd.isotropic_sgd(NUMPY, pb, np.zeros((3, 2)), 0.1, 5, rng=0)
    with expect(ValueError, "s", "positive"):
        sgd.isotropic_sgd(NUMPY, pb, np.zeros((3, 1)), -0.1, 5, rng=0)
    with expect(TypeError, "objective", "not batched"):
        sgd.gradient_descent(LOOPS, pb, np.zeros((3, 1)), 0.1, 5)
    with expect(ValueError, "batch_size", "positive"):
        sgd.minibatch_sgd(NUMPY, pb, np.zeros((3, 1)), 0.1, 5, rng=0, batch_size=0)


# --------------------------------------------------------------------------
# Grids: spectral gap, Gibbs law, the discrete chain
# --------------------------------------------------------------------------


def test_gap_of_quadratic_is_its_curvature():
    """For f = (k/2) w^2 the generator (s/2) d^2 - f' d (Ornstein-Uhlenbeck) has eigenvalues 0, k, 2k, ..."""
    k, s = 1.5, 0.2
    g = gibbs.Grid(-6.0, 6.0, 4001)
    f = 0.5 * k * g.nodes**2
    values = gibbs.spectrum(f, s, g.spacing, k=3)
    assert values[0] == pytest.approx(0.0, abs=1e-10)
    assert values[1] == pytest.approx(k, rel=1e-4) and values[2] == pytest.approx(2 * k, rel=1e-4)
    mu = gibbs.gibbs_masses(f, s)
    assert mu.sum() == pytest.approx(1.0) and mu @ g.nodes**2 == pytest.approx(s / (2 * k), rel=1e-5)
    assert gibbs.chi_square(mu, mu) == pytest.approx(0.0, abs=1e-12)


def test_relaxation_of_the_mean_is_exponential():
    """E w_t from a point mass relaxes as w_0 exp(-k t) for the OU process (full spectrum on a grid)."""
    k, s = 1.0, 0.5
    g = gibbs.Grid(-5.0, 5.0, 801)
    f = 0.5 * k * g.nodes**2
    rho0 = gibbs.gaussian_masses(g.nodes, 1.0, 0.05)
    t = np.array([0.0, 0.5, 1.0, 2.0])
    mean = gibbs.relaxation(f, s, g.spacing, rho0, g.nodes, t)
    assert np.allclose(mean, np.exp(-k * t), rtol=2e-3, atol=1e-6)


def test_discrete_chain_kernel_and_spectrum():
    """The Euler-Maruyama kernel of the OU process: rows sum to 1, rate -log(1 - s k)/s, exact stationary variance."""
    k, s = 2.0, 0.1
    g = gibbs.Grid(-3.0, 3.0, int(6 / (s / 8)) + 1)
    P = gibbs.euler_maruyama_kernel(g.nodes, k * g.nodes, s, s)
    assert np.allclose(np.asarray(P.sum(axis=1)).ravel(), 1.0)
    spec = gibbs.chain_spectrum(P, s, slow_mode=True)
    assert spec["rate"] == pytest.approx(-math.log(1 - s * k) / s, rel=1e-6)
    var = spec["stationary"] @ g.nodes**2
    assert var == pytest.approx(s * s / (1 - (1 - s * k) ** 2), rel=1e-6)
    # the slow mode is odd (proportional to w for the OU chain) and its mean decays by nu_2 per step
    mode = spec["slow_mode"]
    assert np.corrcoef(mode, g.nodes)[0, 1] == pytest.approx(1.0, abs=1e-6) or np.corrcoef(mode, g.nodes)[0, 1] == pytest.approx(-1.0, abs=1e-6)
    rho0 = gibbs.gaussian_masses(g.nodes, 0.5, 0.1)
    means = gibbs.propagate(P, rho0, g.nodes, [0, 1, 5])
    assert np.allclose(means, means[0] * (1 - s * k) ** np.array([0, 1, 5]), rtol=1e-6)


def test_critical_points_of_one_gate_example():
    """The catalog's one-gate example (V-A1): minima at -2.6697 and -0.0490, a maximum at -0.5771 (lambda = 0.01)."""
    from verify.catalog.gopalani2023.landscapes import landscape
    from verify.catalog.gopalani2023.problems import one_gate_problem

    pb = one_gate_problem(0.01)
    _, cps = landscape(pb, gibbs.Grid(-25.0, 25.0, 5001), values=False)
    assert [c.kind for c in cps] == ["minimum", "maximum", "minimum"]
    assert [round(c.w, 4) for c in cps] == [-2.6697, -0.5771, -0.049]
    assert [round(c.value, 5) for c in cps] == [0.65497, 0.72127, 0.69203]


# --------------------------------------------------------------------------
# Data sets
# --------------------------------------------------------------------------

sklearn_needed = pytest.mark.skipif(not datasets.available(), reason=datasets.INSTALL_HINT)


@sklearn_needed
@pytest.mark.parametrize("name, shape", [("iris", (150, 4)), ("wine", (178, 13)), ("digits", (1797, 64)),
                                         ("breast_cancer", (569, 30))])
def test_load_standardized_and_cached(name, shape):
    X, labels = datasets.load(name)
    assert X.shape == shape and labels.shape == (shape[0],) and labels.dtype.kind == "i"
    assert np.allclose(X.mean(axis=0), 0, atol=1e-12)
    std = X.std(axis=0)
    assert np.all((np.abs(std - 1) < 1e-12) | (std == 0))
    assert datasets.load(name)[0] is X and not X.flags.writeable


@sklearn_needed
def test_binary_tasks():
    X, y = datasets.binary_task("iris")
    assert X.shape == (100, 4) and set(np.unique(y)) == {-1.0, 1.0} and (y > 0).sum() == 50
    assert np.einsum("nd,nd->n", X, X).mean() == pytest.approx(4.0)
    X, y = datasets.binary_task("digits")
    assert X.shape[0] == 357


def test_missing_sklearn_is_reported(monkeypatch):
    """Without scikit-learn the loaders raise DatasetUnavailable with the install hint."""
    datasets._raw.cache_clear()
    datasets.load.cache_clear()
    monkeypatch.setitem(sys.modules, "sklearn", None)
    try:
        assert not datasets.available()
        with pytest.raises(datasets.DatasetUnavailable, match="pip install 'lossproof\\[datasets\\]'"):
            datasets.load("iris")
    finally:
        datasets._raw.cache_clear()
        datasets.load.cache_clear()
    with pytest.raises(ValueError, match="^name: expected one of"):
        datasets.load("mnist")


# ------------------------------------------------- issue 17: overflow and bad input

_PB = depth2.Depth2Problem(X=np.eye(2), y=np.array([1.0, -1.0]), lam=0.1, activation="tanh", a=np.array([1.0]))


@pytest.mark.parametrize("name", depth2.names())
def test_loss_that_overflows_is_an_error(name):
    """(lam/2) ||theta||^2 for theta ~ 1e200 is beyond float64: the documented error naming theta, not inf."""
    with pytest.raises(ValueError, match=r"^theta, problem: the loss overflows float64"):
        depth2.get(name).loss(np.array([1e200, 1e200]), _PB)


@pytest.mark.parametrize("name", depth2.names())
def test_laplacian_of_huge_samples_is_computed_stably(name):
    """X ~ 1e160: ||x||^2 overflows, but tanh is saturated (sigma' = sigma'' = 0), so the Laplacian is lam * dim."""
    pb = _PB.with_(X=np.eye(2) * 1e160)
    assert depth2.get(name).laplacian(np.array([1.0, 1.0]), pb) == pytest.approx(0.1 * pb.dim, rel=1e-15)


@pytest.mark.parametrize("name", depth2.names())
@pytest.mark.parametrize("problem", [None, {"X": np.eye(2)}, "problem"], ids=["None", "dict", "str"])
@pytest.mark.parametrize("method", ["loss", "grad", "hessian", "laplacian"])
def test_problem_of_the_wrong_type_is_named(name, problem, method):
    with pytest.raises(TypeError, match=r"^problem: expected an impls.depth2.Depth2Problem"):
        getattr(depth2.get(name), method)(np.zeros(2), problem)


@pytest.mark.parametrize("name", depth2.names())
def test_ragged_theta_is_named(name):
    with pytest.raises(TypeError, match=r"^theta: cannot be read as an array"):
        depth2.get(name).loss([[1.0], [1.0, 2.0]], _PB)


def test_loops_refuse_beyond_their_declared_size():
    impl = depth2.get("loops")
    n = impl.capabilities.max_size + 1
    pb = depth2.Depth2Problem(X=np.ones((n, 1)), y=np.ones(n), lam=0.0, activation="tanh", a=np.array([1.0]))
    with pytest.raises(ValueError, match=rf"^X: n\*d\*p = {n} exceeds this implementation's declared max_size"):
        impl.loss(np.zeros(1), pb)


@pytest.mark.parametrize("name", depth2.names())
def test_loss_of_a_confident_sample_keeps_its_digits(name):
    """log(1 + e^-m) for a margin m = 300 sigma(100): 5.1e-131, not 0 (SymPy once evaluated log(1 + tiny) in mpmath)."""
    import mpmath

    pb = depth2.Depth2Problem(X=np.array([[1.0]]), y=np.array([-1.0]), lam=0.0, activation="sigmoid", width=1,
                              train_outer=True)
    with mpmath.workdps(50):
        margin = 300 / (1 + mpmath.exp(-100))
        exact = float(mpmath.log1p(mpmath.exp(-margin)))
    assert depth2.get(name).loss(np.array([100.0, -300.0]), pb) == pytest.approx(exact, rel=8 * np.finfo(float).eps)


def test_python_float_overflow_is_the_documented_error():
    """loops squares Python floats, whose ** raises OverflowError where NumPy gives inf: it is the documented error."""
    pb = depth2.Depth2Problem(X=np.array([[1e307, 0.0]]), y=np.array([-1.0]), lam=0.0, activation="sigmoid",
                              a=np.array([1.0]))
    with pytest.raises(ValueError, match=r"^theta, problem: the Laplacian overflows float64"):
        depth2.get("loops").laplacian(np.zeros(2), pb)


@pytest.mark.parametrize("name", depth2.names())
def test_hessian_under_total_cancellation(name):
    """x = 1e153, theta = (w, a) = (0, 1e-154): the unsimplified symbolic Hessian cancels terms of 1e152 down to
    H_ww = sigma''(f) (a x / 4)^2 ~ 1.5625e-4; 50 and 100 digits both give 0 there, which once passed SymPy's
    two-precision stability test (found by the thorough fuzzer profile). The reference is the closed form, with
    s = sigma(w x) = 1/2: H_ww = g''(f) (a x s (1 - s))^2, H_aa = g''(f) s^2, g''(f) = sigma(f) sigma(-f), f = a s."""
    import mpmath

    x, a = 1e153, 1e-154
    pb = depth2.Depth2Problem(X=np.array([[x]]), y=np.array([1.0]), lam=0.0, activation="sigmoid", width=1,
                              train_outer=True)
    with mpmath.workdps(60):
        s, f = mpmath.mpf(1) / 2, mpmath.mpf(a) / 2
        g2 = 1 / (1 + mpmath.exp(-f)) / (1 + mpmath.exp(f))
        h_ww, h_aa = g2 * (mpmath.mpf(a) * mpmath.mpf(x) * s * (1 - s)) ** 2, g2 * s**2
        h_ww, laplacian = float(h_ww), float(h_ww + h_aa)
    impl, theta = depth2.get(name), np.array([0.0, a])
    eps = np.finfo(np.float64).eps  # the entries are O(1) products and sums of a few terms: a few eps
    assert impl.hessian(theta, pb)[0, 0] == pytest.approx(h_ww, rel=8 * eps)
    assert impl.laplacian(theta, pb) == pytest.approx(laplacian, rel=8 * eps)


def test_symbolic_activation_derivatives_are_those_of_their_definitions():
    """The SymPy oracle differentiates sigma, sigma', softplus, tanh and sech^2 through stated derivatives (written
    without cancellation); each equals the derivative of the function's definition, symbolically."""
    import sympy

    from impls.depth2 import symbolic

    u = sympy.Symbol("u", real=True)
    for fn in (symbolic.Sigmoid, symbolic.SigmoidPrime, symbolic.Softplus, symbolic.Tanh, symbolic.Sech2):
        definition = symbolic.elementary(fn(u))
        stated = symbolic.elementary(sympy.diff(fn(u), u))
        assert sympy.simplify((sympy.diff(definition, u) - stated).rewrite(sympy.exp)) == 0, fn.__name__

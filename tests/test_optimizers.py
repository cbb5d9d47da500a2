"""The optimizers of verify.numerics.optimizers: Lipschitz bound, gradient descent, K⊥, Newton, local rates.

Claims exercised: rychlik F4/S2 (kernel), F6 (Lipschitz constant), F8/P2-3
(local rate), F10/P2-2/S1/S3 (existence), F11/P1-4 (the limit of gradient
descent), folklore F17 (monotone descent at 1/L, not at 8/L).
"""

import json

import numpy as np
import pytest
from scipy.linalg import null_space

import impls
from verify.catalog.rychlik.problems import catalog_s1_data as rychlik_s1
from verify.catalog.rychlik.problems import catalog_s3_data as rychlik_s3
from verify.numerics.optimizers import (
    _spread_constant,
    contraction_ratios,
    gradient_descent,
    kernel_complement_basis,
    kernel_dimension,
    lipschitz_bound,
    newton_on_complement,
    predicted_rate,
    restricted_hessian_extremes,
)

CE = impls.get("numpy")


class LossGradOnly:
    """A user's minimal implementation: loss and grad, nothing else."""

    name = "loss-grad-only"

    def loss(self, W, X, Y):
        return CE.loss(W, X, Y)

    def grad(self, W, X, Y):
        return CE.grad(W, X, Y)


def random_problem(seed, N, D, K, *, smoothing=None, x_scale=1.0):
    rng = np.random.default_rng(seed)
    X = x_scale * rng.normal(size=(N, D))
    Y = impls.one_hot(rng.integers(0, K, N), K)
    if smoothing is not None:
        Y = (1 - smoothing) * Y + smoothing / K
    return X, Y


def smoothed_three_class():
    """3 classes, 8 points in the plane plus a bias, targets 0.8 one-hot + 0.2 uniform."""
    X, Y = random_problem(1, 8, 2, 3, smoothing=0.2)
    return impls.add_bias(X), Y


# ---------------------------------------------------------------------------
# Lipschitz bound (F6)
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("seed", range(5))
def test_lipschitz_bound_dominates_hessian_norm(seed):
    """||H(W)||_2 <= lambda_max(X^T X) / (2N) at random W (F6, mean loss)."""
    X, Y = random_problem(seed, 7, 3, 4, x_scale=3.0)
    W = np.random.default_rng(seed + 100).normal(size=(3, 4)) * [0, 0.3, 1, 3, 10][seed]
    L = lipschitz_bound(X)
    assert np.linalg.norm(CE.hessian(W, X, Y), 2) <= L * (1 + 1e-12)


def test_lipschitz_bound_is_attained_for_two_classes_at_zero():
    """For K = 2 at W = 0 the bound is attained exactly (F6)."""
    X, Y = random_problem(3, 9, 4, 2)
    H = CE.hessian(np.zeros((4, 2)), X, Y)
    assert np.linalg.norm(H, 2) == pytest.approx(lipschitz_bound(X), rel=1e-12)


def test_lipschitz_bound_with_integer_weights_equals_duplicated_samples():
    """Integer sample weights give the bound of the data set with rows repeated."""
    X, _ = random_problem(4, 5, 3, 3)
    s = np.array([1.0, 3.0, 0.0, 2.0, 1.0])
    repeated = np.repeat(X, s.astype(int), axis=0)
    assert lipschitz_bound(X, sample_weight=s) == pytest.approx(lipschitz_bound(repeated), rel=1e-12)


# ---------------------------------------------------------------------------
# K⊥ and the kernel (F4, S2)
# ---------------------------------------------------------------------------

KERNEL_SHAPES = [  # (K, D, N) = rychlik's (C, D, N), and the number of zero eigenvalues he measured
    pytest.param(3, 4, 10, 4, id="K3-D4-N10"),
    pytest.param(4, 3, 2, 6, id="K4-D3-N2"),
    pytest.param(2, 5, 3, 7, id="K2-D5-N3"),
]


@pytest.mark.parametrize("K, D, N, expected", KERNEL_SHAPES)
def test_kernel_dimension_matches_rychlik_s2(K, D, N, expected):
    """dim ker H = D*K - (K-1) rank X, and equals the count of zero eigenvalues of H (S2)."""
    X, Y = random_problem(K * 100 + D * 10 + N, N, D, K, smoothing=0.1)
    W = np.random.default_rng(0).normal(size=(D, K))
    assert kernel_dimension(X, K) == expected
    ev = np.linalg.eigvalsh(CE.hessian(W, X, Y))
    zeros = int(np.sum(np.abs(ev) <= 1e-10 * ev[-1]))  # the (EIG) rule of the catalog
    assert zeros == expected
    assert kernel_complement_basis(X, K).shape == (D * K, D * K - expected)


@pytest.mark.parametrize("K, D, N, expected", KERNEL_SHAPES)
def test_kernel_complement_basis_is_orthonormal_and_in_c_order(K, D, N, expected):
    """P^T P = I; each column, as a (D, K) matrix, has zero row sums and columns in range(X^T)."""
    X, _ = random_problem(7, N, D, K)
    P = kernel_complement_basis(X, K)
    np.testing.assert_allclose(P.T @ P, np.eye(P.shape[1]), atol=1e-13)
    V = P.T.reshape(-1, D, K)  # column j of P is V[j].ravel() in C order
    np.testing.assert_allclose(V.sum(axis=2), 0, atol=1e-13)
    row_space = null_space(X).T  # null(X) is the orthogonal complement of range(X^T)
    if row_space.size:
        np.testing.assert_allclose(np.einsum("ed,jdk->jek", row_space, V), 0, atol=1e-13)


@pytest.mark.parametrize("K, D, N, expected", KERNEL_SHAPES)
@pytest.mark.parametrize("w_scale", [0.0, 1.0, 5.0])
def test_hessian_vanishes_on_kernel_and_is_positive_definite_on_complement(K, D, N, expected, w_scale):
    """H maps the orthogonal complement of K⊥ to 0, and P^T H P is positive definite (F4)."""
    X, Y = random_problem(11, N, D, K, smoothing=0.05)
    W = w_scale * np.random.default_rng(12).normal(size=(D, K))
    H = CE.hessian(W, X, Y)
    P = kernel_complement_basis(X, K)
    kernel = null_space(P.T)
    assert kernel.shape[1] == expected
    L = lipschitz_bound(X)
    assert np.max(np.abs(H @ kernel)) <= 1e-13 * L * D * K
    m, M = restricted_hessian_extremes(CE, W, X, Y)
    assert m > 1e-8 * M > 0
    np.testing.assert_allclose(np.linalg.eigvalsh(P.T @ H @ P)[[0, -1]], [m, M], rtol=0, atol=1e-13 * M)


def test_restricted_hessian_needs_hessian_method():
    """An implementation without hessian gets a TypeError naming the missing method."""
    X, Y = random_problem(0, 5, 2, 3)
    with pytest.raises(TypeError, match="hessian"):
        restricted_hessian_extremes(LossGradOnly(), np.zeros((2, 3)), X, Y)


# ---------------------------------------------------------------------------
# Gradient descent (F17, P1-4, S1, F11)
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("seed", range(12))
def test_gradient_descent_at_one_over_L_never_increases_the_loss(seed):
    """Step 1/L: no step increases the loss beyond rounding (descent lemma; folklore F17)."""
    rng = np.random.default_rng(seed)
    N, D, K = int(rng.integers(2, 12)), int(rng.integers(1, 5)), int(rng.integers(2, 5))
    X, Y = random_problem(seed, N, D, K, x_scale=[0.1, 1.0, 10.0][seed % 3])
    res = gradient_descent(CE, X, Y, step_multiplier=1.0, max_iter=300)
    assert res.n_increases == 0, res.max_increase
    assert res.n_iter == 300 and res.step == pytest.approx(1 / res.L)


def test_gradient_descent_at_eight_over_L_oscillates():
    """Step 8/L: about every other step increases the loss (folklore F17: ~100 in 200)."""
    X, Y = random_problem(0, 11, 3, 3)  # overlapping one-hot classes
    res = gradient_descent(CE, X, Y, step_multiplier=8.0, max_iter=200)
    assert 80 <= res.n_increases <= 120, res.n_increases
    assert gradient_descent(CE, X, Y, step_multiplier=1.0, max_iter=200).n_increases == 0


def test_gradient_descent_without_loss_grad_matches():
    """An implementation with only loss and grad gives the same iterates."""
    X, Y = random_problem(2, 6, 3, 3)
    a = gradient_descent(CE, X, Y, max_iter=50)
    b = gradient_descent(LossGradOnly(), X, Y, max_iter=50)
    np.testing.assert_allclose(a.W, b.W, rtol=1e-13, atol=1e-15)
    assert a.n_increases == b.n_increases == 0


def test_gradient_descent_history_and_json():
    """History is recorded every record_every steps and at the end; to_dict is JSON and short."""
    X, Y = rychlik_s1()
    res = gradient_descent(CE, X, Y, max_iter=1000, record_every=7, record_W=True)
    it = res.history["iteration"]
    assert it[0] == 0 and it[-1] == 1000 and np.all(np.diff(it)[:-1] == 7)
    assert res.W_history.shape == (1001, 3, 3)
    np.testing.assert_array_equal(res.W_history[-1], res.W)
    d = json.loads(json.dumps(res.to_dict()))
    assert len(d["history"]["loss"]) <= 200 and d["history"]["iteration"][-1] == 1000
    assert d["n_increases"] == 0


def test_gradient_descent_keeps_the_invariants_of_f11():
    """GD never changes W 1_K nor the components of W's columns in null(X) (F11)."""
    X, Y = random_problem(5, 3, 5, 3, smoothing=0.1)  # rank 3 < D = 5
    W0 = np.random.default_rng(6).normal(size=(5, 3))
    res = gradient_descent(CE, X, Y, W0, max_iter=500)
    Q = null_space(X)
    np.testing.assert_allclose(res.W.sum(axis=1), W0.sum(axis=1), atol=1e-13)
    np.testing.assert_allclose(Q.T @ res.W, Q.T @ W0, atol=1e-13)


def test_gradient_descent_on_separable_data_loss_to_zero_weights_grow():
    """rychlik S1: the loss decreases to 0 while ||W|| grows like log k (sum-loss values / N)."""
    X, Y = rychlik_s1()
    res = gradient_descent(CE, X, Y, max_iter=10_000, record_every=10)
    h = res.history
    at = {int(k): i for i, k in enumerate(h["iteration"])}
    # The catalog's table (sum loss) divided by N = 6, and its ||W||_F.
    for k, sum_loss, w_norm in [(10, 2.139e-1, 2.101), (100, 2.318e-2, 3.302), (1000, 2.393e-3, 4.537),
                                (10_000, 2.439e-4, 5.789)]:
        assert h["loss"][at[k]] == pytest.approx(sum_loss / 6, rel=2e-3)
        assert h["W_norm"][at[k]] == pytest.approx(w_norm, rel=2e-3)
    assert res.n_increases == 0


# ---------------------------------------------------------------------------
# Newton on W0 + K⊥ (F10, P2-2, S1, S3)
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("seed", range(4))
def test_newton_finds_minimizer_with_smoothed_targets(seed):
    """Positive targets: Newton certifies a minimizer with ||grad|| < 1e-12, and it lies in W0 + K⊥ (P2-2)."""
    N, D, K = [(8, 3, 3), (3, 5, 3), (10, 2, 4), (4, 4, 2)][seed]
    X, Y = random_problem(seed, N, D, K, smoothing=0.15, x_scale=2.0)
    W0 = np.random.default_rng(seed + 50).normal(size=(D, K))
    res = newton_on_complement(CE, X, Y, W0)
    assert res.exists is True, res.reason
    assert res.converged and res.grad_norm < 1e-12 and res.certificate < 1
    P = kernel_complement_basis(X, K)
    step = (res.W - W0).ravel()
    np.testing.assert_allclose(P @ (P.T @ step), step, atol=1e-10)  # W* - W0 lies in K⊥


def test_gradient_descent_converges_to_the_newton_minimizer_in_w0_plus_complement():
    """GD from W0 converges to Newton's W* in W0 + K⊥, not to another minimizer (F11, P1-4)."""
    X, Y = random_problem(8, 4, 5, 3, smoothing=0.2)  # rank 4 < D: the minimizers form W* + K, dim K = 7
    W0 = np.random.default_rng(9).normal(size=(5, 3))
    newton = newton_on_complement(CE, X, Y, W0, tol=1e-14)
    assert newton.exists is True, newton.reason
    m, M = restricted_hessian_extremes(CE, newton.W, X, Y)
    gd = gradient_descent(CE, X, Y, W0, step=2 / (m + M), max_iter=20_000, grad_tol=1e-15)
    assert gd.n_increases == 0
    np.testing.assert_allclose(gd.W, newton.W, atol=1e-11)
    # Exact fit when rank X = N (F10): the probabilities equal the targets.
    np.testing.assert_allclose(CE.probs(newton.W, X), Y, atol=1e-12)


def test_newton_reports_no_minimizer_on_separable_data():
    """rychlik S1: Newton concludes from the run that no minimizer exists; ||W|| grows, the loss falls."""
    X, Y = rychlik_s1()
    res = newton_on_complement(CE, X, Y)
    assert res.exists is False, res.reason
    assert "no minimizer" in res.reason
    h = res.history
    assert np.all(np.diff(h["W_norm"]) > 0) and np.all(np.diff(h["loss"]) < 0)
    assert h["W_norm"][-1] > 5 * h["W_norm"][1]
    assert np.all(h["certificate"] > 1)  # existence was never certified, though ||grad|| fell below tol
    assert np.min(h["grad_norm"]) < 1e-12
    json.dumps(res.to_dict())


def test_newton_reports_no_minimizer_for_per_class_but_not_per_sample_positive_targets():
    """rychlik S3: both classes have mass in the data set, yet inf L = log 2 is not attained."""
    X, Y = rychlik_s3()
    res = newton_on_complement(CE, X, Y)
    assert res.exists is False, res.reason
    assert res.loss == pytest.approx(np.log(2) / 5, rel=1e-9)  # mean loss: only the smoothed sample is left


def test_newton_stops_at_max_norm():
    """An iterate beyond max_norm decides "no minimizer"."""
    X, Y = rychlik_s1()
    res = newton_on_complement(CE, X, Y, max_norm=5.0)
    assert res.exists is False and "max_norm" in res.reason
    assert res.history["W_norm"][-1] > 5.0 >= res.history["W_norm"][-2]


def test_newton_certifies_overlapping_one_hot_classes():
    """One-hot targets with overlapping classes do have a minimizer (P2-2: positivity is not necessary)."""
    X = impls.add_bias(np.array([[-1.0], [-1.0], [1.0], [1.0]]))
    Y = impls.one_hot([0, 1, 0, 1], 2)
    res = newton_on_complement(CE, X, Y)
    assert res.exists is True, res.reason
    np.testing.assert_allclose(res.W, 0, atol=1e-14)
    assert res.loss == pytest.approx(np.log(2), rel=1e-14)


def test_newton_needs_hessian():
    """newton_on_complement raises a TypeError naming hessian for a loss/grad-only implementation."""
    X, Y = smoothed_three_class()
    with pytest.raises(TypeError, match="hessian"):
        newton_on_complement(LossGradOnly(), X, Y)


@pytest.mark.parametrize("seed", range(3))
def test_certificate_premise_hessian_ratio_bound(seed):
    """The certificate's premise: H(W + V) >= exp(-sigma(V)) H(W) on K⊥, sigma(V) = max_n spread(x_n V)."""
    rng = np.random.default_rng(seed)
    X, Y = random_problem(seed, 6, 3, 3, smoothing=0.1)
    P = kernel_complement_basis(X, 3)
    W = rng.normal(size=(3, 3))
    V = (P @ rng.normal(size=P.shape[1])).reshape(3, 3) * [0.3, 1.0, 3.0][seed]
    Z = X @ V
    sigma = float(np.max(Z.max(axis=1) - Z.min(axis=1)))
    A = P.T @ CE.hessian(W + V, X, Y) @ P
    B = P.T @ CE.hessian(W, X, Y) @ P
    Bc = np.linalg.cholesky(B)
    C = np.linalg.solve(Bc, np.linalg.solve(Bc, A).T)  # B^{-1/2} A B^{-1/2}, up to orthogonal similarity
    assert np.linalg.eigvalsh((C + C.T) / 2)[0] >= np.exp(-sigma) * (1 - 1e-10)


def test_spread_constant_bounds_the_spread_on_the_unit_ellipsoid():
    """c_W is the largest logit spread max_n spread(x_n V) over V in K⊥ with ||V||_H <= 1."""
    rng = np.random.default_rng(3)
    X, Y = random_problem(3, 6, 3, 3, smoothing=0.1)
    P = kernel_complement_basis(X, 3)
    W = rng.normal(size=(3, 3))
    Hr = P.T @ CE.hessian(W, X, Y) @ P
    evals, evecs = np.linalg.eigh(Hr)
    c = _spread_constant(X, P, evals, evecs)
    v = rng.normal(size=(2000, P.shape[1]))
    v /= np.sqrt(np.einsum("ij,jk,ik->i", v, Hr, v))[:, None]
    Z = np.einsum("nd,idk->ink", X, (v @ P.T).reshape(-1, 3, 3))
    spreads = (Z.max(axis=2) - Z.min(axis=2)).max(axis=1)
    assert spreads.max() <= c * (1 + 1e-12)
    assert spreads.max() >= 0.5 * c  # random directions get within a modest factor of the maximum


# ---------------------------------------------------------------------------
# Local rate of gradient descent (F8, P2-3, S7)
# ---------------------------------------------------------------------------


def test_predicted_rate_formula():
    """rho(eta) = max(|1 - eta m|, |1 - eta M|); at 2/(m+M) it is (kappa-1)/(kappa+1)."""
    m, M = 0.25779, 1.39283  # rychlik F7's measured values
    kappa = M / m
    assert predicted_rate(m, M, 2 / (m + M)) == pytest.approx((kappa - 1) / (kappa + 1), rel=1e-14)
    assert predicted_rate(m, M, 1 / M) == pytest.approx(1 - m / M, rel=1e-14)
    assert predicted_rate(m, M, 2.1 / M) > 1


@pytest.mark.parametrize("eta_times", ["2/(m+M)", "1/M", "1.9/M"])
def test_observed_contraction_matches_predicted_rate(eta_times):
    """Near W*, ||W_{k+1} - W*|| / ||W_k - W*|| equals max(|1-eta m|, |1-eta M|) to 4 digits (F8, P2-3)."""
    X, Y = smoothed_three_class()
    W0 = np.random.default_rng(10).normal(size=(3, 3))
    newton = newton_on_complement(CE, X, Y, W0, tol=1e-14)  # W* must be far more accurate than lo = 1e-11
    assert newton.exists is True, newton.reason
    m, M = restricted_hessian_extremes(CE, newton.W, X, Y)
    eta = {"2/(m+M)": 2 / (m + M), "1/M": 1 / M, "1.9/M": 1.9 / M}[eta_times]
    gd = gradient_descent(CE, X, Y, W0, step=eta, max_iter=3000, record_W=True)
    ratios = contraction_ratios(gd.W_history, newton.W)
    assert len(ratios) >= 20
    assert np.median(ratios) == pytest.approx(predicted_rate(m, M, eta), rel=1e-4)


def test_step_above_two_over_M_diverges_locally():
    """At eta = 2.1/M gradient descent started next to W* moves away from it (S7)."""
    X, Y = smoothed_three_class()
    newton = newton_on_complement(CE, X, Y, tol=1e-14)
    m, M = restricted_hessian_extremes(CE, newton.W, X, Y)
    P = kernel_complement_basis(X, 3)
    start = newton.W + 1e-8 * (P @ np.random.default_rng(0).normal(size=P.shape[1])).reshape(3, 3)
    gd = gradient_descent(CE, X, Y, start, step=2.1 / M, max_iter=200, record_W=True)
    errors = np.linalg.norm((gd.W_history - newton.W).reshape(len(gd.W_history), -1), axis=1)
    assert errors[-1] > 1e3 * errors[0]


def test_sample_weights_equal_duplicated_samples():
    """Integer sample weights give the same GD iterates and Newton minimizer as repeated rows."""
    X, Y = smoothed_three_class()
    s = np.array([1.0, 2.0, 0.0, 1.0, 3.0, 1.0, 1.0, 2.0])
    Xr, Yr = np.repeat(X, s.astype(int), axis=0), np.repeat(Y, s.astype(int), axis=0)
    a = gradient_descent(CE, X, Y, max_iter=300, sample_weight=s)
    b = gradient_descent(CE, Xr, Yr, max_iter=300)
    assert a.step == pytest.approx(b.step, rel=1e-12)
    np.testing.assert_allclose(a.W, b.W, atol=1e-12)
    na = newton_on_complement(CE, X, Y, sample_weight=s)
    nb = newton_on_complement(CE, Xr, Yr)
    assert na.exists is True and nb.exists is True
    np.testing.assert_allclose(na.W, nb.W, atol=1e-11)


def test_sample_weights_need_declared_support():
    """sample_weight with an implementation that does not declare it is a TypeError."""
    X, Y = smoothed_three_class()
    with pytest.raises(TypeError, match="sample_weight"):
        gradient_descent(LossGradOnly(), X, Y, max_iter=1, sample_weight=np.ones(len(X)))

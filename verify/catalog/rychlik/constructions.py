"""The catalog's worked constructions beside the Rychlik searches: fixed data sets, runs and the numbers it quotes.

Each function runs one construction of ``claims/rychlik.md`` (a long
gradient-descent run, an exact fit, the catalog's separable sets, a ray
along which the Hessian degenerates, a probability that underflows) and
returns what the claim shows: an experiment's Evidence, or measurements and
a figure that the claim adds to its search's evidence. The numbers the
catalog printed are kept beside the measured ones ("catalog" entries).
"""

from __future__ import annotations

import math

import mpmath
import numpy as np
from scipy.linalg import null_space

import impls

from ...harness.claims import Evidence
from ...harness.evidence import experiment_evidence, figure, series
from ...numerics import precision, rounding
from ...numerics.optimizers import gradient_descent, kernel_complement_basis, kernel_dimension, newton_on_complement
from . import tolerances as tol
from .certificates import certify_restricted_positive_definite
from .descent import NEWTON_TOL_FOR_RATES, minimiser
from .existence import confirm_no_minimiser, newton_existence
from .formulas import entropy_rows, f7_bounds, logit_gaps, restricted_extremes_at, sum_zero_basis
from .problems import catalog_s1_data, catalog_s3_data, smoothed_data
from .tolerances import hessian_eigen_tolerance

EPS = rounding.eps(np.float64)


def invariants_over_long_run(ctx) -> Evidence:
    """P1-6's experiment: W 1_K and Q^T W after 2000 gradient-descent steps on a rank-deficient X, against their
    rounding drift."""
    impl = ctx.impl
    X, Y = smoothed_data(5, 3, 5, 3, 0.1, bias=False)  # rank 3 < D = 5
    W0 = np.random.default_rng(6).normal(size=(5, 3))
    gd = gradient_descent(impl, X, Y, W0, max_iter=2000)
    Q = null_space(X)
    drift = {
        "max change of W 1_K": float(np.max(np.abs((gd.W - W0).sum(axis=1)))),
        "max change of Q^T W": float(np.max(np.abs(Q.T @ (gd.W - W0)))),
        "bound": tol.gd_invariant_drift(2000, np.abs(np.stack([W0, gd.W])).max(), gd.step * gd.history["grad_norm"].max(), 3, EPS),
        "earlier run": "changes of 8e-15 and 3e-15 after 2000 steps",
    }
    return experiment_evidence(
        "GD invariants over 2000 steps", {
            "W 1_K unchanged within the rounding bound": drift["max change of W 1_K"] <= drift["bound"],
            "Q^T W unchanged within the rounding bound": drift["max change of Q^T W"] <= drift["bound"],
        }, examples=1, measurements={"2000 GD steps, rank-deficient X (N=3, D=5, K=3)": drift})


def exact_fit_and_one_hot_minimiser(ctx) -> Evidence:
    """P2-2's experiments: P = T and L* = mean entropy when rank X = N; a one-hot data set with a minimiser
    (W* = 0 modulo K)."""
    impl = ctx.impl
    # Exact fit when rank X = N (F10) and a one-hot data set with a minimiser.
    X, Y = smoothed_data(2, 3, 4, 3, 0.3, bias=False)
    fit, _, _, fit_err = minimiser(ctx, X, Y, np.zeros((4, 3)))
    P = impl.probs(fit.W, X)
    entropy = float(np.mean(entropy_rows(Y)))
    prob_tol = rounding.agreement_tolerances(X, fit.W, Y, np.float64)["probs"] + fit_err * float(np.abs(X).sum(axis=1).max())
    Xo, Yo = impls.add_bias(np.array([[-1.0], [-1.0], [1.0], [1.0]])), impls.one_hot([0, 1, 0, 1], 2)
    onehot = newton_on_complement(impl, Xo, Yo)
    loss_tol = rounding.agreement_tolerances(Xo, onehot.W, Yo, np.float64)["loss"]
    onehot_grad_error = math.sqrt(onehot.W.size) * rounding.agreement_tolerances(Xo, onehot.W, Yo, np.float64)["grad"]
    return experiment_evidence("exact fit and a one-hot minimiser", {
        "rank X = N: P = T at the minimiser": float(np.max(np.abs(P - Y))) <= prob_tol,
        "rank X = N: L* = mean entropy": abs(fit.loss - entropy) <= rounding.agreement_tolerances(X, fit.W, Y, np.float64)["loss"],
        "overlapping one-hot: minimiser certified": onehot.exists is True,
        "overlapping one-hot: W* = 0 modulo K": float(np.max(np.abs(onehot.W - onehot.W.mean(axis=1, keepdims=True))))
        <= tol.minimizer_error(onehot.grad_norm, onehot_grad_error, restricted_extremes_at(ctx, onehot.W, Xo, Yo)[0]),
        "overlapping one-hot: L* = log 2": abs(onehot.loss - math.log(2)) <= loss_tol,
    }, examples=2, measurements={
        "rank X = N (N=3, D=4, K=3)": {"max |P - T|": float(np.max(np.abs(P - Y))), "L*": fit.loss,
                                      "mean entropy": entropy, "earlier run": "max |Y - T| = 2e-16"},
        "overlapping one-hot (x = -1, -1, 1, 1, labels 0, 1, 0, 1)": {
            "L*": onehot.loss, "log 2": math.log(2), "reason": onehot.reason,
            "earlier run": "W* = 0, L* = 4 log 2 (sum loss) = log 2 (mean)"},
    })


def s1_catalog_experiment(ctx) -> dict:
    """The catalog's S1 data set: gradient descent from 0 at eta = 1/L_hat, and Newton's verdict with its certificate."""
    X, Y = catalog_s1_data()
    steps = 200_000 if ctx.thorough else 10_000  # budget: the catalog's table goes to 2e5; 1e4 reaches four of its rows
    gd = gradient_descent(ctx.impl, X, Y, max_iter=steps, record_every=10)
    h = gd.history
    at = {int(k): i for i, k in enumerate(h["iteration"])}
    catalog = {10: (2.139e-1, 2.101), 100: (2.318e-2, 3.302), 1000: (2.393e-3, 4.537), 10_000: (2.439e-4, 5.789),
               100_000: (2.471e-5, 7.053), 200_000: (1.239e-5, 7.435)}
    N = X.shape[0]
    table = []
    for k, (sum_loss, w_norm) in catalog.items():
        if k in at:
            i = at[k]
            table.append({"k": k, "sum loss (N x mean)": N * float(h["loss"][i]), "sum loss, earlier run": sum_loss,
                          "||W||_F": float(h["W_norm"][i]), "||W||_F, earlier run": w_norm})
    # The catalog prints 4 significant digits: half a unit of the 4th digit is at most 5e-4 relative.
    reproduced = all(abs(r["sum loss (N x mean)"] / r["sum loss, earlier run"] - 1) <= 5e-4
                     and abs(r["||W||_F"] / r["||W||_F, earlier run"] - 1) <= 5e-4 for r in table)
    decades = [r["||W||_F"] for r in table if r["k"] in (100, 1000, 10_000, 100_000)]
    newton, M = newton_existence(ctx, X, Y)
    cert = confirm_no_minimiser(X, Y, M @ newton.W)
    return {
        "table": table,
        "earlier run's numbers reproduced (4 digits)": bool(reproduced),
        "||W|| growth per decade of k": float(np.mean(np.diff(decades))) if len(decades) > 1 else None,
        "growth per decade, earlier run": 1.25,
        "loss increases": gd.n_increases,
        "Newton": newton.reason,
        "exact certificate of no minimiser": cert["confirmed"],
        "figure": figure("rychlik.S1: separable data, gradient descent from 0 at eta = 1/L_hat", "step k", "value",
                         [series("mean loss L(W_k)", h["iteration"][1:], h["loss"][1:]),
                          series("||W_k||_F", h["iteration"][1:], h["W_norm"][1:])], xscale="log", yscale="log"),
    }


def singular_hessian_constructions(ctx) -> tuple[dict, dict]:
    """S2's constructions: zero-eigenvalue counts for the catalog's shapes, two minimisers of equal loss when
    rank X < D, and lambda_min on K-perp along a ray s W_1. Returns the measurements and the ray's figure."""
    out = {}
    rng = np.random.default_rng(21)
    counts = []
    for (K, D, N), expected in [((3, 4, 10), 4), ((4, 3, 2), 6), ((2, 5, 3), 7)]:
        X = rng.normal(size=(N, D))
        Y = rng.dirichlet(np.ones(K), size=N)
        W = rng.normal(size=(D, K))
        H = np.asarray(ctx.impl.hessian(W, X, Y), dtype=np.float64)
        lam = np.linalg.eigvalsh(H)
        e = hessian_eigen_tolerance(H, X, W, Y)
        counts.append({"(C, D, N)": [K, D, N], "zero eigenvalues (|lambda| <= error bound)": int(np.sum(np.abs(lam) <= e)),
                       "D K - (K-1) rank X": kernel_dimension(X, K), "earlier run": expected})
    out["zero eigenvalues vs the kernel dimension"] = counts

    # Rank X < D: two minimisers on {V 1 = 0} with equal loss (catalog: D = 4, N = 2).
    X, Y = smoothed_data(22, 2, 4, 3, 0.2, bias=False)
    Wa = newton_on_complement(ctx.impl, X, Y, tol=NEWTON_TOL_FOR_RATES).W
    Q = null_space(X)[:, 0]
    Wb = Wa + 2.0 * np.outer(Q, sum_zero_basis(3)[:, 0])
    with precision.workdps(precision.HIGH_PRECISION_DIGITS):
        La, Lb = precision.cross_entropy(Wa, X, Y), precision.cross_entropy(Wb, X, Y)
    out["rank X = 2 < D = 4, K = 3"] = {
        "zero eigenvalues on {V 1 = 0}": int(np.sum(np.abs(np.linalg.eigvalsh(
            np.kron(np.eye(4), sum_zero_basis(3)).T @ ctx.impl.hessian(Wa, X, Y) @ np.kron(np.eye(4), sum_zero_basis(3))))
            <= hessian_eigen_tolerance(ctx.impl.hessian(Wa, X, Y), X, Wa, Y))),
        "earlier run": "4 zero eigenvalues among 8; two minimisers 2.45 apart with equal loss 1.923606907583 (sum loss)",
        "||Wa - Wb||_F": float(np.linalg.norm(Wa - Wb)),
        "row sums of Wa - Wb": (Wa - Wb).sum(axis=1).tolist(),
        "L(Wa), L(Wb) (mean, 50 digits)": [mpmath.nstr(La, 15), mpmath.nstr(Lb, 15)],
        "L(Wa) - L(Wb) (50 digits)": mpmath.nstr(La - Lb, 3),
        "||grad L(Wb)||_F": float(np.linalg.norm(ctx.impl.grad(Wb, X, Y))),
    }

    # No uniform lower bound on K-perp: lambda_min along s W_1.
    X, Y = smoothed_data(23, 10, 2, 3, 0.2)
    W1 = rng.normal(size=(3, 3))
    ray = []
    for s in (0, 1, 3, 10, 30):
        m, M, _ = restricted_extremes_at(ctx, s * W1, X, Y)
        ray.append({"s": s, "lambda_min(H|K-perp)": m, "lambda_max(H|K-perp)": M})
    out["lambda_min on K-perp along s W_1"] = ray
    out["earlier run's ray (other data, sum loss)"] = "0.525, 0.393, 0.0747, 4.3e-4, 7.5e-8 for s = 0, 1, 3, 10, 30"
    ray_figure = figure("rychlik.S2: smallest eigenvalue of H on K-perp along s W_1", "s", "lambda_min(H|K-perp)",
                        [series("lambda_min", [r["s"] for r in ray], [r["lambda_min(H|K-perp)"] for r in ray])],
                        xscale="linear", yscale="log")
    return out, ray_figure


def s3_catalog_experiment(ctx) -> dict:
    """The catalog's S3 construction: the loss along the ray in mpmath and float64, gradient descent, Newton's verdict."""
    X, Y = catalog_s3_data()
    N = X.shape[0]
    direction = np.array([[-1.0, 1.0], [0.0, 0.0]])  # the paper's W = s [[-1, 0], [1, 0]] (C x D), transposed
    with precision.workdps(precision.HIGH_PRECISION_DIGITS):
        along = {s: mpmath.nstr(N * precision.cross_entropy(s * direction, X, Y) - mpmath.log(2), 4) for s in (0, 1, 5, 10, 20)}
    float_at_20 = N * float(ctx.impl.loss(20 * direction, X, Y)) - math.log(2)
    steps = 100_000 if ctx.thorough else 10_000  # budget: the catalog quotes k = 1e2, 1e4, 1e5
    gd = gradient_descent(ctx.impl, X, Y, max_iter=steps, record_every=1)
    h = gd.history
    newton, M = newton_existence(ctx, X, Y)
    cert = confirm_no_minimiser(X, Y, M @ newton.W)
    return {
        "N L(s V) - log 2 along the ray (mpmath)": along,
        "earlier run": "2.773, 0.290, 9.1e-5, 4.1e-9 for s = 0, 1, 5, 10; exactly 0.0 in float64 at s = 20",
        "N L(20 V) - log 2 in float64 (mean loss times N)": float_at_20,
        "gradient descent (eta = 1/L_hat)": [{"k": k, "N L - log 2": N * float(h["loss"][k]) - math.log(2),
                                              "||W||_F": float(h["W_norm"][k])} for k in (100, 10_000, 100_000) if k <= steps],
        "gradient descent, earlier run": "N L - log 2 = 2.3e-2, 2.5e-4, 2.5e-5 at k = 1e2, 1e4, 1e5; ||W|| = 3.16, 6.36, 7.98",
        "Newton": newton.reason,
        "exact certificate of no minimiser": cert["confirmed"],
        "figure": figure("rychlik.S3: per-data-set positivity, gradient descent", "step k", "value",
                         [series("N L(W_k) - log 2", h["iteration"][1:], N * h["loss"][1:] - math.log(2)),
                          series("||W_k||_F", h["iteration"][1:], h["W_norm"][1:])], xscale="log", yscale="log"),
    }


def condition_number_along_ray(ctx) -> Evidence:
    """S6's experiment: kappa(H|K-perp) against kappa_hat along s W_1 for a 3-class data set (largest logit gap s)."""
    X, Y = smoothed_data(23, 10, 2, 3, 0.2)
    W1 = np.random.default_rng(24).normal(size=(3, 3))
    W1 /= logit_gaps(W1, X).max()  # the largest logit gap along s W_1 is s: float64 resolves lambda_min up to s ~ 24
    grid = np.linspace(0, 24, 13)
    rows, curve_k, curve_b, below = [], [], [], []
    for s in grid:
        m, M, _ = restricted_extremes_at(ctx, s * W1, X, Y)
        m_hat, M_hat = f7_bounds(ctx, s * W1, X, Y)
        e = hessian_eigen_tolerance(ctx.impl.hessian(s * W1, X, Y), X, s * W1, Y)
        rows.append({"s": float(s), "kappa": M / m, "kappa_hat": M_hat / m_hat, "lambda_min": m})
        curve_k.append(M / m)
        curve_b.append(M_hat / m_hat)
        below.append(m > e and m_hat > e and M / m <= (M_hat + e) / (m_hat - e))
    kappas = np.array(curve_k)
    H_end = np.asarray(ctx.impl.hessian(grid[-1] * W1, X, Y), dtype=np.float64)
    e_end = hessian_eigen_tolerance(H_end, X, grid[-1] * W1, Y)
    return experiment_evidence("kappa along a ray", {
        "lambda_min(H|K-perp) resolved in float64 along the ray": rows[-1]["lambda_min"] > e_end,
        "kappa(H|K-perp) <= kappa_hat at every s (within the eigenvalue error bound)": all(below),
        "kappa increases along the ray": bool(np.all(np.diff(kappas) > 0)),
        "kappa at the end of the ray exceeds the bound at W = 0": kappas[-1] > curve_b[0],
    }, examples=len(rows), measurements={"ray (largest logit gap = s)": rows},
        figures=[figure("rychlik.S6: condition number on K-perp along s W_1", "s (largest logit gap)", "kappa",
                        [series("kappa(H|K-perp)", grid, curve_k), series("kappa_hat (rychlik.P2-4)", grid, curve_b)],
                        xscale="linear", yscale="log")])


def underflow_gap(ctx) -> float:
    """Smallest logit gap g at which ``ctx.impl.probs`` returns an exact 0 for z = (0, -g), by bisection."""
    X = np.ones((1, 1))
    lo, hi = 700.0, 800.0
    for _ in range(60):
        mid = (lo + hi) / 2
        if ctx.impl.probs(np.array([[0.0, -mid]]), X)[0, 1] == 0:
            hi = mid
        else:
            lo = mid
    return hi


def underflow_constructions(ctx, threshold: float) -> Evidence:
    """S8's experiment: the underflow gap of probs against ``threshold`` (1075 ln 2), and a one-sample construction
    (K = 3) at gaps 400/800 (underflow) and 700 (no underflow) where float64 and mpmath disagree about K-perp."""
    impl = ctx.impl
    g_star = underflow_gap(ctx)
    X = np.ones((1, 1))
    Y = np.array([[0.0, 0.0, 1.0]])
    construction = {}
    for label, W in (("gaps 400 and 800 (underflow)", np.array([[0.0, -400.0, -800.0]])),
                     ("gap 700 (p ~ 1e-304, no underflow)", np.array([[0.0, -350.0, -700.0]]))):
        H = np.asarray(impl.hessian(W, X, Y), dtype=np.float64)
        e = hessian_eigen_tolerance(H, X, W, Y)
        lam = np.linalg.eigvalsh(H)
        P = kernel_complement_basis(X, 3)
        restricted = np.linalg.eigvalsh(P.T @ H @ P)
        with np.errstate(divide="ignore"):
            naive = float(-np.sum(Y * np.log(np.where(Y > 0, impl.probs(W, X), 1.0))))
        construction[label] = {
            "probs (float64)": impl.probs(W, X).tolist(),
            "zero eigenvalues in float64": int(np.sum(np.abs(lam) <= e)),
            "kernel dimension D K - (K-1) rank X": kernel_dimension(X, 3),
            "float64 certifies positive definite on K-perp": bool(restricted[0] > e),
            "mpmath": certify_restricted_positive_definite(W, X, P),
            "naive -sum t log p": naive,
            "log-sum-exp loss": float(impl.loss(W, X, Y)),
            "50-digit loss": float(precision.cross_entropy(W, X, Y)),
        }
    under, near = construction["gaps 400 and 800 (underflow)"], construction["gap 700 (p ~ 1e-304, no underflow)"]
    return experiment_evidence("floating-point caveat", {
        "the underflow gap of probs is 1075 ln 2 (within ln 2)": abs(g_star - threshold) <= tol.UNDERFLOW_GAP_TOLERANCE,
        "gap 800: spurious zero eigenvalues in float64": under["zero eigenvalues in float64"] > under["kernel dimension D K - (K-1) rank X"],
        "gap 800: mpmath certifies positive definite on K-perp": under["mpmath"]["positive_definite"],
        "gap 800: naive loss infinite, log-sum-exp loss = 50-digit loss": (not math.isfinite(under["naive -sum t log p"]))
        and abs(under["log-sum-exp loss"] - under["50-digit loss"]) <= rounding.agreement_tolerances(X, np.array([[0.0, -400.0, -800.0]]), Y, np.float64)["loss"],
        "gap 700: float64 cannot certify positive definiteness, mpmath can": (not near["float64 certifies positive definite on K-perp"])
        and near["mpmath"]["positive_definite"],
    }, examples=3, measurements={"underflow gap (bisection on probs)": g_star, "1075 ln 2": threshold,
                                 "constructions (X = [[1]], K = 3, target on the last class)": construction})

"""The derived bounds of the Gopalani, Jha & Mukherjee checks, each explained where it is defined.

The float64 rounding of a depth-2 evaluation, the Monte-Carlo, grid and
extrapolation errors of the experiments, and the catalog's pass criteria.
The experiments' budgets (steps, resamples, iterations, burn-in, examples)
are not here: they stand beside what spends them, in ``experiments.py``,
``landscapes.py`` and ``claims.py``.
"""

from __future__ import annotations

import numpy as np
from ...numerics.rounding import eps


# --------------------------------------------------------------------------
# Rounding of a depth-2 evaluation (used by verify.catalog.gopalani2023.formulas)
# --------------------------------------------------------------------------
#
# Rounding of a depth-2 evaluation (impls.depth2, float64). With u = eps / 2:
#
# * a pre-activation u_ik = sum_j x_ij W_jk is a d-term dot product:
#   |error| <= gamma_d sum_j |x_ij||W_jk| <= (d + 1) u S_u, S_u the largest
#   such absolute sum (Higham eq. 3.5);
# * sigma, sigma', sigma'' at a perturbed argument move by at most B1, B2,
#   B3 times that (B3 = sup |sigma'''|, below), and their own evaluation
#   (an exp, an add, a division, a product) adds <= 4 u relative;
# * the output f_i = sum_k a_k sigma(u_ik) then errs by
#   df <= sum_k |a_k| (B1 du + 4 u |sigma_ik|) + (p + 1) u sum_k |a_k sigma_ik|,
#   and the margin m_i = y_i f_i by the same; l', l'' (sup |l''| = 1/4,
#   sup |l'''| = 1/(6 sqrt 3)) move by 1/4 and 1/(6 sqrt 3) times df;
# * each term of a gradient entry or of the Laplacian is a product of at
#   most 5 such factors and |x|, each carrying <= 4 u, and the products add
#   5 u: DEPTH2_TERM_ULPS = 25 units of u relative, plus the propagated
#   errors above; a sum of N terms adds N u of the sum of absolute values
#   (gamma_N), and ||x_i||^2 another (d + 1) u.
#
# A factor 2 covers the second-order terms dropped (products of two
# errors) and the final additions of the regularizer. These bounds decide
# when a float value is "beyond rounding"; a claimed refutation is then
# re-checked in 50-digit mpmath, whose own error (below 1e-45 relative for
# these sums) is negligible against every tolerance here.
DEPTH2_EPS64 = eps(np.float64)
DEPTH2_TERM_ULPS = 25.0
DEPTH2_ROUNDING_SAFETY = 2.0
# sup |sigma'''|: sigmoid''' = sigma'(1 - 6 sigma + 6 sigma^2), largest at 0 (1/8);
# tanh''' = -2 sech^2 (1 - 3 tanh^2), largest at 0 (2); softplus''' = sigmoid'' (1/(6 sqrt 3)).
DEPTH2_THIRD_DERIVATIVE = {"sigmoid": 0.125, "tanh": 2.0, "softplus": 1.0 / (6.0 * np.sqrt(3.0))}
LOGISTIC_SECOND_BOUND = 0.25  # sup l'' = sup sigma(m) sigma(-m)
LOGISTIC_THIRD_BOUND = 1.0 / (6.0 * np.sqrt(3.0))  # sup |l'''| = sup |sigmoid''|


def depth2_rounding_bounds(X, y, a, theta, lam, train_outer, parts, bounds, third) -> dict:
    """Bounds on the float64 errors of loss, gradient (2-norm), Laplacian and Hessian entries of a depth-2 objective.

    ``parts`` holds the float intermediates at ``theta``: ``W`` (d, p),
    ``S``, ``S1``, ``S2`` (sigma and its derivatives at the pre-activations,
    (n, p)), ``l0``, ``l1``, ``l2`` (the logistic loss and its derivatives at
    the margins, (n,)); ``bounds = (B_sigma, B1, B2)``, ``third = sup |sigma'''|``.
    The derivation is in the comment above ``DEPTH2_TERM_ULPS``.
    """
    X = np.asarray(X, dtype=np.float64)
    a = np.abs(np.asarray(a, dtype=np.float64))
    theta = np.asarray(theta, dtype=np.float64)
    n, d = X.shape
    p = a.size
    u = DEPTH2_EPS64 / 2
    _, B1, B2 = bounds
    W, S, S1, S2 = (np.asarray(parts[k], dtype=np.float64) for k in ("W", "S", "S1", "S2"))
    l0, l1, l2 = (np.asarray(parts[k], dtype=np.float64) for k in ("l0", "l1", "l2"))
    S_abs, S1_abs, S2_abs, l1_abs = np.abs(S), np.abs(S1), np.abs(S2), np.abs(l1)
    Xa = np.abs(X)
    du = (d + 1) * u * (float(np.max(Xa @ np.abs(W))) if W.size else 0.0)
    df = float(np.max(S_abs @ a * (p + 5) * u + np.sum(a) * B1 * du))
    term = DEPTH2_TERM_ULPS * u
    # gradient, inner weights: (1/n) sum_i l'_i y_i a_k sigma'_ik x_ij
    abs_W = Xa.T @ (l1_abs[:, None] * a[None, :] * S1_abs) / n
    prop_W = Xa.T @ (a[None, :] * (l1_abs[:, None] * B2 * du + S1_abs * LOGISTIC_SECOND_BOUND * df)) / n
    err = [((n + 1) * u + term) * abs_W + prop_W]
    if train_outer:
        abs_a = l1_abs @ S_abs / n
        prop_a = (l1_abs * B1 * du) @ np.ones((n, p)) / n + S_abs.T @ np.full(n, LOGISTIC_SECOND_BOUND * df) / n
        err.append(((n + 1) * u + term) * abs_a + prop_a)
    grad_err = np.concatenate([e.ravel() for e in err]) + 2 * u * lam * np.abs(theta)
    # Laplacian: (1/n) sum_i ||x_i||^2 sum_k (l''_i a_k^2 sigma'_ik^2 + l'_i y_i a_k sigma''_ik) [+ sum_k l''_i sigma_ik^2]
    sq = np.einsum("nd,nd->n", X, X)
    abs_lap = np.sum(sq[:, None] * (l2[:, None] * (a * S1_abs) ** 2 + l1_abs[:, None] * a * S2_abs)) / n
    prop_lap = np.sum(sq[:, None] * (a**2 * (S1_abs**2 * LOGISTIC_THIRD_BOUND * df + l2[:, None] * 2 * S1_abs * B2 * du)
                                     + a * (S2_abs * LOGISTIC_SECOND_BOUND * df + l1_abs[:, None] * third * du))) / n
    if train_outer:
        abs_lap += np.sum(l2[:, None] * S_abs**2) / n
        prop_lap += np.sum(S_abs**2 * LOGISTIC_THIRD_BOUND * df + l2[:, None] * 2 * S_abs * B1 * du) / n
    lap_err = ((n * p + d + 2) * u + term) * abs_lap + prop_lap + 2 * u * lam * theta.size
    loss_err = (float(np.mean(l1_abs)) * df + ((n + 1) * u + term) * float(np.mean(np.abs(l0)))
                + (theta.size + 3) * u * lam / 2 * float(theta @ theta))
    # Hessian entries: J^T diag(h) J + sum_i g_i grad^2 f_i + lam I, with J = grad f_i (rows), h = l''/n,
    # g = l' y / n; each factor's error propagated as above, entrywise.
    J = (a[None, None, :] * S1_abs[:, None, :] * Xa[:, :, None]).reshape(n, d * p)
    dJ = (a[None, None, :] * (B2 * du + 4 * u * S1_abs)[:, None, :] * Xa[:, :, None]).reshape(n, d * p)
    if train_outer:
        J = np.concatenate([J, S_abs], axis=1)
        dJ = np.concatenate([dJ, B1 * du + 4 * u * S_abs], axis=1)
    h, dh = l2 / n, (LOGISTIC_THIRD_BOUND * df + 4 * u * l2) / n
    g, dg = l1_abs / n, (LOGISTIC_SECOND_BOUND * df + 4 * u * l1_abs) / n
    abs_H = J.T @ (h[:, None] * J)
    prop_H = J.T @ (h[:, None] * dJ) + dJ.T @ (h[:, None] * J) + J.T @ (dh[:, None] * J)
    k = np.arange(p)
    blocks_abs = np.einsum("ip,ij,il->pjl", g[:, None] * a * S2_abs, Xa, Xa)
    blocks_prop = np.einsum("ip,ij,il->pjl", g[:, None] * a * (third * du + 4 * u * S2_abs) + dg[:, None] * a * S2_abs, Xa, Xa)
    for target, blocks in ((abs_H, blocks_abs), (prop_H, blocks_prop)):
        WW = np.zeros((d, p, d, p))
        WW[:, k, :, k] = blocks
        target[: d * p, : d * p] += WW.reshape(d * p, d * p)
    if train_outer:
        cross_abs = Xa.T @ (g[:, None] * S1_abs)  # (d, p): d^2 f / dW_jk da_k = sigma'_ik x_ij
        cross_prop = Xa.T @ (g[:, None] * (B2 * du + 4 * u * S1_abs) + dg[:, None] * S1_abs)
        rows = (np.arange(d)[:, None] * p + k[None, :]).ravel()
        cols = np.tile(d * p + k, d)
        for target, cross in ((abs_H, cross_abs), (prop_H, cross_prop)):
            target[rows, cols] += cross.ravel()
            target[cols, rows] += cross.ravel()
    hess_err = ((n + 1) * u + term) * abs_H + prop_H + 2 * u * lam
    s = DEPTH2_ROUNDING_SAFETY
    return {"loss": s * loss_err, "grad": s * float(np.linalg.norm(grad_err)), "laplacian": s * float(lap_err),
            "hessian": s * float(np.max(hess_err))}


def depth2_villani_rounding(grad_norm: float, errors: dict, s: float) -> float:
    """Error of ``V_s = ||g||^2 / s - Laplacian`` from those of g (2-norm) and the Laplacian.

    ``| ||g + e||^2 - ||g||^2 | <= 2 ||g|| ||e|| + ||e||^2``, plus the rounding of
    the squared norm itself (``(dim + 2) u ||g||^2``, folded into one eps).
    """
    e = errors["grad"]
    return (2.0 * grad_norm * e + e * e) / s + errors["laplacian"] + 2 * DEPTH2_EPS64 * grad_norm**2 / s


# Trained outer layer (A1 second half): V_s is evaluated along a ray at t = 1e3
# and 1e4. On the ray W = 0, a = t u the quadratic coefficient is reached up
# to O(1/t^2) (catalog D3: V_s is exactly quadratic in t there); 1e4 keeps
# lam t <= 1e4 so that the regularizer's t^2 terms stay 1e8, far from any
# loss of precision of the O(1) terms against them (1e8 * eps ~ 2e-8).
DEPTH2_TRAINED_RAY_TIMES = (1e3, 1e4)
# The mpmath re-check of such a ray: V_s / t^2 at t = 1e5 and 1e6 must agree
# to 1e-3 relative. Along a saturating direction the coefficient changes by
# O(1/t) between those t (the O(t) terms), 1e-5 relative; a coefficient that
# still drifts by more than 1e-3 is not yet the asymptotic one.
DEPTH2_COEFFICIENT_SETTLED = 1e-3


# A2, width search: beta(p) / beta(1) - 1 is computed from two sums of a
# few products (||a||^2, ||a||_inf, mean ||x||^2): its rounding is a few
# ulps; 64 eps is generous and still 1e12 below the smallest real growth
# (beta(2)/beta(1) - 1 >= 0.09 for sigmoid on the XOR data).
DEPTH2_BETA_RATIO_ROUNDING = 64 * DEPTH2_EPS64

# Experiments with Monte-Carlo chains: a simulated mean is compared with a
# prediction at DEPTH2_MC_SIGMAS standard errors (3: a false alarm in 0.3% of runs
# for a Gaussian error; the runs are seeded, so a pass is reproducible).
DEPTH2_MC_SIGMAS = 3.0
# The catalog's pass criterion for a relaxation rate: within about 10% of
# lambda_s once the Monte-Carlo error and the Euler-Maruyama bias are
# accounted for (claims/gopalani2023.md, A.5). The harness compares the fit
# with lambda_s at 3 bootstrap SD + |lambda_EM - lambda_s| + the grid error,
# and requires that allowance to be within these 10%, so the experiment is
# sharp enough to tell the predicted rate from another.
DEPTH2_RELAXATION_RTOL = 0.10


def depth2_grid_gap_error(gap_h: float, gap_2h: float) -> float:
    """Error of a grid eigenvalue from its change under doubling the spacing.

    SQRA converges like h^2 where f is smooth on the scale h: gap(h) - gap =
    c h^2, so gap(2h) - gap(h) = 3 c h^2 and the error of gap(h) is
    |gap(2h) - gap(h)| / 3; a factor 4 (i.e. 4/3 in all) covers the next order.
    """
    return 4.0 / 3.0 * abs(gap_2h - gap_h)


# Plain gradient descent in one dimension (A3, D5) at step
# DEPTH2_GD_STEP_FRACTION / max |L''| (max over the grid): eta L'' <= 0.9 < 1 keeps
# the map w -> w - eta L'(w) increasing, so the iterates never cross a
# critical point (the 10% also covers L'' between grid nodes, which differs
# from its node values by < h^2 max|L''''| / 8 ~ 1e-5). Its number of steps
# is a budget (landscapes.GD_STEPS_BUDGET); that it is finite is what the
# tolerance below accounts for.
DEPTH2_GD_STEP_FRACTION = 0.9


def depth2_gd_excess_tolerance(loss_rounding: float, grad: float, curvature: float) -> float:
    """When ``L(GD end point) - min L`` shows a spurious limit.

    Beyond the rounding of the two loss values and, since GD stops after
    finitely many steps, beyond the end point's own distance to the minimum
    of its basin: ``L'^2 / (2 L'')`` in the quadratic model at the end point
    (conservative where the curvature grows toward the minimum, as in the
    flat outer parts of the one-gate landscape), doubled; infinite where
    ``L'' <= 0`` (GD stopped short of a minimum, no conclusion).
    """
    if curvature <= 0:
        return float("inf")
    return 2.0 * loss_rounding + 2.0 * grad * grad / (2.0 * curvature)


def depth2_mp_margin(scale: float = 1.0) -> float:
    """Smallest difference (values, positions) that counts as nonzero in a 50-digit mpmath re-check (1e-30 relative)."""
    return 1e-30 * max(1.0, float(scale))


def depth2_distinct_values_tolerance(rounding_a: float, rounding_b: float) -> float:
    """Two float loss values at refined critical points are distinct when they differ by more than both roundings."""
    return rounding_a + rounding_b


# Multistart (A6, D4): L-BFGS to ||grad|| <= 1e-10 (the catalog's gtol). An
# end point is certified as a strict local minimum when ||grad|| <= 1e-6 and
# the Hessian is positive definite; its value is then within
# ||grad||^2 / (2 mu) of the local minimum's (mu the smallest Hessian
# eigenvalue: the quadratic model, exact to O(||grad||^3)), plus rounding.
DEPTH2_MULTISTART_GTOL = 1e-10
DEPTH2_MULTISTART_CERTIFIED_GRAD = 1e-6


def depth2_local_minimum_value_error(grad_norm: float, min_eig: float, loss_rounding: float) -> float:
    """Bound on ``|L(end point) - L(local minimum)|``: ``||g||^2 / (2 mu) + rounding`` (inf when mu <= 0)."""
    if min_eig <= 0:
        return float("inf")
    return grad_norm**2 / (2.0 * min_eig) + loss_rounding


# Bakry-Emery on a grid (D2): the SQRA gap of a potential with f'' >= kappa
# is >= kappa up to the grid error, O(h^2) relative; 1e-3 relative is 100
# times the measured grid error on the one-gate grid (h = 0.0025).
DEPTH2_BAKRY_EMERY_RTOL = 1e-3


def depth2_extrapolation_tolerance(linear: float, quadratic: float, grid_error: float) -> float:
    """Error of the quadratic extrapolation of r(s) = 1 + c1 s + c2 s^2 to s = 0.

    Estimated by its difference from the linear one (which drops c2; the
    quadratic drops c3 s^3, smaller by a factor s), times 3, plus the grid error.
    """
    return 3.0 * abs(quadratic - linear) + grid_error


# D4 / F7: eps(s) within 5% of s D / 4 (the criterion). The harness
# also requires 3 SE + the Euler-Maruyama bias of the harmonic model,
# sum_j (s/4) / (1 - s h_j / 2) - s D / 4, to stay below those 5%, so that
# the run is able to resolve the claim (its burn-in and averaging lengths
# are budgets of experiments.floor_experiment).
DEPTH2_FLOOR_RTOL = 0.05


def depth2_dirac_slope_tolerance(sigma0: float, kappa: float) -> float:
    """Deviation of d log(1 + chi^2) / d log sigma_0 from -1 for ``N(w_0, sigma_0^2)`` against ``mu ~ e^{-2f/s}``.

    ``1 + chi^2 = (1/mu(w_0)) (2 sqrt(pi) sigma_0)^-1 (1 + O(sigma_0^2 kappa))`` with
    ``kappa = |(log mu)''| + ((log mu)')^2`` at w_0, so the slope is
    ``-1 + O(sigma_0^2 kappa)``; twice that, at the larger sigma_0 of the pair.
    """
    return 2.0 * sigma0**2 * kappa


# F4 tails: chi^2 "converges" when doubling the grid's half-width changes it
# by < 1e-9 relative (the Gaussian tail beyond R = 50 is below e^-125);
# it "diverges" when doubling multiplies it by more than 10 (the integrand
# grows like exp(x^2 (lambda/s - 1/sigma_0^2)) = exp(0.1 x^2) there).
DEPTH2_TAIL_CONVERGED = 1e-9
DEPTH2_TAIL_DIVERGED = 10.0

# F3 draws XOR-balanced data; the critical learning rate s* = 4 lam^2 /
# (sigma'(0)^2 mean||x||^2) overflows for data that are numerically zero, so
# the claim is checked on data with mean ||x||^2 >= 1e-4 (s* <= 4e4 lam^2 / sigma'(0)^2).
DEPTH2_F3_MIN_MEAN_SQ = 1e-4


def depth2_em_bias_slope_tolerance(s: float, curvature_sup: float) -> float:
    """How far the log-log slope of ``eps_EM(s) - eps(s)`` may lie from 2 at learning rate ``s``.

    For a quadratic of curvature h the discrete chain's stationary variance
    is ``(s / 2h) / (1 - s h / 2)``, so the excess over ``eps(s)`` is
    ``(s/4) (s h / 2) / (1 - s h / 2)``, whose local slope is
    ``2 + (s h / 2) / (1 - s h / 2) ~ 2 + s h / 2``; anharmonic terms add
    corrections of the same order. Twice that first-order term at the
    largest curvature, ``s sup |L''|``, bounds the deviation.
    """
    return float(s) * float(curvature_sup)


# A simulated curve compared with its prediction at each of ~80 recorded
# times at once: 4 SE (two-sided P(|Z| > 4) = 6e-5 per time, 0.5% for 80
# times even if they were independent).
DEPTH2_MC_SIGMAS_SIMULTANEOUS = 4.0

"""The Li, Li, Pan & Zhu checks' rounding bounds and pass criteria, each derived where it is defined.

The experiment budgets (L-BFGS iterations, SGD epochs, refit rounds,
held-out splits) are not bounds: they are named as budgets next to the
claims that spend them, in ``verify.catalog.li2020.claims``.
"""

from __future__ import annotations

import numpy as np
from ...numerics.rounding import eps, logit_error


# --------------------------------------------------------------------------
# The identities and the experiments on them (claims.py, balance.py, certificates.py)
# --------------------------------------------------------------------------
#
# Each stationarity identity I1, I2, I3, I4 of the catalog (B.3) is the bias
# equation N dJ/db_k = 0 written as a balance lhs_k = rhs_k of two sums of N
# nonnegative terms (for I2: alpha_k N_k and sum_i alpha_{y_i} p_ik). Its
# relative residual, |lhs_k - rhs_k - predicted_k| / max(lhs_k, rhs_k), with
# predicted_k = N lambda_b b_k under a bias penalty and 0 without one, has two
# sources:
#
# * rounding: each side is a sum of N terms, each a probability computed from
#   a logit of D products (relative error ~ (D + K + 4) u); the sums add
#   gamma_N (Higham ch. 3), so the rounding floor is about (N + D + K + 4) u,
#   below 2.1e-13 for the largest dataset (digits: N = 1797, D = 65, K = 10);
# * stationarity: the residual is N |dJ/db_k| / max(lhs, rhs) exactly, so it
#   is as small as the fit is stationary in b.
#
# The pass criterion is the catalog's (B.6): relative residual < 1e-6. It
# sits 6 decades above the rounding floor and 4 decades below the smallest
# effect the claims must detect (a bias penalty lambda_b = 1e-2 shifts the
# balance by N lambda_b |b_k| / side ~ 1e-3 .. 1e-1; label smoothing eps = 0.1
# by eps |N_k - N/K| / N_k ~ 1e-2), so a residual is either clearly within it
# or clearly outside.
LI_IDENTITY_RTOL = 1e-6

# Stationarity a fit must reach before a broken identity counts as a
# refutation (a fit that stopped early breaks every identity, which is claim
# G1, not the breakers'): the catalog's L-BFGS criterion |grad| < 1e-9 (B.6),
# applied to the largest entry of the whole gradient.
LI_STATIONARITY_GTOL = 1e-9

# Two models' pooled quantities (p-bar, the pooled ratio) count as different
# when they differ by more than 1% relative. At stationarity |grad| <= 1e-9
# and curvature >= lambda = 1e-3 (the weight penalty), the parameters are
# within 1e-6 of the exact stationary point, the logits within max_i ||x_i||
# * 1e-6 <= 5e-5 on these datasets (max row norm 48.4, digits), and every
# probability within 1.3e-5 (slope <= 1/4); relative to the smallest pooled
# probability compared (>= 2e-3) that is < 0.7%. The measured model
# dependence is 10% to 40% (catalog B.5).
LI_MODEL_DEPENDENCE_RTOL = 1e-2

# The candidate reduces to the unweighted one-vs-all LGL at gamma = 0: loss
# and gradient equal to 1e-12 (catalog B.6). At gamma = 0 every candidate
# weight is computed as exactly 1 (softmax of zeros, normalised as (K-1)/S
# with S = K-1 exact), so the two differ only in summation order, at most
# (K + 4) eps relative (3.1e-15 for K <= 10): the catalog's bound, relative to
# max(1, |value|), has a 300x margin.
LI_GAMMA0_RTOL = 1e-12

# Held-out comparisons: a difference of mean accuracies is reported as
# meaningful only beyond two standard errors of the paired difference over
# the splits (catalog B.6: "differences below about 2 standard errors are not
# meaningful"); the standard error is the one corrected for the splits'
# overlap (resampling.corrected_se: sd / sqrt(J) would understate it by a
# factor sqrt(J + 1) at 50/50 splits); the number of splits is B5's budget,
# in claims.py.
LI_HELDOUT_SE_MULTIPLE = 2.0

# B5's held-out test (``resampling.py``): the corrected resampled t-test per
# data set, each two-sided, with Holm's correction across the four data sets,
# at a family-wise level of 5%: a data set counts as showing a difference only
# when its Holm-adjusted p-value is <= 0.05. This is the stated level of the
# claim (the conventional one; nothing in the catalog fixes another).
LI_HELDOUT_LEVEL = 0.05

# "Single confusions several times the pooled average" (the averaging effect,
# B3/G3): max_{j != k} pbar_{k|j} >= 2 pbar_{k|not k}. A uniform spread of the
# negative mass gives exactly 1; the catalog measured 1.9 to 4.9 on digits.
LI_AVERAGING_FACTOR = 2.0

# Reweight / refit iteration of the stop-gradient candidate (G5): converged
# when max_ik |omega_{t+1} - omega_t| <= 1e-8. Each refit is stationary to
# |grad| <~ 1e-15 (Newton on the last layer), which fixes the logits and so
# omega (Lipschitz in the logits with constant <= gamma (K-1)) far below
# that; a non-converging iteration moves omega by 0.1 to K-1 per round
# (measured). Whether a run that has not converged is still contracting is
# G5's measurement (over a window of refits that is its budget, in claims.py).
LI_FIXED_POINT_TOL = 1e-8

# G5 reads the contraction factor rho = (c_T / c_(T-w))^(1/w) of the last w
# changes c_t = max |omega_(t+1) - omega_t| as "not converging" only when it
# exceeds 1 by more than the noise of its measurement (li_contraction_margin).
# The spread of the per-refit log ratios is taken at two standard errors, the
# catalog's threshold for a meaningful difference (B.6).
LI_CONTRACTION_SE_MULTIPLE = 2.0


def li_contraction_margin(changes, window: int) -> dict:
    """How far the contraction factor of the last ``window`` changes can be from its value by noise alone.

    ``rho = (c_T / c_(T-w))^(1/w)`` is the geometric mean of the per-refit
    ratios ``q_t = c_(t+1) / c_t`` over the window. Two sources, the larger
    is the margin:

    * rounding: each change is the difference of two computed omegas, each
      within ``LI_FIXED_POINT_TOL / 2`` of the exact one (see above: the
      refits fix omega far more closely), so ``c_t`` is off by at most
      ``delta = LI_FIXED_POINT_TOL``; to first order ``rho`` is then off by
      ``rho (delta / c_T + delta / c_(T-w)) / w``;
    * spread: the ``q_t`` of the window fluctuate (an oscillating iteration
      alternates them), and a window of w of them estimates the long-run rate
      to about ``rho sd(log q) / sqrt(w)``; the margin takes
      ``LI_CONTRACTION_SE_MULTIPLE`` of that.

    Returns ``{"margin", "rounding", "spread"}``; all 0 when there are fewer than
    ``window + 1`` changes or one of them is 0 (the run has stopped moving).
    """
    c = np.asarray(changes, dtype=np.float64)[-(window + 1):]
    if c.size <= window or np.any(c == 0):
        return {"margin": 0.0, "rounding": 0.0, "spread": 0.0}
    rho = float((c[-1] / c[0]) ** (1.0 / window))
    delta = LI_FIXED_POINT_TOL
    rounding = rho * (delta / c[-1] + delta / c[0]) / window
    spread = LI_CONTRACTION_SE_MULTIPLE * rho * float(np.std(np.diff(np.log(c)), ddof=1)) / np.sqrt(window)
    return {"margin": float(max(rounding, spread)), "rounding": float(rounding), "spread": float(spread)}

# A float refutation of an identity is confirmed by recomputing the
# probabilities and the balance sums in 50-digit mpmath from the fitted float
# parameters, exact dyadic inputs, in certificates.py: the recomputed
# residual carries an error below 1e-40 relative, so it confirms when it
# exceeds the tolerance too.


def li_ratio_tolerance() -> float:
    """Relative tolerance of a ratio ``lhs / rhs`` whose identity ``lhs = rhs`` holds to ``LI_IDENTITY_RTOL``.

    ``|lhs/rhs - 1| = delta max(lhs, rhs) / rhs <= delta / (1 - delta)``
    with ``delta`` the identity's relative residual.
    """
    return LI_IDENTITY_RTOL / (1.0 - LI_IDENTITY_RTOL)


# --------------------------------------------------------------------------
# The data (verify.catalog.li2020.datasets)
# --------------------------------------------------------------------------
#
# Standardising a train split: a column whose standard deviation is below
# 1e-8 of its magnitude is constant up to rounding (a constant column's
# computed std is ~eps |x| ~ 1e-17 |x|, a real one's is >= 1e-3 |x| on these
# data), so it is only centred; dividing by its rounding-size std sent test
# values to 1e17 (a rare digits pixel).
LI_CONSTANT_COLUMN_RTOL = 1e-8


# --------------------------------------------------------------------------
# The candidate loss and the implementations of impls.reweighted
# --------------------------------------------------------------------------


def li_weight_sum_tolerance(K: int) -> float:
    """Tolerance of ``|sum_{k != y} omega_k - (K - 1)|`` for the candidate's computed weights.

    ``omega_k = E_k ((K-1) / S)`` with ``S = sum_{k != y} E_k``: the K-1 terms
    sum with error gamma_{K} S, the division and the product add 2 u each,
    so each weight carries a relative error <= (K + 4) u and their sum, of
    size K - 1, an absolute error <= (K + 4) u (K - 1) plus the summation of
    the check itself, gamma_K (K - 1): in total (2K + 4) u (K - 1) <= (K + 2) eps (K - 1).
    """
    return (K + 2) * eps(np.float64) * (K - 1)


def li_weight_order_tolerance(gamma: float, max_abs_log_p: float) -> float:
    """Relative tolerance of ``omega_j <= omega_k`` when ``p_j <= p_k`` (the candidate favours hard classes).

    The computed ratio ``omega_j / omega_k = exp(gamma (log p_j - log p_k))``:
    each ``log p = -softplus(-z)`` is accurate to 2 eps relative, so the
    exponent is off by at most ``4 gamma eps max |log p|``, and the two exps
    and the shared normalisation add 4 eps: a violation larger than
    ``4 eps (1 + gamma max |log p|)`` relative is not rounding.
    """
    return 4.0 * eps(np.float64) * (1.0 + float(gamma) * float(max_abs_log_p))


def li_gradient_agreement_tolerance(X, G) -> float:
    """Tolerance of ``|X^T G1 - X^T G2|`` for two gradients of the logits computed by the same formula.

    ``G`` differs between the two only by the rounding of its entries
    (<= 4 eps relative: a product, a quotient and a sign flip), and each
    product ``X^T G`` adds gamma_N: ``(N + 8) eps max_dk sum_i |x_id| |G_ik|``.
    """
    X = np.abs(np.asarray(X, dtype=np.float64))
    G = np.abs(np.asarray(G, dtype=np.float64))
    return (X.shape[0] + 8) * eps(np.float64) * float(np.max(X.T @ G))


def li_agreement_tolerances(X, W, weight_scale: float = 1.0, gamma: float = 0.0) -> dict[str, float]:
    """Absolute tolerances for two implementations of a reweighted loss (``impls.reweighted``), float64.

    Both evaluate the same formulas; they differ by the rounding of the
    logits (``dz = logit_error(X, W)``) propagated through the loss, and by
    their own roundings. With ``S = max_ik sum_d |x_id||w_dk|`` bounding
    ``|z|``, ``a`` = ``weight_scale`` bounding the class weights, and the
    candidate's weights (<= K-1, moving with z through ``gamma log p``):

    * per-sample loss sensitivity ``c = a (K + gamma (K-1)(1 + S))`` bounds
      ``sum_k |dl_i/dz_ik|`` (softplus has slope <= 1; the weights' own
      derivative adds ``gamma omega (1 - p) |u - Ubar/(K-1)|``), and each term
      has size ``T <= a (K-1)(1 + S)`` (``softplus(z) <= |z| + log 2``);
    * loss: ``c dz`` from the logits plus ``(N K + K + 8) eps K T`` from
      the sums over N samples and K classes and the term evaluations;
    * probabilities: ``2 dz + (K + 3) eps`` (as for the softmax);
    * gradient ``X^T G / N``: each ``G`` entry moves by ``c**2 dz`` (the
      curvature is bounded by the square of the sensitivity) plus ``(K + 8)
      eps c`` of its own, summed over N samples with ``|x|`` weights;
    * Hessian (logistic losses and SML): each curvature ``a p (1 - p)`` moves by
      ``a dz / 4`` and carries ``(N + K + 8) eps a``.

    Every bound is doubled (two implementations).
    """
    X = np.asarray(X, dtype=np.float64)
    W = np.asarray(W, dtype=np.float64)
    N, D = X.shape
    K = W.shape[1]
    e = eps(np.float64)
    dz = logit_error(X, W, np.float64)
    S = float(np.max(np.abs(X) @ np.abs(W)))
    a = float(weight_scale)
    c = a * (K + float(gamma) * (K - 1) * (1 + S))
    T = a * max(1, K - 1) * (1 + S)
    col = float(np.max(np.abs(X).sum(axis=0)))
    gram = float(np.max(np.abs(X).T @ np.abs(X)))
    return {
        "loss": 2 * (c * dz + (N * K + K + 8) * e * K * T),
        "probs": 2 * (2 * dz + (K + 3) * e),
        "grad": 2 * col / N * (c * c * dz + (N + K + 8) * e * c),
        "hessian": 2 * gram / N * a * (dz / 4 + (N + K + 8) * e),
    }

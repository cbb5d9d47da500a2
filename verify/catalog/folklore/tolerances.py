"""The folklore checks' rounding bounds, each derived where it is defined.

Used by the float measurements (``verify.catalog.folklore.measures``: a
violation must exceed these) and by the mpmath certificates
(``verify.catalog.folklore.certificates``: a re-evaluated violation must exceed
``folklore_high_precision_margin``).
"""

from __future__ import annotations

import numpy as np
from ...numerics.rounding import eps


# --------------------------------------------------------------------------
# Values of cross-entropy-type functions (verify/catalog/folklore/measures.py)
# --------------------------------------------------------------------------
#
# The folklore claims compare values of cross-entropy-type functions,
# CE(y, z) = sum_k y_k (lse(z) - z_k), the mean loss L(W), H(p, q) =
# -sum_k p_k log q_k and KL(p || q), computed in floating point: an
# inequality (convexity, a bound) or an identity (two formulas for one
# value). Error model, with u = eps / 2 and S = max(1, scale), ``scale``
# being the largest magnitude that enters the value (the logit bound
# max_nk sum_d |x_nd||w_dk|, |log q_k|, or the value itself):
#
# * logits of the linear model, sums of D products: gamma_D S ~ D u S;
# * lse = max + log1p(sum_k exp(z_k - max)): each shifted logit is rounded
#   (u * 2S); weighted by p_k (summing to 1) that moves lse by <= 2 u S; exp,
#   the K-term sum and log1p add (K + 2) u;
# * the target dot product sum_k y_k (z_k - max) (or sum_k p_k log q_k): a
#   K-term sum of terms of size <= 2S, gamma_K 2S ~ 2 K u S;
# * the mean over N samples: gamma_N S ~ N u S.
#
# In total (D + N + 3K + 4) u S <= (2K + N + D + 4) eps S for every K, N, D.

# The "+ 4" of that bound (log, exp, log1p and the final division, in ulps).
FOLKLORE_VALUE_OVERHEAD = 4.0

# A point that is itself computed (the mixture lam*a + (1-lam)*b of two
# parameter arrays, or a shift W + c 1^T) is off by at most 3 u max(|a|, |b|)
# per entry (two products and a sum), which moves every logit by at most
# 3 u S per mixed factor, and CE by at most ||grad_z CE||_1 = ||(sum y) p -
# y||_1 <= 2 times that: 3 eps S per factor (a product of two mixed weight
# matrices, as in a two-layer network, counts two factors).
FOLKLORE_POINT_ROUNDING_COEF = 3.0

# Gradual underflow: a probability below the smallest normal number is
# computed with an absolute (not relative) error of up to about that number
# (exp underflowing to 0, or to a subnormal with a few significant bits).
FOLKLORE_UNDERFLOW_FLOOR = float(np.finfo(np.float64).tiny)

# A counterexample re-evaluated with mpmath at 50 significant digits carries
# a relative error below 1e-46 for the sums of at most 1e4 terms that occur
# here; a violation counts as confirmed when it exceeds 1e-40 max(1, S): a
# factor 1e6 above that error, and still 1e24 below every float64 tolerance.
FOLKLORE_HIGH_PRECISION_MARGIN = 1e-40

# Gradient tolerance passed to ``newton_on_complement`` by the folklore
# checks (its default). For a single sample with x = 1 the gradient is
# p - y, so at Newton's stopping point max_k |softmax(z*)_k - y_k| <= this;
# it is the accuracy to which a computed minimizer reproduces its target.
FOLKLORE_NEWTON_GRAD_TOL = 1e-12


def folklore_value_error(K: int, scale: float, N: int = 1, D: int = 1, dtype=np.float64) -> float:
    """Absolute rounding error of one computed CE-type value: ``(2K + N + D + 4) eps max(1, scale)``."""
    return (2 * K + N + D + FOLKLORE_VALUE_OVERHEAD) * eps(dtype) * max(1.0, float(scale))


def folklore_identity_tolerance(K: int, scale: float, N: int = 1, D: int = 1, dtype=np.float64) -> float:
    """Tolerance of ``|a - b|`` for two computations of the same value: the sum of their two errors."""
    return 2.0 * folklore_value_error(K, scale, N, D, dtype)


def folklore_point_rounding_error(scale: float, factors: int = 1, dtype=np.float64) -> float:
    """Change of a CE-type value caused by rounding a computed point (see FOLKLORE_POINT_ROUNDING_COEF)."""
    return FOLKLORE_POINT_ROUNDING_COEF * factors * eps(dtype) * max(1.0, float(scale))


def folklore_shift_tolerance(K: int, scale: float, N: int = 1, D: int = 1, dtype=np.float64) -> float:
    """Tolerance of ``|L(W + c 1^T) - L(W)|``: two computed values and the rounding of the shifted point."""
    return folklore_identity_tolerance(K, scale, N, D, dtype) + folklore_point_rounding_error(scale, dtype=dtype)


def folklore_convexity_tolerance(K: int, scale: float, N: int = 1, D: int = 1, factors: int = 1, dtype=np.float64) -> float:
    """Tolerance of the convexity gap ``f(lam a + (1-lam) b) - lam f(a) - (1-lam) f(b)``.

    The computed mixture's value and the convex combination of the two
    endpoint values each carry one value error (the weights sum to 1), plus
    the rounding of the mixed point itself.
    """
    return 2.0 * folklore_value_error(K, scale, N, D, dtype) + folklore_point_rounding_error(scale, factors, dtype)


def folklore_probability_rel_error(K: int, scale: float, dtype=np.float64) -> float:
    """Relative error of a computed softmax probability, ``(K + 3 + 2 max(1, scale)) eps``.

    A logit error ``dz <= eps S`` (rounding of the logit itself, or of a
    shifted logit ``z + c``) moves ``log p_k`` by at most ``2 dz`` (the
    log-softmax Jacobian ``I - 1 p^T`` has infinity norm <= 2); exp, the
    K-term sum and the division add ``(K + 3) eps``, as in
    :func:`agreement_tolerances`.
    """
    return (K + 3 + 2 * max(1.0, float(scale))) * eps(dtype)


def folklore_high_precision_margin(scale: float = 1.0) -> float:
    """Smallest violation, in the mpmath re-evaluation, that counts as confirmed (see FOLKLORE_HIGH_PRECISION_MARGIN)."""
    return FOLKLORE_HIGH_PRECISION_MARGIN * max(1.0, float(scale))

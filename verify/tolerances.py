"""Every tolerance the harness uses, derived and written once.

Each function says where its bound comes from. Nothing here is tuned to make
a test pass: a failure against these bounds is a finding.

Notation: ``u = eps / 2`` is the unit roundoff of the dtype; ``gamma_n =
n u / (1 - n u) ~ n u`` bounds the relative error of a sum or product chain of
n terms (Higham, *Accuracy and Stability of Numerical Algorithms*, ch. 3).
"""

from __future__ import annotations

import numpy as np


def eps(dtype) -> float:
    """Machine epsilon of a floating dtype."""
    return float(np.finfo(np.dtype(dtype)).eps)


# --------------------------------------------------------------------------
# Agreement between two implementations of the same quantity
# --------------------------------------------------------------------------

# Two backward-stable evaluations of the same formula differ by at most the
# sum of their forward errors; each is bounded by gamma_n times the formula
# evaluated on absolute values. A factor 2 covers "two implementations", and
# another 2 covers the log/exp/division roundings (each <= u) that the
# operation counts below leave out.
AGREEMENT_SAFETY = 4.0


def logit_error(X, W, dtype) -> float:
    """Bound on the absolute rounding error of any logit ``z_nk = sum_d x_nd w_dk``.

    gamma_D * sum_d |x_nd||w_dk|, maximised over n and k, in the computing dtype.
    """
    X = np.asarray(X, dtype=np.float64)
    W = np.asarray(W, dtype=np.float64)
    D = X.shape[1]
    return (D + 1) * eps(dtype) / 2 * float(np.max(np.abs(X) @ np.abs(W)))


def agreement_tolerances(X, W, Y, dtype, V=None) -> dict[str, float]:
    """Absolute tolerances for comparing two implementations' results.

    A logit error ``dz`` moves every ``log p_k`` by at most ``2 dz`` (the
    log-softmax has Jacobian ``I - 1 p^T``, of infinity norm <= 2), hence
    ``p_k`` by ``2 dz p_k`` and the loss by ``2 dz``. Each result then adds
    the rounding of its own sums: K terms for the log-sum-exp and the target
    dot product, N for the mean, and the products with X.

    Returns a dict with keys ``probs``, ``loss``, ``grad``, ``hessian``,
    ``hvp`` (the last only when V is given).
    """
    X = np.asarray(X, dtype=np.float64)
    W = np.asarray(W, dtype=np.float64)
    N, D = X.shape
    K = W.shape[1]
    e = eps(dtype)
    dz = logit_error(X, W, dtype)
    Z = X @ W
    spread = float(np.max(Z.max(axis=1) - Z.min(axis=1)))  # |z_nk - max_n| <= spread
    rel_p = 2 * dz + (K + 3) * e  # relative error of each p_nk
    x_abs = np.abs(X)
    tol = {
        "probs": rel_p,
        # log1p(rest) and sum_k y_k (z_k - m): K terms each of size <= spread.
        "loss": 2 * dz + (K + 3) * e * (1 + spread) + N * e * (1 + spread),
        # sum_n |x_nd| (|p_nk| + |y_nk|) / N, with p carrying rel_p and the sum gamma_N.
        "grad": float(np.max(x_abs.T @ (1 + rel_p + np.abs(np.asarray(Y, dtype=np.float64))) / N))
        * (rel_p + (N + 2) * e),
        # sum_n |x_nd||x_ne| p_nk (1 + p_nl) / N <= 2 max_n |x_n|_inf^2, each entry to (N + 3) u plus rel_p.
        "hessian": 2 * float(np.max(x_abs.T @ x_abs) / N) * (2 * rel_p + (N + 3) * e),
    }
    if V is not None:
        V = np.asarray(V, dtype=np.float64)
        u_scale = float(np.max(x_abs @ np.abs(V)))
        tol["hvp"] = (
            2 * float(np.max(x_abs.sum(axis=0)) / N) * u_scale * (2 * rel_p + (N + D + K + 3) * e)
        )
    return {k: AGREEMENT_SAFETY * v for k, v in tol.items()}


# --------------------------------------------------------------------------
# Finite-difference tolerances
# --------------------------------------------------------------------------
#
# Used by ``verify.derivatives``. The error model (Nocedal & Wright,
# *Numerical Optimization*, 2nd ed., sec. 8.1; Higham, ch. 1):
#
# * a function value is computed with an absolute error of at most
#   ``eps * F``, where ``F = max(1, |f(x)|)`` is its noise scale (for an array
#   valued function, the largest entry);
# * the function varies on the scale ``max(1, |x|)`` of its argument, so that
#   its derivatives of order n are of size ``F / max(1, |x|)**n``.
#
# A central difference with step h then has truncation error
# ``|f'''| h**2 / 6`` and rounding error ``eps F / h``. The second
# assumption is only used to pick the step; the tolerance itself uses an
# error estimate measured on the problem (the change of the difference when
# the step is halved), so a function that varies faster than assumed gets a
# looser, honest tolerance instead of a false failure.

# Central step: minimising |f'''| h**2 / 6 + eps F / h over h gives
# h**3 = 3 eps F / |f'''|, i.e. h = (3 eps)**(1/3) * max(1, |x|) under the
# unit-scale assumption (6.1e-6 * max(1, |x|) in float64, 7.1e-3 in float32).
CENTRAL_STEP_COEF = 3.0

# Richardson step: R(h) = (4 D(h/2) - D(h)) / 3 cancels the h**2 term of the
# central difference D and leaves |f^(5)| h**4 / 480; its rounding error is
# (4 * 2 eps F / h + eps F / h) / 3 = 3 eps F / h. Minimising the sum gives
# h**5 = 360 eps F / |f^(5)|, i.e. h = (360 eps)**(1/5) * max(1, |x|)
# (2.4e-3 in float64, 0.13 in float32).
RICHARDSON_STEP_COEF = 360.0

# Rounding error of the difference quotient in units of eps F / h: central
# (f(x+h) - f(x-h)) / (2h) carries 2 eps F / (2h); Richardson combines D(h/2)
# (rounding 2 eps F / h) with weight 4/3 and D(h) (eps F / h) with weight 1/3.
CENTRAL_ROUNDING_COEF = 1.0
RICHARDSON_ROUNDING_COEF = 3.0

# Error of a difference from the change under step halving. Central:
# D(h) = f' + a h**2 + ..., so D(h) - D(h/2) = (3/4) a h**2 and the error of
# D(h) is (4/3) |D(h) - D(h/2)|. Richardson: R(h) = f' + b h**4 + ..., so
# R(h) - R(h/2) = (15/16) b h**4 and the error of R(h) is (16/15) times it.
# Where rounding dominates, the change is the difference of two independent
# roundings and so measures the rounding actually incurred as well.
CENTRAL_HALVING_ERROR_COEF = 4.0 / 3.0
RICHARDSON_HALVING_ERROR_COEF = 16.0 / 15.0

# Complex step: Im f(x + i h e_j) / h has truncation |f'''| h**2 / 6 (zero for
# h = 1e-20 at any sane scale) and no subtraction, so its error is the
# relative rounding of one evaluation: a few eps of the gradient's scale.
# 1e-20 is far below eps * |x| for every |x| > 1e-4, and far above the
# smallest normal number of float32 (1.2e-38) and float64.
COMPLEX_STEP = 1e-20
COMPLEX_STEP_ROUNDING_COEF = 1.0

# The checked quantity (an implementation's gradient, Hessian, hvp) carries
# its own rounding, which the reference's error estimate does not see. A
# quantity computed to a few ulps of its scale is accurate; 8 ulps of
# max(1, scale) allows the sums and products of a typical kernel and is still
# 1e4 times below the central-difference error (eps**(2/3)) in either dtype,
# so it never hides a wrong derivative.
QUANTITY_ROUNDING_ULPS = 8.0

# The error estimate is measured, not bounded: where rounding dominates it is
# the size of one random rounding pattern, and the worst element of the
# actual error can exceed the largest element of the estimate. Measured on
# the numpy implementation (float32 and float64, central and Richardson,
# gradient, Hessian and both directional checks, |W| up to 10, 2000 random
# problems each) the ratio max_abs_error / (error_estimate + quantity
# rounding) stayed below 1; a factor 4 leaves room for functions noisier
# than those.
FINITE_DIFFERENCE_SAFETY = 4.0


def finite_difference_eps(*dtypes) -> float:
    """The eps that limits a difference: that of the least precise floating dtype.

    A float32 function of float64 arguments is only as accurate as float32,
    and so is a float64 function of float32 arguments (the step itself is then
    a float32 number). Non-floating dtypes (object, int) do not count; with
    none floating, float64 is assumed.
    """
    found = [eps(d) for d in dtypes if d is not None and np.dtype(d).kind in "fc"]
    return max(found) if found else eps(np.float64)


def central_step_factor(eps_value: float) -> float:
    """Relative central-difference step ``(3 eps)**(1/3)`` (see CENTRAL_STEP_COEF)."""
    return float((CENTRAL_STEP_COEF * eps_value) ** (1.0 / 3.0))


def richardson_step_factor(eps_value: float) -> float:
    """Relative Richardson step ``(360 eps)**(1/5)`` (see RICHARDSON_STEP_COEF)."""
    return float((RICHARDSON_STEP_COEF * eps_value) ** (1.0 / 5.0))


def difference_rounding_error(method: str, eps_value: float, noise_scale: float, step) -> np.ndarray:
    """Rounding error of a central or Richardson difference quotient.

    ``coef * eps * max(1, noise_scale) / step`` with ``coef`` 1 (central) or 3
    (Richardson); ``step`` may be an array (one step per coordinate).
    """
    coef = {"central": CENTRAL_ROUNDING_COEF, "richardson": RICHARDSON_ROUNDING_COEF}[method]
    return coef * eps_value * max(1.0, float(noise_scale)) / np.asarray(step, dtype=np.float64)


def halving_error_coef(method: str) -> float:
    """Factor turning ``|D(h) - D(h/2)|`` (or ``|R(h) - R(h/2)|``) into an error estimate."""
    return {"central": CENTRAL_HALVING_ERROR_COEF, "richardson": RICHARDSON_HALVING_ERROR_COEF}[method]


def complex_step_error(eps_value: float, scale: float) -> float:
    """Error of a complex-step derivative: its rounding, ``eps * max(1, scale)``."""
    return COMPLEX_STEP_ROUNDING_COEF * eps_value * max(1.0, float(scale))


def derivative_tolerance(error_estimate: float, scale: float, eps_value: float, factor: float | None = None) -> float:
    """Tolerance for ``max |computed - reference|`` of a derivative check.

    ``factor * (error_estimate + QUANTITY_ROUNDING_ULPS * eps * max(1, scale))``:
    the reference's own estimated error plus the checked quantity's rounding,
    times ``FINITE_DIFFERENCE_SAFETY`` unless ``factor`` is given.
    """
    factor = FINITE_DIFFERENCE_SAFETY if factor is None else float(factor)
    return factor * (float(error_estimate) + QUANTITY_ROUNDING_ULPS * eps_value * max(1.0, float(scale)))


def matvec_error(H, v, eps_value: float) -> float:
    """Error of the reference ``H @ v`` for an hvp check against a Hessian (m, n).

    Two parts: the rounding of the product, ``gamma_n max(|H| @ |v|)``
    (Higham eq. 3.5, ``gamma_n ~ n eps / 2``), and the rounding ``H`` itself
    carries, ``QUANTITY_ROUNDING_ULPS * eps * max(1, max |H|)`` per entry,
    which the product sums with weights ``|v|`` into ``... * ||v||_1``. The
    second part dominates: the product is taken in float64, ``H`` is in the
    implementation's dtype, and its entries come from sums over samples whose
    terms are as large as ``max |H|`` even where ``H @ v`` is small.
    """
    H = np.asarray(H, dtype=np.float64)
    v = np.asarray(v, dtype=np.float64).ravel()
    n = v.size
    product = (n + 1) * eps_value / 2 * float(np.max(np.abs(H) @ np.abs(v)))
    own = QUANTITY_ROUNDING_ULPS * eps_value * max(1.0, float(np.max(np.abs(H)))) * float(np.sum(np.abs(v)))
    return product + own

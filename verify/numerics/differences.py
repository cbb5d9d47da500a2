"""Finite differences: their steps, and the rounding and noise bounds of a derivative check.

Used by :mod:`verify.numerics.derivatives`; every constant is derived below
where it is defined.
"""

from __future__ import annotations

import numpy as np
from .rounding import eps


# --------------------------------------------------------------------------
# Finite-difference tolerances
# --------------------------------------------------------------------------
#
# Used by ``verify.numerics.derivatives``. The error model (Nocedal & Wright,
# *Numerical Optimization*, 2nd ed., sec. 8.1; Higham, ch. 1):
#
# * a function value is computed with an absolute error nu of at least
#   ``eps * F``, where ``F = max(1, |f(x)|)`` (for an array valued function,
#   the largest entry);
# * the function varies on the scale ``max(1, |x|)`` of its argument, so that
#   its derivatives of order n are of size ``F / max(1, |x|)**n``.
#
# A central difference with step h then has truncation error
# ``|f'''| h**2 / 6`` and rounding error ``nu / h``. The model (nu = eps F,
# unit scale) only picks the steps. The tolerance uses what is measured on
# the problem: the noise nu of f, and the change of the result with the
# step. A function that varies faster, or is noisier, than the model then
# gets a looser, honest tolerance instead of a false failure.

# Central step: minimising |f'''| h**2 / 6 + eps F / h over h gives
# h**3 = 3 eps F / |f'''|, i.e. h = (3 eps)**(1/3) * max(1, |x|) under the
# unit-scale assumption (8.7e-6 * max(1, |x|) in float64, 7.1e-3 in float32).
CENTRAL_STEP_COEF = 3.0

# Richardson step: R(h) = (4 D(h/2) - D(h)) / 3 cancels the h**2 term of the
# central difference D and leaves |f^(5)| h**4 / 480; its rounding error is
# (4 * 2 eps F / h + eps F / h) / 3 = 3 eps F / h. Minimising the sum gives
# h**5 = 360 eps F / |f^(5)|, i.e. h = (360 eps)**(1/5) * max(1, |x|)
# (2.4e-3 in float64, 0.13 in float32).
RICHARDSON_STEP_COEF = 360.0

# Rounding error of the difference quotient in units of nu / h, where nu
# bounds the error of one evaluation of f: central (f(x+h) - f(x-h)) / (2h)
# carries 2 nu / (2h); Richardson combines D(h/2) (rounding 2 nu / h) with
# weight 4/3 and D(h) (nu / h) with weight 1/3.
CENTRAL_ROUNDING_COEF = 1.0
RICHARDSON_ROUNDING_COEF = 3.0

# The noise nu of f is measured, not assumed (More & Wild, "Estimating
# computational noise", SIAM J. Sci. Comput. 33, 2011): f is evaluated at
# 2m + 1 = 9 points x + i s p (i = -4..4, p a unit direction), and the 4th
# differences of these values estimate the standard deviation sigma of the
# evaluation error: for independent errors of variance sigma**2,
# E[(Delta^4 f)**2] = C(8, 4) sigma**2 = 70 sigma**2. The model's
# eps * max(1, |f|) stays a floor. The noise of a real kernel is larger than
# eps |f| wherever f is a sum with cancellation (a mean of cross-entropies
# of large logits, a gradient X^T (P - Y) / N near its zero), and it is what
# limits a difference, so it must be measured.
NOISE_HALF_POINTS = 4  # m: 5 fourth differences, enough for a stable mean square
NOISE_DIFFERENCE_ORDER = 4  # order k of the differences
NOISE_DIFFERENCE_VARIANCE = 70.0  # C(2k, k) for k = 4
# Spacing s = (0.01 eps)**(1/4): the smooth part of a 4th difference is
# s**4 |f^(4)| = 0.01 eps F under the unit-scale model, 1% of the smallest
# noise measured, while s is still >= 1e3 ulps of |x| up to |x| ~ 1e8 (float64)
# or ~ 50 (float32), so the points see independent roundings.
NOISE_SPACING_COEF = 0.01
# A single evaluation's error is bounded by 3 sigma (99.7% of a Gaussian);
# rounding errors are bounded and lighter-tailed than that.
NOISE_SIGMAS = 3.0

# Truncation error from the change of the result with the step. Central:
# D(h) = f' + a h**2 + ..., so D(h) - D(h/2) = (3/4) a h**2 and the error of
# D(h) is (4/3) |D(h) - D(h/2)|; at the central step the h**2 regime holds
# (in the calibration below the actual error of a central difference
# exceeded the whole estimate by at most 2.2x). Richardson: asymptotically
# R(2h) - R(h) = 15 b h**4, 15 times the error of R(h), but at Richardson's
# step (~300 times the central one in float64, ~20 in float32) a function
# that varies faster than the unit-scale model (saturated logits, large |x|)
# is not yet in the h**4 regime, and the asymptotic (1/15) |R(2h) - R(h)|
# underestimated the error up to 8x in the calibration. |R(2h) - R(h)|
# itself bounds the error of R(h) whenever the error at least halves when
# the step halves, so the coefficient is 1: up to 15x conservative on the
# truncation part, which at the optimal step is a quarter of the rounding
# part.
CENTRAL_HALVING_ERROR_COEF = 4.0 / 3.0
RICHARDSON_HALVING_ERROR_COEF = 1.0

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

# The error estimate is measured, not a bound: where rounding dominates it is
# the size of one random rounding pattern, and at Richardson's step the
# truncation may not yet follow its asymptotic law. Calibration on the numpy
# implementation: 4000 random problems (N in {1, 3, 10, 50}, D <= 4, K <= 4,
# Gaussian W and X scaled by up to 10 and 3, so logits up to ~100; soft and
# one-hot targets), each in float32 and float64, with the gradient, Hessian
# and both directional checks by central and Richardson differences and the
# hvp against the Hessian: 72000 checks. The ratio max_abs_error /
# (error_estimate + quantity rounding) exceeded 1 in 0.13% of them, 2 in
# 0.014% (all float32), and 4 in 2 (float32 Richardson at a step about 3x
# the problem's scale |x| = 3, where R(2h) and R(h) agreed through a
# cancellation of their h**4 and h**6 terms). Float64 never exceeded 2.
# Hence 4: no false failure, with a 2x margin, in float64; in float32 prefer
# central differences, or pass a smaller ``step``, when |x| is large.
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


def noise_spacing(eps_value: float) -> float:
    """Spacing of the points the noise of f is measured on, ``(0.01 eps)**(1/4)``."""
    return float((NOISE_SPACING_COEF * eps_value) ** (1.0 / NOISE_DIFFERENCE_ORDER))


def evaluation_noise(eps_value: float, f_scale: float, differences) -> float:
    """Bound ``nu`` on the error of one evaluation of f.

    ``max(eps * max(1, f_scale), NOISE_SIGMAS * sigma)`` with
    ``sigma = sqrt(mean(differences**2) / 70)``, the noise measured from the
    4th differences (an array, one column per output of f; the largest
    column counts).
    """
    d = np.asarray(differences, dtype=np.float64)
    d = d.reshape(d.shape[0], -1)
    sigma = float(np.max(np.sqrt(np.mean(d**2, axis=0) / NOISE_DIFFERENCE_VARIANCE))) if d.size else 0.0
    return max(eps_value * max(1.0, float(f_scale)), NOISE_SIGMAS * sigma)


def difference_rounding_error(method: str, noise: float, step) -> np.ndarray:
    """Rounding error of a central or Richardson difference quotient.

    ``coef * noise / step`` with ``coef`` 1 (central) or 3 (Richardson),
    ``noise`` from ``evaluation_noise``; ``step`` may be an array (one step
    per coordinate).
    """
    coef = {"central": CENTRAL_ROUNDING_COEF, "richardson": RICHARDSON_ROUNDING_COEF}[method]
    return coef * float(noise) / np.asarray(step, dtype=np.float64)


def halving_error_coef(method: str) -> float:
    """Factor turning the change ``|D(h) - D(h/2)|`` (central) or ``|R(2h) - R(h)|`` (Richardson) into an error."""
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

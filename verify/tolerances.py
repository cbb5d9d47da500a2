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


# --------------------------------------------------------------------------
# Folklore (verify/catalog/folklore.py)
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


def folklore_value_error(K: int, scale: float, N: int = 1, D: int = 1, dtype=np.float64) -> float:
    """Absolute rounding error of one computed CE-type value: ``(2K + N + D + 4) eps max(1, scale)``."""
    return (2 * K + N + D + FOLKLORE_VALUE_OVERHEAD) * eps(dtype) * max(1.0, float(scale))


def folklore_identity_tolerance(K: int, scale: float, N: int = 1, D: int = 1, dtype=np.float64) -> float:
    """Tolerance of ``|a - b|`` for two computations of the same value: the sum of their two errors."""
    return 2.0 * folklore_value_error(K, scale, N, D, dtype)


def folklore_point_rounding_error(scale: float, factors: int = 1, dtype=np.float64) -> float:
    """Change of a CE-type value caused by rounding a computed point (see FOLKLORE_POINT_ROUNDING_COEF)."""
    return FOLKLORE_POINT_ROUNDING_COEF * factors * eps(dtype) * max(1.0, float(scale))


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


def psd_eigenvalue_tolerance(entry_error: float, n: int, norm: float, dtype=np.float64) -> float:
    """How far below 0 the computed smallest eigenvalue of a PSD matrix may lie.

    Weyl: an entrywise error ``<= entry_error`` of an ``n x n`` symmetric
    matrix moves every eigenvalue by at most ``||E||_2 <= ||E||_F <= n
    entry_error``; the symmetric eigensolver is backward stable with error
    ``<= p(n) eps ||A||_2``, taken as ``n eps ||A||_2`` (Golub & Van Loan,
    sec. 8.3). Sum: ``n (entry_error + eps ||A||_2)``.
    """
    return float(n) * (float(entry_error) + eps(dtype) * float(norm))


def folklore_high_precision_margin(scale: float = 1.0) -> float:
    """Smallest violation, in the mpmath re-evaluation, that counts as confirmed (see FOLKLORE_HIGH_PRECISION_MARGIN)."""
    return FOLKLORE_HIGH_PRECISION_MARGIN * max(1.0, float(scale))


# --------------------------------------------------------------------------
# Rychlik catalog: spectra, high-precision certificates, gradient-descent runs
# --------------------------------------------------------------------------
#
# Used by ``verify.catalog.rychlik``. Every bound below turns an exact
# statement (an eigenvalue is >= 0, an iteration contracts by rho) into one
# about computed numbers, by adding what rounding can do to them.


def symmetric_eigenvalue_error(H, entry_error: float, eps_value: float) -> float:
    """Bound on ``|computed - exact|`` for every eigenvalue of a symmetric (n, n) matrix.

    Two parts. (i) The matrix itself: each entry carries an absolute error of
    at most ``entry_error`` (for a Hessian, the bound of
    ``agreement_tolerances(...)["hessian"]``); an error matrix E with
    ``|E_ij| <= e`` has ``||E||_2 <= n e``, and by Weyl's inequality every
    eigenvalue moves by at most ``||E||_2``. (ii) The computation: LAPACK's
    symmetric eigensolver is backward stable, its eigenvalues are exact for
    ``H + F`` with ``||F||_2 <= p(n) eps ||H||_2`` (Golub & Van Loan, 4th ed.,
    sec. 8.3), and a projection ``B^T H B`` with orthonormal B adds the
    rounding of two products, ``gamma_n ||H||_2`` each (Higham eq. 3.13);
    ``p(n) = n`` for the solver and ``n`` per product gives ``3 n eps ||H||_2``.
    """
    H = np.asarray(H, dtype=np.float64)
    n = H.shape[0]
    norm = float(np.linalg.norm(H, 2)) if H.size else 0.0
    return float(n * entry_error + 3 * n * eps_value * norm)


# mpmath at d significant digits rounds each operation to 10**-d relative; the
# spectra and losses it evaluates here take at most ~10**5 operations on
# matrices of size <= 24 (Higham's gamma_n: n u grows linearly), so their
# relative error is below 10**-(d - 5). Ten digits of margin: in a d-digit
# computation a value counts as zero when it is below 10**-(d - 10) times the
# scale of the quantity (its matrix norm, its loss).
HIGH_PRECISION_MARGIN_DIGITS = 10


def high_precision_zero(scale, digits: int) -> float:
    """Largest magnitude that a ``digits``-digit mpmath evaluation cannot tell from 0, relative to ``scale``."""
    return float(scale) * 10.0 ** (-(int(digits) - HIGH_PRECISION_MARGIN_DIGITS))


def gd_step_rounding(W, G, step: float, grad_entry_error: float, eps_value: float) -> float:
    """Frobenius-norm bound on the rounding of one computed step ``W - step * G`` (arrays (D, K) or stacked (n, D, K)).

    Per entry: the product ``step * G`` and the subtraction each round once
    (``eps/2`` relative, together ``eps (|W| + |step G|)``, doubled for the
    product's own error), and the computed gradient differs from the exact
    one by at most ``grad_entry_error`` (``agreement_tolerances(...)["grad"]``),
    which the step multiplies by ``step``.
    """
    W = np.asarray(W, dtype=np.float64)
    G = np.asarray(G, dtype=np.float64)
    per_entry = eps_value * (np.abs(W) + 2 * np.abs(step * G)) + step * grad_entry_error
    norms = np.sqrt(np.sum(per_entry**2, axis=(-2, -1)))  # stacked (n, D, K) arrays give one bound per step
    return float(norms) if norms.ndim == 0 else norms


def minimizer_error(grad_norm: float, grad_error: float, curvature: float) -> float:
    """Bound on ``||W_computed - W*||_F`` for a computed minimiser on ``W0 + K⊥``.

    On K⊥ near W* the loss is strongly convex with modulus ``curvature`` (the
    smallest eigenvalue of the restricted Hessian there), so
    ``||W - W*|| <= ||grad L(W)|| / curvature`` while the curvature along the
    segment stays above that modulus; the factor 2 allows it to halve. The
    exact gradient norm is at most the computed one plus ``grad_error`` (the
    Frobenius norm of the computed gradient's entrywise error bound).
    """
    return float(2 * (grad_norm + grad_error) / curvature)


def third_derivative_bound(X) -> float:
    """``T3`` with ``||D^3 L(W)[A, B, C]|| <= T3 ||A||_F ||B||_F ||C||_F`` for every W (mean loss).

    Per sample, the third derivative of log-sum-exp along logit directions
    ``a, b, c`` is the joint third cumulant ``E[(a - Ea)(b - Eb)(c - Ec)]``
    under the softmax distribution, at most ``2 ||a||_inf ||b||_inf ||c||_inf``
    (|a - Ea| <= 2 ||a||_inf, and the covariance of b and c is at most
    ``||b||_inf ||c||_inf``); the logit direction of A is ``A^T x_n``, of
    2-norm at most ``||x_n|| ||A||_F``. The target term is linear in W and
    has no third derivative. Hence ``T3 = (2/N) sum_n ||x_n||^3``.
    """
    X = np.asarray(X, dtype=np.float64)
    return float(2.0 * np.mean(np.linalg.norm(X, axis=1) ** 3))


def contraction_ratio_slack(distance, step_rounding, minimizer_err: float,
                            step: float = 0.0, third_derivative: float = 0.0):
    """How far a measured ratio ``||W_{k+1} - W*|| / ||W_k - W*||`` may stray from the exact one.

    The computed iterate is the exact step of the computed ``W_k`` plus at
    most ``step_rounding``, and the computed ``W*`` is within
    ``minimizer_err`` of the exact one, so the measured distances carry
    absolute errors ``minimizer_err`` (before) and ``step_rounding +
    minimizer_err`` (after): the ratio moves by at most ``(step_rounding + 2
    minimizer_err) / distance``. When the ratio is compared with the
    linearisation at W* (a local rate), the gradient differs from
    ``H* (W - W*)`` by at most ``T3 ||W - W*||^2 / 2`` (Taylor, with
    :func:`third_derivative_bound`), which moves the ratio by
    ``step * T3 * distance / 2``; pass ``step`` and ``third_derivative`` for that.
    ``distance`` and ``step_rounding`` may be arrays (one entry per step).
    """
    return (np.asarray(step_rounding) + 2 * minimizer_err) / np.asarray(distance) \
        + step * third_derivative * np.asarray(distance) / 2


def gd_invariant_drift(n_steps: int, W_scale: float, step_grad_scale: float, K: int, eps_value: float) -> float:
    """Bound on the drift of ``W 1_K`` (per row) or of ``Q^T W`` (Q: null(X)) over ``n_steps`` computed steps.

    In exact arithmetic neither changes (rychlik F11: ``G 1_K = X^T (P - Y)
    1_K / N = 0`` and the columns of G lie in range(X^T)). In floating point,
    each step stores ``W - step G`` with a rounding of ``eps (|W| + |step
    G|)`` per entry, and the computed G has ``G 1_K`` of size up to
    ``(K + 2) eps |step G|`` (rows of P sum to 1 within ``(K + 2) eps``); a
    sum of K entries, or a projection onto a unit vector of length D <= K
    entries, adds ``K`` of each. The drifts of successive steps add.
    """
    per_step = K * (K + 2) * eps_value * (float(W_scale) + float(step_grad_scale))
    return float(n_steps * per_step)


# Float64 underflow of a softmax probability (rychlik S8): exp(-g) rounds to 0
# once it is below half the smallest subnormal, 2**-1075, i.e. for a logit gap
# g > 1075 ln 2 = 745.13. A correctly rounded exp puts the threshold exactly
# there; a libm exp that is accurate to one unit of the smallest subnormal
# (2**-1074) in the subnormal range can move it by at most one binade of the
# result, a change of ln 2 in g.
UNDERFLOW_GAP_TOLERANCE = float(np.log(2.0))


# Gradient tolerance passed to ``newton_on_complement`` by the folklore
# checks (its default). For a single sample with x = 1 the gradient is
# p - y, so at Newton's stopping point max_k |softmax(z*)_k - y_k| <= this;
# it is the accuracy to which a computed minimizer reproduces its target.
FOLKLORE_NEWTON_GRAD_TOL = 1e-12


def underflow_error(operations: int) -> float:
    """Absolute error that gradual underflow can add to a result of ``operations`` float64 operations.

    With subnormals, ``fl(x op y) = (x op y)(1 + d) + e`` with ``|e|`` at most
    half the smallest subnormal for each operation (Higham, sec. 2.1); the
    relative bounds above miss it when every term is tiny (inputs near 1e-170
    square to subnormals). One smallest subnormal per operation bounds it.
    """
    return float(operations * np.finfo(np.float64).smallest_subnormal)

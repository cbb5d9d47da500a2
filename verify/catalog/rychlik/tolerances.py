"""The Rychlik checks' rounding bounds, each derived where it is defined."""

from __future__ import annotations

import numpy as np

from ...numerics.rounding import agreement_tolerances, eps


# --------------------------------------------------------------------------
# Spectra, high-precision certificates, gradient-descent runs
# --------------------------------------------------------------------------
#
# Used by the claims, certificates and experiments of ``verify.catalog.rychlik``. Every bound below turns an exact
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


def high_precision_zero(scale, digits: int):
    """Largest magnitude that a ``digits``-digit mpmath evaluation cannot tell from 0, relative to ``scale``.

    A float while ``10**-(digits - margin)`` is a normal float64; beyond that (hundreds of digits, for
    probabilities like exp(-800)) an mpmath number, so that the threshold does not underflow to 0.
    """
    exponent = -(int(digits) - HIGH_PRECISION_MARGIN_DIGITS)
    if exponent >= -300 and not hasattr(scale, "_mpf_"):  # an mpf scale may itself be below float range
        return float(scale) * 10.0**exponent
    import mpmath

    return mpmath.mpf(scale) * mpmath.mpf(10) ** exponent


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


def underflow_error(operations: int) -> float:
    """Absolute error that gradual underflow can add to a result of ``operations`` float64 operations.

    With subnormals, ``fl(x op y) = (x op y)(1 + d) + e`` with ``|e|`` at most
    half the smallest subnormal for each operation (Higham, sec. 2.1); the
    relative bounds above miss it when every term is tiny (inputs near 1e-170
    square to subnormals). One smallest subnormal per operation bounds it.
    """
    return float(operations * np.finfo(np.float64).smallest_subnormal)


# The linear program of rychlik S1/S3 (a recession direction of the loss) is
# solved by HiGHS, whose default primal feasibility tolerance is 1e-7: a
# computed direction satisfies its equalities and inequalities only to that
# (relative to the data, which the whitened design scales to 1). Margins of
# the candidate direction below this are treated as ties when the exact
# certificate is built; an optimum total margin below ten times it is not
# distinguishable from 0 (no candidate: the search moves on, which can only
# miss a counterexample, never invent one, since the certificate is exact).
LP_FEASIBILITY_TOLERANCE = 1e-7
LP_MARGIN_FLOOR = 10 * LP_FEASIBILITY_TOLERANCE


def f7_bound_rounding(K: int) -> float:
    """Relative rounding of rychlik F7's bounds ``min p * s_min^2 / N`` and ``max mu_max(S(p)) * s_max^2 / N``.

    Each is a product of a probability (or the largest eigenvalue of a K x K
    matrix, computed to ``K eps`` relative by a backward-stable solver), a
    squared singular value (SVD: ``eps`` relative for the largest, and for
    the smallest relative to the largest, which is what the bound uses) and
    a division: ``4 K eps`` covers them.
    """
    return 4 * K * eps(np.float64)


# --------------------------------------------------------------------------
# The Hessian of the implementation: entries and eigenvalues
# --------------------------------------------------------------------------


def hessian_entry_tolerance(X, W, Y) -> float:
    """Bound on the error of each computed Hessian entry: the agreement bound plus gradual underflow.

    An entry is a sum over N samples of products of ``x_nd x_ne p_nk (delta - p_nl)``, about
    ``N (K + 4)`` operations, each of which may also lose one subnormal to underflow.
    """
    N, K = np.asarray(X).shape[0], np.asarray(W).shape[1]
    return agreement_tolerances(X, W, Y, np.float64)["hessian"] + underflow_error(N * (K + 4))


def hessian_eigen_tolerance(H, X, W, Y) -> float:
    """Bound on the error of every computed eigenvalue of H or of ``B^T H B`` (:func:`symmetric_eigenvalue_error`)."""
    return symmetric_eigenvalue_error(H, hessian_entry_tolerance(X, W, Y), eps(np.float64))

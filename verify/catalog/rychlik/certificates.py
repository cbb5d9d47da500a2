"""High-precision certificates and confirmations of the Rychlik checks.

Float64 decides most examples; where it cannot (probabilities below ~1e-16
against 1 in ``S(p)``, rychlik S8), or where a float violation must be
confirmed before a claim is refuted, the numbers are recomputed here in
mpmath at the precision the problem needs: spectra of the Hessian on a
subspace, an LDL^T certificate of positive definiteness, counts of zero
eigenvalues, and 50-digit finite differences of the definition.
"""

from __future__ import annotations

import math

import mpmath
import numpy as np

from ...numerics import differences, precision, rounding
from ...numerics.optimizers import kernel_complement_basis
from . import tolerances as tol
from .formulas import kernel_basis, logit_gaps, plain_gradient, row_space

EPS = rounding.eps(np.float64)


def digits_to_resolve(W, X) -> int:
    """mpmath digits that resolve the smallest eigenvalue of the Hessian on K-perp against its largest.

    On K-perp, ``lambda_min >= min p * lambda+_min(X^T X) / N`` and
    ``lambda_max <= lambda_max(X^T X) / (2N)`` (F7), and ``min_k p_nk >=
    exp(-gap_n) / K``; so the ratio is at least ``2 exp(-gap) / (K kappa+(X)^2)``.
    Its decimal exponent, plus the standard 50 digits, is enough.
    """
    K = np.asarray(W).shape[1]
    _, s, _ = row_space(X)
    if s.size == 0:
        return precision.HIGH_PRECISION_DIGITS
    gap = float(logit_gaps(W, X).max())
    needed = gap / math.log(10) + 2 * math.log10(s[0] / s[-1]) + math.log10(K)
    return precision.HIGH_PRECISION_DIGITS + int(math.ceil(needed))


def mp_restricted_spectrum(W, X, B, digits: int) -> list:
    """Eigenvalues (ascending, mpf) of ``B^T H(W) B`` with the Hessian of the definition in ``digits`` digits.

    ``B`` (DK, r) is taken exactly as the float64 numbers it holds.
    """
    A = mp_restricted_matrix(W, X, B, digits)
    with precision.workdps(digits):
        values = mpmath.eigsy(A, eigvals_only=True)
        return sorted(values[i] for i in range(A.rows))


def mp_restricted_matrix(W, X, B, digits: int):
    """``B^T H(W) B`` as an mpmath matrix, with the Hessian of the definition in ``digits`` digits.

    ``B`` (DK, r) is taken exactly as the float64 numbers it holds; the identity is not multiplied out.
    """
    H = precision.hessian(W, X, digits=digits)
    with precision.workdps(digits):
        Hm = mpmath.matrix(H.tolist())
        if B.shape[0] == B.shape[1] and np.array_equal(B, np.eye(B.shape[0])):
            return Hm
        Bm = mpmath.matrix(precision.to_mp(B))
        A = Bm.T * Hm * Bm
        return (A + A.T) / 2


def certify_restricted_positive_definite(W, X, B) -> dict:
    """Decide in mpmath whether ``B^T H(W) B`` is positive definite, at the precision the problem needs.

    With B of full column rank and H positive semidefinite, ``B^T H B`` is
    positive definite exactly when ``span(B)`` meets the kernel of H only in 0.
    Decided by the pivots of an LDL^T factorisation (each pivot is at least
    the smallest eigenvalue, so a positive definite matrix has all pivots
    above it): positive definite when every pivot exceeds
    ``n * tolerances.high_precision_zero(max diagonal, digits)``, the
    backward error of the factorisation at that precision.
    """
    digits = digits_to_resolve(W, X)
    A = mp_restricted_matrix(W, X, B, digits)
    n = A.rows
    with precision.workdps(digits):
        scale = max(abs(A[i, i]) for i in range(n)) if n else mpmath.mpf(0)
        floor = n * tol.high_precision_zero(scale, digits)
        L = mpmath.zeros(n, n)
        pivots = []
        positive = n > 0 and scale > 0
        for j in range(n):
            if not positive:
                break
            d = A[j, j] - mpmath.fsum(L[j, k] ** 2 * pivots[k] for k in range(j))
            pivots.append(d)
            if not d > floor:
                positive = False
                break
            for i in range(j + 1, n):
                L[i, j] = (A[i, j] - mpmath.fsum(L[i, k] * L[j, k] * pivots[k] for k in range(j))) / d
        return {
            "method": f"mpmath {digits} digits, LDL^T pivots",
            "digits": digits,
            "smallest_pivot": mpmath.nstr(min(pivots), 8) if pivots else "none",
            "zero_floor": mpmath.nstr(floor, 3),
            "positive_definite": bool(positive),
        }


def mp_zero_eigenvalues(W, X, B=None, digits: int = precision.HIGH_PRECISION_DIGITS) -> dict:
    """Number of eigenvalues of ``B^T H B`` (or H) that vanish in ``digits``-digit arithmetic."""
    n = np.asarray(W).size
    B = np.eye(n) if B is None else B
    values = mp_restricted_spectrum(W, X, B, digits)
    with precision.workdps(digits):
        scale = max(abs(values[0]), abs(values[-1]))
        floor = tol.high_precision_zero(scale, digits)
        zeros = sum(1 for v in values if abs(v) <= floor)
        return {
            "method": f"mpmath {digits} digits",
            "zero_eigenvalues": int(zeros),
            "lambda_min": mpmath.nstr(values[0], 5),
            "lambda_max": mpmath.nstr(values[-1], 8),
            "zero_floor": mpmath.nstr(floor, 3),
        }


def mp_fd_gradient(loss_mp, W, h_digits: int = 20) -> np.ndarray:
    """Central differences of an mpmath loss with step 10**-h_digits at 50 digits (float64 array).

    Truncation ``h^2 |f'''| / 6 ~ 1e-40`` and rounding ``1e-50 / h = 1e-30``:
    the result is the exact derivative to far below any float64 tolerance.
    """
    W = np.asarray(W, dtype=np.float64)
    G = np.zeros(W.shape)
    with precision.workdps(precision.HIGH_PRECISION_DIGITS):
        h = mpmath.mpf(10) ** (-h_digits)
        base = np.array(precision.to_mp(W), dtype=object)
        for idx in np.ndindex(W.shape):
            plus, minus = base.copy(), base.copy()
            plus[idx] = plus[idx] + h
            minus[idx] = minus[idx] - h
            G[idx] = float((loss_mp(plus) - loss_mp(minus)) / (2 * h))
    return G


FD_STEP_DIGITS = 20


def confirm_gradient_formula(W, X, T, *, plain: bool) -> dict:
    """mpmath: differences of the definition ``-(1/N) sum T log p`` against the plain or the corrected formula.

    The differences (step 1e-20 at 50 digits) are exact to 1e-30, so a
    discrepancy above ``high_precision_zero(scale, 50 - 20)`` is real.
    """
    exact = mp_fd_gradient(lambda Wm: precision.cross_entropy(Wm, X, T), W, FD_STEP_DIGITS)
    P = precision.as_float(precision.probs(W, X))
    plain_value = plain_gradient(P, X, T)
    corrected = precision.as_float(precision.gradient(W, X, T))
    scale = max(1.0, float(np.max(np.abs(exact))))
    floor = tol.high_precision_zero(scale, precision.HIGH_PRECISION_DIGITS - FD_STEP_DIGITS)
    plain_error = float(np.max(np.abs(plain_value - exact)))
    corrected_error = float(np.max(np.abs(corrected - exact)))
    # float64 rounding of the formula values themselves, a few ulps of the scale
    noise = differences.QUANTITY_ROUNDING_ULPS * EPS * scale
    formula_error = plain_error if plain else corrected_error
    return {
        "method": f"mpmath {precision.HIGH_PRECISION_DIGITS} digits, central differences with step 1e-{FD_STEP_DIGITS}",
        "confirmed": bool(formula_error > floor + noise),
        "plain_formula_error": plain_error,
        "corrected_formula_error": corrected_error,
        "corrected_formula_agrees": bool(corrected_error <= floor + noise),
        "row_sums": np.asarray(T, dtype=np.float64).sum(axis=1).tolist(),
    }


def _mp_gradient_entry(W, X, Y, i):
    """Entry i (C order) of the exact gradient, in mpmath (the object array from ``precision.gradient``)."""
    return precision.gradient(W, X, Y).ravel()[i]


def confirm_psd_kernel(pb) -> dict:
    """Recompute the three parts of P1-3 in mpmath at the precision the problem needs."""
    X, W = pb.X, pb.W
    K = W.shape[1]
    digits = digits_to_resolve(W, X)
    n = W.size
    full = mp_restricted_spectrum(W, X, np.eye(n), digits)
    kernel = kernel_basis(X, K)
    with precision.workdps(digits):
        scale = max(abs(full[0]), abs(full[-1]))
        floor = tol.high_precision_zero(scale, digits)
        Hm = mpmath.matrix(precision.hessian(W, X, digits=digits).tolist())
        kernel_norm = mpmath.mnorm(Hm * mpmath.matrix(precision.to_mp(kernel)), 1) if kernel.size else mpmath.mpf(0)
        not_psd = bool(full[0] < -floor)
        kernel_leak = bool(kernel_norm > floor * max(1, n))
    cert = certify_restricted_positive_definite(W, X, kernel_complement_basis(X, K))
    return {"method": f"mpmath {digits} digits", "confirmed": not_psd or kernel_leak or not cert["positive_definite"],
            "lambda_min": mpmath.nstr(full[0], 5), "kernel_norm": mpmath.nstr(kernel_norm, 5), "K-perp": cert}


def unnormalised_gradient_figure(impl, pb) -> dict:
    """Bars per W entry of the unnormalised counterexample: plain vs corrected formula vs mpmath differences."""
    X, W, T = (np.asarray(a, dtype=np.float64) for a in (pb.X, pb.W, pb.Y))
    N = X.shape[0]
    P = np.asarray(impl.probs(W, X), dtype=np.float64)
    plain = plain_gradient(P, X, T)
    corrected = X.T @ (P * T.sum(axis=1, keepdims=True) - T) / N
    fd = mp_fd_gradient(lambda Wm: precision.cross_entropy(Wm, X, T), W, FD_STEP_DIGITS)
    labels, values = [], []
    for d, k in np.ndindex(W.shape):
        labels += [f"W[{d},{k}]: differences", f"W[{d},{k}]: X^T(P-T)/N", f"W[{d},{k}]: X^T(P diag(T1)-T)/N"]
        values += [float(fd[d, k]), float(plain[d, k]), float(corrected[d, k])]
    sums = ", ".join(f"{v:g}" for v in T.sum(axis=1))
    return {"kind": "bar", "title": f"S4 counterexample (target row sums {sums}): dL/dW, formulas vs differences",
            "labels": labels, "values": values, "ylabel": "dL/dW_dk (nats per unit weight)",
            "hlines": [{"y": 0.0, "label": "0"}]}

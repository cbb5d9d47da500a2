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
from scipy.linalg import null_space

from ...numerics import differences, precision, rounding
from ...numerics.optimizers import kernel_complement_basis
from . import tolerances as tol
from .existence import confirm_no_minimiser, recession_direction
from .formulas import factored_hessian, kernel_basis, logit_gaps, plain_gradient, row_space
from .tolerances import hessian_entry_tolerance

EPS = rounding.eps(np.float64)


# --------------------------------------------------------------------------
# Spectra of the Hessian on a subspace, in mpmath
# --------------------------------------------------------------------------


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


# --------------------------------------------------------------------------
# Differences of the definition, in mpmath
# --------------------------------------------------------------------------


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


def unnormalised_gradient_figure(impl, pb) -> dict:
    """S4: bars per W entry of the unnormalised counterexample, plain vs corrected formula vs mpmath differences."""
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
    return {"kind": "bar", "title": f"rychlik.S4 counterexample (target row sums {sums}): dL/dW, formulas vs differences",
            "labels": labels, "values": values, "ylabel": "dL/dW_dk (nats per unit weight)",
            "hlines": [{"y": 0.0, "label": "0"}]}


# --------------------------------------------------------------------------
# Confirmations of the claims' shrunk counterexamples, in the catalog's order
# --------------------------------------------------------------------------


def _mp_gradient_entry(W, X, Y, i):
    """Entry i (C order) of the exact gradient, in mpmath (the object array from ``precision.gradient``)."""
    return precision.gradient(W, X, Y).ravel()[i]


def confirm_hessian_forms(pb) -> dict:
    """mpmath: 50-digit differences of the exact gradient against the Kronecker sum at the exact probabilities (P1-2)."""
    H_exact = precision.as_float(precision.hessian(pb.W, pb.X))
    fd = np.stack([mp_fd_gradient(lambda Wm: _mp_gradient_entry(Wm, pb.X, pb.Y, i), pb.W, FD_STEP_DIGITS).ravel()
                   for i in range(pb.W.size)])
    error = float(np.max(np.abs(fd - H_exact)))
    floor = tol.high_precision_zero(max(1.0, float(np.max(np.abs(fd)))), precision.HIGH_PRECISION_DIGITS - FD_STEP_DIGITS)
    return {"method": "mpmath 50 digits: differences of the exact gradient vs the Kronecker sum",
            "confirmed": bool(error > floor + differences.QUANTITY_ROUNDING_ULPS * EPS * max(1.0, float(np.max(np.abs(fd))))),
            "error": error}


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


def confirm_implicit_facts(pb) -> dict:
    """mpmath: shift invariance, L >= 0, L >= mean entropy, grad 1_K = 0 and Q^T grad = 0 at 50 digits (P1-6)."""
    X, W, Y = pb.X, pb.W, pb.Y
    with precision.workdps(precision.HIGH_PRECISION_DIGITS):
        L0 = precision.cross_entropy(W, X, Y)
        L1 = precision.cross_entropy(W + pb.V[:, :1], X, Y)
        entropy = -mpmath.fsum(mpmath.mpf(float(t)) * mpmath.log(mpmath.mpf(float(t))) for t in Y.ravel() if t > 0) / len(Y)
        G = precision.gradient(W, X, Y)
        row_sums = max(abs(mpmath.fsum(G[d])) for d in range(G.shape[0]))
        Q = null_space(X)
        leak = max((abs(mpmath.fsum(mpmath.mpf(float(Q[d, j])) * G[d, k] for d in range(G.shape[0])))
                    for j in range(Q.shape[1]) for k in range(G.shape[1])), default=mpmath.mpf(0))
        floor = tol.high_precision_zero(max(1, abs(L0)), precision.HIGH_PRECISION_DIGITS)
        # Q is float64-orthogonal to range(X^T) only to ~eps, so Q^T G is ~eps |G| even when G is exact.
        leak_floor = differences.QUANTITY_ROUNDING_ULPS * EPS * max(1.0, float(max(abs(g) for g in G.ravel())))
        failures = {"shift": abs(L1 - L0) > floor, "L < 0": L0 < -floor, "L < entropy": L0 < entropy - floor,
                    "grad 1_K != 0": row_sums > floor, "Q^T grad != 0": leak > leak_floor}
    return {"method": f"mpmath {precision.HIGH_PRECISION_DIGITS} digits", "confirmed": any(failures.values()),
            "failures": failures, "L": mpmath.nstr(L0, 12), "L(W + u 1^T) - L(W)": mpmath.nstr(L1 - L0, 5)}


def confirm_factored_hessian(pb) -> dict:
    """mpmath: the Hessian of the definition against the factored form of the exact probabilities (P2-1)."""
    exact_H = precision.as_float(precision.hessian(pb.W, pb.X))
    P = precision.as_float(precision.probs(pb.W, pb.X))
    error = float(np.max(np.abs(factored_hessian(pb.X, P) - exact_H)))
    entry = hessian_entry_tolerance(pb.X, pb.W, pb.Y)
    return {"method": "mpmath 50 digits (Hessian of the definition) vs the factored form of exact probabilities",
            "confirmed": bool(error > entry), "error": error}


def confirm_no_minimiser_or_not_coercive(pb) -> dict:
    """An exact certificate that no minimiser exists, or a 50-digit failure of the coercivity inequality (P2-2)."""
    X, Y = pb.X, pb.Y
    V, _ = recession_direction(X, Y)
    cert = confirm_no_minimiser(X, Y, V) if V is not None else {
        "confirmed": False, "reason": "no recession direction (linear program): a float failure of Newton"}
    tau = mpmath.mpf(float(Y.min()))
    coercive_fail = []
    with precision.workdps(precision.HIGH_PRECISION_DIGITS):
        for s in (1.0, 10.0, 100.0):
            W = s * pb.V
            Z = precision.logits(W, X)
            bound = tau * mpmath.fsum(max(z) - min(z) for z in Z) / len(Z)
            value = precision.cross_entropy(W, X, Y)
            if value < bound - tol.high_precision_zero(max(1, abs(value)), precision.HIGH_PRECISION_DIGITS):
                coercive_fail.append(s)
    return {"method": "exact certificate of non-existence / mpmath 50 digits (coercivity)",
            "confirmed": bool(cert["confirmed"] or coercive_fail), "no-minimiser certificate": cert,
            "coercivity fails at s": coercive_fail}


def confirm_f7_violation(pb) -> dict:
    """mpmath at the digits the logit gaps need: the spectrum on K-perp against F7's bounds (P2-4)."""
    X, W = pb.X, pb.W
    K = W.shape[1]
    P = kernel_complement_basis(X, K)
    digits = digits_to_resolve(W, X)
    values = mp_restricted_spectrum(W, X, P, digits)
    with precision.workdps(digits):
        probs = precision.probs(W, X, digits=digits)
        _, s, _ = row_space(X)
        N = X.shape[0]
        p_min = min(min(row) for row in probs)
        mu_max = max(max(mpmath.eigsy(mpmath.diag(row) - mpmath.matrix(row) * mpmath.matrix(row).T, eigvals_only=True))
                     for row in probs)
        m_hat = p_min * mpmath.mpf(float(s[-1])) ** 2 / N
        M_hat = mu_max * mpmath.mpf(float(s[0])) ** 2 / N
        floor = tol.high_precision_zero(abs(values[-1]), digits)
        # s comes from a float64 SVD: its relative error is ~ max(N, D) eps
        svd_slack = 4 * max(X.shape) * EPS
        fails = {"lower": bool(values[0] < m_hat * (1 - svd_slack) - floor),
                 "upper": bool(values[-1] > M_hat * (1 + svd_slack) + floor)}
    return {"method": f"mpmath {digits} digits", "confirmed": any(fails.values()), "fails": fails,
            "lambda_min": mpmath.nstr(values[0], 8), "lambda_max": mpmath.nstr(values[-1], 8),
            "m_hat": mpmath.nstr(m_hat, 8), "M_hat": mpmath.nstr(M_hat, 8)}


def confirm_two_class_factor(pb) -> dict:
    """mpmath: the eigenvalues of the W-Hessian on K-perp against twice the w-Hessian's (S5)."""
    X, W = pb.X, pb.W
    N = X.shape[0]
    P = kernel_complement_basis(X, 2)
    _, _, Vr = row_space(X)
    digits = digits_to_resolve(W, X)
    lam_W = mp_restricted_spectrum(W, X, P, digits)
    probs = precision.probs(W, X, digits=digits)
    with precision.workdps(digits):
        Xm, Vm = mpmath.matrix(precision.to_mp(X)), mpmath.matrix(precision.to_mp(Vr))
        weights = mpmath.diag([row[0] * row[1] for row in probs])
        Hw = Vm.T * Xm.T * weights * Xm * Vm / N
        lam_w = sorted(mpmath.eigsy((Hw + Hw.T) / 2, eigvals_only=True))
        gap = max(abs(a - 2 * b) for a, b in zip(lam_W, lam_w))
        floor = tol.high_precision_zero(max(abs(v) for v in lam_W), digits)
    return {"method": f"mpmath {digits} digits", "confirmed": bool(gap > floor), "max |lambda_W - 2 lambda_w|": mpmath.nstr(gap, 5)}

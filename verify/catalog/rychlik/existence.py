"""Existence of a minimiser: Newton on a whitened design, a recession direction, and its exact certificate.

A minimiser of the unregularised loss exists unless some direction V lowers
the loss all the way to its infimum (Albert & Anderson's separation,
generalised to soft targets). :func:`newton_existence` looks for the
minimiser on a well-conditioned copy of the design; :func:`recession_direction`
proposes V by a linear program, and :func:`no_minimiser_certificate` proves
in exact rational arithmetic that V has no minimiser in its way.
"""

from __future__ import annotations

import math
from fractions import Fraction

import mpmath
import numpy as np
from scipy.optimize import linprog

from ...numerics import precision
from ...numerics.optimizers import newton_on_complement
from . import tolerances as tol
from .formulas import row_space


def whitened(X):
    """``(U_r, M)`` with ``X M = U_r`` (orthonormal columns): the same loss landscape, well conditioned.

    ``X W = U_r (diag(s_r) V_r^T W)`` and ``W -> diag(s_r) V_r^T W`` maps onto
    every (r, K) matrix, so ``L(.; X)`` attains its infimum exactly when
    ``L(.; U_r)`` does, and a point ``W~`` of the second is ``W = M W~`` with
    ``M = V_r diag(1/s_r)`` in the first. Newton's curvature tests then
    compare eigenvalues on the scale of 1, not of ``s_min^2 / s_max^2``,
    which float64 cannot resolve below ~1e-16.
    """
    U, s, V = row_space(X)
    return U, V / s


def newton_existence(ctx, X, Y, W0=None, tol_grad: float = 1e-12):
    """Newton on ``W0 + K⊥`` for the whitened design: ``(NewtonResult, M)`` (see :func:`whitened`).

    With every target entry >= tau > 0, every Newton iterate (the line search
    only accepts decrease) satisfies ``L <= L(W0)``, and F10's coercivity
    ``L(W) >= tau/N sum_n spread(x_n^T W)`` bounds its K⊥-part: for
    orthonormal columns, ``sum_n spread(x_n^T V) >= ||X V||_F / sqrt(K) =
    ||V||_F / sqrt(K)``, so ``||V||_F <= N sqrt(K) L(W0) / tau``. Twice that is
    Newton's ``max_norm``: an iterate beyond it would contradict the bound.
    Without positive targets the default ``max_norm`` of Newton applies.
    """
    Xw, M = whitened(X)
    K = Y.shape[1]
    if Xw.shape[1] == 0:
        return None, M
    W0w = np.zeros((Xw.shape[1], K)) if W0 is None else W0
    kwargs = {}
    tau = float(np.min(Y))
    if tau > 0:
        L0 = float(ctx.impl.loss(W0w, Xw, Y))
        kwargs["max_norm"] = float(np.linalg.norm(W0w)) + 2 * Xw.shape[0] * math.sqrt(K) * L0 / tau
    return newton_on_complement(ctx.impl, Xw, Y, W0w, tol=tol_grad, **kwargs), M


def recession_direction(X, Y):
    """A direction V (D, K) along which L decreases without bound toward its infimum, or None.

    Solves the linear program: maximise the total margin ``sum_n sum_{j not in
    S_n} (u_{n, r_n} - u_{n, j})`` with ``u_n = V^T x_n``, subject to ``u_n``
    being equal on the support ``S_n`` of ``t_n`` (``r_n`` its first class),
    at most that value off it, and ``|V| <= 1``, on the whitened design (the
    same set of logit directions, well scaled). A positive optimum is a
    recession direction that is not a constancy direction, i.e. no minimiser
    (Albert & Anderson's separation, generalised to soft targets); an optimum
    of 0 means every recession direction leaves L unchanged, and L attains
    its minimum. The float solution is only a candidate: the proof is
    :func:`no_minimiser_certificate`.
    """
    Xw, M = whitened(X)
    N, r = Xw.shape
    K = Y.shape[1]
    if r == 0:
        return None, 0.0
    A_eq, A_ub, c = [], [], np.zeros(r * K)
    for n in range(N):
        S = [k for k in range(K) if Y[n, k] > 0]
        ref = S[0]
        for k in range(K):
            if k == ref:
                continue
            row = np.zeros((r, K))
            row[:, k] += Xw[n]
            row[:, ref] -= Xw[n]
            (A_eq if k in S else A_ub).append(row.ravel())
            if k not in S:
                c += row.ravel()  # minimise sum (u_nj - u_n,ref) = maximise the margins
    if not A_ub:
        return None, 0.0
    res = linprog(c, A_ub=np.array(A_ub), b_ub=np.zeros(len(A_ub)), A_eq=np.array(A_eq) if A_eq else None,
                  b_eq=np.zeros(len(A_eq)) if A_eq else None, bounds=[(-1, 1)] * (r * K), method="highs")
    if res.status != 0 or -res.fun <= tol.LP_MARGIN_FLOOR:
        return None, float(-res.fun) if res.status == 0 else 0.0
    return M @ res.x.reshape(r, K), float(-res.fun)


def no_minimiser_certificate(X, Y, V, active_tol: float = tol.LP_FEASIBILITY_TOLERANCE) -> dict:
    """Exact check that ``V`` proves that the loss has no minimiser.

    Certificate (a recession direction, Albert & Anderson's separation
    generalised to soft targets): for every sample n, the logit direction
    ``u_n = V^T x_n`` takes its maximum on every class in the support of
    ``t_n``, and some ``u_n`` is not constant. Then at every W the
    directional derivative is ``(1/N) sum_n (p_n . u_n - t_n . u_n) =
    (1/N) sum_n (p_n . u_n - max u_n) < 0``, because every p_n is strictly
    positive: the gradient vanishes nowhere, and a differentiable convex
    function without a stationary point has no minimiser.

    ``V`` comes from a float64 computation; ties on the soft rows (classes
    in one support must share the maximum exactly), and margins below
    ``active_tol`` times the scale of ``X V``, are restored by the exact
    orthogonal projection of ``vec(V)`` onto the subspace where they hold.
    Everything is decided in rational arithmetic on the exact values of the
    float inputs.
    """
    X = np.asarray(X, dtype=np.float64)
    N, D = X.shape
    K = np.asarray(Y).shape[1]
    Xq = [[Fraction(float(x)) for x in row] for row in X]
    v = [Fraction(float(x)) for x in np.asarray(V, dtype=np.float64).ravel()]
    supports = [tuple(k for k in range(K) if Y[n, k] > 0) for n in range(N)]
    # Classes whose float margin below the support's level is negligible are tied too (they are active
    # constraints of the direction, equal in exact arithmetic up to the float computation's rounding).
    U_float = X @ np.asarray(V, dtype=np.float64)
    scale = float(np.max(np.abs(U_float))) if U_float.size else 0.0
    ties = []
    for n, S in enumerate(supports):
        level = float(np.max(U_float[n, list(S)]))
        group = list(S) + [k for k in range(K) if k not in S and level - U_float[n, k] <= active_tol * scale]
        for a, b in zip(group, group[1:]):
            row = [Fraction(0)] * (D * K)
            for d in range(D):
                row[d * K + a] += Xq[n][d]
                row[d * K + b] -= Xq[n][d]
            ties.append(row)
    if ties:
        v = _project_onto_null_space(ties, v)
    Vq = np.array(v, dtype=object).reshape(D, K)
    nonconstant, failures, margins = [], [], []
    for n, S in enumerate(supports):
        u = [sum((Xq[n][d] * Vq[d, k] for d in range(D)), Fraction(0)) for k in range(K)]
        top = max(u)
        if any(u[k] != top for k in S):
            failures.append(n)
        if any(x != u[0] for x in u):
            nonconstant.append(n)
            margins.append(float(min(top - x for x in u if x != top)))
    valid = not failures and bool(nonconstant)
    return {
        "valid": bool(valid),
        "method": "exact rational arithmetic",
        "direction": [[float(x) for x in row] for row in Vq],
        "direction_exact": Vq,
        "samples_not_maximal_on_support": failures,
        "samples_with_nonconstant_logit_direction": nonconstant,
        "smallest_positive_margin": min(margins) if margins else None,
    }


def _project_onto_null_space(rows, v):
    """Exact orthogonal projection of ``v`` onto ``{x : A x = 0}`` (A given by rational ``rows``), in Fractions.

    ``v - A_r^T (A_r A_r^T)^{-1} A_r v`` with A_r a basis of A's row space (from Gaussian elimination).
    """
    basis = []
    for row in rows:  # Gaussian elimination: reduce each row by the independent rows kept so far
        r = list(row)
        for pivot, b in basis:
            if r[pivot] != 0:
                f = r[pivot] / b[pivot]
                r = [x - f * y for x, y in zip(r, b)]
        nz = next((i for i, x in enumerate(r) if x != 0), None)
        if nz is not None:
            basis.append((nz, r))
    A = [b for _, b in basis]
    m = len(A)
    G = [[sum((a * c for a, c in zip(A[i], A[j])), Fraction(0)) for j in range(m)] for i in range(m)]
    rhs = [sum((a * x for a, x in zip(A[i], v)), Fraction(0)) for i in range(m)]
    y = _solve_fractions(G, rhs)
    return [x - sum((A[i][j] * y[i] for i in range(m)), Fraction(0)) for j, x in enumerate(v)]


def _solve_fractions(G, rhs):
    """Solve the nonsingular system ``G y = rhs`` exactly (Gauss-Jordan with Fractions)."""
    m = len(G)
    M = [list(G[i]) + [rhs[i]] for i in range(m)]
    for col in range(m):
        piv = next(i for i in range(col, m) if M[i][col] != 0)
        M[col], M[piv] = M[piv], M[col]
        p = M[col][col]
        M[col] = [x / p for x in M[col]]
        for i in range(m):
            if i != col and M[i][col] != 0:
                f = M[i][col]
                M[i] = [a - f * b for a, b in zip(M[i], M[col])]
    return [M[i][m] for i in range(m)]


def ray_losses(X, Y, V, scales) -> list:
    """``L(s V) - (1/N) sum_n entropy(t_n)`` in 50-digit mpmath for each s (mpf values).

    The subtracted value is a lower bound of L (cross-entropy >= entropy);
    ``V`` may hold exact Fractions (an object array).
    """
    Y = np.asarray(Y, dtype=np.float64)
    V = np.asarray(V)
    out = []
    with precision.workdps(precision.HIGH_PRECISION_DIGITS):
        entropy = -mpmath.fsum(mpmath.mpf(float(t)) * mpmath.log(mpmath.mpf(float(t))) for t in Y.ravel() if t > 0) / len(Y)
        for s in scales:
            W = V * Fraction(s) if V.dtype == object else V.astype(np.float64) * s
            out.append(precision.cross_entropy(W, X, Y) - entropy)
    return out


def confirm_no_minimiser(X, Y, V) -> dict:
    """High-precision confirmation that (X, Y) has no minimiser, from the direction V of a float run."""
    cert = no_minimiser_certificate(X, Y, V)
    result = {key: value for key, value in cert.items() if key != "direction_exact"}
    result["confirmed"] = cert["valid"]
    if cert["valid"]:
        result["method"] = "exact rational arithmetic (recession-direction certificate); mpmath 50 digits along the ray"
        # Unit smallest margin, so that L(s V) - inf L ~ exp(-s) stays visible in 50 digits.
        V = cert["direction_exact"] / Fraction(cert["smallest_positive_margin"])
        scales = [1, 2, 4, 8, 16, 32]
        values = ray_losses(X, Y, V, scales)
        result["ray_scales (direction scaled to unit smallest margin)"] = scales
        result["loss_minus_mean_entropy_along_ray"] = [mpmath.nstr(v, 6) for v in values]
        result["decrease_between_consecutive_scales"] = [mpmath.nstr(a - b, 3) for a, b in zip(values, values[1:])]
        result["strictly_decreasing_along_ray"] = all(b < a for a, b in zip(values, values[1:]))
        result["confirmed"] = result["strictly_decreasing_along_ray"]
    return result

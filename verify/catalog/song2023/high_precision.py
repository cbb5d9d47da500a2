"""The 50-digit reference of the ResNet-softmax claims: every quantity re-evaluated in mpmath, by its definition.

A float64 violation found by a search is confirmed (or dismissed as a
rounding artifact) by these evaluations. They follow the definitions, not
the closed forms under test: the loss from u / alpha, the Hessian by the
entrywise form of C3 or by mpmath's numerical differentiation of the
50-digit loss, eigenvalues by mpmath's Jacobi solver. The one exception is
``mp_structure``, which re-evaluates C4's closed forms themselves, since
C4 is a statement about them. The working precision is
``verify.numerics.precision.HIGH_PRECISION_DIGITS``; binary floats are
converted exactly.
"""

from __future__ import annotations

import mpmath
import numpy as np

from ...numerics import precision


def _mp(v) -> mpmath.mpf:
    return mpmath.mpf(float(v))  # a binary float is converted exactly


def mp_point(x, A, b=None, w=None) -> dict:
    """The pieces at a point, in 50-digit arithmetic: z, e = exp(z), u, alpha, f, h, p (and c, r with b)."""
    with precision.workdps():
        X = [_mp(v) for v in np.asarray(x).ravel()]
        Am = [[_mp(v) for v in row] for row in np.asarray(A)]
        n, d = len(Am), len(X)
        z = [mpmath.fsum(Am[j][k] * X[k] for k in range(d)) for j in range(n)]
        e = [mpmath.exp(zj) for zj in z]
        u = [e[j] + z[j] for j in range(n)]
        alpha = mpmath.fsum(u)
        out = {"n": n, "d": d, "A": Am, "z": z, "e": e, "u": u, "alpha": alpha}
        if alpha != 0:
            out.update(f=[uj / alpha for uj in u], h=[(ej + 1) / alpha for ej in e], p=[ej / alpha for ej in e])
        if b is not None and alpha != 0:
            bm = [_mp(v) for v in b]
            out["b"] = bm
            out["c"] = [out["f"][j] - bm[j] for j in range(n)]
            out["r"] = mpmath.fsum(out["c"][j] * out["f"][j] for j in range(n))
        out["w2"] = [mpmath.mpf(0)] * n if w is None else [_mp(v) ** 2 for v in w]
        return out


def mp_loss(x, A, b, w=None) -> mpmath.mpf:
    """``0.5 ||u / alpha - b||^2 + 0.5 ||diag(w) A x||^2`` by the definition."""
    P = mp_point(x, A, b, w)
    with precision.workdps():
        return mpmath.fsum(cj**2 for cj in P["c"]) / 2 + mpmath.fsum(P["w2"][j] * P["z"][j] ** 2 for j in range(P["n"])) / 2


def mp_hessian(x, A, b, w=None) -> np.ndarray:
    """The Hessian in x by the entrywise form of C3 (second derivatives of f through those of u and alpha)."""
    P = mp_point(x, A, b, w)
    with precision.workdps():
        n, d, Am, a, u, e = P["n"], P["d"], P["A"], P["alpha"], P["u"], P["e"]
        du = [[(e[j] + 1) * Am[j][i] for i in range(d)] for j in range(n)]
        da = [mpmath.fsum(du[j][i] for j in range(n)) for i in range(d)]
        df = [[du[j][i] / a - da[i] * u[j] / a**2 for i in range(d)] for j in range(n)]
        H = [[mpmath.mpf(0)] * d for _ in range(d)]
        for i in range(d):
            for l in range(d):
                d2a = mpmath.fsum(e[j] * Am[j][i] * Am[j][l] for j in range(n))
                terms = []
                for j in range(n):
                    d2f = (e[j] * Am[j][i] * Am[j][l] / a - (du[j][i] * da[l] + du[j][l] * da[i]) / a**2
                           - u[j] * d2a / a**2 + 2 * u[j] * da[i] * da[l] / a**3)
                    terms.append(df[j][i] * df[j][l] + P["c"][j] * d2f + P["w2"][j] * Am[j][i] * Am[j][l])
                H[i][l] = mpmath.fsum(terms)
        return np.array(H, dtype=object)


def mp_numeric_gradient(x, A, b, w=None) -> np.ndarray:
    """The gradient of the 50-digit loss by mpmath's numerical differentiation (independent of C2's formula)."""
    x = np.asarray(x, dtype=np.float64)
    with precision.workdps():
        def loss_at(*xs):
            return _mp_loss_values(xs, A, b, w)
        return np.array([mpmath.diff(loss_at, [_mp(v) for v in x], tuple(int(k == i) for k in range(x.size)))
                         for i in range(x.size)], dtype=object)


def mp_numeric_hessian(x, A, b, w=None) -> np.ndarray:
    """The Hessian of the 50-digit loss by mpmath's numerical differentiation (independent of C3's formulas)."""
    x = np.asarray(x, dtype=np.float64)
    d = x.size
    with precision.workdps():
        def loss_at(*xs):
            return _mp_loss_values(xs, A, b, w)
        point = [_mp(v) for v in x]
        H = [[mpmath.diff(loss_at, point, tuple(int(k == i) + int(k == l) for k in range(d))) for l in range(d)]
             for i in range(d)]
        return np.array(H, dtype=object)


def _mp_loss_values(xs, A, b, w):
    Am = [[_mp(v) for v in row] for row in np.asarray(A)]
    n = len(Am)
    z = [mpmath.fsum(Am[j][k] * xs[k] for k in range(len(xs))) for j in range(n)]
    u = [mpmath.exp(zj) + zj for zj in z]
    alpha = mpmath.fsum(u)
    value = mpmath.fsum((u[j] / alpha - _mp(b[j])) ** 2 for j in range(n)) / 2
    if w is not None:
        value += mpmath.fsum((_mp(w[j]) * z[j]) ** 2 for j in range(n)) / 2
    return value


def mp_lambda_min(M) -> mpmath.mpf:
    return precision.eigvalsh(M)[0]


def mp_spectral_norm(M) -> mpmath.mpf:
    """2-norm of a real (object or float) matrix: sqrt of the largest eigenvalue of M^T M, 50 digits."""
    with precision.workdps():
        Mm = mpmath.matrix([[mpmath.mpf(v) if not isinstance(v, mpmath.mpf) else v for v in row] for row in np.atleast_2d(M).tolist()])
        values = precision.eigvalsh(np.array((Mm.T * Mm).tolist(), dtype=object))
        return mpmath.sqrt(max(values[-1], 0))


def mp_beta_star(n: int, R: float) -> float:
    """beta*(n, R) = n (exp(-c) - c), c = R^2 / sqrt n, in 50 digits (C10's sharp bound)."""
    with precision.workdps():
        c = _mp(R) ** 2 / mpmath.sqrt(n)
        return float(n * (mpmath.exp(-c) - c))


def mp_distance(x, y) -> mpmath.mpf:
    """``||x - y||_2`` in 50 digits."""
    with precision.workdps():
        return mpmath.sqrt(mpmath.fsum((_mp(a) - _mp(b)) ** 2 for a, b in zip(x, y)))


def mp_f_lipschitz_ratio(x, y, A, b) -> mpmath.mpf:
    """``||f(x) - f(y)|| / ||x - y||`` in 50 digits (C6)."""
    P, Q = mp_point(x, A, b), mp_point(y, A, b)
    with precision.workdps():
        dist = mp_distance(x, y)
        return mpmath.sqrt(mpmath.fsum((P["f"][j] - Q["f"][j]) ** 2 for j in range(P["n"]))) / dist


def mp_hessian_lipschitz_ratio(x, y, A, b) -> mpmath.mpf:
    """``||Hess L(x) - Hess L(y)|| / ||x - y||`` in 50 digits, from the entrywise Hessians (C6)."""
    Hx, Hy = mp_hessian(x, A, b), mp_hessian(y, A, b)
    d = np.asarray(A).shape[1]
    with precision.workdps():
        dist = mp_distance(x, y)
        return mp_spectral_norm(np.array([[Hx[i, j] - Hy[i, j] for j in range(d)] for i in range(d)], dtype=object)) / dist


def mp_structure(x, A, b) -> tuple[mpmath.mpf, list]:
    """C4's closed forms in 50 digits: ``max |B_rank + B_diag - G - K|`` and the singular values of B_rank (descending)."""
    P = mp_point(x, A, b)
    with precision.workdps():
        n, f, h, p, c, r, bm = P["n"], P["f"], P["h"], P["p"], P["c"], P["r"], P["b"]
        gamma = mpmath.fsum((3 * f[k] - 2 * bm[k]) * f[k] for k in range(n))
        q = [h[k] * (2 * f[k] - bm[k]) for k in range(n)]
        B_rank = [[gamma * h[i] * h[j] - q[i] * h[j] - h[i] * q[j] for j in range(n)] for i in range(n)]
        B = [[B_rank[i][j] + (h[i] ** 2 + p[i] * (c[i] - r) if i == j else 0) for j in range(n)] for i in range(n)]
        Jt = lambda k, m: (h[k] if k == m else 0) - h[k] * f[m]
        GK = [[mpmath.fsum(Jt(i, m) * Jt(j, m) for m in range(n))
               + (p[i] * (c[i] - r) if i == j else 0) - h[i] * c[i] * h[j] - h[i] * h[j] * c[j] + 2 * r * h[i] * h[j]
               for j in range(n)] for i in range(n)]
        split = max(abs(B[i][j] - GK[i][j]) for i in range(n) for j in range(n))
        sv = sorted((mpmath.sqrt(max(v, 0)) for v in precision.eigvalsh(np.array((mpmath.matrix(B_rank).T * mpmath.matrix(B_rank)).tolist(), dtype=object))), reverse=True)
    return split, sv


def mp_sqrt_psd(H) -> tuple[mpmath.matrix, mpmath.matrix]:
    """``(S, S^-1)`` with ``S = H^1/2`` of a symmetric positive definite 50-digit matrix, by mpmath's Jacobi eigensolver."""
    with precision.workdps():
        vals, vecs = mpmath.eigsy(mpmath.matrix(np.asarray(H).tolist()))
        S = vecs * mpmath.diag([mpmath.sqrt(v) for v in vals]) * vecs.T
        S_i = vecs * mpmath.diag([1 / mpmath.sqrt(v) for v in vals]) * vecs.T
    return S, S_i


def mp_step_contraction_limit(H, E) -> tuple[mpmath.mpf, mpmath.mpf]:
    """``(||S^-1 E (I + E)^-1 S||, ||E||)`` in 50 digits, S = H^1/2 (H a 50-digit matrix): C9's limit r_t -> 0."""
    d = len(E)
    S, S_i = mp_sqrt_psd(H)
    with precision.workdps():
        Em = mpmath.matrix([[_mp(v) for v in row] for row in E])
        T = S_i * Em * (mpmath.eye(d) + Em) ** -1 * S
        value = mp_spectral_norm(np.array(T.tolist(), dtype=object))
        eps_exact = mp_spectral_norm(E)
    return value, eps_exact


def mp_one_step(x0, A, b, w, E, x_star) -> dict:
    """C9's one approximate Newton step in 50 digits, the same quantity as ``experiments.one_step``.

    From the float point ``x0`` (converted exactly): ``H = Hess L(x0)`` by the
    entrywise form (``mp_hessian``), ``S = H^1/2``, ``H~ = S (I + E) S``, the
    gradient by mpmath's differentiation of the 50-digit loss
    (``mp_numeric_gradient``), ``x1 = x0 - H~^-1 grad``; then the distances to
    the float ``x_star`` in the 2-norm (``r0, r1``) and in H(x0)'s norm
    (``h0, h1``), and ``||S||``, all as mpf.
    """
    d = len(x0)
    S, _ = mp_sqrt_psd(mp_hessian(x0, A, b, w))
    g = mp_numeric_gradient(x0, A, b, w)
    with precision.workdps():
        Em = mpmath.matrix([[_mp(v) for v in row] for row in E])
        H_tilde = S * (mpmath.eye(d) + Em) * S
        x = mpmath.matrix([_mp(v) for v in x0])
        x1 = x - mpmath.lu_solve(H_tilde, mpmath.matrix(list(g)))
        star = mpmath.matrix([_mp(v) for v in x_star])
        e0, e1 = x - star, x1 - star
        return {"r0": mpmath.norm(e0), "r1": mpmath.norm(e1), "h0": mpmath.norm(S * e0), "h1": mpmath.norm(S * e1),
                "norm S": mp_spectral_norm(np.array(S.tolist(), dtype=object))}


def mp_alpha_at_minus_omega() -> mpmath.mpf:
    """alpha at A = I_2, x = (-Omega, -Omega): ``2 (e^-Omega - Omega)``, 0 exactly since e^-Omega = Omega (C10)."""
    with precision.workdps():
        omega = mpmath.lambertw(1).real
        return 2 * (mpmath.exp(-omega) - omega)

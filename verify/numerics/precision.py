"""High-precision re-evaluation with mpmath, for confirming counterexamples.

A refutation found in float64 is re-checked here before it is reported, so
that a rounding artifact is never called a counterexample. The inputs are
converted exactly (a binary float is a dyadic rational, which mpmath holds
exactly at any precision), and the formulas are the definitions, evaluated
with ``HIGH_PRECISION_DIGITS`` significant digits.
"""

from __future__ import annotations

import mpmath
import numpy as np

# 50 digits: far beyond float64's 16, so the high-precision value of any
# quantity we compare is exact to the float64 tolerances involved.
HIGH_PRECISION_DIGITS = 50


def workdps(digits: int = HIGH_PRECISION_DIGITS):
    return mpmath.workdps(digits)


def to_mp(A) -> list:
    """Nested lists of mpf, converted exactly from a float array (or rationals)."""
    A = np.asarray(A)
    if A.dtype.kind == "O":
        return [[mpmath.mpf(str(v)) if not isinstance(v, mpmath.mpf) else v for v in row] for row in A.tolist()]
    return np.vectorize(lambda v: mpmath.mpf(float(v)), otypes=[object])(A).tolist()


def logits(W, X):
    Wm, Xm = to_mp(W), to_mp(X)
    N, D, K = len(Xm), len(Wm), len(Wm[0])
    return [[mpmath.fsum(Xm[n][d] * Wm[d][k] for d in range(D)) for k in range(K)] for n in range(N)]


def logsumexp(z) -> mpmath.mpf:
    m = max(z)
    return m + mpmath.log(mpmath.fsum(mpmath.exp(zk - m) for zk in z))


def softmax(z) -> list:
    lse = logsumexp(z)
    return [mpmath.exp(zk - lse) for zk in z]


def probs(W, X, digits: int = HIGH_PRECISION_DIGITS) -> list:
    with workdps(digits):
        return [softmax(z) for z in logits(W, X)]


def cross_entropy(W, X, Y, sample_weight=None, digits: int = HIGH_PRECISION_DIGITS) -> mpmath.mpf:
    """The mean (or weighted) cross-entropy ``sum_i s_i [lse(z_i) (1^T y_i) - y_i . z_i] / sum_i s_i``, by definition.

    Each sample's term is evaluated as ``sum_k y_k log1p(sum_{j != k} exp(z_j - z_k))``, the same number written
    without the cancellation of ``lse(z) - z_k``: a confident sample's loss of 1e-300 keeps all its digits, where
    the difference of two numbers of size |z| would keep |z| 10^-digits of absolute accuracy and nothing of it.
    """
    with workdps(digits):
        Z = logits(W, X)
        Ym = to_mp(Y)
        s = _weights(sample_weight, len(Z))
        terms = [s[n] * mpmath.fsum(y * _lse_minus(z, k) for k, y in enumerate(Ym[n]) if y != 0) for n, z in enumerate(Z)]
        return mpmath.fsum(terms) / mpmath.fsum(s)


def _lse_minus(z, k) -> mpmath.mpf:
    """``logsumexp(z) - z_k`` as ``log1p(sum_{j != k} exp(z_j - z_k))``: accurate relative to its size."""
    return mpmath.log1p(mpmath.fsum(mpmath.exp(zj - z[k]) for j, zj in enumerate(z) if j != k))


def gradient(W, X, Y, sample_weight=None, digits: int = HIGH_PRECISION_DIGITS) -> np.ndarray:
    """``X^T S (P diag(1^T Y) - Y) / sum(s)`` (rychlik F2 in general form; X^T (P - Y)/N when rows sum to 1, s = 1)."""
    with workdps(digits):
        Z = logits(W, X)
        Xm, Ym = to_mp(X), to_mp(Y)
        N, D, K = len(Xm), len(Xm[0]), len(Z[0])
        s = _weights(sample_weight, N)
        total = mpmath.fsum(s)
        R = [[s[n] * (softmax(z)[k] * mpmath.fsum(Ym[n]) - Ym[n][k]) for k in range(K)] for n, z in enumerate(Z)]
        G = [[mpmath.fsum(Xm[n][d] * R[n][k] for n in range(N)) / total for k in range(K)] for d in range(D)]
        return np.array(G, dtype=object)


def _weights(sample_weight, N: int) -> list:
    return [mpmath.mpf(1)] * N if sample_weight is None else [mpmath.mpf(float(v)) for v in sample_weight]


def hessian(W, X, sample_weight=None, digits: int = HIGH_PRECISION_DIGITS) -> np.ndarray:
    """``sum_n s_n kron(x_n x_n^T, diag(p_n) - p_n p_n^T) / sum(s)`` (s = 1: the mean) as an object array of mpf."""
    with workdps(digits):
        Z = logits(W, X)
        Xm = to_mp(X)
        N, D, K = len(Xm), len(Xm[0]), len(Z[0])
        s = _weights(sample_weight, N)
        total = mpmath.fsum(s)
        H = [[mpmath.mpf(0)] * (D * K) for _ in range(D * K)]
        for n, z in enumerate(Z):
            p = softmax(z)
            w = s[n] / total
            for d in range(D):
                for k in range(K):
                    for e in range(D):
                        for l in range(K):
                            H[d * K + k][e * K + l] += w * Xm[n][d] * Xm[n][e] * p[k] * ((1 if k == l else 0) - p[l])
        return np.array(H, dtype=object)


def eigvalsh(M, digits: int = HIGH_PRECISION_DIGITS) -> list:
    """Eigenvalues of a symmetric matrix (object array of mpf or floats), ascending."""
    with workdps(digits):
        A = mpmath.matrix([[mpmath.mpf(v) if not isinstance(v, mpmath.mpf) else v for v in row] for row in np.asarray(M).tolist()])
        values = mpmath.eigsy(A, eigvals_only=True)
        return sorted(values[i] for i in range(A.rows))


def as_float(values) -> np.ndarray:
    return np.array(np.asarray(values, dtype=object).tolist(), dtype=float)

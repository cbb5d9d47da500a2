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
from mpmath.libmp import from_man_exp

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


def _dyadic_integers(A):
    """``A = I * 2**e`` exactly: an object array of Python ints and one exponent (every float64 is dyadic)."""
    A = np.asarray(A, dtype=np.float64)
    mantissa, exponent = np.frexp(A)
    M = (mantissa * 2.0**53).astype(np.int64)  # exact: 53 significant bits
    E = exponent.astype(np.int64) - 53
    base = int(E[M != 0].min()) if np.any(M != 0) else 0
    shifts = np.where(M != 0, E - base, 0)
    ints = np.empty(A.shape, dtype=object)
    for idx in np.ndindex(A.shape):
        ints[idx] = int(M[idx]) << int(shifts[idx])
    return ints, base


def exact_products(X, W) -> list:
    """``X W`` of two float arrays exactly, as nested lists of mpf that hold every bit (no rounding at all).

    The products and sums are done in Python integers (each float is an integer times a power of two), so
    ``z_j - z_k`` is later correctly rounded however large the logits: at a fixed precision 1e100 + 1 - 1e100
    is 0, and two logits of 1e60 that differ by 1 would be equal.
    """
    Xi, ex = _dyadic_integers(X)
    Wi, ew = _dyadic_integers(W)
    products = Xi.dot(Wi)  # Python ints: exact
    return [[mpmath.mp.make_mpf(from_man_exp(int(v), ex + ew)) for v in row] for row in products.tolist()]


def logits(W, X):
    """``X W`` exactly (``exact_products``): what the definitions below start from.

    Below ``HIGH_PRECISION_DIGITS`` the caller is not after the exact value but an estimate of what a
    computation at that precision gives (a dtype's rounding, as the fuzzer's tolerance measures it), and
    the logits are rounded to the working precision like every other intermediate: exact logits there
    would hide the conditioning of ``X W`` (1e20 + 4e-8 is 1e20 in float64) that the estimate is for.
    """
    Z = exact_products(X, W)
    if mpmath.mp.dps < HIGH_PRECISION_DIGITS:
        return [[+z for z in row] for row in Z]  # unary + rounds to the working precision
    return Z


def logsumexp(z) -> mpmath.mpf:
    m = max(z)
    return m + mpmath.log(mpmath.fsum(mpmath.exp(zk - m) for zk in z))


def softmax(z) -> list:
    """``exp(z_k - m) / sum_j exp(z_j - m)``, m = max z: not ``exp(z_k - lse(z))``, whose ``m + log(sum)`` keeps
    nothing of the log once |m| exceeds 10^digits (two top logits of 2e400 then both got probability 1)."""
    m = max(z)
    e = [mpmath.exp(zk - m) for zk in z]
    total = mpmath.fsum(e)
    return [ek / total for ek in e]


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
        terms = [s[n] * mpmath.fsum(y * lse_minus(z, k) for k, y in enumerate(Ym[n]) if y != 0) for n, z in enumerate(Z)]
        return mpmath.fsum(terms) / mpmath.fsum(s)


def lse_minus(z, k) -> mpmath.mpf:
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
            # diag(p) - p p^T row k: delta_kl - p_l, with 1 - p_k written sum_{j != k} p_j (p_k = 1 - 1e-300
            # would leave 0 at any fixed precision below 300 digits)
            q = [[mpmath.fsum(p[j] for j in range(K) if j != k) if k == l else -p[l] for l in range(K)] for k in range(K)]
            w = s[n] / total
            for d in range(D):
                for k in range(K):
                    for e in range(D):
                        for l in range(K):
                            H[d * K + k][e * K + l] += w * Xm[n][d] * Xm[n][e] * p[k] * q[k][l]
        return np.array(H, dtype=object)


def eigvalsh(M, digits: int = HIGH_PRECISION_DIGITS) -> list:
    """Eigenvalues of a symmetric matrix (object array of mpf or floats), ascending."""
    with workdps(digits):
        A = mpmath.matrix([[mpmath.mpf(v) if not isinstance(v, mpmath.mpf) else v for v in row] for row in np.asarray(M).tolist()])
        values = mpmath.eigsy(A, eigvals_only=True)
        return sorted(values[i] for i in range(A.rows))


def as_float(values) -> np.ndarray:
    return np.array(np.asarray(values, dtype=object).tolist(), dtype=float)

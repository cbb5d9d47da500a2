"""The SymPy side of the Rychlik checks: symbolic problems and the closed forms written in SymPy.

Identities (P1-1, P1-2, P2-1) are proved at small shapes by differentiating
the SymPy implementation's loss and simplifying the residual against these
forms to exactly 0.
"""

from __future__ import annotations

import numpy as np
import sympy as sp

import impls


_SYMPY_IMPL = []


def sympy_impl():
    """One SymPy implementation per process (it caches the symbolic model of each shape)."""
    if not _SYMPY_IMPL:
        _SYMPY_IMPL.append(impls.get("sympy"))
    return _SYMPY_IMPL[0]


def as_objects(M) -> np.ndarray:
    """A SymPy matrix as a NumPy object array, the input the SymPy implementation takes."""
    return np.array(M.tolist(), dtype=object)


def symbolic_problem(N: int, D: int, K: int):
    """Symbolic W (D, K), X (N, D) and targets with ``t_nK = 1 - sum of the others`` (rows sum to 1 exactly)."""
    W = sp.Matrix(D, K, lambda d, k: sp.Symbol(f"w{d}{k}", real=True))
    X = sp.Matrix(N, D, lambda n, d: sp.Symbol(f"x{n}{d}", real=True))
    t = [[sp.Symbol(f"t{n}{k}", real=True) for k in range(K - 1)] for n in range(N)]
    Y = sp.Matrix(N, K, lambda n, k: t[n][k] if k < K - 1 else 1 - sum(t[n]))
    return W, X, Y, [s for row in t for s in row]


def symbolic_softmax(W, X) -> sp.Matrix:
    Z = X * W
    return sp.Matrix(Z.rows, Z.cols, lambda n, k: sp.exp(Z[n, k]) / sum(sp.exp(Z[n, j]) for j in range(Z.cols)))


def symbolic_kron_hessian(X, P) -> sp.Matrix:
    N, D = X.shape
    K = P.cols
    H = sp.zeros(D * K, D * K)
    for n in range(N):
        x, p = X[n, :].T, P[n, :].T
        H += sp.kronecker_product(x * x.T, sp.diag(*p) - p * p.T)
    return H / N


def symbolic_factored_hessian(X, P) -> sp.Matrix:
    """``(1/N) (X kron I_K)^T blockdiag(S(p_n)) (X kron I_K)`` in SymPy."""
    N, D = X.shape
    K = P.cols
    A = sp.kronecker_product(X, sp.eye(K))
    blocks = [sp.diag(*P[n, :]) - P[n, :].T * P[n, :] for n in range(N)]
    return A.T * sp.diag(*blocks) * A / N


def is_zero(expr) -> bool:
    """Whether a SymPy expression simplifies to exactly 0 (cancel after together)."""
    return sp.cancel(sp.together(expr)) == 0

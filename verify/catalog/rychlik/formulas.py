"""Rychlik's formulas in the project's conventions: the Hessian's forms, the gradient, subspaces, F7's bounds.

``X`` is (N, D), ``W`` is (D, K), the loss is the mean over samples and the
Hessian is taken with respect to ``W.ravel()`` in C order (index ``d*K + k``),
as the module docstring of ``verify.catalog.rychlik.claims`` explains; the
paper's own forms (W as C x D, X as D x N, sum loss) are the transposes, N
times larger.
"""

from __future__ import annotations

import numpy as np
from scipy.linalg import block_diag, null_space

from ...numerics import rounding
from ...numerics.optimizers import kernel_complement_basis

EPS = rounding.eps(np.float64)


def softmax_covariance(p) -> np.ndarray:
    """``S(p) = diag(p) - p p^T``: the softmax Jacobian, covariance of a one-hot draw from p."""
    p = np.asarray(p, dtype=np.float64)
    return np.diag(p) - np.outer(p, p)


def kron_hessian(X, P) -> np.ndarray:
    """``(1/N) sum_n kron(x_n x_n^T, S(p_n))``: rychlik F3 for ``W.ravel()`` in C order."""
    X = np.asarray(X, dtype=np.float64)
    return sum(np.kron(np.outer(x, x), softmax_covariance(p)) for x, p in zip(X, P)) / X.shape[0]


def kron_hessian_column_major(X, P) -> np.ndarray:
    """``(1/N) sum_n kron(S(p_n), x_n x_n^T)``: F3 for ``W.ravel(order="F")`` (index ``k*D + d``)."""
    X = np.asarray(X, dtype=np.float64)
    return sum(np.kron(softmax_covariance(p), np.outer(x, x)) for x, p in zip(X, P)) / X.shape[0]


def factored_hessian(X, P) -> np.ndarray:
    """``(1/N) (X kron I_K)^T M (X kron I_K)`` with ``M = blockdiag(S(p_1), ..., S(p_N))`` (F3, P2-1).

    Row ``n*K + k`` and column ``d*K + l`` of ``X kron I_K`` hold ``x_nd delta_kl``.
    """
    X = np.asarray(X, dtype=np.float64)
    K = np.asarray(P).shape[1]
    A = np.kron(X, np.eye(K))
    M = block_diag(*[softmax_covariance(p) for p in P])
    return A.T @ M @ A / X.shape[0]


def operator_hvp(X, P, V) -> np.ndarray:
    """``H[V] = (1/N) sum_n x_n (S(p_n) u_n)^T`` with ``u_n = V^T x_n`` (F3, operator form), shape (D, K)."""
    X = np.asarray(X, dtype=np.float64)
    U = X @ V
    PU = P * U
    return X.T @ (PU - P * PU.sum(axis=1, keepdims=True)) / X.shape[0]


def variance_form(X, P, V) -> float:
    """``(1/N) sum_n Var_{k ~ p_n}[(V^T x_n)_k]``: the quadratic form ``D^2 L[V, V]`` (F3)."""
    U = np.asarray(X, dtype=np.float64) @ V
    mean = (P * U).sum(axis=1, keepdims=True)
    return float(np.mean((P * (U - mean) ** 2).sum(axis=1)))


def c_to_f_permutation(D: int, K: int) -> np.ndarray:
    """Index array ``perm`` with ``W.ravel(order="F") == W.ravel()[perm]``."""
    return np.array([d * K + k for k in range(K) for d in range(D)])


def plain_gradient(probs, X, T) -> np.ndarray:
    """``X^T (P - T) / N``: the vectorized gradient of P1-1 (paper: ``(Y - T) X^T``)."""
    X = np.asarray(X, dtype=np.float64)
    return X.T @ (probs - T) / X.shape[0]


def general_cross_entropy(W, X, T) -> float:
    """``-(1/N) sum_n sum_k T_nk log p_nk`` for any nonnegative T (rows need not sum to 1), stable.

    ``-sum_k t_k log p_k = (sum_k t_k) logsumexp(z) - t . z``; computed with
    the maximum shifted out. Used where the implementations (which require
    rows in the simplex) cannot go: S4.
    """
    Z = np.asarray(X, dtype=np.float64) @ np.asarray(W, dtype=np.float64)
    m = Z.max(axis=1, keepdims=True)
    lse = m[:, 0] + np.log(np.exp(Z - m).sum(axis=1))
    return float(np.mean(T.sum(axis=1) * lse - (T * Z).sum(axis=1)))


def entropy_rows(T) -> np.ndarray:
    """``-sum_k t_k log t_k`` per row (0 log 0 = 0)."""
    T = np.asarray(T, dtype=np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        return -np.where(T > 0, T * np.log(np.where(T > 0, T, 1.0)), 0.0).sum(axis=1)


def logit_gaps(W, X) -> np.ndarray:
    """``max_k z_nk - min_k z_nk`` per sample."""
    Z = np.asarray(X, dtype=np.float64) @ np.asarray(W, dtype=np.float64)
    return Z.max(axis=1) - Z.min(axis=1)


# --------------------------------------------------------------------------
# Subspaces
# --------------------------------------------------------------------------


def row_space(X):
    """``(U_r, s_r, V_r)``: the rank-r part of the SVD ``X = U diag(s) V^T``.

    The rank is decided as in ``verify.numerics.optimizers`` (singular values above
    ``eps max(N, D) s_max``), so that ``V_r`` spans the same row space as
    :func:`verify.numerics.optimizers.kernel_complement_basis` uses.
    """
    X = np.asarray(X, dtype=np.float64)
    N, D = X.shape
    U, s, Vt = np.linalg.svd(X, full_matrices=False)
    r = int(np.sum(s > EPS * max(N, D) * s[0])) if s.size and s[0] > 0 else 0
    return U[:, :r], s[:r], Vt[:r].T


def sum_zero_basis(K: int) -> np.ndarray:
    """Orthonormal basis (K, K-1) of ``{v : 1_K . v = 0}``."""
    return null_space(np.ones((1, K)))


def kernel_basis(X, K: int) -> np.ndarray:
    """Orthonormal basis of the predicted kernel ``K = {V : X V has rows in span(1_K)}`` (F4), as columns.

    It is the orthogonal complement of ``kernel_complement_basis(X, K)``.
    """
    P = kernel_complement_basis(X, K)
    n = P.shape[0]
    if P.shape[1] == 0:
        return np.eye(n)
    return null_space(P.T)


# --------------------------------------------------------------------------
# The Hessian on K-perp and its bounds
# --------------------------------------------------------------------------


def two_class_hessian_w(X, s) -> np.ndarray:
    """``X^T diag(s (1 - s)) X / N``: the Hessian of the two-class loss in ``w = W[:, 0] - W[:, 1]`` (F9)."""
    X = np.asarray(X, dtype=np.float64)
    return X.T @ (X * (s * (1 - s))[:, None]) / X.shape[0]


def restricted_extremes_at(ctx, W, X, Y) -> tuple[float, float, np.ndarray]:
    """``(m, M, eigenvalues)`` of ``P^T H(W) P`` (the Hessian on K-perp) from the implementation's Hessian."""
    P = kernel_complement_basis(X, Y.shape[1])
    H = np.asarray(ctx.impl.hessian(W, X, Y), dtype=np.float64)
    ev = np.linalg.eigvalsh(P.T @ ((H + H.T) / 2) @ P)
    return float(ev[0]), float(ev[-1]), ev


def f7_bounds(ctx, W, X, Y) -> tuple[float, float]:
    """Rychlik F7 (mean loss): ``(m_hat, M_hat)`` with m_hat <= lambda_min(H|K-perp) and lambda_max(H|K-perp) <= M_hat.

    ``m_hat = min_nk p_nk * lambda+_min(X^T X) / N`` and ``M_hat = max_n mu_max(S(p_n)) * lambda_max(X^T X) / N``;
    ``lambda+_min`` is the smallest eigenvalue on the row space (rank decided as in :func:`row_space`).
    """
    P = np.asarray(ctx.impl.probs(W, X), dtype=np.float64)
    N = X.shape[0]
    _, s, _ = row_space(X)
    mu_max = max(float(np.linalg.eigvalsh(softmax_covariance(p))[-1]) for p in P)
    return float(P.min()) * float(s[-1] ** 2) / N, mu_max * float(s[0] ** 2) / N

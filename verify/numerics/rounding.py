"""Rounding bounds every check shares: machine epsilon, agreement between two implementations, eigenvalues.

Each function says where its bound comes from. Nothing here is tuned to make
a test pass: a failure against these bounds is a finding. The bounds of one
paper's checks live with that paper (``verify/catalog/<paper>/tolerances.py``);
the finite-difference steps and their error model are in
:mod:`verify.numerics.differences`.

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


def agreement_tolerances(X, W, Y, dtype, V=None, sample_weight=None) -> dict[str, float]:
    """Absolute tolerances for comparing two implementations' results.

    A logit error ``dz`` moves every ``log p_k`` by at most ``2 dz`` (the
    log-softmax has Jacobian ``I - 1 p^T``, of infinity norm <= 2), hence
    ``p_k`` by ``2 dz p_k`` and the loss by ``2 dz``. Each result then adds
    the rounding of its own sums: K terms for the log-sum-exp and the target
    dot product, N for the mean, and the products with X.

    With sample weights s the means become ``sum_n s_n a_n / sum_n s_n``,
    at most ``max(s) / mean(s)`` times ``sum_n a_n / N`` for a_n >= 0: every
    bound of a mean is multiplied by that ratio (the rounding of the weighted
    sums is that of the plain ones, the weights being exact in the dtype).

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
    # Entries beyond the float range's square root (impl.domain_edge) make a product bound overflow to inf: the
    # quantity it bounds overflows too, and nothing finite can be promised for it.
    with np.errstate(over="ignore"):
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
    # Underflow: the bounds above are relative, but a product or sum whose
    # exact value lies below the dtype's smallest subnormal s rounds to 0 or
    # to a multiple of s, an absolute error of at most s per operation. Every
    # quantity here takes at most (N + 2)(D + K + 3) such operations per entry.
    underflow = (N + 2) * (D + K + 3) * float(np.finfo(np.dtype(dtype)).smallest_subnormal)
    weighting = 1.0
    if sample_weight is not None:
        s = np.asarray(sample_weight, dtype=np.float64)
        weighting = float(s.max() / s.mean())
    return {k: AGREEMENT_SAFETY * (v * (1.0 if k == "probs" else weighting) + underflow) for k, v in tol.items()}

def psd_eigenvalue_tolerance(entry_error: float, n: int, norm: float, dtype=np.float64) -> float:
    """How far below 0 the computed smallest eigenvalue of a PSD matrix may lie.

    Weyl: an entrywise error ``<= entry_error`` of an ``n x n`` symmetric
    matrix moves every eigenvalue by at most ``||E||_2 <= ||E||_F <= n
    entry_error``; the symmetric eigensolver is backward stable with error
    ``<= p(n) eps ||A||_2``, taken as ``n eps ||A||_2`` (Golub & Van Loan,
    sec. 8.3). Sum: ``n (entry_error + eps ||A||_2)``.
    """
    return float(n) * (float(entry_error) + eps(dtype) * float(norm))

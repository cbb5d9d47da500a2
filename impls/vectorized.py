"""Vectorized, numerically stable softmax cross-entropy in NumPy.

* Computes in the dtype it is given (float32 or float64): every temporary is
  of that dtype, and the result too.
* Stable at extreme logits: each row is shifted by its maximum before
  ``exp``; the largest term of the row sum is then exactly 1, so
  ``log(sum)`` is computed as ``log1p`` of the other terms, which keeps tiny
  losses accurate relative to their size. No log of a probability is ever
  taken, so there is no clipping and no ``0 * log 0``.
* Samples are processed in blocks, so the extra memory is
  ``O(block_elements)`` whatever N is; loss and gradient share one pass.
* The Hessian is assembled with matrix products over sample blocks:
  ``H = A - Q^T diag(s) Q / S`` with ``Q[n, d*K + k] = x_nd p_nk`` and ``A``
  the block-diagonal-in-k part ``sum_n s_n p_nk x_n x_n^T``.
* ``hvp`` never forms the Hessian: ``H[V] = X^T (s * (P * U - P * <P, U>)) / S``
  with ``U = X V``.
"""

from __future__ import annotations

import numpy as np

from ._protocol import FLOAT_DTYPES, Capabilities
from .validation import validate

DEFAULT_BLOCK_ELEMENTS = 1 << 20


def _softmax_block(Z):
    """Probabilities and per-row shifted log-sum-exp of a logit block.

    Returns ``(P, Zs, log_total)`` with ``Zs = Z - max`` and
    ``logsumexp(z_n) = max_n + log_total_n``.
    """
    rows = np.arange(Z.shape[0])
    k_max = np.argmax(Z, axis=1)
    Zs = Z - Z[rows, k_max][:, None]
    E = np.exp(Zs)  # entries in [0, 1]; underflow to 0 is exact enough and silent
    E[rows, k_max] = 0
    rest = E.sum(axis=1)
    total = 1 + rest
    P = E / total[:, None]
    P[rows, k_max] = 1 / total
    return P, Zs, np.log1p(rest)


class NumpySoftmaxCE:
    """Vectorized implementation; the one to use.

    Parameters
    ----------
    block_elements : int
        Upper bound on the number of elements of the per-block temporaries
        (``rows * K`` for loss and gradient, ``rows * D * K`` for the
        Hessian); bounds the extra memory independently of N.
    """

    name = "numpy"
    capabilities = Capabilities(
        dtypes=FLOAT_DTYPES,
        sample_weight=True,
        hessian=True,
        hvp=True,
        max_size=None,
        max_hessian_size=None,
    )

    def __init__(self, block_elements: int = DEFAULT_BLOCK_ELEMENTS):
        if int(block_elements) < 1:
            raise ValueError(f"block_elements: must be a positive integer, got {block_elements!r}")
        self.block_elements = int(block_elements)

    def _blocks(self, N, width):
        rows = max(1, self.block_elements // max(1, width))
        for start in range(0, N, rows):
            yield slice(start, min(N, start + rows))

    @staticmethod
    def _weight_total(pb):
        if pb.sample_weight is None:
            return pb.dtype.type(pb.N)
        return pb.sample_weight.sum(dtype=pb.dtype)

    def probs(self, W, X):
        pb = validate(W, X, need_Y=False)
        P = np.empty((pb.N, pb.K), dtype=pb.dtype)
        for b in self._blocks(pb.N, pb.K):
            P[b] = _softmax_block(pb.X[b] @ pb.W)[0]
        return P

    def _loss_grad(self, pb, want_loss, want_grad):
        dt = pb.dtype
        total = dt.type(0)
        G = np.zeros((pb.D, pb.K), dtype=dt) if want_grad else None
        for b in self._blocks(pb.N, pb.K):
            Xb, Yb = pb.X[b], pb.Y[b]
            P, Zs, log_total = _softmax_block(Xb @ pb.W)
            sb = None if pb.sample_weight is None else pb.sample_weight[b]
            if want_loss:
                # CE_n = sum_k y_nk (lse_n - z_nk) = log_total_n - sum_k y_nk (z_nk - max_n)
                ce = log_total - np.einsum("nk,nk->n", Yb, Zs)
                total += ce.sum(dtype=dt) if sb is None else sb @ ce
            if want_grad:
                R = P - Yb
                if sb is not None:
                    R *= sb[:, None]
                G += Xb.T @ R
        S = self._weight_total(pb)
        return (total / S if want_loss else None), (G / S if want_grad else None)

    def loss(self, W, X, Y, sample_weight=None):
        pb = validate(W, X, Y, sample_weight=sample_weight)
        return self._loss_grad(pb, True, False)[0]

    def grad(self, W, X, Y, sample_weight=None):
        pb = validate(W, X, Y, sample_weight=sample_weight)
        return self._loss_grad(pb, False, True)[1]

    def loss_grad(self, W, X, Y, sample_weight=None):
        pb = validate(W, X, Y, sample_weight=sample_weight)
        return self._loss_grad(pb, True, True)

    def hessian(self, W, X, Y, sample_weight=None):
        pb = validate(W, X, Y, sample_weight=sample_weight)
        N, D, K, dt = pb.N, pb.D, pb.K, pb.dtype
        H = np.zeros((D * K, D * K), dtype=dt)
        diag_part = np.zeros((D, K, D), dtype=dt)  # [d, k, e] = sum_n s_n p_nk x_nd x_ne
        for b in self._blocks(N, D * K):
            Xb = pb.X[b]
            P = _softmax_block(Xb @ pb.W)[0]
            sP = P if pb.sample_weight is None else P * pb.sample_weight[b][:, None]
            Q = (Xb[:, :, None] * P[:, None, :]).reshape(-1, D * K)
            sQ = (Xb[:, :, None] * sP[:, None, :]).reshape(-1, D * K)
            H -= sQ.T @ Q
            diag_part += (sQ.T @ Xb).reshape(D, K, D)
        H4 = H.reshape(D, K, D, K)
        k = np.arange(K)
        H4[:, k, :, k] += diag_part.transpose(1, 0, 2)
        return H / self._weight_total(pb)

    def hvp(self, W, X, Y, V, sample_weight=None):
        pb = validate(W, X, Y, V, sample_weight=sample_weight)
        out = np.zeros((pb.D, pb.K), dtype=pb.dtype)
        for b in self._blocks(pb.N, pb.K):
            Xb = pb.X[b]
            P = _softmax_block(Xb @ pb.W)[0]
            PU = P * (Xb @ pb.V)
            R = PU - P * PU.sum(axis=1, keepdims=True)
            if pb.sample_weight is not None:
                R *= pb.sample_weight[b][:, None]
            out += Xb.T @ R
        return out / self._weight_total(pb)

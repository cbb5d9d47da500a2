"""Softmax cross-entropy written the way the index formulas read in the papers.

Every quantity is a plain sum over samples ``n``, classes ``k`` and features
``d``; there is no matrix operation anywhere. This is the readable reference:
slow by nature, and meant to be compared with, not used.

Formulas (mean loss with weights ``s_n``, ``S = sum_n s_n``; ``s_n = 1``
when no weights are given):

* ``z_nk = sum_d x_nd w_dk``
* ``lse_n = m_n + log(1 + sum_{k != k*} exp(z_nk - m_n))`` with
  ``m_n = z_nk* = max_k z_nk`` (the stable log-sum-exp)
* ``p_nk = exp(z_nk - m_n) / sum_j exp(z_nj - m_n)``
* ``L = (1/S) sum_n s_n sum_k y_nk (lse_n - z_nk)``
* ``dL/dw_dk = (1/S) sum_n s_n x_nd (p_nk - y_nk)``
* ``d2L/dw_dk dw_el = (1/S) sum_n s_n x_nd x_ne p_nk (delta_kl - p_nl)``

Computation is in Python floats (IEEE double), so only float64 is declared.
A result that overflows although the inputs are finite raises the error of
``impls.softmax.validation.overflow_error``.
"""

from __future__ import annotations

import math

import numpy as np

from .._arrays import FLOAT64
from ._protocol import Capabilities
from .symbolic import _refuse_beyond_declared_size
from .validation import check_result_finite, validate


def _logits_row(x_row, W, D, K):
    return [sum(x_row[d] * W[d][k] for d in range(D)) for k in range(K)]


def _shifted_logsumexp(z):
    """(m, log(sum_k exp(z_k - m))) with m = max_k z_k, computed without overflow.

    The term of the largest logit is exactly 1, so the log is ``log1p`` of the
    remaining terms: that keeps tiny losses accurate relative to their size.
    """
    K = len(z)
    k_max = max(range(K), key=lambda k: z[k])
    m = z[k_max]
    rest = sum(math.exp(z[k] - m) for k in range(K) if k != k_max)
    return m, math.log1p(rest)


def _softmax_row(z):
    m, log_total = _shifted_logsumexp(z)
    return [math.exp(z_k - m - log_total) for z_k in z]


class LoopsSoftmaxCE:
    """Reference implementation: plain Python sums over n, k and d."""

    name = "loops"
    capabilities = Capabilities(
        dtypes=FLOAT64,
        sample_weight=True,
        hessian=True,
        hvp=True,
        max_size=20_000,
        max_hessian_size=2_000,
    )

    def _problem(self, W, X, Y=None, V=None, sample_weight=None, need_Y=True, need_V=False, hessian=False):
        pb = validate(W, X, Y, V, sample_weight, dtypes=FLOAT64, need_Y=need_Y, need_V=need_V)
        _refuse_beyond_declared_size(self.capabilities, pb, hessian)
        lists = {
            "W": pb.W.tolist(),
            "X": pb.X.tolist(),
            "Y": None if pb.Y is None else pb.Y.tolist(),
            "V": None if pb.V is None else pb.V.tolist(),
            "s": [1.0] * pb.N if pb.sample_weight is None else pb.sample_weight.tolist(),
        }
        return pb, lists

    def probs(self, W, X):
        pb, a = self._problem(W, X, need_Y=False)
        P = [_softmax_row(_logits_row(a["X"][n], a["W"], pb.D, pb.K)) for n in range(pb.N)]
        return check_result_finite(np.array(P, dtype=np.float64).reshape(pb.N, pb.K), np.float64, "a probability")

    def loss(self, W, X, Y, sample_weight=None):
        pb, a = self._problem(W, X, Y, sample_weight=sample_weight)
        N, D, K = pb.N, pb.D, pb.K
        X_, W_, Y_, s = a["X"], a["W"], a["Y"], a["s"]
        total = 0.0
        for n in range(N):
            z = _logits_row(X_[n], W_, D, K)
            m, log_total = _shifted_logsumexp(z)
            # sum_k y_nk (lse_n - z_nk) with lse_n - z_nk = log_total - (z_nk - m)
            # Terms of y_nk = 0 are 0, even where z_nk overflowed to -inf (probability 0 exactly).
            ce = sum(Y_[n][k] * (log_total - (z[k] - m)) for k in range(K) if Y_[n][k] != 0)
            total += s[n] * ce
        return check_result_finite(np.float64(total / sum(s)), np.float64, "the loss")

    def grad(self, W, X, Y, sample_weight=None):
        pb, a = self._problem(W, X, Y, sample_weight=sample_weight)
        N, D, K = pb.N, pb.D, pb.K
        X_, W_, Y_, s = a["X"], a["W"], a["Y"], a["s"]
        G = [[0.0] * K for _ in range(D)]
        for n in range(N):
            p = _softmax_row(_logits_row(X_[n], W_, D, K))
            for d in range(D):
                for k in range(K):
                    G[d][k] += s[n] * X_[n][d] * (p[k] - Y_[n][k])
        S = sum(s)
        G = np.array([[G[d][k] / S for k in range(K)] for d in range(D)], dtype=np.float64)
        return check_result_finite(G, np.float64, "the gradient")

    def loss_grad(self, W, X, Y, sample_weight=None):
        return self.loss(W, X, Y, sample_weight), self.grad(W, X, Y, sample_weight)

    def hessian(self, W, X, Y, sample_weight=None):
        pb, a = self._problem(W, X, Y, sample_weight=sample_weight, hessian=True)
        N, D, K = pb.N, pb.D, pb.K
        X_, W_, s = a["X"], a["W"], a["s"]
        H = [[0.0] * (D * K) for _ in range(D * K)]
        for n in range(N):
            p = _softmax_row(_logits_row(X_[n], W_, D, K))
            # p_k (delta_kl - p_l) with 1 - p_k written sum_{j != k} p_j: at z = (0, 40), p_1 rounds to 1 and
            # p_1 - p_1^2 to 0 beside p_0 p_1 = 4e-18, an asymmetric Hessian that is not PSD.
            block = [[p[k] * (math.fsum(p[j] for j in range(K) if j != k) if k == l else -p[l]) for l in range(K)]
                     for k in range(K)]
            for d in range(D):
                for k in range(K):
                    for e in range(D):
                        for l in range(K):
                            # The probability factors first: where they are 0, x_nd x_ne may overflow harmlessly.
                            H[d * K + k][e * K + l] += s[n] * block[k][l] * X_[n][d] * X_[n][e]
        S = sum(s)
        H = np.array([[h / S for h in row] for row in H], dtype=np.float64)
        return check_result_finite(H, np.float64, "the Hessian")

    def hvp(self, W, X, Y, V, sample_weight=None):
        pb, a = self._problem(W, X, Y, V, sample_weight=sample_weight, need_V=True, hessian=True)
        N, D, K = pb.N, pb.D, pb.K
        X_, W_, V_, s = a["X"], a["W"], a["V"], a["s"]
        out = [[0.0] * K for _ in range(D)]
        for n in range(N):
            p = _softmax_row(_logits_row(X_[n], W_, D, K))
            u = _logits_row(X_[n], V_, D, K)  # u_nl = sum_e x_ne v_el
            # u_k - sum_l p_l u_l as sum_{l != k} p_l (u_k - u_l) (since sum_l p_l = 1): for p_k near 1 the first
            # form is a cancellation, 0 at z = (0, 40) instead of 40 p_0.
            centred = [math.fsum(p[l] * (u[k] - u[l]) for l in range(K) if l != k) for k in range(K)]
            for d in range(D):
                for k in range(K):
                    out[d][k] += s[n] * X_[n][d] * p[k] * centred[k]
        S = sum(s)
        out = np.array([[out[d][k] / S for k in range(K)] for d in range(D)], dtype=np.float64)
        return check_result_finite(out, np.float64, "the Hessian-vector product", "X, W, V")

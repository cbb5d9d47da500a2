"""The reweighted losses written the way the catalog's index formulas read (B.2).

Plain Python sums over samples ``i``, classes ``k`` and features ``d``; no
matrix operation anywhere. The readable reference: slow by nature, meant to
be compared with, not used. Python floats are IEEE doubles, so only float64
is declared.

Stable scalar forms:

* ``softplus(z) = max(z, 0) + log1p(exp(-|z|))``;
* ``sigma(z) = 1 / (1 + exp(-z))`` for ``z >= 0`` and ``exp(z) / (1 + exp(z))``
  otherwise, so neither ``exp`` overflows;
* ``log p = -softplus(-z)`` and ``log(1 - p) = -softplus(z)``.

SML on the linear model delegates to the ``loops`` softmax implementation
with sample weights ``alpha_{y_i}``, rescaled to the mean over samples.
"""

from __future__ import annotations

import math

import numpy as np

from ..softmax import get as _get_softmax
from ..softmax.loops import _shifted_logsumexp
from . import _base as base
from ._protocol import FLOAT64, Capabilities

MAX_SIZE = 20_000


def softplus(z: float) -> float:
    return max(z, 0.0) + math.log1p(math.exp(-abs(z)))


def sigmoid(z: float) -> float:
    if z >= 0:
        return 1.0 / (1.0 + math.exp(-z))
    e = math.exp(z)
    return e / (1.0 + e)


def _rows(A) -> list:
    return np.asarray(A, dtype=np.float64).tolist()


class _LoopsOps:
    """Linear-model arithmetic as sums."""

    implementation = "loops"

    @staticmethod
    def _logits(W, X):
        Wl, Xl = _rows(W), _rows(X)
        D, K = len(Wl), len(Wl[0])
        return np.array([[sum(x[d] * Wl[d][k] for d in range(D)) for k in range(K)] for x in Xl], dtype=np.float64)

    @staticmethod
    def _lift(X, G):
        Xl, Gl = _rows(X), _rows(G)
        N, D, K = len(Xl), len(Xl[0]), len(Gl[0])
        return np.array([[sum(Xl[i][d] * Gl[i][k] for i in range(N)) for k in range(K)] for d in range(D)], dtype=np.float64)


class _Logistic(_LoopsOps):
    """Per-entry logistic terms ``a_ik Y_ik softplus(-z_ik) + b_ik (1 - Y_ik) softplus(z_ik)``."""

    def _coefficient(self, i, k):
        """``(a_ik, b_ik)``: the weights of ``-log p_ik`` and ``-log(1 - p_ik)``."""
        raise NotImplementedError

    def _probs(self, Z):
        return np.array([[sigmoid(z) for z in row] for row in _rows(Z)], dtype=np.float64)

    def _loss_grad(self, Z, Y):
        Zl, Yl = _rows(Z), _rows(Y)
        N, K = len(Zl), len(Zl[0])
        total = 0.0
        G = [[0.0] * K for _ in range(N)]
        for i in range(N):
            for k in range(K):
                z, y = Zl[i][k], Yl[i][k]
                a, b = self._coefficient(i, k)
                total += a * y * softplus(-z) + b * (1.0 - y) * softplus(z)
                # d/dz softplus(-z) = -(1 - p) = -sigma(-z); d/dz softplus(z) = p
                G[i][k] = (b * (1.0 - y) * sigmoid(z) - a * y * sigmoid(-z)) / N
        return np.float64(total / N), np.array(G, dtype=np.float64)

    def hessian(self, W, X, Y):
        """``d2L/dw_dk dw_el = delta_kl (1/N) sum_i x_id x_ie (a Y + b (1 - Y))_ik p_ik (1 - p_ik)``."""
        W, X, Y = self._linear_args(W, X, Y)
        Z = self._checked_logits(W, X)
        self._check_call(Z, Y)
        self._prepare(Z, Y)
        Xl, Zl, Yl = _rows(X), _rows(Z), _rows(Y)
        N, D, K = len(Xl), len(Xl[0]), len(Zl[0])
        H = [[0.0] * (D * K) for _ in range(D * K)]
        for i in range(N):
            for k in range(K):
                a, b = self._coefficient(i, k)
                y = Yl[i][k]
                z = Zl[i][k]
                # c x_d x_e as (r x_d)(r x_e), r = sqrt(c), p (1 - p) = exp(-softplus(z) - softplus(-z)): only the
                # square root of p (1 - p) is formed, so sigma(-z) below 1e-308 still counts beside x x of 1e600
                r = math.sqrt((a * y + b * (1.0 - y)) / N) * math.exp(-(softplus(z) + softplus(-z)) / 2)
                rx = [r * x for x in Xl[i]]  # r first: where it is 0, x x may overflow
                for d in range(D):
                    for e in range(D):
                        H[d * K + k][e * K + k] += rx[d] * rx[e]
        return self._checked(np.array(H, dtype=np.float64), "the Hessian", "X, W")

    def _prepare(self, Z, Y):
        """Set up what ``_coefficient`` needs for this call."""


class BinaryLogistic(_Logistic, base.BinaryLogisticBase):
    capabilities = Capabilities(dtypes=FLOAT64, hessian=True, binary=True, max_size=MAX_SIZE)

    def _coefficient(self, i, k):
        a0, a1 = self._alphas()
        return float(a1), float(a0)


class OneVsAllLogistic(_Logistic, base.OneVsAllLogisticBase):
    capabilities = Capabilities(dtypes=FLOAT64, hessian=True, max_size=MAX_SIZE)

    def _prepare(self, Z, Y):
        pos, neg = self._alphas(Z.shape[1], np.dtype(np.float64))
        self._pos, self._neg = pos.tolist(), neg.tolist()

    def _coefficient(self, i, k):
        return self._pos[k], self._neg[k]

    def _loss_grad(self, Z, Y):
        self._prepare(Z, Y)
        return super()._loss_grad(Z, Y)


class NonTargetWeightedLogistic(_Logistic, base.NonTargetWeightedLogisticBase):
    capabilities = Capabilities(dtypes=FLOAT64, hessian=True, hard_labels=True, max_size=MAX_SIZE)

    def _prepare(self, Z, Y):
        self._omega_rows = _rows(self.omega)

    def _coefficient(self, i, k):
        return 1.0, self._omega_rows[i][k]

    def _loss_grad(self, Z, Y):
        self._prepare(Z, Y)
        return super()._loss_grad(Z, Y)


class WeightedSoftmax(_LoopsOps, base.WeightedSoftmaxBase):
    capabilities = Capabilities(dtypes=FLOAT64, hessian=True, max_size=MAX_SIZE)

    def __init__(self, class_weight=None):
        super().__init__(class_weight)
        self._softmax = _get_softmax("loops")

    @staticmethod
    def _softmax_row(z):
        m = max(z)
        e = [math.exp(v - m) for v in z]
        s = sum(e)
        return [v / s for v in e]

    def _probs(self, Z):
        return np.array([self._softmax_row(row) for row in _rows(Z)], dtype=np.float64)

    def _loss_grad(self, Z, Y):
        Zl, Yl = _rows(Z), _rows(Y)
        N, K = len(Zl), len(Zl[0])
        s = self.sample_weights(np.asarray(Y, dtype=np.float64), np.dtype(np.float64)).tolist()
        total = 0.0
        G = [[0.0] * K for _ in range(N)]
        for i in range(N):
            p = self._softmax_row(Zl[i])
            # lse - z_k = log1p(rest) - (z_k - m), rest the shifted row sum without its largest term (exactly 1):
            # m + log(S) - z_k keeps nothing of a loss below eps (log(1 + 1e-44) rounds to 0)
            m, log_total = _shifted_logsumexp(Zl[i])
            total += s[i] * sum(Yl[i][k] * (log_total - (Zl[i][k] - m)) for k in range(K))
            for k in range(K):
                G[i][k] = s[i] * (p[k] - Yl[i][k]) / N
        return np.float64(total / N), np.array(G, dtype=np.float64)

    def loss_grad(self, W, X, Y):
        return self._delegated(self._softmax, "loss_grad", W, X, Y)

    def hessian(self, W, X, Y):
        """Hessian with respect to ``W.ravel()`` (C order), from ``impls.get("loops").hessian`` with sample weights."""
        return self._delegated(self._softmax, "hessian", W, X, Y)


class _CandidateOps(_LoopsOps):
    def _probs(self, Z):
        return np.array([[sigmoid(z) for z in row] for row in _rows(Z)], dtype=np.float64)

    def _weights(self, Z, Y):
        Zl, Yl = _rows(Z), _rows(Y)
        K = len(Zl[0])
        out = []
        for z, y in zip(Zl, Yl):
            # gamma log p_k for the non-targets, softmax-normalised over them
            a = [-self.gamma * softplus(-z[k]) if y[k] != 1.0 else None for k in range(K)]
            m = max(v for v in a if v is not None)
            e = [0.0 if v is None else math.exp(v - m) for v in a]
            scale = (K - 1) / sum(e)
            out.append([v * scale for v in e])
        return np.array(out, dtype=np.float64)


class CandidateINR(_CandidateOps, base.CandidateINRBase):
    capabilities = Capabilities(dtypes=FLOAT64, hard_labels=True, candidate=True, max_size=MAX_SIZE)

    def _loss_grad(self, Z, Y):
        Zl, Yl = _rows(Z), _rows(Y)
        omega = _rows(self._weights(Z, Y))
        N, K = len(Zl), len(Zl[0])
        g = self.gamma
        total = 0.0
        G = [[0.0] * K for _ in range(N)]
        for i in range(N):
            z, y, w = Zl[i], Yl[i], omega[i]
            u = [softplus(v) for v in z]
            ubar = sum(w[k] * u[k] for k in range(K) if y[k] != 1.0)
            for k in range(K):
                if y[k] == 1.0:
                    total += softplus(-z[k])
                    G[i][k] = -sigmoid(-z[k]) / N
                else:
                    total += w[k] * u[k]
                    G[i][k] = (w[k] * sigmoid(z[k]) + g * w[k] * sigmoid(-z[k]) * (u[k] - ubar / (K - 1))) / N
        return np.float64(total / N), np.array(G, dtype=np.float64)


class CandidateINRDetached(_CandidateOps, base.CandidateINRDetachedBase):
    capabilities = Capabilities(
        dtypes=FLOAT64, hard_labels=True, candidate=True, gradient_is_derivative=False, max_size=MAX_SIZE
    )

    def _loss_grad(self, Z, Y):
        Zl, Yl = _rows(Z), _rows(Y)
        omega = _rows(self._weights(Z, Y))
        N, K = len(Zl), len(Zl[0])
        total = 0.0
        G = [[0.0] * K for _ in range(N)]
        for i in range(N):
            for k in range(K):
                z = Zl[i][k]
                if Yl[i][k] == 1.0:
                    total += softplus(-z)
                    G[i][k] = -sigmoid(-z) / N
                else:
                    total += omega[i][k] * softplus(z)
                    G[i][k] = omega[i][k] * sigmoid(z) / N
        return np.float64(total / N), np.array(G, dtype=np.float64)


# Loss name (each class's ``name``, from its base) -> class, in the order ``reweighted.losses()`` lists them.
LOSSES = {
    cls.name: cls
    for cls in (BinaryLogistic, WeightedSoftmax, OneVsAllLogistic, NonTargetWeightedLogistic, CandidateINR, CandidateINRDetached)
}

"""Vectorized, numerically stable NumPy implementations of the reweighted losses.

* Computes in the dtype it is given (float32 or float64); class weights are
  cast to it.
* ``log p = -softplus(-z)`` and ``log(1 - p) = -softplus(z)``; both
  softplus values, ``p`` and ``1 - p`` come from ``e = exp(-|z|)`` (in
  (0, 1], never overflowing) by ``logistic_parts``, each without
  cancellation: ``1 - p`` is never formed as a difference. Nothing is
  clipped.
* The candidate's weights are a softmax over the non-target classes of
  ``gamma log p_ik`` (shifted by the row maximum), so ``p^gamma`` never
  underflows to a 0/0; at ``gamma = 0`` every weight is exactly 1.
* SML on the linear model delegates to the ``numpy`` softmax implementation
  (``impls.get("numpy")``) with sample weights ``s_i = alpha_{y_i}``,
  rescaled by ``sum_i s_i / N`` to the family's mean-over-samples
  normalisation.
"""

from __future__ import annotations

import numpy as np
from scipy.special import expit

from .._arrays import FLOAT_DTYPES
from ..softmax import get as _get_softmax
from . import _base as base
from ._protocol import Capabilities


def softplus(Z):
    """``log(1 + exp(z))`` without overflow, in the dtype of ``Z``."""
    return np.logaddexp(Z.dtype.type(0), Z)


def logistic_parts(Z):
    """``(softplus(z), softplus(-z), p, 1 - p)`` with ``p = sigma(z)``, from one ``exp`` and one ``log1p``.

    With ``e = exp(-|z|)`` in (0, 1]: ``softplus(+-z) = max(+-z, 0) + log1p(e)``,
    and ``p = 1 / (1 + e)`` or ``e / (1 + e)`` by the sign of z; each of the
    four is computed without cancellation (``1 - p`` is never formed as a
    difference).
    """
    e = np.exp(-np.abs(Z))
    t = np.log1p(e)
    zero = Z.dtype.type(0)
    r = 1 / (1 + e)
    big, small = r, e * r  # sigma(|z|), sigma(-|z|)
    positive = Z >= 0
    return np.maximum(Z, zero) + t, np.maximum(-Z, zero) + t, np.where(positive, big, small), np.where(positive, small, big)


def _softmax_block(Z):
    """``(P, Zs, log_total)``: softmax of each row, ``Zs = Z - max``, ``lse = max + log_total``.

    The largest term of each shifted row sum is exactly 1, so ``log_total`` is
    ``log1p`` of the others, accurate for tiny losses.
    """
    rows = np.arange(Z.shape[0])
    k_max = np.argmax(Z, axis=1)
    Zs = Z - Z[rows, k_max][:, None]
    E = np.exp(Zs)
    E[rows, k_max] = 0
    rest = E.sum(axis=1)
    total = 1 + rest
    P = E / total[:, None]
    P[rows, k_max] = 1 / total
    return P, Zs, np.log1p(rest)


def _mean(values, N, dtype):
    return values.sum(dtype=dtype) / dtype.type(N)


class _NumpyOps:
    """The linear-model arithmetic shared by every vectorized loss."""

    implementation = "numpy"

    @staticmethod
    def _logits(W, X):
        return X @ W

    @staticmethod
    def _lift(X, G):
        return X.T @ G


class _Logistic(_NumpyOps):
    """Losses built from per-entry logistic terms: ``a Y softplus(-z) + b (1 - Y) softplus(z)``.

    Subclasses give the coefficient arrays ``(a, b)`` broadcastable to ``Z``;
    the Hessian is then block diagonal over classes,
    ``(1/N) sum_i x_i x_i^T (a Y + b (1 - Y)) p (1 - p)`` per class.
    """

    def _coefficients(self, Z, Y):
        raise NotImplementedError

    def _probs(self, Z):
        return expit(Z)

    def _loss_grad(self, Z, Y):
        dt = Z.dtype
        a, b = self._coefficients(Z, Y)
        pos = a * Y  # weight of -log p
        neg = b * (1 - Y)  # weight of -log(1 - p)
        sp, sm, P, Q = logistic_parts(Z)  # softplus(z) = -log(1 - p), softplus(-z) = -log p
        terms = pos * sm + neg * sp
        G = (neg * P - pos * Q) / dt.type(Z.shape[0])
        return _mean(terms, Z.shape[0], dt), G

    def hessian(self, W, X, Y):
        """Hessian with respect to ``W.ravel()`` (C order), shape (D*K, D*K); block diagonal over classes."""
        W, X, Y = self._linear_args(W, X, Y)
        Z = self._checked_logits(W, X)
        self._check_call(Z, Y)
        N, D = X.shape
        K = Z.shape[1]
        H = np.zeros((D * K, D * K), dtype=Z.dtype)
        with np.errstate(over="ignore", invalid="ignore"):  # class weights beyond the dtype: reported below
            a, b = self._coefficients(Z, Y)
            # H_k = sum_i c_ik x_i x_i^T with c = (a Y + b (1 - Y)) p (1 - p) / N >= 0, as (R X)^T (R X) with
            # R = sqrt(c) and p (1 - p) = exp(-softplus(z) - softplus(-z)): only its square root is formed, so
            # sigma(-z) below the dtype's range (float32 at z = 112.5, beside class weights of 1e19) still counts.
            sp, sm, _, _ = logistic_parts(Z)
            R = np.sqrt((a * Y + b * (1 - Y)) / Z.dtype.type(N)) * np.exp(-sp / 2 - sm / 2)
            for k in range(K):
                RX = R[:, k : k + 1] * X
                H[k::K, k::K] = RX.T @ RX
        return self._checked(H, "the Hessian", "X, W")


class BinaryLogistic(_Logistic, base.BinaryLogisticBase):
    capabilities = Capabilities(dtypes=FLOAT_DTYPES, hessian=True, binary=True)

    def _coefficients(self, Z, Y):
        a0, a1 = self._alphas()
        return Z.dtype.type(a1), Z.dtype.type(a0)


class OneVsAllLogistic(_Logistic, base.OneVsAllLogisticBase):
    capabilities = Capabilities(dtypes=FLOAT_DTYPES, hessian=True)

    def _coefficients(self, Z, Y):
        return self._alphas(Z.shape[1], Z.dtype)


class NonTargetWeightedLogistic(_Logistic, base.NonTargetWeightedLogisticBase):
    capabilities = Capabilities(dtypes=FLOAT_DTYPES, hessian=True, hard_labels=True)

    def _coefficients(self, Z, Y):
        return Z.dtype.type(1), self.omega.astype(Z.dtype, copy=False)


class WeightedSoftmax(_NumpyOps, base.WeightedSoftmaxBase):
    capabilities = Capabilities(dtypes=FLOAT_DTYPES, hessian=True)

    def __init__(self, class_weight=None):
        super().__init__(class_weight)
        self._softmax = _get_softmax("numpy")

    def _probs(self, Z):
        return _softmax_block(Z)[0]

    def _loss_grad(self, Z, Y):
        dt = Z.dtype
        N = Z.shape[0]
        P, Zs, log_total = _softmax_block(Z)
        s = self.sample_weights(Y, dt)
        # CE_i = lse(z_i) - sum_k Y_ik z_ik = log_total_i - sum_k Y_ik (z_ik - max_i), rows of Y summing to 1
        ce = log_total - np.einsum("nk,nk->n", Y, Zs)
        return _mean(s * ce, N, dt), (s / dt.type(N))[:, None] * (P - Y)

    def loss_grad(self, W, X, Y):
        return self._delegated(self._softmax, "loss_grad", W, X, Y)

    def hessian(self, W, X, Y):
        """Hessian with respect to ``W.ravel()`` (C order), from ``impls.get("numpy").hessian`` with sample weights."""
        return self._delegated(self._softmax, "hessian", W, X, Y)


class _CandidateOps(_NumpyOps):
    def _probs(self, Z):
        return expit(Z)

    def _weights_from(self, Z, Y, neg_log_p):
        dt = Z.dtype
        target = Y == 1
        K = Z.shape[1]
        A = dt.type(-self.gamma) * neg_log_p  # gamma log p, <= 0
        A = np.where(target, -np.inf, A)
        E = np.exp(A - A.max(axis=1, keepdims=True))  # 0 at the target, 1 at the hardest non-target
        # (K - 1) / S first: at gamma = 0, S = K - 1 exactly and every weight is exactly 1.
        return E * (dt.type(K - 1) / E.sum(axis=1, keepdims=True))

    def _weights(self, Z, Y):
        return self._weights_from(Z, Y, logistic_parts(Z)[1])

    def _parts(self, Z, Y):
        U, Um, P, Q = logistic_parts(Z)
        omega = self._weights_from(Z, Y, Um)
        terms = Y * Um + omega * U
        return omega, U, terms, P, Q


class CandidateINR(_CandidateOps, base.CandidateINRBase):
    capabilities = Capabilities(dtypes=FLOAT_DTYPES, hard_labels=True, candidate=True)

    def _loss_grad(self, Z, Y):
        dt = Z.dtype
        N, K = Z.shape
        omega, U, terms, P, Q = self._parts(Z, Y)
        Ubar = (omega * U).sum(axis=1, keepdims=True)
        non_target = omega * P + dt.type(self.gamma) * omega * Q * (U - Ubar / dt.type(K - 1))
        G = np.where(Y == 1, -Q, non_target) / dt.type(N)
        return _mean(terms, N, dt), G


class CandidateINRDetached(_CandidateOps, base.CandidateINRDetachedBase):
    capabilities = Capabilities(dtypes=FLOAT_DTYPES, hard_labels=True, candidate=True, gradient_is_derivative=False)

    def _loss_grad(self, Z, Y):
        dt = Z.dtype
        N = Z.shape[0]
        omega, _, terms, P, Q = self._parts(Z, Y)
        G = np.where(Y == 1, -Q, omega * P) / dt.type(N)
        return _mean(terms, N, dt), G


# Loss name (each class's ``name``, from its base) -> class, in the order ``reweighted.losses()`` lists them.
LOSSES = {
    cls.name: cls
    for cls in (BinaryLogistic, WeightedSoftmax, OneVsAllLogistic, NonTargetWeightedLogistic, CandidateINR, CandidateINRDetached)
}

"""Vectorized ResNet-softmax regression in NumPy; the one to use.

* Computes in the dtype it is given (float32 or float64): every temporary is
  of that dtype, and the result too.
* Never overflows: with ``s = max(0, max_j z_j)`` it works with
  ``t = u exp(-s) = exp(z - s) + z exp(-s)`` and ``alpha' = alpha exp(-s)``;
  ``f = t / alpha'``, ``h = (exp(z - s) + exp(-s)) / alpha'`` and
  ``p = exp(z - s) / alpha'`` are the same for every ``s``.
* Raises :class:`LossUndefinedError` where ``alpha <= 0`` or is too close to
  0 to be evaluated reliably (``impls.resnet_softmax.validation``).
* The Hessian never forms the (n, n) matrix ``B``:
  ``A^T B A = gamma (A^T h)(A^T h)^T - (A^T q)(A^T h)^T - (A^T h)(A^T q)^T
  + A^T diag(B_diag + w^2) A``, which costs O(n d^2) time and O(n d) memory.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from ._protocol import FLOAT_DTYPES, Capabilities
from .validation import finite_resnet_results, alpha_error_bound, check_alpha, validate


class _Pieces(NamedTuple):
    z: np.ndarray
    f: np.ndarray
    h: np.ndarray
    p: np.ndarray


def _scaled_alpha(pb):
    """``(z, e, g, t, alpha', s)``: the pieces of alpha scaled by ``exp(-s)``, in the input dtype."""
    dt = pb.dtype
    z = pb.A @ pb.x
    s = max(dt.type(0), z.max())
    e = np.exp(z - s)
    g = np.exp(-s)
    t = e + z * g
    return z, e, g, t, t.sum(dtype=dt), s


def _pieces(pb) -> _Pieces:
    z, e, g, t, alpha_s, s = _scaled_alpha(pb)
    bound = alpha_error_bound(z, float(s), np.abs(pb.A) @ np.abs(pb.x), pb.d, pb.dtype)
    check_alpha(float(alpha_s), float(s), bound, pb.dtype)
    return _Pieces(z, t / alpha_s, (e + g) / alpha_s, e / alpha_s)


def _factors(pc: _Pieces, b):
    """``(c, r, gamma, q)`` from the pieces and the target."""
    c = pc.f - b
    r = np.dot(c, pc.f)
    gamma = np.dot(3 * pc.f - 2 * b, pc.f)
    q = pc.h * (2 * pc.f - b)
    return c, r, gamma, q


@finite_resnet_results
class NumpyResNetSoftmax:
    """Vectorized implementation (float32 and float64)."""

    name = "numpy"
    capabilities = Capabilities(dtypes=FLOAT_DTYPES)

    def alpha(self, x, A):
        pb = validate(x, A, need_b=False)
        *_, alpha_s, s = _scaled_alpha(pb)
        with np.errstate(over="ignore"):
            return alpha_s * np.exp(s)

    def f(self, x, A):
        return _pieces(validate(x, A, need_b=False)).f

    def loss(self, x, A, b, w=None):
        pb = validate(x, A, b, w)
        pc = _pieces(pb)
        c = pc.f - pb.b
        value = np.dot(c, c) / 2
        if pb.w is not None:
            wz = pb.w * pc.z
            value = value + np.dot(wz, wz) / 2
        return value

    def grad(self, x, A, b, w=None):
        pb = validate(x, A, b, w)
        pc = _pieces(pb)
        c = pc.f - pb.b
        v = pc.h * (c - np.dot(c, pc.f))
        if pb.w is not None:
            v = v + pb.w * pb.w * pc.z
        return pb.A.T @ v

    def hessian(self, x, A, b, w=None):
        pb = validate(x, A, b, w)
        pc = _pieces(pb)
        c, r, gamma, q = _factors(pc, pb.b)
        diagonal = pc.h * pc.h + pc.p * (c - r)
        if pb.w is not None:
            diagonal = diagonal + pb.w * pb.w
        Ah, Aq = pb.A.T @ pc.h, pb.A.T @ q
        cross = np.outer(Aq, Ah)
        return gamma * np.outer(Ah, Ah) - cross - cross.T + pb.A.T @ (diagonal[:, None] * pb.A)

    def low_rank_factors(self, x, A, b):
        pb = validate(x, A, b)
        pc = _pieces(pb)
        _, _, gamma, q = _factors(pc, pb.b)
        return gamma, pc.h, q

    def B_rank(self, x, A, b):
        gamma, h, q = self.low_rank_factors(x, A, b)
        cross = np.outer(q, h)
        return gamma * np.outer(h, h) - cross - cross.T

    def B_diag(self, x, A, b):
        pb = validate(x, A, b)
        pc = _pieces(pb)
        c, r, _, _ = _factors(pc, pb.b)
        return pc.h * pc.h + pc.p * (c - r)

    def B(self, x, A, b):
        B = self.B_rank(x, A, b)
        k = np.arange(B.shape[0])
        B[k, k] += self.B_diag(x, A, b)
        return B

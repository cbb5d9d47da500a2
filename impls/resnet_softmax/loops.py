"""ResNet-softmax regression written the way the entrywise formulas read (catalog C2, C3).

No matrix operation anywhere: plain sums over ``j in [n]`` and ``i, l in
[d]``, in Python floats (IEEE double, so only float64 is declared). The
gradient and the Hessian use the entrywise forms, not ``A^T B A``:

* ``d f_j / d x_i = h_j A_ji - <h, A_{*,i}> f_j``;
* ``d^2 f_j / d x_i d x_l = a^-1 d2u_j - a^-2 (d_i u_j d_l a + d_l u_j d_i a)
  - a^-2 u_j d2a + 2 a^-3 u_j d_i a d_l a`` with ``d_i u_j = (e_j + 1) A_ji``,
  ``d2u_j = e_j A_ji A_jl``, ``d_i a = sum_j (e_j + 1) A_ji``,
  ``d2a = sum_j e_j A_ji A_jl`` (``e = exp(z)``, ``a = alpha``);
* ``d^2 L / d x_i d x_l = sum_j (d_i f_j)(d_l f_j) + sum_j c_j d^2 f_j / d x_i d x_l
  + sum_j w_j^2 A_ji A_jl``.

``B`` is the same Hessian in the coordinates ``z`` (``A = I``). Every ``u``,
``alpha`` and their derivatives are scaled by ``exp(-s)``,
``s = max(0, max_j z_j)``, which the formulas (homogeneous of degree 0)
do not see, so nothing overflows. Slow by nature; a readable reference.
"""

from __future__ import annotations

import math

import numpy as np

from .._arrays import FLOAT64
from ._protocol import Capabilities
from .validation import check_declared_size, finite_resnet_results, alpha_error_bound, check_alpha, validate


class _Point:
    """The scaled pieces at one point, as Python lists."""

    def __init__(self, pb, check=True):
        A, x = pb.A.tolist(), pb.x.tolist()
        self.n, self.d, self.A = pb.n, pb.d, A
        self.z = [sum(A[j][k] * x[k] for k in range(pb.d)) for j in range(pb.n)]
        self.s = max(0.0, max(self.z))
        self.e = [math.exp(zj - self.s) for zj in self.z]
        self.g = math.exp(-self.s)
        self.t = [self.e[j] + self.z[j] * self.g for j in range(pb.n)]
        self.alpha = sum(self.t)
        if check:
            abs_z = [sum(abs(A[j][k]) * abs(x[k]) for k in range(pb.d)) for j in range(pb.n)]
            check_alpha(self.alpha, self.s, alpha_error_bound(self.z, self.s, abs_z, pb.d, pb.dtype), pb.dtype)
            self.f = [tj / self.alpha for tj in self.t]
            self.h = [(self.e[j] + self.g) / self.alpha for j in range(pb.n)]
            self.p = [ej / self.alpha for ej in self.e]


def _residual(pt, b):
    c = [pt.f[j] - b[j] for j in range(pt.n)]
    r = sum(c[j] * pt.f[j] for j in range(pt.n))
    return c, r


def _second_derivative_form(pt, cols, c, w2=None):
    """``sum_j (d_i f_j)(d_l f_j) + sum_j c_j d2 f_j + sum_j w2_j C_ji C_jl`` for columns C = cols (n x m lists)."""
    n, m = pt.n, len(cols[0])
    du = [[(pt.e[j] + pt.g) * cols[j][i] for i in range(m)] for j in range(n)]
    da = [sum(du[j][i] for j in range(n)) for i in range(m)]
    a, u = pt.alpha, pt.t
    df = [[du[j][i] / a - da[i] * u[j] / a**2 for i in range(m)] for j in range(n)]
    H = [[0.0] * m for _ in range(m)]
    for i in range(m):
        for l in range(i, m):
            d2a = sum(pt.e[j] * cols[j][i] * cols[j][l] for j in range(n))
            total = 0.0
            for j in range(n):
                d2u = pt.e[j] * cols[j][i] * cols[j][l]
                d2f = (
                    d2u / a
                    - (du[j][i] * da[l] + du[j][l] * da[i]) / a**2
                    - u[j] * d2a / a**2
                    + 2 * u[j] * da[i] * da[l] / a**3
                )
                total += df[j][i] * df[j][l] + c[j] * d2f
                if w2 is not None:
                    total += w2[j] * cols[j][i] * cols[j][l]
            H[i][l] = H[l][i] = total
    return H


@finite_resnet_results
class LoopsResNetSoftmax:
    """Reference implementation: plain Python sums, entrywise derivative formulas."""

    name = "loops"
    capabilities = Capabilities(dtypes=FLOAT64, max_n=64, max_d=64)

    @staticmethod
    def _problem(x, A, b=None, w=None, need_b=True):
        pb = validate(x, A, b, w, dtypes=FLOAT64, need_b=need_b)
        check_declared_size(LoopsResNetSoftmax.capabilities, pb)
        return pb

    def alpha(self, x, A):
        pt = _Point(self._problem(x, A, need_b=False), check=False)
        try:
            return np.float64(pt.alpha * math.exp(pt.s))
        except OverflowError:
            return np.float64(math.inf)

    def f(self, x, A):
        return np.array(_Point(self._problem(x, A, need_b=False)).f, dtype=np.float64)

    def loss(self, x, A, b, w=None):
        pb = self._problem(x, A, b, w)
        pt = _Point(pb)
        b, value = pb.b.tolist(), 0.0
        for j in range(pb.n):
            value += (pt.f[j] - b[j]) ** 2 / 2
            if pb.w is not None:
                value += (float(pb.w[j]) * pt.z[j]) ** 2 / 2
        return np.float64(value)

    def grad(self, x, A, b, w=None):
        pb = self._problem(x, A, b, w)
        pt = _Point(pb)
        c, _ = _residual(pt, pb.b.tolist())
        out = []
        for i in range(pb.d):
            col = [pt.A[j][i] for j in range(pb.n)]
            h_dot = sum(pt.h[j] * col[j] for j in range(pb.n))
            gi = sum(c[j] * (pt.h[j] * col[j] - h_dot * pt.f[j]) for j in range(pb.n))
            if pb.w is not None:
                gi += sum(float(pb.w[j]) ** 2 * pt.z[j] * col[j] for j in range(pb.n))
            out.append(gi)
        return np.array(out, dtype=np.float64)

    def hessian(self, x, A, b, w=None):
        pb = self._problem(x, A, b, w)
        pt = _Point(pb)
        c, _ = _residual(pt, pb.b.tolist())
        w2 = None if pb.w is None else [float(v) ** 2 for v in pb.w]
        return np.array(_second_derivative_form(pt, pt.A, c, w2), dtype=np.float64)

    def B(self, x, A, b):
        pb = self._problem(x, A, b)
        pt = _Point(pb)
        c, _ = _residual(pt, pb.b.tolist())
        identity = [[1.0 if j == k else 0.0 for k in range(pb.n)] for j in range(pb.n)]
        return np.array(_second_derivative_form(pt, identity, c), dtype=np.float64)

    def low_rank_factors(self, x, A, b):
        pb = self._problem(x, A, b)
        pt = _Point(pb)
        bl = pb.b.tolist()
        gamma = sum((3 * pt.f[j] - 2 * bl[j]) * pt.f[j] for j in range(pb.n))
        q = [pt.h[j] * (2 * pt.f[j] - bl[j]) for j in range(pb.n)]
        return np.float64(gamma), np.array(pt.h, dtype=np.float64), np.array(q, dtype=np.float64)

    def B_rank(self, x, A, b):
        gamma, h, q = self.low_rank_factors(x, A, b)
        n = h.size
        return np.array(
            [[gamma * h[j] * h[k] - q[j] * h[k] - h[j] * q[k] for k in range(n)] for j in range(n)], dtype=np.float64
        )

    def B_diag(self, x, A, b):
        pb = self._problem(x, A, b)
        pt = _Point(pb)
        c, r = _residual(pt, pb.b.tolist())
        return np.array([pt.h[j] ** 2 + pt.p[j] * (c[j] - r) for j in range(pb.n)], dtype=np.float64)

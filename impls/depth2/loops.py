"""The depth-2 objective written the way the index formulas read: plain sums, no matrices.

The readable reference; slow by nature, meant to be compared with. Python
floats (IEEE double), so float64 only, one ``theta`` at a time.

With ``u_ik = sum_j x_ij W_jk``, ``f_i = sum_k a_k sigma(u_ik)``, ``m_i = y_i f_i``:

* ``L = (1/n) sum_i l(m_i) + (lam/2) sum theta^2``
* ``dL/dW_jk = (1/n) sum_i l'(m_i) y_i a_k sigma'(u_ik) x_ij + lam W_jk``
* ``dL/da_k = (1/n) sum_i l'(m_i) y_i sigma(u_ik) + lam a_k``
* ``d2L/dtheta_r dtheta_q = (1/n) sum_i [l''(m_i) df_i/dtheta_r df_i/dtheta_q
  + l'(m_i) y_i d2f_i/dtheta_r dtheta_q] + lam delta_rq``
"""

from __future__ import annotations

import math

import numpy as np

from ._protocol import Capabilities
from .problem import depth2_implementation
from .validation import check_declared_size, check_theta


def _sigmoid(u: float) -> float:
    if u >= 0:
        return 1.0 / (1.0 + math.exp(-u))
    e = math.exp(u)
    return e / (1.0 + e)


def _sigmoid_prime(u: float) -> float:
    e = math.exp(-abs(u))
    return e / (1.0 + e) ** 2


def _softplus(u: float) -> float:
    return max(u, 0.0) + math.log1p(math.exp(-abs(u)))


def _activation(name: str, u: float) -> tuple[float, float, float]:
    """(sigma, sigma', sigma'') at u, in stable forms."""
    if name == "sigmoid":
        d1 = _sigmoid_prime(u)
        return _sigmoid(u), d1, d1 * math.tanh(-u / 2.0)
    if name == "tanh":
        e = math.exp(-2.0 * abs(u))
        t = math.tanh(u)
        d1 = 4.0 * e / (1.0 + e) ** 2
        return t, d1, -2.0 * t * d1
    return _softplus(u), _sigmoid(u), _sigmoid_prime(u)


@depth2_implementation
class LoopsDepth2:
    """Reference implementation: plain Python sums over samples, gates and features."""

    name = "loops"
    capabilities = Capabilities(hessian=True, laplacian=True, max_size=2000)

    def _terms(self, theta, pb):
        if pb.exact:
            raise TypeError("X: the problem holds exact (object) data; loops computes in float64 (use problem.to_float())")
        theta = [float(t) for t in check_theta(theta, pb.dim, batched=False, allow_exact=False)]
        check_declared_size(self.capabilities, pb)
        n, d, p = pb.n, pb.d, pb.p
        X = pb.X.tolist()
        y = pb.y.tolist()
        W = [[theta[j * p + k] for k in range(p)] for j in range(d)]
        a = theta[d * p :] if pb.train_outer else pb.a.tolist()
        samples = []
        for i in range(n):
            acts = [_activation(pb.activation, sum(X[i][j] * W[j][k] for j in range(d))) for k in range(p)]
            f = sum(a[k] * acts[k][0] for k in range(p))
            m = y[i] * f
            samples.append((acts, _softplus(-m), -_sigmoid(-m), _sigmoid_prime(m)))
        return theta, X, y, a, samples

    def loss(self, theta, problem):
        theta, _, _, _, samples = self._terms(theta, problem)
        return sum(s[1] for s in samples) / problem.n + 0.5 * problem.lam * sum(t * t for t in theta)

    def _df(self, pb, X, a, acts, i):
        """d f_i / d theta as a list (theta order)."""
        d, p = pb.d, pb.p
        out = [a[k] * acts[k][1] * X[i][j] for j in range(d) for k in range(p)]
        if pb.train_outer:
            out += [acts[k][0] for k in range(p)]
        return out

    def grad(self, theta, problem):
        pb = problem
        theta, X, y, a, samples = self._terms(theta, pb)
        G = [pb.lam * t for t in theta]
        for i, (acts, _, l1, _) in enumerate(samples):
            for r, df in enumerate(self._df(pb, X, a, acts, i)):
                G[r] += l1 * y[i] * df / pb.n
        return np.array(G)

    def hessian(self, theta, problem):
        pb = problem
        theta, X, y, a, samples = self._terms(theta, pb)
        d, p, dim = pb.d, pb.p, pb.dim
        H = [[pb.lam if r == q else 0.0 for q in range(dim)] for r in range(dim)]
        for i, (acts, _, l1, l2) in enumerate(samples):
            df = self._df(pb, X, a, acts, i)
            for r in range(dim):
                for q in range(dim):
                    H[r][q] += l2 * df[r] * df[q] / pb.n
            for k in range(p):
                for j in range(d):
                    for jj in range(d):
                        H[j * p + k][jj * p + k] += l1 * y[i] * a[k] * acts[k][2] * X[i][j] * X[i][jj] / pb.n
                    if pb.train_outer:
                        c = l1 * y[i] * acts[k][1] * X[i][j] / pb.n
                        H[j * p + k][d * p + k] += c
                        H[d * p + k][j * p + k] += c
        return np.array(H)

    def laplacian(self, theta, problem):
        pb = problem
        theta, X, y, a, samples = self._terms(theta, pb)
        total = pb.lam * pb.dim
        for i, (acts, _, l1, l2) in enumerate(samples):
            norm = float(pb.row_norms[i])  # ||x_i||, computed without overflow
            for k in range(pb.p):
                c = (l2 * (a[k] * acts[k][1]) ** 2 + l1 * y[i] * a[k] * acts[k][2]) / pb.n
                # ||x_i||^2 c as sign(c) (||x_i|| sqrt|c|)^2: ||x_i||^2 alone overflows for x ~ 1e160
                t = norm * math.sqrt(abs(c))
                total += math.copysign(t * t, c)
                if pb.train_outer:
                    total += l2 * acts[k][0] ** 2 / pb.n
        return total

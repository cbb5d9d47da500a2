"""Vectorized depth-2 objective in NumPy: the one to use, and the one the samplers run.

For ``theta`` of shape (M, dim) (M chains) every quantity is computed for all
chains at once, with no Python loop over chains or samples.

Formulas (``u_ik = <w_k, x_i>``, ``f_i = sum_k a_k sigma(u_ik)``,
``m_i = y_i f_i``, ``g_i = l'(m_i) y_i / n``, ``h_i = l''(m_i) / n``):

* ``dL/dW_jk = sum_i g_i a_k sigma'(u_ik) x_ij + lam W_jk``
* ``dL/da_k  = sum_i g_i sigma(u_ik) + lam a_k`` (trained outer layer)
* Hessian ``= J^T diag(h) J + sum_i g_i grad^2 f_i + lam I``, where
  ``J[i] = grad f_i`` (``a_k sigma'(u_ik) x_ij`` for ``W_jk``, ``sigma(u_ik)`` for
  ``a_k``) and ``grad^2 f_i`` is block diagonal over gates:
  ``a_k sigma''(u_ik) x_i x_i^T`` on (W_.k, W_.k), ``sigma'(u_ik) x_ij`` on (W_jk, a_k).
* Laplacian ``= sum_i ||x_i||^2 sum_k (h_i a_k^2 sigma'(u_ik)^2 + g_i a_k sigma''(u_ik))
  + sum_i h_i sum_k sigma(u_ik)^2 [trained] + lam dim`` (catalog D1).

All activations and the logistic loss are evaluated in the stable forms of
:mod:`impls.depth2.activations`.
"""

from __future__ import annotations

import numpy as np

from ._protocol import Capabilities
from .activations import activation, logistic
from .problem import depth2_implementation
from .validation import check_rows, check_theta


@depth2_implementation
class NumpyDepth2:
    """Vectorized implementation (float64), batched over chains, with minibatches."""

    name = "numpy"
    capabilities = Capabilities(batched=True, minibatch=True, hessian=True, laplacian=True)

    # -- shared forward pass -----------------------------------------------------

    def _prepare(self, theta, problem, rows):
        if problem.exact:
            raise TypeError("X: the problem holds exact (object) data; numpy computes in float64 (use problem.to_float())")
        T = check_theta(theta, problem.dim, batched=True, allow_exact=False)
        single = T.ndim == 1
        T2 = T[None, :] if single else T
        if rows is not None:
            rows = check_rows(rows, problem.n, T.shape)
            rows = rows[None, :] if single else rows
        return T2, rows, single

    def _forward(self, T, problem, rows, order):
        """Per-chain intermediate arrays; ``order`` = number of loss derivatives needed (0, 1, 2)."""
        W, a = problem.unpack(T)  # W (M, d, p); a (p,) or (M, p)
        if rows is None:
            X, y, sq = problem.X, problem.y[None, :], problem.sq_norms[None, :]
            # one (n, d) @ (d, M p) product (BLAS), viewed as (M, n, p)
            M, d, p = W.shape
            U = (X @ W.transpose(1, 0, 2).reshape(d, M * p)).reshape(X.shape[0], M, p).transpose(1, 0, 2)
        else:
            X, y, sq = problem.X[rows], problem.y[rows], problem.sq_norms[rows]
            U = np.einsum("mnd,mdp->mnp", X, W)
        A = a[None, None, :] if a.ndim == 1 else a[:, None, :]
        S, S1, S2 = activation(problem.activation, U, order)
        f = S[:, :, 0] * A[..., 0] if S.shape[2] == 1 else np.einsum("mnp,mnp->mn", S, np.broadcast_to(A, S.shape))
        ell, ell1, ell2 = logistic(y * f, order)
        nb = U.shape[1]
        return {"X": X, "y": y, "sq": sq, "A": A, "S": S, "S1": S1, "S2": S2, "ell": ell,
                "g": None if ell1 is None else ell1 * y / nb, "h": None if ell2 is None else ell2 / nb}

    # -- the interface -------------------------------------------------------------

    def loss(self, theta, problem, rows=None):
        """``L~_lambda``; a float, or shape (M,) for batched theta. ``rows``: a minibatch's sample indices."""
        T, rows, single = self._prepare(theta, problem, rows)
        F = self._forward(T, problem, rows, 0)
        value = F["ell"].mean(axis=1) + 0.5 * problem.lam * np.einsum("md,md->m", T, T)
        return float(value[0]) if single else value

    def grad(self, theta, problem, rows=None):
        """Gradient, shape (dim,) or (M, dim). ``rows``: a minibatch's sample indices."""
        T, rows, single = self._prepare(theta, problem, rows)
        G = self._gradient(T, problem, self._forward(T, problem, rows, 1))
        return G[0] if single else G

    def _gradient(self, T, problem, F):
        coef = F["g"][:, :, None] * F["A"] * F["S1"]  # (M, n, p)
        if F["X"].ndim == 2:  # X^T coef as one product: (M, p, n) . (n, d) -> (M, p, d)
            GW = np.tensordot(coef.transpose(0, 2, 1), F["X"], axes=([2], [0])).transpose(0, 2, 1)
        else:  # a minibatch per chain
            GW = np.matmul(np.swapaxes(F["X"], -1, -2), coef)
        parts = [GW.reshape(T.shape[0], -1)]
        if problem.train_outer:
            parts.append(np.einsum("mn,mnp->mp", F["g"], F["S"]))
        return np.concatenate(parts, axis=1) + problem.lam * T

    def loss_grad(self, theta, problem, rows=None):
        """``(loss, grad)`` from one forward pass (what an optimizer wants)."""
        T, rows, single = self._prepare(theta, problem, rows)
        F = self._forward(T, problem, rows, 2)
        value = F["ell"].mean(axis=1) + 0.5 * problem.lam * np.einsum("md,md->m", T, T)
        G = self._gradient(T, problem, F)
        return (float(value[0]), G[0]) if single else (value, G)

    def laplacian(self, theta, problem):
        """Trace of the Hessian; a float, or shape (M,) for batched theta."""
        T, rows, single = self._prepare(theta, problem, None)
        F = self._forward(T, problem, rows, 2)
        A, S1 = F["A"], F["S1"]
        per_sample = np.sum(F["h"][:, :, None] * A**2 * S1**2 + F["g"][:, :, None] * A * F["S2"], axis=2)
        # ||x_i||^2 c as sign(c) (||x_i|| sqrt|c|)^2: no overflow of ||x_i||^2 where c is small or 0.
        norms = problem.row_norms[None, :]
        value = np.sum(np.sign(per_sample) * (norms * np.sqrt(np.abs(per_sample))) ** 2, axis=1)
        if problem.train_outer:
            value = value + np.einsum("mn,mnp->m", F["h"], F["S"] ** 2)
        value = value + problem.lam * problem.dim
        return float(value[0]) if single else value

    def hessian(self, theta, problem):
        """Hessian with respect to theta, shape (dim, dim); theta of shape (dim,)."""
        T = check_theta(theta, problem.dim, batched=False, allow_exact=False)
        if problem.exact:
            raise TypeError("X: the problem holds exact (object) data; numpy computes in float64 (use problem.to_float())")
        F = self._forward(T[None, :], problem, None, 2)
        X = problem.X
        n, d, p = problem.n, problem.d, problem.p
        A = F["A"][0, 0]  # (p,)
        S, S1, S2 = F["S"][0], F["S1"][0], F["S2"][0]
        g, h = F["g"][0], F["h"][0]
        JW = (A * S1)[:, None, :] * X[:, :, None]  # (n, d, p): d f_i / d W_jk
        J = JW.reshape(n, d * p)
        if problem.train_outer:
            J = np.concatenate([J, S], axis=1)
        H = J.T @ (h[:, None] * J)
        HW = np.zeros((d, p, d, p))
        k = np.arange(p)
        # Gate-diagonal blocks (p, d, d); the coefficient times x_ij first, so that a coefficient 0 keeps
        # the term 0 where x_ij x_il alone would overflow.
        CX = (g[:, None] * A * S2)[:, :, None] * X[:, None, :]  # (n, p, d)
        HW[:, k, :, k] = np.einsum("ipj,il->pjl", CX, X)
        H[: d * p, : d * p] += HW.reshape(d * p, d * p)
        if problem.train_outer:
            cross = np.einsum("ip,ij->jp", g[:, None] * S1, X)  # d^2 / dW_jk da_k
            rows_idx = (np.arange(d)[:, None] * p + k[None, :]).ravel()
            cols_idx = np.tile(d * p + k, d)
            H[rows_idx, cols_idx] += cross.ravel()
            H[cols_idx, rows_idx] += cross.ravel()
        H[np.diag_indices_from(H)] += problem.lam
        return H

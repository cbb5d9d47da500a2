"""The stationarity identities of the catalog (B.3) as balances ``lhs_k = rhs_k``, computed from probabilities.

Each identity is the bias equation ``N dJ/db_k = 0`` written as two sums
of nonnegative terms, so "holds" means their relative gap is small:

* I1 (binary LGL): ``alpha_1 sum_{C_1} (1 - p_i) = alpha_0 sum_{C_0} p_i``;
* I2 (weighted SML): ``alpha_k N_k = sum_i alpha_{y_i} p_ik``;
* I3 (one-vs-all LGL): ``alpha+_k sum_{C_k} (1 - p_ik) = alpha-_k sum_{i not in C_k} p_ik``;
* I4 (the CANDIDATE LGL-INR): ``sum_{C_k} (1 - p_ik) = sum_{i not in C_k} omega_ik p_ik``
  (stop-gradient weights), or ``sum_i G_ik = 0`` (fully differentiable, G of B.2.4).

The same balances in 50-digit mpmath, from a fit's parameters, are in
``verify.catalog.li2020.certificates``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from impls import reweighted as rw


@dataclass
class Balance:
    """``lhs_k``, ``rhs_k`` and the predicted ``lhs_k - rhs_k`` of one identity (arrays of shape (K,))."""

    lhs: np.ndarray
    rhs: np.ndarray
    predicted: np.ndarray

    @property
    def scale(self) -> np.ndarray:
        return np.maximum(np.abs(self.lhs), np.abs(self.rhs))

    @property
    def residual(self) -> float:
        """``max_k |lhs_k - rhs_k| / max(|lhs_k|, |rhs_k|)``: the identity as stated."""
        return float(np.max(np.abs(self.lhs - self.rhs) / self.scale))

    @property
    def corrected(self) -> float:
        """``max_k |lhs_k - rhs_k - predicted_k| / max(|lhs_k|, |rhs_k|)``: with the predicted term."""
        return float(np.max(np.abs(self.lhs - self.rhs - self.predicted) / self.scale))


def balance(identity: str, P, labels, hard, targets, weights, *, omega=None, Z=None, gamma=0.0, bias_term=None) -> Balance:
    """The identity's two sides from probabilities ``P`` (float64, vectorized).

    ``predicted`` is ``N lambda_b b_k`` (``bias_term``) plus, when the targets
    are smoothed (unit weights), ``sum_i (hard - targets)_ik``.
    """
    member = hard == 1
    if identity == "I1":
        a0, a1 = weights["alpha"]
        p = P[:, 0]
        lhs = np.array([a1 * np.sum((1 - p)[labels == 1])])
        rhs = np.array([a0 * np.sum(p[labels == 0])])
    elif identity == "I2":
        a = weights["alpha"]
        lhs = a * hard.sum(axis=0)
        rhs = a[labels] @ P
    elif identity == "I3":
        lhs = weights["positive"] * np.where(member, 1 - P, 0).sum(axis=0)
        rhs = weights["negative"] * np.where(member, 0, P).sum(axis=0)
    elif identity == "I4-detached":
        lhs = np.where(member, 1 - P, 0).sum(axis=0)
        rhs = np.where(member, 0, omega * P).sum(axis=0)
    elif identity == "I4-full":
        K = P.shape[1]
        om = rw.get("numpy", "candidate_inr", gamma=gamma).candidate_weights(Z, hard)
        U = rw.softplus(Z)
        Ubar = (om * U).sum(axis=1, keepdims=True)
        G = om * P + gamma * om * (1 - P) * (U - Ubar / (K - 1))
        lhs = np.where(member, 1 - P, 0).sum(axis=0)
        rhs = np.where(member, 0, G).sum(axis=0)
    else:
        raise ValueError(identity)
    predicted = np.zeros_like(lhs) if bias_term is None else np.asarray(bias_term, dtype=np.float64).copy()
    if not np.array_equal(targets, hard):
        predicted = predicted + (hard - targets).sum(axis=0)
    return Balance(lhs, rhs, predicted)

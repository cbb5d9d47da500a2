"""The folklore quantities in float64, computed through the implementation's interface.

A single logit vector z is the linear model with N = D = 1 and x = 1 (W = z^T,
``logits_as_weights``), so CE(y, z) and softmax(z) are the implementation's
own loss and probabilities. The functions here are shared by the float
measurements (``measures``), the figures and the experiments; their
high-precision twins are in ``certificates``.
"""

from __future__ import annotations

import math

import numpy as np
from scipy.special import logsumexp

from ...numerics import rounding
from ...numerics.optimizers import gradient_descent, loss_increase_tolerance
from . import tolerances as tol

F64 = np.float64
EPS = rounding.eps(F64)
X1 = np.ones((1, 1), dtype=F64)  # one sample, x = 1: the logits are W[0]


def logits_as_weights(z) -> np.ndarray:
    """A logit vector as the (1, K) weight matrix of the single-sample model (X = [[1]])."""
    return np.asarray(z, dtype=F64).reshape(1, -1)


def cross_entropy(impl, y, z) -> float:
    """CE(y, z) through the implementation."""
    return float(impl.loss(logits_as_weights(z), X1, np.asarray(y, dtype=F64).reshape(1, -1)))


def probs(impl, z) -> np.ndarray:
    """softmax(z) through the implementation."""
    return np.asarray(impl.probs(logits_as_weights(z), X1), dtype=F64)[0]


def logit_bound(X, W) -> float:
    """max_nk sum_d |x_nd| |w_dk|: bounds every logit and its rounding scale."""
    return float(np.max(np.abs(np.asarray(X, F64)) @ np.abs(np.asarray(W, F64))))


def ce_unnormalised(y, z) -> float:
    """CE(y, z) = -sum_k y_k log p_k = (sum_k y_k) lse(z) - y.z for any y >= 0 (the implementation refuses such y)."""
    z = np.asarray(z, F64)
    return float(np.dot(y, logsumexp(z) - z))


def ce_hessian_point(ex):
    """(W, X, Y) of the single-sample model at a drawn logit vector (the first endpoint of a segment)."""
    return logits_as_weights(ex["z1"] if "z1" in ex else ex["z"]), X1, np.asarray(ex["y"], F64)[None, :]


def linear_hessian_point(pb):
    """(W, X, Y) of a drawn linear-model problem."""
    return pb.W, pb.X, pb.Y


def softmax_jacobian(p) -> np.ndarray:
    """The claimed Jacobian of softmax at probabilities p: diag(p) - p p^T."""
    return np.diag(p) - np.outer(p, p)


def cross_entropy_pq(p, q) -> float:
    """H(p, q) = -sum_k p_k log q_k (0 log q = 0)."""
    m = p > 0
    return float(-np.sum(p[m] * np.log(q[m])))


def entrywise_ratio(p, q, rel) -> float:
    """max_k |p_k - q_k| / ((p_k + q_k) rel + floor): the probability comparison in units of its tolerance."""
    return float(np.max(np.abs(p - q) / ((p + q) * rel + tol.FOLKLORE_UNDERFLOW_FLOOR)))


def chain(mats):
    """The product M_1 M_2 ... M_L: the logits of a linear network, X W_1 ... W_L, when X leads."""
    out = mats[0]
    for m in mats[1:]:
        out = out @ m
    return out


def segment_weights(A, B, lam) -> list:
    """The layer weights lam A + (1 - lam) B on the segment [B, A] of two networks (floats, or mpf for exact mixtures)."""
    return [lam * a + (1 - lam) * b for a, b in zip(A, B)]


def network_loss(impl, X, Y, A, B, lam) -> float:
    """The mean CE of the linear network X W_1 ... W_L at the point lam of the segment [B, A] (lam = 1 at A)."""
    return float(impl.loss(chain(segment_weights(A, B, lam)), X, Y))


# Convexity is tested on every chord between the grid points lam = j/8 (j = 0..8) of each drawn segment
# [B, A] (lam = 0 at B, 1 at A): g(lam_j) <= ((k - j) g(lam_i) + (j - i) g(lam_k)) / (k - i) for i < j < k.
# Each chord is itself a segment between two weight settings, so a violated chord is a counterexample;
# the 84 chords of one drawn pair give a short search many more chances than its midpoint alone.
SEGMENT_GRID = tuple(j / 8 for j in range(9))


def chord_gaps(g, lams):
    """All (gap, i, j, k) of the chord test on the values g at the points lams (exact in any number type)."""
    n = len(lams)
    return [(g[j] - ((lams[k] - lams[j]) * g[i] + (lams[j] - lams[i]) * g[k]) / (lams[k] - lams[i]), i, j, k)
            for i in range(n) for k in range(i + 2, n) for j in range(i + 1, k)]


def worst_descent_step(impl, X, Y, W0, multiplier, steps, stop_at_increase=False):
    """Run gradient descent at multiplier / L; return the result and its worst step (largest increase / rounding).

    ``stop_at_increase`` ends the run at the first step that increases the loss beyond rounding.
    """
    state = {"prev": None, "W": None, "ratio": -math.inf, "worst": None}

    def callback(k, W, loss, G):
        if state["prev"] is not None:
            t = loss_increase_tolerance(state["prev"], EPS)
            r = (loss - state["prev"]) / t
            if r > state["ratio"]:
                state.update(ratio=r, worst={"k": k - 1, "W_k": state["W"], "increase": loss - state["prev"], "tolerance": t,
                                             "loss_k": state["prev"], "loss_k+1": loss})
        state["prev"], state["W"] = loss, W
        return stop_at_increase and state["ratio"] > 1

    res = gradient_descent(impl, X, Y, W0, step_multiplier=multiplier, max_iter=steps, record_every=steps, callback=callback)
    return res, state["worst"]


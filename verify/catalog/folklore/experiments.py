"""The folklore experiments: the catalog's own constructions and measurements, beside the searches.

They illustrate a verdict with the numbers the catalog quotes (a fitted
linear model mirrored into a two-layer network, gradient descent on
separable data, gradient descent at three step sizes); they never decide
one. Each returns its measurements and, where it has one, its figures.
"""

from __future__ import annotations

import math

import numpy as np

from ...harness.claims import Evidence
from ...harness.evidence import MAX_FIGURE_POINTS, figure, series
from ...numerics.optimizers import gradient_descent
from .formulas import F64, chain, cross_entropy

# budget: the draw of the catalog's example data sets; the numbers the catalog quotes were measured on it.
CATALOG_SEED = 0
# budget: gradient-descent steps that fit the linear model W* of the mirrored pair; the catalog's endpoints
# (loss 0.168 against the midpoint's log 2 = 0.693) need a fit better than chance, not a converged one.
MIRRORED_PAIR_FIT_STEPS = 500

def mirrored_pair(impl, hidden_layers: int) -> dict:
    """F8, F9: the catalog's construction (an illustration, not the search's counterexample).

    Fit the linear model W* by gradient descent on a seeded 20-sample,
    2-class problem (overlapping Gaussian classes plus a bias column); the
    linear network with W_1 = W*, the other layers the identity, and its
    mirror (-W_1, -W_2, ...) on the trainable layers give the same logits
    X W*, while the midpoint has W_1 = 0, logits 0 and loss log K.
    """
    rng = np.random.default_rng(CATALOG_SEED)
    labels = np.arange(20) % 2
    X = np.column_stack([rng.normal(size=(20, 2)) + 0.75 * (2 * labels[:, None] - 1), np.ones(20)])
    Y = np.eye(2)[labels]
    W_star = gradient_descent(impl, X, Y, max_iter=MIRRORED_PAIR_FIT_STEPS).W
    I = np.eye(2)
    A = [W_star] + [I] * hidden_layers + [I]
    B = [-A[0], -A[1]] + A[2:]  # the two trainable layers (W1, W2) mirrored; any later layer is held fixed
    M = [(a + b) / 2 for a, b in zip(A, B)]
    la, lb, lm = (float(impl.loss(chain(Ws), X, Y)) for Ws in (A, B, M))
    return {"data": f"20 samples, 2 classes, x ~ N(+-0.75, I_2) plus a bias column, numpy random seed {CATALOG_SEED}",
            "L(A)": la, "L(B) (mirrored)": lb, "L(midpoint)": lm, "log K": math.log(2),
            "midpoint minus endpoints' mean": lm - (la + lb) / 2}


def counterexample_shape(ev: Evidence) -> dict:
    """F8, F9: what the shrunk counterexample looks like: B = -A? the midpoint's logits?"""
    ce = ev.counterexample
    if ce is None:
        return {}
    A = [np.asarray(a) for a in ce["A"]]
    B = [np.asarray(b) for b in ce["B"]]
    out = {"endpoints give the same logits": bool(np.allclose(chain(A), chain(B)))}
    out["B = -A on the trainable layers"] = bool(all(np.array_equal(b, -a) for i, (a, b) in enumerate(zip(A, B))
                                                     if i in ce["trainable layers"]))
    out["midpoint logits are 0"] = bool(not np.any(chain([(a + b) / 2 for a, b in zip(A, B)])))
    return out


def unbounded_loss(impl) -> tuple[dict, dict]:
    """F10: CE = -log p_true for a one-hot target, unbounded above (an illustration, not the counterexample)."""
    p_true = np.geomspace(1e-5, 1.0, MAX_FIGURE_POINTS)
    ce = [cross_entropy(impl, [1.0, 0.0], [math.log(p), math.log1p(-p) if p < 1 else -800.0]) for p in p_true]
    meas = {"CE at p_true = 1e-5 (K=2, one-hot)": ce[0], "-log(1e-5)": -math.log(1e-5)}
    fig = figure("CE = -log p_true is unbounded (one-hot, K = 2)", "p_true", "CE",
                 [series("CE", p_true, ce), series("claimed upper bound 1", p_true, np.ones_like(p_true))], xscale="log")
    return meas, fig


def separable_descent(impl, pb, steps) -> tuple[dict, list]:
    """F12 (b): gradient descent at 1/L on the no-minimizer counterexample: loss -> 0 (inf), ||W_t|| grows like log t."""
    X, Y = np.asarray(pb["X"], F64), np.asarray(pb["Y"], F64)
    res = gradient_descent(impl, X, Y, step_multiplier=1.0, max_iter=steps, record_every=1)
    h = res.history
    T = int(h["iteration"][-1])
    slope = (h["W_norm"][-1] - h["W_norm"][T // 10]) / math.log(10)
    meas = {"steps": T, "n_increases": res.n_increases, "final loss": float(h["loss"][-1]),
            "final ||W||": float(h["W_norm"][-1]), "d||W_t|| / d ln t over the last decade": float(slope),
            "t * loss_t at the end (bounded if loss ~ 1/t)": float(T * h["loss"][-1])}
    keep = h["iteration"] > 0  # t = 0 has no place on a logarithmic axis
    t = h["iteration"][keep]
    figs = [
        figure("(b) ||W_t|| grows without bound (gradient descent at 1/L)", "t", "||W_t||_F",
               [series("||W_t||", t, h["W_norm"][keep])], xscale="log"),
        figure("(b) the loss tends to its infimum 0, never attained", "t", "L(W_t)",
               [series("L(W_t)", t, h["loss"][keep])], xscale="log", yscale="log"),
    ]
    return meas, figs


def descent_at_three_steps(impl, steps) -> tuple[dict, list]:
    """F17: the catalog's measurement: overlapping one-hot data (N=11, D=3, K=3, seed 0) at 1/L, 2/L, 8/L."""
    rng = np.random.default_rng(CATALOG_SEED)
    X = rng.normal(size=(11, 3))
    Y = np.eye(3)[rng.integers(0, 3, 11)]
    meas, curves = {}, []
    for m in (1.0, 2.0, 8.0):
        res = gradient_descent(impl, X, Y, step_multiplier=m, max_iter=steps)
        meas[f"{m:g}/L"] = {"n_increases": res.n_increases, "steps": res.n_iter, "final loss": res.loss}
        curves.append(series(f"step {m:g}/L ({res.n_increases} increases)", res.history["iteration"],
                             res.history["loss"]))
    fig = figure("Loss along gradient descent (N=11, D=3, K=3, overlapping one-hot classes)", "step", "L(W_t)", curves)
    return {"data": f"X ~ N(0, 1) of shape (11, 3), labels uniform in {{0, 1, 2}}, numpy random seed {CATALOG_SEED}",
            **meas}, [fig]


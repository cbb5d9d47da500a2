"""High-precision confirmations of the li2020 refutations: the float finding recomputed in 50-digit mpmath.

A float measurement that violates a claim is confirmed here before it
counts (``search_evidence``'s ``confirm``). Every recomputation starts from
the fit's float parameters, which are exact dyadic numbers, so the only
rounding left is mpmath's (below 1e-40 relative):

* the identities' balances (``mp_balance``; the linear head's logits from
  exact integer products, ``exact_linear_logits``), for the breakers
  (``confirm_identity_violation``) and for fits that stopped before
  stationarity (``confirm_violation_off_stationarity``);
* the class means pbar_1, pbar_0 of two fits (``confirm_pbar_gap``, G2) and
  a row of the confusion matrix (``confirm_averaging``, G3);
* the CANDIDATE's weights, loss and gradient (``mp_candidate``) and the
  unweighted one-vs-all LGL (``mp_one_vs_all``), for B4 and the gamma = 0 reduction;
* the held-out predictions whose top-two margin is within the logits'
  rounding bound, re-decided before the accuracies are compared (``certified_accuracies``, B5).
"""

from __future__ import annotations

import mpmath
import numpy as np

from impls import add_bias
from impls import reweighted as rw

from ...numerics import precision, rounding
from . import tolerances as tol
from .balance import Balance
from .experiments import Outcome, Setting, build_problem, evaluate, heldout_run, relative_gap


# --------------------------------------------------------------------------
# The balances in 50-digit mpmath, from the fitted parameters
# --------------------------------------------------------------------------


def exact_linear_logits(X, V, b) -> list:
    """``X V + b`` as mpf, the products and sums done exactly in integers, then rounded once to 50 digits."""
    products = precision.exact_products(X, V)
    with precision.workdps():
        bm = [mpmath.mpf(float(v)) for v in b]
        return [[z + bm[k] for k, z in enumerate(row)] for row in products]


def mp_logits(fit, X) -> list:
    """The fit's logits in 50-digit mpmath from its float parameters (exact integer products for the linear head)."""
    p = fit.params
    if fit.model == "linear":
        return exact_linear_logits(X, p["v"], p["b"] if "b" in p else np.zeros(p["v"].shape[1]))
    with precision.workdps():
        Xm = precision.to_mp(X)
        p = fit.params
        if fit.model == "mlp":
            A, c = precision.to_mp(p["A"]), [mpmath.mpf(float(v)) for v in p["c"]]
            A_cols = [list(col) for col in zip(*A)]
            H = [[mpmath.tanh(mpmath.fdot(x, A_cols[j]) + c[j]) for j in range(len(c))] for x in Xm]
        else:
            H = Xm
        V = precision.to_mp(p["v"])
        V_cols = [list(col) for col in zip(*V)]
        b = [mpmath.mpf(float(v)) for v in p["b"]] if "b" in p else [mpmath.mpf(0)] * len(V_cols)
        return [[mpmath.fdot(h, V_cols[k]) + b[k] for k in range(len(b))] for h in H]


def mp_sigmoid(z):
    return 1 / (1 + mpmath.exp(-z))


def mp_balance(outcome: Outcome) -> Balance:
    """``outcome``'s balance recomputed in 50-digit mpmath from the fit's float parameters (exact inputs)."""
    s = outcome.setting
    pb = build_problem(s)
    fit = outcome.fit
    with precision.workdps():
        Z = mp_logits(fit, pb.X)
        N, K = len(Z), len(Z[0])
        if s.identity == "I2":
            P = [precision.softmax(z) for z in Z]
        else:
            P = [[mp_sigmoid(v) for v in z] for z in Z]
        hard = pb.hard.tolist()
        labels = pb.labels.tolist()
        lhs, rhs = [], []
        for k in range(K):
            if s.identity == "I1":
                a0, a1 = (mpmath.mpf(float(v)) for v in pb.weights["alpha"])
                lhs.append(a1 * mpmath.fsum(1 - P[i][0] for i in range(N) if labels[i] == 1))
                rhs.append(a0 * mpmath.fsum(P[i][0] for i in range(N) if labels[i] == 0))
            elif s.identity == "I2":
                a = [mpmath.mpf(float(v)) for v in pb.weights["alpha"]]
                lhs.append(a[k] * mpmath.fsum(hard[i][k] for i in range(N)))
                rhs.append(mpmath.fsum(a[labels[i]] * P[i][k] for i in range(N)))
            elif s.identity == "I3":
                ap, an = mpmath.mpf(float(pb.weights["positive"][k])), mpmath.mpf(float(pb.weights["negative"][k]))
                lhs.append(ap * mpmath.fsum(1 - P[i][k] for i in range(N) if hard[i][k] == 1))
                rhs.append(an * mpmath.fsum(P[i][k] for i in range(N) if hard[i][k] != 1))
            else:
                raise ValueError(f"no mpmath balance for {s.identity}")
        predicted = [mpmath.mpf(0)] * K
        if fit.has_bias and s.bias_decay:
            predicted = [N * mpmath.mpf(s.bias_decay) * mpmath.mpf(float(b)) for b in fit.params["b"]]
        if s.smoothing:
            T = pb.targets.tolist()
            predicted = [predicted[k] + mpmath.fsum(mpmath.mpf(hard[i][k]) - mpmath.mpf(T[i][k]) for i in range(N))
                         for k in range(K)]
        return Balance(np.array(lhs, dtype=object), np.array(rhs, dtype=object), np.array(predicted, dtype=object))


def mp_relative(bal: Balance, corrected: bool) -> float:
    with precision.workdps():
        worst = mpmath.mpf(0)
        for lhs, rhs, pred in zip(bal.lhs, bal.rhs, bal.predicted):
            gap = lhs - rhs - (pred if corrected else 0)
            worst = max(worst, abs(gap) / max(abs(lhs), abs(rhs)))
        return float(worst)


def confirm_identity_violation(explained: bool):
    """A confirm callable for an identity broken by a breaker.

    Recomputes the balance in 50-digit mpmath from the fitted parameters.
    Confirmed when the recomputed residual exceeds the tolerance, the fit is
    stationary, and (``explained``) the residual equals the predicted term
    (bias penalty, label smoothing) within the tolerance.
    """

    def confirm(s: Setting) -> dict:
        out = evaluate(s)
        bal = mp_balance(out)
        residual = mp_relative(bal, corrected=False)
        corrected = mp_relative(bal, corrected=True)
        ok = residual > tol.LI_IDENTITY_RTOL and out.stationary
        if explained:
            ok = ok and corrected <= tol.LI_IDENTITY_RTOL
        return {
            "method": f"balance recomputed in mpmath ({precision.HIGH_PRECISION_DIGITS} digits) from the fitted float parameters",
            "confirmed": bool(ok),
            "relative residual": residual,
            "with predicted term": corrected,
            "predicted term": [float(v) for v in bal.predicted],
            "lhs - rhs": [float(a - b) for a, b in zip(bal.lhs, bal.rhs)],
            "fit max |grad|": out.fit.gradient_max,
            "tolerance": tol.LI_IDENTITY_RTOL,
        }

    return confirm


def confirm_violation_off_stationarity(s: Setting) -> dict:
    """G1's confirm: the balance of a fit that stopped before stationarity, recomputed in mpmath, exceeds the tolerance."""
    out = evaluate(s)
    bal = mp_balance(out)
    residual = mp_relative(bal, corrected=False)
    return {"method": f"balance recomputed in mpmath ({precision.HIGH_PRECISION_DIGITS} digits) from the fitted "
            "float parameters", "confirmed": bool(residual > tol.LI_IDENTITY_RTOL), "relative residual": residual,
            "fit max |grad|": out.fit.gradient_max, "fit max |grad_b|": out.fit.bias_gradient_max}


# --------------------------------------------------------------------------
# Class-averaged probabilities (G2, G3)
# --------------------------------------------------------------------------


def confirm_pbar_gap(fits: tuple[Outcome, Outcome], ratio_tol: float) -> dict:
    """G2's confirm: pbar_1 and pbar_0 of two I1 fits differ in mpmath, while their ratio agrees."""
    values = []
    for o in fits:
        pb = build_problem(o.setting)
        with precision.workdps():
            Z = mp_logits(o.fit, pb.X)
            p = [mp_sigmoid(z[0]) for z in Z]
            lab = pb.labels.tolist()
            p1 = mpmath.fsum(v for v, c in zip(p, lab) if c == 1) / sum(lab)
            p0 = mpmath.fsum(v for v, c in zip(p, lab) if c == 0) / (len(lab) - sum(lab))
            values.append((float(p1), float(p0), float((1 - p1) / p0)))
    gap = max(relative_gap(values[0][i], values[1][i]) for i in (0, 1))
    ratio_gap = relative_gap(values[0][2], values[1][2])
    return {"method": f"pbar_1, pbar_0 and the ratio recomputed in mpmath ({precision.HIGH_PRECISION_DIGITS} digits) "
            "from both fits' float parameters",
            "confirmed": bool(gap > tol.LI_MODEL_DEPENDENCE_RTOL and ratio_gap <= 2 * ratio_tol),
            "linear (pbar_1, pbar_0, ratio)": values[0], "mlp (pbar_1, pbar_0, ratio)": values[1],
            "pbar relative gap": gap, "ratio relative gap": ratio_gap}


def confirm_averaging(o: Outcome, k: int) -> dict:
    """G3's confirm: the row M[k, :] of an SML fit in mpmath; its largest confusion over the pooled one exceeds LI_AVERAGING_FACTOR."""
    pb = build_problem(o.setting)
    with precision.workdps():
        Z = mp_logits(o.fit, pb.X)
        pk = [precision.softmax(z)[k] for z in Z]
        lab = pb.labels.tolist()
        K = len(Z[0])
        row = [mpmath.fsum(v for v, c in zip(pk, lab) if c == j) / lab.count(j) for j in range(K)]
        pooled_mp = mpmath.fsum(v for v, c in zip(pk, lab) if c != k) / (len(lab) - lab.count(k))
        ratio = max(row[j] for j in range(K) if j != k) / pooled_mp
    return {"method": f"M[k, :] recomputed in mpmath ({precision.HIGH_PRECISION_DIGITS} digits) from the fitted float parameters",
            "confirmed": bool(ratio > tol.LI_AVERAGING_FACTOR), "max / pooled": float(ratio),
            "I2 relative residual (float)": o.balance.residual}


# --------------------------------------------------------------------------
# The CANDIDATE loss (B4, the gamma = 0 reduction)
# --------------------------------------------------------------------------


def mp_candidate(Z, Y, gamma: float):
    """The candidate in 50-digit mpmath: (mean loss, dL/dZ fully differentiable, omega) from float logits."""
    with precision.workdps():
        Zm = precision.to_mp(Z)
        N, K = len(Zm), len(Zm[0])
        g = mpmath.mpf(gamma)
        loss = mpmath.mpf(0)
        G, Om = [], []
        for i in range(N):
            z = Zm[i]
            t = int(np.argmax(Y[i]))
            p = [mp_sigmoid(v) for v in z]
            u = [mpmath.log1p(mpmath.exp(v)) for v in z]
            q = [p[k] ** g if k != t else mpmath.mpf(0) for k in range(K)]
            S = mpmath.fsum(q)
            om = [(K - 1) * q[k] / S for k in range(K)]
            ubar = mpmath.fsum(om[k] * u[k] for k in range(K) if k != t)
            loss += -mpmath.log(p[t]) + ubar
            row = []
            for k in range(K):
                if k == t:
                    row.append(-(1 - p[k]) / N)
                else:
                    row.append((om[k] * p[k] + g * om[k] * (1 - p[k]) * (u[k] - ubar / (K - 1))) / N)
            G.append(row)
            Om.append(om)
        return loss / N, G, Om


def mp_one_vs_all(Z, Y):
    """Unweighted one-vs-all LGL in 50-digit mpmath: (mean loss, dL/dZ)."""
    with precision.workdps():
        Zm, Ym = precision.to_mp(Z), Y.tolist()
        N = len(Zm)
        loss = mpmath.fsum(-Ym[i][k] * mpmath.log(mp_sigmoid(z)) - (1 - Ym[i][k]) * mpmath.log(1 - mp_sigmoid(z))
                           for i in range(N) for k, z in enumerate(Zm[i]))
        G = [[(mp_sigmoid(z) - Ym[i][k]) / N for k, z in enumerate(Zm[i])] for i in range(N)]
        return loss / N, G


def confirm_candidate(pb, m) -> dict:
    """B4's confirm: the candidate's weights and gradient in mpmath from the same logits; ``m`` is the float measurement."""
    Z, Y = pb.X @ pb.W, pb.Y
    cand = rw.get("numpy", "candidate_inr", gamma=pb.gamma)
    omega = cand.candidate_weights(Z, Y)
    _, G_mp, om_mp = mp_candidate(Z, Y, pb.gamma)
    G = cand.logit_grad(Z, Y)
    om_err = float(np.max(np.abs(omega - np.array(om_mp, dtype=float))))
    grad_err = float(np.max(np.abs(G - np.array(G_mp, dtype=float))))
    return {"method": f"candidate weights and gradient in mpmath ({precision.HIGH_PRECISION_DIGITS} digits) from the same logits",
            "confirmed": bool(m.violated and (om_err > tol.li_weight_sum_tolerance(Z.shape[1]) or grad_err > m.tolerance
                                              or m.quantity.startswith("omega not increasing"))),
            "omega error vs mpmath": om_err, "dL/dZ error vs mpmath": grad_err, "float measurement": m.quantity}


def confirm_gamma0(pb, m) -> dict:
    """The gamma = 0 reduction's confirm: the candidate and the one-vs-all LGL in mpmath; ``m`` is the float measurement."""
    Z = pb.X @ pb.W
    loss_c, G_c, _ = mp_candidate(Z, pb.Y, 0.0)
    loss_l, G_l = mp_one_vs_all(Z, pb.Y)
    gap = max(abs(float(loss_c - loss_l)), float(np.max(np.abs(np.array(G_c, dtype=float) - np.array(G_l, dtype=float)))))
    return {"method": f"both losses in mpmath ({precision.HIGH_PRECISION_DIGITS} digits)", "confirmed": bool(m.violated and gap > tol.LI_GAMMA0_RTOL),
            "exact gap": gap}


# --------------------------------------------------------------------------
# Held-out predictions (B5)
# --------------------------------------------------------------------------


def certified_accuracies(name: str, method: str, seeds: int) -> tuple[np.ndarray, int]:
    """Test accuracy of ``method`` on each of the ``seeds`` splits of ``name``, with every prediction whose top-two
    logit margin is within twice the logits' rounding bound re-decided in 50-digit mpmath; and how many were."""
    accs, checked = [], 0
    for s in range(seeds):
        run = heldout_run(name, method, s)
        fit, test = run["fit"], run["test"]
        Z = fit.logits(test.X)
        pred = Z.argmax(axis=1)
        W = np.concatenate([fit.params["v"], fit.params["b"][None, :]])
        bound = rounding.logit_error(_with_bias_column(test.X), W, np.float64) * 2
        for i in np.flatnonzero(run["margin"] <= bound):
            checked += 1
            with precision.workdps():
                zi = precision.logits(W, _with_bias_column(test.X[i : i + 1]))[0]
                pred[i] = int(max(range(len(zi)), key=lambda k: zi[k]))
        accs.append(float(np.mean(pred == test.y)))
    return np.array(accs), checked


CERTIFIED_ACCURACY_METHOD = ("test predictions whose top-two logit margin is within the logits' rounding bound "
                             f"re-decided in mpmath ({precision.HIGH_PRECISION_DIGITS} digits)")


def _with_bias_column(X):
    """``[X, 1]``, float64: the inputs of the last layer ``[v; b]`` as one weight matrix."""
    return add_bias(np.asarray(X, dtype=np.float64))

"""The folklore figures: each draws a counterexample the search found, so a reader sees why it is one.

Plot data only (no images), built with ``verify.harness.evidence.figure`` and
``series``; the report renders them. The catalog's illustrations that come
with their own measurements are in ``experiments``.
"""

from __future__ import annotations

import numpy as np

from ...harness.claims import Evidence
from ...harness.evidence import figure, series
from ...numerics import precision as hp
from .certificates import mp_ce, mp_gradient
from .formulas import F64, cross_entropy, network_loss, probs

def gradient_bars(impl, ce) -> dict:
    """F3: bars per component of the "without" counterexample: differences of CE vs p - y vs (sum y) p - y.

    A bar chart, which ``figure`` (curves only) does not build; the report draws ``kind: bar``.
    """
    y, z = np.asarray(ce["y"], F64), np.asarray(ce["z"], F64)
    with hp.workdps():
        fd = [float(g) for g in mp_gradient(lambda *zz: mp_ce(y, zz), z)]
    p = probs(impl, z)
    s = float(np.sum(y))
    labels, values = [], []
    for k in range(len(y)):
        labels += [f"z{k}: differences", f"z{k}: p - y", f"z{k}: (sum y) p - y"]
        values += [fd[k], float(p[k] - y[k]), float(s * p[k] - y[k])]
    return {"kind": "bar", "title": f"folklore.F3 counterexample (sum y = {s:g}): dCE/dz_k, differences vs formulas",
            "labels": labels, "values": values, "ylabel": "dCE/dz_k (nats per logit unit)",
            "hlines": [{"y": 0.0, "label": "0"}]}


def segment_loss(impl, ev: Evidence, title: str) -> dict | None:
    """F8, F9: the loss along the counterexample's segment (lam = 0 at B, 1 at A) against the endpoints' chord.

    The search's worst chord (between grid points lam_i < lam_k) is drawn too when it is not the whole segment.
    """
    ce = ev.counterexample
    if ce is None:
        return None
    X, Y = np.asarray(ce["X"], F64), np.asarray(ce["Y"], F64)
    A = [np.asarray(a, F64) for a in ce["A"]]
    B = [np.asarray(b, F64) for b in ce["B"]]
    t = np.linspace(0.0, 1.0, 51)
    g = np.array([network_loss(impl, X, Y, A, B, lam) for lam in t])
    curves = [series("L(B + t (A - B))", t, g), series("chord between the endpoints", t, (1 - t) * g[0] + t * g[-1])]
    lams = ev.measurements.get("counterexample", {}).get("chord lambdas (lam_i, lam_j, lam_k)")
    if lams and (lams[0], lams[2]) != (0.0, 1.0):
        li, lk = lams[0], lams[2]
        gi, gk = (network_loss(impl, X, Y, A, B, lam) for lam in (li, lk))
        tt = t[(t >= li) & (t <= lk)]
        curves.append(series(f"worst chord, t in [{li:g}, {lk:g}]", tt, gi + (tt - li) / (lk - li) * (gk - gi)))
    return figure(title, "t (0 at B, 1 at A)", "mean cross-entropy (nats)", curves, xscale="linear", yscale="linear")


def negative_class_logit(impl, ce) -> dict:
    """F15: CE and dCE/dz_k along the counterexample's worst negative-class logit z_k (the others fixed)."""
    y, z, c = np.asarray(ce["y"], F64), np.asarray(ce["z"], F64), int(ce["label"])
    p0 = probs(impl, z)
    k = max((j for j in range(len(z)) if j != c), key=lambda j: p0[j])
    others = float(np.max(np.delete(z, k)))
    lo, hi = min(z[k], others) - 5.0, max(z[k], others) + 5.0
    zk = np.linspace(lo, hi, 81)
    h = 1e-5 * max(1.0, float(np.max(np.abs(z))))

    def at(v):
        w = z.copy()
        w[k] = v
        return w

    ce_vals = [cross_entropy(impl, y, at(v)) for v in zk]
    fd = [(cross_entropy(impl, y, at(v + h)) - cross_entropy(impl, y, at(v - h))) / (2 * h) for v in zk]
    pk = [float(probs(impl, at(v))[k]) for v in zk]
    curves = [series("CE", zk, ce_vals), series(f"dCE/dz_{k} (central differences)", zk, fd),
              {**series(f"p_{k}", zk, pk), "style": "--"}]
    return {**figure(f"folklore.F15 counterexample (label c = {c}): CE and dCE/dz_{k} along negative-class z_{k}",
                     f"z_{k} (other logits fixed)", "CE (nats); dCE/dz_k (nats per logit unit)", curves,
                     xscale="linear", yscale="linear"),
            "hlines": [{"y": 0.0, "label": f"claimed dCE/dz_{k} = 0"}],
            "vlines": [{"x": float(z[k]), "label": f"counterexample z_{k} = {z[k]:g}"}]}


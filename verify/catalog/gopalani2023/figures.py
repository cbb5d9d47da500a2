"""Figures of the depth-2 experiments that are drawn by more than a line or two (plot data for the report)."""

from __future__ import annotations

import numpy as np

from impls import depth2

from ...harness.evidence import figure, series
from .formulas import unit, villani
from .problems import xor_data


def ray_figure(activations=("sigmoid", "tanh", "softplus"), lam=1e-3, s=1.0, p=6, seed=0) -> tuple[dict, dict]:
    """V-A4 (1): V_s(t U) along a random unit ray, XOR data, |a_k| = 1/sqrt(p), outer layer fixed."""
    X, y = xor_data()
    U = unit(np.random.default_rng(seed).standard_normal(X.shape[1] * p))
    ts = np.logspace(0, 5, 41)
    curves, table = [], {}
    for act in activations:
        pb = depth2.Depth2Problem(X, y, lam=lam, activation=act, a=depth2.alternating_outer_weights(p, 1.0))
        V = np.array([villani(pb, t * U, s) for t in ts])
        table[act] = {f"t={t:g}": float(villani(pb, t * U, s)) for t in (1.0, 10.0, 1e2, 1e3, 1e4)}
        table[act]["log-log slope (t=1e4..1e5)"] = float(np.log(villani(pb, 1e5 * U, s) / villani(pb, 1e4 * U, s)) / np.log(10.0))
        positive = V > 0
        curves.append(series(f"{act}: V_s(tU) (positive part)", ts[positive], V[positive]))
    curves.append(series("lambda^2 t^2 / s", ts, lam**2 * ts**2 / s))
    fig = figure(f"Villani quantity along a ray (fixed outer layer, XOR data, p={p}, lambda={lam:g}, s={s:g})",
                 "t", "V_s(t U)", curves, xscale="log", yscale="log")
    return fig, table


def relaxation_figures(ex: dict) -> list:
    t = ex["times"]
    c0 = ex["mean phi"][0]
    figs = [figure(f"Relaxation of E phi(theta_t), phi the chain's slowest mode (one-gate, lambda=0.01, s={ex['s']}, M={ex['M']})",
                   "t", "E phi(theta_t)", [series("simulated (isotropic-noise SGD)", t, np.maximum(ex["mean phi"], 1e-12)),
                                        series(f"E phi(theta_0) exp(-lambda_s t), lambda_s={ex['lambda_s']:.4g}", t,
                                               c0 * np.exp(-ex["lambda_s"] * t)),
                                        series(f"fitted rate {ex['rate']:.4g}", t, c0 * np.exp(-ex["rate"] * t))],
                   yscale="log"),
            figure("E L~(theta_t): simulated chains vs the law of the chain propagated on a grid", "t", "E L~",
                   [series("simulated", t, ex["mean f"]), series("predicted (grid)", t, ex["predicted f (law of the chain)"]),
                    series("E_mu L~", t, np.full(t.size, ex["E_mu f"]))]),
            figure("Fraction of chains in the deep basin", "t", "fraction",
                   [series("simulated", t, ex["deep fraction"]),
                    series("mu(deep) (1 - exp(-lambda_s t))", t, ex["mu(deep basin)"] * (1 - np.exp(-ex["lambda_s"] * t)))])]
    return figs


def width_figure(tables: dict) -> dict:
    """A2: beta and the measured negative curvature against the width, per activation and scaling of a."""
    curves = []
    for act, table in tables.items():
        for label, rows in table.items():
            curves.append(series(f"{act}, {label}: beta", [r["p"] for r in rows], [r["beta"] for r in rows]))
            meas = [r for r in rows if "measured_negative_curvature" in r]
            curves.append(series(f"{act}, {label}: measured -lambda_min(Hessian)", [r["p"] for r in meas],
                                 [max(r["measured_negative_curvature"], 1e-12) for r in meas]))
    return figure("Convexity thresholds vs width (XOR data, outer layer fixed)", "width p",
                  "threshold", curves, xscale="log", yscale="log")


def relaxation_to_gibbs_figure(ex: dict, stuck_loss: float | None) -> dict:
    """A3: E L~(theta_t) of the simulated chains and of the law of the chain, against E_mu L~, min L~ and plain GD's limit."""
    lines = [{"y": float(ex["E_mu f"]), "label": "E_mu L~ = min L~ + eps(s)"}, {"y": float(ex["f*"]), "label": "min L~"}]
    if stuck_loss is not None:
        lines.append({"y": stuck_loss, "label": "plain GD from a point: its limit"})
    curves = [series("simulated chains (mean)", ex["times"], ex["mean f"]),
              {**series("law of the chain (grid)", ex["times"], ex["predicted f (law of the chain)"]), "style": "--"}]
    return {**figure("gopalani2023.A3: isotropic-noise SGD started in the spurious well relaxes to the Gibbs law; "
                     "plain GD stays put",
                     "time t = k s", "E L~(theta_t)", curves), "hlines": lines}

"""The li2020 figures: plot data for the report, built from what a claim measured.

Line figures are the harness's ``figure`` and ``series``
(``verify.harness.evidence``); what those do not carry is added to their
dicts: a horizontal line at the tolerance (``hlines``) and a marker style
per curve. The matrix and bar figures (M[k, j] = pbar_{k|j}, the averaging
ratios) have no harness builder and are written here.
"""

from __future__ import annotations

import math

import numpy as np

from ...harness.evidence import figure, series
from . import tolerances as tol
from .experiments import Outcome, Setting, evaluate

FIGURE_FLOOR = 1e-18  # exact zeros drawn at this height on a log axis


def floored(values) -> list:
    return [max(float(v), FIGURE_FLOOR) for v in values]


def styled(curve: dict, style: str) -> dict:
    """A harness ``series`` drawn with a marker style (``"o"``, ``"v--"``, ...)."""
    return {**curve, "style": style}


def _tolerance_line() -> list:
    return [{"y": tol.LI_IDENTITY_RTOL, "label": f"tolerance {tol.LI_IDENTITY_RTOL:.0e}"}]


def residuals_by_regime(holding: list[Outcome], breaking: list[Outcome], names) -> dict:
    """G1: the worst I1-I3 residual per dataset, at stationarity vs each regime that breaks it (cached fits)."""
    regimes = {"stationary (L-BFGS + Newton)": holding}
    for o in breaking:
        s = o.setting
        key = s.training.description if s.training is not None else f"bias decay lambda_b = {s.bias_decay:g}"
        regimes.setdefault(key, []).append(o)
    names = list(names)
    curves = []
    for label, outs in regimes.items():
        y = [max([o.balance.residual for o in outs if o.setting.dataset == n], default=math.nan) for n in names]
        curves.append(series(label, range(len(names)), floored(y)))
    fig = figure("Identities I1-I3: worst relative residual, at stationarity vs without it",
                 "dataset (" + ", ".join(f"{i} {n}" for i, n in enumerate(names)) + "); linear head, unit weights",
                 "max over I1-I3 of the relative residual", curves, yscale="log")
    return {**fig, "hlines": _tolerance_line()}


def balance_by_class(s: Setting, what: str) -> dict:
    """Per class k of the failing instance: |lhs_k - rhs_k|, the predicted term and what is left after it, each
    relative to max(|lhs_k|, |rhs_k|) (the residual's own scale), against the tolerance (float64 fit, cached)."""
    bal = evaluate(s).balance
    scale = bal.scale
    gap = bal.lhs - bal.rhs
    ks = list(range(len(scale)))
    curves = [styled(series("|lhs_k - rhs_k| (the identity's residual)", ks, floored(np.abs(gap) / scale)), "o")]
    if np.any(bal.predicted != 0):
        term = "N lambda_b b_k" if s.bias_decay else "eps (N_k - N/K)" if s.smoothing else "predicted term"
        curves.append(styled(series(f"|{term}| (predicted)", ks, floored(np.abs(bal.predicted) / scale)), "x"))
        curves.append(styled(series(f"|lhs_k - rhs_k - {term}|", ks, floored(np.abs(gap - bal.predicted) / scale)), "s"))
    fig = figure(f"{what}: failing instance {s.label()}", "class k (I1: the single bias)",
                 "relative to max(|lhs_k|, |rhs_k|)", curves, yscale="log")
    return {**fig, "hlines": _tolerance_line()}


def reweighting_effects(lgl_rows: list[dict], by_t: dict) -> list[dict]:
    """B2: the binary LGL ratio against its prediction (breast_cancer), and SML's pooled ratio and pbar_kk on
    imbalanced wine against the weight of another class, for the linear head and the MLP."""
    lin = [r for r in lgl_rows if r["model"] == "linear" and r["dataset"] == "breast_cancer"]
    mlp = [r for r in lgl_rows if r["model"] == "mlp" and r["dataset"] == "breast_cancer"]
    ts = sorted(by_t)
    return [
        figure("Binary LGL, breast_cancer: the ratio is fixed by the weights (deterministic)",
               "alpha_0 N_0 / (alpha_1 N_1)", "(1 - pbar_1) / pbar_0",
               [series("linear", [r["predicted"] for r in lin], [r["ratio"] for r in lin]),
                styled(series("MLP-8", [r["predicted"] for r in mlp], [r["ratio"] for r in mlp]), "o"),
                series("identity line", [r["predicted"] for r in lin], [r["predicted"] for r in lin])],
               xscale="log", yscale="log"),
        figure("SML, imbalanced wine (N = 59, 71, 8), class k = 2: the pooled ratio moves with the model",
               "alpha_1 (alpha_0 = alpha_2 = 1)", "(1 - pbar_kk) / pbar_k|not k",
               [series("linear", ts, [by_t[t]["linear"]["pooled ratio"] for t in ts]),
                series("MLP-8", ts, [by_t[t]["mlp"]["pooled ratio"] for t in ts]),
                series("binary-style prediction", ts, [by_t[t]["linear"]["binary-style prediction"] for t in ts])],
               xscale="log"),
        figure("SML, imbalanced wine: pbar_kk against the weight of another class", "alpha_1", "pbar_{k|k}",
               [series(m, ts, [by_t[t][m]["pbar_kk"] for t in ts]) for m in ("linear", "mlp")], xscale="log"),
    ]


def pbar_by_model(ratios, pbar_1: dict) -> dict:
    """G2: pbar_1 of each model against alpha_1 / alpha_0 on breast_cancer."""
    return figure("Binary LGL, breast_cancer: pbar_1 moves with the model while the ratio does not",
                  "alpha_1 / alpha_0", "pbar_1", [series(m, ratios, y) for m, y in pbar_1.items()], xscale="log")


def confusion_matrix(M: np.ndarray, title: str) -> dict:
    K = M.shape[0]
    return {"kind": "matrix", "title": title, "rows": M.tolist(),
            "row_labels": [f"p_{k}" for k in range(K)], "col_labels": [f"class {j}" for j in range(K)]}


def averaging_ratios(table: list[dict], name: str) -> dict:
    """B3: per class k, the largest confusion over the pooled one, as bars."""
    return {"kind": "bar", "title": f"One-vs-all LGL on {name}: max_j pbar_(k|j) / pooled pbar_(k|not k)",
            "labels": [str(r["k"]) for r in table], "values": [r["max / pooled"] for r in table],
            "ylabel": "max / pooled"}


def averaging_lgl_vs_sml(name: str, tables: dict) -> dict:
    """G3: the averaging ratio per class of one-vs-all LGL and SML on one dataset."""
    return figure(f"{name}: max_j pbar_(k|j) / pooled, one-vs-all LGL vs SML", "class k", "max / pooled",
                  [series(label, range(len(rows)), [r["max / pooled"] for r in rows]) for label, rows in tables.items()])


def omega_changes(runs: dict) -> dict:
    """G5: ``max |omega_(t+1) - omega_t|`` per refit of each reweight / refit run."""
    return figure("Stop-gradient candidate: max |omega_(t+1) - omega_t| per refit", "refit", "change of omega",
                  [series(k, range(1, len(r.changes) + 1), [max(c, 1e-17) for c in r.changes])
                   for k, r in runs.items() if r.changes], yscale="log")


def paired_difference(by: dict, seeds: int, k: float, interval: str = "SE") -> dict:
    """B5: the candidate - LGL held-out accuracy difference per dataset, with +-k ``by[n]["se"]`` (``interval`` says which)."""
    names = list(by)
    x = list(range(len(names)))
    fig = figure(f"Held-out accuracy, candidate (gamma 1) - LGL, paired over {seeds} splits (+-{k:.3g} {interval})",
                 "dataset (" + ", ".join(f"{i} {n}" for i, n in enumerate(names)) + ")", "accuracy difference",
                 [styled(series("candidate - LGL (mean)", x, [by[n]["mean"] for n in names]), "o"),
                  styled(series(f"mean - {k:.3g} SE", x, [by[n]["mean"] - k * by[n]["se"] for n in names]), "v--"),
                  styled(series(f"mean + {k:.3g} SE", x, [by[n]["mean"] + k * by[n]["se"] for n in names]), "^--")])
    return {**fig, "hlines": [{"y": 0.0, "label": "no difference"}]}


def heldout_accuracy(table: dict, methods) -> dict:
    """The held-out comparison: mean accuracy over the splits per dataset and method."""
    names = list(table)
    return figure("Held-out accuracy (linear head, mean over splits)",
                  "dataset (0 iris, 1 wine, 2 breast_cancer, 3 digits)", "accuracy",
                  [series(m, range(len(names)), [table[n]["accuracy"][m]["mean"] for n in names]) for m in methods])

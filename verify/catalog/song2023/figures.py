"""The figures of the ResNet-softmax claims: plot data for the report, built from a claim's results.

Line figures go through ``verify.harness.evidence.figure`` and ``series``;
bar charts (``"kind": "bar"``) are written out, since the harness has no
builder for them. Each figure is drawn at the claim's counterexample or
from the claim's experiment, so the picture shows what the verdict rests on.
"""

from __future__ import annotations

import math

import numpy as np

from ...harness.evidence import figure, series
from .experiments import NewtonExample, extremal_alpha, one_step
from .formulas import (
    EPS0_FOR_04,
    beta_star,
    critical_radius,
    derived_curvature_bound,
    lambda_min,
    lemma_factor,
    spectral_norm,
    sqrt_psd,
)


def f_entries_figure(rs, cex: dict) -> dict:
    """Bar chart of f(x) = u / alpha at the shrunk counterexample, against [0, 1]."""
    x, A = np.array(cex["x"], dtype=np.float64), np.array(cex["A"], dtype=np.float64)
    f = np.asarray(rs.f(x, A), dtype=np.float64)
    alpha = float(rs.alpha(x, A))
    return {"kind": "bar",
            "title": f"f(x) at the counterexample (n = {A.shape[0]}, d = {A.shape[1]}, alpha = {alpha:.3g}): "
                     f"sum f_i = {float(f.sum()):.6g}, min {float(f.min()):.3g}, max {float(f.max()):.3g}",
            "labels": [f"f_{i + 1}" for i in range(len(f))], "values": f.tolist(), "ylabel": "f_i(x)",
            "hlines": [{"y": 0.0, "label": "0"}, {"y": 1.0, "label": "1"}]}


def hessian_spectrum_figure(rs, cex: dict) -> dict:
    """Sorted eigenvalues of the unregularised Hessian at the shrunk counterexample (bar chart, zero line).

    The title adds lambda_min with the derived regulariser w_i^2 = C_D(n, R, beta*) + l / sigma_min(A)^2 (l = 1,
    R = max(||A||, ||x||)) when R < R*(n), for contrast (its eigenvalues are ~C_D and would hide the negative bar).
    """
    x, A, b = (np.array(cex[k], dtype=np.float64) for k in ("x", "A", "b"))
    n, d = A.shape
    eig = np.sort(np.linalg.eigvalsh(np.asarray(rs.hessian(x, A, b), dtype=np.float64)))
    title = f"Hess L_exp at the counterexample (n = {n}, d = {d}): lambda_min = {eig[0]:.4g}"
    R = max(spectral_norm(A), float(np.linalg.norm(x)))
    sigma_min = float(np.linalg.svd(A, compute_uv=False)[-1])
    if R < critical_radius(n) and sigma_min > 0:
        w2 = derived_curvature_bound(n, R, beta_star(n, R)) + 1.0 / sigma_min**2
        H_reg = np.asarray(rs.hessian(x, A, b, np.full(n, math.sqrt(w2))), dtype=np.float64)
        title += f"; with w_i^2 = C_D + 1/sigma_min^2 = {w2:.3g}: lambda_min = {lambda_min(H_reg):.4g}"
    else:
        title += f"\n(derived regulariser undefined here: R = {R:.3g} >= R*({n}) = {critical_radius(n):.3g})"
    return {"kind": "bar", "title": title, "labels": [f"lambda_{i + 1}" for i in range(d)], "values": eig.tolist(),
            "ylabel": "eigenvalue of Hess L (no regulariser)", "hlines": [{"y": 0.0, "label": "0 (PSD boundary)"}]}


def hessian_blow_up_figure(path: list) -> dict:
    """||Hess L_exp|| against alpha along C6's blow-up path (``experiments.blow_up_path``), log-log."""
    return figure("Hessian blow-up as alpha -> 0 (A = I_2, b = e_1, x_2 = -0.3)", "alpha(x)", "||Hess L_exp(x)||",
                  [series("||Hess L_exp||", [r["alpha"] for r in path], [r["||Hess L_exp||"] for r in path])],
                  xscale="log", yscale="log")


def extremal_crossing_figure() -> dict:
    """alpha along C10's extremal direction for three (n, R) beyond R*(n): it crosses 0 inside the ball."""
    curves = []
    for n, R in [(2, 0.9), (4, 1.1), (16, 1.6)]:
        ts = np.linspace(0.0, 1.0, 101)
        curves.append(series(f"n = {n}, R = {R} (R* = {critical_radius(n):.4f})", ts, [extremal_alpha(n, R, t) for t in ts]))
    return figure("alpha along the extremal direction x = -t R e_1, A = (R / sqrt n) 1 e_1^T", "t", "alpha", curves)


def newton_distances_figure(exp: dict) -> dict:
    """||x_t - x*|| per step for a few runs of ``experiments.newton_experiment``: catalog runs with eps0 <= 0.0889,
    the first large run and the first run with eps0 above it."""
    catalog_runs = [r for r in exp["runs"] if r["eps0"] <= EPS0_FOR_04]
    curves = []
    for r in catalog_runs[:: max(1, len(catalog_runs) // 4)] + exp["large_runs"][:1] + [r for r in exp["runs"] if r["eps0"] > EPS0_FOR_04][:1]:
        ds = [(t, s.distance) for t, s in enumerate(r["run"].steps) if s.distance and s.distance > 0]
        curves.append(series(f"{r['kind']}, eps0 = {r['eps0']}, start {r['start']}", [t for t, _ in ds], [v for _, v in ds]))
    return figure("Approximate Newton: distance to x* per step", "step t", "||x_t - x*||", curves, yscale="log")


def sparsifier_deviations_figure(order, eps0: float) -> dict:
    """C8's sorted per-trial deviations max |lambda(A^T D~ A, A^T D A) - 1| against eps0."""
    return figure("Sparsifier: max |lambda(A^T D~ A, A^T D A) - 1| per trial (sorted)", "trial (sorted)", "deviation",
                  [series("max |lambda - 1|", range(len(order)), order), series("eps0", [0, len(order) - 1], [eps0, eps0])])


def contraction_figure(ex: NewtonExample, cex: dict) -> dict:
    """One step with the counterexample's E from x* + r v, r from r0 down to 1e-5 r0: r_(t+1) / r_t in the 2-norm and
    in H(x_t)'s norm, with v the worst direction of the r -> 0 step map S^-1 E (I + E)^-1 S (S = H(x*)^1/2)."""
    E = np.array(cex["E"], dtype=np.float64)
    eps0 = spectral_norm(E)
    d = E.shape[0]
    S, S_inv, _ = sqrt_psd(ex.H_star)
    T = S_inv @ E @ np.linalg.inv(np.eye(d) + E) @ S
    v = np.linalg.svd(T)[2][0]
    rs_, two, local, lemma = [], [], [], []
    for k in np.linspace(0.0, 5.0, 41):
        step = one_step(ex, ex.x_star + 10.0 ** -k * ex.r0 * v, E)
        rs_.append(step["r0"])
        two.append(step["r1"] / step["r0"])
        local.append(step["h1"] / step["h0"])
        lemma.append(lemma_factor(eps0, step["r0"], ex.M, ex.l) if ex.M * step["r0"] < ex.l else math.nan)
    title = (f"One approximate Newton step with the counterexample's E (||E|| = eps0 = {eps0:.3g}, "
             f"cond H(x*) = {float(np.linalg.cond(ex.H_star)):.3g});\n2-norm limit ||S^-1 E (I + E)^-1 S|| = "
             f"{spectral_norm(T):.4g} > 2 eps0 = {2 * eps0:.4g}")
    curves = [series("2-norm ||e_(t+1)|| / ||e_t||", rs_, two),
              series("local norm ||H(x_t)^1/2 e_(t+1)|| / ||H(x_t)^1/2 e_t||", rs_, local),
              series("lemma factor 2 (eps0 + M r_t / (l - M r_t))", rs_, lemma)]
    # The harness's figure() has no reference lines: the 2 eps0 line is added to its spec.
    return {**figure(title, "r_t = ||x_t - x*||_2", "contraction r_(t+1) / r_t", curves, xscale="log"),
            "hlines": [{"y": 2 * eps0, "label": "2 eps0 (the lemma's bound as r_t -> 0)"}]}

"""Claims of Gopalani, Jha and Mukherjee on SGD for regularized depth-2 nets (catalog ``claims/gopalani2023.md``).

The paper (arXiv 2309.09258, TMLR 2024) proves that SGD converges to the
global minima of the Frobenius-regularized logistic risk of depth-2 nets by
showing that the loss is a *Villani function* and building on Shi, Su and
Jordan's analysis of the SDE ``d theta = -grad f dt + sqrt(s) dB``. The
statements of A1..A6 are paraphrased from the abstract and rebuilt ([R])
from that framework; D1..D5 are facts derived for the catalog ([D]); F1..F8
are the catalog's flags. Every claim is checked on the depth-2 family
(``impls.depth2``), through its reference implementation ``numpy``.

Conventions (``impls/depth2/_protocol.py``): ``W`` is (d, p), the paper's
``W^T``; ``theta`` is ``W.ravel()`` then ``a`` when the outer layer is
trained; the loss is the mean logistic loss plus ``(lam/2)||theta||^2``. The
Villani quantity is ``V_s(theta) = ||grad L~||^2 / s - Laplacian L~``.

How the evidence is made. Search claims draw problems and rays
(:mod:`~verify.catalog.gopalani2023.problems`) and measure each
(:mod:`~verify.catalog.gopalani2023.measures`) against the closed-form
bounds of the catalog and the float rounding
(:mod:`~verify.catalog.gopalani2023.formulas`); refutations (the second
halves of the holds-under claims) are shrunk by Hypothesis and re-checked in
50-digit mpmath, from the definitions and independently of ``impls.depth2``
(:mod:`~verify.catalog.gopalani2023.certificates`). Experiment claims run
Monte-Carlo chains, spectra on grids and multistart optimization
(:mod:`~verify.catalog.gopalani2023.experiments`, on the one-gate landscapes
of :mod:`~verify.catalog.gopalani2023.landscapes` and the samplers and grids
of :mod:`~verify.catalog.gopalani2023.sgd` and
:mod:`~verify.catalog.gopalani2023.gibbs`); they share their expensive runs
through per-process caches, so that the whole catalog fits the CI budget;
the ``thorough`` profile runs longer and wider versions.

The evidence itself comes from the harness's builders
(:mod:`verify.harness.evidence`): ``searched`` / ``search_evidence`` for a
search, ``experiment_evidence`` for named checks, ``holds_under`` for the two
halves of a holds-under claim and ``all_parts_hold`` for a claim checked in
parts. F2, an existence claim, goes through :func:`witness_evidence`, an
adapter over ``search_evidence``.
"""

from __future__ import annotations

import math

import numpy as np
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from impls import depth2

from ...harness.claims import ERROR, HOLDS, REFUTED, SKIPPED, CheckContext, Evidence
from ...harness.evidence import (all_parts_hold, experiment_evidence, figure, holds_under, search_evidence, searched,
                                 series)
from ...harness.search import search
from .. import datasets
from ..sources import claim
from . import gibbs
from . import tolerances as tol
from .certificates import confirm_beta_growth, confirm_gd_stuck, confirm_trained_villani, confirm_two_minima
from .experiments import (CURVATURE_WIDTHS, MULTISTART_LAMBDAS, MULTISTART_TASKS, WIDTHS, bistable_experiment,
                          discrete_chain_bias_table, floor_experiment, gap_against_eyring_kramers, initial_laws_experiment,
                          minibatch_experiment, multistart, width_table)
from .figures import ray_figure, relaxation_figures, relaxation_to_gibbs_figure, width_figure
from .formulas import critical_lambda, data_bounds, hessian_bound, negative_curvature_bound, objective, villani
from .landscapes import GD_STEPS_BUDGET, ONE_GATE_GRID, bistable_range, gd_limit, gd_step, one_gate, wells
from .measures import (beta_growth_measure, d1_measure, d2_measure, d3_measure, d3_sufficient_measure, f1_measure,
                       f2_measure, f3_measure, gd_excess_measure, trained_villani_measure, villani_ray_measure)
from .problems import (ONE_GATE, RayExample, WidthExample, above_sufficient_threshold, balanced_trained_rays,
                       data_loss_points, depth2_problem_to_dict, f3_examples, finite_floats, fixed_outer_rays,
                       one_gate_problem, one_gate_problems, point_to_dict, ray_to_dict, trained_outer_rays, xor_data)

SRC = "gopalani2023"


def _skipped_without_sklearn() -> Evidence:
    return Evidence(SKIPPED, summary=datasets.INSTALL_HINT)


def settings_with_examples(ctx: CheckContext, minimum: int, factor: int = 1):
    """The profile's Hypothesis settings with ``factor`` times its examples, and at least ``minimum``."""
    base = ctx.settings if ctx.settings is not None else hsettings()
    return hsettings(base, max_examples=max(factor * base.max_examples, minimum))


# --------------------------------------------------------------------------
# A: the claims of the paper
# --------------------------------------------------------------------------

# budget: A1's refutation (trained outer layer) lives on a thin set of rays (no inner-weight component, an
# output that stays 0): its search gets twice the profile's examples and at least 80 (measured: no miss in 30
# unseeded runs at 80 examples, 7 misses at 40).
THIN_SET_EXAMPLES_BUDGET = 80


@claim("gopalani2023.A1")
def villani_above_threshold(ctx: CheckContext) -> Evidence:
    under = searched(ctx, fixed_outer_rays(), villani_ray_measure,
                     what="outer layer fixed: |V_s(tU) s/(lam t)^2 - 1| within the bound of gopalani2023.D1 "
                          "along random rays",
                     to_dict=ray_to_dict)
    without = search_evidence(search(trained_outer_rays(), trained_villani_measure,
                                     settings=settings_with_examples(ctx, THIN_SET_EXAMPLES_BUDGET, factor=2)),
                              what="outer layer trained: V_s(tU) -> +infinity along every ray",
                              to_dict=ray_to_dict, confirm=confirm_trained_villani)
    fig, table = ray_figure()
    under.figures.append(fig)
    under.measurements["V_s along a ray (XOR data, outer layer fixed)"] = table
    return holds_under("V_s(tU) -> +infinity along every ray", under, without, "outer layer fixed")


# ---- A2: width independence ------------------------------------------------------------------------------


@claim("gopalani2023.A2")
def width_independent_threshold(ctx: CheckContext) -> Evidence:
    widths = WIDTHS if ctx.thorough else WIDTHS[:8]
    curvature_widths = CURVATURE_WIDTHS if ctx.thorough else CURVATURE_WIDTHS[:5]
    tables = {act: width_table(act, widths, curvature_widths) for act in ("sigmoid", "tanh")}
    X, y = xor_data()
    # Under the hypothesis: beta bounded uniformly in p; the measured curvature within the sharper bound;
    # and L~ Villani at lambda = 1e-3 at every width (the D1 ray test along random rays).
    rng = np.random.default_rng(1)
    ray_failures, ray_examples = [], 0
    for act in ("sigmoid", "tanh"):
        for p in widths:
            pb = depth2.Depth2Problem(X, y, lam=1e-3, activation=act, a=depth2.alternating_outer_weights(p, 1.0))
            for _ in range(3):
                m = villani_ray_measure(RayExample(pb, rng.standard_normal(pb.dim), 1.0, {}))
                ray_examples += 1
                if m.violated:
                    ray_failures.append({"activation": act, "p": p, **m.details})
    under_checks = {}
    for act, table in tables.items():
        _, B1, B2 = depth2.BOUNDS[act]
        uniform = 2.0 * (0.25 * B1**2 + B2)  # mean||x||^2 = 2, ||a||_2 = 1, ||a||_inf <= 1
        rows = table["a_k = +-1/sqrt(p)"]
        under_checks[f"{act}: beta(p) <= {uniform:.4g} for every p"] = all(r["beta"] <= uniform * (1 + 1e-12) for r in rows)
        for label, rws in table.items():
            under_checks[f"{act}, {label}: measured curvature <= the ||a||_inf bound"] = all(
                r["measured_negative_curvature"] <= r["negative_curvature_bound"] * (1 + 1e-9) + 1e-12
                for r in rws if "measured_negative_curvature" in r)
    under_checks["V_s -> infinity (the ray test of gopalani2023.D1) at lambda = 1e-3 at every width"] = not ray_failures
    under = experiment_evidence("a_k = +-1/sqrt(p): beta(p) bounded, curvature within the ||a||_inf bound, Villani at "
                                "every width", under_checks, examples=ray_examples,
                                measurements={"ray failures": ray_failures[:3], "thresholds per width": tables},
                                figures=[width_figure(tables)])
    # Without it (a_k = +-1): search the widths for one where the reconstructed threshold exceeds its p = 1 value.
    strategy = st.builds(WidthExample, st.sampled_from(("sigmoid", "tanh")), st.integers(1, 512))
    without = searched(ctx, strategy, beta_growth_measure, what="a_k = +-1: beta(p) <= beta(1) for every width",
                       to_dict=lambda ex: {"activation": ex.activation, "p": ex.p}, confirm=confirm_beta_growth)
    return holds_under("the reconstructed threshold beta does not grow with the width", under, without,
                       "||a||_2 bounded in p",
                       notes=["the measured negative curvature stays below ||a||_inf B2 ||X^T X/n||, which does not grow "
                              "with p under either scaling: the width dependence is that of the ||a||_2-based bound beta, "
                              "not of the landscape's convexity threshold"])


# ---- A3 ---------------------------------------------------------------------------------------------------------


@claim("gopalani2023.A3")
def sgd_global_convergence(ctx: CheckContext) -> Evidence:
    ex = bistable_experiment(ctx.thorough)
    T = float(ex["times"][-1])
    # (i) the simulated chains follow the law of the chain, propagated exactly on a grid, at every recorded t
    gap = np.abs(ex["mean f"] - ex["predicted f (law of the chain)"])
    allowed_t = tol.DEPTH2_MC_SIGMAS_SIMULTANEOUS * ex["se f"] + ex["prediction grid error"]
    follows = bool(np.all(gap <= allowed_t))
    # (ii) that law converges to mu_s: at T its E L~ is within D(s) exp(-lambda_s T) + |E_pi f - E_mu f| of E_mu L~
    final = float(ex["predicted f (law of the chain)"][-1])
    residual = ex["D(s)"] * math.exp(-ex["lambda_s"] * T)
    em_bias = abs(ex["E_pi f (discrete chain)"] - ex["E_mu f"])
    converges = abs(final - ex["E_mu f"]) <= residual + em_bias
    checks = {f"simulated E L~(theta_t) = law of the chain within {tol.DEPTH2_MC_SIGMAS_SIMULTANEOUS:g} SE at every t": follows,
              "the law's E L~ at T within D(s) exp(-lambda_s T) + |E_pi f - E_mu f| of E_mu L~": converges}
    under = experiment_evidence(
        f"isotropic-noise SGD from a Gaussian law in the spurious well follows the law of the chain (largest gap "
        f"{float(np.max(gap / allowed_t)):.2f} of its allowance) and E L~ -> {final:.5f} at t={T:.0f} vs E_mu L~ = "
        f"{ex['E_mu f']:.5f} = min L~ + eps(s), eps(s) = {ex['E_mu f'] - ex['f*']:.4f}", checks, examples=ex["M"],
        measurements={k: ex[k] for k in ("s", "M", "steps", "E_mu f", "f*", "E_pi f (discrete chain)", "chi2(rho0||mu)",
                                         "D(s)", "lambda_s")} |
        {"E L~(theta_T) simulated": float(ex["mean f"][-1]), "SE": float(ex["se f"][-1]),
         "E L~(theta_T) law of the chain": final, "eps(s) = E_mu f - f*": ex["E_mu f"] - ex["f*"]})
    land = one_gate(0.01)
    pb, glob = land["problem"], land["global"]
    without = searched(ctx, finite_floats(-6.0, 6.0), gd_excess_measure(pb, glob.value, gd_step(0.01)),
                       what="plain GD from a point reaches the global minimum",
                       to_dict=lambda w0: {"w0": w0, "problem": "one-gate example (tanh, a = 1.5, d = 1), lambda = 0.01"},
                       confirm=confirm_gd_stuck(pb, glob.w))
    stuck = (without.measurements.get("counterexample") or {}).get("GD limit")
    stuck_loss = None if stuck is None else float(objective().loss(np.array([stuck]), pb))
    return holds_under("SGD reaches the global minimum of L~", under, without,
                       "convergence in law, isotropic noise, chi^2 initial law",
                       figures=[relaxation_to_gibbs_figure(ex, stuck_loss)])


# ---- A4 -------------------------------------------------------------------------------------------------------------


@claim("gopalani2023.A4")
def exponential_convergence(ctx: CheckContext) -> Evidence:
    ex = bistable_experiment(ctx.thorough)
    lam_s = ex["lambda_s"]
    mc = tol.DEPTH2_MC_SIGMAS * ex["rate bootstrap sd"]
    discretization = abs(ex["lambda_EM"] - lam_s)
    allowed = mc + discretization + ex["lambda_s grid error"]
    rate_ok = abs(ex["rate"] - lam_s) <= allowed
    powerful = allowed <= tol.DEPTH2_RELAXATION_RTOL * lam_s
    # the bound at every recorded time, with the Monte-Carlo error and the discrete chain's stationary bias
    excess = ex["mean f"] - ex["f*"]
    bound = (ex["E_mu f"] - ex["f*"]) + ex["D(s)"] * np.exp(-lam_s * ex["times"])
    slack = tol.DEPTH2_MC_SIGMAS * ex["se f"] + abs(ex["E_pi f (discrete chain)"] - ex["E_mu f"])
    bound_ok = bool(np.all(excess <= bound + slack))
    # SoftPlus: the gap of a one-gate SoftPlus problem is positive, and V_s grows like lambda^2 t^2/s along rays
    sp = one_gate(0.01, "softplus")
    sp_gap = gibbs.spectral_gap(sp["potential"]["f"], 0.05, ONE_GATE_GRID.spacing)
    soft = search(fixed_outer_rays(activations=("softplus",)), villani_ray_measure, settings=ctx.settings)
    checks = {
        f"fitted rate within {allowed:.2e} of lambda_s (3 SE + |lambda_EM - lambda_s| + grid error)": rate_ok,
        f"that allowance is within {tol.DEPTH2_RELAXATION_RTOL:.0%} of lambda_s": powerful,
        "E L~ - min L~ <= eps(s) + D(s) exp(-lambda_s t) at every recorded t": bound_ok,
        "SoftPlus one-gate: lambda_s > 0": sp_gap > 0,
        "SoftPlus: V_s(tU) s/(lam t)^2 -> 1 within the bound of gopalani2023.D1 on every drawn ray": not soft.found,
    }
    ev = experiment_evidence(
        f"relaxation rate {ex['rate']:.4g} vs lambda_s {lam_s:.4g} ({(ex['rate'] / lam_s - 1):+.1%}; discrete chain "
        f"{ex['lambda_EM']:.4g}), bound holds at all times, SoftPlus gap {sp_gap:.3g} > 0", checks,
        examples=ex["M"] + soft.examples,
        measurements={"lambda_s": lam_s, "fitted rate": ex["rate"], "bootstrap SD": ex["rate bootstrap sd"],
                      "lambda_EM (discrete chain dt = s)": ex["lambda_EM"], "grid error": ex["lambda_s grid error"],
                      "s": ex["s"], "M": ex["M"], "steps": ex["steps"], "D(s)": ex["D(s)"], "chi2(rho0||mu)": ex["chi2(rho0||mu)"],
                      "SoftPlus one-gate gap (s=0.05)": sp_gap},
        figures=relaxation_figures(ex) + [figure("E L~(theta_t) - min L~ against the bound", "t", "excess loss",
                                                 [series("simulated", ex["times"], excess),
                                                  series("eps(s) + D(s) exp(-lambda_s t)", ex["times"], bound)], yscale="log")])
    # the rate is the experiment's sharpest comparison: shown as its worst error
    ev.quantity, ev.worst_error, ev.tolerance = "|fitted rate - lambda_s|", abs(ex["rate"] - lam_s), allowed
    return ev


# ---- A5 -------------------------------------------------------------------------------------------------------------


@claim("gopalani2023.A5")
def no_width_or_data_assumption(ctx: CheckContext) -> Evidence:
    strategy = fixed_outer_rays(max_n=5, max_d=3, max_p=32, x_scale=(-3.0, 3.0), duplicates=True)
    drawn = searched(ctx, strategy, villani_ray_measure,
                     what="any width (p <= 32), any data (scales 1e-3..1e3, conflicting duplicates): "
                          "the ray bound of gopalani2023.D1",
                     to_dict=ray_to_dict)
    if not datasets.available():
        return drawn
    rng = np.random.default_rng(2)
    real = {}
    for name, p, A in MULTISTART_TASKS:
        X, y = datasets.binary_task(name)
        pb = depth2.Depth2Problem(X, y, lam=1e-4, activation="sigmoid", a=depth2.alternating_outer_weights(p, A))
        m = villani_ray_measure(RayExample(pb, rng.standard_normal(pb.dim), 0.1, {}))
        real[name] = {"violated": m.violated, **m.details}
    on_real_data = experiment_evidence("real data (lambda=1e-4, s=0.1, the nets of the gopalani2023.A6 multistart): "
                                       "the ray bound of gopalani2023.D1",
                                       {f"{name}: V_s within the ray bound of gopalani2023.D1": not r["violated"]
                                        for name, r in real.items()},
                                       examples=len(real), measurements={"rays": real})
    return all_parts_hold("no width or data assumption", {"drawn problems": drawn, "real data": on_real_data})


# ---- A6: multistart on real data -----------------------------------------------------------------------------------


@claim("gopalani2023.A6")
def multistart_real_data(ctx: CheckContext) -> Evidence:
    if not datasets.available():
        return _skipped_without_sklearn()
    starts = {"iris": 20 if ctx.thorough else 10, "breast_cancer": 20 if ctx.thorough else 6}
    lambdas = MULTISTART_LAMBDAS + ((1.0,) if ctx.thorough else ())
    grid = {"iris": lambdas, "breast_cancer": lambdas}
    table, checks, curves = {}, {}, []
    for name, p, A in MULTISTART_TASKS:
        lambdas = grid[name]
        runs = [multistart(name, p, A, lam, starts[name]) for lam in lambdas]
        table[name] = runs
        counts = {r["lambda"]: len(r["distinct"]) for r in runs}
        threshold = min((lam for lam in lambdas if all(counts[m] == 1 for m in lambdas if m >= lam)), default=None)
        checks[f"{name}: several distinct minima at lambda = 1e-4 ({counts[1e-4]})"] = counts[1e-4] >= 2
        checks[f"{name}: one minimum for every lambda >= 1e-2"] = all(counts[lam] == 1 for lam in lambdas if lam >= 1e-2)
        checks[f"{name}: every start certified"] = all(r["certified"] == r["starts"] for r in runs)
        table[name + " summary"] = {"distinct minima per lambda": counts, "empirical threshold": threshold,
                                    "beta (data-averaged)": runs[0]["beta"], "beta (worst case)": runs[0]["beta worst (B_x^2)"],
                                    "beta / empirical threshold": None if threshold is None else runs[0]["beta"] / threshold}
        xs = [r["lambda"] for r in runs for _ in r["values"]]
        curves.append(series(f"{name}: end values of {starts[name]} starts", xs, [v for r in runs for v in r["values"]]))
    return experiment_evidence("distinct minima at lambda=1e-4, one from 1e-2 on: " +
                               "; ".join(f"{n} {table[n + ' summary']['distinct minima per lambda']}" for n, _, _ in MULTISTART_TASKS),
                               checks, examples=sum(starts[n] * len(grid[n]) for n, _, _ in MULTISTART_TASKS),
                               measurements=table,
                               figures=[figure("Multistart L-BFGS: local-minimum values vs lambda (sigmoid, outer layer fixed)",
                                               "lambda", "L~ at the end point", curves, xscale="log")])


# --------------------------------------------------------------------------
# D: facts derived for the catalog
# --------------------------------------------------------------------------


@claim("gopalani2023.D1")
def bounded_gradient_and_laplacian(ctx: CheckContext) -> Evidence:
    return searched(ctx, data_loss_points(), d1_measure,
                    what="||grad L|| <= G and |Laplacian L| <= Lambda at points up to |theta| = 1e4", to_dict=point_to_dict)


@claim("gopalani2023.D2")
def strong_convexity_threshold(ctx: CheckContext) -> Evidence:
    bounds = searched(ctx, data_loss_points(max_p=3), d2_measure,
                      what="||Hessian||_op <= beta and lambda_min >= -||a||_inf B2 ||X^T X/n|| at points up to |theta| = 1e4",
                      to_dict=point_to_dict)
    # The one-gate example: its true convexity threshold, and Bakry-Emery on the grid.
    land0 = one_gate(0.0)
    curv = land0["potential"]["fsecond"]
    kappa = -float(curv.min())
    pb0 = land0["problem"]
    be = []
    for lam in (0.2, 1.0, 3.0):
        pot = one_gate(lam)["potential"]
        for s in (1.0, 0.3, 0.1, 0.03):
            gap = gibbs.spectral_gap(pot["f"], s, ONE_GATE_GRID.spacing)
            ok = gap >= (lam - kappa) * (1 - tol.DEPTH2_BAKRY_EMERY_RTOL)
            be.append({"lambda": lam, "s": s, "lambda_s": gap, "lambda - kappa": lam - kappa, "ok": ok})
    one_gate_example = experiment_evidence(
        f"one-gate: kappa = {kappa:.4f} <= beta = {hessian_bound(pb0):.3f}, lambda_s >= lambda - kappa on the grid",
        {f"Bakry-Emery: lambda_s >= (lambda - kappa)(1 - {tol.DEPTH2_BAKRY_EMERY_RTOL:g}) at every (lambda, s) on the one-gate grid":
         all(r["ok"] for r in be)},
        examples=len(be), measurements={"one-gate example": {
            "sup |L''| (lambda = 0)": float(np.abs(curv).max()), "min L'' (lambda = 0)": -kappa,
            "beta (data-averaged)": hessian_bound(pb0), "beta (worst case B_x^2)": data_bounds(pb0.X)["B_x"] ** 2 *
            (0.25 * ONE_GATE["a"] ** 2 * depth2.BOUNDS["tanh"][1] ** 2 + ONE_GATE["a"] * depth2.BOUNDS["tanh"][2]),
            "negative-curvature bound": negative_curvature_bound(pb0), "Bakry-Emery lambda_s >= lambda - kappa": be}})
    tables = width_table("sigmoid", WIDTHS[:8], ())
    return all_parts_hold("strong convexity above beta", {"bounds at drawn points": bounds, "one-gate example": one_gate_example},
                          measurements={"beta per width": tables},
                          figures=[figure("beta vs width (XOR data, sigmoid)", "width p", "beta",
                                          [series(label, [r["p"] for r in rows], [r["beta"] for r in rows])
                                           for label, rows in tables.items()], xscale="log", yscale="log")])


# ---- D3: the trained ray -----------------------------------------------------------------------------------------------


@claim("gopalani2023.D3")
def trained_outer_threshold(ctx: CheckContext) -> Evidence:
    exact = searched(ctx, balanced_trained_rays(), d3_measure,
                     what="V_s on the trained ray equals the exact quadratic in t", to_dict=ray_to_dict)
    sufficient = searched(ctx, above_sufficient_threshold(), d3_sufficient_measure,
                          what="V_s above the sufficient lower bound (lambda > B1 B_x (1 + sqrt(s)/2))", to_dict=ray_to_dict)
    # catalog V-A4 (2): XOR data, s = 0.1, lambda = 0.9 and 1.1 times lambda*
    X, y = xor_data()
    table, curves, signs = {}, [], {}
    ts = np.logspace(1, 4, 31)
    for act, p, u in (("sigmoid", 2, np.array([1.0, -1.0]) / math.sqrt(2)), ("tanh", 1, np.array([1.0]))):
        lam_star = critical_lambda(act, 0.1, 2.0)
        table[act] = {"lambda*": lam_star}
        for r in (0.9, 1.1):
            pb = depth2.Depth2Problem(X, y, lam=r * lam_star, activation=act, width=p, train_outer=True)
            V = np.array([villani(pb, np.concatenate([np.zeros(2 * p), t * u]), 0.1) for t in ts])
            table[act][f"V_s(t=1e4) at lambda = {r} lambda*"] = float(V[-1])
            signs[f"{act}: V_s(t=1e4) at lambda = {r} lambda* has the sign of {r} - 1"] = bool(np.sign(V[-1]) == np.sign(r - 1))
            curves.append(series(f"{act}, lambda = {r} lambda*: V_s / t^2", ts, V / ts**2))
    flip = experiment_evidence("sign flips at lambda* (outer layer trained, XOR data)", signs, examples=len(signs),
                               measurements={"XOR data, s = 0.1": table},
                               figures=[figure("Trained outer layer: V_s(t)/t^2 on the ray W = 0, a = t u (XOR, s = 0.1)", "t",
                                               "V_s / t^2", curves, xscale="log")])
    return all_parts_hold("(V3) with the outer layer trained", {"exact quadratic on the ray": exact,
                                                                "sufficient threshold": sufficient, "sign flip at lambda*": flip})


# ---- D4 / F7: the accuracy floor eps(s) ------------------------------------------------------------------------------------


def floor_check(r: dict) -> dict:
    """|eps(s) - sD/4| within FLOOR_RTOL of sD/4, and the experiment resolves it (3 SE + EM bias below that)."""
    target = r["s D / 4"]
    em_bias = abs(r["harmonic Euler-Maruyama value"] - target)
    return {f"p={r['p']}: |eps(s) - sD/4| = {abs(r['eps(s)'] - target):.2e} <= {tol.DEPTH2_FLOOR_RTOL:.0%} of sD/4":
            abs(r["eps(s)"] - target) <= tol.DEPTH2_FLOOR_RTOL * target,
            f"p={r['p']}: {tol.DEPTH2_MC_SIGMAS:g} SE + Euler-Maruyama bias below that":
            tol.DEPTH2_MC_SIGMAS * r["SE"] + em_bias <= tol.DEPTH2_FLOOR_RTOL * target}


@claim("gopalani2023.D4")
def accuracy_floor(ctx: CheckContext) -> Evidence:
    if not datasets.available():
        return _skipped_without_sklearn()
    r = floor_experiment(2, ctx.thorough)
    ev = experiment_evidence(f"eps(s) = {r['eps(s)']:.5f} +- {r['SE']:.1e} vs s D/4 = {r['s D / 4']:.5f} "
                             f"({r['eps(s)'] / r['s D / 4'] - 1:+.1%})", floor_check(r), examples=r["M"], measurements=r)
    ev.quantity, ev.worst_error, ev.tolerance = "|eps(s) - s D / 4|", abs(r["eps(s)"] - r["s D / 4"]), tol.DEPTH2_FLOOR_RTOL * r["s D / 4"]
    return ev


# ---- D5: Eyring-Kramers ----------------------------------------------------------------------------------------------------

# below s = 0.003 the gap (< 1e-10) nears the eigensolver's resolution eps ||Q|| ~ 1e-14 on the one-gate grid
EK_RATES = (0.02, 0.01, 0.007, 0.005, 0.004, 0.003)


@claim("gopalani2023.D5")
def eyring_kramers(ctx: CheckContext) -> Evidence:
    land = one_gate(0.01)
    deep, spur, saddle = wells(land)
    rates = EK_RATES
    pb = land["problem"]
    rows = gap_against_eyring_kramers(rates)
    ratio = np.array([r["ratio"] for r in rows])
    svals = np.array(rates)
    # ratio = 1 + c1 s + c2 s^2 + ...: extrapolate to s = 0 linearly (two smallest s) and quadratically (three)
    lin = ratio[-1] - svals[-1] * (ratio[-2] - ratio[-1]) / (svals[-2] - svals[-1])
    quad = np.polyval(np.polyfit(svals[-3:], ratio[-3:], 2), 0.0)
    allowed = tol.depth2_extrapolation_tolerance(lin, quad, max(r["grid error of ratio"] for r in rows[-3:]))
    barrier = min(saddle.value - deep.value, saddle.value - spur.value)
    gd_end = gd_limit(pb, 0.0, GD_STEPS_BUDGET, gd_step(0.01))
    checks = {f"ratio extrapolated to s = 0 is 1 within {allowed:.1e}": abs(quad - 1.0) <= allowed,
              "ratio increases toward 1 as s decreases": bool(np.all(np.diff(ratio) > 0)),
              "GD from w = 0 ends at the spurious minimum": abs(gd_end - spur.w) <= 1e-6 * max(1.0, abs(spur.w))}
    ev = experiment_evidence(f"lambda_s / EK = {ratio[0]:.3f} (s={rates[0]}) ... {ratio[-1]:.3f} (s={rates[-1]}), "
                             f"extrapolated {quad:.4f}; barrier H = {barrier:.4f}; GD from 0 stops at w = {gd_end:.4f} "
                             f"(L = {spur.value:.5f} > min {deep.value:.5f})", checks, examples=len(rows),
                             measurements={"table": rows, "linear extrapolation": lin, "quadratic extrapolation": quad,
                                           "critical points": [vars(c) | {"kind": c.kind} for c in land["critical"]],
                                           "smallest barrier H": barrier, "GD limit from w0 = 0": gd_end},
                             figures=[figure("Spectral gap vs 1/s (one-gate, lambda = 0.01)", "1/s", "lambda_s",
                                             [series("lambda_s (SQRA grid)", 1 / svals, [r["lambda_s"] for r in rows]),
                                              series("Eyring-Kramers k_1 + k_2", 1 / svals, [r["Eyring-Kramers"] for r in rows])],
                                             yscale="log")])
    ev.quantity, ev.worst_error, ev.tolerance = "|extrapolated ratio - 1|", abs(quad - 1.0), allowed
    return ev


# --------------------------------------------------------------------------
# F: the catalog's flags
# --------------------------------------------------------------------------


@claim("gopalani2023.F1")
def any_positive_lambda(ctx: CheckContext) -> Evidence:
    strategy = fixed_outer_rays(activations=depth2.ACTIVATIONS, log_lam=(-8.0, -4.0))
    return searched(ctx, strategy, f1_measure,
                    what="tiny lambda: V_s(tU) > 0 beyond the radius of gopalani2023.D1", to_dict=ray_to_dict)


# ---- F2: Villani does not imply a unique minimum ---------------------------------------------------------------------------


# budget: F2's witness (a bistable one-gate objective) is found by a search of at least 40 examples (measured:
# no miss in 20 unseeded runs at 40, 2 misses at 15).
WITNESS_EXAMPLES_BUDGET = 40


def witness_evidence(outcome, *, what: str, to_dict, confirm) -> Evidence:
    """Evidence for an existence claim: ``holds`` when the search found a witness and the re-check confirmed it.

    An adapter over the harness's :func:`~verify.harness.evidence.search_evidence`, which has no existence
    form: the search looks for a violation of "no such object", so its confirmed refutation is the witness,
    and anything else leaves the claim undecided (``error``), not refuted.
    """
    ev = search_evidence(outcome, what=what, to_dict=to_dict, confirm=confirm)
    if ev.verdict == REFUTED:  # the property "no such object" is refuted: the witness exists
        ev.verdict = HOLDS
        ev.summary = f"witness found by search and confirmed: {ev.summary}"
    else:
        ev.verdict = ERROR
        ev.summary = f"inconclusive, no confirmed witness: {ev.summary}"
    return ev


@claim("gopalani2023.F2")
def not_unique_minimum(ctx: CheckContext) -> Evidence:
    ev = witness_evidence(search(one_gate_problems(), f2_measure,
                                 settings=settings_with_examples(ctx, WITNESS_EXAMPLES_BUDGET)),
                          what="one-gate Villani objectives have a unique local minimum",
                          to_dict=lambda ex: depth2_problem_to_dict(ex.problem), confirm=confirm_two_minima)
    example, curves = {}, []
    for lam in (0.01, 0.03):
        land = one_gate(lam)
        example[f"lambda = {lam}"] = [vars(c) | {"kind": c.kind} for c in land["critical"]]
        pot = land["potential"]
        window = (pot["w"] >= -4.0) & (pot["w"] <= 2.0)
        curves.append(series(f"lambda = {lam}", pot["w"][window], pot["f"][window]))
    example["bistable range"] = bistable_range(ctx.thorough)
    ev.measurements["one-gate example (tanh, a = 1.5, d = 1)"] = example
    ev.figures.append(figure("One-gate example: L~(w) has two local minima (tanh, a = 1.5)", "w", "L~(w)", curves))
    return ev


# ---- F3 ----------------------------------------------------------------------------------------------------------------------


@claim("gopalani2023.F3")
def trained_never_villani(ctx: CheckContext) -> Evidence:
    return searched(ctx, f3_examples(), f3_measure,
                    what="for lambda in [1e-3, 1e2], V_s decreases to -infinity on the ray at s = 4 s*(lambda)",
                    to_dict=ray_to_dict)


# ---- F4: admissible initial laws ---------------------------------------------------------------------------------------------


@claim("gopalani2023.F4")
def admissible_initial_laws(ctx: CheckContext) -> Evidence:
    ex = initial_laws_experiment()
    sigmas, chi2, slopes, slope_tol = ex["sigma_0"], ex["chi^2"], ex["slopes"], ex["slope tolerance"]
    conv, div = ex["tails (R = 25, 50, 100)"]["sigma0^2 = s/(2 lambda)"], ex["tails (R = 25, 50, 100)"]["sigma0^2 = 2 s/lambda"]
    dims, logs = ex["D"], ex["log(1 + chi^2)"]
    per_dim = np.array(logs) / np.array(dims)
    checks = {f"chi^2 ~ 1/sigma_0 as sigma_0 -> 0: last slope {slopes[-1]:.4f} within {slope_tol:.1e} of -1":
              abs(slopes[-1] + 1.0) <= slope_tol,
              "chi^2 increases as sigma_0 decreases": bool(np.all(np.diff(chi2) > 0)),
              "sigma_0^2 < s/lambda: chi^2 converges as the grid grows": abs(conv[-1] - conv[-2]) <= tol.DEPTH2_TAIL_CONVERGED * conv[-1],
              "sigma_0^2 > s/lambda: chi^2 grows without bound with the grid": div[-1] > tol.DEPTH2_TAIL_DIVERGED * div[-2] > 0,
              "log(1 + chi^2) grows at least linearly in D": bool(np.all(np.diff(logs) > 0) and per_dim.min() > 0)}
    return experiment_evidence(
        f"chi^2(N(w, sigma_0^2) || mu_s) ~ sigma_0^(-1) (slope {slopes[-1]:.3f}); infinite tails for sigma_0^2 > "
        f"s/lambda; log(1+chi^2)/D in [{per_dim.min():.3f}, {per_dim.max():.3f}] for D = {dims[0]}..{dims[-1]}", checks,
        examples=len(sigmas) + len(dims),
        measurements={k: ex[k] for k in ("sigma_0", "chi^2", "slopes", "tails (R = 25, 50, 100)", "D", "log(1 + chi^2)")},
        figures=[figure("chi^2(N(w_spurious, sigma_0^2) || mu_s) vs sigma_0 (one-gate, s = 0.05)", "sigma_0",
                        "chi^2", [series("grid", sigmas, chi2)], xscale="log", yscale="log"),
                 figure("log(1 + chi^2) of a Gaussian start vs dimension (XOR data, Laplace approximation)",
                        "D", "log(1 + chi^2)", [series("rho_0 = N(theta*, sigma_0^2 I)", dims, logs)])])


# ---- F5: minibatch SGD has another stationary law ---------------------------------------------------------------------------


@claim("gopalani2023.F5")
def minibatch_differs(ctx: CheckContext) -> Evidence:
    ex = minibatch_experiment(ctx.thorough)
    iso, mb = ex["isotropic"], ex["minibatch"]
    bias = abs(ex["E_pi f (discrete chain)"] - ex["E_mu f"])
    iso_dev = abs(iso["E f (end)"] - ex["E_mu f"])
    mb_dev = abs(mb["E f (end)"] - ex["E_mu f"])
    checks = {f"isotropic chains stay at E_mu f (|diff| {iso_dev:.1e} <= 3 SE + discrete-chain bias)":
              iso_dev <= tol.DEPTH2_MC_SIGMAS * iso["SE"] + bias,
              f"minibatch chains leave it (|diff| {mb_dev:.1e} > 3 (SE_iso + SE_mb) + bias)":
              mb_dev > tol.DEPTH2_MC_SIGMAS * (iso["SE"] + mb["SE"]) + bias}
    t = ex["times"]
    return experiment_evidence(
        f"from mu_s (E_mu f = {ex['E_mu f']:.5f}): isotropic E f = {iso['E f (end)']:.5f}, minibatch E f = "
        f"{mb['E f (end)']:.5f} at t = {ex['T']:g} (f* = {ex['f*']:.5f})", checks, examples=2 * ex["M"],
        measurements={**{k: v for k, v in ex.items() if k not in ("times", "isotropic", "minibatch")},
                      "isotropic": {k: v for k, v in iso.items() if k != "curve"},
                      "minibatch": {k: v for k, v in mb.items() if k != "curve"}},
        figures=[figure("E L~(theta_t) from the Gibbs law: isotropic vs minibatch SGD (one-gate, s = 0.03)", "t",
                        "E L~", [series("isotropic-noise SGD", t, iso["curve"]), series("minibatch-1 SGD", t, mb["curve"]),
                                 series("E_mu L~", t, np.full(t.size, ex["E_mu f"])),
                                 series("min L~", t, np.full(t.size, ex["f*"]))])])


# ---- F6 ----------------------------------------------------------------------------------------------------------------------------


@claim("gopalani2023.F6")
def softplus_hessian_bounded(ctx: CheckContext) -> Evidence:
    return searched(ctx, data_loss_points(activations=("softplus",), log_scale=(-2.0, 4.0), max_p=3), d2_measure,
                    what="SoftPlus: ||Hessian||_op <= beta at points up to |theta| = 1e4", to_dict=point_to_dict)


# ---- F7 ----------------------------------------------------------------------------------------------------------------------------


@claim("gopalani2023.F7")
def floor_grows_with_width(ctx: CheckContext) -> Evidence:
    if not datasets.available():
        return _skipped_without_sklearn()
    widths = (2, 4, 8) if ctx.thorough else (2, 4)
    runs = [floor_experiment(p, ctx.thorough) for p in widths]
    checks = {}
    for r in runs:
        checks.update(floor_check(r))
    ratio = runs[-1]["eps(s)"] / runs[0]["eps(s)"]
    expected_ratio = runs[-1]["D"] / runs[0]["D"]
    return experiment_evidence(
        "eps(s) = " + ", ".join(f"{r['eps(s)']:.4f} (D={r['D']})" for r in runs) +
        f": ratio {ratio:.3f} for a D ratio of {expected_ratio:g}", checks, examples=sum(r["M"] for r in runs),
        measurements={"runs": runs, "eps ratio": ratio, "D ratio": expected_ratio},
        figures=[figure("Accuracy floor vs number of parameters (iris, s = 0.01)", "D = p d", "eps(s)",
                        [series("measured", [r["D"] for r in runs], [r["eps(s)"] for r in runs]),
                         series("s D / 4", [r["D"] for r in runs], [r["s D / 4"] for r in runs])])])


# ---- F8 ----------------------------------------------------------------------------------------------------------------------------


@claim("gopalani2023.F8")
def discrete_chain_bias(ctx: CheckContext) -> Evidence:
    pb = one_gate_problem(1.0)
    rates = (0.2, 0.1, 0.05, 0.025) + ((0.0125,) if ctx.thorough else ())
    rows = discrete_chain_bias_table(pb, rates)
    diff = np.array([r["eps_EM(s) (pi_s)"] - r["eps(s) (mu_s)"] for r in rows])
    svals = np.array(rates)
    slopes = np.diff(np.log(diff)) / np.diff(np.log(svals))
    curvature_sup = float(np.max(np.abs(gibbs.potential_on_grid(objective(), pb, gibbs.Grid(-4.0, 4.0, 801))["fsecond"])))
    slope_tol = tol.depth2_em_bias_slope_tolerance(math.sqrt(svals[-1] * svals[-2]), curvature_sup)
    checks = {"eps_EM(s) > eps(s) at every s": bool(np.all(diff > 0)),
              f"eps_EM - eps ~ s^2: last slope {slopes[-1]:.3f} within {slope_tol:.2e} of 2": abs(slopes[-1] - 2.0) <= slope_tol}
    return experiment_evidence(f"stationary excess of the chain exceeds eps(s) by {diff[0]:.2e} (s={rates[0]}) ... "
                               f"{diff[-1]:.2e} (s={rates[-1]}), slope {slopes[-1]:.3f}", checks, examples=len(rows),
                               measurements={"table": rows, "log-log slopes": slopes.tolist()},
                               figures=[figure("Stationary excess loss: discrete chain vs Gibbs law (one-gate, lambda = 1)",
                                               "s", "excess loss",
                                               [series("eps_EM(s) (discrete chain)", svals, [r["eps_EM(s) (pi_s)"] for r in rows]),
                                                series("eps(s) (mu_s)", svals, [r["eps(s) (mu_s)"] for r in rows]),
                                                series("difference", svals, diff)], xscale="log", yscale="log")])

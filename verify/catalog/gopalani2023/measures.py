"""What the depth-2 searches measure: one ``Measurement`` (error against tolerance) per drawn example.

Each function maps a drawn example (:mod:`verify.catalog.gopalani2023.problems`)
to a :class:`~verify.harness.search.Measurement`, or None when the example
says nothing (a zero direction); a violation is an error beyond its
tolerance, which bounds the float rounding of the measured quantity.
"""

from __future__ import annotations

import math

import numpy as np

from impls import depth2

from ...harness.search import Measurement
from ...numerics.rounding import psd_eigenvalue_tolerance
from . import tolerances as tol
from .formulas import (data_bounds, gradient_bound, hessian_bound, laplacian_bound, negative_curvature_bound, objective,
                       ray_ratio_bound, ray_times, rounding, sufficient_lower_bound, trained_ray_formula, unit, villani,
                       villani_rounding)
from .landscapes import GD_STEPS_BUDGET, gd_limit, landscape, one_gate_grid
from .problems import OneGateExample, PointExample, RayExample, WidthExample, xor_data


def nearest_to_violation(measurements) -> Measurement:
    """Of one example's measurements (one per point along its ray), the one with the largest error/tolerance (the first of equals)."""
    worst = None
    for m in measurements:
        worst = m if worst is None or m.ratio > worst.ratio else worst
    return worst


def villani_ray_measure(ex: RayExample) -> Measurement | None:
    """D1 along a ray: ``|V_s(tU) s / (lam t)^2 - 1|`` against its bound, at three t (outer layer fixed).

    The error is the largest excess ``|ratio - 1| - bound`` over the three t,
    the tolerance the rounding of the ratio.
    """
    U = unit(ex.direction)
    if U is None:
        return None
    pb, s = ex.problem, ex.s
    worst, details = -np.inf, {}
    for t in ray_times(pb, s):
        theta = t * U
        V = villani(pb, theta, s)
        ratio = V * s / (pb.lam * t) ** 2
        excess = abs(ratio - 1.0) - ray_ratio_bound(pb, t, s)
        rounding_ratio = villani_rounding(pb, theta, s) * s / (pb.lam * t) ** 2
        if not np.isfinite(excess - rounding_ratio):  # a NaN or infinite V_s is itself a violation
            return Measurement(np.inf, rounding_ratio if np.isfinite(rounding_ratio) else 0.0, "V_s ray ratio",
                               {"t": t, "V_s": V, "problem": "non-finite V_s"})
        if excess - rounding_ratio > worst:
            worst = excess - rounding_ratio
            details = {"t": t, "V_s": V, "ratio": ratio, "bound": ray_ratio_bound(pb, t, s), "rounding": rounding_ratio}
    return Measurement(worst + details["rounding"], details["rounding"], "V_s ray ratio", details)


def trained_villani_measure(ex: RayExample) -> Measurement | None:
    """(V3) along a ray with the outer layer trained: is ``V_s(tU)`` decreasing to -infinity?

    At ``t1 = 1e3`` and ``t2 = 1e4`` (unit U): the error is ``-V_s(t2 U) / t2^2``
    (minus the quadratic coefficient), unless V_s is negative and rising
    (``-inf`` then); the tolerance is the rounding of that coefficient. A
    violation is a ray along which V_s is negative and falling.
    """
    U = unit(ex.direction)
    if U is None:
        return None
    pb, s = ex.problem, ex.s
    t1, t2 = tol.DEPTH2_TRAINED_RAY_TIMES
    V1, V2 = villani(pb, t1 * U, s), villani(pb, t2 * U, s)
    rounding_coef = max(villani_rounding(pb, t1 * U, s) / t1**2, villani_rounding(pb, t2 * U, s) / t2**2)
    coef = V2 / t2**2
    # V_s falling (or a positive coefficient, whose size guides the search) counts; a negative but
    # rising V_s is no evidence either way
    error = -coef if (V2 < V1 or coef >= 0) else -np.inf
    return Measurement(error, rounding_coef, "-V_s(tU)/t^2", {"V_s(t1)": V1, "V_s(t2)": V2, "t1": t1, "t2": t2})


def beta_growth_measure(ex: WidthExample) -> Measurement:
    """A2 without its hypothesis (a_k = +-1, XOR data): ``beta(p) / beta(1) - 1``, positive when beta grows with p."""
    X, y = xor_data()
    pb1 = depth2.Depth2Problem(X, y, lam=0.0, activation=ex.activation, a=depth2.alternating_outer_weights(1, 1.0, normalized=False))
    pbp = depth2.Depth2Problem(X, y, lam=0.0, activation=ex.activation, a=depth2.alternating_outer_weights(ex.p, 1.0, normalized=False))
    b1, bp = hessian_bound(pb1), hessian_bound(pbp)
    return Measurement(bp / b1 - 1.0, tol.DEPTH2_BETA_RATIO_ROUNDING, "beta(p)/beta(1) - 1", {"beta(1)": b1, "beta(p)": bp})


def gd_excess_measure(problem, f_star: float, step: float):
    """A3 without its hypothesis: ``L(GD limit) - min L`` of plain GD from a drawn point ``w0`` (one parameter).

    The tolerance (``tolerances.depth2_gd_excess_tolerance``) covers the
    rounding and the distance of the end point to the minimum of its basin.
    """
    def measure(w0):
        w_end = gd_limit(problem, w0, GD_STEPS_BUDGET, step)
        end = np.array([w_end])
        obj = objective()
        excess = obj.loss(end, problem) - f_star
        allowed = tol.depth2_gd_excess_tolerance(rounding(problem, end)["loss"], float(obj.grad(end, problem)[0]),
                                                 obj.laplacian(end, problem))
        return Measurement(excess, allowed, "L(GD limit) - min L", {"w0": w0, "GD limit": w_end})

    return measure


def d1_measure(ex: PointExample) -> Measurement | None:
    """``max(||grad L|| / G, |Laplacian L| / Lambda) - 1`` (D1) against the relative rounding."""
    pb = ex.problem
    G, Lam = gradient_bound(pb), laplacian_bound(pb)
    if G == 0 or Lam == 0:
        return None
    obj = objective()
    g = float(np.linalg.norm(obj.grad(ex.theta, pb)))
    lap = float(obj.laplacian(ex.theta, pb))
    r = rounding(pb, ex.theta)
    ratios = {"||grad|| / G": g / G, "|Laplacian| / Lambda": abs(lap) / Lam}
    tolerance = max(r["grad"] / G, r["laplacian"] / Lam)
    return Measurement(max(ratios.values()) - 1.0, tolerance, "ratio to the bounds G, Lambda, minus 1",
                       {**ratios, "G": G, "Lambda": Lam})


def d2_measure(ex: PointExample) -> Measurement | None:
    """``||Hessian L||_op / beta`` and ``-lambda_min / (||a||_inf B2 ||X^T X/n||)``, minus 1."""
    pb = ex.problem
    beta, neg = hessian_bound(pb), negative_curvature_bound(pb)
    if beta == 0 or neg == 0:
        return None
    H = objective().hessian(ex.theta, pb)
    ev = np.linalg.eigvalsh(H)
    entry = rounding(pb, ex.theta)["hessian"]
    slack = psd_eigenvalue_tolerance(entry, pb.dim, float(np.max(np.abs(ev))))
    ratios = {"||H||_op / beta": float(np.max(np.abs(ev))) / beta, "-lambda_min / negative_curvature_bound": -float(ev[0]) / neg}
    return Measurement(max(ratios.values()) - 1.0, max(slack / beta, slack / neg),
                       "ratio to the bounds beta, ||a||_inf B2 ||X^T X/n||, minus 1",
                       {**ratios, "beta": beta, "negative_curvature_bound": neg})


def d3_measure(ex: RayExample) -> Measurement | None:
    """``|V_s(impl) - V_s(exact formula)|`` on the trained ray at t = 1e2 and 1e4."""
    U = unit(ex.direction)
    if U is None:
        return None
    pb, s = ex.problem, ex.s
    u = U[pb.d * pb.p :]

    def at(t):
        V = villani(pb, t * U, s)
        exact, formula_rounding = trained_ray_formula(pb, t, u, s)
        return Measurement(abs(V - exact), villani_rounding(pb, t * U, s) + formula_rounding, "|V_s - formula|",
                           {"t": t, "V_s": V, "formula": exact})

    return nearest_to_violation(at(t) for t in (1e2, 1e4))


def d3_sufficient_measure(ex: RayExample) -> Measurement | None:
    """D3's sufficient lower bound minus ``V_s`` at ``t0, 10 t0, 100 t0`` (``t0`` where the bound starts to hold)."""
    U = unit(ex.direction)
    if U is None:
        return None
    pb, s = ex.problem, ex.s
    Bs, B1, _ = depth2.BOUNDS[pb.activation]
    Bx = data_bounds(pb.X)["B_x"]
    t0 = 2 * math.sqrt(pb.p) * Bs / max(pb.lam - B1 * Bx, 1e-300)

    def at(t):
        V, lb = villani(pb, t * U, s), sufficient_lower_bound(pb, t, s)
        return Measurement(lb - V, villani_rounding(pb, t * U, s) + tol.DEPTH2_EPS64 * 16 * abs(lb), "lower bound - V_s",
                           {"t": t, "V_s": V, "lower bound": lb})

    return nearest_to_violation(at(t) for t in (t0, 10 * t0, 100 * t0))


def f1_measure(ex: RayExample) -> Measurement | None:
    """``V_s(tU) > 0`` beyond ``t_c = (G + sqrt(s (Lambda + lam dim))) / lam``: error ``-V_s s/(lam t)^2`` at 2 t_c, 20 t_c."""
    U = unit(ex.direction)
    if U is None:
        return None
    pb, s = ex.problem, ex.s
    tc = (gradient_bound(pb) + math.sqrt(s * (laplacian_bound(pb) + pb.lam * pb.dim))) / pb.lam

    def at(t):
        V = villani(pb, t * U, s)
        scale = (pb.lam * t) ** 2 / s
        return Measurement(-V / scale, villani_rounding(pb, t * U, s) / scale, "-V_s s/(lam t)^2", {"t": t, "V_s": V, "t_c": tc})

    return nearest_to_violation(at(t) for t in (2 * tc, 20 * tc))


def f2_measure(ex: OneGateExample) -> Measurement:
    """Search for two distinct local minima: the excess of the second-best local minimum over the best.

    With a single minimum the error is minus the smallest ``|L'|`` at a local
    minimum of ``|L'|`` away from the critical points (0 would be a new pair
    of critical points): a distance to bistability that the search's
    targeting can reduce; it never counts as a violation.
    """
    pb = ex.problem
    pot, cps = landscape(pb, one_gate_grid(pb), values=False)
    minima = sorted((c for c in cps if c.kind == "minimum"), key=lambda c: c.value)
    r = [rounding(pb, np.array([c.w]))["loss"] for c in minima]
    if len(minima) < 2:
        g = np.abs(pot["fprime"])
        same_sign = np.signbit(pot["fprime"][:-2]) == np.signbit(pot["fprime"][2:])
        dips = (g[1:-1] <= g[:-2]) & (g[1:-1] <= g[2:]) & same_sign
        slope = float(g[1:-1][dips].min()) if dips.any() else float(g.max())
        return Measurement(-slope, 1.0, "second minimum excess", {"minima": len(minima), "smallest slope dip": slope})
    gap = minima[1].value - minima[0].value
    return Measurement(gap, tol.depth2_distinct_values_tolerance(r[0], r[1]), "second minimum excess",
                       {"minima": [(c.w, c.value, c.curvature) for c in minima]})


def f3_measure(ex: RayExample) -> Measurement | None:
    """At ``s = 4 s*(lambda)``: ``V_s / t^2`` at ``t2`` must be negative and V_s decreasing (error = the coefficient)."""
    U = unit(ex.direction)
    if U is None or ex.tags["mean ||x||^2"] < tol.DEPTH2_F3_MIN_MEAN_SQ:
        return None
    pb, s = ex.problem, ex.s
    t1, t2 = tol.DEPTH2_TRAINED_RAY_TIMES
    t1, t2 = t1 / pb.lam, t2 / pb.lam  # keep lambda t fixed: the regularizer's scale
    V1, V2 = villani(pb, t1 * U, s), villani(pb, t2 * U, s)
    r = villani_rounding(pb, t2 * U, s) / t2**2
    error = V2 / t2**2 if V2 < V1 else np.inf
    return Measurement(error, r, "V_s / t^2 at s = 4 s*", {"V_s(t1)": V1, "V_s(t2)": V2, "s": s})

"""High-precision re-checks: the objective in 50-digit mpmath, and the confirmations of what a search found.

:func:`mp_objective` evaluates loss, gradient and Laplacian of ``L~_lambda``
from the definitions (catalog D1), independently of ``impls.depth2``;
:func:`mp_villani` and :func:`mp_refine_critical_point` build on it. The
``confirm_*`` functions re-check a shrunk counterexample (or witness) of a
search in mpmath, or exactly in SymPy, and return the ``high_precision``
record of its evidence (``confirmed``, ``method`` and the values).
"""

from __future__ import annotations

import mpmath
import numpy as np

from . import tolerances as tol
from .formulas import unit
from .landscapes import GD_STEPS_BUDGET, gd_limit, gd_step, landscape, one_gate_grid
from .problems import OneGateExample, RayExample, WidthExample

MP_DIGITS = 50


def _mp_sigma(name: str, u):
    """(sigma, sigma', sigma'') at an mpf u; mpmath's exponent range has no overflow."""
    e = mpmath.exp(-abs(u))
    s = 1 / (1 + e) if u >= 0 else e / (1 + e)  # the sigmoid, without 1 - s cancelling at large |u|
    d1 = e / (1 + e) ** 2  # sigmoid'
    if name == "sigmoid":
        return s, d1, d1 * (1 - 2 * s)
    if name == "tanh":
        t = mpmath.tanh(u)
        sech2 = 1 / mpmath.cosh(u) ** 2
        return t, sech2, -2 * t * sech2
    return mpmath.log(1 + mpmath.exp(u)), s, d1


def mp_objective(problem, theta, digits: int = MP_DIGITS) -> dict:
    """Loss, gradient (list) and Laplacian of ``L~_lambda`` at ``theta``, in ``digits``-digit mpmath.

    The float inputs are converted exactly (binary floats are dyadic
    rationals); entries of ``theta`` that are already mpf are used as they are. Formulas: catalog D1, with ``l(m) = log(1 + e^{-m})``,
    ``l'(m) = -1/(1 + e^m)``, ``l''(m) = 1/((1 + e^m)(1 + e^{-m}))``.
    """
    pb = problem
    with mpmath.workdps(digits):
        th = [v if isinstance(v, mpmath.mpf) else mpmath.mpf(float(v)) for v in list(np.ravel(np.asarray(theta, dtype=object)))]
        X = [[mpmath.mpf(float(v)) for v in row] for row in np.asarray(pb.X, dtype=np.float64)]
        y = [mpmath.mpf(float(v)) for v in pb.y]
        d, p, n = pb.d, pb.p, pb.n
        W = [[th[j * p + k] for k in range(p)] for j in range(d)]
        a = th[d * p :] if pb.train_outer else [mpmath.mpf(float(v)) for v in pb.a]
        lam = mpmath.mpf(float(pb.lam))
        loss = mpmath.mpf(0)
        grad = [lam * t for t in th]
        lap = lam * len(th)
        for i in range(n):
            acts = [_mp_sigma(pb.activation, mpmath.fsum(X[i][j] * W[j][k] for j in range(d))) for k in range(p)]
            m = y[i] * mpmath.fsum(a[k] * acts[k][0] for k in range(p))
            loss += mpmath.log(1 + mpmath.exp(-m)) / n
            l1 = -1 / (1 + mpmath.exp(m))
            l2 = 1 / ((1 + mpmath.exp(m)) * (1 + mpmath.exp(-m)))
            sq = mpmath.fsum(x * x for x in X[i])
            for k in range(p):
                for j in range(d):
                    grad[j * p + k] += l1 * y[i] * a[k] * acts[k][1] * X[i][j] / n
                lap += sq * (l2 * (a[k] * acts[k][1]) ** 2 + l1 * y[i] * a[k] * acts[k][2]) / n
                if pb.train_outer:
                    grad[d * p + k] += l1 * y[i] * acts[k][0] / n
                    lap += l2 * acts[k][0] ** 2 / n
        loss += lam / 2 * mpmath.fsum(t * t for t in th)
        return {"loss": loss, "grad": grad, "laplacian": lap}


def mp_villani(problem, theta, s, digits: int = MP_DIGITS):
    """``V_s = ||grad||^2 / s - Laplacian`` in mpmath."""
    with mpmath.workdps(digits):
        q = mp_objective(problem, theta, digits)
        return mpmath.fsum(g * g for g in q["grad"]) / mpmath.mpf(float(s)) - q["laplacian"]


def mp_refine_critical_point(problem, w0: float, digits: int = MP_DIGITS) -> dict:
    """A critical point of a one-parameter problem near ``w0``, found by mpmath Newton on ``L'``.

    Returns the point, ``L``, ``L''`` (Laplacian) in ``digits`` digits, as mpf.
    """
    with mpmath.workdps(digits):
        root = mpmath.findroot(lambda w: _mp_grad_1d(problem, w), mpmath.mpf(float(w0)),
                               tol=mpmath.mpf(10) ** (-digits + 10))
        q = _mp_1d(problem, root)
        return {"w": root, "loss": q["loss"], "curvature": q["laplacian"], "grad": q["grad"][0]}


def _mp_1d(problem, w):
    """``mp_objective`` at an mpf point of a one-parameter problem."""
    return mp_objective(problem, [w])


def _mp_grad_1d(problem, w):
    return _mp_1d(problem, w)["grad"][0]


def confirm_trained_villani(ex: RayExample) -> dict:
    """Re-evaluate ``V_s`` along the ray in 50-digit mpmath at ``t2``, ``10 t2``, ``100 t2``.

    Confirmed when all three are negative, decreasing, and ``V_s / t^2``
    has settled (its last two values agree to ``DEPTH2_COEFFICIENT_SETTLED``),
    i.e. ``V_s ~ c t^2`` with ``c < 0``: (V3) fails along this ray.
    """
    U = unit(ex.direction)
    t2 = tol.DEPTH2_TRAINED_RAY_TIMES[1]
    ts = [t2, 10 * t2, 100 * t2]
    with mpmath.workdps(MP_DIGITS):
        values = [mp_villani(ex.problem, t * U, ex.s) for t in ts]
        coefs = [v / mpmath.mpf(t) ** 2 for v, t in zip(values, ts)]
        settled = abs(coefs[2] - coefs[1]) <= tol.DEPTH2_COEFFICIENT_SETTLED * abs(coefs[2])
        confirmed = bool(all(v < 0 for v in values) and values[0] > values[1] > values[2] and settled)
    return {"method": f"mpmath {MP_DIGITS} digits, V_s from the definitions", "confirmed": confirmed,
            "t": ts, "V_s": [float(v) for v in values], "V_s / t^2": [float(c) for c in coefs]}


def confirm_beta_growth(ex: WidthExample) -> dict:
    """Exact (SymPy) ``beta(p) - beta(1)`` for ``a_k = +-1`` on the XOR data: ``mean||x||^2 (p - 1) B1^2 / 4``."""
    import sympy

    B1 = {"sigmoid": sympy.Rational(1, 4), "tanh": sympy.Integer(1), "softplus": sympy.Integer(1)}[ex.activation]
    B2 = {"sigmoid": 1 / (6 * sympy.sqrt(3)), "tanh": 4 / (3 * sympy.sqrt(3)), "softplus": sympy.Rational(1, 4)}[ex.activation]
    mean_sq = sympy.Integer(2)  # XOR data: every ||x||^2 = 2

    def beta(p):  # ||a||_2^2 = p, ||a||_inf = 1
        return mean_sq * (sympy.Integer(p) * B1**2 / 4 + B2)

    diff = sympy.nsimplify(beta(ex.p) - beta(1))
    return {"method": "exact (SymPy rationals and sqrt(3))", "confirmed": bool(diff > 0),
            "beta(p) - beta(1)": str(diff), "p": ex.p}


def confirm_gd_stuck(problem, f_star_w: float):
    def confirm(w0: float) -> dict:
        w_end = gd_limit(problem, w0, GD_STEPS_BUDGET, gd_step(problem.lam))
        with mpmath.workdps(MP_DIGITS):
            local = mp_refine_critical_point(problem, w_end)
            best = mp_refine_critical_point(problem, f_star_w)
            excess = local["loss"] - best["loss"]
            confirmed = bool(local["curvature"] > 0 and excess > tol.depth2_mp_margin(1.0))
        return {"method": f"mpmath {MP_DIGITS} digits: Newton on L' from the GD limit and from the global minimum",
                "confirmed": confirmed, "local minimum": float(local["w"]), "L''(local)": float(local["curvature"]),
                "excess loss": float(excess), "global minimum": float(best["w"])}

    return confirm


def confirm_two_minima(ex: OneGateExample) -> dict:
    pb = ex.problem
    _, cps = landscape(pb, one_gate_grid(pb), values=False)
    minima = sorted((c for c in cps if c.kind == "minimum"), key=lambda c: c.value)[:2]
    with mpmath.workdps(MP_DIGITS):
        ref = [mp_refine_critical_point(pb, c.w) for c in minima]
        gap = ref[1]["loss"] - ref[0]["loss"]
        confirmed = bool(all(r["curvature"] > 0 for r in ref) and gap > tol.depth2_mp_margin(1.0)
                         and abs(ref[1]["w"] - ref[0]["w"]) > tol.depth2_mp_margin(1.0))
    return {"method": f"mpmath {MP_DIGITS} digits: Newton on L' at both minima", "confirmed": confirmed,
            "minima": [float(r["w"]) for r in ref], "values": [float(r["loss"]) for r in ref],
            "curvatures": [float(r["curvature"]) for r in ref], "value gap": float(gap)}

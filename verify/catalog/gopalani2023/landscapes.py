"""One-parameter landscapes: the potential of a one-gate problem on a grid, its critical points, plain GD on it.

:func:`one_gate` caches the landscape of the catalog's one-gate example
(V-A1) on ``ONE_GATE_GRID``, shared by A3, A4, D2, D5, F2, F4 and F5.
"""

from __future__ import annotations

import math
from functools import lru_cache

import numpy as np

from . import gibbs
from . import sgd
from . import tolerances as tol
from .formulas import gradient_bound, objective
from .problems import one_gate_problem

# budget: gradient descent steps to reach the local minimum of a basin (A3, D5). Near the flattest minimum of
# the one-gate example (L'' = 0.027, eta = 0.84) the distance contracts by 0.977 per step, e^-23 over 1000
# steps; from the flat outer parts (L'' ~ lambda) convergence is slower, which
# tolerances.depth2_gd_excess_tolerance accounts for instead of more steps.
GD_STEPS_BUDGET = 1000



def scalar_functions(problem):
    """``(f, f', f'')`` of a one-parameter problem as functions of a float w."""
    obj = objective()
    return (lambda w: obj.loss(np.array([w]), problem),
            lambda w: float(obj.grad(np.array([w]), problem)[0]),
            lambda w: obj.laplacian(np.array([w]), problem))


def landscape(problem, grid: gibbs.Grid, values: bool = True) -> tuple[dict, list]:
    """The potential on a grid and its critical points (refined) of a one-parameter problem.

    With ``values=False`` only ``f'`` is evaluated on the grid (enough to find
    the critical points), which is three times cheaper.
    """
    f, fp, fpp = scalar_functions(problem)
    if values:
        pot = gibbs.potential_on_grid(objective(), problem, grid)
    else:
        pot = {"w": grid.nodes, "fprime": objective().grad(grid.nodes[:, None], problem)[:, 0]}
    return pot, gibbs.critical_points(pot, fp, f, fpp)


ONE_GATE_GRID = gibbs.Grid(-25.0, 25.0, 20001)


@lru_cache(maxsize=None)
def one_gate(lam: float, activation: str = "tanh") -> dict:
    """Landscape of the one-gate problem: potential on ``ONE_GATE_GRID`` and its critical points."""
    pb = one_gate_problem(lam, activation)
    pot, cps = landscape(pb, ONE_GATE_GRID)
    minima = [c for c in cps if c.kind == "minimum"]
    return {"problem": pb, "potential": pot, "critical": cps, "minima": minima,
            "global": min(minima, key=lambda c: c.value)}


def wells(land: dict) -> tuple:
    """The deep minimum, the spurious minimum and the saddle between them of a bistable one-gate landscape."""
    deep, spurious = sorted(land["minima"], key=lambda c: c.w)
    saddle = next(c for c in land["critical"] if c.kind == "maximum")
    return deep, spurious, saddle


def gd_step(lam: float) -> float:
    """``GD_STEP_FRACTION / max |L''|`` for the one-gate example at ``lam`` (max over ``ONE_GATE_GRID``)."""
    return tol.DEPTH2_GD_STEP_FRACTION / float(np.max(np.abs(one_gate(lam)["potential"]["fsecond"])))


def gd_limit(problem, w0: float, steps: int, step: float) -> float:
    """Plain gradient descent from the point ``w0`` (a Dirac initial law): ``steps`` steps of ``step``.

    In one dimension a step ``eta`` with ``eta L'' < 1`` (:func:`gd_step`)
    makes the map ``w -> w - eta L'(w)`` increasing, so the iterates never
    cross a critical point and converge monotonically to the local minimum
    of their basin.
    """
    run = sgd.gradient_descent(objective(), problem, np.array([[w0]]), step, steps, record_every=steps)
    return float(run.theta[0, 0])


def one_gate_grid(pb) -> gibbs.Grid:
    """A grid containing every critical point: beyond ``|w| > 20 / min|x|`` every sech^2 / sigma' term is
    below 4 e^-20 |a| max|x|, smaller than ``lam |w|`` for the drawn ranges; and ``|w| <= G / lam`` always."""
    x = np.abs(np.asarray(pb.X)[:, 0])
    R = min(20.0 / x.min(), gradient_bound(pb) / pb.lam) * 1.05
    h = min(0.01, 0.05 / x.max())
    return gibbs.Grid(-R, R, int(math.ceil(2 * R / h)) + 1)


def bistable_range(thorough: bool) -> dict:
    """Where the one-gate example has two local minima: the smallest lambda checked, and the upper end by bisection.

    The deep minimum moves out as lambda decreases (to w ~ -15 at 1e-6: the
    data term's slope decays like e^{-0.6 |w|} and meets lambda |w|), so the
    grid reaches w = -80; at lambda = 0 it is gone (the basin runs off).
    """
    big = gibbs.Grid(-80.0, 30.0, 44001)

    def minima(lam):
        return [c for c in landscape(one_gate_problem(lam), big, values=False)[1] if c.kind == "minimum"]

    small = {lam: [round(c.w, 4) for c in minima(lam)] for lam in (1e-6, 1e-5, 1e-4, 5e-4)}
    lo, hi = 0.01, 0.2  # two minima at 0.01, one at 0.2
    for _ in range(30 if thorough else 12):
        mid = 0.5 * (lo + hi)
        lo, hi = (mid, hi) if len(minima(mid)) >= 2 else (lo, mid)
    return {"minima at small lambda": small, "bistable at every small lambda checked": all(len(v) == 2 for v in small.values()),
            "upper end": [lo, hi]}

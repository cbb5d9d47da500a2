"""The problems of the ResNet-softmax claims and the Hypothesis strategies that draw them.

A point of the family is a ``ResNetProblem`` (x, A, b, optional w); the
domain of the catalog's statements is ``||A|| <= R, ||x||_2 <= R`` with
``||b||_2 <= 1``. Directions and norms are drawn independently, so a search
reaches both the boundary of the ball and its inside, and
``extremal_points`` draws along the direction where alpha attains its
minimum beta*(n, R) (C10), which uniform sampling misses for large n.
The other strategies draw the hypotheses of single claims: the
regularised points of C5, the pairs of C6, the near-zero-alpha points of
C5 and C6, and the adversarial Newton steps of C9.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from ...numerics import rounding
from . import tolerances as tol
from .formulas import beta_star, critical_radius, derived_curvature_bound, spectral_norm


@dataclass
class ResNetProblem:
    """One point of the family: x (d,), A (n, d), b (n,), optional w (n,), and how it was drawn."""

    x: np.ndarray
    A: np.ndarray
    b: np.ndarray | None = None
    w: np.ndarray | None = None
    tags: dict = field(default_factory=dict)

    @property
    def n(self) -> int:
        return self.A.shape[0]

    @property
    def d(self) -> int:
        return self.A.shape[1]

    def to_dict(self) -> dict:
        out = {"x": self.x.tolist(), "A": self.A.tolist(), "shape (n, d)": [self.n, self.d]}
        if self.b is not None:
            out["b"] = self.b.tolist()
        if self.w is not None:
            out["w"] = self.w.tolist()
        if self.tags:
            out["tags"] = {k: (float(v) if isinstance(v, (np.floating, float)) else v) for k, v in self.tags.items()}
        return out

    def __repr__(self) -> str:  # what Hypothesis prints for a failing example
        return f"ResNetProblem({self.to_dict()!r})"


def to_dict(example) -> dict:
    return example.to_dict() if hasattr(example, "to_dict") else dict(example)


def _floats(lo: float = -1.0, hi: float = 1.0):
    return st.floats(lo, hi, allow_nan=False, allow_infinity=False, allow_subnormal=False)


def _array(draw, shape, lo=-1.0, hi=1.0) -> np.ndarray:
    # fill=nothing: every entry is drawn (no repeated fill value), so small arrays are diverse.
    return draw(hnp.arrays(np.float64, shape, elements=_floats(lo, hi), fill=st.nothing()))


def _fraction(draw) -> float:
    """A scale factor in [0, 1]: the full norm (1) or any fraction; shrinks toward the full norm."""
    return draw(st.one_of(st.just(1.0), _floats(0.0, 1.0)))


def _with_norm(M: np.ndarray, norm: float) -> np.ndarray:
    """``M`` rescaled to 2-norm ``norm`` (a zero M stays zero).

    M is first divided by its largest entry: the squares inside a norm of
    entries below 1e-154 underflow, and the norm would come out wrong.
    """
    largest = float(np.max(np.abs(M))) if M.size else 0.0
    if largest == 0:
        return M
    M = M / largest
    current = spectral_norm(M) if M.ndim == 2 else float(np.linalg.norm(M))
    return M * (norm / current)


def _unit(draw, d: int) -> np.ndarray:
    v = _with_norm(_array(draw, (d,)), 1.0)
    if not np.any(v):
        v = np.zeros(d)
        v[0] = 1.0
    return v


def _target(draw, n: int, kind: str) -> np.ndarray:
    """b: ``ball`` (||b||_2 <= 1), ``simplex`` (b >= 0, sum 1) or ``e1``."""
    if kind == "e1":
        b = np.zeros(n)
        b[0] = 1.0
        return b
    if kind == "simplex":
        b = _array(draw, (n,), 0.0, 1.0)
        total = float(b.sum())
        if total == 0:
            b = np.zeros(n)
            b[0] = 1.0
            return b
        return b / total
    return _with_norm(_array(draw, (n,)), _fraction(draw))


@st.composite
def random_points(draw, n: int, d: int, R: float, *, b_kind: str = "ball", weighted: bool = False,
                  full_norm_A: bool = False, x_radius: float | None = None) -> ResNetProblem:
    """A point of the domain ``||A|| <= R, ||x|| <= R``: directions and norms drawn independently."""
    A = _with_norm(_array(draw, (n, d)), R if full_norm_A else R * _fraction(draw))
    x = _unit(draw, d) * (R if x_radius is None else x_radius) * _fraction(draw)
    b = _target(draw, n, b_kind)
    w = _array(draw, (n,), 0.0, 3.0) if weighted and draw(st.booleans()) else None
    return ResNetProblem(x, A, b, w, {"kind": "random", "R": R})


@st.composite
def extremal_points(draw, n: int, d: int, R: float, *, b_kind: str = "ball") -> ResNetProblem:
    """Points along the extremal direction of C10: ``A = (a R / sqrt n) 1_n v^T (+ noise)``, ``x = -t R v``.

    At ``a = t = 1`` (and no noise) ``z = -(R^2 / sqrt n) 1_n``, where alpha
    attains its minimum ``beta*(n, R)`` over the domain. ``a``, ``t``, the
    direction ``v`` (an axis or any unit vector) and the noise are drawn, so
    Hypothesis can both reach the minimum and shrink away from it.
    """
    v = np.eye(d)[0] if draw(st.booleans()) else _unit(draw, d)
    a, t = _fraction(draw), _fraction(draw)
    A = (a * R / math.sqrt(n)) * np.outer(np.ones(n), v)
    noise = draw(st.one_of(st.just(0.0), st.sampled_from([1e-3, 1e-1])))
    if noise:
        A = A + noise * R * _array(draw, (n, d))
        if spectral_norm(A) > R:
            A = _with_norm(A, R)
    x = -t * R * v
    return ResNetProblem(x, A, _target(draw, n, b_kind), None, {"kind": "extremal", "R": R, "a": a, "t": t, "noise": noise})


@st.composite
def domain_points(draw, *, n_range=(1, 6), d_range=(1, 4), radius=None, b_kind: str = "ball",
                  extremal: bool = True, weighted: bool = False) -> ResNetProblem:
    """``one_of(random points, points along the extremal direction)``; ``radius(n)`` is a strategy for R."""
    n = draw(st.integers(*n_range))
    d = draw(st.integers(*d_range))
    R = draw(radius(n))
    points = random_points(n, d, R, b_kind=b_kind, weighted=weighted)
    if extremal:
        points = st.one_of(points, extremal_points(n, d, R, b_kind=b_kind))
    return draw(points)


def solve_first_coordinate(rest_sum: float, target: float) -> float | None:
    """The x_1 with ``e^{x_1} + x_1 = target - rest_sum`` (increasing in x_1, so unique), or None."""
    goal = target - rest_sum
    lo, hi = -60.0, 10.0
    if not (math.exp(lo) + lo <= goal <= math.exp(hi) + hi):
        return None
    for _ in range(200):
        mid = (lo + hi) / 2
        if math.exp(mid) + mid < goal:
            lo = mid
        else:
            hi = mid
    return (lo + hi) / 2


@st.composite
def near_zero_alpha_points(draw, *, R: float = 1.0, weight: float | None = None) -> ResNetProblem:
    """Points of the ball ``||x|| <= R`` where alpha is small: A = I_n (n = 2, 3), b = e_1 (the catalog's setting).

    ``x_2, .., x_n`` and the target level ``alpha = 10^-k`` are drawn and x_1
    solves ``alpha(x) = 10^-k`` (alpha is increasing in x_1). A point outside
    the ball is returned as drawn and rejected by the claims' measures.
    """
    n = draw(st.integers(2, 3))
    rest = np.array([draw(_floats(-0.95 * R, -0.05)) for _ in range(n - 1)])
    k = draw(_floats(0.5, 6.0))
    level = 10.0**-k
    x1 = solve_first_coordinate(float(np.sum(np.exp(rest) + rest)), level)
    x = np.concatenate([[x1 if x1 is not None else 0.0], rest])
    b = np.zeros(n)
    b[0] = 1.0
    w = None if weight is None else np.full(n, weight)
    return ResNetProblem(x, np.eye(n), b, w, {"kind": "near alpha = 0", "R": R, "alpha level": level,
                                              "solved": x1 is not None})


def in_ball(pb: ResNetProblem, R: float) -> bool:
    # ||A|| is computed by an SVD: allow its rounding (A = I here, so ||A|| = 1 up to it).
    svd_rounding = tol.resnet_eigenvalue_tolerance(0.0, max(pb.A.shape), R)
    return bool(pb.tags.get("solved", True)) and float(np.linalg.norm(pb.x)) <= R and spectral_norm(pb.A) <= R + svd_rounding


def radius_times_critical(lo: float, hi: float):
    """Strategy factory: R = r R*(n) with r in [lo, hi] (beta*(n, R) > 0 when hi < 1)."""
    return lambda n: _floats(lo, hi).map(lambda r: r * critical_radius(n))


def radius_between(lo: float, hi: float):
    """Strategy factory: R drawn in [lo, hi] whatever n."""
    return lambda n: _floats(lo, hi)


@st.composite
def regularised_points(draw) -> ResNetProblem:
    """The derived condition of C5: R < R*(n), beta = beta*(n, R), w_i^2 = C_D(n, R, beta) + l / sigma_min(A)^2, rank A = d."""
    n = draw(st.integers(1, 6))
    d = draw(st.integers(1, min(n, 3)))
    R = draw(radius_times_critical(0.1, 0.95)(n))
    pb = draw(random_points(n, d, R, b_kind="ball"))
    level = draw(_floats(0.01, 1.0))
    singular = np.linalg.svd(pb.A, compute_uv=False)
    sigma_min = float(singular[-1])
    C_D = derived_curvature_bound(n, R, beta_star(n, R))
    # rank(A) = d numerically (sigma_min above the SVD's resolution max(n, d) eps ||A||); otherwise
    # the hypothesis fails and the point is not drawn with a weight.
    full_rank = sigma_min > max(n, d) * rounding.eps(np.float64) * float(singular[0]) and sigma_min * sigma_min > 0
    w2 = C_D + level / (sigma_min * sigma_min) if full_rank else math.inf
    w = np.full(n, math.sqrt(w2)) if math.isfinite(w2) else None
    return ResNetProblem(pb.x, pb.A, pb.b, w, {**pb.tags, "l": level, "C_D": C_D, "sigma_min(A)": sigma_min})


@dataclass
class PointPair:
    """Two points x, y of one problem (A, b shared)."""

    pb: ResNetProblem
    y: np.ndarray

    def to_dict(self) -> dict:
        return {**self.pb.to_dict(), "y": self.y.tolist(), "||x - y||": float(np.linalg.norm(self.pb.x - self.y))}


@st.composite
def domain_pairs(draw) -> PointPair:
    """x and y in the domain of C6 with R < R*(n): y independent of x, or x + 10^-k v (clipped to the ball)."""
    n, d = draw(st.integers(1, 6)), draw(st.integers(1, 4))
    R = draw(radius_times_critical(0.1, 0.95)(n))
    pb = draw(st.one_of(random_points(n, d, R), extremal_points(n, d, R)))
    if draw(st.booleans()):
        y = _unit(draw, d) * R * _fraction(draw)
    else:
        y = pb.x + 10.0 ** -draw(_floats(1.0, 6.0)) * R * _unit(draw, d)
        if np.linalg.norm(y) > R:
            y = y * (R / np.linalg.norm(y))
    return PointPair(pb, y)


@dataclass
class StepExample:
    """One adversarial step: the approximation error E (||E|| = eps0) and the start x0 = x* + r v."""

    eps0: float
    E: np.ndarray
    direction: np.ndarray
    fraction: float

    def to_dict(self) -> dict:
        return {"eps0": self.eps0, "E": self.E.tolist(), "||E||": spectral_norm(self.E), "direction": self.direction.tolist(),
                "r / r0": self.fraction}


@st.composite
def approximation_errors(draw, eps_max: float, ex) -> StepExample:
    """E symmetric with ||E|| = eps0 <= eps_max: random, or coupling H(x*)'s extreme eigenvectors (the worst case for the 2-norm).

    ``ex`` is the ``experiments.NewtonExample`` the step is taken on (its H(x*) and dimension).
    """
    eps0 = draw(st.floats(1e-3, eps_max, allow_nan=False))
    d = ex.A.shape[1]
    if draw(st.booleans()):
        M = _array(draw, (d, d))
        M = M + M.T
    else:
        _, vecs = np.linalg.eigh(ex.H_star)
        M = np.outer(vecs[:, 0], vecs[:, -1]) + np.outer(vecs[:, -1], vecs[:, 0]) + 0.1 * _array(draw, (d, d))
        M = M + M.T
    if spectral_norm(M) == 0:
        M = np.eye(d)
    E = M * (eps0 / spectral_norm(M))
    return StepExample(eps0, E, _unit(draw, d), 10.0 ** -draw(_floats(0.0, 4.0)))


@st.composite
def one_row_points(draw) -> ResNetProblem:
    """C12's points: n = 1, any d <= 4, R up to 2."""
    d = draw(st.integers(1, 4))
    return draw(random_points(1, d, draw(_floats(0.05, 2.0)), b_kind="ball"))


@st.composite
def benign_points(draw) -> ResNetProblem:
    """The catalog's benign points of C5: ||A|| = 1, ||x|| <= 0.5, b in the simplex (alpha >= 1 is checked by the measure)."""
    n, d = draw(st.integers(2, 5)), draw(st.integers(1, 3))
    return draw(random_points(n, d, 1.0, b_kind="simplex", full_norm_A=True, x_radius=0.5))


@st.composite
def close_pairs_near_zero_alpha(draw) -> PointPair:
    """C6 without a bound on alpha: x near alpha = 0 in the unit ball and y = x + 10^-k v, k in [3, 8]."""
    pb = draw(near_zero_alpha_points(R=1.0))
    y = pb.x + 10.0 ** -draw(_floats(3.0, 8.0)) * _unit(draw, pb.d)
    return PointPair(pb, y)


@st.composite
def lemma_arithmetic(draw) -> dict:
    """C9's induction step: eps0 anywhere in (0, 0.1), or approaching the supremum 0.1; rho = M r_t / l up to the
    hypothesis' bound 0.1."""
    eps0 = draw(st.one_of(st.floats(0.0, 0.1, exclude_min=True, exclude_max=True),
                          _floats(0.3, 6.0).map(lambda k: 0.1 * (1 - 10.0**-k))))
    rho = draw(st.one_of(st.just(0.1), st.floats(0.0, 0.1, exclude_min=True)))
    return {"eps0": eps0, "M r_t / l": rho}

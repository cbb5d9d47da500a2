"""The problems the depth-2 claims are checked on: the catalog's examples and the Hypothesis strategies that draw them.

* :func:`xor_data` and :func:`one_gate_problem` (the one-gate example of
  V-A1, ``ONE_GATE``): fixed examples of the catalog;
* the drawn examples (:class:`RayExample`, :class:`PointExample`,
  :class:`OneGateExample`, :class:`WidthExample`), with their JSON form for
  a counterexample (:func:`depth2_problem_to_dict`, :func:`ray_to_dict`,
  :func:`point_to_dict`);
* the strategies: rays with the outer layer fixed (:func:`fixed_outer_rays`)
  or trained (:func:`trained_outer_rays`, :func:`balanced_trained_rays`,
  :func:`above_sufficient_threshold`, :func:`f3_examples`), points of the
  data loss (:func:`data_loss_points`) and one-gate objectives
  (:func:`one_gate_problems`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from hypothesis import strategies as st

from impls import depth2

from . import tolerances as tol
from .formulas import critical_lambda, data_bounds, unit


def xor_data() -> tuple[np.ndarray, np.ndarray]:
    """The XOR data of the catalog: the 4 points (+-1, +-1), label x1 x2; ``sum_i y_i x_i = 0``, ``mean ||x||^2 = 2``."""
    X = np.array([[1.0, 1.0], [-1.0, -1.0], [1.0, -1.0], [-1.0, 1.0]])
    return X, X[:, 0] * X[:, 1]


# The one-gate example of the catalog (V-A1): tanh, a = 1.5, d = 1, the points
# x with labels y and multiplicities c (n = 8).
ONE_GATE = {"x": (-1.0, -2.1, -0.3, 1.8), "y": (1.0, -1.0, 1.0, -1.0), "counts": (2, 2, 3, 1), "a": 1.5}


def one_gate_problem(lam: float, activation: str = "tanh") -> depth2.Depth2Problem:
    """The one-gate problem of V-A1 at ``lam`` (samples repeated by their multiplicities)."""
    x = np.repeat(ONE_GATE["x"], ONE_GATE["counts"])[:, None]
    y = np.repeat(ONE_GATE["y"], ONE_GATE["counts"])
    return depth2.Depth2Problem(x, y, lam=lam, activation=activation, a=np.array([ONE_GATE["a"]]))


@dataclass
class RayExample:
    """A problem, a unit direction ``U`` in parameter space and a learning rate ``s``."""

    problem: depth2.Depth2Problem
    direction: np.ndarray
    s: float
    tags: dict

    def __repr__(self) -> str:
        pb = self.problem
        return (f"RayExample(X={np.asarray(pb.X).tolist()!r}, y={np.asarray(pb.y).tolist()!r}, "
                f"a={None if pb.a is None else np.asarray(pb.a).tolist()!r}, lam={pb.lam!r}, "
                f"activation={pb.activation!r}, train_outer={pb.train_outer}, width={pb.p}, "
                f"direction={self.direction.tolist()!r}, s={self.s!r}, tags={self.tags!r})")


def depth2_problem_to_dict(pb) -> dict:
    """A drawn Depth2Problem as plain JSON data (labels, lambda, activation, outer layer), for a counterexample.

    Not the harness's ``problem_to_dict``, which knows the softmax problems' arrays (X, W, Y) only.
    """
    out = {"X": np.asarray(pb.X).tolist(), "y": np.asarray(pb.y).tolist(), "lam": pb.lam,
           "activation": pb.activation, "outer layer": "trained" if pb.train_outer else "fixed",
           "shape (n, d, p)": [pb.n, pb.d, pb.p]}
    if pb.a is not None:
        out["a"] = np.asarray(pb.a).tolist()
    return out


def ray_to_dict(ex: RayExample) -> dict:
    return {**depth2_problem_to_dict(ex.problem), "direction": ex.direction.tolist(), "s": ex.s, **ex.tags}


def finite_floats(lo, hi):
    return st.floats(lo, hi, allow_nan=False, allow_infinity=False, allow_subnormal=False)


LEARNING_RATES = (1.0, 0.1, 0.01)


def directions(size: int):
    """Nonzero vectors of ``size`` entries in [-1, 1] (normalized where used): the first entry has
    magnitude >= 0.1, so that the zero vector, which has no direction, is never drawn."""
    first = st.tuples(st.sampled_from([1.0, -1.0]), finite_floats(0.1, 1.0)).map(lambda t: t[0] * t[1])
    return st.tuples(first, st.lists(finite_floats(-1, 1), min_size=size - 1, max_size=size - 1)).map(
        lambda t: np.array([t[0], *t[1]]))


@st.composite
def fixed_outer_rays(draw, activations=("sigmoid", "tanh"), max_n=6, max_d=3, max_p=4, log_lam=(-4.0, 0.0),
                     x_scale=(0.0, 0.0), duplicates=False):
    """A fixed-outer-layer problem (any data, any width) and a unit direction in W-space.

    ``x_scale``: the data are multiplied by ``10**e``, ``e`` drawn in this
    range; ``duplicates``: repeat drawn points with conflicting labels.
    """
    activation = draw(st.sampled_from(activations))
    n, d, p = draw(st.integers(1, max_n)), draw(st.integers(1, max_d)), draw(st.integers(1, max_p))
    X = np.array(draw(st.lists(finite_floats(-3, 3), min_size=n * d, max_size=n * d))).reshape(n, d)
    X = X * 10.0 ** draw(finite_floats(*x_scale)) if x_scale != (0.0, 0.0) else X
    y = np.array(draw(st.lists(st.sampled_from([-1.0, 1.0]), min_size=n, max_size=n)))
    if duplicates and draw(st.booleans()):
        X, y = np.vstack([X, X]), np.concatenate([y, -y])
    a = np.array(draw(st.lists(finite_floats(-2, 2), min_size=p, max_size=p)))
    lam = 10.0 ** draw(finite_floats(*log_lam))
    s = draw(st.sampled_from(LEARNING_RATES))
    U = draw(directions(d * p))
    pb = depth2.Depth2Problem(X, y, lam=lam, activation=activation, a=a)
    return RayExample(pb, U, s, {})


@st.composite
def trained_outer_rays(draw, activations=("tanh", "sigmoid"), max_n=6, max_d=3, max_p=3):
    """A trained-outer-layer problem and a direction ``(c_W U_W, u_a)`` in (W, a)-space.

    The ray moves in the outer weights only, in both blocks of parameters
    (``c_W`` in [0, 1] weighs the inner-weight part against the outer one),
    or in the inner weights only, as drawn: rays in a coordinate block are the
    degenerate directions (like rank-deficient data for the softmax
    strategies) that a draw of generic directions would almost never hit.
    The direction is normalized in the measure.
    """
    activation = draw(st.sampled_from(activations))
    n, d, p = draw(st.integers(1, max_n)), draw(st.integers(1, max_d)), draw(st.integers(1, max_p))
    X = np.array(draw(st.lists(finite_floats(-3, 3), min_size=n * d, max_size=n * d))).reshape(n, d)
    y = np.array(draw(st.lists(st.sampled_from([-1.0, 1.0]), min_size=n, max_size=n)))
    lam = 10.0 ** draw(finite_floats(-3.0, 0.0))
    s = draw(st.sampled_from((10.0,) + LEARNING_RATES))
    blocks = draw(st.sampled_from(("a only", "W and a", "W only")))
    c_W = draw(finite_floats(0.0, 1.0)) if blocks == "W and a" else float(blocks == "W only")
    U_W = draw(directions(d * p)) if c_W else np.zeros(d * p)
    u_a = draw(directions(p)) if blocks != "W only" else np.zeros(p)
    pb = depth2.Depth2Problem(X, y, lam=lam, activation=activation, width=p, train_outer=True)
    return RayExample(pb, np.concatenate([c_W * U_W, u_a]), s, {"blocks": blocks, "c_W": c_W})


@dataclass
class WidthExample:
    activation: str
    p: int

    def __repr__(self) -> str:
        return f"WidthExample(activation={self.activation!r}, p={self.p})"


@dataclass
class PointExample:
    """A problem (regularizer irrelevant) and a point theta = scale * U."""

    problem: depth2.Depth2Problem
    theta: np.ndarray

    def __repr__(self) -> str:
        pb = self.problem
        return (f"PointExample(X={np.asarray(pb.X).tolist()!r}, y={np.asarray(pb.y).tolist()!r}, "
                f"a={np.asarray(pb.a).tolist()!r}, activation={pb.activation!r}, theta={self.theta.tolist()!r})")


def point_to_dict(ex: PointExample) -> dict:
    return {**depth2_problem_to_dict(ex.problem), "theta": ex.theta.tolist()}


@st.composite
def data_loss_points(draw, activations=depth2.ACTIVATIONS, log_scale=(-2.0, 4.0), max_p=4):
    """The unregularized loss (lambda = 0) of a fixed-outer-layer net at a point of any size."""
    ex = draw(fixed_outer_rays(activations=activations, max_p=max_p))
    U = unit(ex.direction)
    U = np.eye(ex.problem.dim)[0] if U is None else U
    return PointExample(ex.problem.with_(lam=0.0), U * 10.0 ** draw(finite_floats(*log_scale)))


@st.composite
def balanced_trained_rays(draw, lam_factor=(0.5, 2.0), s_choices=LEARNING_RATES):
    """XOR-balanced data (each point also mirrored: sum_i y_i x_i = 0) and a ray W = 0, a = t u; lambda = r lambda*."""
    activation = draw(st.sampled_from(("sigmoid", "tanh")))
    m, d = draw(st.integers(1, 3)), draw(st.integers(1, 3))
    P = np.array(draw(st.lists(finite_floats(-3, 3), min_size=m * d, max_size=m * d))).reshape(m, d)
    labels = np.array(draw(st.lists(st.sampled_from([-1.0, 1.0]), min_size=m, max_size=m)))
    X, y = np.vstack([P, -P]), np.concatenate([labels, labels])
    p = draw(st.integers(2 if activation == "sigmoid" else 1, 4))
    u = np.array(draw(st.lists(finite_floats(-1, 1), min_size=p, max_size=p)))
    if activation == "sigmoid":
        u = u - u.mean()  # sigma(0) = 1/2: the output stays 0 only when sum u = 0
    s = draw(st.sampled_from(s_choices))
    r = draw(finite_floats(*lam_factor))
    mean_sq = float(np.mean(np.einsum("nd,nd->n", X, X)))
    lam = r * critical_lambda(activation, s, mean_sq)
    if lam <= 0:
        lam = 1e-3
    pb = depth2.Depth2Problem(X, y, lam=lam, activation=activation, width=p, train_outer=True)
    return RayExample(pb, np.concatenate([np.zeros(d * p), u]), s, {"lambda / lambda*": r})


@st.composite
def above_sufficient_threshold(draw):
    ex = draw(trained_outer_rays())
    pb = ex.problem
    _, B1, _ = depth2.BOUNDS[pb.activation]
    Bx = data_bounds(pb.X)["B_x"]
    r = draw(finite_floats(1.0, 3.0))
    lam = r * B1 * Bx * (1 + math.sqrt(ex.s) / 2) + 1e-3
    return RayExample(pb.with_(lam=lam), ex.direction, ex.s, {"lambda / sufficient": r})


@dataclass
class OneGateExample:
    problem: depth2.Depth2Problem

    def __repr__(self) -> str:
        pb = self.problem
        return (f"OneGateExample(x={np.asarray(pb.X)[:, 0].tolist()!r}, y={np.asarray(pb.y).tolist()!r}, "
                f"a={float(pb.a[0])!r}, lam={pb.lam!r}, activation={pb.activation!r})")


@st.composite
def one_gate_problems(draw):
    """One gate, one feature, fixed a: |x_i| in [0.1, 3], a in [0.5, 3], lambda in [10^-2.5, 10^-1]."""
    n = draw(st.integers(2, 6))
    mags = np.array(draw(st.lists(finite_floats(0.1, 3.0), min_size=n, max_size=n)))
    signs = np.array(draw(st.lists(st.sampled_from([-1.0, 1.0]), min_size=n, max_size=n)))
    y = np.array(draw(st.lists(st.sampled_from([-1.0, 1.0]), min_size=n, max_size=n)))
    a = draw(finite_floats(0.5, 3.0))
    lam = 10.0 ** draw(finite_floats(-2.5, -1.0))
    act = draw(st.sampled_from(("tanh", "sigmoid")))
    return OneGateExample(depth2.Depth2Problem((mags * signs)[:, None], y, lam=lam, activation=act, a=np.array([a])))


@st.composite
def f3_examples(draw):
    """Any lambda in [1e-3, 1e2], XOR-balanced data, and s = 4 s*(lambda), four times the critical learning rate."""
    ex = draw(balanced_trained_rays(lam_factor=(1.0, 1.0), s_choices=(1.0,)))
    lam = 10.0 ** draw(finite_floats(-3.0, 2.0))
    pb = ex.problem
    X = np.asarray(pb.X)
    mean_sq = float(np.mean(np.einsum("nd,nd->n", X, X)))
    s_star = (2 * lam / depth2.AT_ZERO[pb.activation][1]) ** 2 / max(mean_sq, tol.DEPTH2_F3_MIN_MEAN_SQ)
    return RayExample(pb.with_(lam=lam), ex.direction, 4.0 * s_star, {"s / s*": 4.0, "mean ||x||^2": mean_sq})

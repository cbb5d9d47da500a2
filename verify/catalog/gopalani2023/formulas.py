"""The quantities the depth-2 claims measure, and the catalog's closed-form bounds on them.

* :func:`villani`: the Villani quantity ``V_s = ||grad L~||^2 / s - Laplacian L~``
  of the reference implementation; :func:`rounding` and
  :func:`villani_rounding`: the float64 rounding of loss, gradient,
  Laplacian, Hessian entries and ``V_s``, from the bounds derived in
  :mod:`verify.catalog.gopalani2023.tolerances`;
* the constants of D1 (:func:`gradient_bound`, :func:`laplacian_bound`,
  :func:`ray_ratio_bound`), D2 (:func:`hessian_bound` ``beta``,
  :func:`negative_curvature_bound`) and D3 (:func:`trained_ray_formula`,
  :func:`critical_lambda`, :func:`sufficient_lower_bound`);
* :func:`unit` and :func:`ray_times`: where along a ray ``V_s`` is evaluated.
"""

from __future__ import annotations

import math

import numpy as np

from impls import depth2
from impls.depth2 import activations as d2act

from . import tolerances as tol

REFERENCE = "numpy"


def objective():
    """The reference depth-2 implementation (batched NumPy)."""
    return depth2.get(REFERENCE)


def villani(problem, theta, s: float) -> float:
    """``V_s(theta) = ||grad L~||^2 / s - Laplacian L~`` in float64 (reference implementation)."""
    obj = objective()
    g = obj.grad(theta, problem)
    return float(g @ g / s - obj.laplacian(theta, problem))


def rounding(problem, theta) -> dict:
    """Bounds on the float64 rounding errors of loss, gradient (2-norm), Laplacian and Hessian entries at ``theta``.

    ``verify.catalog.gopalani2023.tolerances.depth2_rounding_bounds`` of the intermediates,
    recomputed here with the stable activations of ``impls.depth2``.
    """
    pb = problem
    theta = np.asarray(theta, dtype=np.float64)
    W, a = pb.unpack(theta)
    X = np.asarray(pb.X, dtype=np.float64)
    S, S1, S2 = d2act.activation(pb.activation, X @ W)
    l0, l1, l2 = d2act.logistic(pb.y * (S @ a))
    parts = {"W": W, "S": S, "S1": S1, "S2": S2, "l0": l0, "l1": l1, "l2": l2}
    return tol.depth2_rounding_bounds(X, pb.y, a, theta, pb.lam, pb.train_outer, parts,
                                      depth2.BOUNDS[pb.activation], tol.DEPTH2_THIRD_DERIVATIVE[pb.activation])


def villani_rounding(problem, theta, s: float) -> float:
    """Bound on the float rounding error of ``V_s`` (``verify.catalog.gopalani2023.tolerances.depth2_villani_rounding``)."""
    g = float(np.linalg.norm(objective().grad(theta, problem)))
    return tol.depth2_villani_rounding(g, rounding(problem, theta), s)


def data_bounds(X) -> dict:
    """``B_x = max ||x_i||`` and ``mean ||x_i||^2``."""
    sq = np.einsum("nd,nd->n", np.asarray(X, dtype=np.float64), np.asarray(X, dtype=np.float64))
    return {"B_x": float(np.sqrt(sq.max())), "mean_sq": float(sq.mean())}


def gradient_bound(problem) -> float:
    """D1: ``||grad L|| <= ||a||_2 B1 B_x`` (outer layer fixed)."""
    return float(np.linalg.norm(problem.a)) * depth2.BOUNDS[problem.activation][1] * data_bounds(problem.X)["B_x"]


def laplacian_bound(problem) -> float:
    """D1: ``|Laplacian L| <= B_x^2 ((1/4) ||a||_2^2 B1^2 + ||a||_1 B2)`` (outer layer fixed)."""
    _, B1, B2 = depth2.BOUNDS[problem.activation]
    a = np.asarray(problem.a, dtype=np.float64)
    return data_bounds(problem.X)["B_x"] ** 2 * (0.25 * float(a @ a) * B1**2 + float(np.abs(a).sum()) * B2)


def hessian_bound(problem) -> float:
    """D2: ``beta = mean ||x_i||^2 ((1/4) ||a||_2^2 B1^2 + ||a||_inf B2)`` bounds ``||Hessian of L||_op``."""
    _, B1, B2 = depth2.BOUNDS[problem.activation]
    a = np.asarray(problem.a, dtype=np.float64)
    return data_bounds(problem.X)["mean_sq"] * (0.25 * float(a @ a) * B1**2 + float(np.abs(a).max()) * B2)


def negative_curvature_bound(problem) -> float:
    """[D] ``lambda_min(Hessian of L) >= -||a||_inf B2 ||X^T X / n||_op``.

    The Hessian is ``(1/n) sum_i [l'' grad f_i grad f_i^T + l' y_i grad^2 f_i]``;
    the first part is PSD, and ``grad^2 f_i`` is block diagonal over gates with
    blocks ``a_k sigma''(u_ik) x_i x_i^T``, each ``>= -|a_k| B2 x_i x_i^T``
    (``|l'| <= 1``). So ``L~`` is strongly convex once ``lam`` exceeds this,
    a bound that involves ``||a||_inf`` only, not ``||a||_2``.
    """
    X = np.asarray(problem.X, dtype=np.float64)
    return float(np.abs(problem.a).max()) * depth2.BOUNDS[problem.activation][2] * float(np.linalg.eigvalsh(X.T @ X / X.shape[0])[-1])


def ray_ratio_bound(problem, t: float, s: float) -> float:
    """D1: ``|V_s(t U) s / (lam t)^2 - 1|`` for a unit U, from ``||grad L|| <= G`` and ``|Laplacian L| <= Lambda``.

    ``||grad L~|| = ||lam theta + grad L|| in [lam t - G, lam t + G]`` and
    ``Laplacian L~ = Laplacian L + lam dim``, so
    ``|V_s s / (lam t)^2 - 1| <= (2 lam t G + G^2 + s (Lambda + lam dim)) / (lam t)^2``
    (for ``lam t >= G``).
    """
    G, Lam, lam = gradient_bound(problem), laplacian_bound(problem), problem.lam
    return (2 * lam * t * G + G * G + s * (Lam + lam * problem.dim)) / (lam * t) ** 2


def unit(v) -> np.ndarray | None:
    """``v / ||v||``, or None for a (numerically) zero vector."""
    v = np.asarray(v, dtype=np.float64)
    norm = float(np.linalg.norm(v))
    return None if not np.isfinite(norm) or norm < 1e-6 else v / norm


def ray_times(problem, s: float) -> np.ndarray:
    """``t`` at which the D1 ratio bound is below 1/2 and then 10 and 100 times further out.

    The bound ``(2 lam t G + G^2 + s (Lambda + lam dim)) / (lam t)^2 <= 1/2`` holds for
    ``lam t >= 5 (G + sqrt(s (Lambda + lam dim)))``.
    """
    base = 5.0 * (gradient_bound(problem) + math.sqrt(s * (laplacian_bound(problem) + problem.lam * problem.dim))) / problem.lam
    return base * np.array([1.0, 10.0, 100.0])


def trained_ray_formula(problem, t: float, u, s: float) -> tuple[float, float]:
    """Exact ``V_s`` on the ray ``W = 0, a = t u`` (unit u, and ``sigma(0) sum u = 0``), and the rounding of its terms.

    With ``sigma_0, sigma_1 = sigma(0), sigma'(0)`` (``sigma''(0) = 0``),
    ``m_yx = (1/n) sum y_i x_i`` and ``ybar = mean y``:
    ``V_s = [lam^2 t^2 + t^2 sigma_1^2 ||m_yx||^2/4 + p sigma_0^2 ybar^2/4] / s
    - t^2 sigma_1^2 mean||x||^2 / 4 - p sigma_0^2 / 4 - lam (d p + p)``.
    """
    s0, s1, _ = depth2.AT_ZERO[problem.activation]
    u = np.asarray(u, dtype=np.float64)
    if abs(float(u @ u) - 1.0) > 1e-12 or abs(s0 * float(u.sum())) > 1e-12:
        raise ValueError("u: the formula needs a unit u with sigma(0) sum(u) = 0 (the output is then 0 on the ray)")
    X = np.asarray(problem.X, dtype=np.float64)
    myx = X.T @ problem.y / problem.n
    ybar = float(np.mean(problem.y))
    m2 = float(np.mean(np.einsum("nd,nd->n", X, X)))
    lam, p, d = problem.lam, problem.p, problem.d
    terms = [(lam * t) ** 2 / s, t * t * s1**2 * float(myx @ myx) / (4 * s), p * s0**2 * ybar**2 / (4 * s),
             -t * t * s1**2 * m2 / 4, -p * s0**2 / 4, -lam * (d * p + p)]
    return float(sum(terms)), tol.DEPTH2_EPS64 * (problem.n + problem.d + 8) * sum(abs(x) for x in terms)


def critical_lambda(activation: str, s: float, mean_sq: float) -> float:
    """D3: (V3) fails along the ray below ``lambda* = sigma'(0) sqrt(s mean||x||^2) / 2`` (XOR-balanced data)."""
    return depth2.AT_ZERO[activation][1] * math.sqrt(s * mean_sq) / 2.0


def sufficient_lower_bound(problem, t: float, s: float) -> float:
    """D3's lower bound on V_s at ``||theta|| = t`` (trained outer layer), valid when ``(lam - B1 B_x) t >= sqrt(p) B_sigma``:
    ``((lam - B1 B_x) t - sqrt(p) B_s)^2 / s - p B_s^2/4 - B_x^2 (t^2 B1^2/4 + sqrt(p) t B2) - lam dim``."""
    Bs, B1, B2 = depth2.BOUNDS[problem.activation]
    Bx = data_bounds(problem.X)["B_x"]
    p, lam = problem.p, problem.lam
    base = (lam - B1 * Bx) * t - math.sqrt(p) * Bs
    return base * base / s - p * Bs * Bs / 4 - Bx * Bx * (t * t * B1 * B1 / 4 + math.sqrt(p) * t * B2) - lam * problem.dim

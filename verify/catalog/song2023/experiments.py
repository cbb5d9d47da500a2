"""The experiments behind the ResNet-softmax claims: the approximate Newton runs (C7, C9) and the sampled tables.

The Newton examples are regularised problems with their minimiser x* and
the constants of the (l, M)-good definition (catalog C9): the catalog's
setting (n = 6, d = 3, R = 0.8, section 4.6) and a large one (n = 20000)
on which the leverage-score sampling of ``verify.catalog.song2023.newton``
actually drops rows. ``newton_experiment`` runs the method from starts on
the sphere ||x_0 - x*|| = r0, once for C7 and C9 together (cached). The
sampled tables (sup ||B|| against C_D, the smallest alpha found by random
sampling, the softmax-Jacobian pitfall, the blow-up path of the Hessian)
are measurements the claims report beside their verdicts; no verdict rests
on them.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from functools import cache

import numpy as np
import sympy

from . import tolerances as tol
from .formulas import (
    basis_vector,
    beta_star,
    derived_curvature_bound,
    evaluate,
    implementation,
    lambda_min,
    lemma_factor,
    spectral_norm,
    sqrt_psd,
)
from .newton import approximate_newton, generalized_eigenvalues, newton, sparsify_diagonal
from .problems import solve_first_coordinate

# budget: Newton starts per eps0 on the catalog example, on the sphere ||x_0 - x*|| = r0 (a run takes milliseconds;
# thorough widens the sphere's coverage)
NEWTON_STARTS_BUDGET = 4
NEWTON_STARTS_BUDGET_THOROUGH = 20
# budget: starts on the large example (every step samples a 20000-row sparsifier)
LARGE_STARTS_BUDGET = 1
LARGE_STARTS_BUDGET_THOROUGH = 3


# --------------------------------------------------------------------------
# Sampled tables
# --------------------------------------------------------------------------


def random_ball_point(rng, n: int, d_max: int, R: float) -> tuple[np.ndarray, np.ndarray]:
    """``(A, x)``: d uniform in [1, d_max], A Gaussian rescaled to ||A|| = R, x uniform in the ball ||x|| <= R."""
    d = int(rng.integers(1, d_max + 1))
    A = rng.normal(size=(n, d))
    A *= R / spectral_norm(A)
    x = rng.normal(size=d)
    x *= R * rng.random() ** (1 / d) / np.linalg.norm(x)
    return A, x


def softmax_style_gradient_error(samples: int = 200, seed: int = 48) -> dict:
    """The pitfall of C2 / flag 9: the softmax Jacobian diag(f) - f f^T in place of diag(h) - f h^T (relative gradient error)."""
    rng = np.random.default_rng(seed)
    rs = implementation()
    errors = []
    for _ in range(samples):
        n, d = int(rng.integers(2, 7)), int(rng.integers(1, 5))
        A = rng.normal(size=(n, d))
        A *= 0.7 / spectral_norm(A)
        x = rng.normal(size=d)
        x *= 0.7 * rng.random() / np.linalg.norm(x)
        b = rng.dirichlet(np.ones(n))
        g = evaluate(rs.grad, x, A, b)
        if g is None or np.linalg.norm(g) == 0:
            continue
        f = rs.f(x, A)
        wrong = A.T @ ((np.diag(f) - np.outer(f, f)) @ (f - b))
        errors.append(float(np.linalg.norm(wrong - g) / np.linalg.norm(g)))
    return {"points": len(errors), "median relative error": float(np.median(errors)), "max relative error": float(np.max(errors)),
            "earlier run (one point)": 0.537}


def sampled_curvature(n: int, R: float, samples: int, seed: int) -> dict:
    """Sampled sup ||B|| and min eig(B) over the domain (b = e_1), against C_D: a lower bound on the paper's C."""
    rng = np.random.default_rng(seed)
    rs = implementation()
    norms, mins = [], []
    for _ in range(samples):
        A, x = random_ball_point(rng, n, 3, R)
        b = basis_vector(n)
        B = evaluate(rs.B, x, A, b)
        if B is not None:
            norms.append(spectral_norm(B))
            mins.append(lambda_min(B))
    beta = beta_star(n, R)
    return {"n": n, "R": R, "beta*": beta, "sampled max ||B||": max(norms), "sampled min eig(B)": min(mins),
            "C_D": derived_curvature_bound(n, R, beta), "samples": len(norms)}


def blow_up_path(levels) -> list:
    """||Hess L_exp|| along the catalog's path A = I_2, b = e_1, x_2 = -0.3, x_1 solving alpha(x) = level."""
    rs = implementation()
    rows = []
    for level in levels:
        x1 = solve_first_coordinate(math.exp(-0.3) - 0.3, level)
        x = np.array([x1, -0.3])
        H = evaluate(rs.hessian, x, np.eye(2), np.eye(2)[0])
        if H is not None:
            rows.append({"alpha": float(rs.alpha(x, np.eye(2))), "||x||": float(np.linalg.norm(x)), "||Hess L_exp||": spectral_norm(H),
                         "||grad||": float(np.linalg.norm(rs.grad(x, np.eye(2), np.eye(2)[0])))})
    return rows


def extremal_alpha(n: int, R: float, t: float = 1.0) -> float:
    """alpha at the extremal construction A = (R / sqrt n) 1 e_1^T, x = -t R e_1 (computed by the implementation)."""
    A = np.zeros((n, 1))
    A[:, 0] = R / math.sqrt(n)
    return float(implementation().alpha(np.array([-t * R]), A))


def random_minimum(n: int, R: float, samples: int, seed: int) -> float:
    """Smallest alpha over uniformly random A (||A|| = R) and x (||x|| <= R): what random sampling alone finds."""
    rng = np.random.default_rng(seed)
    best = math.inf
    for _ in range(samples):
        A, x = random_ball_point(rng, n, 4, R)
        best = min(best, float(np.sum(np.exp(A @ x) + A @ x)))
    return best


def catalog_indefinite_points() -> dict:
    """The catalog's explicit points of C5, recomputed: the indefinite Hessian at A = I_2, b = e_1, x = 0, its exact
    value L''(0) = -1/4 at d = 1 (SymPy, exact inputs), and lambda_min ~ -1.7e8 at a point of the unit ball near
    alpha = 0 for three fixed weights."""
    rs = implementation()
    H0 = rs.hessian(np.zeros(2), np.eye(2), np.eye(2)[0])
    exact = implementation("sympy").hessian(np.array([0], dtype=object), np.array([[0], [1]], dtype=object),
                                            np.array([1, 0], dtype=object))
    grid_point = np.array([-0.95, -0.23])
    catalog_grid = {f"w_i^2 = {w2:g}": lambda_min(rs.hessian(grid_point, np.eye(2), basis_vector(2), np.full(2, math.sqrt(w2))))
                    for w2 in (1e2, 1e4, 1e6)}
    return {
        "grid point x = (-0.95, -0.23), A = I_2, b = e_1 (alpha, lambda_min)": {
            "alpha": float(rs.alpha(grid_point, np.eye(2))), **catalog_grid, "earlier run": [-1.6634e8, -1.6633e8, -1.6534e8]},
        "A = I_2, b = e_1, x = 0": {"Hess L_exp": H0.tolist(), "eigenvalues": np.linalg.eigvalsh(H0).tolist(),
                                    "earlier run": [-0.401388, 1.401388]},
        "d = 1, A = [0; 1], b = e_1, x = 0: L''(0) exactly (SymPy)": str(sympy.nsimplify(exact[0, 0])),
    }


# --------------------------------------------------------------------------
# Heavy-tailed problems (C7's large example, C8)
# --------------------------------------------------------------------------


def heavy_tailed_matrix(rng, n: int, d: int, norm: float = 0.8) -> np.ndarray:
    """Gaussian rows scaled by Pareto(1.5) + 1 (a few rows carry most of the leverage), rescaled to ||A|| = norm."""
    A = rng.normal(size=(n, d)) * (rng.pareto(1.5, size=n) + 1)[:, None]
    A *= norm / spectral_norm(A)
    return A


def covering_weights(B_diag, margin: float) -> np.ndarray:
    """w with w_i^2 = max(0, -min B_diag) + margin, so that D = B_diag + w^2 >= margin > 0 (the sparsifier needs D >= 0)."""
    return np.full(len(B_diag), math.sqrt(max(0.0, -float(B_diag.min())) + margin))


def heavy_tailed_sparsifier_problem(n: int, d: int, seed: int):
    """C8's problem: a heavy-tailed A, a point x with ||x|| ~ 0.3, b = e_1, w covering B_diag by 0.01."""
    rng = np.random.default_rng(seed)
    A = heavy_tailed_matrix(rng, n, d)
    x = 0.3 * rng.normal(size=d) / math.sqrt(d)
    b = basis_vector(n)
    B_diag = implementation().B_diag(x, A, b)
    return A, x, b, covering_weights(B_diag, 0.01), B_diag


def sparsifier_trials(A, D, H, low_rank, eps0: float, delta: float, trials: int) -> dict:
    """C8's experiment: ``trials`` seeded samplings D~ of the diagonal D, each compared with A^T D A and, with the rank-2
    part ``low_rank`` added exactly, with the Hessian H; every generalized eigenvalue with its rounding slack.

    Returns the per-trial ``deviations`` max |lambda(A^T D~ A, A^T D A) - 1|, the ``failures`` (deviation > eps0
    beyond rounding), the rows kept (``nnz``), the ``hessian range`` of lambda(H~, H) over all trials (moved inward by
    its rounding) and ``kappa = lambda_max(H^-1 A^T D A)``.
    """
    n = A.shape[0]
    M = A.T @ (D[:, None] * A)
    scale = np.abs(A).T @ (np.abs(D)[:, None] * np.abs(A))
    deviations, nnz, failures, hessian_range = [], [], 0, [math.inf, -math.inf]
    for t in range(trials):
        sampled = sparsify_diagonal(A, D, eps0, delta, rng=t)
        Mt = A.T @ (sampled.weights[:, None] * A)
        scale_t = np.abs(A).T @ (sampled.weights[:, None] * np.abs(A))
        lam = generalized_eigenvalues(Mt, M)
        slack = tol.resnet_generalized_eigenvalue_tolerance(M, Mt, n, scale, scale_t)
        deviation = float(np.max(np.abs(lam - 1)))
        deviations.append(deviation)
        failures += deviation > eps0 + slack
        nnz.append(sampled.nnz)
        lam_H = generalized_eigenvalues(low_rank + Mt, H)
        slack_H = tol.resnet_generalized_eigenvalue_tolerance(H, low_rank + Mt, n, scale, scale_t)
        hessian_range = [min(hessian_range[0], float(lam_H[0]) + slack_H), max(hessian_range[1], float(lam_H[-1]) - slack_H)]
    return {"deviations": deviations, "failures": failures, "nnz": nnz, "hessian range": hessian_range,
            "kappa": float(np.max(generalized_eigenvalues(M, H)))}


# --------------------------------------------------------------------------
# The approximate Newton experiment (C7, C9)
# --------------------------------------------------------------------------


@dataclass
class NewtonExample:
    """A regularised problem with its minimiser and the constants of the (l, M)-good definition."""

    name: str
    A: np.ndarray
    b: np.ndarray
    w: np.ndarray
    R: float
    x_star: np.ndarray
    l: float
    M: float
    r0: float
    minimiser_error: float
    notes: dict = field(default_factory=dict)

    @property
    def H_star(self) -> np.ndarray:
        return np.asarray(implementation().hessian(self.x_star, self.A, self.b, self.w), dtype=np.float64)

    def describe(self) -> dict:
        return {"name": self.name, "n": self.A.shape[0], "d": self.A.shape[1], "R": self.R, "||A||": spectral_norm(self.A),
                "w_i^2": float(self.w[0] ** 2), "||x*||": float(np.linalg.norm(self.x_star)), "l = lambda_min(H(x*))": self.l,
                "M (sampled, a lower estimate)": self.M, "r0 = min(0.1 l / M, R / 2)": self.r0, "||x* computed - x*|| <=": self.minimiser_error,
                **self.notes}


def _sphere_points(rng, count: int, d: int, radius: float) -> np.ndarray:
    X = rng.normal(size=(count, d))
    return X * (radius * rng.random(count) ** (1 / d) / np.linalg.norm(X, axis=1))[:, None]


def _finish_example(name, A, b, w, R, rng, lipschitz_radius: float, pairs: int, notes) -> NewtonExample:
    rs = implementation()
    run = newton(rs, np.zeros(A.shape[1]), A, b, w)
    if not run.converged:
        raise RuntimeError(f"{name}: Newton's method did not find the minimiser ({run.message})")
    x_star = run.x
    H = np.asarray(rs.hessian(x_star, A, b, w), dtype=np.float64)
    level = lambda_min(H)
    err = tol.resnet_minimiser_error(H, rs.grad(x_star, A, b, w), tol.resnet_value_tolerances(x_star, A, b, w)["grad"])
    P, Q = _sphere_points(rng, pairs, A.shape[1], lipschitz_radius), _sphere_points(rng, pairs, A.shape[1], lipschitz_radius)
    M = 0.0
    for p, q in zip(P, Q):
        Hp, Hq = rs.hessian(x_star + p, A, b, w), rs.hessian(x_star + q, A, b, w)
        M = max(M, spectral_norm(Hp - Hq) / float(np.linalg.norm(p - q)))
    # r0 = 0.1 l / M is the largest start the (l, M)-good definition allows; it is capped at R / 2 so that
    # a nearly quadratic problem (tiny M) still starts inside the ball.
    return NewtonExample(name, A, b, w, R, x_star, level, M, min(0.1 * level / M, R / 2), err, notes)


@cache
def catalog_newton_example(seed: int = 1) -> NewtonExample:
    """The catalog's setting (C7, section 4.6): n = 6, d = 3, ||A|| = R = 0.8, b = e_1, w_i^2 = sampled sup ||B|| + l_w / sigma_min(A)^2.

    The catalog's own A is not recorded; this one is seeded. ``l_w = 0.05``
    is the curvature level the weights are built for; ``l`` is then measured
    as lambda_min(H(x*)). M is the largest ratio ||H(x) - H(y)|| / ||x - y||
    over 1500 sampled pairs within 0.3 of x*: a lower estimate of the true
    local constant, which makes every check that uses it stricter.
    """
    rng = np.random.default_rng(seed)
    n, d, R = 6, 3, 0.8
    A = rng.normal(size=(n, d))
    A *= R / spectral_norm(A)
    b = basis_vector(n)
    rs = implementation()
    sup_B = max(spectral_norm(rs.B(x, A, b)) for x in _sphere_points(rng, 4000, d, R))
    sigma_min = float(np.linalg.svd(A, compute_uv=False)[-1])
    w = np.full(n, math.sqrt(sup_B + 0.05 / sigma_min**2))
    return _finish_example("worked example (n = 6, d = 3, R = 0.8)", A, b, w, R, rng, 0.3, 1500,
                           {"sampled sup ||B||": sup_B, "sigma_min(A)": sigma_min, "random seed": seed,
                            "earlier run": {"w_i^2": 0.6839, "l": 0.11090, "M": 0.06206, "r0": 0.1787}})


@cache
def large_newton_example(n: int = 20000, d: int = 3, seed: int = 7) -> NewtonExample:
    """A larger problem on which the sparsifier actually drops rows: heavy-tailed row norms (Pareto), ||A|| = 0.8, b = e_1."""
    rng = np.random.default_rng(seed)
    A = heavy_tailed_matrix(rng, n, d)
    b = basis_vector(n)
    w = covering_weights(implementation().B_diag(np.zeros(d), A, b), 1.0)
    return _finish_example(f"large example (n = {n}, d = {d})", A, b, w, 0.8, rng, 0.3, 200, {"random seed": seed})


def whitened_approximation(E):
    """``H~ = H^1/2 (I + E) H^1/2``: satisfies (1 - ||E||) H <= H~ <= (1 + ||E||) H (E symmetric)."""

    def approximation(x, H):
        vals, vecs = np.linalg.eigh(H)
        S = (vecs * np.sqrt(vals)) @ vecs.T
        return S @ (np.eye(H.shape[0]) + (E() if callable(E) else E)) @ S

    return approximation


def random_symmetric(rng, d: int, norm: float) -> np.ndarray:
    E = rng.normal(size=(d, d))
    E = E + E.T
    return E * (norm / spectral_norm(E))


@cache
def newton_experiment(thorough: bool) -> dict:
    """The runs behind C7 and C9 (cached: both claims read them)."""
    ex = catalog_newton_example()
    rs = implementation()
    rng = np.random.default_rng(2023)
    d = ex.A.shape[1]
    starts = [v / np.linalg.norm(v) for v in rng.normal(size=(NEWTON_STARTS_BUDGET_THOROUGH if thorough else NEWTON_STARTS_BUDGET, d))]
    runs = []
    for eps0 in (0.01, 0.05):
        for k, v in enumerate(starts):
            run = approximate_newton(rs, ex.x_star + ex.r0 * v, ex.A, ex.b, ex.w, eps0=eps0, delta=0.01,
                                     x_star=ex.x_star, rng=1000 + k)
            runs.append({"kind": "sparsified", "eps0": eps0, "start": k, "run": run})
    for eps0 in (0.01, 0.1):
        for k, v in enumerate(starts):
            draw = np.random.default_rng(k)
            fresh_error = lambda draw=draw, eps0=eps0: random_symmetric(draw, d, eps0)  # a new E at every step
            run = approximate_newton(rs, ex.x_star + ex.r0 * v, ex.A, ex.b, ex.w, eps0=eps0, x_star=ex.x_star,
                                     approximation=whitened_approximation(fresh_error))
            runs.append({"kind": "random E", "eps0": eps0, "start": k, "run": run})
    large = large_newton_example()
    big = []
    for k in range(LARGE_STARTS_BUDGET_THOROUGH if thorough else LARGE_STARTS_BUDGET):
        v = np.random.default_rng(50 + k).normal(size=large.A.shape[1])
        run = approximate_newton(rs, large.x_star + large.r0 * v / np.linalg.norm(v), large.A, large.b, large.w,
                                 eps0=0.1, delta=0.01, x_star=large.x_star, rng=77 + k)
        big.append({"kind": "sparsified (large)", "eps0": 0.1, "start": k, "run": run})
    return {"example": ex, "runs": runs, "large": large, "large_runs": big}


def distance_to_tolerance(run_distances, target: float) -> int | None:
    """The first step whose distance is below ``target`` (None if never)."""
    for t, r in enumerate(run_distances):
        if r is not None and r < target:
            return t
    return None


def step_distances(ex: NewtonExample, x0: np.ndarray, x1: np.ndarray, S: np.ndarray) -> dict:
    """``r0, r1`` (2-norm) and ``h0, h1`` (the norm ||S v||, S = H(x0)^1/2) of x0 - x*, x1 - x*, and ||S||."""
    e0, e1 = x0 - ex.x_star, x1 - ex.x_star
    return {"r0": float(np.linalg.norm(e0)), "r1": float(np.linalg.norm(e1)),
            "h0": float(np.linalg.norm(S @ e0)), "h1": float(np.linalg.norm(S @ e1)), "norm S": spectral_norm(S)}


def one_step(ex: NewtonExample, x0: np.ndarray, E: np.ndarray) -> dict:
    """One approximate Newton step from x0 with H~ = H(x0)^1/2 (I + E) H(x0)^1/2; distances in the 2-norm and in H(x0)'s norm."""
    rs = implementation()
    H0 = np.asarray(rs.hessian(x0, ex.A, ex.b, ex.w), dtype=np.float64)
    S, _, _ = sqrt_psd(H0)
    H_tilde = S @ (np.eye(len(x0)) + E) @ S
    x1 = x0 - np.linalg.solve(H_tilde, rs.grad(x0, ex.A, ex.b, ex.w))
    return step_distances(ex, x0, x1, S)


def worst_finite_step(ex: NewtonExample, E: np.ndarray) -> dict:
    """The largest 2-norm contraction of one step with H~ = H^1/2 (I + E) H^1/2 from x* + 1e-4 r0 v, over the
    eigenvectors v of H(x*) (both signs), with the lemma's factor for the sampled M beside it (C9, for the report)."""
    _, vecs = np.linalg.eigh(ex.H_star)
    worst = None
    for v in list(vecs.T) + list(-vecs.T):
        step = one_step(ex, ex.x_star + 1e-4 * ex.r0 * v, E)
        if worst is None or step["r1"] / step["r0"] > worst["ratio"]:
            worst = {"ratio": step["r1"] / step["r0"], "bound with the sampled M": lemma_factor(spectral_norm(E), step["r0"], ex.M, ex.l),
                     "r_t": step["r0"], "direction": v.tolist()}
    return worst

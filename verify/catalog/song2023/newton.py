"""The approximate Newton method of the ResNet-softmax regression (Song, Wang, Yin; the family's template).

The Hessian is ``H(x) = A^T (B(x) + W^2) A`` with ``B = B_rank + diag(B_diag)``
(catalog C4). The approximate Newton step keeps the rank <= 2 part exact
and sparsifies only the diagonal part ``D = B_diag + w^2`` (which must be
>= 0 entrywise) by leverage-score sampling (catalog C8):

.. math:: \\tilde H = \\gamma (A^T h)(A^T h)^T - (A^T q)(A^T h)^T - (A^T h)(A^T q)^T
          + A^T \\tilde D A, \\qquad x_{t+1} = x_t - \\tilde H^{-1} \\nabla L(x_t).

>>> import numpy as np
>>> from impls import resnet_softmax
>>> from verify.catalog.song2023.newton import approximate_newton
>>> rng = np.random.default_rng(0)
>>> A = 0.3 * rng.normal(size=(50, 3)); b = np.eye(50)[0]; w = np.full(50, 1.0)
>>> run = approximate_newton(resnet_softmax.get("numpy"), np.zeros(3), A, b, w, eps0=0.05, rng=1)
>>> run.converged
True

Each step records the gradient norm, alpha, the number of sampled rows,
the realised approximation quality ``eps_t`` (``(1 - eps_t) H <= H~ <=
(1 + eps_t) H``), and the distance to ``x_star`` when one is given.

References: the sparsifier is leverage-score sampling (Spielman and
Srivastava 2011; Woodruff, *Sketching as a Tool for Numerical Linear
Algebra*, 2014, sec. 2.4) with the matrix Chernoff bound of Tropp,
"User-friendly tail bounds for sums of random matrices" (2012), Thm. 1.1.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
from scipy.linalg import eigh as scipy_eigh

from impls.resnet_softmax import LossUndefinedError

# --------------------------------------------------------------------------
# The sparsifier
# --------------------------------------------------------------------------

# Matrix Chernoff (Tropp 2012, Thm. 1.1, in the simplified forms
# exp(-e^2 mu / 2R) below and exp(-e^2 mu / 3R) above, valid for e <= 1):
# whitened by (A^T D A)^-1/2, the sampled matrix is a sum of independent
# terms v_i v_i^T xi_i / p_i with E = I, ||v_i||^2 = sigma_i the leverage
# score of row i of D^1/2 A, and each term of norm <= sigma_i / p_i <=
# 1 / OVERSAMPLING (rows kept with p_i = 1 are split into deterministic
# copies of that norm). Failure probability <= 2 d exp(-e^2 k / 3) for
# k = OVERSAMPLING, which is <= delta for k = 3 ln(2 d / delta) / e^2.
CHERNOFF_COEF = 3.0


def sampling_rate(d: int, eps: float, delta: float) -> float:
    """The oversampling ``k = 3 ln(2 d / delta) / eps^2``: row i is kept with probability ``min(1, k sigma_i)``."""
    if not 0 < eps <= 1:
        raise ValueError(f"eps: the Chernoff bound used needs 0 < eps <= 1, got {eps!r}")
    if not 0 < delta < 1:
        raise ValueError(f"delta: expected a failure probability in (0, 1), got {delta!r}")
    return CHERNOFF_COEF * math.log(2 * d / delta) / eps**2


def leverage_scores(A, D) -> np.ndarray:
    """Leverage scores of the rows of ``diag(D)^1/2 A``, shape (n,).

    ``sigma_i = ||U_i||^2`` for the left singular vectors ``U`` of the
    numerical range (singular values above ``max(n, d) eps s_max``); they sum
    to the rank. Computed exactly by an SVD, O(n d^2); the family's
    O(nnz(A) + d^omega) bound needs approximate scores from a sketch, which
    only changes the constant of the sampling rate.
    """
    A = np.asarray(A, dtype=np.float64)
    D = np.asarray(D, dtype=np.float64)
    if np.any(D < 0):
        raise ValueError(f"D: has negative entries (min {D.min():.3g}); the sparsifier needs a nonnegative diagonal")
    M = np.sqrt(D)[:, None] * A
    U, s, _ = np.linalg.svd(M, full_matrices=False)
    if s.size == 0 or s[0] == 0:
        return np.zeros(A.shape[0])
    keep = s > max(M.shape) * np.finfo(np.float64).eps * s[0]
    return np.sum(U[:, keep] ** 2, axis=1)


@dataclass
class SparsifiedDiagonal:
    """The sampled diagonal ``D~`` (zero on rows not sampled) and how it was drawn."""

    weights: np.ndarray
    probabilities: np.ndarray
    oversampling: float

    @property
    def nnz(self) -> int:
        return int(np.count_nonzero(self.weights))


def sparsify_diagonal(A, D, eps: float, delta: float, rng=None) -> SparsifiedDiagonal:
    """Leverage-score sampling of a nonnegative diagonal.

    Parameters
    ----------
    A : array of shape (n, d)
    D : array of shape (n,), entries >= 0
    eps, delta : accuracy and failure probability: with probability
        ``>= 1 - delta``, ``(1 - eps) A^T D A <= A^T D~ A <= (1 + eps) A^T D A``.
    rng : numpy Generator or seed

    Returns
    -------
    SparsifiedDiagonal
        ``D~_i = D_i / p_i`` with probability ``p_i = min(1, k sigma_i)``, else 0;
        the expected number of rows kept is ``<= k rank``.
    """
    rng = np.random.default_rng(rng)
    A = np.asarray(A, dtype=np.float64)
    D = np.asarray(D, dtype=np.float64)
    if D.shape != (A.shape[0],):
        raise ValueError(f"D: expected shape (n,) = ({A.shape[0]},), got {D.shape}")
    k = sampling_rate(A.shape[1], eps, delta)
    p = np.minimum(1.0, k * leverage_scores(A, D))
    kept = rng.random(p.size) < p
    weights = np.zeros_like(D)
    weights[kept] = D[kept] / p[kept]
    return SparsifiedDiagonal(weights, p, k)


def generalized_eigenvalues(M_approx, M) -> np.ndarray:
    """Eigenvalues of ``M^-1/2 M_approx M^-1/2`` (M positive definite), ascending."""
    return scipy_eigh(np.asarray(M_approx, dtype=np.float64), np.asarray(M, dtype=np.float64), eigvals_only=True)


# --------------------------------------------------------------------------
# Newton's method, exact and approximate
# --------------------------------------------------------------------------


@dataclass
class NewtonStep:
    """One iterate ``x_t`` and what was measured there.

    Attributes
    ----------
    iteration : t
    x : the iterate, shape (d,)
    grad_norm : ``||grad L(x_t)||``
    alpha : ``alpha(x_t)``
    distance : ``||x_t - x_star||`` (None without ``x_star``)
    rows_sampled : nnz of ``D~`` used for the step from ``x_t`` (None for exact Newton or the last iterate)
    eps_realised : ``max |lambda(H~, H) - 1|`` of that step (None when not recorded)
    kappa : ``lambda_max(H^-1 A^T D A)``, the factor by which the diagonal's error grows on H
    """

    iteration: int
    x: np.ndarray
    grad_norm: float
    alpha: float
    distance: float | None = None
    rows_sampled: int | None = None
    eps_realised: float | None = None
    kappa: float | None = None

    def to_dict(self) -> dict:
        return {
            "iteration": self.iteration,
            "x": self.x.tolist(),
            "grad_norm": self.grad_norm,
            "alpha": self.alpha,
            "distance": self.distance,
            "rows_sampled": self.rows_sampled,
            "eps_realised": self.eps_realised,
            "kappa": self.kappa,
        }


@dataclass
class NewtonRun:
    """The iterates of one run, first to last."""

    steps: list = field(default_factory=list)
    converged: bool = False
    message: str = ""

    @property
    def x(self) -> np.ndarray:
        return self.steps[-1].x

    @property
    def distances(self) -> list:
        return [s.distance for s in self.steps]

    def to_dict(self) -> dict:
        return {"converged": self.converged, "message": self.message, "steps": [s.to_dict() for s in self.steps]}


def _weights_squared(w, n: int) -> np.ndarray:
    return np.zeros(n) if w is None else np.asarray(w, dtype=np.float64) ** 2


def low_rank_hessian_part(rs, x, A, b) -> np.ndarray:
    """``A^T B_rank A`` from the factors ``(gamma, h, q)``, in O(nnz(A) + d^2)."""
    gamma, h, q = rs.low_rank_factors(x, A, b)
    Ah, Aq = A.T @ h, A.T @ q
    cross = np.outer(Aq, Ah)
    return gamma * np.outer(Ah, Ah) - cross - cross.T


def diagonal_part(rs, x, A, b, w) -> np.ndarray:
    """``D = B_diag + w^2`` (the part handed to the sparsifier), shape (n,)."""
    return np.asarray(rs.B_diag(x, A, b), dtype=np.float64) + _weights_squared(w, A.shape[0])


def sparsified_hessian(rs, x, A, b, w, eps: float, delta: float, rng, kappa: float = 1.0):
    """``(H~, SparsifiedDiagonal)``: the rank-2 part exact, ``A^T D A`` sparsified to accuracy ``eps / kappa``.

    The diagonal's relative error ``e`` becomes at most ``e kappa`` on H, with
    ``kappa = lambda_max(H^-1 A^T D A)``; sampling with ``eps / kappa`` keeps
    ``(1 - eps) H <= H~ <= (1 + eps) H`` with probability ``>= 1 - delta``.
    """
    D = diagonal_part(rs, x, A, b, w)
    _check_diagonal(D)
    sampled = sparsify_diagonal(A, D, min(1.0, eps / kappa), delta, rng)
    H = low_rank_hessian_part(rs, x, A, b) + A.T @ (sampled.weights[:, None] * A)
    return H, sampled


def _check_diagonal(D) -> None:
    if np.any(D < 0):
        j = int(np.argmin(D))
        raise ValueError(
            f"w: D = B_diag + w^2 has a negative entry D[{j}] = {D[j]:.3g} at this x; the sparsifier needs D >= 0 "
            "(increase w)"
        )


def _condition_factor(rs, x, A, b, w, t: int) -> tuple[np.ndarray, float]:
    """Exact H(x) and ``kappa = lambda_max(H^-1 A^T D A)``; H must be positive definite."""
    D = diagonal_part(rs, x, A, b, w)
    _check_diagonal(D)
    H = np.asarray(rs.hessian(x, A, b, w), dtype=np.float64)
    try:
        np.linalg.cholesky(H)
    except np.linalg.LinAlgError:
        raise ValueError(
            f"x0: the Hessian at step {t} is not positive definite (lambda_min = {np.linalg.eigvalsh(H)[0]:.3g}); "
            "a (1 +- eps0) approximation of it is not defined (start closer to x*, or increase w)"
        ) from None
    kappa = float(np.max(generalized_eigenvalues(A.T @ (D[:, None] * A), H)))
    return H, kappa


def _record(rs, t, x, A, b, w, x_star) -> NewtonStep:
    g = np.asarray(rs.grad(x, A, b, w), dtype=np.float64)
    return NewtonStep(
        iteration=t,
        x=x.copy(),
        grad_norm=float(np.linalg.norm(g)),
        alpha=float(rs.alpha(x, A)),
        distance=None if x_star is None else float(np.linalg.norm(x - x_star)),
    )


def approximate_newton(
    rs,
    x0,
    A,
    b,
    w=None,
    *,
    eps0: float = 0.01,
    delta: float = 0.01,
    max_iter: int = 60,
    xtol: float | None = None,
    x_star=None,
    rng=None,
    scale_by_kappa: bool = True,
    record_exact: bool = True,
    approximation: Callable | None = None,
) -> NewtonRun:
    """Minimise the ResNet-softmax loss with the approximate Newton method.

    Parameters
    ----------
    rs : a ResNet-softmax implementation (``impls.resnet_softmax``) with
        ``grad``, ``hessian``, ``alpha``, ``B_diag`` and ``low_rank_factors``.
    x0 : array of shape (d,); A : (n, d); b : (n,); w : (n,) or None
    eps0 : the approximation level: ``(1 - eps0) H <= H~ <= (1 + eps0) H``
        with probability ``>= 1 - delta`` per step.
    delta : failure probability of the sparsifier per step.
    max_iter : largest number of steps.
    xtol : stop when ``||x_{t+1} - x_t|| <= xtol``; default ``4 eps max(1, ||x_t||)``.
    x_star : the minimiser, if known: each step records ``||x_t - x_star||``.
    rng : numpy Generator or seed for the sampling.
    scale_by_kappa : sample with ``eps0 / kappa`` so that the bound holds on
        H and not only on the diagonal part (costs the exact Hessian, O(n d^2)).
    record_exact : record ``eps_realised`` (costs the exact Hessian).
    approximation : optional callable ``(x, H_exact) -> H~`` replacing the
        sparsifier (for worst-case experiments); it implies ``record_exact``.

    Returns
    -------
    NewtonRun
        ``steps[t]`` describes ``x_t``; ``converged`` says whether the step
        size fell below ``xtol`` within ``max_iter`` steps.
    """
    rng = np.random.default_rng(rng)
    A = np.asarray(A, dtype=np.float64)
    x = np.array(x0, dtype=np.float64)
    x_star = None if x_star is None else np.asarray(x_star, dtype=np.float64)
    run = NewtonRun()
    for t in range(max_iter + 1):
        step = _record(rs, t, x, A, b, w, x_star)
        run.steps.append(step)
        if t == max_iter:
            run.message = f"no convergence within {max_iter} steps"
            break
        if scale_by_kappa or record_exact or approximation is not None:
            H_exact, kappa = _condition_factor(rs, x, A, b, w, t)
        else:
            H_exact, kappa = None, 1.0
        if approximation is not None:
            H_tilde = np.asarray(approximation(x, H_exact), dtype=np.float64)
        else:
            H_tilde, sampled = sparsified_hessian(rs, x, A, b, w, eps0, delta, rng, kappa if scale_by_kappa else 1.0)
            step.rows_sampled = sampled.nnz
        step.kappa = kappa
        if H_exact is not None:
            step.eps_realised = float(np.max(np.abs(generalized_eigenvalues(H_tilde, H_exact) - 1)))
        g = np.asarray(rs.grad(x, A, b, w), dtype=np.float64)
        p = np.linalg.solve(H_tilde, g)
        x = x - p
        tol = xtol if xtol is not None else 4 * np.finfo(np.float64).eps * max(1.0, float(np.linalg.norm(x)))
        if float(np.linalg.norm(p)) <= tol:
            run.steps.append(_record(rs, t + 1, x, A, b, w, x_star))
            run.converged = True
            run.message = f"step below {tol:.3g} after {t + 1} steps"
            break
    return run


def newton(rs, x0, A, b, w=None, *, max_iter: int = 100, x_star=None) -> NewtonRun:
    """Exact Newton's method with backtracking on the loss (to compute a minimiser x*).

    A trial point where the loss is undefined (``LossUndefinedError``) or
    larger than the current one halves the step (unless the predicted
    decrease is below the loss's rounding); the run stops when a full
    step is below ``4 eps max(1, ||x||)`` twice in a row (quadratic
    convergence has then reached rounding level).
    """
    A = np.asarray(A, dtype=np.float64)
    x = np.array(x0, dtype=np.float64)
    run = NewtonRun()
    small = 0
    for t in range(max_iter + 1):
        run.steps.append(_record(rs, t, x, A, b, w, x_star))
        if t == max_iter:
            run.message = f"no convergence within {max_iter} steps"
            break
        g = np.asarray(rs.grad(x, A, b, w), dtype=np.float64)
        H = np.asarray(rs.hessian(x, A, b, w), dtype=np.float64)
        try:
            p = np.linalg.solve(H, g)
            if float(g @ p) <= 0:
                raise np.linalg.LinAlgError("not a descent direction")
        except np.linalg.LinAlgError:
            p = g  # indefinite Hessian: a gradient step, sized by the backtracking below
        current, step = float(rs.loss(x, A, b, w)), 1.0
        # Once the predicted decrease g.p / 2 is below the rounding of the loss, the comparison
        # below is noise: the full step is taken (Newton's local convergence needs no line search).
        rounding_level = float(g @ p) <= 8 * np.finfo(np.float64).eps * max(1.0, abs(current))
        while step > 1e-12 and not rounding_level:
            try:
                if float(rs.loss(x - step * p, A, b, w)) <= current:
                    break
            except LossUndefinedError:
                pass
            step /= 2
        x = x - step * p
        tol = 4 * np.finfo(np.float64).eps * max(1.0, float(np.linalg.norm(x)))
        small = small + 1 if step == 1.0 and float(np.linalg.norm(p)) <= tol else 0
        if small >= 2:
            run.steps.append(_record(rs, t + 1, x, A, b, w, x_star))
            run.converged = True
            run.message = f"Newton step below {tol:.3g} twice, after {t + 1} steps"
            break
    return run

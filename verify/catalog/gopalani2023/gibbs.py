"""The Gibbs law and the spectral gap of one-parameter problems, on a grid.

For a potential ``f`` on the real line and a learning rate ``s``, the
continuous-time SGD of the theory (Shi, Su, Jordan) is the diffusion

.. math:: d\\theta_t = -f'(\\theta_t)\\,dt + \\sqrt{s}\\,dB_t,

with generator ``L g = (s/2) g'' - f' g'`` and stationary law
``mu_s(dw) ~ exp(-2 f(w) / s) dw``. Its spectral gap ``lambda_s`` (the
smallest non-zero eigenvalue of ``-L``) is the rate at which the law of the
chain relaxes to ``mu_s``.

On a uniform grid ``w_0 < ... < w_{N-1}`` of spacing ``h`` the generator is
discretized by SQRA (square-root approximation, Lie, Fackeldey and Weber,
SIAM J. Matrix Anal. Appl. 34, 2013): jump rates to the neighbours

.. math:: q_{j, j\\pm1} = \\frac{s}{2h^2} \\exp\\big(-(f_{j\\pm1} - f_j)/s\\big),

reflecting at the ends. The chain is reversible with respect to
``mu_j ~ exp(-2 f_j / s)`` exactly, and ``D^{1/2} Q D^{-1/2}`` (``D = diag mu``)
is symmetric tridiagonal with constant off-diagonal ``s / (2h^2)``, so the
gap is an eigenvalue of a symmetric tridiagonal matrix (LAPACK ``stebz``),
accurate to ``eps * ||Q||`` however small it is. The discretization error is
``O(h^2)`` where ``f`` is smooth on the scale ``h``.

The SGD model itself is the Euler-Maruyama chain with step ``dt = s``; on
the same kind of grid :func:`euler_maruyama_kernel` gives its transition
matrix, :func:`chain_spectrum` its stationary law ``pi_s`` (which differs
from ``mu_s`` at ``O(s)``), its own relaxation rate and slowest mode, and
:func:`propagate` the exact evolution of its law, so that a simulation can
be compared with the chain it simulates and, separately, the chain with the
diffusion.

Everything here takes the potential's values on the grid (``f_values``),
so it knows nothing of networks; :func:`potential_on_grid` evaluates a
one-parameter depth-2 objective there.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.linalg import eigh_tridiagonal
from scipy.optimize import brentq


@dataclass(frozen=True)
class Grid:
    """A uniform grid ``lo = w_0 < ... < w_{N-1} = hi``."""

    lo: float
    hi: float
    size: int

    def __post_init__(self):
        if not (np.isfinite(self.lo) and np.isfinite(self.hi) and self.lo < self.hi):
            raise ValueError(f"lo, hi: expected finite lo < hi, got {self.lo!r}, {self.hi!r}")
        if int(self.size) < 3:
            raise ValueError(f"size: a grid needs at least 3 nodes, got {self.size!r}")

    @property
    def nodes(self) -> np.ndarray:
        return np.linspace(self.lo, self.hi, int(self.size))

    @property
    def spacing(self) -> float:
        return (self.hi - self.lo) / (int(self.size) - 1)

    @classmethod
    def with_spacing(cls, lo: float, hi: float, h: float) -> "Grid":
        """The grid on ``[lo, hi]`` whose spacing is ``h`` (rounded to a whole number of cells)."""
        return cls(lo, hi, int(round((hi - lo) / h)) + 1)

    def coarser(self) -> "Grid":
        """Every other node of this grid (spacing doubled), for the grid error of a quantity computed on it."""
        return Grid(self.lo, self.hi, (int(self.size) + 1) // 2)


def potential_on_grid(objective, problem, grid: Grid, *, chunk: int = 4096) -> dict:
    """``f``, ``f'`` and ``f''`` of a one-parameter depth-2 objective at the grid nodes.

    ``problem.dim`` must be 1 (one gate, one feature, fixed outer weight);
    the objective must be batched (theta of shape (M, 1)).
    """
    if problem.dim != 1:
        raise ValueError(f"problem: a grid needs a one-parameter problem, this one has dim = {problem.dim}")
    w = grid.nodes
    f, g, lap = [], [], []
    for start in range(0, w.size, chunk):
        T = w[start : start + chunk, None]
        f.append(objective.loss(T, problem))
        g.append(objective.grad(T, problem)[:, 0])
        lap.append(objective.laplacian(T, problem))
    return {"w": w, "f": np.concatenate(f), "fprime": np.concatenate(g), "fsecond": np.concatenate(lap)}


def gibbs_masses(f_values, s: float) -> np.ndarray:
    """The Gibbs law ``mu_s ~ exp(-2 f / s)`` as probability masses on the grid nodes (summing to 1)."""
    f = np.asarray(f_values, dtype=np.float64)
    logw = -2.0 * (f - f.min()) / s
    w = np.exp(logw)
    return w / w.sum()


def _symmetrized_generator(f_values, s: float, h: float):
    """Diagonal and off-diagonal of ``-D^{1/2} Q D^{-1/2}`` (symmetric, positive semidefinite)."""
    f = np.asarray(f_values, dtype=np.float64)
    c = s / (2.0 * h * h)
    up = c * np.exp(-(f[1:] - f[:-1]) / s)  # q_{j, j+1}
    down = c * np.exp(-(f[:-1] - f[1:]) / s)  # q_{j+1, j}
    diag = np.zeros_like(f)
    diag[:-1] += up
    diag[1:] += down
    return diag, np.full(f.size - 1, -c)


def spectrum(f_values, s: float, h: float, k: int = 2, vectors: bool = False):
    """The ``k`` smallest eigenvalues of ``-L`` on the grid (the first is 0 up to rounding).

    With ``k = None`` the whole spectrum (and, with ``vectors``, the
    orthonormal eigenvectors of the symmetrized generator, as columns).
    """
    diag, off = _symmetrized_generator(f_values, s, h)
    if k is None:
        return eigh_tridiagonal(diag, off, eigvals_only=not vectors)
    return eigh_tridiagonal(diag, off, eigvals_only=not vectors, select="i", select_range=(0, k - 1))


def spectral_gap(f_values, s: float, h: float) -> float:
    """``lambda_s``: the smallest non-zero eigenvalue of ``-L`` on the grid."""
    return float(spectrum(f_values, s, h, k=2)[1])


def relaxation(f_values, s: float, h: float, rho0, observable, times) -> np.ndarray:
    """``E g(theta_t)`` for the diffusion started from the law ``rho0`` (masses on the grid).

    Exact for the discretized generator: ``E_t g = sum_l exp(-lambda_l t)
    <V_l, sqrt(mu) g> <V_l, rho0 / sqrt(mu)>`` over the eigenpairs ``(lambda_l,
    V_l)`` of the symmetrized generator. Needs the full spectrum: use a grid
    of at most a few thousand nodes.
    """
    values, V = spectrum(f_values, s, h, k=None, vectors=True)
    mu = gibbs_masses(f_values, s)
    root = np.sqrt(mu)
    rho0 = np.asarray(rho0, dtype=np.float64)
    inside = mu > 0
    left = V.T @ (root * np.asarray(observable, dtype=np.float64))
    right = V.T @ np.where(inside, rho0 / np.where(inside, root, 1.0), 0.0)
    t = np.asarray(times, dtype=np.float64)
    return np.exp(-np.outer(t, np.maximum(values, 0.0))) @ (left * right)


def chi_square(rho0, mu) -> float:
    """``chi^2(rho0 || mu) = sum_j rho0_j^2 / mu_j - 1`` for masses on the same grid."""
    rho0 = np.asarray(rho0, dtype=np.float64)
    mu = np.asarray(mu, dtype=np.float64)
    if np.any((rho0 > 0) & (mu <= 0)):
        return float("inf")
    inside = mu > 0
    return float(np.sum(rho0[inside] ** 2 / mu[inside]) - 1.0)


def gaussian_masses(nodes, mean: float, std: float) -> np.ndarray:
    """A normal law ``N(mean, std^2)`` as masses on the grid nodes."""
    z = (np.asarray(nodes) - mean) / std
    w = np.exp(-0.5 * z * z)
    return w / w.sum()


@dataclass(frozen=True)
class CriticalPoint:
    w: float
    value: float
    curvature: float

    @property
    def kind(self) -> str:
        return "minimum" if self.curvature > 0 else ("maximum" if self.curvature < 0 else "degenerate")


def critical_points(potential: dict, fprime, fvalue, fsecond) -> list[CriticalPoint]:
    """The critical points of ``f`` inside the grid: sign changes of ``f'`` refined by Brent's method.

    ``potential`` is the output of :func:`potential_on_grid`; ``fprime``,
    ``fvalue``, ``fsecond`` are scalar callables (w -> float) used for the
    refinement (to the float64 resolution of ``f'``) and the classification.
    """
    w, g = potential["w"], potential["fprime"]
    out = []
    for j in np.nonzero(np.signbit(g[:-1]) != np.signbit(g[1:]))[0]:
        a, b = float(w[j]), float(w[j + 1])
        fa, fb = fprime(a), fprime(b)
        if fa == 0 or fb == 0 or np.signbit(fa) == np.signbit(fb):
            # a zero at a node, or a sign the scalar evaluation rounds differently: the node with the
            # smaller |f'| is the critical point to within rounding
            root = a if abs(fa) <= abs(fb) else b
        else:
            root = brentq(fprime, a, b, xtol=1e-15, rtol=4 * np.finfo(float).eps, maxiter=200)
        if out and root == out[-1].w:  # a zero node seen from both of its intervals
            continue
        out.append(CriticalPoint(float(root), float(fvalue(root)), float(fsecond(root))))
    return out


def eyring_kramers_rate(f_min: float, curv_min: float, f_saddle: float, curv_saddle: float, s: float) -> float:
    """Kramers' escape rate from a minimum over a saddle, for ``L = (s/2) d^2 - f' d``.

    ``sqrt(f''(min) |f''(saddle)|) / (2 pi) * exp(-2 (f(saddle) - f(min)) / s)``
    (Eyring-Kramers with temperature ``s / 2``; Berglund, "Kramers' law:
    validity, derivations and generalisations", 2013, eq. 1.5).
    """
    return float(np.sqrt(curv_min * abs(curv_saddle)) / (2.0 * np.pi) * np.exp(-2.0 * (f_saddle - f_min) / s))


# --------------------------------------------------------------------------
# The discrete chain: Euler-Maruyama with step dt (dt = s is the SGD model)
# --------------------------------------------------------------------------

# The Gaussian kernel is cut at this many standard deviations (mass outside
# 2e-19 of a row, below float64's resolution of the row sum) and each row is
# renormalized to 1 (mass that would leave the grid is reflected back).
KERNEL_SIGMAS = 9.0


def euler_maruyama_kernel(nodes, fprime_values, s: float, dt: float):
    """Transition matrix of ``w <- w - dt f'(w) + sqrt(s dt) xi`` restricted to the grid (sparse CSR).

    Row ``i`` is the normal density ``N(w_i - dt f'(w_i), s dt)`` at the
    nodes times the spacing, renormalized. With spacing ``h`` at most half
    the kernel's width ``sqrt(s dt)``, the midpoint sums of a Gaussian are
    exact to ``2 exp(-2 pi^2 s dt / h^2) <= 2 exp(-8 pi^2) ~ 1e-34`` (Poisson
    summation), so the matrix is the chain itself, up to the grid's
    representation of densities.
    """
    from scipy import sparse

    w = np.asarray(nodes, dtype=np.float64)
    h = (w[-1] - w[0]) / (w.size - 1)
    sd = np.sqrt(s * dt)
    if h > sd / 2:
        raise ValueError(f"nodes: spacing {h:.3g} is too coarse for the kernel width {sd:.3g} (need h <= width / 2)")
    mean = w - dt * np.asarray(fprime_values, dtype=np.float64)
    band = int(np.ceil(KERNEL_SIGMAS * sd / h))
    offsets = np.arange(-band, band + 1)
    cols = np.rint((mean - w[0]) / h).astype(np.int64)[:, None] + offsets[None, :]
    inside = (cols >= 0) & (cols < w.size)
    cols = np.clip(cols, 0, w.size - 1)
    dens = np.exp(-0.5 * ((w[cols] - mean[:, None]) / sd) ** 2) * inside
    dens /= dens.sum(axis=1, keepdims=True)
    rows = np.repeat(np.arange(w.size), offsets.size)
    return sparse.csr_matrix((dens.ravel(), (rows, cols.ravel())), shape=(w.size, w.size))


def chain_spectrum(P, dt: float, slow_mode: bool = False) -> dict:
    """Stationary law and relaxation rate of a discrete chain with transition matrix ``P`` (steps of length dt).

    Returns ``{"stationary": masses, "rate": -log(nu_2) / dt, "nu": leading
    eigenvalue moduli}``, ``nu_2`` the second largest eigenvalue modulus of
    ``P`` (ARPACK on ``P^T``). With ``slow_mode``, also ``"slow_mode"``: the
    right eigenvector of ``nu_2`` (a function on the nodes), for which
    ``E g(theta_k) = nu_2^k E g(theta_0)`` exactly for the chain.
    """
    from scipy.sparse.linalg import eigs

    # ARPACK's start vector is drawn from OS entropy unless given, and its last
    # digits follow it: a fixed one makes every run give the same numbers. Not
    # the uniform vector, which is already an exact right eigenvector of P.
    start = np.random.default_rng(0).random(P.shape[0])
    vals, vecs = eigs(P.T.tocsr(), k=3, which="LM", tol=1e-13, maxiter=20000, v0=start)
    order = np.argsort(-np.abs(vals))
    vals, vecs = vals[order], vecs[:, order]
    pi = np.abs(vecs[:, 0].real)
    pi /= pi.sum()
    out = {"stationary": pi, "rate": float(-np.log(np.abs(vals[1])) / dt), "nu": np.abs(vals)}
    if slow_mode:
        rvals, rvecs = eigs(P.tocsr(), k=3, which="LM", tol=1e-13, maxiter=20000, v0=start)
        j = int(np.argsort(-np.abs(rvals))[1])
        mode = rvecs[:, j].real
        out["slow_mode"] = mode / np.sqrt(pi @ mode**2)  # unit norm in L^2(pi)
    return out


def propagate(P, rho0, observable, steps) -> np.ndarray:
    """``E g(theta_k)`` at the given step counts for the chain with transition matrix ``P`` from the law ``rho0``.

    ``rho_{k+1} = P^T rho_k`` (masses on the nodes), exactly; ``steps`` must
    be non-decreasing.
    """
    PT = P.T.tocsr()
    rho = np.asarray(rho0, dtype=np.float64).copy()
    g = np.asarray(observable, dtype=np.float64)
    out, k = [], 0
    for target in np.asarray(steps, dtype=np.int64):
        while k < target:
            rho = PT @ rho
            k += 1
        out.append(float(rho @ g))
    return np.array(out)

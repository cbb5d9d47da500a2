"""The quantities of Song, Wang & Yin's ResNet-softmax regression in float64, and the catalog's derived bounds.

Notation (catalog section 1): z = Ax, u = exp(z) + z, alpha = <u, 1_n>,
f = u / alpha, c = f - b, h = (exp(z) + 1) / alpha, p = exp(z) / alpha,
r = <c, f>; B(x) is the Hessian of the unregularised loss in z, so that
Hess L = A^T (B + W^2) A. The implementations of ``impls.resnet_softmax``
compute the loss and its derivatives; this module adds what the claims
compare them with: the domain's constants (Omega, R*, beta*), the
Gauss-Newton split B = G + K, the curvature bound C_D of C5, the Lipschitz
bounds of C6 and the one-step factor of C9's lemma. A problem ``pb`` is a
``verify.catalog.song2023.problems.ResNetProblem``.
"""

from __future__ import annotations

import math

import mpmath
import numpy as np

from impls import resnet_softmax
from impls.resnet_softmax import LossUndefinedError

from . import tolerances as tol

REFERENCE_IMPL = "numpy"
# Omega = W(1), the real root of e^t + t = 0: e^t + t < 0 exactly when t < -Omega.
OMEGA = float(mpmath.lambertw(1).real)
# The largest eps0 for which the lemma's factor 2 (eps0 + 1/9) is <= 0.4 (C9's arithmetic flag).
EPS0_FOR_04 = 0.2 - 1.0 / 9.0

_IMPLS: dict = {}


def implementation(name: str = REFERENCE_IMPL):
    """One shared instance per ResNet-softmax implementation (SymPy caches compiled shapes)."""
    if name not in _IMPLS:
        _IMPLS[name] = resnet_softmax.get(name)
    return _IMPLS[name]


def critical_radius(n: int) -> float:
    """``R* = sqrt(Omega) n^(1/4)``: alpha > 0 on {||A|| <= R, ||x|| <= R} iff R < R*."""
    return math.sqrt(OMEGA) * n**0.25


def beta_star(n: int, R: float) -> float:
    """``beta*(n, R) = n (exp(-R^2 / sqrt n) - R^2 / sqrt n)``, the minimum of alpha on the domain (C10)."""
    c = R * R / math.sqrt(n)
    return n * (math.exp(-c) - c)


def basis_vector(n: int, k: int = 0) -> np.ndarray:
    """e_k in R^n (without forming the identity)."""
    e = np.zeros(n)
    e[k] = 1.0
    return e


def spectral_norm(M) -> float:
    M = np.atleast_2d(np.asarray(M, dtype=np.float64))
    return float(np.linalg.norm(M, 2)) if M.size else 0.0


def lambda_min(M) -> float:
    return float(np.linalg.eigvalsh(np.asarray(M, dtype=np.float64))[0])


def evaluate(fn, *args):
    """``fn(*args)``, or None where the loss is undefined (outside every claim's hypotheses)."""
    try:
        return fn(*args)
    except LossUndefinedError:
        return None


def ratio_max(difference, tolerance) -> float:
    """``max |difference| / tolerance`` entrywise, with 0 / 0 = 0 and x / 0 = inf (x > 0)."""
    diff = np.abs(np.asarray(difference, dtype=np.float64))
    tolerance = np.broadcast_to(np.asarray(tolerance, dtype=np.float64), diff.shape)
    with np.errstate(divide="ignore", invalid="ignore"):
        ratios = np.where(diff == 0, 0.0, diff / tolerance)
    return float(np.max(ratios)) if ratios.size else 0.0


def pieces(pb) -> dict:
    """f, h, p, c, r at a point, computed here in float64 (stable, scaled by exp(-s)) for G and K."""
    z = pb.A @ pb.x
    s = max(0.0, float(z.max()))
    e, g = np.exp(z - s), math.exp(-s)
    alpha_s = float(np.sum(e + z * g))
    f, h, p = (e + z * g) / alpha_s, (e + g) / alpha_s, e / alpha_s
    out = {"f": f, "h": h, "p": p}
    if pb.b is not None:
        c = f - pb.b
        out.update(c=c, r=float(np.dot(c, f)))
    return out


def gauss_newton_split(pb) -> tuple[np.ndarray, np.ndarray]:
    """The catalog's second splitting B = G + K: G = J^T J with J = diag(h) - f h^T, K = sum_k c_k Hess_z f_k."""
    P = pieces(pb)
    f, h, p, c, r = P["f"], P["h"], P["p"], P["c"], P["r"]
    J = np.diag(h) - np.outer(f, h)
    hc = h * c
    K = np.diag(p * (c - r)) - np.outer(hc, h) - np.outer(h, hc) + 2 * r * np.outer(h, h)
    return J.T @ J, K


def derived_curvature_bound(n: int, R: float, beta: float) -> float:
    """C_D(n, R, beta) >= ||B(x)|| on {||A|| <= R, ||x|| <= R, ||b||_2 <= 1, alpha >= beta} (catalog C5 flag 4 [D]).

    ``E = e^{R^2}``, ``F = (sqrt n E + R^2) / beta`` (>= ||f||), ``H_inf = (E + 1) / beta``,
    ``H_2 = sqrt n (E + 1) / beta``, ``P_inf = E / beta``; then
    ``C_D = H_inf^2 + P_inf (F + 1)^2 + (3 F^2 + 2 F) H_2^2 + 2 H_inf H_2 (2 F + 1)``.
    """
    E = math.exp(R * R)
    F = (math.sqrt(n) * E + R * R) / beta
    H_inf, H_2, P_inf = (E + 1) / beta, math.sqrt(n) * (E + 1) / beta, E / beta
    return H_inf**2 + P_inf * (F + 1) ** 2 + (3 * F**2 + 2 * F) * H_2**2 + 2 * H_inf * H_2 * (2 * F + 1)


def intermediate_lipschitz(pair) -> list:
    """The five intermediate Lipschitz ratios of C6 and the Hessian's, each with its derived bound and rounding slack.

    Returns a list of (name, ratio, bound, slack).
    """
    rs = implementation()
    pb, y = pair.pb, pair.y
    x, A = pb.x, pb.A
    n = pb.n
    R = pb.tags["R"]
    beta = beta_star(n, R)
    E = math.exp(R * R)
    dist = float(np.linalg.norm(x - y))
    zx, zy = A @ x, A @ y
    ex, ey = tol.resnet_value_tolerances(x, A, pb.b), tol.resnet_value_tolerances(y, A, pb.b)
    ax, ay = float(rs.alpha(x, A)), float(rs.alpha(y, A))
    fx, fy = rs.f(x, A), rs.f(y, A)
    slack = lambda key: tol.resnet_lipschitz_ratio_tolerance(ex[key], ey[key], dist)
    Hx, Hy = rs.hessian(x, A, pb.b), rs.hessian(y, A, pb.b)
    Bx, By = rs.B(x, A, pb.b), rs.B(y, A, pb.b)
    norm_A2 = spectral_norm(A) ** 2
    return [
        ("exp(Ax)", float(np.linalg.norm(np.exp(zx) - np.exp(zy))) / dist, R * E, slack("exp")),
        ("u", float(np.linalg.norm(np.exp(zx) + zx - np.exp(zy) - zy)) / dist, (E + 1) * R, slack("u")),
        ("alpha", abs(ax - ay) / dist, math.sqrt(n) * (E + 1) * R, slack("alpha")),
        ("1/alpha", abs(1 / ax - 1 / ay) / dist, math.sqrt(n) * (E + 1) * R / beta**2,
         (ex["alpha"] / ax**2 + ey["alpha"] / ay**2) / dist),
        ("f", float(np.linalg.norm(fx - fy)) / dist, (1 / beta + (math.sqrt(n) * E + R * R) * math.sqrt(n) / beta**2) * (E + 1) * R,
         slack("f")),
        ("Hess L_exp vs ||A||^2 ||B(x) - B(y)||", spectral_norm(Hx - Hy) / dist, norm_A2 * spectral_norm(Bx - By) / dist,
         slack("hessian") + norm_A2 * slack("B")),
    ]


def sqrt_psd(H) -> tuple[np.ndarray, np.ndarray, float]:
    """``(H^1/2, H^-1/2, cond(H))`` of a positive definite matrix, from its eigendecomposition."""
    vals, vecs = np.linalg.eigh(np.asarray(H, dtype=np.float64))
    return (vecs * np.sqrt(vals)) @ vecs.T, (vecs / np.sqrt(vals)) @ vecs.T, float(vals[-1] / vals[0])


def lemma_factor(eps0: float, r: float, M: float, level: float) -> float:
    """The one-step factor ``2 (eps0 + M r / (l - M r))`` of the shrinking lemma."""
    return 2.0 * (eps0 + M * r / (level - M * r))

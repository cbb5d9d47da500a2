"""The Song, Wang & Yin checks' rounding bounds, each derived where it is defined."""

from __future__ import annotations

import numpy as np
from ...numerics.rounding import eps


# --------------------------------------------------------------------------
# Song-Wang-Yin (ResNet-softmax): verify/catalog/song2023/ (claims.py, experiments.py, newton.py)
# --------------------------------------------------------------------------
#
# The family: z = A x, u = exp(z) + z, alpha = <u, 1_n>, f = u / alpha,
# h = (exp(z) + 1) / alpha, p = exp(z) / alpha, c = f - b, r = <c, f>;
# every output (loss, gradient, B, Hessian) is a polynomial in f, h, p, b,
# w^2, z and A. Implementations work with t = u exp(-s), alpha' = alpha
# exp(-s), s = max(0, max_j z_j) (impls/resnet_softmax/validation.py).
#
# Error model, first order in u = eps / 2 (Higham, ch. 3), computed at the
# point in float64 with the eps of the computing dtype:
#
# * z_j carries zeta_j = d u sum_k |A_jk||x_k|;
# * t_j carries tau_j = (e_j + g) zeta_j + u e_j (|z_j - s| + 1)
#   + 4 u (e_j + |z_j| g), with e_j = exp(z_j - s), g = exp(-s); alpha'
#   carries sum_j tau_j + (n - 1) u sum_j (e_j + |z_j| g), relative rho;
# * f, h, p then carry, relative to their absolute-value scales
#   fa = (e + |z| g) / alpha', ha = (e + g) / alpha', pa = e / alpha',
#   at most e_in = max(max_j tau_j / (e_j + |z_j| g) + rho + u,
#   max_j (zeta_j + u |z_j - s|) + 3 u + rho);
# * a polynomial whose terms are products of at most k of f, h, p, each
#   with relative error <= e_in, evaluated with m roundings per term, is off
#   by at most (k e_in + m u) P_abs, where P_abs is the polynomial evaluated
#   on absolute values (fa, ha, pa, |b|, |A|, ...) (Higham, Lemma 3.3 and
#   eq. 3.5). Degrees: loss 2, gradient 3 (h c f), B_rank 4 (<3f, f> h h),
#   B_diag 3 (p c f); roundings: n for each inner product over [n], n for
#   each product with A^T, plus a few for the entrywise operations.
#
# The entrywise forms (loops) and SymPy's derivatives are other
# arrangements of the same polynomials; their absolute-value evaluations
# stay within twice the matrix form's (each term of the entrywise Hessian,
# e.g. 2 a^-3 u_j d_i a d_l a, is bounded by a term of B_abs with a
# coefficient <= 2).

# One implementation against the exact value: 2 covers the other forms'
# absolute-value evaluations (see above).
RESNET_FORM_FACTOR = 2.0
# Two implementations against each other: the sum of their two errors.
RESNET_AGREEMENT_SAFETY = 2.0 * RESNET_FORM_FACTOR


def resnet_error_model(x, A, b=None, w=None, dtype=np.float64, matrices: bool | None = None) -> dict:
    """First-order bounds on the absolute rounding error of one evaluation of each quantity.

    Parameters
    ----------
    x : array of shape (d,); A : array of shape (n, d); b, w : arrays of shape (n,) (optional)
    dtype : the computing dtype (its eps is used; the model is evaluated in float64)

    Returns
    -------
    dict
        ``alpha`` (float, for alpha itself), ``alpha_scaled`` (for alpha'),
        ``f`` (n,), ``f_sum`` (for ``sum_j f_j``), ``exp`` (n,) and ``u`` (n,)
        (for the unscaled ``exp(z)`` and ``u``), ``z`` (n,), and, when ``b`` is
        given, ``loss``, ``grad`` (d,), ``B`` (n, n), ``B_rank`` (n, n),
        ``B_diag`` (n,), ``hessian`` (d, d). Also ``e_in``, the relative error
        of f, h and p, and ``scales``: the absolute-value evaluations.
        The (n, n) bounds ``B`` and ``B_rank`` are formed only when
        ``matrices`` (default: n <= 2048); the Hessian's bound never forms them.
    """
    u = eps(dtype) / 2
    x = np.asarray(x, dtype=np.float64)
    A = np.asarray(A, dtype=np.float64)
    n, d = A.shape
    z = A @ x
    zeta = d * u * (np.abs(A) @ np.abs(x))
    s = max(0.0, float(z.max()))
    e, g = np.exp(z - s), float(np.exp(-s))
    t_abs = e + np.abs(z) * g
    alpha_s = float(np.sum(e + z * g))
    tau = (e + g) * zeta + u * e * (np.abs(z - s) + 1) + 4 * u * t_abs
    d_alpha = float(np.sum(tau) + (n - 1) * u * np.sum(t_abs))
    rho = d_alpha / abs(alpha_s) if alpha_s != 0 else np.inf
    e_in = max(float(np.max(tau / t_abs)) + rho + u, float(np.max(zeta + u * np.abs(z - s))) + 3 * u + rho)
    fa, ha, pa = t_abs / abs(alpha_s), (e + g) / abs(alpha_s), e / abs(alpha_s)
    # Gradual underflow: a result in the subnormal range is off by up to half the smallest
    # subnormal per operation, whatever its size (Higham, sec. 2.1); the relative bounds
    # above miss it when every term is tiny. One smallest subnormal per operation of the
    # longest chain (the Hessian's 3n + 2d + 6) bounds it.
    floor = (3 * n + 2 * d + 6) * float(np.finfo(np.dtype(dtype)).smallest_subnormal)
    with np.errstate(over="ignore"):
        ez = np.exp(z)
    out = {
        "alpha_scaled": d_alpha,
        "alpha": d_alpha * float(np.exp(min(s, 700.0))),
        "z": zeta,
        "exp": ez * (zeta + u),
        "u": (ez + 1) * zeta + 2 * u * (ez + np.abs(z)),
        "f": e_in * fa + floor,
        "f_sum": n * eps(dtype) * float(np.sum(fa)),
        "e_in": e_in,
        "scales": {"f": fa, "h": ha, "p": pa},
    }
    if b is None:
        return out
    b = np.asarray(b, dtype=np.float64)
    w2 = np.zeros(n) if w is None else np.asarray(w, dtype=np.float64) ** 2
    A_abs = np.abs(A)
    ca = fa + np.abs(b)
    ra = float(np.dot(ca, fa))
    gamma_a = float(np.dot(3 * fa + 2 * np.abs(b), fa))
    qa = ha * (2 * fa + np.abs(b))
    B_diag_a = ha * ha + pa * (ca + ra)
    reg_z = w2 * np.abs(z)
    out["loss"] = (2 * e_in + (n + 2) * u) * float(np.dot(ca, ca)) / 2 + float(np.dot(reg_z, zeta)) + (n + 3) * u * float(np.dot(reg_z, np.abs(z))) / 2 + floor
    out["grad"] = (3 * e_in + (2 * n + 4) * u) * (A_abs.T @ (ha * (ca + ra))) + A_abs.T @ (w2 * zeta + (2 * n + 4) * u * reg_z) + floor
    out["B_diag"] = (3 * e_in + (n + 6) * u) * B_diag_a + floor
    # |A|^T B_rank_abs |A| from the factors, without the (n, n) matrix.
    Ah, Aq = A_abs.T @ ha, A_abs.T @ qa
    H_a = gamma_a * np.outer(Ah, Ah) + np.outer(Aq, Ah) + np.outer(Ah, Aq) + A_abs.T @ ((B_diag_a + w2)[:, None] * A_abs)
    out["hessian"] = (4 * e_in + (3 * n + 6) * u) * H_a + floor
    out["scales"].update({"c": ca, "B_diag": B_diag_a, "hessian": H_a})
    if matrices if matrices is not None else n <= 2048:
        B_rank_a = gamma_a * np.outer(ha, ha) + np.outer(qa, ha) + np.outer(ha, qa)
        out["B_rank"] = (4 * e_in + (n + 6) * u) * B_rank_a + floor
        out["B"] = out["B_rank"] + np.diag(out["B_diag"])
        out["scales"]["B_rank"] = B_rank_a
    return out


def resnet_value_tolerances(x, A, b=None, w=None, dtype=np.float64) -> dict:
    """Tolerances of one implementation against the exact value: ``RESNET_FORM_FACTOR`` times the error model."""
    model = resnet_error_model(x, A, b, w, dtype)
    return {k: RESNET_FORM_FACTOR * v for k, v in model.items() if k not in ("e_in", "scales")}


def resnet_agreement_tolerances(x, A, b=None, w=None, dtype=np.float64) -> dict:
    """Tolerances of two implementations against each other: ``RESNET_AGREEMENT_SAFETY`` times the error model."""
    model = resnet_error_model(x, A, b, w, dtype)
    return {k: RESNET_AGREEMENT_SAFETY * v for k, v in model.items() if k not in ("e_in", "scales")}


def resnet_eigenvalue_tolerance(entry_error: float, dim: int, norm: float, dtype=np.float64) -> float:
    """How far a computed eigenvalue (or singular value) of a (dim, dim) matrix may lie from the exact one.

    Weyl: an entrywise error ``<= entry_error`` moves every eigenvalue (and
    every singular value) by at most ``||E||_2 <= ||E||_F <= dim *
    entry_error``; the symmetric eigensolver and the SVD are backward stable
    with error ``<= p(dim) eps ||M||_2``, taken as ``dim eps ||M||_2`` (Golub &
    Van Loan, sec. 8.3 and 8.6). Sum: ``dim (entry_error + eps ||M||_2)``.
    """
    return float(dim) * (float(entry_error) + eps(dtype) * float(norm))


def resnet_generalized_eigenvalue_tolerance(M, M_approx, rows: int, entry_scale, entry_scale_approx, dtype=np.float64) -> float:
    """How far a computed generalized eigenvalue of ``(M_approx, M)`` (both (dim, dim), M positive definite) may lie.

    Both matrices are sums ``A^T D A`` over ``rows`` rows: each entry carries
    ``gamma_rows`` times its absolute-value sum (``entry_scale``,
    ``entry_scale_approx``: the matrices ``|A|^T |D| |A|``), i.e. a
    perturbation of norm ``<= dim rows u ||scale||``. Relative to ``M``'s
    smallest eigenvalue that moves the generalized eigenvalues by
    ``dim rows u (||scale|| |lambda| + ||scale_approx||) / lambda_min(M)``
    (first order). The solver (Cholesky of M, then a symmetric eigensolver)
    adds ``dim eps cond(M) |lambda|`` (Golub & Van Loan, sec. 8.7). Twice the
    sum, for the first-order truncation.
    """
    M = np.asarray(M, dtype=np.float64)
    dim = M.shape[0]
    lam = np.linalg.eigvalsh(M)
    lam_min, lam_max = float(lam[0]), float(lam[-1])
    lam_gen = float(np.max(np.abs(np.linalg.eigvals(np.linalg.solve(M, np.asarray(M_approx, dtype=np.float64))))))
    u = eps(dtype) / 2
    sums = dim * rows * u * (np.linalg.norm(entry_scale, 2) * lam_gen + np.linalg.norm(entry_scale_approx, 2)) / lam_min
    solver = dim * eps(dtype) * (lam_max / lam_min) * lam_gen
    return 2.0 * float(sums + solver)


# A violation re-evaluated with mpmath at 50 significant digits counts as
# confirmed when it exceeds 1e-30 times the scale of the quantity: the
# 50-digit evaluations here (sums of <= 1e3 terms, powers of 1/alpha up to 4
# with alpha >= 1e-8, mpmath's Jacobi eigensolver) are accurate to better
# than 1e-40 relative, and 1e-30 is still 1e14 below every float64 tolerance.
RESNET_HIGH_PRECISION_MARGIN = 1e-30


def resnet_high_precision_margin(scale: float = 1.0) -> float:
    """Smallest violation, in the mpmath re-evaluation, that counts as confirmed (see RESNET_HIGH_PRECISION_MARGIN)."""
    return RESNET_HIGH_PRECISION_MARGIN * max(1.0, float(scale))


# The family's Hessian-Lipschitz constant is M = exp(O(R^2 + log n)); the
# claim "no finite M without a lower bound on alpha" is checked against the
# explicit instance M_F = exp(10 (R^2 + log n)) = n^10 e^(10 R^2) (2.3e7 for
# n = 2, R = 1). 10 is a generous constant for an O(.): the Lipschitz ratio
# near alpha = 0 grows like alpha^-5 (the Hessian like alpha^-4), so any
# fixed constant is exceeded; this one is only the explicit witness.
RESNET_LIPSCHITZ_O_CONSTANT = 10.0


def resnet_family_lipschitz_constant(n: int, R: float) -> float:
    """``exp(RESNET_LIPSCHITZ_O_CONSTANT (R^2 + log n))``, the family's form of M with an explicit constant."""
    return float(np.exp(RESNET_LIPSCHITZ_O_CONSTANT * (R * R + np.log(n))))


def resnet_lipschitz_ratio_tolerance(error_x, error_y, distance: float) -> float:
    """Rounding of a computed ratio ``||Q(x) - Q(y)|| / ||x - y||``.

    The numerator is off by at most ``||dQ(x)|| + ||dQ(y)||`` (the error
    model's bounds, as vectors or matrices; the 2-norm of a matrix error is
    at most its Frobenius norm), the distance by ``2 u ||x - y||``, which is
    second order and left out.
    """
    ex = float(np.linalg.norm(np.atleast_1d(error_x)))
    ey = float(np.linalg.norm(np.atleast_1d(error_y)))
    return (ex + ey) / float(distance)


def resnet_beta_star_rounding(n: int, R: float, dtype=np.float64) -> float:
    """Rounding of ``beta*(n, R) = n (exp(-c) - c)``, ``c = R^2 / sqrt n``, computed in floating point.

    c takes a product, a square root and a division (3 u relative), which
    moves ``exp(-c) - c`` by ``3 u c (e^{-c} + 1)``; exp, the subtraction and
    the product by n add ``3 u (e^{-c} + c)``. Both are below
    ``3 u (1 + R^2) (e^{-c} + 1)``; with u = eps / 2 and e^{-c} <= 1 the sum is
    below ``4 eps n (1 + R^2)``.
    """
    return 4.0 * eps(dtype) * n * (1.0 + R * R)


def resnet_extremal_construction_error(n: int, R: float, dtype=np.float64) -> float:
    """Change of alpha caused by rounding the extremal construction ``A = (R / sqrt n) 1 e_1^T``, ``x = -R e_1``.

    ``R / sqrt(n)`` takes a square root and a division, and ``z_j = -R (R /
    sqrt n)`` one product: ``|dz_j| <= 3 u c`` with ``c = R^2 / sqrt n``,
    which moves ``alpha`` by ``sum_j (e^{z_j} + 1) |dz_j| = n (e^{-c} + 1) 3 u c``.
    """
    u = eps(dtype) / 2
    c = R * R / np.sqrt(n)
    return float(n * (np.exp(-c) + 1) * 3 * u * c)


# Leverage-score sampling (C8) succeeds with probability >= 1 - delta. In T
# independent trials the number of failures is then stochastically below a
# Binomial(T, delta) count; the lemma is rejected when the observed count
# has probability <= 1e-3 under Binomial(T, delta) (a one-sided test at
# level 1e-3: a correct sampler fails this check once in 1000 runs, and the
# seeds are fixed, so a run is reproducible).
RESNET_SPARSIFIER_SIGNIFICANCE = 1e-3


def resnet_binomial_critical_count(trials: int, delta: float) -> int:
    """Smallest failure count k with ``P(Binomial(trials, delta) >= k) <= RESNET_SPARSIFIER_SIGNIFICANCE``."""
    from scipy.stats import binom

    k = 0
    while binom.sf(k - 1, trials, delta) > RESNET_SPARSIFIER_SIGNIFICANCE:
        k += 1
    return k


# A computed minimiser x* is off from the exact one by about
# ||H(x*)^-1|| (||grad(x*)|| + its rounding): one Newton step from the
# computed point, with the gradient known to its error-model bound. 2 covers
# the second-order term of that step (the point is within 1e-14 of x*).
RESNET_MINIMISER_SAFETY = 2.0


def resnet_minimiser_error(hessian, grad, grad_error) -> float:
    """Bound on ``||x*_computed - x*||`` (see RESNET_MINIMISER_SAFETY)."""
    H = np.asarray(hessian, dtype=np.float64)
    inv_norm = 1.0 / float(np.min(np.linalg.eigvalsh(H)))
    step = float(np.linalg.norm(grad)) + float(np.linalg.norm(np.atleast_1d(grad_error)))
    return RESNET_MINIMISER_SAFETY * inv_norm * step


def resnet_distance_tolerance(factor: float, minimiser_error: float) -> float:
    """Slack of ``r_{t+1} <= factor r_t`` when distances are measured to a computed x*.

    Each computed distance is within ``minimiser_error`` of the exact one, so
    ``r^c_{t+1} - err <= factor (r^c_t + err)``: the slack is ``(1 + factor) err``.
    """
    return (1.0 + float(factor)) * float(minimiser_error)


def resnet_similarity_norm_tolerance(dim: int, condition: float, norm: float, dtype=np.float64) -> float:
    """Error of a computed ``||S^-1 F S||_2`` with ``S = H^1/2`` from an eigendecomposition of H.

    S and S^-1 are formed from the eigenvectors and square roots of the
    eigenvalues with backward error ``dim eps`` relative to their norms; the
    products of three (dim, dim) matrices add ``3 dim u`` each; every one of
    these relative errors is amplified at most by ``cond(S) = sqrt(cond(H))``
    in the product. ``4 dim eps sqrt(cond(H)) ||S^-1 F S||`` bounds the sum
    (first order; Higham, sec. 3.5 and ch. 14).
    """
    return 4.0 * dim * eps(dtype) * float(np.sqrt(condition)) * float(norm)


# A scalar formula of a few operations on numbers of size <= 1 (the
# lemma's factor 2 (eps0 + rho / (1 - rho))): one subtraction, a division, a
# sum and a product, each rounded by u, and the inputs exact: <= 4 u times
# the value (which is <= 1); 8 eps leaves a factor 4.
RESNET_ARITHMETIC_ULPS = 8.0

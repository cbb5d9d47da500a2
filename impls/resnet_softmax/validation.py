"""Input validation for the ResNet-softmax family, and the error raised where the loss is undefined.

Bad inputs get a ``TypeError`` (wrong kind of data) or a ``ValueError``
(right kind, wrong value) whose message starts with the argument's name.
The array checks (dtype kind, one dtype, NaN / Inf) are the ones every
family shares, from :mod:`impls._arrays`; the shapes are this family's.

Where ``alpha(x) <= 0`` the loss is undefined, and where ``alpha(x)`` is
too close to 0 its value is dominated by rounding; both raise
:class:`LossUndefinedError` (a ``ValueError``) reporting ``alpha``.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np

from .._arrays import as_array, check_finite, check_ndim, check_nonempty, check_shape, check_size, common_dtype, finite_results
from ._protocol import FLOAT_DTYPES


class LossUndefinedError(ValueError):
    """``alpha(x) = <exp(Ax) + Ax, 1_n>`` is <= 0, or too close to 0 to evaluate reliably.

    Attributes
    ----------
    alpha : float or SymPy number
        The value of ``alpha(x)`` that was computed.
    threshold : float
        The smallest ``alpha`` accepted at this point (0 for exact inputs).
    """

    def __init__(self, message: str, alpha, threshold: float = 0.0):
        super().__init__(message)
        self.alpha = alpha
        self.threshold = threshold


class Problem(NamedTuple):
    """Validated inputs. ``dtype`` is ``None`` for exact (object) inputs."""

    x: np.ndarray
    A: np.ndarray
    b: np.ndarray | None
    w: np.ndarray | None
    n: int
    d: int
    dtype: np.dtype | None

    @property
    def exact(self) -> bool:
        return self.dtype is None


def validate(x, A, b=None, w=None, *, dtypes=FLOAT_DTYPES, need_b: bool = True, allow_exact: bool = False) -> Problem:
    """Check and normalise the inputs of one call.

    Parameters
    ----------
    x : array of shape (d,)
    A : array of shape (n, d)
    b : array of shape (n,); required when ``need_b``.
    w : array of shape (n,), optional (the regularisation weights).
    dtypes : the floating dtypes the caller computes in.
    allow_exact : accept dtype-object arrays of ints, Fractions and SymPy
        objects (the symbolic implementation).

    Returns
    -------
    Problem
        The arrays (not copied, not cast), ``n``, ``d`` and the dtype.

    Raises
    ------
    TypeError
        Non-arrays; integer, boolean or complex dtypes; a dtype the
        implementation does not support; arguments of different dtypes.
    ValueError
        Wrong number of dimensions, shapes that do not agree, ``n = 0``,
        ``d = 0``, NaN or Inf.
    """
    x = as_array("x", x, allow_exact=allow_exact)
    A = as_array("A", A, allow_exact=allow_exact)
    check_ndim("x", x, 1, "(d,)")
    check_ndim("A", A, 2, "(n, d)")
    check_nonempty("A", A, "rows (n = 0); alpha = <u, 1_n> would be an empty sum", "columns (d = 0)")
    n, d = A.shape
    if x.shape[0] != d:
        raise ValueError(f"x: has {x.shape[0]} entries but A has d = {d} columns; x must have shape (d,)")
    named = {"x": x, "A": A}
    if b is not None:
        b = as_array("b", b, allow_exact=allow_exact)
        check_shape("b", b, (n,), "(n,)", "from A")
        named["b"] = b
    elif need_b:
        raise TypeError("b: expected an array of shape (n,), got None")
    if w is not None:
        w = as_array("w", w, allow_exact=allow_exact)
        check_shape("w", w, (n,), "(n,)", "from A")
        named["w"] = w

    dtype = common_dtype(named, dtypes)
    for name, arr in named.items():
        check_finite(name, arr)
    return Problem(x, A, b, w, n, d, dtype)


# Every implementation's results are checked: a finite input whose result
# overflows (alpha = <exp(Ax) + Ax, 1_n> for logits Ax of 1e4 and above,
# ||diag(w) A x||^2 beyond the dtype) raises impls._arrays.overflow_error.
finite_resnet_results = finite_results(
    ("x", "A", "w"), "logits z = A x beyond log(largest float) (exp(z) in alpha), or w o A x beyond sqrt(largest float)",
    {"alpha": "alpha(x) = <exp(Ax) + Ax, 1_n>", "f": "f(x)", "loss": "the loss", "grad": "the gradient",
     "hessian": "the Hessian", "B": "B", "B_rank": "B_rank", "B_diag": "B_diag", "low_rank_factors": "a low-rank factor"},
)


def check_declared_size(capabilities, pb, instead: str = 'resnet_softmax.get("numpy")') -> None:
    """Refuse up front a problem beyond the declared ``max_n`` / ``max_d`` (a clear error naming the size)."""
    check_size(pb.n, capabilities.max_n, "n (rows of A)", "A", instead)
    check_size(pb.d, capabilities.max_d, "d (columns of A)", "A", instead)


# --------------------------------------------------------------------------
# Where the loss is defined
# --------------------------------------------------------------------------
#
# Every implementation evaluates alpha scaled by exp(-s), s = max(0, max_j z_j),
#
#     alpha' = sum_j t_j,   t_j = exp(z_j - s) + z_j exp(-s),
#
# so that nothing overflows (f = t / alpha' for every s). Rounding error of
# alpha', to first order in the unit roundoff u = eps / 2 (Higham, ch. 3):
#
# * z_j = sum_k A_jk x_k carries zeta_j = d u sum_k |A_jk| |x_k|, which moves
#   t_j by (e_j + g) zeta_j, with e_j = exp(z_j - s), g = exp(-s);
# * rounding z_j - s moves the exponent by u |z_j - s|: e_j u |z_j - s|;
# * exp, the product z_j g (g itself rounded) and the sum of the two terms
#   add <= 4 u (e_j + |z_j| g), the exp's own rounding u e_j;
# * the n-term sum adds (n - 1) u sum_j (e_j + |z_j| g).
#
# In total
#
#     delta = sum_j (e_j + g) zeta_j + u sum_j e_j (|z_j - s| + 1)
#             + (n + 3) u sum_j (e_j + |z_j| g).
#
# The loss divides by alpha once, the gradient up to 3 times and the
# Hessian up to 4 times (the term <3f - 2b, f> h h^T), so a relative error
# rho of alpha becomes up to 4 rho in them. alpha is accepted when it is
# known to relative accuracy sqrt(eps), alpha' > delta / sqrt(eps): then at
# most half of the significant digits are lost to alpha's rounding (1.5e-8
# relative in float64, 3.5e-4 in float32) and the sign of alpha is certain.
# Below that, the computed loss would be noise, so it is not returned.


def alpha_error_bound(z, s: float, abs_z, d: int, dtype) -> float:
    """First-order bound on the rounding error of the scaled ``alpha' = sum_j t_j`` (see above).

    Parameters
    ----------
    z : sequence of n floats, the computed ``z_j = (A x)_j``
    s : float, the shift ``max(0, max_j z_j)``
    abs_z : sequence of n floats, ``sum_k |A_jk| |x_k|``
    d : int, the number of columns of ``A``
    dtype : the computing dtype (its eps sets u = eps / 2)

    Returns
    -------
    float
        ``sum_j (e_j + g) zeta_j + u sum_j e_j (|z_j - s| + 1) + (n + 3) u sum_j (e_j + |z_j| g)``
        with ``zeta_j = d u abs_z_j``, ``e_j = exp(z_j - s)``, ``g = exp(-s)``,
        evaluated in float64.
    """
    u = float(np.finfo(np.dtype(dtype)).eps) / 2
    z = np.asarray(z, dtype=np.float64)
    zeta = d * u * np.asarray(abs_z, dtype=np.float64)
    e = np.exp(z - s)
    g = math.exp(-s)
    n = z.size
    inherited = float(np.sum((e + g) * zeta))
    exponent = u * float(np.sum(e * (np.abs(z - s) + 1)))
    summed = (n + 3) * u * float(np.sum(e + np.abs(z) * g))
    return inherited + exponent + summed


def reliable_alpha_threshold(error_bound: float, dtype) -> float:
    """Smallest scaled ``alpha'`` accepted: ``error_bound / sqrt(eps)``."""
    return float(error_bound) / math.sqrt(float(np.finfo(np.dtype(dtype)).eps))


def check_alpha(alpha_scaled: float, shift: float, error_bound: float, dtype) -> None:
    """Raise :class:`LossUndefinedError` unless ``alpha' > error_bound / sqrt(eps)``.

    ``alpha_scaled`` is ``alpha exp(-shift)``; the message reports ``alpha``
    itself.
    """
    threshold = reliable_alpha_threshold(error_bound, dtype)
    alpha = _unscale(alpha_scaled, shift)
    if not alpha_scaled > 0:
        raise LossUndefinedError(
            f"alpha: alpha(x) = <exp(Ax) + Ax, 1_n> = {alpha:.6g} <= 0; the loss is undefined there "
            "(f = u / alpha needs alpha > 0)",
            alpha,
            threshold,
        )
    if not alpha_scaled > threshold:
        name = np.dtype(dtype).name
        raise LossUndefinedError(
            f"alpha: alpha(x) = {alpha:.6g} is too close to 0 to evaluate the loss reliably in {name}: "
            f"its rounding error is up to {_unscale(error_bound, shift):.3g}, and alpha must exceed "
            f"{_unscale(threshold, shift):.3g} (that bound / sqrt(eps)) to be known to relative accuracy sqrt(eps)",
            alpha,
            _unscale(threshold, shift),
        )


def check_exact_alpha(alpha) -> None:
    """Raise :class:`LossUndefinedError` unless the exact (SymPy) ``alpha`` is positive.

    An ``alpha`` with free symbols is not checked: the expressions returned
    are then valid wherever ``alpha > 0``.
    """
    import sympy

    alpha = sympy.sympify(alpha)
    if alpha.free_symbols:
        return
    positive = alpha.is_positive
    if positive is None:
        # Decide the sign numerically, with enough digits that a nonzero
        # value is never mistaken for 0; an alpha that is 0 to 60 digits and
        # whose sign SymPy cannot prove is treated as 0.
        value = sympy.N(alpha, 60)
        positive = bool(value > sympy.Float(10, 60) ** -50) if value.is_comparable else False
    if not positive:
        raise LossUndefinedError(
            f"alpha: alpha(x) = <exp(Ax) + Ax, 1_n> = {alpha} (~ {sympy.N(alpha, 15)}) is not > 0; "
            "the loss is undefined there (f = u / alpha needs alpha > 0)",
            alpha,
            0.0,
        )


def _unscale(value: float, shift: float) -> float:
    try:
        return float(value) * math.exp(shift)
    except OverflowError:
        return math.copysign(math.inf, float(value)) if value else 0.0

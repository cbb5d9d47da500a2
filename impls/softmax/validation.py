"""Input validation of the softmax cross-entropy implementations, and their overflow error.

Every bad input gets a ``TypeError`` (wrong kind of data) or a ``ValueError``
(right kind, wrong value) whose message starts with the argument's name and
says what is wrong, so that no implementation ever returns a silent NaN or
fails deep inside NumPy. The array checks themselves (dtype kind, NaN / Inf,
target rows in the simplex) are the ones every family shares, from
:mod:`impls._arrays`; the shapes and the sample weights are this family's.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from .. import _arrays
from .._arrays import (
    FLOAT_DTYPES,
    as_array,
    check_finite,
    check_shape,
    check_simplex_rows,
    common_dtype,
    linear_model_arrays,
    linear_model_targets,
    unit_scaled_weights,
)


class Problem(NamedTuple):
    """Validated inputs. ``dtype`` is ``None`` for exact (object) inputs."""

    W: np.ndarray
    X: np.ndarray
    Y: np.ndarray | None
    V: np.ndarray | None
    sample_weight: np.ndarray | None
    N: int
    D: int
    K: int
    dtype: np.dtype | None

    @property
    def exact(self) -> bool:
        return self.dtype is None


def _check_sample_weight(sw: np.ndarray, N: int) -> None:
    check_shape("sample_weight", sw, (N,), "(N,)")
    if sw.dtype.kind == "O":
        import sympy

        vals = [sympy.sympify(v) for v in sw]
        if any(v.is_number and bool(v < 0) for v in vals):
            raise ValueError("sample_weight: negative entries; weights must be >= 0")
        if all(v.is_number and v == 0 for v in vals):
            raise ValueError("sample_weight: all weights are zero; the weighted mean is undefined")
        return
    if sw.min() < 0:
        i = int(np.argmax(sw < 0))
        raise ValueError(f"sample_weight: entry {i} = {sw[i]!r} is negative; weights must be >= 0")
    if not sw.max() > 0:
        raise ValueError("sample_weight: all weights are zero; the weighted mean is undefined")


def validate(
    W,
    X,
    Y=None,
    V=None,
    sample_weight=None,
    *,
    dtypes=FLOAT_DTYPES,
    need_Y: bool = True,
    need_V: bool = False,
    allow_exact: bool = False,
    allow_sample_weight: bool = True,
    deferred: tuple[str, ...] = (),
) -> Problem:
    """Check and normalise the inputs of one call.

    Parameters
    ----------
    W : array of shape (D, K)
    X : array of shape (N, D)
    Y : array of shape (N, K), rows in the simplex; required when ``need_Y``.
    V : array of shape (D, K), optional (the direction of ``hvp``); required when ``need_V``.
    sample_weight : array of shape (N,), optional, entries >= 0, not all zero.
        Returned scaled by a power of two so that its largest entry is in
        [0.5, 1) (``impls._arrays.unit_scaled_weights``): the weighted mean is
        scale-invariant and the scaling exact, so no weight vector's sum
        overflows and no tiny weight drives the weighted terms into underflow.
    dtypes : the floating dtypes the caller computes in.
    allow_exact : accept dtype-object arrays of ints, Fractions and SymPy
        objects (the symbolic implementation).
    allow_sample_weight : whether the implementation takes sample weights.
    deferred : names among ``"X"`` and ``"Y"`` whose values (finiteness; for
        Y, the simplex rows) the caller checks itself, block by block while
        the data are in cache. A caller that finds a bad value there must call
        ``validate`` again without ``deferred``, which raises the documented
        error (the same one, in the same order of precedence); shapes and
        dtypes are always checked here.

    Returns
    -------
    Problem
        The arrays (not copied, not cast; the sample weights scaled as
        above) and N, D, K, dtype.

    Raises
    ------
    TypeError
        Non-arrays, integer/boolean/complex dtypes, dtypes the implementation
        does not support, or arguments of different dtypes.
    ValueError
        Wrong number of dimensions, shapes that do not agree, N = 0, D = 0,
        K < 2, NaN or Inf, target rows outside the simplex, bad weights.
    """
    W, X = linear_model_arrays(W, X, allow_exact=allow_exact)
    N, D = X.shape
    K = W.shape[1]
    if K < 2:
        raise ValueError(f"W: has K = {K} columns; softmax cross-entropy needs K >= 2 classes")

    named = {"W": W, "X": X}
    Y = linear_model_targets(Y, N, K, required=need_Y, allow_exact=allow_exact)
    if Y is not None:
        named["Y"] = Y
    if V is None and need_V:
        raise TypeError("V: expected an array of shape (D, K) (the direction of the Hessian-vector product), got None")
    if V is not None:
        V = as_array("V", V, allow_exact=allow_exact)
        check_shape("V", V, (D, K), "(D, K)", "like W")
        named["V"] = V
    if sample_weight is not None:
        if not allow_sample_weight:
            raise TypeError("sample_weight: this implementation does not accept sample weights")
        sample_weight = as_array("sample_weight", sample_weight, allow_exact=allow_exact)
        named["sample_weight"] = sample_weight

    dtype = common_dtype(named, dtypes)
    exact = dtype is None

    unknown = set(deferred) - {"X", "Y"}
    if unknown:
        raise ValueError(f"deferred: only 'X' and 'Y' can be deferred, got {sorted(unknown)}")
    for name, arr in named.items():
        if name not in deferred or exact:
            check_finite(name, arr)
    if Y is not None and ("Y" not in deferred or exact):
        check_simplex_rows(Y)
    if sample_weight is not None:
        _check_sample_weight(sample_weight, N)
        sample_weight = unit_scaled_weights(sample_weight)
    return Problem(W, X, Y, V, sample_weight, N, D, K, dtype)


# ------------------------------------------------------------------ overflow
#
# Finite inputs can still give a result that is not representable: a logit
# z_nk = x_n . w_k beyond the largest float of the dtype, or a derivative that
# overflows. Every implementation then raises ``overflow_error`` instead of
# returning Inf or NaN: its arithmetic runs with NumPy's overflow and invalid
# warnings off (``quiet_overflow``), and what it returns is checked
# (``check_result_finite``). A logit that overflows only where its softmax
# probability rounds to 0 or 1 anyway leaves the result finite and correct
# to rounding, and is no error.

quiet_overflow = {"over": "ignore", "invalid": "ignore"}


_THROUGH = "logits X @ W beyond that value"


def overflow_error(dtype, what: str, arguments: str = "X, W") -> ValueError:
    """The documented error for a result that is not finite although the inputs are (:func:`impls._arrays.overflow_error`)."""
    return _arrays.overflow_error(dtype, what, arguments, _THROUGH)


def check_result_finite(value, dtype, what: str, arguments: str = "X, W"):
    """Return ``value``, or raise ``overflow_error`` if some entry is not finite."""
    return _arrays.check_result_finite(value, dtype, what, arguments, _THROUGH)

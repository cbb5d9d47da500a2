"""Input validation for the depth-2 objectives.

Every bad input gets a ``TypeError`` (wrong kind of data) or a ``ValueError``
(right kind, wrong value) whose message starts with the argument's name, as
in every family, so that no implementation returns a silent NaN. Reading an
argument and its NaN / Inf check are the shared ones of :mod:`impls._arrays`;
unlike the softmax family, integer data are accepted here (converted to
float64 exactly).
"""

from __future__ import annotations

import numbers
from fractions import Fraction

import numpy as np

from .._arrays import check_exact_entries, check_finite, check_size, is_exact_scalar, read_array
from ._protocol import ACTIVATIONS


def as_real_array(name: str, value, *, allow_exact: bool = True) -> np.ndarray:
    """``value`` as a real array: float64 (from any real floating input) or exact (object).

    Integer arrays are accepted for the data (``X``, ``y``, ``a``) and
    converted to float64 exactly; booleans and complex numbers are not.
    """
    arr = read_array(name, value)
    kind = arr.dtype.kind
    if kind == "O":
        if not allow_exact:
            raise TypeError(f"{name}: dtype object (exact) is not supported here; pass a float64 array")
        check_exact_entries(name, arr, "ints, Fractions or SymPy numbers")
        return arr
    if kind == "b":
        raise TypeError(f"{name}: boolean arrays are not accepted; pass a real array")
    if kind == "c":
        raise TypeError(f"{name}: complex dtype {arr.dtype} is not accepted; the objective is defined for real inputs")
    if kind in "iu":
        return arr.astype(np.float64)
    if kind != "f":
        raise TypeError(f"{name}: expected a real array, got dtype {arr.dtype}")
    return arr.astype(np.float64, copy=False)


def check_activation(activation) -> str:
    if not isinstance(activation, str) or activation not in ACTIVATIONS:
        raise ValueError(f"activation: expected one of {', '.join(ACTIVATIONS)}, got {activation!r}")
    return activation


def check_lam(lam):
    """lambda >= 0, finite; a Python/NumPy real or an exact number."""
    if isinstance(lam, bool) or not isinstance(lam, (numbers.Real, Fraction)) and not is_exact_scalar(lam):
        raise TypeError(f"lam: expected a real number >= 0, got {type(lam).__name__}")
    if is_exact_scalar(lam) and not isinstance(lam, (int, Fraction)):
        import sympy

        value = sympy.sympify(lam)
        if not (value.is_real and value.is_finite and value >= 0):
            raise ValueError(f"lam: expected a finite number >= 0, got {lam}")
        return value
    if isinstance(lam, (int, Fraction)):
        if lam < 0:
            raise ValueError(f"lam: expected a number >= 0, got {lam}")
        return lam
    lam = float(lam)
    if not np.isfinite(lam) or lam < 0:
        raise ValueError(f"lam: expected a finite number >= 0, got {lam!r}")
    return lam


def check_labels(y: np.ndarray, n: int) -> None:
    if y.ndim != 1:
        raise ValueError(f"y: expected a 1-D array of shape (n,) = ({n},), got shape {y.shape}")
    if y.shape[0] != n:
        raise ValueError(f"y: has {y.shape[0]} labels but X has n = {n} rows")
    if y.dtype.kind == "O":
        bad = [v for v in y if v not in (1, -1)]
    else:
        bad = y[(y != 1) & (y != -1)].tolist()
    if bad:
        raise ValueError(
            f"y: labels must be -1 or +1, found {bad[0]!r}; use impls.depth2.signed_labels for 0/1 labels"
        )


def check_theta(theta, dim: int, *, batched: bool, allow_exact: bool) -> np.ndarray:
    """``theta`` as an array of shape (dim,) or, when ``batched``, (M, dim)."""
    if theta is None:
        raise TypeError(f"theta: expected an array of shape ({dim},), got None")
    arr = read_array("theta", theta)
    if arr.dtype.kind in "iu":
        raise TypeError(f"theta: integer dtype {arr.dtype} where floats are needed; convert it, e.g. theta.astype(float)")
    arr = as_real_array("theta", arr, allow_exact=allow_exact)
    if arr.ndim == 1:
        if arr.shape[0] != dim:
            raise ValueError(f"theta: expected shape ({dim},) (d*p inner weights, then p outer ones if trained), got {arr.shape}")
    elif arr.ndim == 2 and batched:
        if arr.shape[1] != dim:
            raise ValueError(f"theta: expected shape (M, {dim}) for a batch of parameter vectors, got {arr.shape}")
        if arr.shape[0] == 0:
            raise ValueError("theta: the batch is empty (M = 0)")
    else:
        allowed = f"({dim},) or (M, {dim})" if batched else f"({dim},)"
        raise ValueError(f"theta: expected shape {allowed}, got {arr.shape}")
    check_finite("theta", arr)
    return arr


def check_rows(rows, n: int, theta_shape: tuple) -> np.ndarray:
    """Minibatch sample indices: shape (b,) for a single theta, (M, b) for a batch of M."""
    arr = np.asarray(rows)
    if arr.dtype.kind not in "iu":
        raise TypeError(f"rows: expected integer sample indices, got dtype {arr.dtype}")
    want_ndim = len(theta_shape)
    if arr.ndim != want_ndim or arr.shape[-1] == 0:
        shape = "(b,)" if want_ndim == 1 else f"(M, b) = ({theta_shape[0]}, b)"
        raise ValueError(f"rows: expected a non-empty array of shape {shape}, got {arr.shape}")
    if want_ndim == 2 and arr.shape[0] != theta_shape[0]:
        raise ValueError(f"rows: has {arr.shape[0]} rows of indices but theta has M = {theta_shape[0]} chains")
    if arr.min() < 0 or arr.max() >= n:
        raise ValueError(f"rows: sample indices must lie in [0, {n}), got range [{arr.min()}, {arr.max()}]")
    return arr


def check_declared_size(capabilities, problem, instead: str = 'depth2.get("numpy")') -> None:
    """Refuse up front a problem beyond the declared ``max_size`` (``n*d*p``), with its size."""
    check_size(problem.n * problem.d * problem.p, capabilities.max_size, "n*d*p", "X", instead)

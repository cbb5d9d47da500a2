"""Input validation of the reweighted loss family.

As in every family, each bad input gets a ``TypeError`` (wrong kind of
data) or a ``ValueError`` (right kind, wrong value) whose message starts
with the argument's name; the array checks (dtype kind, one dtype, NaN /
Inf, simplex rows) are the shared ones of :mod:`impls._arrays`.
"""

from __future__ import annotations

import math
from numbers import Real

import numpy as np

from .._arrays import (
    as_array,
    check_finite,
    check_ndim,
    check_shape,
    check_simplex_rows,
    common_dtype,
    linear_model_arrays,
    linear_model_targets,
    read_array,
)

# What each loss accepts as targets (see ``_protocol``).
TARGET_KINDS = ("binary", "simplex", "unit", "one_hot")


def _check_targets(Y: np.ndarray, kind: str) -> None:
    if kind == "simplex":
        check_simplex_rows(Y)
        return
    if np.any(Y < 0) or np.any(Y > 1):
        i, k = np.argwhere((Y < 0) | (Y > 1))[0]
        raise ValueError(f"Y: entry [{i}, {k}] = {Y[i, k]!r} lies outside [0, 1]; targets of a logistic loss are in [0, 1]")
    if kind == "one_hot":
        is_binary = (Y == 0) | (Y == 1)
        counts = Y.sum(axis=1)
        bad = np.flatnonzero(~np.all(is_binary, axis=1) | (counts != 1))
        if bad.size:
            raise ValueError(
                f"Y: row {bad[0]} is not one-hot ({Y[bad[0]].tolist()}); this loss needs a hard target class per "
                "sample (impls.one_hot)"
            )


def _check_columns(name: str, n_columns: int, kind: str, binary: bool) -> None:
    if binary and n_columns != 1:
        raise ValueError(f"{name}: has {n_columns} columns; the binary logistic loss takes one logit column (K = 1)")
    if not binary and n_columns < 2:
        raise ValueError(f"{name}: has {n_columns} column(s); a multi-class loss needs K >= 2 classes")


def _check_values(named: dict, Y, kind: str, dtypes) -> np.dtype:
    """The one dtype of the arguments ``named``, their finiteness, and the targets of ``kind``."""
    dtype = common_dtype(named, dtypes, why="")
    for name, arr in named.items():
        check_finite(name, arr)
    if Y is not None:
        _check_targets(Y, kind)
    return dtype


def validate_logits(Z, Y, *, kind: str, binary: bool, dtypes) -> tuple[np.ndarray, np.ndarray, np.dtype]:
    """Check logits ``Z`` (N, K) and targets ``Y`` (N, K) of a logit-level call."""
    Z = as_array("Z", Z, allow_exact=False)
    check_ndim("Z", Z, 2, "(N, K)")
    N, K = Z.shape
    if N == 0:
        raise ValueError("Z: has no samples (N = 0); the mean loss is undefined")
    _check_columns("Z", K, kind, binary)
    named = {"Z": Z}
    if Y is not None:
        Y = as_array("Y", Y, allow_exact=False)
        check_ndim("Y", Y, 2, "(N, K)")
        check_shape("Y", Y, Z.shape, "(N, K)", "like Z")
        named["Y"] = Y
    return Z, Y, _check_values(named, Y, kind, dtypes)


def validate_linear(W, X, Y, *, kind: str, binary: bool, dtypes, need_Y: bool = True):
    """Check ``W`` (D, K), ``X`` (N, D) and targets ``Y`` (N, K) of a linear-model call."""
    W, X = linear_model_arrays(W, X)
    _check_columns("W", W.shape[1], kind, binary)
    named = {"W": W, "X": X}
    Y = linear_model_targets(Y, X.shape[0], W.shape[1], required=need_Y)
    if Y is not None:
        named["Y"] = Y
    return W, X, Y, _check_values(named, Y, kind, dtypes)


def positive_weights(name: str, value, K: int) -> np.ndarray:
    """Class weights: a float64 array of shape (K,), every entry finite and > 0 (``None``: all ones)."""
    if value is None:
        return np.ones(K)
    arr = read_array(name, value)
    if arr.dtype.kind not in "fiu" or arr.dtype.kind == "b":
        raise TypeError(f"{name}: expected real numbers, got dtype {arr.dtype}")
    arr = arr.astype(np.float64)
    if arr.shape != (K,):
        raise ValueError(f"{name}: expected shape ({K},), got {arr.shape}")
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{name}: contains NaN or infinite entries; class weights must be finite")
    if np.any(arr <= 0):
        i = int(np.argmax(arr <= 0))
        raise ValueError(f"{name}: entry {i} = {arr[i]!r} is not positive; class weights must be > 0")
    return arr


def class_weight_length(name: str, value) -> int:
    """The number of classes a class-weight vector is for (to build a loss before seeing Y)."""
    arr = read_array(name, value)
    if arr.ndim != 1:
        raise ValueError(f"{name}: expected a 1-D array of one weight per class, got shape {arr.shape}")
    if arr.shape[0] < 2:
        raise ValueError(f"{name}: has {arr.shape[0]} entries; give one weight per class, for K >= 2 classes")
    return int(arr.shape[0])


def gamma_value(value) -> float:
    """The focusing exponent of the candidate: a finite real number >= 0."""
    if isinstance(value, bool) or not isinstance(value, (Real, np.floating, np.integer)):
        raise TypeError(f"gamma: expected a real number, got {type(value).__name__}")
    value = float(value)
    if not math.isfinite(value) or value < 0:
        raise ValueError(f"gamma: must be a finite number >= 0, got {value!r}")
    return value


def frozen_weights(value) -> np.ndarray:
    """Frozen non-target weights ``omega``, array of shape (N, K), finite and >= 0 (checked against Z at call time)."""
    arr = as_array("omega", value, allow_exact=False)
    check_ndim("omega", arr, 2, "(N, K)")
    check_finite("omega", arr)
    if np.any(arr < 0):
        i, k = np.argwhere(arr < 0)[0]
        raise ValueError(f"omega: entry [{i}, {k}] = {arr[i, k]!r} is negative; non-target weights must be >= 0")
    return arr


def check_frozen_shape(omega: np.ndarray, Z: np.ndarray) -> None:
    if omega.shape != Z.shape:
        raise ValueError(f"omega: expected shape (N, K) = {Z.shape} like the logits, got {omega.shape}")


def sample_weight_targets(Y, dtype, dtypes) -> tuple[np.ndarray, np.dtype]:
    """Targets ``Y`` (N, K), K >= 2, rows in the simplex, and the floating ``dtype`` the weights are wanted in."""
    try:
        dtype = np.dtype(dtype)
    except TypeError:
        raise TypeError(f"dtype: expected a NumPy floating dtype, got {dtype!r}") from None
    if dtype not in tuple(np.dtype(d) for d in dtypes):
        raise TypeError(f"dtype: {dtype} is not supported here; supported: {', '.join(np.dtype(d).name for d in dtypes)}")
    Y = as_array("Y", Y, allow_exact=False)
    if Y.dtype.kind == "f" and Y.dtype not in tuple(np.dtype(d) for d in dtypes):  # float16: as every method says
        raise TypeError(f"Y: dtype {Y.dtype} is not supported here; supported: "
                        f"{', '.join(np.dtype(d).name for d in dtypes)}")
    check_ndim("Y", Y, 2, "(N, K)")
    if Y.shape[0] == 0:
        raise ValueError("Y: has no samples (N = 0)")
    _check_columns("Y", Y.shape[1], "simplex", False)
    check_finite("Y", Y)
    check_simplex_rows(Y)
    return Y, dtype

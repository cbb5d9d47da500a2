"""Input validation shared by every implementation.

Every bad input gets a ``TypeError`` (wrong kind of data) or a ``ValueError``
(right kind, wrong value) whose message starts with the argument's name and
says what is wrong, so that no implementation ever returns a silent NaN or
fails deep inside NumPy.
"""

from __future__ import annotations

from fractions import Fraction
from typing import NamedTuple

import numpy as np

from ._protocol import FLOAT_DTYPES


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


# Largest number of elements a chunked check reads at once (bounds its temporaries).
_CHUNK_ELEMENTS = 1 << 20


def simplex_row_sum_tolerance(K: int, dtype) -> float:
    """Largest accepted ``|sum_k Y_ik - 1|`` for a target row of length K.

    A row of K entries each rounded to the dtype (relative error u = eps/2)
    and summed in floating point carries an error below (K + 1) u <= K eps of
    the exact sum 1, so a row farther than ``K * eps`` from 1 was not meant to
    be a probability vector.
    """
    return float(K * np.finfo(dtype).eps)


def _is_exact_scalar(value) -> bool:
    import sympy

    return isinstance(value, (int, Fraction, sympy.Basic)) and not isinstance(value, bool)


def _as_array(name: str, value, *, allow_exact: bool) -> np.ndarray:
    if value is None:
        raise TypeError(f"{name}: expected an array, got None")
    try:
        arr = np.asarray(value)
    except Exception as exc:  # ragged nested lists and the like
        raise TypeError(f"{name}: cannot be read as an array ({exc})") from None
    kind = arr.dtype.kind
    if kind == "O":
        if not allow_exact:
            raise TypeError(
                f"{name}: dtype object is not supported by this implementation; "
                f"pass a floating array ({_dtype_names(FLOAT_DTYPES)})"
            )
        if not all(_is_exact_scalar(v) for v in arr.flat):
            bad = next(v for v in arr.flat if not _is_exact_scalar(v))
            raise TypeError(
                f"{name}: exact inputs must hold ints, Fractions or SymPy numbers/symbols, "
                f"found {type(bad).__name__}"
            )
        return arr
    if kind == "b":
        raise TypeError(f"{name}: boolean arrays are not accepted; pass a floating array")
    if kind in "iu":
        raise TypeError(
            f"{name}: integer dtype {arr.dtype} where floats are needed; "
            f"convert it, e.g. {name}.astype(np.float64)"
        )
    if kind == "c":
        raise TypeError(f"{name}: complex dtype {arr.dtype} is not accepted; the loss is defined for real inputs")
    if kind != "f":
        raise TypeError(f"{name}: expected a real floating array, got dtype {arr.dtype}")
    return arr


def _dtype_names(dtypes) -> str:
    return ", ".join(np.dtype(d).name for d in dtypes)


def _check_ndim(name: str, arr: np.ndarray, ndim: int, shape_text: str) -> None:
    if arr.ndim != ndim:
        raise ValueError(f"{name}: expected a {ndim}-D array of shape {shape_text}, got shape {arr.shape}")


def _all_finite(arr) -> bool:
    """Whether every entry is finite.

    One pass, no temporary, in the common case: a sum is finite only if every
    term is (an Inf or NaN term makes it Inf or NaN). Only an array whose
    finite entries sum past the largest float gets the exact, entrywise test.
    """
    with np.errstate(over="ignore", invalid="ignore"):
        return bool(np.isfinite(np.sum(arr)) or np.isfinite(arr).all())


def _check_finite(name: str, arr: np.ndarray) -> None:
    if arr.dtype.kind == "O":
        import sympy

        for v in arr.flat:
            s = sympy.sympify(v)
            if s.is_number and (s.has(sympy.nan, sympy.zoo, sympy.oo, -sympy.oo)):
                raise ValueError(f"{name}: contains {s}; every entry must be finite")
        return
    if not _all_finite(arr):
        n_nan = int(np.isnan(arr).sum())
        n_inf = int(np.isinf(arr).sum())
        raise ValueError(f"{name}: contains {n_nan} NaN and {n_inf} infinite entries; every entry must be finite")


def _check_simplex_rows(Y: np.ndarray) -> None:
    if Y.dtype.kind == "O":
        import sympy

        for i, row in enumerate(Y):
            entries = [sympy.sympify(v) for v in row]
            for k, v in enumerate(entries):
                if v.is_number and bool(v < 0):
                    raise ValueError(f"Y: entry [{i}, {k}] = {v} is negative; target rows must lie in the simplex")
            excess = sympy.simplify(sympy.Add(*entries) - 1)
            if excess != 0:
                raise ValueError(
                    f"Y: row {i} sums to 1 + ({excess}), not exactly 1; exact target rows must sum to 1"
                )
        return
    negative = np.argwhere(Y < 0) if Y.min() < 0 else ()
    if len(negative):
        i, k = negative[0]
        raise ValueError(
            f"Y: {len(negative)} negative entries (first at [{i}, {k}] = {Y[i, k]!r}); "
            "target rows must lie in the simplex"
        )
    N, K = Y.shape
    tol = simplex_row_sum_tolerance(K, Y.dtype)
    # Rows in chunks, so that the temporaries stay small whatever N is.
    worst_off, worst_row, worst_sum = -1.0, 0, None
    chunk = max(1, _CHUNK_ELEMENTS // max(1, K))
    for start in range(0, N, chunk):
        sums = Y[start : start + chunk].sum(axis=1)
        off = np.abs(sums - 1)
        i = int(np.argmax(off))
        if off[i] > worst_off:
            worst_off, worst_row, worst_sum = float(off[i]), start + i, sums[i]
    if worst_off > tol:
        i = worst_row
        raise ValueError(
            f"Y: row {i} sums to {worst_sum!r}, not 1 (tolerance K*eps = {tol:.3g} for {Y.dtype}); "
            "target rows must be probability vectors (normalise them, or use impls.one_hot for labels)"
        )


def _check_sample_weight(sw: np.ndarray, N: int) -> None:
    if sw.shape != (N,):
        raise ValueError(f"sample_weight: expected shape (N,) = ({N},), got {sw.shape}")
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
    V : array of shape (D, K), optional (the direction of ``hvp``).
    sample_weight : array of shape (N,), optional, entries >= 0, not all zero.
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
        The arrays (not copied, not cast) and N, D, K, dtype.

    Raises
    ------
    TypeError
        Non-arrays, integer/boolean/complex dtypes, dtypes the implementation
        does not support, or arguments of different dtypes.
    ValueError
        Wrong number of dimensions, shapes that do not agree, N = 0, D = 0,
        K < 2, NaN or Inf, target rows outside the simplex, bad weights.
    """
    W = _as_array("W", W, allow_exact=allow_exact)
    X = _as_array("X", X, allow_exact=allow_exact)
    _check_ndim("X", X, 2, "(N, D)")
    _check_ndim("W", W, 2, "(D, K)")
    N, D = X.shape
    if N == 0:
        raise ValueError("X: has no samples (N = 0); the mean loss is undefined")
    if D == 0:
        raise ValueError("X: has no features (D = 0)")
    if W.shape[0] != D:
        raise ValueError(f"W: has {W.shape[0]} rows but X has D = {D} columns; W must have shape (D, K)")
    K = W.shape[1]
    if K < 2:
        raise ValueError(f"W: has K = {K} columns; softmax cross-entropy needs K >= 2 classes")

    named = {"W": W, "X": X}
    if Y is not None:
        Y = _as_array("Y", Y, allow_exact=allow_exact)
        _check_ndim("Y", Y, 2, "(N, K)")
        if Y.shape != (N, K):
            raise ValueError(f"Y: expected shape (N, K) = ({N}, {K}) from X and W, got {Y.shape}")
        named["Y"] = Y
    elif need_Y:
        raise TypeError("Y: expected an array of shape (N, K), got None")
    if V is not None:
        V = _as_array("V", V, allow_exact=allow_exact)
        if V.shape != (D, K):
            raise ValueError(f"V: expected shape (D, K) = ({D}, {K}) like W, got {V.shape}")
        named["V"] = V
    if sample_weight is not None:
        if not allow_sample_weight:
            raise TypeError("sample_weight: this implementation does not accept sample weights")
        sample_weight = _as_array("sample_weight", sample_weight, allow_exact=allow_exact)
        named["sample_weight"] = sample_weight

    kinds = {name: arr.dtype for name, arr in named.items()}
    exact = any(dt.kind == "O" for dt in kinds.values())
    if exact:
        dtype = None
        float_args = [n for n, dt in kinds.items() if dt.kind != "O"]
        if float_args:
            raise TypeError(
                f"{float_args[0]}: has dtype {kinds[float_args[0]]} while other arguments are exact (object); "
                "pass every argument exactly, or every argument as floats"
            )
    else:
        dtype = W.dtype
        for name, dt in kinds.items():
            if dt != dtype:
                raise TypeError(
                    f"{name}: has dtype {dt} but W has dtype {dtype}; pass every argument in one dtype "
                    "(implementations compute in the dtype they are given)"
                )
        if dtype not in tuple(np.dtype(d) for d in dtypes):
            raise TypeError(f"W: dtype {dtype} is not supported here; supported: {_dtype_names(dtypes)}")

    unknown = set(deferred) - {"X", "Y"}
    if unknown:
        raise ValueError(f"deferred: only 'X' and 'Y' can be deferred, got {sorted(unknown)}")
    for name, arr in named.items():
        if name not in deferred or exact:
            _check_finite(name, arr)
    if Y is not None and ("Y" not in deferred or exact):
        _check_simplex_rows(Y)
    if sample_weight is not None:
        _check_sample_weight(sample_weight, N)
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


def overflow_error(dtype, what: str, arguments: str = "X, W") -> ValueError:
    """The documented error for a result that is not finite although the inputs are."""
    dt = np.dtype(dtype)
    wider = "" if dt == np.dtype(np.float64) else ", or compute in float64"
    rescale = " or ".join(arguments.split(", "))
    return ValueError(
        f"{arguments}: {what} overflows {dt.name} (it is not finite although the inputs are; the largest "
        f"finite {dt.name} is {np.finfo(dt).max:.4g}), e.g. through logits X @ W beyond that value; "
        f"rescale {rescale}{wider}"
    )


def check_result_finite(value, dtype, what: str, arguments: str = "X, W"):
    """Return ``value``, or raise ``overflow_error`` if some entry is not finite."""
    if _all_finite(value):
        return value
    raise overflow_error(dtype, what, arguments)

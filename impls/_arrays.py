"""The array checks every objective family shares: reading an argument, its dtype, shape and values.

Each check raises a ``TypeError`` (wrong kind of data) or a ``ValueError``
(right kind, wrong value) whose message starts with the argument's name and
says what is wrong, so that no implementation ever returns a silent NaN or
fails deep inside NumPy. The families' own validation (``validation.py`` in
each of ``impls/softmax``, ``resnet_softmax``, ``depth2``, ``reweighted``)
composes these checks with the shapes and values of its own arguments.

"Exact" arrays have dtype object and hold ints, Fractions or SymPy numbers
and symbols: the symbolic implementations compute with them exactly.
"""

from __future__ import annotations

import math
from fractions import Fraction

import numpy as np

FLOAT_DTYPES: tuple[np.dtype, ...] = (np.dtype(np.float32), np.dtype(np.float64))
FLOAT64: tuple[np.dtype, ...] = (np.dtype(np.float64),)

# Largest number of elements a chunked check reads at once (bounds its temporaries).
_CHUNK_ELEMENTS = 1 << 20


def dtype_names(dtypes) -> str:
    """``"float32, float64"``: the names of ``dtypes``, for messages."""
    return ", ".join(np.dtype(d).name for d in dtypes)


def is_exact_scalar(value) -> bool:
    """Whether ``value`` is an int, a Fraction or a SymPy object (not a bool)."""
    import sympy

    return isinstance(value, (int, Fraction, sympy.Basic)) and not isinstance(value, bool)


def _nested_float_dtypes(value, found: set, depth: int = 0) -> None:
    """Collect the floating dtypes of the NumPy arrays and scalars inside nested lists and tuples."""
    if isinstance(value, (np.ndarray, np.generic)):
        if value.dtype.kind == "f":
            found.add(value.dtype)
        return
    if isinstance(value, (list, tuple)) and depth < 32:
        for item in value:
            _nested_float_dtypes(item, found, depth + 1)


def read_array(name: str, value) -> np.ndarray:
    """``np.asarray(value)``, or a ``TypeError`` naming ``name`` for ``None``, ragged input and mixed dtypes.

    A list that mixes float32 and float64 arrays would be promoted to float64
    silently; since an implementation computes in the dtype it is given, that
    choice is the caller's, so it is refused.
    """
    if value is None:
        raise TypeError(f"{name}: expected an array, got None")
    if isinstance(value, (list, tuple)):
        found: set = set()
        _nested_float_dtypes(value, found)
        if len(found) > 1:
            raise TypeError(
                f"{name}: mixes entries of dtypes {dtype_names(sorted(found, key=lambda d: d.itemsize))}; "
                "pass one array of one dtype"
            )
    try:
        return np.asarray(value)
    except Exception as exc:  # ragged nested lists and the like
        raise TypeError(f"{name}: cannot be read as an array ({exc})") from None


def check_exact_entries(name: str, arr: np.ndarray, allowed: str = "ints, Fractions or SymPy numbers/symbols") -> None:
    """Raise unless every entry of the object array ``arr`` is an exact scalar (``allowed`` says which, for the message)."""
    bad = next((v for v in arr.flat if not is_exact_scalar(v)), None)
    if bad is not None:
        raise TypeError(f"{name}: exact inputs must hold {allowed}, found {type(bad).__name__}")


def as_array(name: str, value, *, allow_exact: bool) -> np.ndarray:
    """``value`` as a real floating array or, with ``allow_exact``, an exact one; never converted.

    Integer, boolean and complex arrays are refused: an implementation
    computes in the dtype it is given, and these are not one it can.
    """
    arr = read_array(name, value)
    kind = arr.dtype.kind
    if kind == "O":
        if not allow_exact:
            raise TypeError(
                f"{name}: dtype object is not supported by this implementation; "
                f"pass a floating array ({dtype_names(FLOAT_DTYPES)})"
            )
        check_exact_entries(name, arr)
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


def check_size(size: int, limit: int | None, what: str, arguments: str, instead: str) -> None:
    """Refuse up front a problem of ``size`` beyond an implementation's declared ``limit`` (``None``: no limit).

    ``what`` says what the size counts (``"N*D*K"``), ``arguments`` names the
    arguments it comes from, ``instead`` the implementation to use. A slow
    implementation (plain Python loops, SymPy) would otherwise run for minutes
    or end in an empty ``MemoryError``.
    """
    if limit is not None and size > limit:
        raise ValueError(
            f"{arguments}: {what} = {size} exceeds this implementation's declared max_size {limit} "
            f"(capabilities); use {instead} for a problem this large"
        )


def unit_scaled_weights(weights: np.ndarray) -> np.ndarray:
    """Nonnegative finite ``weights`` scaled by a power of two so that the largest is in [0.5, 1).

    A weighted mean ``sum_i s_i c_i / sum_i s_i`` does not change when every
    weight is scaled by one factor, and a scaling by a power of two is exact
    (but for weights that become subnormal, whose share of the sum is then
    below 2**-1021 of the largest), so every finite weight vector gives the
    answer of its scaled copy: its sum cannot overflow (``[1e308, 1e308]``
    gives what ``[1, 1]`` gives), and tiny weights cannot push the products
    ``s_i c_i`` below the normal range, from which the division by the sum
    would bring back the underflow's error magnified (float32 weights of 1e-8
    times an ``x^2 p (1 - p)`` of 4e-38 made a Hessian entry of 2e-38 a 0).
    The copy costs one weight vector (N entries, 1/D of X) where the largest
    weight is not already in [0.5, 1). Exact (object) weights are returned as they are.
    """
    if weights.dtype.kind == "O":
        return weights
    _, exponent = math.frexp(float(weights.max()))
    if exponent == 0:
        return weights  # already in [0.5, 1): the caller's array as it is
    return np.ldexp(weights, -exponent).astype(weights.dtype, copy=False)


def overflow_error(dtype, what: str, arguments: str, through: str) -> ValueError:
    """The documented error for a result that is not finite although the inputs are.

    ``arguments`` names the arguments to rescale (``"X, W"``); ``through``
    says how the overflow typically arises (``"logits X @ W beyond that value"``).
    """
    dt = np.dtype(dtype)
    wider = "" if dt == np.dtype(np.float64) else ", or compute in float64"
    rescale = " or ".join(arguments.split(", "))
    return ValueError(
        f"{arguments}: {what} overflows {dt.name} (it is not finite although the inputs are; the largest "
        f"finite {dt.name} is {np.finfo(dt).max:.4g}), e.g. through {through}; rescale {rescale}{wider}"
    )


def check_result_finite(value, dtype, what: str, arguments: str, through: str):
    """Return ``value``, or raise :func:`overflow_error` if some entry is not finite."""
    if all_finite(value):
        return value
    raise overflow_error(dtype, what, arguments, through)


def finite_results(arguments: tuple[str, ...], through: str, results: dict[str, str]):
    """Class decorator: the result (arrays, scalars, tuples of them) of each method in ``results`` is checked finite.

    ``results`` maps a method's name to what its result is called in the
    message. A non-finite result of finite inputs raises
    :func:`overflow_error` naming those of ``arguments`` the method takes (in
    that order). Exact (SymPy) results are not checked here (they are exact,
    or carry symbols). The method runs with NumPy's overflow warnings off,
    since what overflows is reported by name.
    """
    import functools
    import inspect

    def checked(method, what):
        taken = set(inspect.signature(method).parameters)
        named = ", ".join(a for a in arguments if a in taken)

        @functools.wraps(method)
        def wrapper(*args, **kwargs):
            try:
                with np.errstate(over="ignore", invalid="ignore"):  # what overflows is reported below, by name
                    value = method(*args, **kwargs)
            except OverflowError:  # Python's float power (x ** 2) raises where NumPy's gives inf
                raise overflow_error(np.float64, what, named, through) from None
            for part in value if isinstance(value, tuple) else (value,):
                arr = np.asarray(part)
                if arr.dtype.kind == "f":
                    check_result_finite(arr, arr.dtype, what, named, through)
            return value

        return wrapper

    def decorate(cls):
        for attr, what in results.items():
            method = vars(cls).get(attr)
            if callable(method):
                setattr(cls, attr, checked(method, what))
        return cls

    return decorate


def check_ndim(name: str, arr: np.ndarray, ndim: int, shape_text: str) -> None:
    """Raise unless ``arr`` has ``ndim`` dimensions; ``shape_text`` names them, e.g. ``"(N, D)"``."""
    if arr.ndim != ndim:
        raise ValueError(f"{name}: expected a {ndim}-D array of shape {shape_text}, got shape {arr.shape}")


def check_shape(name: str, arr: np.ndarray, shape: tuple, shape_text: str, where: str = "") -> None:
    """Raise unless ``arr.shape == shape``; ``shape_text`` names it (``"(N, K)"``), ``where`` says where it comes from."""
    if arr.shape != shape:
        origin = f" {where}" if where else ""
        raise ValueError(f"{name}: expected shape {shape_text} = {shape}{origin}, got {arr.shape}")


def check_nonempty(name: str, arr: np.ndarray, rows: str, columns: str) -> None:
    """Raise unless the 2-D ``arr`` has rows and columns; ``rows`` and ``columns`` say what is missing and why it matters."""
    if arr.shape[0] == 0:
        raise ValueError(f"{name}: has no {rows}")
    if arr.shape[1] == 0:
        raise ValueError(f"{name}: has no {columns}")


def linear_model_arrays(W, X, *, allow_exact: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """``W`` of shape (D, K) and ``X`` of shape (N, D), N and D >= 1, of the linear model ``Z = X W``.

    Read with :func:`as_array`; ``K`` is left to the caller (its lower bound
    depends on the loss).
    """
    W = as_array("W", W, allow_exact=allow_exact)
    X = as_array("X", X, allow_exact=allow_exact)
    check_ndim("X", X, 2, "(N, D)")
    check_ndim("W", W, 2, "(D, K)")
    check_nonempty("X", X, "samples (N = 0); the mean loss is undefined", "features (D = 0)")
    D = X.shape[1]
    if W.shape[0] != D:
        raise ValueError(f"W: has {W.shape[0]} rows but X has D = {D} columns; W must have shape (D, K)")
    return W, X


def linear_model_targets(Y, N: int, K: int, *, required: bool = True, allow_exact: bool = False) -> np.ndarray | None:
    """The targets ``Y`` of shape (N, K) of the linear model, read with :func:`as_array`.

    ``None`` stays ``None`` unless ``required``. Only the shape is checked
    here: which rows are valid targets depends on the loss.
    """
    if Y is None:
        if required:
            raise TypeError("Y: expected an array of shape (N, K), got None")
        return None
    Y = as_array("Y", Y, allow_exact=allow_exact)
    check_ndim("Y", Y, 2, "(N, K)")
    check_shape("Y", Y, (N, K), "(N, K)", "from X and W")
    return Y


def common_dtype(
    named: dict[str, np.ndarray], dtypes, *, why: str = "implementations compute in the dtype they are given"
) -> np.dtype | None:
    """The one dtype of the arrays ``named`` (name -> array), or ``None`` when every one is exact.

    The first array is the one the messages compare the others with. Raises
    ``TypeError`` where exact and floating arrays are mixed, where two
    arrays differ in dtype (``why``, if given, closes that message), or
    where the dtype is not among ``dtypes``.
    """
    first = next(iter(named))
    kinds = {name: arr.dtype for name, arr in named.items()}
    if any(dt.kind == "O" for dt in kinds.values()):
        float_args = [name for name, dt in kinds.items() if dt.kind != "O"]
        if float_args:
            raise TypeError(
                f"{float_args[0]}: has dtype {kinds[float_args[0]]} while other arguments are exact (object); "
                "pass every argument exactly, or every argument as floats"
            )
        return None
    dtype = kinds[first]
    for name, dt in kinds.items():
        if dt != dtype:
            reason = f" ({why})" if why else ""
            raise TypeError(f"{name}: has dtype {dt} but {first} has dtype {dtype}; pass every argument in one dtype{reason}")
    if dtype not in tuple(np.dtype(d) for d in dtypes):
        raise TypeError(f"{first}: dtype {dtype} is not supported here; supported: {dtype_names(dtypes)}")
    return dtype


def all_finite(arr) -> bool:
    """Whether every entry is finite.

    One pass, no temporary, in the common case: a sum is finite only if every
    term is (an Inf or NaN term makes it Inf or NaN). Only an array whose
    finite entries sum past the largest float gets the exact, entrywise test.
    """
    with np.errstate(over="ignore", invalid="ignore"):
        return bool(np.isfinite(np.sum(arr)) or np.isfinite(arr).all())


def check_finite(name: str, arr: np.ndarray) -> None:
    """Raise unless every entry of ``arr`` (floating or exact) is finite."""
    if arr.dtype.kind == "O":
        import sympy

        for v in arr.flat:
            s = sympy.sympify(v)
            if s.is_number and (s.has(sympy.nan, sympy.zoo, sympy.oo, -sympy.oo)):
                raise ValueError(f"{name}: contains {s}; every entry must be finite")
        return
    if not all_finite(arr):
        n_nan = int(np.isnan(arr).sum())
        n_inf = int(np.isinf(arr).sum())
        raise ValueError(f"{name}: contains {n_nan} NaN and {n_inf} infinite entries; every entry must be finite")


def simplex_row_sum_tolerance(K: int, dtype) -> float:
    """Largest accepted ``|sum_k Y_ik - 1|`` for a target row of length K.

    A row of K entries each rounded to the dtype (relative error u = eps/2)
    and summed in floating point carries an error below (K + 1) u <= K eps of
    the exact sum 1, so a row farther than ``K * eps`` from 1 was not meant to
    be a probability vector.
    """
    return float(K * np.finfo(dtype).eps)


def check_simplex_rows(Y: np.ndarray) -> None:
    """Raise unless every row of the targets ``Y`` (N, K) is a probability vector.

    Entries >= 0, and row sums 1: exactly for exact rows, within
    :func:`simplex_row_sum_tolerance` for floating ones.
    """
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

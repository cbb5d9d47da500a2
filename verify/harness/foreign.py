"""Calling code under test: it is foreign, and may raise, overflow, warn or write into its arguments.

* :class:`Copying` wraps an implementation so that every method gets copies of
  its array arguments (the harness's arrays stay as drawn);
* :func:`attempt` calls it outside the harness's floating-point error mode and
  returns a :class:`Call`: the value, or the exception, and the warnings;
* :func:`evaluated` / :func:`as_float_array` turn a result into a float64
  array of the expected shape, or a :class:`~verify.harness.search.Measurement`
  that says what went wrong (:func:`broken`), with the implementation's own
  exception text or the non-finite value and the warnings emitted before it;
* :func:`difference_check` runs a finite-difference checker the same way;
* :class:`Watched` wraps an implementation so that every method's result is
  checked against the interface's result contract (:func:`contract_problem`)
  before any claim judges it, and every call is announced in the
  :class:`CallSlot` a supervising process watches for its time limit
  (:func:`call_time_limit`; :mod:`verify.harness.workers` enforces it).
"""

from __future__ import annotations

import contextlib
import ctypes
import inspect
import math
import time
import warnings
from dataclasses import dataclass
from typing import Any

import numpy as np

from .search import Measurement


# NumPy's default floating-point error mode: overflow, invalid and divide by zero warn; underflow (exp(-1000) = 0,
# the right answer) is ignored. Foreign code runs in it, and so does the harness, whatever np.seterr a caller set.
DEFAULT_ERROR_MODE = dict(over="warn", invalid="warn", divide="warn", under="ignore")


def _copied(value):
    return value.copy() if isinstance(value, np.ndarray) else value


class Copying:
    """The implementation under test, each of its methods called with copies of the array arguments.

    Code under test may write into its arguments (a real course solution zeroes
    ``W[:, -1]`` on every call). The harness's arrays must stay as drawn, or a
    re-check would run on inputs the search never drew and dismiss what it
    should confirm. Whether an implementation writes is the subject of
    ``impl.inputs_unchanged`` alone, which calls it without this wrapper.
    """

    def __init__(self, impl):
        self._impl = impl

    def __getattr__(self, name):
        attr = getattr(self._impl, name)
        if name.startswith("_") or inspect.isclass(attr) or not callable(attr):
            return attr

        def with_copies(*args, **kwargs):
            return attr(*(_copied(a) for a in args), **{k: _copied(v) for k, v in kwargs.items()})

        return with_copies


@dataclass(frozen=True)
class Call:
    """One call of foreign code: its value, or the exception it raised; and the warnings it emitted."""

    value: Any
    error: str | None
    warnings: tuple[str, ...] = ()

    broke_contract: bool = False  # the call returned, but not what the interface documents (the error says what)

    def problem(self, what: str) -> str:
        """``what raised TypeError: ...`` (with the warnings emitted before it), for a failed call.

        A broken result contract is said as it is (``grad returned a list``):
        the message names the method, and nothing was raised.
        """
        if self.broke_contract:
            return self.error + warned(self.warnings)
        return f"{what} raised {self.error}" + warned(self.warnings)


def warned(texts) -> str:
    return f" (warnings: {'; '.join(texts)})" if texts else ""


def attempt(fn, *args, **kwargs) -> Call:
    """Call foreign code; an exception is a result, not a crash of the harness.

    The code runs outside the harness's floating-point error mode: NumPy's
    floating-point errors are warnings inside it whatever ``np.seterr`` the
    caller set, and every warning it emits is recorded, not raised into it.
    An implementation whose intermediate overflows on the way to a right
    answer is judged by its answer (``impl.extreme_logits`` alone promises no
    warnings); the warnings are shown beside a wrong or non-finite result.
    """
    with warnings.catch_warnings(record=True) as caught, np.errstate(**DEFAULT_ERROR_MODE):
        warnings.simplefilter("always")
        try:
            value = fn(*args, **kwargs)
        except BrokenContract as exc:
            return Call(None, str(exc), _texts(caught), broke_contract=True)
        except Exception as exc:  # noqa: BLE001 - any failure of the implementation is evidence
            return Call(None, f"{type(exc).__name__}: {exc}", _texts(caught))
    return Call(value, None, _texts(caught))


def _texts(caught) -> tuple[str, ...]:
    seen = []
    for w in caught:
        text = f"{w.category.__name__}: {w.message}"
        if text not in seen:
            seen.append(text)
    return tuple(seen)


def floating_point_warnings(texts) -> tuple[str, ...]:
    """The warnings among ``texts`` (a :class:`Call`'s) that report a floating-point error (overflow, invalid, divide)."""
    return tuple(t for t in texts if t.startswith("RuntimeWarning") and "underflow" not in t)


def broken(quantity: str, problem: str) -> Measurement:
    """The measurement of a result that cannot be compared (an exception, a wrong shape, NaN): always violated."""
    return Measurement(np.inf, 0.0, quantity, {"problem": problem})


def difference_check(quantity: str, failure: str, checker, *args) -> Measurement:
    """A Richardson-extrapolated derivative check as a Measurement; differences that fail are a broken one."""
    call = attempt(checker, *args, method="richardson")
    if call.error:
        return broken(quantity, call.problem(failure))
    chk = call.value
    return Measurement(chk.max_abs_error, chk.tolerance, quantity, chk.to_dict())


def as_float_array(value, shape, quantity, warnings_seen=()):
    """The implementation's result as a float64 array of the expected shape, or a Measurement saying why not."""
    try:
        arr = None if value is None else np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        return None, broken(quantity, f"{quantity} returned {type(value).__name__}, not an array of numbers ({exc})")
    if arr is None or arr.shape != shape:
        return None, broken(quantity, f"{quantity} returned shape {None if arr is None else arr.shape}, expected {shape}")
    if not np.all(np.isfinite(arr)):
        shown = float(arr) if arr.ndim == 0 else arr[~np.isfinite(arr)][0]
        return None, broken(quantity, f"{quantity} returned non-finite values ({shown})" + warned(warnings_seen))
    return arr, None


def evaluated(method, args, shape, quantity, **kwargs):
    """Call ``method(*args)``: (its result as a float64 array of ``shape``, None) or (None, the Measurement of why not)."""
    call = attempt(method, *args, **kwargs)
    if call.error:
        return None, broken(quantity, call.problem(quantity))
    return as_float_array(call.value, shape, quantity, call.warnings)


# --------------------------------------------------------------------------
# The result contract: what each method of the interface returns (impls/softmax/_protocol.py, "Results")


class BrokenContract(Exception):
    """A method returned something other than the interface documents; the message says what, naming the method."""


# The methods of the interface and the names of their positional arguments, in order.
METHOD_ARGUMENTS = {
    "probs": ("W", "X"),
    "loss": ("W", "X", "Y"),
    "grad": ("W", "X", "Y"),
    "loss_grad": ("W", "X", "Y"),
    "hessian": ("W", "X", "Y"),
    "hvp": ("W", "X", "Y", "V"),
}


# A framework kernel's calls, as a supervised worker announces them: loading the kernel (its framework's import and
# the kernel module's), the forward pass and the vector-Jacobian product.
KERNEL_CALLS = ("load", "forward", "backward")


def _article(value) -> str:
    name = type(value).__name__
    return f"{'an' if name[:1].lower() in 'aeiou' else 'a'} {name}"


def result_shape(method: str, W, X) -> tuple:
    """The documented shape of ``method``'s result for weights ``W`` (D, K) and samples ``X`` (N, D)."""
    (N, D), K = np.shape(X), np.shape(W)[1]
    return {"probs": (N, K), "loss": (), "grad": (D, K), "hessian": (D * K, D * K), "hvp": (D, K)}[method]


def _value_problem(label: str, value, shape: tuple, dtype: np.dtype) -> str | None:
    """What is wrong with one returned value (the first thing), or None: type, then shape, then dtype, then finiteness."""
    if dtype.kind == "O":  # exact (object) input: the result's entries are rationals or expressions, of any type
        arr = np.asarray(value, dtype=object)
        return None if arr.shape == shape else f"{label} returned shape {arr.shape}, expected {shape or 'a scalar'}"
    if shape == ():
        # A scalar: a NumPy scalar or 0-d array of the input's dtype, or a Python float for float64 input.
        if isinstance(value, float) and not isinstance(value, np.floating):
            arr = np.asarray(value, dtype=np.float64)
        elif isinstance(value, (np.generic, np.ndarray)):
            arr = np.asarray(value)
            if arr.shape != ():
                return f"{label} returned shape {arr.shape}, expected a scalar"
        else:
            return f"{label} returned {_article(value)}, not a float"
    else:
        if not isinstance(value, np.ndarray):
            return f"{label} returned {_article(value)}, not a numpy.ndarray"
        arr = value
        if arr.shape != shape:
            return f"{label} returned shape {arr.shape}, expected {shape}"
    if arr.dtype != dtype:
        return f"{label} returned {arr.dtype} for {dtype} input"
    if dtype.kind == "f":
        finite = np.isfinite(arr)
        if not finite.all():
            bad = arr[~finite].flat[0] if arr.ndim else arr
            where = "" if arr.ndim == 0 else f" at [{', '.join(str(int(i)) for i in np.argwhere(~finite)[0])}]"
            return f"{label} returned {float(bad)}{where}"
    return None


def contract_problem(method: str, value, W, X) -> str | None:
    """The first way ``value``, returned by ``method(W, X, ...)``, breaks the interface's result contract, or None.

    The contract (impls/softmax/_protocol.py): arrays are ``numpy.ndarray`` of
    the documented shape (:func:`result_shape`), the loss a scalar; every
    value is in the dtype of ``W`` and finite (an input whose result would
    overflow raises the overflow error instead; no method returns Inf or
    NaN). ``loss_grad`` returns the pair ``(loss, grad)``. Said plainly, as
    the first violation: ``grad returned a list, not a numpy.ndarray``,
    ``loss returned nan``, ``grad returned shape (3, 2), expected (2, 3)``.
    """
    dtype = np.asarray(W).dtype
    if method == "loss_grad":
        if not (isinstance(value, (tuple, list)) and len(value) == 2):
            return f"loss_grad returned {_article(value)}, not the pair (loss, grad)"
        return (_value_problem("loss_grad loss", value[0], (), dtype)
                or _value_problem("loss_grad grad", value[1], result_shape("grad", W, X), dtype))
    return _value_problem(method, value, result_shape(method, W, X), dtype)


# --------------------------------------------------------------------------
# Time limits: each call announced in a slot of shared memory that the supervising process reads


# A call's default time limit: a floor, for what any call may cost before it computes (a JIT compiling its first
# shape: jax.jit and torch.compile take seconds; SymPy building its expressions), plus the costliest method's
# operation count at a rate that even interpreted code beats. The Hessian costs N (D K)^2 multiply-adds and every
# other method O(N D K); a pure-Python triple loop runs about 1e7 of them a second, so 1e6 a second is ten times
# slower than the slowest implementation checked. For the shapes the claims draw (N D K <= 120) the floor dominates.
CALL_TIME_FLOOR_S = 30.0
CONSERVATIVE_OPERATIONS_PER_S = 1e6


def call_time_limit(N: int, D: int, K: int) -> float:
    """The default time limit of one call on a problem of shape (N, D, K), in seconds (see the constants above)."""
    return CALL_TIME_FLOOR_S + N * D * K * (1 + D * K) / CONSERVATIVE_OPERATIONS_PER_S


def _default_limit(args) -> float:
    """:func:`call_time_limit` of a call's ``(W, X, ...)``; the floor when they are not the interface's 2-d arrays."""
    try:
        (N, D), (_, K) = np.shape(args[1]), np.shape(args[0])
    except (ValueError, IndexError):
        return CALL_TIME_FLOOR_S
    return call_time_limit(N, D, K)


class CallSlot:
    """What the implementation is doing now, in shared memory: the method, when it started, its limit, its arguments.

    A worker process writes it before and after each call (a few microseconds:
    the arguments are copied, no pickling); the supervising process reads it
    to kill a call past its limit, and after a crash to say which method
    crashed and with which inputs. Arguments that are not float arrays, or
    that do not fit in ``capacity`` bytes, are not kept (``arguments`` is then
    None).
    """

    CAPACITY = 1 << 20
    FLOAT_DTYPES = (np.float16, np.float32, np.float64, np.longdouble)
    NAMES = ("W", "X", "Y", "V", "sample_weight")
    _FIXED = 5  # start, limit, method, number of arguments kept (-1: none), sequence number
    _PER_ARG = 5  # name, dtype, ndim, shape[0], shape[1]
    _DTYPE_CODES = {t: i for i, t in enumerate(FLOAT_DTYPES)}
    _NAME_CODES = {n: i for i, n in enumerate(NAMES)}
    # The calls a slot names: the interface's methods, and a framework kernel's (verify/catalog/kernels).
    METHODS = (*METHOD_ARGUMENTS, *KERNEL_CALLS)
    _METHOD_CODES = {m: i for i, m in enumerate(METHODS)}

    def __init__(self, header=None, data=None):
        import multiprocessing

        self.header_raw = header if header is not None else multiprocessing.RawArray("d", self._FIXED + self._PER_ARG * len(self.NAMES))
        self.data_raw = data if data is not None else multiprocessing.RawArray("B", self.CAPACITY)
        self._header = np.frombuffer(self.header_raw, dtype=np.float64)
        self._data = np.frombuffer(self.data_raw, dtype=np.uint8)
        self._data_address = ctypes.addressof(self.data_raw)

    def __reduce__(self):  # travels to a spawned worker as the same shared memory
        return CallSlot, (self.header_raw, self.data_raw)

    def enter(self, method: str, named: dict, limit: float) -> None:
        # Plain ctypes stores and one memmove per argument: this runs before every call of the implementation.
        h = self.header_raw
        h[0] = 0.0
        kept, offset = 0, 0
        for name, value in named.items():
            code = self._DTYPE_CODES.get(value.dtype.type) if isinstance(value, np.ndarray) else None
            if code is None or value.ndim > 2 or offset + value.nbytes > self.CAPACITY:
                kept = -1
                break
            base = self._FIXED + self._PER_ARG * kept
            h[base], h[base + 1], h[base + 2] = self._NAME_CODES[name], code, value.ndim
            h[base + 3] = value.shape[0] if value.ndim > 0 else 1
            h[base + 4] = value.shape[1] if value.ndim > 1 else 1
            if not value.flags.c_contiguous:
                value = np.ascontiguousarray(value)
            ctypes.memmove(self._data_address + offset, value.ctypes.data, value.nbytes)
            offset += value.nbytes
            kept += 1
        h[1], h[2], h[3], h[4] = limit, self._METHOD_CODES[method], kept, h[4] + 1
        h[0] = time.monotonic()

    def leave(self) -> None:
        self.header_raw[0] = 0.0

    def running(self):
        """``(method, seconds since it started, limit)`` of the call in progress, or None."""
        start = float(self._header[0])
        if start == 0.0:
            return None
        return self.METHODS[int(self._header[2])], time.monotonic() - start, float(self._header[1])

    def arguments(self) -> dict | None:
        """The arguments of the call in progress (copies), by name; None when they were not kept."""
        kept = int(self._header[3])
        if kept < 0:
            return None
        out, offset = {}, 0
        for i in range(kept):
            name, dtype, ndim, n0, n1 = self._header[self._FIXED + self._PER_ARG * i:][:5]
            dt = np.dtype(self.FLOAT_DTYPES[int(dtype)])
            shape = (int(n0), int(n1))[:int(ndim)]
            nbytes = int(math.prod(shape)) * dt.itemsize
            out[self.NAMES[int(name)]] = self._data[offset:offset + nbytes].copy().view(dt).reshape(shape)
            offset += nbytes
        return out


_SLOT: dict = {"slot": None, "limit": None}


def supervise_calls(slot: CallSlot | None, limit_s: float | None = None) -> None:
    """In a supervised worker: announce every watched call in ``slot``, with ``limit_s`` (None: :func:`call_time_limit`)."""
    _SLOT["slot"], _SLOT["limit"] = slot, limit_s


@contextlib.contextmanager
def announced(method: str, default_limit_s: float, overridable: bool = True):
    """In a supervised worker, ``method``'s call announced in the slot for its duration, with the run's limit
    (``overridable``), else ``default_limit_s``; elsewhere nothing. For calls that do not go through
    :class:`Watched`: a framework kernel's (verify/catalog/kernels)."""
    slot = _SLOT["slot"]
    if slot is None:
        yield
        return
    slot.enter(method, {}, (_SLOT["limit"] if overridable else None) or default_limit_s)
    try:
        yield
    finally:
        slot.leave()


class Watched:
    """The implementation under test, each method's result held to the contract and each call announced.

    Every claim calls the implementation through this wrapper (and through
    :class:`Copying` on top of it), so the result contract is checked in one
    place, before any claim judges a value: a result that breaks it raises
    :class:`BrokenContract`, which :func:`attempt` turns into the call's
    finding. In a supervised worker (:func:`supervise_calls`) every call is
    written into the :class:`CallSlot`, so that the supervisor can stop one
    that runs past its limit; elsewhere no limit applies.
    """

    def __init__(self, impl):
        self._impl = impl

    def __getattr__(self, name):
        attr = getattr(self._impl, name)
        if name not in METHOD_ARGUMENTS or not callable(attr):
            return attr

        def watched(*args, **kwargs):
            slot = _SLOT["slot"]
            if slot is not None:
                named = dict(zip(METHOD_ARGUMENTS[name], args))
                named.update((k, v) for k, v in kwargs.items() if k in CallSlot.NAMES and v is not None)
                limit = _SLOT["limit"] or _default_limit(args)
                slot.enter(name, named, limit)
                try:
                    value = attr(*args, **kwargs)
                finally:
                    slot.leave()
            else:
                value = attr(*args, **kwargs)
            problem = contract_problem(name, value, args[0], args[1])
            if problem:
                raise BrokenContract(problem)
            return value

        return watched

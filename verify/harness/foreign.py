"""Calling code under test: it is foreign, and may raise, overflow, warn or write into its arguments.

* :class:`Copying` wraps an implementation so that every method gets copies of
  its array arguments (the harness's arrays stay as drawn);
* :func:`attempt` calls it outside the harness's floating-point error mode and
  returns a :class:`Call`: the value, or the exception, and the warnings;
* :func:`evaluated` / :func:`as_float_array` turn a result into a float64
  array of the expected shape, or a :class:`~verify.harness.search.Measurement`
  that says what went wrong (:func:`broken`), with the implementation's own
  exception text or the non-finite value and the warnings emitted before it;
* :func:`difference_check` runs a finite-difference checker the same way.
"""

from __future__ import annotations

import inspect
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

    def problem(self, what: str) -> str:
        """``what raised TypeError: ...`` (with the warnings emitted before it), for a failed call."""
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

"""The fuzzer of the four families: every public method of every registered implementation, on bad inputs,
valid edge cases and extreme values, each outcome classified against a high-precision reference.

The matrix is discovered, not listed: for each family, the implementations
come from its registry and the methods from the instances (every public
callable). A method the fuzzer has no reference for fails
``test_every_public_method_is_fuzzed`` (unless ``NOT_FUZZED`` says why it
has no numerical result to judge), so a new method is fuzzed or the suite
fails.

Each call is classified (``classify``):

* ``clear error``: a ``TypeError``, ``ValueError``, ``ArithmeticError`` or
  ``MemoryError`` whose message starts with the names of the call's
  arguments (``"X, W: ..."``); for a valid input of ordinary size this
  counts only where the implementation declares it does not take it (dtype,
  sample weights, size) or the exact answer is not representable;
* ``correct result``: finite, of the reference's shape, in the documented
  dtype, and within the derived tolerance of the reference (``tolerance``);
* ``wrong result`` (a bad input accepted, a value beyond the tolerance, a
  valid ordinary input rejected, an input written into), ``non-finite
  result``, ``unclear error`` (any other exception) and ``hang`` (over
  ``CALL_TIME_LIMIT_S``): each of these fails the test, with the call.

The budget: ``EXAMPLES`` per (family, method) cell in the default profile
(the whole matrix in about a minute on 2 cores), ``THOROUGH_EXAMPLES`` under
``--hypothesis-profile thorough``. The tally of calls and outcomes is printed
at the end of the module (``pytest -s``) and recorded in the README.
"""

from __future__ import annotations

import collections
import inspect
import re
import signal
import sys
import time
from dataclasses import dataclass, field

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import impls
from impls import depth2, resnet_softmax, reweighted
from tests import fuzz_references as ref

EXAMPLES = 10
THOROUGH_EXAMPLES = 300
# A call of a plain-Python or SymPy implementation on these sizes takes milliseconds, its first SymPy
# compilation per shape under 2 s: 30 s is a hang, not a slow call.
CALL_TIME_LIMIT_S = 30.0

# Public methods that return no numerical result to judge, with the reason.
NOT_FUZZED = {
    "model": "the SymPy implementations' cache of symbolic expressions per shape; every fuzzed method goes through it",
}

TALLY: collections.Counter = collections.Counter()


# ------------------------------------------------------------------- families


@dataclass
class Family:
    """One family: how to list its implementations, draw a valid problem, corrupt one argument, and the reference."""

    name: str
    implementations: object  # () -> list of (label, instance)
    draw: object  # (data, method, signature names) -> Case
    reference: object  # (method, args, instance) -> expected
    extra_names: tuple = ()  # names an error may start with besides the call's arguments
    result_dtype: object = None  # (case) -> the documented dtype of float results


@dataclass
class Case:
    args: dict
    dtype: np.dtype
    ordinary: bool  # magnitudes of order 1: every declared-capable implementation must give the result
    size: tuple
    perturbable: tuple  # arguments whose rounding the tolerance accounts for
    ops: int  # operations along the longest chain of the computation (sizes)
    tags: dict = field(default_factory=dict)


def _floats(data, shape, dtype, ordinary, label, positive=False):
    """An array of ``shape`` with entries m * 10^e: m in [-4, 4], e near 0 (ordinary) or anywhere in the dtype's range."""
    finfo = np.finfo(dtype)
    top = int(np.log10(finfo.max)) - 1
    if ordinary:
        exponent = data.draw(st.integers(-2, 1), label=f"{label} exponent")
    else:
        exponent = data.draw(st.sampled_from([-top, -top // 2, -20, -8, 0, 2, 4, 20, top // 2, top]), label=f"{label} exponent")
    n = int(np.prod(shape))
    mantissas = data.draw(st.lists(st.floats(-4, 4, allow_nan=False, width=32), min_size=n, max_size=n), label=label)
    arr = np.array(mantissas, dtype=np.float64).reshape(shape)
    if positive:
        arr = np.abs(arr) + 0.25
    return (arr * 10.0**exponent).astype(dtype)


def _targets(data, N, K, dtype, one_hot: bool):
    if one_hot or data.draw(st.booleans(), label="one-hot Y"):
        labels = data.draw(st.lists(st.integers(0, K - 1), min_size=N, max_size=N), label="labels")
        return impls.one_hot(labels, K).astype(dtype)
    raw = np.array(data.draw(st.lists(st.floats(0, 1, width=32), min_size=N * K, max_size=N * K), label="soft Y")).reshape(N, K)
    raw[:, 0] += 1e-3  # every row has mass
    return (raw / raw.sum(axis=1, keepdims=True)).astype(dtype)


def _dtype(data, allowed=(np.float64, np.float32)):
    return np.dtype(data.draw(st.sampled_from(allowed), label="dtype"))


# softmax ---------------------------------------------------------------------


def _softmax_impls():
    return [(name, impls.get(name)) for name in impls.names()]


def _draw_softmax(data, method, names):
    dtype = _dtype(data)
    ordinary = data.draw(st.booleans(), label="ordinary")
    N, D, K = data.draw(st.sampled_from([(1, 1, 2), (2, 1, 3), (2, 2, 2), (3, 1, 2), (2, 2, 3)]), label="N, D, K")
    args = {"W": _floats(data, (D, K), dtype, ordinary, "W"), "X": _floats(data, (N, D), dtype, ordinary, "X"),
            "Y": _targets(data, N, K, dtype, False), "V": _floats(data, (D, K), dtype, True, "V")}
    if "sample_weight" in names and data.draw(st.booleans(), label="weighted"):
        sw = _floats(data, (N,), dtype, ordinary, "sample_weight", positive=True)
        if N > 1 and data.draw(st.booleans(), label="a zero weight"):
            sw[0] = 0
        args["sample_weight"] = sw
    return Case(args, dtype, ordinary, (N, D, K), ("W", "X", "V", "sample_weight"), 4 * (N + D + K) + 20)


def _softmax_declines(impl, method, case):
    caps = impls.capabilities_of(impl)
    return (not caps.supports_dtype(case.dtype) or ("sample_weight" in case.args and not caps.sample_weight)
            or not caps.handles(*case.size, hessian=method in ("hessian", "hvp")))


# ResNet-softmax ---------------------------------------------------------------


def _resnet_impls():
    return [(name, resnet_softmax.get(name)) for name in resnet_softmax.names()]


def _draw_resnet(data, method, names):
    dtype = _dtype(data)
    ordinary = data.draw(st.booleans(), label="ordinary")
    n, d = data.draw(st.sampled_from([(1, 1), (2, 1), (2, 2), (3, 2)]), label="n, d")
    args = {"x": _floats(data, (d,), dtype, ordinary, "x"), "A": _floats(data, (n, d), dtype, True, "A"),
            "b": _floats(data, (n,), dtype, True, "b")}
    if "w" in names and data.draw(st.booleans(), label="regularised"):
        args["w"] = _floats(data, (n,), dtype, ordinary, "w")
    return Case(args, dtype, ordinary, (n, d), ("x", "A", "b", "w"), 4 * (n + d) + 30)


def _resnet_declines(impl, method, case):
    return not impl.capabilities.supports_dtype(case.dtype) or not impl.capabilities.handles(*case.size)


# depth-2 ----------------------------------------------------------------------


def _depth2_impls():
    return [(name, depth2.get(name)) for name in depth2.names()]


def _draw_depth2(data, method, names):
    ordinary = data.draw(st.booleans(), label="ordinary")
    n, d, p = data.draw(st.sampled_from([(1, 1, 1), (2, 1, 2), (2, 2, 1), (3, 2, 2)]), label="n, d, p")
    train_outer = data.draw(st.booleans(), label="train_outer")
    X = _floats(data, (n, d), np.float64, ordinary, "X")
    y = np.array(data.draw(st.lists(st.sampled_from([-1.0, 1.0]), min_size=n, max_size=n), label="y"))
    lam = data.draw(st.sampled_from([0.0, 0.1, 1.0]), label="lam")
    activation = data.draw(st.sampled_from(depth2.ACTIVATIONS), label="activation")
    a = None if train_outer else _floats(data, (p,), np.float64, True, "a")
    problem = depth2.Depth2Problem(X=X, y=y, lam=lam, activation=activation, a=a, width=p if train_outer else None,
                                   train_outer=train_outer)
    theta_dtype = _dtype(data)  # float32 theta is converted exactly (capabilities: float64)
    args = {"theta": _floats(data, (problem.dim,), theta_dtype, ordinary, "theta"), "problem": problem}
    if "rows" in names and data.draw(st.booleans(), label="minibatch"):
        args["rows"] = np.array(data.draw(st.lists(st.integers(0, n - 1), min_size=1, max_size=n), label="rows"))
    return Case(args, np.dtype(np.float64), ordinary, (n, d, p), ("theta", "problem"), 4 * (n + d + p) + 30)


def _depth2_declines(impl, method, case):
    return not impl.capabilities.handles(*case.size)


# reweighted -------------------------------------------------------------------

LOSS_PARAMS = {  # hyperparameters drawn for each loss: (name, length from K or None for a scalar)
    "binary_logistic": ("class_weight",),
    "softmax": ("class_weight",),
    "one_vs_all": ("positive_weight", "negative_weight"),
    "non_target_weighted": ("omega",),
    "candidate_inr": ("gamma",),
    "candidate_inr_detached": ("gamma",),
}


def _reweighted_impls():
    return [(f"{name}.{loss}", (name, loss)) for name in reweighted.names() for loss in reweighted.losses()]


def _draw_reweighted(data, method, names, loss_name):
    dtype = _dtype(data)
    ordinary = data.draw(st.booleans(), label="ordinary")
    binary = loss_name == "binary_logistic"
    N, D, K = data.draw(st.sampled_from([(1, 1, 2), (2, 1, 3), (2, 2, 2), (3, 1, 2)]), label="N, D, K")
    K = 1 if binary else K
    one_hot = loss_name in ("non_target_weighted", "candidate_inr", "candidate_inr_detached")
    W, X = _floats(data, (D, K), dtype, ordinary, "W"), _floats(data, (N, D), dtype, ordinary, "X")
    if binary:
        Y = np.array(data.draw(st.lists(st.sampled_from([0.0, 1.0, 0.25]), min_size=N, max_size=N), label="y")).reshape(N, 1)
    elif loss_name == "one_vs_all":
        Y = np.array(data.draw(st.lists(st.sampled_from([0.0, 1.0, 0.5]), min_size=N * K, max_size=N * K), label="Y")).reshape(N, K)
    else:
        Y = _targets(data, N, K, dtype, one_hot)
    args = {"W": W, "X": X, "Y": Y.astype(dtype), "Z": _floats(data, (N, K), dtype, ordinary, "Z"), "dtype": dtype}
    params = {}
    for param in LOSS_PARAMS[loss_name]:
        if param == "gamma":
            params[param] = data.draw(st.sampled_from([0.0, 1.0, 2.0]), label="gamma")
        elif param == "omega":
            params[param] = _floats(data, (N, K), np.float64, True, "omega", positive=True)
        elif data.draw(st.booleans(), label=f"{param} given"):
            params[param] = _floats(data, (2 if binary else K,), np.float64, ordinary, param, positive=True)
    return Case(args, dtype, ordinary, (N, D, K), ("W", "X", "Z"), 4 * (N + D + K) + 30, tags={"params": params})


FAMILIES = {
    "softmax": Family("softmax", _softmax_impls, _draw_softmax, lambda m, a, i: ref.softmax_reference(m, a)),
    "resnet_softmax": Family("resnet_softmax", _resnet_impls, _draw_resnet, lambda m, a, i: ref.resnet_reference(m, a),
                             extra_names=("alpha",)),
    "depth2": Family("depth2", _depth2_impls, _draw_depth2, lambda m, a, i: ref.depth2_reference(m, a),
                     extra_names=("X", "y", "a", "lam")),
    "reweighted": Family("reweighted", _reweighted_impls, None, lambda m, a, i: ref.reweighted_reference(m, a, i),
                         extra_names=("class_weight", "positive_weight", "negative_weight", "omega", "gamma", "Y", "Z")),
}
TERM_SCALES = {"softmax": ref.softmax_term_scale, "resnet_softmax": ref.resnet_term_scale,
               "depth2": ref.depth2_term_scale}
DECLINES = {"softmax": _softmax_declines, "resnet_softmax": _resnet_declines, "depth2": _depth2_declines}
REFERENCE_METHODS = {
    "softmax": {"probs", "loss", "grad", "loss_grad", "hessian", "hvp"},
    "resnet_softmax": set(resnet_softmax.METHODS),
    "depth2": {"loss", "grad", "loss_grad", "hessian", "laplacian"},
    "reweighted": {"logit_probs", "logit_loss_grad", "logit_loss", "logit_grad", "probs", "loss_grad", "loss", "grad",
                   "hessian", "candidate_weights", "sample_weights"},
}


def _instance(family, entry, params=None):
    if family == "reweighted":
        name, loss = entry
        return reweighted.get(name, loss, **(params or {}))
    return entry


def public_methods(obj) -> list[str]:
    return sorted(m for m in dir(obj) if not m.startswith("_") and callable(getattr(obj, m)))


def _matrix():
    cells = {}
    for family, spec in FAMILIES.items():
        for label, entry in spec.implementations():
            probe = _instance(family, entry, {"omega": np.ones((1, 2))} if family == "reweighted" and entry[1] == "non_target_weighted" else None)
            for method in public_methods(probe):
                if method in NOT_FUZZED:
                    continue
                cells.setdefault((family, method), []).append(label)
    return cells


MATRIX = _matrix()


def test_every_public_method_is_fuzzed():
    """Every public method of every registered implementation has a reference, or a reason in NOT_FUZZED."""
    missing = sorted(f"{family}.{method} ({', '.join(labels)})" for (family, method), labels in MATRIX.items()
                     if method not in REFERENCE_METHODS[family])
    assert not missing, f"public methods the fuzzer has no reference for: {missing}"


# --------------------------------------------------------------- corruptions

# Arguments whose default is None (the protocols: sample_weight=None, ResNet-softmax's w=None): None is a valid
# value of theirs, not a bad input.
OPTIONAL_ARGUMENTS = {"sample_weight", "w"}

# Per family and argument: the axis whose length must agree with another argument (a longer axis is bad input).
AGREEING_AXIS = {"W": 0, "X": 1, "Y": 1, "V": 0, "sample_weight": 0, "x": 0, "A": 1, "b": 0, "w": 0, "theta": 0}


def corruptions(family: str, name: str, value, case: Case) -> dict:
    """Bad values of the argument ``name``: each one is bad input whatever the other arguments are."""
    if name == "problem":
        return {"None": None, "a dict": {"X": np.eye(2)}, "a string": "problem"}
    if name == "dtype":
        return {}
    if name == "rows":
        return {"out of range": np.array([case.size[0]]), "float indices": np.array([0.0]), "empty": np.array([], dtype=int)}
    arr = np.asarray(value)
    bad = {"None": None, "a string": "abc", "a 0-d scalar": arr.dtype.type(1),
           # theta of shape (1, dim) is a batch of one for a batched depth-2 implementation: two more axes
           "one more axis": arr[None, None] if name == "theta" else arr[None],
           "ragged": [[1.0], [1.0, 2.0]], "complex": arr.astype(np.complex128), "boolean": arr > 0,
           "object strings": np.full(arr.shape, "a", dtype=object), "empty": arr[:0]}
    if name in OPTIONAL_ARGUMENTS:
        del bad["None"]
    nan, inf = arr.copy(), arr.copy()
    nan.flat[0], inf.flat[-1] = np.nan, -np.inf
    bad.update({"NaN": nan, "Inf": inf})
    if family != "depth2" or name == "theta":
        with np.errstate(invalid="ignore", over="ignore"):  # huge entries: any integers are bad input here
            bad["integer"] = np.round(arr).astype(np.int64)
    others_in_call = any(isinstance(v, np.ndarray) and k != name for k, v in case.args.items()
                         if k in case.tags.get("call", ()))
    if family != "depth2":
        other = np.float32 if arr.dtype == np.float64 else np.float64
        if others_in_call:
            bad["other dtype than the rest"] = arr.astype(other)
        bad["float16"] = arr.astype(np.float16)
        if arr.ndim >= 1 and arr.shape[0] >= 2:
            bad["mixed-dtype list"] = [arr[0].astype(np.float32), *[row.astype(np.float64) for row in arr[1:]]]
    axis = AGREEING_AXIS.get(name)
    # Bad only where something else fixes that length: another array of the call, or per-class weights for
    # Y's K (sample_weights(Y) without class weights takes any K: one more column of zeros is valid)
    per_class = {"class_weight", "positive_weight", "negative_weight", "omega"} & set(case.tags.get("params", {}))
    fixed = others_in_call or (family == "reweighted" and name == "Y" and bool(per_class))
    if axis is not None and arr.ndim > axis and fixed:
        bad["longer along an agreeing axis"] = np.concatenate([arr, np.take(arr, [0], axis=axis)], axis=axis)
    if name == "Y":
        off = arr.copy()
        # +1.5 leaves [0, 1] whatever the entry was, and moves its row's sum off 1: off the simplex for a
        # distribution row and no label for a one-column binary target (doubling a row and adding 1 turned
        # a binary label 0 into the valid label 1)
        off[0, 0] += 1.5
        bad["off the simplex / outside [0, 1]"] = off
        neg = arr.copy()
        neg[0, 0] = -0.5
        bad["a negative target"] = neg
    if name == "sample_weight":
        bad["a negative weight"] = np.where(np.arange(arr.size) == 0, -1.0, arr).astype(arr.dtype)
        bad["all zero"] = np.zeros_like(arr)
    return bad


# ------------------------------------------------------------- classification


class CallTimeout(Exception):
    pass


def _alarm(signum, frame):
    raise CallTimeout()


def _call(fn, args):
    """``(result, exception, seconds)`` of ``fn(**args)`` under the per-call time limit."""
    previous = signal.signal(signal.SIGALRM, _alarm)
    signal.setitimer(signal.ITIMER_REAL, CALL_TIME_LIMIT_S)
    start = time.perf_counter()
    try:
        return fn(**args), None, time.perf_counter() - start
    except BaseException as exc:  # noqa: BLE001 - foreign code may raise anything; it is classified
        if isinstance(exc, KeyboardInterrupt):
            raise
        return None, exc, time.perf_counter() - start
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def names_an_argument(message: str, names) -> bool:
    """Whether ``message`` starts with argument names: ``"X: ..."``, ``"X, W: ..."``."""
    match = re.match(r"^([A-Za-z_][\w]*(?:, [A-Za-z_][\w]*)*):", message)
    return bool(match) and all(part in names for part in match.group(1).split(", "))


def tolerance(reference, rounded: list, perturbed: list, n_inputs: int, case: Case, term_scale: float = 0.0) -> float:
    """Largest accepted ``max |got - reference|`` for one result (a normwise bound), from three measured terms.

    With ``u`` the unit roundoff of the dtype and ``m = case.ops`` the
    operations along the longest chain of the computation (a dot product of
    D terms, a sum of K exponentials, a mean of N terms and a few dozen
    elementwise operations):

    * rounding inside the computation: ``rounded`` holds pairs (the
      reference evaluated with every intermediate rounded to the dtype's
      precision: mpmath at 53 or 23 bits, with no overflow; the exact one) at
      the input and at the three perturbed inputs below, so their largest
      distance is the rounding error of an evaluation of the definition,
      cancellations included (``p - y`` for ``p`` near 1); an
      implementation's order of operations differs, and its error is bounded
      by ``m`` times that;
    * rounding of the inputs' effect: ``perturbed`` holds the exact result at
      three inputs moved by ``m u`` relative, entrywise, two with random signs
      and one with signs alternating along each array's last axis
      (the backward error of a stable implementation); a random-sign
      perturbation moves a result by about ``1/sqrt(n)`` of the worst case of
      ``n`` inputs, hence the factor ``sqrt(n_inputs)``;
    * the final rounding of the result, ``m u |reference|``, or ``m u`` times
      the scale of the terms it sums where the family gives one
      (``TERM_SCALES``: Higham's bound ``gamma_m sum |t|`` of a sum of terms
      ``t``, for results that are sums of cancelling terms, such as B = 0 for
      n = 1, which no rounded evaluation of the definition shows).
    """
    u = float(np.finfo(case.dtype).eps) / 2
    ref_arr = np.asarray(reference, dtype=np.float64)

    def distance(other):
        return float(np.max(np.abs(np.asarray(other, dtype=np.float64) - ref_arr), initial=0.0))

    with np.errstate(over="ignore", invalid="ignore"):
        spread = max((distance(p) for p in perturbed), default=0.0)
        rounding = max((float(np.max(np.abs(np.asarray(lo, dtype=np.float64) - np.asarray(ex, dtype=np.float64)),
                                     initial=0.0)) for lo, ex in rounded), default=0.0)
        scale = max(float(np.max(np.abs(ref_arr), initial=0.0)), term_scale)
        return (case.ops * rounding + np.sqrt(n_inputs) * spread + case.ops * u * scale
                + float(np.finfo(case.dtype).tiny))


def _alternating_signs(shape) -> np.ndarray:
    """+1, -1, +1, ... along the last axis (the same in every row), in one phase for every argument."""
    signs = np.where(np.arange(shape[-1]) % 2 == 0, 1.0, -1.0) if len(shape) else np.ones(())
    return np.broadcast_to(signs, shape)


def _perturbed_args(case: Case, rng) -> dict:
    """The arguments moved by ``m u`` relative, entrywise: random signs from ``rng``, or alternating signs
    (``_alternating_signs``) for ``rng=None``."""
    u = float(np.finfo(case.dtype).eps) / 2

    def moved(arr):
        signs = _alternating_signs(arr.shape) if rng is None else rng.choice([-1.0, 1.0], size=arr.shape)
        return arr * (1 + case.ops * u * signs)

    out = dict(case.args)
    for name in case.perturbable:
        value = case.args.get(name)
        if value is None:
            continue
        if name == "problem":
            X = moved(value.X)
            a = None if value.a is None else moved(value.a)
            out[name] = value.with_(X=X, a=a) if a is not None else value.with_(X=X)
        else:
            out[name] = moved(np.asarray(value, dtype=np.float64))
    return out


def _is(expected, tag: str) -> bool:
    """Whether the expected outcome is the tag ``"bad"`` (bad input) or ``ref.UNDEFINED``, not a result."""
    return isinstance(expected, str) and expected == tag


def _as_parts(value):
    return value if isinstance(value, tuple) else (value,)


def _representable(exact, dtype) -> bool:
    """Whether the exact result (float64, Inf beyond its range) lies within the finite range of ``dtype``."""
    exact = np.asarray(exact, dtype=np.float64)
    return bool(np.all(np.isfinite(exact)) and np.all(np.abs(exact) <= np.finfo(dtype).max))


def _same(before: np.ndarray, after) -> bool:
    """Whether an argument still holds what it held before the call (NaN equal to NaN)."""
    if before.dtype.kind in "fc":
        return np.array_equal(before, after, equal_nan=True)
    return before.shape == np.shape(after) and bool(np.all(before == after))


def _snapshot(args):
    return {k: (np.array(v, copy=True) if isinstance(v, np.ndarray) else None) for k, v in args.items()}


def classify(fn, args, names, expected, tol, declines: bool, ordinary: bool, dtype) -> tuple[str, str]:
    """The outcome of one call and a line saying what happened."""
    before = _snapshot(args)
    result, exc, seconds = _call(fn, args)
    written = [k for k, v in before.items() if v is not None and not _same(v, args[k])]
    if seconds > CALL_TIME_LIMIT_S or isinstance(exc, CallTimeout):
        return "hang", f"took {seconds:.1f} s"
    if written:
        return "wrong result", f"wrote into {written}"
    if exc is not None:
        clear = isinstance(exc, (TypeError, ValueError, ArithmeticError, MemoryError)) and names_an_argument(str(exc), names)
        if not clear:
            return "unclear error", f"{type(exc).__name__}: {exc}"
        if _is(expected, "bad") or _is(expected, ref.UNDEFINED) or declines or not ordinary:
            return "clear error", str(exc)
        if any(not _representable(p, dtype) for p in _as_parts(expected)):
            return "clear error", str(exc)  # the exact answer is not representable
        if isinstance(exc, resnet_softmax.LossUndefinedError):
            return "clear error", str(exc)  # alpha too close to 0 to evaluate reliably
        return "wrong result", f"valid ordinary input rejected: {type(exc).__name__}: {exc}"
    if _is(expected, "bad"):
        return "wrong result", "bad input accepted"
    if _is(expected, ref.UNDEFINED):
        return "wrong result", "a result where the exact one is undefined"
    parts, want = _as_parts(result), _as_parts(expected)
    if len(parts) != len(want):
        return "wrong result", f"returned {len(parts)} values, expected {len(want)}"
    for got, exact, t in zip(parts, want, tol):
        if isinstance(got, (list, tuple)) or got is None:
            return "wrong result", f"returned a {type(got).__name__}"
        arr = np.asarray(got)
        if arr.dtype.kind != "f" or arr.shape != np.shape(exact):
            return "wrong result", f"returned dtype {arr.dtype}, shape {arr.shape}; expected shape {np.shape(exact)}"
        if arr.dtype != dtype:
            return "wrong result", f"returned dtype {arr.dtype}, expected {dtype}"
        if not np.all(np.isfinite(arr)):
            return "non-finite result", f"{arr!r}"
        exact = np.asarray(exact, dtype=np.float64)
        if not _representable(exact, dtype):
            return "wrong result", f"a finite result {arr!r} where the exact one overflows {dtype}"
        err = float(np.max(np.abs(arr.astype(np.float64) - exact), initial=0.0))
        if not err <= t:
            return "wrong result", f"error {err:.3g} > tolerance {t:.3g}: got {arr!r}, exact {exact!r}"
    return "correct result", ""


# ----------------------------------------------------------------- the matrix


def _expected(spec, method, args, case, instance):
    """``(reference, tolerances)`` of a valid call: the exact result (or ``ref.UNDEFINED``) and one tolerance per part."""
    expected = spec.reference(method, args, instance)
    if _is(expected, ref.UNDEFINED):
        return expected, []
    rng = np.random.default_rng(0)
    perturbed_case = Case(args, case.dtype, case.ordinary, case.size, case.perturbable, case.ops)
    # Two random-sign perturbations and one with alternating signs: random signs that move the terms of a
    # cancelling sum alike leave it as it is (1e153 - 1e153 for theta = (1e307, 1e307), x = (1e-154, -1e-154);
    # logits -1.24e10 + 100 and -1.24e10 in float32: the thorough profile's false alarms when both draws did);
    # alternating signs along the last axis move W's columns (logit differences) and theta . x apart.
    perturbed_args = [_perturbed_args(perturbed_case, rng) for _ in range(2)] + [_perturbed_args(perturbed_case, None)]
    perturbed = [spec.reference(method, a, instance) for a in perturbed_args]
    # The rounding error of the definition evaluated at the dtype's precision, at the input and at the three
    # perturbed ones: at "nice" inputs (x = 1, A = 10) its cancellations may be exact by accident.
    with ref.at_digits(ref.DTYPE_DIGITS[np.dtype(case.dtype)]):
        lows = [spec.reference(method, a, instance) for a in [args, *perturbed_args]]
    exacts = [expected, *perturbed]
    n_inputs = sum(np.size(args[k]) for k in case.perturbable if isinstance(args.get(k), np.ndarray))
    if "problem" in args:
        n_inputs += args["problem"].X.size
    tols = []
    for i, part in enumerate(_as_parts(expected)):
        others = [_as_parts(p)[i] for p in perturbed if not _is(p, ref.UNDEFINED)]
        pairs = [(_as_parts(lo)[i], _as_parts(ex)[i]) for lo, ex in zip(lows, exacts)
                 if not _is(lo, ref.UNDEFINED) and not _is(ex, ref.UNDEFINED)]
        scale_of = TERM_SCALES.get(spec.name)
        term_scale = 0.0 if scale_of is None else scale_of(method, args)
        tols.append(tolerance(part, pairs, others, max(1, n_inputs), case, term_scale))
    return expected, tols


def _budget() -> int:
    return THOROUGH_EXAMPLES if settings.get_current_profile_name() == "thorough" else EXAMPLES


def _cells():
    return [pytest.param(family, method, id=f"{family}.{method}") for (family, method) in sorted(MATRIX)]


@pytest.fixture(scope="module", autouse=True)
def tally(request):
    yield TALLY
    calls = sum(TALLY.values())
    reporter = request.config.pluginmanager.get_plugin("terminalreporter")
    line = f"fuzz_families: {calls} calls: " + ", ".join(f"{k} {v}" for k, v in sorted(TALLY.items()))
    if reporter is not None:
        reporter.write_line("\n" + line)


@pytest.mark.parametrize("family, method", _cells())
def test_fuzz(family, method):
    spec = FAMILIES[family]
    labels = MATRIX[(family, method)]

    @settings(max_examples=_budget(), deadline=None, database=None)
    @given(data=st.data())
    def run(data):
        entries = dict(spec.implementations())
        chosen, loss_name = labels, None
        if family == "reweighted":  # one loss per example, every implementation of it
            loss_name = data.draw(st.sampled_from(sorted({entries[label][1] for label in labels})), label="loss")
            chosen = [label for label in labels if entries[label][1] == loss_name]
        probe_params = {"omega": np.ones((1, 2))} if loss_name == "non_target_weighted" else None
        names = set()
        for label in chosen:
            names |= set(inspect.signature(getattr(_instance(family, entries[label], probe_params), method)).parameters)
        if family == "reweighted":
            case = _draw_reweighted(data, method, names, loss_name)
        else:
            case = spec.draw(data, method, names)
        args = {k: v for k, v in case.args.items() if k in names}
        case.tags["call"] = tuple(args)
        params = case.tags.get("params", {})
        instances = [(label, _instance(family, entries[label], params)) for label in chosen]
        mode = data.draw(st.sampled_from(["valid", "valid", "bad"]), label="mode")
        target = None
        if mode == "bad":
            target = data.draw(st.sampled_from(sorted(args)), label="corrupted argument")
            with np.errstate(over="ignore", invalid="ignore"):  # casting huge entries to a narrower dtype
                options = corruptions(family, target, args[target], case)
            if options:
                how = data.draw(st.sampled_from(sorted(options)), label="corruption")
                bad_args = {**args, target: options[how]}
            else:
                mode, target = "valid", None
        references = {}  # per set of arguments an implementation takes (rows: only the minibatch ones)

        def expected_for(call_names):
            key = tuple(sorted(call_names))
            if key not in references:
                valid = {k: v for k, v in args.items() if k in call_names}
                references[key] = _expected(spec, method, valid, case, instances[0][1])
            return references[key]

        failures = []
        for label, inst in instances:
            fn = getattr(inst, method)
            taken = set(inspect.signature(fn).parameters)
            if target is not None and target in taken:
                call_args = {k: v for k, v in bad_args.items() if k in taken}
                expected, tol, how_called = "bad", [], f"bad {target}: {how}"
            else:
                call_args = {k: v for k, v in args.items() if k in taken}
                (expected, tol), how_called = expected_for(set(call_args)), "valid"
            declines = DECLINES[family](inst, method, case) if family in DECLINES else (
                np.dtype(case.dtype) not in inst.capabilities.dtypes)
            dtype = np.dtype(np.float64) if family == "depth2" else case.dtype
            if method == "sample_weights":
                dtype = np.dtype(call_args.get("dtype", case.dtype))
            outcome, detail = classify(fn, call_args, set(call_args) | set(spec.extra_names), expected, tol, declines,
                                       case.ordinary, dtype)
            TALLY[outcome] += 1
            if outcome not in ("clear error", "correct result"):
                failures.append(f"{family}.{label}.{method} [{how_called}]: {outcome}: {detail[:4000]}")
        assert not failures, "\n".join(failures)

    run()


def test_classify_fails_what_it_should(monkeypatch):
    """Planted by construction: each kind of bad outcome gets its class, and only the two good ones pass."""
    W, X, Y = np.array([[0.5, -0.5]]), np.array([[1.0], [2.0]]), impls.one_hot([0, 1], 2)
    args = {"W": W, "X": X, "Y": Y}
    case = Case(args, np.dtype(np.float64), True, (2, 1, 2), ("W", "X"), 4 * 5 + 20)
    spec = FAMILIES["softmax"]
    expected, tol = _expected(spec, "grad", args, case, None)
    good = impls.get("numpy").grad
    names = set(args)

    def outcome(fn, want=expected, call_args=args):
        return classify(fn, call_args, names, want, tol, False, True, np.dtype(np.float64))[0]

    def sleeps(**kw):
        time.sleep(0.5)
        return good(**kw)

    def writes(**kw):
        kw["X"][0, 0] = 7.0
        return good(**kw)

    assert outcome(good) == "correct result"
    assert outcome(lambda **kw: good(**kw) * (1 + 1e-9)) == "wrong result"
    assert outcome(lambda **kw: good(**kw).astype(np.float32)) == "wrong result"
    assert outcome(lambda **kw: good(**kw).tolist()) == "wrong result"
    assert outcome(lambda **kw: np.full((1, 2), np.nan)) == "non-finite result"
    assert outcome(lambda **kw: 1 / 0) == "unclear error"
    assert outcome(lambda **kw: (_ for _ in ()).throw(ValueError("something went wrong"))) == "unclear error"
    assert outcome(lambda **kw: (_ for _ in ()).throw(ValueError("X: has NaN"))) == "wrong result"  # valid input
    assert outcome(lambda **kw: (_ for _ in ()).throw(ValueError("X: has NaN")), want="bad") == "clear error"
    assert outcome(good, want="bad") == "wrong result"
    assert outcome(writes, call_args={"W": W, "X": X.copy(), "Y": Y}) == "wrong result"
    monkeypatch.setattr(sys.modules[__name__], "CALL_TIME_LIMIT_S", 0.1)
    assert outcome(sleeps) == "hang"


def test_reweighted_softmax_hessian_reference_at_a_saturated_row():
    """The fuzzer's falsifying draw: z = (0, 200), where 1 - p_1 = 1e-87 is below the reference's digits.

    diag(p) - p p^T has rows summing to 0 and is symmetric; the reference wrote p_1 (1 - p_1) as 0 (before
    this test) and took the correct Hessian of the numpy implementation for a wrong result.
    """
    W, X = np.array([[0.0, 0.0], [0.0, 10.0]]), np.array([[0.0, 0.0], [0.0, 20.0]])
    args = {"W": W, "X": X, "Y": np.array([[1.0, 0.0], [1.0, 0.0]]), "Z": np.zeros((2, 2))}
    loss = reweighted.get("numpy", "softmax")
    exact = np.asarray(ref.reweighted_reference("hessian", args, loss), dtype=np.float64)
    p0 = np.exp(-200.0) / (1 + np.exp(-200.0))  # sigma(-200): p_0 (1 - p_0) = p_0 p_1, p_1 rounds to 1
    block = 400.0 / 2 * p0 * np.array([[1.0, -1.0], [-1.0, 1.0]])  # x_1^2 / N (diag p - p p^T)
    np.testing.assert_allclose(exact[2:, 2:], block, rtol=1e-15)
    assert np.all(exact[:2, :] == 0) and np.all(exact[:, :2] == 0)
    np.testing.assert_allclose(loss.hessian(W, X, args["Y"]), exact, rtol=1e-13, atol=0)


@pytest.mark.parametrize("which", ["float32 logits -1.24e10 + 100", "theta . x = 1e153 - 1e153"])
def test_the_tolerance_sees_a_cancelling_sum(which):
    """Two false alarms of the thorough profile, where both random-sign perturbations moved the terms of a
    cancelling sum alike (before the alternating-sign one): backward-stable results called wrong.

    float32 ``X @ W`` rounds -1.24e10 + 100 and -1.24e10 to one value (p = 1/2 instead of 1 - e^-100); BLAS's
    fused multiply-add gives 1e153 - 1e153 = -4e136 (sigma' = 0 instead of 1/4). Both are what inputs moved
    by their rounding give, and the tolerance must say so.
    """
    if which.startswith("float32"):
        dt = np.dtype(np.float32)
        W = (np.array([[3.0, 3.0], [1.0, 0.0]]) * 1e-8).astype(dt)
        X = (np.array([[-0.4140625, float(np.float32(1e-8))], [0.0, 0.0]]) * 1e18).astype(dt)
        args = {"W": W, "X": X, "Y": impls.one_hot([0, 0], 2).astype(dt)}
        case = Case(args, dt, False, (2, 2, 2), ("W", "X", "V", "sample_weight"), 4 * 6 + 20)
        spec, fn = FAMILIES["softmax"], impls.get("numpy").loss_grad
    else:
        dt = np.dtype(np.float64)
        problem = depth2.Depth2Problem(X=np.array([[0.0, 0.0], [1e-154, -1e-154]]), y=np.array([-1.0, -1.0]), lam=0.0,
                                       activation="sigmoid", a=np.array([1.0]), width=None, train_outer=False)
        args = {"theta": np.array([1e307, 1e307]), "problem": problem}
        case = Case(args, dt, False, (2, 2, 1), ("theta", "problem"), 4 * 5 + 30)
        spec, fn = FAMILIES["depth2"], depth2.get("numpy").grad
    expected, tol = _expected(spec, "loss_grad" if which.startswith("float32") else "grad", args, case, None)
    assert classify(fn, args, set(args), expected, tol, False, False, dt)[0] == "correct result"


def test_a_longer_axis_is_bad_only_where_something_fixes_its_length():
    """sample_weights(Y) without class weights takes any K: Y with one more column (of zeros, for labels [1, 1])
    is valid, and the thorough profile called its acceptance a wrong result (before this test)."""
    Y = impls.one_hot([1, 1], 3).astype(np.float64)
    for params, bad in (({}, False), ({"class_weight": np.ones(3)}, True)):
        case = Case({"Y": Y, "dtype": np.dtype(np.float64)}, np.dtype(np.float64), False, (2, 1, 3), ("W", "X", "Z"),
                    50, tags={"params": params, "call": ("Y", "dtype")})
        assert ("longer along an agreeing axis" in corruptions("reweighted", "Y", Y, case)) == bad

"""An independent classifier for the corpus: a fixed battery of ordinary inputs against the 50-digit definition.

This is not lossproof's search. It runs each corpus adapter on a small, seeded
battery (N up to 6, entries of X of ordinary size, logits scaled to |z| of
1e-2, 1 and 30, plus one large-logit case at |z| = 1e3), compares ``loss``,
``grad`` and ``loss_grad`` with ``verify.numerics.precision`` evaluated in 50
digits, and checks that no method changed its arguments. An exception or a
non-finite result counts as a wrong value. An implementation that computes in
float32 only (JAX without 64-bit mode) gets the battery cast to float32, the
definition evaluated at the cast inputs, and the rounding bound in float32's
eps. The result is the set of
quantities found wrong; ``tests/test_corpus.py`` asserts that it equals what
each module declares, so the declared labels are measured, not typed in.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass

import numpy as np

import impls
from verify.catalog.implementation import working_dtype
from verify.numerics import precision

# Rounding bound, in units of eps * (magnitude of the computation), for one
# value of the definition computed in the case's dtype: the logits are D-term dot
# products (D roundings), logsumexp and y.z add K terms, the mean adds N, and
# a few more operations (shift, log, exp, division) add a handful. The
# magnitude is 1 + the largest |x_i| |w_k| sum (the size of a logit before
# cancellation) + log K. The factor 4 is slack for the constants in those
# bounds; a defect in the corpus is wrong by far more (>= 1e-12 here, mostly O(1)).
SLACK = 4.0
ORDINARY_LOGIT_SCALES = (1e-2, 1.0, 30.0)
LARGE_LOGIT_SCALE = 1e3
SHAPES = ((1, 1, 2), (2, 2, 3), (3, 2, 2), (4, 3, 3), (6, 3, 4), (6, 2, 5))
LARGE_LOGIT_SHAPE = (3, 2, 3)
SEED = 20261203
QUANTITIES = ("loss", "grad", "loss_grad", "arguments")


@dataclass
class Case:
    label: str
    W: np.ndarray
    X: np.ndarray
    Y: np.ndarray

    @property
    def magnitude(self) -> float:
        """1 + max_{i,k} sum_d |x_id w_dk| + log K: the size of the numbers the loss is computed from."""
        return 1.0 + float((np.abs(self.X) @ np.abs(self.W)).max()) + math.log(self.W.shape[1])

    def rounding_terms(self) -> int:
        N, D = self.X.shape
        return D + self.W.shape[1] + N + 4

    def loss_tolerance(self) -> float:
        return SLACK * float(np.finfo(self.W.dtype).eps) * self.rounding_terms() * self.magnitude

    def grad_tolerance(self) -> float:
        # grad = X^T (P - Y) / N: the error of P (absolute, at most the loss's) times max |x|.
        return self.loss_tolerance() * max(1.0, float(np.abs(self.X).max()))


def _case(rng, N, D, K, scale, soft, label, dtype) -> Case:
    X = rng.standard_normal((N, D))
    W = rng.standard_normal((D, K))
    largest = np.abs(X @ W).max()
    W = W * (scale / largest) if largest > 0 else W
    if (X @ W).max() < np.abs(X @ W).max():  # the largest logit positive, so |z| = scale is where exp overflows
        W = -W
    if soft:
        Y = rng.dirichlet(np.ones(K), size=N)
    else:
        Y = np.eye(K)[rng.integers(0, K, size=N)]
    return Case(label, W.astype(dtype), X.astype(dtype), Y.astype(dtype))


def battery(targets: str = "soft", dtype=np.float64) -> list[Case]:
    """The fixed battery in ``dtype``: one-hot cases, soft ones too where the adapter accepts them, and one large-logit case."""
    if targets not in impls.softmax._protocol.TARGETS:
        raise ValueError(f"targets: must be one of {impls.softmax._protocol.TARGETS}, got {targets!r}")
    if np.dtype(dtype) not in (np.dtype(np.float32), np.dtype(np.float64)):
        raise ValueError(f"dtype: must be float32 or float64, got {np.dtype(dtype)}")
    rng = np.random.default_rng(SEED)
    kinds = ("one-hot", "soft") if targets == "soft" else ("one-hot",)
    cases = [
        _case(rng, N, D, K, scale, kind == "soft", f"{kind} N={N} D={D} K={K} |z|={scale:g}", dtype)
        for kind in kinds
        for N, D, K in SHAPES
        for scale in ORDINARY_LOGIT_SCALES
    ]
    N, D, K = LARGE_LOGIT_SHAPE
    cases.append(_case(rng, N, D, K, LARGE_LOGIT_SCALE, False, f"large-logit one-hot N={N} D={D} K={K} |z|=1e3", dtype))
    return cases


def _call(method, case: Case):
    """Call on copies; return (result or exception, whether every argument came back bit for bit unchanged)."""
    W, X, Y = case.W.copy(), case.X.copy(), case.Y.copy()
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        try:
            result = method(W, X, Y)
        except Exception as exc:  # the implementation broke: a wrong value, reported as such
            result = exc
    unchanged = all(np.array_equal(a, b) for a, b in ((W, case.W), (X, case.X), (Y, case.Y)))
    return result, unchanged


def _loss_wrong(value, truth: float, tol: float) -> bool:
    try:
        value = float(value)
    except Exception:
        return True
    return not (math.isfinite(value) and abs(value - truth) <= tol)


def _grad_wrong(value, truth: np.ndarray, tol: float) -> bool:
    try:
        value = np.asarray(value, dtype=float)
    except Exception:
        return True
    return value.shape != truth.shape or not (np.all(np.isfinite(value)) and np.abs(value - truth).max() <= tol)


def classify(impl) -> dict[str, str]:
    """The quantities ``impl`` gets wrong on the battery, each with the first case that shows it ({} when correct)."""
    found: dict[str, str] = {}
    targets = impls.capabilities_of(impl).targets
    for case in battery(targets, working_dtype(impl)):
        true_loss = float(precision.cross_entropy(case.W, case.X, case.Y))
        true_grad = precision.as_float(precision.gradient(case.W, case.X, case.Y))
        lt, gt = case.loss_tolerance(), case.grad_tolerance()
        checks = [("loss", impl.loss, lambda v: _loss_wrong(v, true_loss, lt)),
                  ("grad", impl.grad, lambda v: _grad_wrong(v, true_grad, gt))]
        if callable(getattr(impl, "loss_grad", None)):
            checks.append(("loss_grad", impl.loss_grad,
                           lambda v: not (isinstance(v, tuple) and len(v) == 2)
                           or _loss_wrong(v[0], true_loss, lt) or _grad_wrong(v[1], true_grad, gt)))
        for quantity, method, wrong in checks:
            value, unchanged = _call(method, case)
            if quantity not in found and (isinstance(value, Exception) or wrong(value)):
                found[quantity] = case.label + (f": raised {type(value).__name__}: {value}" if isinstance(value, Exception) else "")
            if not unchanged and "arguments" not in found:
                found["arguments"] = f"{case.label}: {quantity} changed its arguments"
    return found

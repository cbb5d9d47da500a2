"""The contracts' reference: ``torch.nn.functional.cross_entropy`` semantics, written from torch's documentation.

Written in NumPy from the documented definition (never by calling torch: torch is one of the implementations
checked), evaluated in float64 for the search and in 50-digit mpmath for the re-check of a counterexample: the
same formulas, on the same inputs (the values the kernel was given, already rounded to its dtype), with the
arithmetic of one or the other (:class:`Backend`).

The definition (torch.nn.CrossEntropyLoss; ``log p = z - logsumexp(z)`` row by row, K classes):

* class-index targets ``y_i``, class weights ``w`` (ones when absent), ``valid_i = [y_i != ignore_index]``
  (the ignore index may be a real class, then its rows are ignored too), label smoothing ``eps``:
  ``row_i = valid_i [(1 - eps) w_{y_i} (-log p_{i y_i}) + (eps / K) sum_k w_k (-log p_ik)]``;
  ``mean = sum_i row_i / sum_i valid_i w_{y_i}`` (the weighted mean divides by the sum of the targets'
  weights, smoothing term included, as torch does); ``sum = sum_i row_i``; ``none = row``.
* probability targets ``t`` (N, K): ``t' = (1 - eps) t + eps / K``, ``row_i = -sum_k w_k t'_ik log p_ik``,
  ``mean = sum_i row_i / N`` (torch divides by N here, weights or not; ``ignore_index`` does not apply).
* every row ignored, ``mean``: ``0 / 0``. torch returns NaN; the contract accepts NaN or 0 for the loss and,
  for the gradient, zeros or NaN (``ALL_IGNORED_MEAN``); ``sum`` and ``none`` give 0 and a zero gradient.

Every row's loss is ``sum_k c_ik (-log p_ik)`` with coefficients ``c_ik >= 0`` (:func:`coefficients`), so its
gradient with respect to the row's logits is ``a_i p_i - c_i`` with ``a_i = sum_k c_ik``. The fused linear
contract's logits are ``z = hidden @ weight.T + bias``; its gradients follow by the chain rule.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import mpmath
import numpy as np

from ...numerics.precision import HIGH_PRECISION_DIGITS, workdps

REDUCTIONS = ("none", "mean", "sum")
CONTRACTS = ("torch-ce", "torch-linear-ce", "jax-ce")
# The fused contract computes its logits from hidden and weight; the others take logits.
FUSED = "torch-linear-ce"
# What the contract accepts for reduction="mean" when every row is ignored (0 / 0): torch's NaN, or the 0 that
# fused kernels return by dividing by max(count, 1). The gradient is then all zeros or all NaN, consistently.
ALL_IGNORED_MEAN = "NaN (torch: 0/0) or 0; the gradient all zeros or all NaN"
# The gradient inputs of each contract, in the order of the callable's arguments.
GRAD_INPUTS = {"torch-ce": ("input",), "torch-linear-ce": ("hidden", "weight", "bias"), "jax-ce": ("input",)}


@dataclass
class KernelCase:
    """One call of a kernel and the cotangent its outputs are pulled back with; arrays hold the dtype's values.

    ``logits`` (torch-ce) or ``hidden``, ``weight``, ``bias`` (torch-linear-ce) are float64 arrays whose
    entries are exactly representable in ``dtype``; ``target`` is int64 (N,) or a float (N, K) of
    probabilities; ``cotangent`` is (N,) for ``reduction="none"``, else a scalar; ``requires_grad`` names
    the inputs that require grad.
    """

    contract: str
    dtype: str
    target: np.ndarray
    reduction: str = "mean"
    ignore_index: int = -100
    label_smoothing: float = 0.0
    class_weight: np.ndarray | None = None
    cotangent: np.ndarray | float = 1.0
    logits: np.ndarray | None = None
    hidden: np.ndarray | None = None
    weight: np.ndarray | None = None
    bias: np.ndarray | None = None
    requires_grad: tuple[str, ...] = ()
    tags: dict = field(default_factory=dict)

    def __post_init__(self):
        if self.contract not in CONTRACTS:
            raise ValueError(f"contract: must be one of {CONTRACTS}, got {self.contract!r}")
        if self.reduction not in REDUCTIONS:
            raise ValueError(f"reduction: must be one of {REDUCTIONS}, got {self.reduction!r}")

    @property
    def fused(self) -> bool:
        return self.contract == FUSED

    @property
    def probability_targets(self) -> bool:
        return np.asarray(self.target).ndim == 2

    @property
    def shape(self) -> dict:
        if not self.fused:
            n, k = self.logits.shape
            return {"N": int(n), "K": int(k)}
        n, h = self.hidden.shape
        return {"N": int(n), "K": int(self.weight.shape[0]), "H": int(h)}

    def options(self) -> dict:
        """The keyword arguments of the call (those that differ from torch's defaults are all passed)."""
        out = {"reduction": self.reduction, "ignore_index": int(self.ignore_index),
               "label_smoothing": float(self.label_smoothing)}
        if self.class_weight is not None:
            out["weight"] = self.class_weight
        return out

    def to_dict(self) -> dict:
        """Plain JSON data a user can paste back into torch (arrays as lists)."""
        arrays = {"input": self.logits, "hidden": self.hidden, "weight": self.weight, "bias": self.bias,
                  "target": self.target, "class_weight": self.class_weight}
        out = {"contract": self.contract, "dtype": self.dtype, "shape": self.shape}
        out.update({k: np.asarray(v).tolist() for k, v in arrays.items() if v is not None})
        out.update(reduction=self.reduction, ignore_index=int(self.ignore_index),
                   label_smoothing=float(self.label_smoothing), cotangent=np.asarray(self.cotangent).tolist(),
                   requires_grad=list(self.requires_grad))
        if self.tags:
            out["tags"] = dict(self.tags)
        return out


@dataclass(frozen=True)
class Backend:
    """The arithmetic the formulas run in: float64 NumPy, or mpmath at ``digits`` on object arrays."""

    name: str
    digits: int | None = None

    def array(self, a) -> np.ndarray:
        a = np.asarray(a, dtype=np.float64)
        if self.digits is None:
            return a
        return np.vectorize(mpmath.mpf, otypes=[object])(a) if a.size else a.astype(object)

    def exp(self, a):
        return np.exp(a) if self.digits is None else np.vectorize(mpmath.exp, otypes=[object])(a)

    def log(self, a):
        return np.log(a) if self.digits is None else np.vectorize(mpmath.log, otypes=[object])(a)


FLOAT64 = Backend("float64")
MPMATH = Backend(f"mpmath, {HIGH_PRECISION_DIGITS} digits", HIGH_PRECISION_DIGITS)


@dataclass
class Reference:
    """The reference's values for one case, as float64, and the intermediates the tolerances are derived from."""

    loss: np.ndarray  # (N,) for reduction none, else a 0-d array; NaN for an all-ignored mean
    grads: dict  # input name -> gradient (the VJP of the cotangent), for every input of the contract
    logits: np.ndarray  # (N, K)
    log_probs: np.ndarray  # (N, K)
    probs: np.ndarray  # (N, K)
    coefficients: np.ndarray  # (N, K): row_i = sum_k c_ik (-log p_ik)
    rows: np.ndarray  # (N,) per-row losses before the reduction
    row_scale: np.ndarray  # (N,): d(output)/d(row_i) times the cotangent
    dlogits: np.ndarray  # (N, K): the VJP with respect to the logits
    denominator: float  # what the mean divides by (1 for sum and none)


def logits_of(case: KernelCase, backend: Backend = FLOAT64) -> np.ndarray:
    """The contract's logits: the input (torch-ce), or hidden @ weight.T + bias (torch-linear-ce)."""
    if not case.fused:
        return backend.array(case.logits)
    z = backend.array(case.hidden) @ backend.array(case.weight).T
    return z + backend.array(case.bias)[None, :] if case.bias is not None else z


def coefficients(case: KernelCase, backend: Backend = FLOAT64) -> tuple[np.ndarray, np.ndarray]:
    """(c, valid-weight): row_i = sum_k c_ik (-log p_ik), and each row's share of the mean's denominator."""
    shape = case.shape
    n, k = shape["N"], shape["K"]
    w = backend.array(np.ones(k) if case.class_weight is None else case.class_weight)
    eps = backend.array(case.label_smoothing)[()] if backend.digits else float(case.label_smoothing)
    if case.probability_targets:
        t = backend.array(case.target)
        smoothed = t * (1 - eps) + eps / k
        return smoothed * w[None, :], backend.array(np.ones(n))
    target = np.asarray(case.target, dtype=np.int64)
    valid = target != case.ignore_index
    safe = np.where(valid, target, 0)
    indicator = np.zeros((n, k))  # the one-hot rows, N x K (np.eye(K)[target] would build K x K first)
    indicator[np.arange(n), safe] = valid
    onehot = backend.array(indicator)
    c = (1 - eps) * onehot * w[None, :] + (eps / k) * backend.array(valid[:, None] * np.ones((n, k))) * w[None, :]
    share = w[safe] * backend.array(valid.astype(np.float64))
    return c, share


def evaluate(case: KernelCase, backend: Backend = FLOAT64) -> Reference:
    """The loss of ``case`` and the VJP of its cotangent with respect to every input, in ``backend``."""
    if backend.digits is not None:
        with workdps(backend.digits):
            return _evaluate(case, backend)
    return _evaluate(case, backend)


def _evaluate(case: KernelCase, backend: Backend) -> Reference:
    z = logits_of(case, backend)
    m = np.max(z, axis=1, keepdims=True) if z.shape[1] else z
    # (z - m) - log sum exp(z - m): the offset m never enters a rounded sum, so the reference keeps the
    # precision of the logits' differences at any common offset
    logp = (z - m) - backend.log(np.sum(backend.exp(z - m), axis=1, keepdims=True))
    p = backend.exp(logp)
    c, share = coefficients(case, backend)
    rows = np.sum(c * -logp, axis=1)
    n = z.shape[0]
    if case.reduction == "none":
        loss, denominator = rows, 1.0
        scale = backend.array(case.cotangent) * np.ones(n)
    else:
        denominator = (n if case.probability_targets else np.sum(share)) if case.reduction == "mean" else 1.0
        total = np.sum(rows)
        g = backend.array(case.cotangent)[()]
        if denominator == 0:  # every row ignored under mean: 0/0 (see ALL_IGNORED_MEAN)
            loss = backend.array(np.nan)[()]
            scale = backend.array(np.full(n, np.nan))
        else:
            loss = total / denominator
            scale = np.ones(n, dtype=object if backend.digits else np.float64) * (g / denominator)
    a = np.sum(c, axis=1)
    dz = scale[:, None] * (a[:, None] * p - c)
    grads = {"input": dz} if not case.fused else {
        "hidden": dz @ backend.array(case.weight),
        "weight": dz.T @ backend.array(case.hidden),
    }
    if case.fused and case.bias is not None:
        grads["bias"] = np.sum(dz, axis=0)
    f = _as_float
    return Reference(loss=f(loss), grads={k: f(v) for k, v in grads.items()}, logits=f(z), log_probs=f(logp),
                     probs=f(p), coefficients=f(c), rows=f(rows), row_scale=f(scale), dlogits=f(dz),
                     denominator=float(denominator))


def _as_float(a) -> np.ndarray:
    return np.asarray(np.vectorize(float, otypes=[np.float64])(a) if np.asarray(a).dtype == object
                      else a, dtype=np.float64)

"""The interface every softmax cross-entropy implementation shares.

Conventions (``DESIGN.md``; written once here, every implementation follows):

* ``X`` has shape (N, D), rows are samples; ``W`` has shape (D, K); the
  logits are ``Z = X @ W``, shape (N, K).
* ``Y`` has shape (N, K); each row lies in the probability simplex (one-hot
  for hard labels, soft otherwise).
* The loss is the mean cross-entropy

  .. math:: L(W) = \\frac{1}{N} \\sum_i \\Big[\\operatorname{logsumexp}(z_i)
            - \\sum_k Y_{ik} z_{ik}\\Big],

  or, with sample weights ``s`` (``s_i >= 0``, not all zero),
  ``sum_i s_i CE_i / sum_i s_i``.
* The gradient is a (D, K) array, ``X^T (P - Y) / N``.
* The Hessian is the (D*K, D*K) matrix with respect to ``W.ravel()`` in C
  order (index ``d*K + k``):
  ``H = (1/N) sum_i kron(x_i x_i^T, diag(p_i) - p_i p_i^T)``.
* ``hvp(W, X, Y, V)`` returns the (D, K) array ``H[V]``, i.e.
  ``(H @ V.ravel()).reshape(D, K)``.
* Bad input raises ``TypeError`` or ``ValueError`` naming the argument
  (``impls.softmax.validation.validate``); finite inputs whose result
  overflows the dtype raise ``impls.softmax.validation.overflow_error``. No
  method returns Inf or NaN.

Results (the contract the harness checks before it judges any value,
``verify.harness.foreign.contract_problem``; the first violation is the
claim's finding, said plainly: ``grad returned a list, not a
numpy.ndarray``, ``loss returned nan``, ``grad returned shape (6,), expected
(2, 3)``, ``probs returned float32 for float64 input``):

* ``probs``, ``grad``, ``hessian``, ``hvp`` return a ``numpy.ndarray`` of shape
  (N, K), (D, K), (D*K, D*K) and (D, K);
* ``loss`` returns a scalar: a NumPy scalar or 0-d array, or a Python float
  for float64 input;
* ``loss_grad`` returns the pair ``(loss, grad)`` (a tuple or a list of two);
* every value is in the dtype of ``W`` and finite.

For exact (``object``) inputs only the shape is checked.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

import numpy as np

from .._arrays import FLOAT64, FLOAT_DTYPES

REQUIRED_METHODS = ("loss", "grad")
OPTIONAL_METHODS = ("probs", "loss_grad", "hessian", "hvp")
TARGETS = ("soft", "one-hot")
ARGUMENTS = ("W", "X", "Y", "V", "sample_weight")


@dataclass(frozen=True)
class Capabilities:
    """What an implementation declares it can do.

    Attributes
    ----------
    dtypes : tuple of numpy dtypes
        Floating dtypes the implementation computes in (it returns results in
        the dtype it is given).
    sample_weight : bool
        Whether the methods accept ``sample_weight``.
    hessian, hvp : bool
        Whether ``hessian`` and ``hvp`` are provided.
    exact : bool
        Whether exact (rational or symbolic, dtype ``object``) inputs give exact
        results.
    max_size : int or None
        The largest ``N * D * K`` the implementation handles in practical time
        (``None``: no practical limit). The harness skips larger problems.
    max_hessian_size : int or None
        The same limit for ``hessian`` (the Hessian costs ``N (D K)^2``).
    targets : ``"soft"`` or ``"one-hot"``
        Which targets ``Y`` the implementation accepts: any row in the
        probability simplex (``"soft"``), or one-hot rows only (integer
        labels behind an adapter). Claims that need soft targets are skipped,
        with the reason, for a one-hot-only implementation.
    writes_arguments : tuple of str
        The arguments (``"W"``, ``"X"``, ``"Y"``, ``"V"``, ``"sample_weight"``)
        a method writes into, by design. The harness reports such a write
        instead of failing it; an undeclared write fails ``impl.inputs_unchanged``.
    shapes : tuple of (N, D, K), or None
        The only problem shapes the harness draws for this implementation
        (``None``: any within ``max_size``). For code that compiles once per
        shape (``jax.jit``, ``torch.compile``): a few shapes keep every
        compilation reused, so a check takes seconds, not one compile per
        example. The first shape is the one a counterexample shrinks to.
    """

    dtypes: tuple[np.dtype, ...] = FLOAT64
    sample_weight: bool = False
    hessian: bool = False
    hvp: bool = False
    exact: bool = False
    max_size: int | None = None
    max_hessian_size: int | None = None
    notes: tuple[str, ...] = field(default=())
    targets: str = "soft"
    writes_arguments: tuple[str, ...] = ()
    shapes: tuple[tuple[int, int, int], ...] | None = None

    def __post_init__(self):
        if self.targets not in TARGETS:
            raise ValueError(f"Capabilities: targets must be one of {TARGETS}, got {self.targets!r}")
        unknown = sorted(set(self.writes_arguments) - set(ARGUMENTS))
        if unknown:
            raise ValueError(f"Capabilities: writes_arguments names unknown argument(s) {unknown}; known: {ARGUMENTS}")
        if self.shapes is not None:
            shapes = tuple(tuple(s) for s in self.shapes) if not isinstance(self.shapes, str) else ()
            if not shapes or not all(len(s) == 3 and all(isinstance(v, int) for v in s) and s[0] >= 1 and s[1] >= 1
                                     and s[2] >= 2 for s in shapes):
                raise ValueError(f"Capabilities: shapes must be a non-empty tuple of (N, D, K) with N, D >= 1 and K >= 2, "
                                 f"got {self.shapes!r}")
            object.__setattr__(self, "shapes", shapes)

    def supports_dtype(self, dtype) -> bool:
        return np.dtype(dtype) in self.dtypes

    def handles(self, N: int, D: int, K: int, *, hessian: bool = False) -> bool:
        """Whether a problem of this size is within the declared practical limits."""
        limit = self.max_hessian_size if hessian else self.max_size
        return limit is None or N * D * K <= limit


@runtime_checkable
class SoftmaxCrossEntropy(Protocol):
    """A softmax cross-entropy implementation for the linear model ``Z = X W``.

    Only ``loss`` and ``grad`` are required of a user's implementation; the
    harness checks which of the other methods are present and reports what it
    skipped. ``sample_weight`` is accepted only where ``capabilities`` says so.
    """

    name: str
    capabilities: Capabilities

    def probs(self, W, X) -> np.ndarray:
        """Softmax probabilities ``P``, array of shape (N, K)."""
        ...

    def loss(self, W, X, Y, sample_weight=None) -> Any:
        """Mean (or sample-weighted) cross-entropy, a scalar of the input dtype."""
        ...

    def grad(self, W, X, Y, sample_weight=None) -> np.ndarray:
        """Gradient with respect to ``W``, array of shape (D, K)."""
        ...

    def loss_grad(self, W, X, Y, sample_weight=None) -> tuple[Any, np.ndarray]:
        """Loss and gradient computed in one pass."""
        ...

    def hessian(self, W, X, Y, sample_weight=None) -> np.ndarray:
        """Hessian with respect to ``W.ravel()`` (C order), shape (D*K, D*K)."""
        ...

    def hvp(self, W, X, Y, V, sample_weight=None) -> np.ndarray:
        """Hessian-vector product ``H[V]``, array of shape (D, K)."""
        ...


def capabilities_of(impl) -> Capabilities:
    """The declared capabilities of ``impl``.

    An object without a ``capabilities`` attribute (a user's minimal
    implementation) gets the conservative default: float64 only, no sample
    weights, and ``hessian`` / ``hvp`` exactly when those methods exist.
    """
    declared = getattr(impl, "capabilities", None)
    if isinstance(declared, Capabilities):
        return declared
    if declared is not None:
        raise TypeError(
            f"{type(impl).__name__}.capabilities must be an impls.Capabilities, "
            f"got {type(declared).__name__}"
        )
    return Capabilities(
        hessian=callable(getattr(impl, "hessian", None)),
        hvp=callable(getattr(impl, "hvp", None)),
    )

"""The interface every depth-2 network objective shares.

Conventions (written once here; every implementation follows them):

* ``X`` has shape (n, d), rows are samples; labels ``y`` have shape (n,)
  with entries in {-1, +1} (``signed_labels`` turns 0/1 labels into these).
* The network has ``p`` gates. Its inner weights ``W`` have shape (d, p):
  column k is the gate's weight vector ``w_k``, so the pre-activations are
  ``U = X @ W``, shape (n, p), as the logits ``Z = X W`` of ``DESIGN.md``.
  (Gopalani, Jha and Mukherjee write ``W`` as p x d with rows ``w_k``; their
  W is our ``W.T``, and the Frobenius norm is the same.)
* The output is

  .. math:: f_\\theta(x) = \\sum_{k=1}^p a_k \\, \\sigma(\\langle w_k, x \\rangle),

  with ``sigma`` one of ``ACTIVATIONS``. The outer weights ``a`` (shape (p,))
  are either fixed (the default; only ``W`` is trained) or trained.
* The parameter vector ``theta`` is flat: ``W.ravel()`` in C order (index
  ``j * p + k``), followed by ``a`` when the outer layer is trained. Its
  length is ``dim = d p`` (fixed) or ``d p + p`` (trained).
* The objective is the regularized logistic empirical risk

  .. math:: \\tilde L_\\lambda(\\theta) = \\frac1n \\sum_i \\log\\big(1 + e^{-y_i f_\\theta(x_i)}\\big)
            + \\frac\\lambda2 \\|\\theta\\|^2,

  i.e. ``(lam/2) ||W||_F^2`` with the outer layer fixed, and
  ``(lam/2)(||W||_F^2 + ||a||^2)`` with it trained.
* ``grad`` is an array of shape (dim,), ``hessian`` of shape (dim, dim)
  (with respect to ``theta``), ``laplacian`` the trace of the Hessian.
* Implementations that declare ``batched`` also take ``theta`` of shape
  (M, dim), one row per chain, and return one result per row.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

import numpy as np

from .._arrays import FLOAT64

ACTIVATIONS = ("sigmoid", "tanh", "softplus")

REQUIRED_METHODS = ("loss", "grad")
OPTIONAL_METHODS = ("hessian", "laplacian")


@dataclass(frozen=True)
class Capabilities:
    """What a depth-2 implementation declares it can do.

    Attributes
    ----------
    dtypes : tuple of numpy dtypes
        The dtypes the implementation computes in (float64 here: float32
        inputs are converted exactly, integer ``theta`` is rejected).
    batched : bool
        Whether ``theta`` may have shape (M, dim), one row per chain.
    minibatch : bool
        Whether ``loss`` and ``grad`` take ``rows``, the sample indices of a
        minibatch (shape (b,), or (M, b) for batched ``theta``).
    hessian, laplacian : bool
        Whether ``hessian`` and ``laplacian`` are provided.
    exact : bool
        Whether exact inputs (dtype ``object``: ints, Fractions, SymPy
        numbers) give exact SymPy results.
    max_size : int or None
        The largest ``n * d * p`` handled in practical time (``None``: no
        practical limit).
    """

    dtypes: tuple[np.dtype, ...] = FLOAT64
    batched: bool = False
    minibatch: bool = False
    hessian: bool = True
    laplacian: bool = True
    exact: bool = False
    max_size: int | None = None
    notes: tuple[str, ...] = field(default=())

    def handles(self, n: int, d: int, p: int) -> bool:
        """Whether a problem of this size is within the declared practical limit."""
        return self.max_size is None or n * d * p <= self.max_size


@runtime_checkable
class Depth2Objective(Protocol):
    """The regularized logistic risk of a depth-2 network, and its derivatives.

    Every method takes the flat parameter vector ``theta`` and a validated
    :class:`impls.depth2.Depth2Problem` (data, outer weights, lambda,
    activation, whether the outer layer is trained).
    """

    name: str
    capabilities: Capabilities

    def loss(self, theta, problem) -> Any:
        """``L~_lambda(theta)``: a float (an array of shape (M,) for batched theta)."""
        ...

    def grad(self, theta, problem) -> np.ndarray:
        """Gradient with respect to ``theta``, shape (dim,) (or (M, dim))."""
        ...

    def hessian(self, theta, problem) -> np.ndarray:
        """Hessian with respect to ``theta``, shape (dim, dim)."""
        ...

    def laplacian(self, theta, problem) -> Any:
        """Trace of the Hessian: a float (an array of shape (M,) for batched theta)."""
        ...

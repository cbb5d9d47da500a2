"""The interface of the class-reweighted logistic and softmax losses (Li, Li, Pan, Zhu).

Conventions (written once here; every loss of the family follows them):

* A loss is a function of the logits ``Z``, array of shape (n_samples,
  n_logits), and the targets ``Y`` of the same shape. The linear model is
  ``Z = X @ W`` with ``X`` of shape (N, D) and ``W`` of shape (D, K); a bias
  is a column of ones appended to ``X`` (``impls.add_bias``). Every loss is
  the **mean over samples**, ``L = (1/N) sum_i l_i``, whatever the class
  weights (the catalog's normalisation; it does not change any stationarity
  identity).
* Targets, by loss:

  - binary logistic (LGL): one logit column, ``Z`` and ``Y`` of shape (N, 1),
    ``y_i`` in [0, 1] (1 is the positive class; values strictly between are
    smoothed labels);
  - weighted softmax (SML): ``Y`` of shape (N, K), rows in the simplex;
  - one-vs-all logistic: ``Y`` of shape (N, K), entries in [0, 1];
  - the candidate reweighted logistic losses: ``Y`` one-hot (a target class
    per sample is needed).

* ``logit_grad`` is ``dL/dZ``, shape of ``Z``; ``grad`` is ``X^T dL/dZ``,
  shape (D, K). ``hessian`` (where cheap) is the (D*K, D*K) matrix with
  respect to ``W.ravel()`` in C order (index ``d*K + k``), as in
  ``impls.softmax._protocol``.
* Stable numerics only: ``log p = -softplus(-z)``, ``log(1 - p) =
  -softplus(z)`` with ``softplus(z) = logaddexp(0, z)``; nothing is clipped.

Hyperparameters (class weights, ``gamma``, frozen non-target weights) are
constructor arguments; a loss object is a pure function of ``(Z, Y)`` or
``(W, X, Y)`` afterwards.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol, runtime_checkable

import numpy as np

from .._arrays import FLOAT64, FLOAT_DTYPES


@dataclass(frozen=True)
class Capabilities:
    """What a loss of the family declares about itself.

    Attributes
    ----------
    dtypes : tuple of numpy dtypes
        Floating dtypes the loss computes in (results come back in the dtype
        given).
    hessian : bool
        Whether ``hessian`` is provided.
    gradient_is_derivative : bool
        ``False`` for stop-gradient forms, whose ``grad`` holds some factors
        constant and so is *not* the derivative of ``loss``.
    hard_labels : bool
        Whether ``Y`` must be one-hot.
    binary : bool
        Whether the loss takes one logit column (binary logistic).
    candidate : bool
        Whether the loss is the catalog's *candidate* reconstruction of the
        paper's LGL-INR (the published weight formula is not recorded).
    max_size : int or None
        Largest ``N * D * K`` handled in practical time (``None``: no limit).
    """

    dtypes: tuple[np.dtype, ...] = FLOAT64
    hessian: bool = False
    gradient_is_derivative: bool = True
    hard_labels: bool = False
    binary: bool = False
    candidate: bool = False
    max_size: int | None = None


@runtime_checkable
class ReweightedLoss(Protocol):
    """A class-reweighted logistic or softmax loss, lifted to the linear model ``Z = X W``."""

    name: str
    implementation: str
    capabilities: Capabilities

    @property
    def spec(self) -> tuple:
        """A hashable description (loss name, implementation, hyperparameters) for caches."""
        ...

    def logit_probs(self, Z) -> np.ndarray:
        """Predicted probabilities from logits, shape of ``Z`` (sigmoid or softmax)."""
        ...

    def logit_loss_grad(self, Z, Y) -> tuple[Any, np.ndarray]:
        """The mean loss and ``dL/dZ`` (shape of ``Z``) in one pass."""
        ...

    def loss(self, W, X, Y) -> Any:
        """The mean loss of the linear model ``Z = X W``, a scalar of the input dtype."""
        ...

    def grad(self, W, X, Y) -> np.ndarray:
        """``X^T dL/dZ``, array of shape (D, K)."""
        ...


__all__ = ["FLOAT64", "FLOAT_DTYPES", "Capabilities", "ReweightedLoss"]

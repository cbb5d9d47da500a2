"""The interface of the ResNet-softmax regression family (Song, Wang and Yin, arXiv:2309.13482).

Conventions (written once here; every implementation follows them):

* ``x`` has shape (d,), ``A`` has shape (n, d), ``b`` has shape (n,), the
  optional regularisation weights ``w`` have shape (n,).
* ``z = A x``; ``u = exp(z) + z`` (the "ResNet" unit: activation plus
  identity skip, entrywise); ``alpha = <u, 1_n>``; ``f = u / alpha``;
  ``c = f - b``.
* The loss is

  .. math:: L(x) = \\tfrac12 \\lVert f(x) - b \\rVert_2^2
            + \\tfrac12 \\lVert \\operatorname{diag}(w) A x \\rVert_2^2 ,

  the second term only when ``w`` is given. ``L`` is defined only where
  ``alpha(x) > 0``; every method that needs ``f`` raises
  :class:`LossUndefinedError` elsewhere (and where ``alpha`` is too close to
  0 to be evaluated reliably), never returning a number there.
* With ``h = (exp(z) + 1) / alpha``, ``p = exp(z) / alpha``,
  ``r = <c, f>``, ``gamma = <3f - 2b, f>`` and ``q = h o (2f - b)``:

  - gradient: ``A^T [h o (c - r 1) + w^2 o z]``, shape (d,);
  - Hessian: ``A^T (B + diag(w^2)) A``, shape (d, d), where ``B`` is the
    (n, n) Hessian of the unregularised loss with respect to ``z``;
  - the decomposition ``B = B_rank + diag(B_diag)`` with the rank <= 2 part
    ``B_rank = gamma h h^T - q h^T - h q^T`` and the diagonal part
    ``B_diag = h o h + p o (c - r 1)`` (a vector of shape (n,));
  - ``low_rank_factors`` returns ``(gamma, h, q)``, so that
    ``A^T B_rank A`` costs O(nnz(A) + d^2) without forming ``B_rank``.

  ``B``, ``B_rank``, ``B_diag`` and ``low_rank_factors`` never involve ``w``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

import numpy as np

from .._arrays import FLOAT64, FLOAT_DTYPES

METHODS = ("alpha", "f", "loss", "grad", "hessian", "B", "B_rank", "B_diag", "low_rank_factors")


@dataclass(frozen=True)
class Capabilities:
    """What a ResNet-softmax implementation declares it can do.

    Attributes
    ----------
    dtypes : tuple of numpy dtypes
        Floating dtypes it computes in (results come back in that dtype).
    exact : bool
        Whether exact inputs (object arrays of ints, Fractions, SymPy numbers
        or symbols) give exact SymPy results.
    max_n, max_d : int or None
        The largest ``n`` and ``d`` it handles in practical time (``None``:
        no practical limit).
    """

    dtypes: tuple[np.dtype, ...] = FLOAT64
    exact: bool = False
    max_n: int | None = None
    max_d: int | None = None
    notes: tuple[str, ...] = field(default=())

    def supports_dtype(self, dtype) -> bool:
        return np.dtype(dtype) in self.dtypes

    def handles(self, n: int, d: int) -> bool:
        """Whether a problem with ``A`` of shape (n, d) is within the declared limits."""
        return (self.max_n is None or n <= self.max_n) and (self.max_d is None or d <= self.max_d)


@runtime_checkable
class ResNetSoftmaxRegression(Protocol):
    """One implementation of the ResNet-softmax regression loss and its derivatives."""

    name: str
    capabilities: Capabilities

    def alpha(self, x, A) -> Any:
        """``alpha(x) = <exp(Ax) + Ax, 1_n>``, a scalar; defined (and returned) even where it is <= 0."""
        ...

    def f(self, x, A) -> np.ndarray:
        """``f(x) = u / alpha``, shape (n,)."""
        ...

    def loss(self, x, A, b, w=None) -> Any:
        """``0.5 ||f - b||^2 + 0.5 ||diag(w) A x||^2``, a scalar."""
        ...

    def grad(self, x, A, b, w=None) -> np.ndarray:
        """Gradient with respect to ``x``, shape (d,)."""
        ...

    def hessian(self, x, A, b, w=None) -> np.ndarray:
        """Hessian with respect to ``x``, shape (d, d)."""
        ...

    def B(self, x, A, b) -> np.ndarray:
        """Hessian of the unregularised loss with respect to ``z = Ax``, shape (n, n)."""
        ...

    def B_rank(self, x, A, b) -> np.ndarray:
        """The rank <= 2 part ``gamma h h^T - q h^T - h q^T``, shape (n, n)."""
        ...

    def B_diag(self, x, A, b) -> np.ndarray:
        """The diagonal part's entries ``h o h + p o (c - <c, f> 1)``, shape (n,)."""
        ...

    def low_rank_factors(self, x, A, b) -> tuple[Any, np.ndarray, np.ndarray]:
        """``(gamma, h, q)`` with ``B_rank = gamma h h^T - q h^T - h q^T``."""
        ...

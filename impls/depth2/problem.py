"""The data of one depth-2 objective: samples, labels, outer weights, lambda, activation.

A :class:`Depth2Problem` is validated once, when it is made; the
implementations then only check ``theta``.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np

from .._arrays import check_finite, check_ndim, check_nonempty, finite_results
from . import validation as v


@dataclass(frozen=True, eq=False)
class Depth2Problem:
    """Samples, labels and settings of ``L~_lambda(theta)`` (see :mod:`impls.depth2._protocol`).

    Parameters
    ----------
    X : array of shape (n, d)
        Samples, one per row. Float (or int, converted exactly), or exact
        (dtype object) for the SymPy implementation.
    y : array of shape (n,)
        Labels in {-1, +1}.
    lam : float >= 0
        Frobenius regularization ``lambda``.
    activation : {"sigmoid", "tanh", "softplus"}
    a : array of shape (p,), optional
        The fixed outer weights. Required when the outer layer is fixed
        (``train_outer=False``, the default); must be omitted when it is
        trained, since ``a`` is then part of ``theta``.
    width : int, optional
        The number of gates ``p``; required when ``train_outer``, and equal
        to ``len(a)`` otherwise.
    train_outer : bool
        Whether the outer weights are trained (part of ``theta``).
    """

    X: np.ndarray
    y: np.ndarray
    lam: float
    activation: str = "sigmoid"
    a: np.ndarray | None = None
    width: int | None = None
    train_outer: bool = False

    def __post_init__(self):
        X = v.as_real_array("X", self.X)
        check_ndim("X", X, 2, "(n, d)")
        check_nonempty("X", X, "samples (n = 0); the mean loss is undefined", "features (d = 0)")
        n = X.shape[0]
        check_finite("X", X)
        y = v.as_real_array("y", self.y)
        v.check_labels(y, n)
        lam = v.check_lam(self.lam)
        activation = v.check_activation(self.activation)
        if not isinstance(self.train_outer, (bool, np.bool_)):
            raise TypeError(f"train_outer: expected True or False, got {self.train_outer!r}")
        if self.train_outer:
            if self.a is not None:
                raise ValueError("a: must be omitted when train_outer=True (the outer weights are then part of theta)")
            if isinstance(self.width, bool) or not isinstance(self.width, (int, np.integer)) or self.width < 1:
                raise ValueError(f"width: expected the number of gates p >= 1 when train_outer=True, got {self.width!r}")
            a, p = None, int(self.width)
        else:
            if self.a is None:
                raise TypeError("a: the fixed outer weights, an array of shape (p,), are required when train_outer=False")
            a = v.as_real_array("a", self.a)
            if a.ndim != 1 or a.shape[0] == 0:
                raise ValueError(f"a: expected a non-empty 1-D array of shape (p,), got shape {a.shape}")
            check_finite("a", a)
            p = a.shape[0]
            if self.width is not None and self.width != p:
                raise ValueError(f"width: is {self.width!r} but a has p = {p} entries")
        exact = any(arr is not None and arr.dtype.kind == "O" for arr in (X, y, a))
        if not exact:  # private read-only copies: the caller's arrays stay writable and the problem immutable
            X, y = X.copy(), y.copy()
            a = None if a is None else a.copy()
            for arr in (X, y, a):
                if arr is not None:
                    arr.setflags(write=False)
        set_ = object.__setattr__
        set_(self, "X", X)
        set_(self, "y", y)
        set_(self, "lam", lam)
        set_(self, "activation", activation)
        set_(self, "a", a)
        set_(self, "width", p)
        set_(self, "train_outer", bool(self.train_outer))

    # -- sizes -----------------------------------------------------------------

    @property
    def n(self) -> int:
        return int(self.X.shape[0])

    @property
    def d(self) -> int:
        return int(self.X.shape[1])

    @property
    def p(self) -> int:
        return int(self.width)

    @property
    def dim(self) -> int:
        """Length of ``theta``: ``d p``, plus ``p`` when the outer layer is trained."""
        return self.d * self.p + (self.p if self.train_outer else 0)

    @property
    def exact(self) -> bool:
        """Whether the data are exact (dtype object)."""
        return self.X.dtype.kind == "O" or self.y.dtype.kind == "O" or (self.a is not None and self.a.dtype.kind == "O")

    # -- parameters --------------------------------------------------------------

    def unpack(self, theta):
        """``(W, a)`` from ``theta`` of shape (dim,) or (M, dim): W of shape (d, p) or (M, d, p).

        With the outer layer fixed, ``a`` is the problem's (shape (p,)); with it
        trained, the last ``p`` entries of ``theta`` (shape (p,) or (M, p)).
        """
        theta = np.asarray(theta)
        lead = theta.shape[:-1]
        W = theta[..., : self.d * self.p].reshape(*lead, self.d, self.p)
        a = theta[..., self.d * self.p :] if self.train_outer else self.a
        return W, a

    def pack(self, W, a=None) -> np.ndarray:
        """``theta`` from ``W`` (shape (..., d, p)) and, when trained, ``a`` (shape (..., p))."""
        W = np.asarray(W)
        flat = W.reshape(*W.shape[:-2], self.d * self.p)
        if not self.train_outer:
            if a is not None:
                raise ValueError("a: the outer layer is fixed; pack(W) takes no a")
            return flat
        if a is None:
            raise TypeError("a: the outer layer is trained; pack(W, a) needs a")
        return np.concatenate([flat, np.asarray(a, dtype=flat.dtype)], axis=-1)

    # -- derived data (float problems) -----------------------------------------

    @cached_property
    def sq_norms(self) -> np.ndarray:
        """``||x_i||^2``, shape (n,)."""
        return np.einsum("nd,nd->n", self.X, self.X)

    @cached_property
    def row_norms(self) -> np.ndarray:
        """``||x_i||``, shape (n,), without overflow: each row is scaled by its largest ``|x_ij|`` first.

        For the terms ``||x_i||^2 c_i`` of the Laplacian, computed as
        ``sign(c_i) (||x_i|| sqrt|c_i|)^2``: ``||x_i||^2`` alone overflows for
        ``x ~ 1e160``, where ``c_i`` is often 0 (a saturated activation).
        """
        scale = np.abs(self.X).max(axis=1)
        safe = np.where(scale > 0, scale, 1.0)
        return scale * np.sqrt(np.einsum("nd,nd->n", self.X / safe[:, None], self.X / safe[:, None]))

    def with_(self, **changes) -> Depth2Problem:
        """A copy with some fields changed (validated again)."""
        fields = {"X": self.X, "y": self.y, "lam": self.lam, "activation": self.activation, "a": self.a,
                  "width": self.width, "train_outer": self.train_outer}
        fields.update(changes)
        if fields["train_outer"] and "a" not in changes:
            fields["a"] = None
        if not fields["train_outer"] and "width" not in changes and "a" in changes and changes["a"] is not None:
            fields["width"] = None
        return Depth2Problem(**fields)

    def to_float(self) -> Depth2Problem:
        """The same problem with every exact entry rounded to float64."""
        conv = lambda arr: None if arr is None else np.array([float(x) for x in np.ravel(arr)], dtype=np.float64).reshape(np.shape(arr))  # noqa: E731
        return self.with_(X=conv(self.X), y=conv(self.y), a=conv(self.a), lam=float(self.lam))

    def __repr__(self) -> str:
        outer = "trained" if self.train_outer else f"fixed a={np.asarray(self.a).tolist()!r}"
        return (f"Depth2Problem(n={self.n}, d={self.d}, p={self.p}, activation={self.activation!r}, "
                f"lam={self.lam!r}, outer {outer})")


def signed_labels(labels) -> np.ndarray:
    """0/1 (or boolean) labels as floats in {-1, +1}: ``y = 2 label - 1``."""
    arr = np.asarray(labels)
    if arr.ndim != 1:
        raise ValueError(f"labels: expected a 1-D array, got shape {arr.shape}")
    values = set(np.unique(arr).tolist())
    if not values <= {0, 1}:
        raise ValueError(f"labels: expected 0/1 labels, found {sorted(values - {0, 1})[:3]}")
    return 2.0 * arr.astype(np.float64) - 1.0


def alternating_outer_weights(p: int, scale: float = 1.0, *, normalized: bool = True) -> np.ndarray:
    """Fixed outer weights ``a_k = (-1)^k scale / sqrt(p)`` (``normalized``) or ``(-1)^k scale``.

    With ``normalized`` the norm ``||a||_2 = scale`` does not depend on the
    width (the scaling under which the constants of the theory are
    width-independent); without it ``||a||_2 = scale sqrt(p)``.
    """
    if isinstance(p, bool) or not isinstance(p, (int, np.integer)) or p < 1:
        raise ValueError(f"p: expected a number of gates >= 1, got {p!r}")
    signs = np.where(np.arange(p) % 2 == 0, 1.0, -1.0)
    return signs * (float(scale) / np.sqrt(p) if normalized else float(scale))


def check_problem(problem) -> None:
    """Raise a ``TypeError`` naming ``problem`` unless it is a :class:`impls.depth2.Depth2Problem`."""
    if not isinstance(problem, Depth2Problem):
        raise TypeError(
            f"problem: expected an impls.depth2.Depth2Problem (data, labels, lam, activation, outer weights), "
            f"got {type(problem).__name__}"
        )


# The methods of the interface (``_protocol``) and ``loss_grad``, where an implementation has it.
DEPTH2_METHODS = ("loss", "grad", "loss_grad", "hessian", "laplacian")

_finite_depth2_results = finite_results(
    ("theta", "problem"),
    "||theta||^2 beyond the largest float (lam/2 ||theta||^2), or pre-activations X W of that size",
    {"loss": "the loss", "grad": "the gradient", "loss_grad": "the loss or its gradient", "hessian": "the Hessian",
     "laplacian": "the Laplacian"},
)


def depth2_implementation(cls):
    """Class decorator of every depth-2 implementation: each public method checks ``problem`` first
    (a clear ``TypeError`` for ``None``, a dict, ...), and its result is checked finite
    (:func:`impls._arrays.finite_results`)."""
    import functools

    def with_problem_checked(method):
        @functools.wraps(method)
        def wrapper(self, theta, problem, *args, **kwargs):
            check_problem(problem)
            return method(self, theta, problem, *args, **kwargs)

        return wrapper

    for attr in DEPTH2_METHODS:
        method = vars(cls).get(attr)
        if callable(method):
            setattr(cls, attr, with_problem_checked(method))
    return _finite_depth2_results(cls)

"""Activations, their first two derivatives, and the logistic loss, in stable NumPy forms.

Stable forms (no overflow, no cancellation for large ``|u|``):

* sigmoid ``1 / (1 + e^{-u})`` is evaluated through ``e^{-|u|}`` on each side;
  ``sigma'(u) = sigma(u) sigma(-u)`` (never ``sigma (1 - sigma)``, which
  cancels to 0 for large u).
* tanh: ``tanh'(u) = sech^2(u) = 4 e^{-2|u|} / (1 + e^{-2|u|})^2`` (never
  ``1 - tanh^2``, which is 0 beyond |u| ~ 19 in float64 while sech^2 is
  still a normal number up to |u| ~ 354).
* SoftPlus ``log(1 + e^u) = max(u, 0) + log1p(e^{-|u|})``.
* logistic loss ``l(m) = log(1 + e^{-m}) = softplus(-m)``,
  ``l'(m) = -sigma(-m)``, ``l''(m) = sigma(m) sigma(-m)``.

Constants ``B_sigma = sup |sigma|``, ``B1 = sup |sigma'|``, ``B2 = sup |sigma''|``
(Gopalani-Jha-Mukherjee catalog, A.1): sigmoid (1, 1/4, 1/(6 sqrt 3)),
tanh (1, 1, 4/(3 sqrt 3)), SoftPlus (unbounded, 1, 1/4).
"""

from __future__ import annotations

import numpy as np

# sup |sigma''|: sigmoid'' = s(1-s)(1-2s) peaks at s = (3 -+ sqrt 3)/6 with value 1/(6 sqrt 3);
# tanh'' = -2 tanh sech^2 peaks at tanh^2 = 1/3 with value 4/(3 sqrt 3); softplus'' = sigmoid' <= 1/4.
BOUNDS = {
    "sigmoid": (1.0, 0.25, 1.0 / (6.0 * np.sqrt(3.0))),
    "tanh": (1.0, 1.0, 4.0 / (3.0 * np.sqrt(3.0))),
    "softplus": (np.inf, 1.0, 0.25),
}

# sigma(0), sigma'(0), sigma''(0): the values on the ray W = 0 (catalog D3).
AT_ZERO = {
    "sigmoid": (0.5, 0.25, 0.0),
    "tanh": (0.0, 1.0, 0.0),
    "softplus": (float(np.log(2.0)), 0.5, 0.25),
}


def sigmoid(u):
    """``1 / (1 + e^{-u})`` without overflow."""
    u = np.asarray(u, dtype=np.float64)
    e = np.exp(-np.abs(u))
    return np.where(u >= 0, 1.0 / (1.0 + e), e / (1.0 + e))


def sigmoid_prime(u):
    """``sigma(u) sigma(-u) = e^{-|u|} / (1 + e^{-|u|})^2``."""
    e = np.exp(-np.abs(np.asarray(u, dtype=np.float64)))
    return e / (1.0 + e) ** 2


def sigmoid_second(u):
    """``sigma'(u) (1 - 2 sigma(u)) = sigma'(u) tanh(-u/2)``."""
    u = np.asarray(u, dtype=np.float64)
    return sigmoid_prime(u) * np.tanh(-u / 2.0)


def sech2(u):
    """``sech^2(u) = 4 e^{-2|u|} / (1 + e^{-2|u|})^2``."""
    e = np.exp(-2.0 * np.abs(np.asarray(u, dtype=np.float64)))
    return 4.0 * e / (1.0 + e) ** 2


def softplus(u):
    """``log(1 + e^u) = max(u, 0) + log1p(e^{-|u|})``."""
    u = np.asarray(u, dtype=np.float64)
    return np.maximum(u, 0.0) + np.log1p(np.exp(-np.abs(u)))


def activation(name: str, u, order: int = 2):
    """``(sigma(u), sigma'(u), sigma''(u))`` of the named activation, elementwise.

    Only the derivatives up to ``order`` are computed; the others are ``None``.
    One exponential is shared by the value and the derivatives.
    """
    u = np.asarray(u, dtype=np.float64)
    if name == "sigmoid":
        e = np.exp(-np.abs(u))
        r = 1.0 / (1.0 + e)
        s = np.where(u >= 0, r, e * r)
        d1 = e * r * r if order >= 1 else None
        return s, d1, (d1 * np.tanh(-u / 2.0) if order >= 2 else None)
    if name == "tanh":
        t = np.tanh(u)
        if order == 0:
            return t, None, None
        e = np.exp(-2.0 * np.abs(u))
        d1 = 4.0 * e / (1.0 + e) ** 2
        return t, d1, (-2.0 * t * d1 if order >= 2 else None)
    if name == "softplus":
        e = np.exp(-np.abs(u))
        r = 1.0 / (1.0 + e)
        value = np.maximum(u, 0.0) + np.log1p(e)
        d1 = np.where(u >= 0, r, e * r) if order >= 1 else None
        return value, d1, (e * r * r if order >= 2 else None)
    raise ValueError(f"activation: expected one of sigmoid, tanh, softplus, got {name!r}")


def logistic(m, order: int = 2):
    """``(l(m), l'(m), l''(m))`` of the logistic loss ``l(m) = log(1 + e^{-m})``.

    ``l = max(-m, 0) + log1p(e^{-|m|})``, ``l' = -sigma(-m)``,
    ``l'' = e^{-|m|} / (1 + e^{-|m|})^2``, from one shared exponential. The
    value is computed only for ``order == 0`` or ``order == 2``
    (``order=1`` returns ``(None, l', None)``, what a gradient needs).
    """
    m = np.asarray(m, dtype=np.float64)
    e = np.exp(-np.abs(m))
    r = 1.0 / (1.0 + e)
    value = np.maximum(-m, 0.0) + np.log1p(e) if order != 1 else None
    d1 = -np.where(m >= 0, e * r, r) if order >= 1 else None
    return value, d1, (e * r * r if order >= 2 else None)

"""The ResNet-softmax regression of Song, Wang and Yin (arXiv:2309.13482): a second objective family.

``L(x) = 0.5 ||f(x) - b||^2 + 0.5 ||diag(w) A x||^2`` with ``u = exp(Ax) + Ax``,
``alpha = <u, 1_n>`` and ``f = u / alpha`` (conventions in ``_protocol``).
One protocol (:class:`ResNetSoftmaxRegression`), three implementations, one
registry, like the softmax family in :mod:`impls.softmax`:

>>> import numpy as np
>>> from impls import resnet_softmax
>>> resnet_softmax.names()
('loops', 'numpy', 'sympy')
>>> rs = resnet_softmax.get("numpy")
>>> A, x, b = np.eye(2), np.zeros(2), np.array([1.0, 0.0])
>>> float(rs.loss(x, A, b))
0.25
"""

from .._registry import Registry
from ._protocol import FLOAT_DTYPES, METHODS, Capabilities, ResNetSoftmaxRegression
from .loops import LoopsResNetSoftmax
from .symbolic import SymbolicResNetModel, SympyResNetSoftmax
from .validation import (
    LossUndefinedError,
    Problem,
    alpha_error_bound,
    check_alpha,
    reliable_alpha_threshold,
    validate,
)
from .vectorized import NumpyResNetSoftmax

_implementations = Registry(
    "ResNet-softmax implementation", {"loops": LoopsResNetSoftmax, "numpy": NumpyResNetSoftmax, "sympy": SympyResNetSoftmax}
)
get = _implementations.get
names = _implementations.names
register = _implementations.register

__all__ = [
    "FLOAT_DTYPES",
    "METHODS",
    "Capabilities",
    "LoopsResNetSoftmax",
    "LossUndefinedError",
    "NumpyResNetSoftmax",
    "Problem",
    "ResNetSoftmaxRegression",
    "SymbolicResNetModel",
    "SympyResNetSoftmax",
    "alpha_error_bound",
    "check_alpha",
    "get",
    "names",
    "register",
    "reliable_alpha_threshold",
    "validate",
]

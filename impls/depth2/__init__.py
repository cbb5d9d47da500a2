"""Depth-2 networks with the logistic loss and a Frobenius regularizer (Gopalani, Jha, Mukherjee).

One small protocol (``Depth2Objective``), one problem type
(``Depth2Problem``: data, outer weights, lambda, activation), three
interchangeable implementations and a registry, following the pattern of
``impls.softmax``. Conventions are in ``impls/depth2/_protocol.py``.

>>> import numpy as np
>>> from impls import depth2
>>> depth2.names()
('loops', 'numpy', 'sympy')
>>> pb = depth2.Depth2Problem(X=np.eye(2), y=np.array([1.0, -1.0]), lam=0.1, activation="tanh", a=np.array([1.0]))
>>> round(depth2.get("numpy").loss(np.zeros(pb.dim), pb), 6)
0.693147
"""

from .._registry import Registry
from ._protocol import ACTIVATIONS
from ._protocol import OPTIONAL_METHODS
from ._protocol import REQUIRED_METHODS
from ._protocol import Capabilities
from ._protocol import Depth2Objective
from .activations import AT_ZERO
from .activations import BOUNDS
from .loops import LoopsDepth2
from .problem import Depth2Problem
from .problem import alternating_outer_weights
from .problem import signed_labels
from .symbolic import SympyDepth2
from .vectorized import NumpyDepth2

_implementations = Registry(
    "depth-2 implementation", {"loops": LoopsDepth2, "numpy": NumpyDepth2, "sympy": SympyDepth2}
)
get = _implementations.get
names = _implementations.names

__all__ = [
    "ACTIVATIONS",
    "AT_ZERO",
    "BOUNDS",
    "OPTIONAL_METHODS",
    "REQUIRED_METHODS",
    "Capabilities",
    "Depth2Objective",
    "Depth2Problem",
    "LoopsDepth2",
    "NumpyDepth2",
    "SympyDepth2",
    "alternating_outer_weights",
    "get",
    "names",
    "signed_labels",
]

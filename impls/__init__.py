"""Interchangeable implementations of softmax cross-entropy, behind one interface.

``impls`` knows nothing of claims: it holds the interface (``SoftmaxCrossEntropy``,
``Capabilities``), the shared input validation, the registry and the
implementations.

>>> import impls
>>> impls.names()
('loops', 'numpy', 'sympy')
>>> ce = impls.get("numpy")
"""

from ._protocol import FLOAT_DTYPES
from ._protocol import OPTIONAL_METHODS
from ._protocol import REQUIRED_METHODS
from ._protocol import Capabilities
from ._protocol import SoftmaxCrossEntropy
from ._protocol import capabilities_of
from ._registry import get
from ._registry import load
from ._registry import names
from ._registry import register
from .helpers import add_bias
from .helpers import one_hot
from .loops import LoopsSoftmaxCE
from .symbolic import SympySoftmaxCE
from .validation import Problem
from .validation import simplex_row_sum_tolerance
from .validation import validate
from .vectorized import NumpySoftmaxCE

register("loops", LoopsSoftmaxCE)
register("numpy", NumpySoftmaxCE)
register("sympy", SympySoftmaxCE)

__all__ = [
    "FLOAT_DTYPES",
    "OPTIONAL_METHODS",
    "REQUIRED_METHODS",
    "Capabilities",
    "LoopsSoftmaxCE",
    "NumpySoftmaxCE",
    "Problem",
    "SoftmaxCrossEntropy",
    "SympySoftmaxCE",
    "add_bias",
    "capabilities_of",
    "get",
    "load",
    "names",
    "one_hot",
    "register",
    "simplex_row_sum_tolerance",
    "validate",
]

"""Softmax cross-entropy for the linear model ``Z = X W``: the interface and three implementations.

The family ``impls`` is named after: one protocol (``SoftmaxCrossEntropy``,
conventions in ``impls/softmax/_protocol.py``), its input validation, and
the ``loops``, ``numpy`` and ``sympy`` implementations. ``impls`` re-exports
every public name here; use it as ``impls.get("numpy")``.
"""

from ._protocol import FLOAT_DTYPES
from ._protocol import OPTIONAL_METHODS
from ._protocol import REQUIRED_METHODS
from ._protocol import Capabilities
from ._protocol import SoftmaxCrossEntropy
from ._protocol import capabilities_of
from .helpers import add_bias
from .helpers import one_hot
from .loops import LoopsSoftmaxCE
from .symbolic import SympySoftmaxCE
from .validation import Problem
from .validation import simplex_row_sum_tolerance
from .validation import validate
from .vectorized import NumpySoftmaxCE

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
    "one_hot",
    "simplex_row_sum_tolerance",
    "validate",
]

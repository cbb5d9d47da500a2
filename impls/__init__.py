"""Interchangeable implementations of softmax cross-entropy, behind one interface.

``impls`` knows nothing of claims. It is the public face of the softmax
family (``impls/softmax/``: the interface ``SoftmaxCrossEntropy`` and
``Capabilities``, its input validation, the ``loops``, ``numpy`` and
``sympy`` implementations and their registry) and holds the loader of a
user's implementation (``impls.load``). The other objective families follow
the same pattern, each with its own instance of the one ``Registry``
(``impls/_registry.py``), and are imported by name:
``impls.resnet_softmax``, ``impls.depth2``, ``impls.reweighted``.

>>> import impls
>>> impls.names()
('loops', 'numpy', 'sympy')
>>> ce = impls.get("numpy")
"""

from ._arrays import simplex_row_sum_tolerance
from ._loader import load
from ._loader import load_attribute
from ._loader import loaded_file
from .softmax import get
from .softmax import names
from .softmax import register
from .softmax._protocol import FLOAT_DTYPES
from .softmax._protocol import OPTIONAL_METHODS
from .softmax._protocol import REQUIRED_METHODS
from .softmax._protocol import Capabilities
from .softmax._protocol import SoftmaxCrossEntropy
from .softmax._protocol import capabilities_of
from .softmax.helpers import add_bias
from .softmax.helpers import one_hot
from .softmax.loops import LoopsSoftmaxCE
from .softmax.symbolic import SympySoftmaxCE
from .softmax.validation import Problem
from .softmax.validation import validate
from .softmax.vectorized import NumpySoftmaxCE

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
    "load_attribute",
    "loaded_file",
    "names",
    "one_hot",
    "register",
    "simplex_row_sum_tolerance",
    "validate",
]

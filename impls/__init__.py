"""Interchangeable implementations of softmax cross-entropy, behind one interface.

``impls`` knows nothing of claims. It is the public face of the softmax
family (``impls/softmax/``: the interface ``SoftmaxCrossEntropy`` and
``Capabilities``, its input validation and the ``loops``, ``numpy`` and
``sympy`` implementations), with the registry and the loader of a user's
implementation. The other objective families follow the same pattern and
are imported by name: ``impls.resnet_softmax``, ``impls.depth2``,
``impls.reweighted``.

>>> import impls
>>> impls.names()
('loops', 'numpy', 'sympy')
>>> ce = impls.get("numpy")
"""

from ._registry import get
from ._registry import load
from ._registry import names
from ._registry import register
from .softmax import FLOAT_DTYPES
from .softmax import OPTIONAL_METHODS
from .softmax import REQUIRED_METHODS
from .softmax import Capabilities
from .softmax import LoopsSoftmaxCE
from .softmax import NumpySoftmaxCE
from .softmax import Problem
from .softmax import SoftmaxCrossEntropy
from .softmax import SympySoftmaxCE
from .softmax import add_bias
from .softmax import capabilities_of
from .softmax import one_hot
from .softmax import simplex_row_sum_tolerance
from .softmax import validate

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

"""Softmax cross-entropy for the linear model ``Z = X W``: the family ``impls`` is named after.

One protocol (``SoftmaxCrossEntropy``, conventions in
``impls/softmax/_protocol.py``), its input validation (``validation``), the
``loops``, ``numpy`` and ``sympy`` implementations, and here their
registry. The public face of the family is ``impls``, which re-exports its
names: ``impls.get("numpy")``, ``impls.register(...)``.
"""

from .._registry import Registry
from .loops import LoopsSoftmaxCE
from .symbolic import SympySoftmaxCE
from .vectorized import NumpySoftmaxCE

# A user's implementation may join the built-in ones (impls.register).
_implementations = Registry(
    "implementation", {"loops": LoopsSoftmaxCE, "numpy": NumpySoftmaxCE, "sympy": SympySoftmaxCE}
)
get = _implementations.get
names = _implementations.names
register = _implementations.register

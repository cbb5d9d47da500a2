"""Class-reweighted logistic and softmax losses (Li, Li, Pan, Zhu, AAAI-20), behind one small interface.

The family of the catalog ``claims/li2020.md`` (B.2): weighted binary
logistic (LGL), weighted softmax (SML), one-vs-all logistic with per-class
positive and negative weights, the logistic loss with frozen non-target
weights, and the CANDIDATE reweighted logistic loss (LGL-INR candidate, with
and without stop-gradient on its weights; the paper's formula is not
recorded, so these are always labelled candidates).

Not imported by ``impls``; import it directly:

>>> from impls import reweighted
>>> reweighted.names()
('loops', 'numpy')
>>> ova = reweighted.get("numpy", "one_vs_all")
"""

from .._registry import Registry
from . import loops
from . import vectorized
from ._protocol import Capabilities
from ._protocol import ReweightedLoss
from .vectorized import BinaryLogistic
from .vectorized import CandidateINR
from .vectorized import CandidateINRDetached
from .vectorized import NonTargetWeightedLogistic
from .vectorized import OneVsAllLogistic
from .vectorized import WeightedSoftmax
from .vectorized import softplus

# Implementation name -> {loss name -> class}: each implementation module lists its losses.
_implementations = Registry("implementation", {"loops": loops.LOSSES, "numpy": vectorized.LOSSES})
names = _implementations.names


def losses() -> tuple[str, ...]:
    """The loss names every implementation provides (the candidate forms carry "candidate" in their names)."""
    return tuple(vectorized.LOSSES)


def get(name: str, loss: str, **params):
    """A new instance of the loss ``loss`` of the implementation ``name``, with hyperparameters ``params``.

    >>> get("numpy", "one_vs_all", positive_weight=[1.0, 2.0, 1.0])
    OneVsAllLogistic((1.0, 2.0, 1.0), None)
    """
    family = _implementations[name]
    try:
        cls = family[loss]
    except KeyError:
        raise KeyError(f"loss: no loss called {loss!r}; available: {', '.join(losses())}") from None
    return cls(**params)


__all__ = [
    "BinaryLogistic",
    "Capabilities",
    "CandidateINR",
    "CandidateINRDetached",
    "NonTargetWeightedLogistic",
    "OneVsAllLogistic",
    "ReweightedLoss",
    "WeightedSoftmax",
    "get",
    "losses",
    "names",
    "softplus",
]

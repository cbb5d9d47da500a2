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

from ._protocol import Capabilities
from ._protocol import ReweightedLoss
from ._registry import get
from ._registry import losses
from ._registry import names
from .vectorized import BinaryLogistic
from .vectorized import CandidateINR
from .vectorized import CandidateINRDetached
from .vectorized import NonTargetWeightedLogistic
from .vectorized import OneVsAllLogistic
from .vectorized import WeightedSoftmax
from .vectorized import softplus

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

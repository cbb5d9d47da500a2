"""Claims of Li, Li, Pan, Zhu, "On the learning property of logistic and softmax losses" (catalog li2020, seed 004).

Importing this package registers the claims (``claims.py``, in the paper's order). Beside them, the paper's own tools:

* ``experiments.py``: a setting (identity x dataset x model x weighting x training), its fit and its outcome;
  the held-out comparison;
* ``balance.py``: the stationarity identities I1-I4 as balances ``lhs_k = rhs_k``;
* ``certificates.py``: the 50-digit mpmath recomputations that confirm a float refutation;
* ``problems.py``: random problems (a Hypothesis strategy) for the candidate loss;
* ``figures.py``: the plot data of the claims;
* ``heads.py``: the linear and MLP heads, trained to stationarity (cached);
* ``datasets.py``: the scikit-learn datasets as the claims use them;
* ``tolerances.py``: the paper's bounds and pass criteria.
"""

from . import claims  # noqa: F401

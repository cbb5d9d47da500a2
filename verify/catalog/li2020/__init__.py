"""Claims of Li, Li, Pan, Zhu, "On the learning property of logistic and softmax losses" (catalog li2020, seed 004).

Importing this package registers the claims (``claims.py``, in the paper's order); the
paper's own bounds are in ``tolerances.py``.
"""

from . import claims  # noqa: F401

"""Claims: folklore about softmax cross-entropy (seed 002, ``claims/folklore.md``).

Importing this package registers the claims (``claims.py``, in the paper's order); the
paper's own bounds are in ``tolerances.py``.
"""

from . import claims  # noqa: F401

"""Claims of Gopalani, Jha and Mukherjee on SGD for regularized depth-2 nets (catalog ``claims/gopalani2023.md``).

Importing this package registers the claims (``claims.py``, in the paper's order); the
paper's own bounds are in ``tolerances.py``.
"""

from . import claims  # noqa: F401

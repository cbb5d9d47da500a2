"""Claims of Rychlik (arXiv:1903.12600) and Nwaigwe & Rychlik (arXiv:2012.04576).

Importing this package registers the claims (``claims.py``, in the paper's order); the
paper's own bounds are in ``tolerances.py``.
"""

from . import claims  # noqa: F401

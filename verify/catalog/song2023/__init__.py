"""Claims: Z. Song, W. Wang, J. Yin, "A unified scheme of ResNet and softmax", arXiv:2309.13482 (seed 001).

Importing this package registers the claims (``claims.py``, in the paper's order); the
paper's own bounds are in ``tolerances.py``.
"""

from . import claims  # noqa: F401

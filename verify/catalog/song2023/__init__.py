"""Claims: Z. Song, W. Wang, J. Yin, "A unified scheme of ResNet and softmax", arXiv:2309.13482 (seed 001).

Importing this package registers the claims (``claims.py``, in the catalog's order). Beside them:
``formulas.py`` (the quantities and the catalog's derived bounds), ``problems.py`` (problems and
Hypothesis strategies), ``high_precision.py`` (the 50-digit reference), ``symbolic.py`` (exact
SymPy identities), ``newton.py`` (the approximate Newton method), ``experiments.py`` (the Newton
runs and sampled tables), ``figures.py`` and ``tolerances.py`` (the paper's rounding bounds).
"""

from . import claims  # noqa: F401

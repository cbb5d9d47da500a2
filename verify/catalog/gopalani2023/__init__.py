"""Claims of Gopalani, Jha and Mukherjee on SGD for regularized depth-2 nets (catalog ``claims/gopalani2023.md``).

Importing this package registers the claims (``claims.py``, in the paper's order). Beside them:
``formulas`` (the measured quantities and the catalog's closed-form bounds), ``tolerances`` (the
derived bounds), ``problems`` (examples and Hypothesis strategies), ``measures`` (what each search
measures), ``certificates`` (mpmath and SymPy re-checks), ``landscapes`` (one-parameter potentials),
``experiments`` and ``figures``, on the grids of ``gibbs`` and the samplers of ``sgd``.
"""

from . import claims  # noqa: F401

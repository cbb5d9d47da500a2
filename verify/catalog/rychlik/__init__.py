"""Claims of Rychlik (arXiv:1903.12600) and Nwaigwe & Rychlik (arXiv:2012.04576).

Importing this package registers the claims (``claims.py``, in the catalog's order). Beside
them: the closed forms (``formulas``), SymPy (``symbolic``), data sets and strategies
(``problems``), shared searches (``searches``), high-precision certificates
(``certificates``, ``existence``), experiments (``descent``, ``constructions``) and the
paper's own bounds (``tolerances``).
"""

from . import claims  # noqa: F401

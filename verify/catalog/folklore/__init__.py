"""Claims: folklore about softmax cross-entropy (seed 002, ``claims/folklore.md``).

Importing this package registers the claims (``claims.py``, F1 .. F17 in the
catalog's order). Beside them: ``strategies`` (what the searches draw),
``measures`` (each quantity in float64 against its tolerance),
``certificates`` (the mpmath re-check of a counterexample), ``symbolic``
(SymPy identities), ``formulas`` (the shared float formulas), ``figures``
and ``experiments`` (the catalog's own constructions); the paper's bounds
are in ``tolerances.py``.
"""

from . import claims  # noqa: F401

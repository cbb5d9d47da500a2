"""The claims, one package per source, so that a reader holding a paper finds each theorem in one folder.

Each paper's package registers its claims when imported; this module imports
every one of them explicitly (as PyTorch's ``opinfo/definitions/__init__.py``
joins its per-area lists) and is the one place that answers "which claims
are there". The engine (:mod:`verify.harness`) knows no paper: it runs the
claims it is handed.

A paper's claims are declared (id, title, source, statement, hypotheses,
expected verdict) in ``<paper>/claims.toml`` in the paper's order, and each is
checked by the function in ``<paper>/claims.py`` that ``@claim("<id>")``
decorates. Importing the catalog fails if a declaration has no check.
"""

from __future__ import annotations

from ..harness.claims import Claim, DeclarationError, registered, undeclared_checks
from . import folklore  # noqa: F401
from . import gopalani2023  # noqa: F401
from . import implementation  # noqa: F401
from . import kernels  # noqa: F401
from . import li2020  # noqa: F401
from . import rychlik  # noqa: F401
from . import song2023  # noqa: F401

if undeclared_checks():  # a declared claim without a check would silently never run
    raise DeclarationError("declared claims with no check: " + "; ".join(undeclared_checks()))


def all_claims(scope: str | None = None) -> list[Claim]:
    """Every claim of every source, sorted by id; only those of ``scope`` (``math``, ``implementation``) if given."""
    return [c for c in registered() if scope is None or c.scope == scope]


def get_claim(claim_id: str) -> Claim:
    """The claim with id ``claim_id``; a ``KeyError`` naming it when there is none."""
    for c in registered():
        if c.id == claim_id:
            return c
    raise KeyError(f"no claim with id {claim_id!r}")

"""The registry of depth-2 implementations: a plain dict of name -> factory."""

from __future__ import annotations

from .loops import LoopsDepth2
from .symbolic import SympyDepth2
from .vectorized import NumpyDepth2

_REGISTRY: dict[str, type] = {
    "loops": LoopsDepth2,
    "numpy": NumpyDepth2,
    "sympy": SympyDepth2,
}


def names() -> tuple[str, ...]:
    """The registered depth-2 implementation names, sorted."""
    return tuple(sorted(_REGISTRY))


def get(name: str):
    """A fresh instance of the registered depth-2 implementation ``name``."""
    try:
        factory = _REGISTRY[name]
    except KeyError:
        raise KeyError(f"name: no depth-2 implementation called {name!r}; registered: {', '.join(names())}") from None
    return factory()

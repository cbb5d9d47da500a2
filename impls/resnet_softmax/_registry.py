"""The registry of ResNet-softmax implementations: a plain dict of name -> zero-argument factory."""

from __future__ import annotations

_REGISTRY: dict[str, type] = {}


def register(name: str, factory) -> None:
    """Register ``factory`` (a class, or any zero-argument callable) under ``name``."""
    if not isinstance(name, str) or not name:
        raise ValueError(f"name: expected a non-empty string, got {name!r}")
    if name in _REGISTRY:
        raise ValueError(f"name: a ResNet-softmax implementation called {name!r} is already registered")
    _REGISTRY[name] = factory


def names() -> tuple[str, ...]:
    """The registered implementation names, sorted."""
    return tuple(sorted(_REGISTRY))


def get(name: str):
    """A fresh instance of the registered implementation ``name``."""
    try:
        factory = _REGISTRY[name]
    except KeyError:
        raise KeyError(
            f"name: no ResNet-softmax implementation called {name!r}; registered: {', '.join(names())}"
        ) from None
    return factory()

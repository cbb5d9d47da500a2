"""The registry of the reweighted loss family: implementation name -> {loss name -> class}."""

from __future__ import annotations

from . import loops, vectorized

# A plain dict, as in impls._registry; each implementation module lists its losses.
_REGISTRY: dict[str, dict[str, type]] = {
    "loops": loops.LOSSES,
    "numpy": vectorized.LOSSES,
}


def names() -> tuple[str, ...]:
    """The implementation names, sorted: ``('loops', 'numpy')``."""
    return tuple(sorted(_REGISTRY))


def losses() -> tuple[str, ...]:
    """The loss names every implementation provides (the candidate forms carry "candidate" in their names)."""
    return tuple(vectorized.LOSSES)


def get(name: str, loss: str, **params):
    """A new instance of the loss ``loss`` of the implementation ``name``, with hyperparameters ``params``.

    >>> get("numpy", "one_vs_all", positive_weight=[1.0, 2.0, 1.0])
    OneVsAllLogistic((1.0, 2.0, 1.0), None)
    """
    try:
        family = _REGISTRY[name]
    except KeyError:
        raise KeyError(f"name: no implementation called {name!r}; registered: {', '.join(names())}") from None
    try:
        cls = family[loss]
    except KeyError:
        raise KeyError(f"loss: no loss called {loss!r}; available: {', '.join(losses())}") from None
    return cls(**params)

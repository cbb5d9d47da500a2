"""One registry of implementations, for every objective family.

Each family keeps one :class:`Registry` in its ``__init__.py`` and exposes
its ``names`` and ``get`` (and ``register`` where a user may add an
implementation): ``impls``, ``impls.resnet_softmax``, ``impls.depth2``,
``impls.reweighted``.
"""

from __future__ import annotations


class Registry:
    """Implementations by name: a plain dict of name -> zero-argument factory.

    ``get(name)`` calls the factory; ``registry[name]`` is the entry itself,
    for a family whose entries are built otherwise (``impls.reweighted``
    registers each implementation's table of losses).

    Parameters
    ----------
    what : str
        What an entry is, as the error messages name it: ``"implementation"``,
        ``"ResNet-softmax implementation"``, ``"depth-2 implementation"``.
    factories : mapping of str to factory, optional
        The built-in entries, registered in order.
    """

    def __init__(self, what: str = "implementation", factories=None):
        self.what = what
        self._factories: dict[str, object] = {}
        for name, factory in (factories or {}).items():
            self.register(name, factory)

    def register(self, name: str, factory) -> None:
        """Register ``factory`` (a class, or any zero-argument callable) under ``name``."""
        if not isinstance(name, str) or not name:
            raise ValueError(f"name: expected a non-empty string, got {name!r}")
        if name in self._factories:
            article = "an" if self.what[0] in "aeiou" else "a"
            raise ValueError(f"name: {article} {self.what} called {name!r} is already registered")
        self._factories[name] = factory

    def names(self) -> tuple[str, ...]:
        """The registered implementation names, sorted."""
        return tuple(sorted(self._factories))

    def __getitem__(self, name: str):
        """The entry registered under ``name``; a ``KeyError`` that lists the registered names if none is."""
        try:
            return self._factories[name]
        except KeyError:
            raise KeyError(f"name: no {self.what} called {name!r}; registered: {', '.join(self.names())}") from None

    def get(self, name: str):
        """A fresh instance of the registered implementation ``name``."""
        return self[name]()

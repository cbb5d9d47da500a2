"""The loader of a user's own softmax cross-entropy implementation: ``impls.load("pkg.mod:attr")``."""

from __future__ import annotations

import importlib
import inspect

from .softmax._protocol import REQUIRED_METHODS, capabilities_of


def _check_interface(obj, where: str) -> None:
    missing = [m for m in REQUIRED_METHODS if not callable(getattr(obj, m, None))]
    if missing:
        raise TypeError(
            f"{where}: is missing the required method(s) {', '.join(missing)}; "
            f"an implementation needs at least loss(W, X, Y) and grad(W, X, Y)"
        )
    capabilities_of(obj)  # raises if a declared capabilities attribute has the wrong type


def load(path: str):
    """Load a user's implementation from ``"package.module:attribute"``.

    The attribute may be a class (instantiated with no arguments) or an
    instance. The object must have ``loss`` and ``grad``; ``probs``,
    ``loss_grad``, ``hessian`` and ``hvp`` are optional. If it has no
    ``name``, the path is used as its name.
    """
    if not isinstance(path, str) or path.count(":") != 1:
        raise ValueError(f"impl path: expected 'package.module:attribute', got {path!r}")
    module_name, attr = path.split(":")
    if not module_name or not attr:
        raise ValueError(f"impl path: expected 'package.module:attribute', got {path!r}")
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as exc:
        raise ImportError(f"impl path {path!r}: cannot import module {module_name!r} ({exc})") from exc
    obj = module
    for part in attr.split("."):
        try:
            obj = getattr(obj, part)
        except AttributeError:
            raise AttributeError(f"impl path {path!r}: module {module_name!r} has no attribute {attr!r}") from None
    if inspect.isclass(obj):
        try:
            obj = obj()
        except TypeError as exc:
            raise TypeError(f"impl path {path!r}: the class cannot be instantiated without arguments ({exc})") from exc
    _check_interface(obj, f"impl path {path!r}")
    if not getattr(obj, "name", None):
        try:
            obj.name = path
        except AttributeError:
            pass
    return obj

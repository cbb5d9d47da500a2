"""The loader of a user's own softmax cross-entropy implementation: ``impls.load("pkg.mod:attr")``.

Two forms of path, as ``python -m``, pytest and asv users write them:

``package.module:attribute``
    imported with the current working directory at the front of the import
    path, as ``python -m`` and pytest put it there: ``lossproof check --impl
    mymod:MyLoss`` works from the folder that holds ``mymod.py`` (or
    ``mypkg/mod.py``, with or without ``__init__.py``), although the
    ``lossproof`` script itself does not put that folder on ``sys.path``.
``path/to/file.py:attribute``
    (relative to the current folder, or absolute) loaded from that file with
    :func:`importlib.util.spec_from_file_location`, as ``python
    path/to/file.py`` would run it: the file's folder is at the front of the
    import path while it runs, so it can import its neighbours.

The folder is put on ``sys.path`` only while the user's module is imported,
and taken off again afterwards: a user's folder left on the path would
shadow, for the rest of the run, any module of the same name that the
harness or a library imports later (a ``test.py``, a ``plot.py``...). What
the user's module imports while it is imported stays imported, and a
package's submodules remain importable through the package; only a module
that imports a *top-level* neighbour lazily, inside a function, needs that
folder on ``PYTHONPATH``.

A file is loaded under a module name derived from its absolute path
(``_lossproof_file_<stem>_<hash>``), registered in :data:`sys.modules`
before it runs (dataclasses and pickling look their module up there), and
loaded once per process, as an import is. The name is the same in every
process, so a worker that loads the same path (the parallel runner hands
workers the path string, and workers share the current folder) gets the same
module name.

Every failure is one exception whose message is one line naming the path and
what is wrong (:class:`ImportError`, :class:`AttributeError`,
:class:`TypeError` or :class:`ValueError`; the command line prints it and
exits with status 2): a module or file that cannot be found, an attribute it
lacks, an exception raised while importing it (a ``SyntaxError`` with its file
and line, or anything raised by the module's own code, with the line in the
user's code where it was raised), a class that cannot be instantiated without
arguments, a missing ``loss`` or ``grad``.
"""

from __future__ import annotations

import hashlib
import importlib
import importlib.util
import inspect
import os
import re
import sys
import traceback
from contextlib import contextmanager
from pathlib import Path

from .softmax._protocol import REQUIRED_METHODS, capabilities_of

_FORMS = "'package.module:attribute' or 'path/to/file.py:attribute'"


def _check_interface(obj, where: str) -> None:
    missing = [m for m in REQUIRED_METHODS if not callable(getattr(obj, m, None))]
    if missing:
        raise TypeError(
            f"{where}: is missing the required method(s) {', '.join(missing)}; "
            f"an implementation needs at least loss(W, X, Y) and grad(W, X, Y)"
        )
    try:
        capabilities_of(obj)  # raises if a declared capabilities attribute has the wrong type
    except (TypeError, ValueError) as exc:
        raise type(exc)(f"{where}: {exc}") from exc


def split_path(path: str) -> tuple[str, str, bool]:
    """``(module or file, attribute, is_file)`` of an implementation path; ValueError if it is neither form.

    A file path is split on its *last* colon, so that a colon before it (a
    Windows drive letter) stays part of the file name.
    """
    if not isinstance(path, str):
        raise ValueError(f"impl path: expected {_FORMS}, got {path!r}")
    left, colon, attr = path.rpartition(":")
    if colon and left.endswith(".py"):
        if not attr:
            raise ValueError(f"impl path {path!r}: no attribute after the file name; expected 'path/to/file.py:attribute'")
        return left, attr, True
    if path.endswith(".py"):
        raise ValueError(f"impl path {path!r}: no attribute after the file name; expected 'path/to/file.py:attribute'")
    if path.count(":") != 1 or not left or not attr:
        raise ValueError(f"impl path: expected {_FORMS}, got {path!r}")
    return left, attr, False


@contextmanager
def _at_front_of_sys_path(folder: str):
    """``folder`` first on ``sys.path`` for the duration, unless it is on it already; then as it was."""
    here = os.path.abspath(folder)
    on_path = any(os.path.abspath(p or os.curdir) == here for p in sys.path)
    if not on_path:
        sys.path.insert(0, here)
    importlib.invalidate_caches()  # a module written just now (a test, an editor) is seen
    try:
        yield
    finally:
        if not on_path:
            try:
                sys.path.remove(here)
            except ValueError:  # the user's module took it off itself
                pass


def _where_raised(exc: BaseException, root: str) -> str:
    """``" (file.py, line N)"``: where ``exc`` was raised, preferring the innermost frame in the user's folder."""
    if isinstance(exc, SyntaxError) and exc.filename:
        return f" ({_shown(exc.filename, root)}, line {exc.lineno})"
    frames = [f for f in traceback.extract_tb(exc.__traceback__) if not f.filename.startswith("<frozen")]
    if not frames:
        return ""
    under_root = [f for f in frames if _is_under(f.filename, root)]
    frame = (under_root or frames)[-1]
    return f" ({_shown(frame.filename, root)}, line {frame.lineno})"


def _is_under(filename: str, root: str) -> bool:
    try:
        return os.path.commonpath([os.path.abspath(filename), root]) == root
    except ValueError:  # different drives
        return False


def _shown(filename: str, root: str) -> str:
    """A file name relative to the user's folder when it is inside it, else as it is."""
    return os.path.relpath(filename, root) if _is_under(filename, root) else filename


def _raised_while_importing(path: str, what: str, exc: BaseException, root: str) -> ImportError:
    """The one-line error for ``exc``, raised while importing ``what`` (``root``: the user's folder)."""
    text = exc.msg if isinstance(exc, SyntaxError) else str(exc)
    text = " ".join(text.split())  # one line, whatever the module raised
    return ImportError(
        f"impl path {path!r}: importing {what!r} raised {type(exc).__name__}"
        + (f": {text}" if text else "")
        + _where_raised(exc, root)
    )


def _is_the_missing_module(exc: ModuleNotFoundError, module_name: str) -> bool:
    """Whether ``exc`` says the user's module (or a package above it) is missing, not something it imports."""
    parts = module_name.split(".")
    return exc.name in {".".join(parts[: i + 1]) for i in range(len(parts))}


def _import_module(path: str, module_name: str):
    cwd = os.getcwd()
    with _at_front_of_sys_path(cwd):
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as exc:
            if _is_the_missing_module(exc, module_name):
                raise ImportError(
                    f"impl path {path!r}: cannot import module {module_name!r} "
                    f"({exc}; looked in the current folder {cwd} and on sys.path)"
                ) from exc
            raise _raised_while_importing(path, module_name, exc, cwd) from exc
        except (Exception, SystemExit) as exc:  # the user's module failed while it ran: say what and where, on one line
            raise _raised_while_importing(path, module_name, exc, cwd) from exc
        # while the folder is on the path: a namespace package's __path__ is recomputed from sys.path
        _refuse_a_shadowed_module(path, module_name, cwd)
    return module


def _refuse_a_shadowed_module(path: str, module_name: str, cwd: str) -> None:
    """ImportError when the current folder holds ``module_name``'s top level but a module of that name from elsewhere was imported.

    A module imported before (``json``, ``test``, one of the harness's own)
    wins over the user's file of the same name without a word; say so
    instead. A folder without ``__init__.py`` is not counted: a regular
    package elsewhere wins over it wherever it is on the path.
    """
    top = module_name.split(".")[0]
    local = [p for p in (Path(cwd, top + ".py"), Path(cwd, top, "__init__.py")) if p.is_file()]
    imported = sys.modules.get(top)
    if not local or imported is None:
        return
    file = getattr(imported, "__file__", None)
    locations = [file] if file else list(getattr(imported, "__path__", None) or [])
    if not any(_is_under(loc, cwd) for loc in locations):
        shown = file or (locations[0] if locations else "a built-in module")
        raise ImportError(
            f"impl path {path!r}: module {top!r} was already imported from {shown}, not from {local[0]}; "
            f"rename your module, or give its file: 'path/to/file.py:attribute'"
        )


_FILE_MODULE_PREFIX = "_lossproof_file_"


def file_module_name(file: Path) -> str:
    """The module name a file is loaded under: its stem and a hash of its absolute path (the same in every process)."""
    digest = hashlib.sha1(str(file).encode()).hexdigest()[:12]
    stem = re.sub(r"\W", "_", file.stem)
    return f"{_FILE_MODULE_PREFIX}{stem}_{digest}"


def loaded_file(module_name: str) -> str | None:
    """The file that :func:`load` loaded as module ``module_name`` (so a worker can load it too), or None."""
    module = sys.modules.get(module_name) if module_name.startswith(_FILE_MODULE_PREFIX) else None
    return getattr(module, "__file__", None)


def _load_file(path: str, filename: str):
    file = Path(os.path.abspath(filename))
    if not file.is_file():
        why = "is a folder" if file.is_dir() else "does not exist"
        raise ImportError(f"impl path {path!r}: the file {filename!r} {why} (looked for {file})")
    name = file_module_name(file)
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, file)
    if spec is None or spec.loader is None:
        raise ImportError(f"impl path {path!r}: cannot load {filename!r} as a Python module")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # before it runs: dataclasses and pickle look the module up by name
    try:
        with _at_front_of_sys_path(str(file.parent)):
            spec.loader.exec_module(module)
    except (Exception, SystemExit) as exc:
        del sys.modules[name]
        raise _raised_while_importing(path, filename, exc, str(file.parent)) from exc
    return module


def load_attribute(path: str):
    """The object ``"package.module:attribute"`` or ``"path/to/file.py:attribute"`` names, as it is (a class is
    not instantiated, no interface is checked): what :func:`load` and the kernel contracts' loader share."""
    source, attr, is_file = split_path(path)
    module = _load_file(path, source) if is_file else _import_module(path, source)
    what = f"the file {source!r}" if is_file else f"module {source!r}"
    obj = module
    for part in attr.split("."):
        try:
            obj = getattr(obj, part)
        except AttributeError:
            raise AttributeError(f"impl path {path!r}: {what} has no attribute {attr!r}") from None
    return obj


def load(path: str):
    """Load a user's implementation from ``"package.module:attribute"`` or ``"path/to/file.py:attribute"``.

    The attribute (dotted for a nested one) may be a class (instantiated
    with no arguments) or an instance. The object must have ``loss`` and
    ``grad``; ``probs``, ``loss_grad``, ``hessian`` and ``hvp`` are optional.
    If it has no ``name``, the path is used as its name. How the module is
    found and what each failure says: see this module's docstring.
    """
    obj = load_attribute(path)
    if inspect.isclass(obj):
        try:
            obj = obj()
        except TypeError as exc:
            raise TypeError(f"impl path {path!r}: the class cannot be instantiated without arguments ({exc})") from exc
        except Exception as exc:
            text = " ".join(str(exc).split())
            raise TypeError(
                f"impl path {path!r}: instantiating the class raised {type(exc).__name__}"
                + (f": {text}" if text else "")
            ) from exc
    _check_interface(obj, f"impl path {path!r}")
    if not getattr(obj, "name", None):
        try:
            obj.name = path
        except AttributeError:
            pass
    return obj

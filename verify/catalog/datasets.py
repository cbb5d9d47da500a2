"""Real data sets that ship with scikit-learn (no download), standardized.

``load(name)`` returns the whole data set, ``X`` standardized column by
column (mean 0, variance 1; a constant column, as in some digits pixels,
stays 0) and the integer labels. ``binary_task(name)`` returns the binary
task a claim catalog names, standardized on the selected samples, with
labels in {-1, +1}:

========================== ======================================== =====  ====
task                       positives vs negatives                   n      d
========================== ======================================== =====  ====
``iris``                   versicolor (+1) vs virginica (-1)        100    4
``breast_cancer``          benign (+1) vs malignant (-1)            569    30
``wine``                   class 0 (+1) vs the rest (-1)            178    13
``digits``                 3 (+1) vs 8 (-1)                         357    64
========================== ======================================== =====  ====

scikit-learn is imported lazily: without it both functions raise
:class:`DatasetUnavailable` (an ``ImportError``) whose message says how to
install it, and claims that need the data report themselves as skipped.
Results are cached per process; the arrays returned are read-only.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np

NAMES = ("iris", "wine", "digits", "breast_cancer")
INSTALL_HINT = "needs scikit-learn: pip install 'lossproof[datasets]'"

# name -> (positive classes, negative classes or None for "the rest")
BINARY_TASKS = {
    "iris": ((1,), (2,)),
    "breast_cancer": ((1,), (0,)),
    "wine": ((0,), None),
    "digits": ((3,), (8,)),
}


class DatasetUnavailable(ImportError):
    """scikit-learn (which ships the data sets) is not installed."""


def available() -> bool:
    """Whether scikit-learn can be imported."""
    try:
        import sklearn.datasets  # noqa: F401
    except ImportError:
        return False
    return True


def standardize(X) -> np.ndarray:
    """Columns to mean 0 and (population) variance 1; a constant column becomes 0."""
    X = np.asarray(X, dtype=np.float64)
    mean = X.mean(axis=0)
    std = X.std(axis=0)
    return (X - mean) / np.where(std > 0, std, 1.0)


def _check_name(name: str) -> None:
    if name not in NAMES:
        raise ValueError(f"name: expected one of {', '.join(NAMES)}, got {name!r}")


@lru_cache(maxsize=None)
def _raw(name: str):
    try:
        from sklearn import datasets
    except ImportError as exc:
        raise DatasetUnavailable(INSTALL_HINT) from exc
    bunch = getattr(datasets, f"load_{name}")()
    return np.asarray(bunch.data, dtype=np.float64), np.asarray(bunch.target, dtype=np.int64)


def _frozen(*arrays):
    for a in arrays:
        a.setflags(write=False)
    return arrays


@lru_cache(maxsize=None)
def load(name: str) -> tuple[np.ndarray, np.ndarray]:
    """``(X, labels)``: the whole data set with standardized features and integer labels.

    Parameters
    ----------
    name : {"iris", "wine", "digits", "breast_cancer"}

    Returns
    -------
    X : array of shape (n, d), read-only
    labels : int array of shape (n,), read-only
    """
    _check_name(name)
    X, labels = _raw(name)
    return _frozen(standardize(X), labels.copy())


@lru_cache(maxsize=None)
def binary_task(name: str) -> tuple[np.ndarray, np.ndarray]:
    """``(X, y)``: the catalog's binary task on ``name``, standardized on its samples, ``y`` in {-1, +1}."""
    _check_name(name)
    X, labels = _raw(name)
    positive, negative = BINARY_TASKS[name]
    pos = np.isin(labels, positive)
    keep = pos | (np.isin(labels, negative) if negative is not None else ~pos)
    y = np.where(pos[keep], 1.0, -1.0)
    return _frozen(standardize(X[keep]), y)

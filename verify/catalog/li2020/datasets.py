"""The scikit-learn datasets as the li2020 claims use them: multi-class views of ``verify.catalog.datasets``.

``verify.catalog.datasets.load`` gives the standardised features and integer labels
(no download; scikit-learn imported lazily, results cached). This module adds
what the li2020 catalog needs on top: a ``Dataset`` with its one-hot targets
and class counts, the catalog's binary task (breast_cancer with *malignant*
positive, B.5), subsampled (imbalanced) variants, and random stratified
train/test splits for the held-out comparisons.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from .. import datasets as _shared
from . import tolerances as tol

NAMES = ("iris", "wine", "breast_cancer", "digits")  # cheapest first
SKIP_MESSAGE = _shared.INSTALL_HINT

# breast_cancer's positive class in the catalog (B.5) is "malignant", which
# scikit-learn encodes as target 0 (N1 = 212 of 569).
BREAST_CANCER_POSITIVE = 0


@dataclass(frozen=True)
class Dataset:
    """A labelled dataset.

    Attributes
    ----------
    name : str
    X : array of shape (N, D), float64, standardised
    y : array of shape (N,), int64 labels in ``0 .. K-1``
    """

    name: str
    X: np.ndarray
    y: np.ndarray

    @property
    def K(self) -> int:
        return int(self.y.max()) + 1

    @property
    def counts(self) -> np.ndarray:
        """``N_k``, array of shape (K,)."""
        return np.bincount(self.y, minlength=self.K)

    def one_hot(self) -> np.ndarray:
        Y = np.zeros((self.y.shape[0], self.K))
        Y[np.arange(self.y.shape[0]), self.y] = 1.0
        return Y


available = _shared.available
standardize = _shared.standardize


@lru_cache(maxsize=None)
def load(name: str) -> Dataset:
    """The bundled dataset ``name`` (one of ``NAMES``), standardised (``verify.catalog.datasets.load``); cached."""
    if name not in NAMES:
        raise ValueError(f"name: expected one of {', '.join(NAMES)}, got {name!r}")
    X, y = _shared.load(name)
    return Dataset(name, X, np.asarray(y, dtype=np.int64))


@lru_cache(maxsize=None)
def subsample(name: str, keep: tuple, seed: int = 0) -> Dataset:
    """``name`` with only ``keep[k]`` samples of class k (drawn without replacement with ``seed``), re-standardised.

    Makes the imbalanced variants of catalog B.5/B.6 (e.g. wine with N = (59, 71, 8)).
    """
    ds = load(name)
    if len(keep) != ds.K:
        raise ValueError(f"keep: expected {ds.K} class counts for {name}, got {len(keep)}")
    rng = np.random.default_rng(seed)
    rows = []
    for k, n_k in enumerate(keep):
        members = np.flatnonzero(ds.y == k)
        if not 0 < n_k <= members.size:
            raise ValueError(f"keep: class {k} of {name} has {members.size} samples, cannot keep {n_k}")
        rows.append(np.sort(rng.choice(members, size=int(n_k), replace=False)))
    idx = np.concatenate(rows)
    raw = load(name)
    return Dataset(f"{name}{list(keep)}", standardize(raw.X[idx]), raw.y[idx].copy())


def split(ds: Dataset, seed: int, train_fraction: float = 0.5):
    """A random stratified train/test split: ``(train, test)`` Datasets (features re-standardised on train)."""
    rng = np.random.default_rng(seed)
    train_rows = []
    for k in range(ds.K):
        members = np.flatnonzero(ds.y == k)
        n_train = int(round(train_fraction * members.size))
        train_rows.append(rng.permutation(members)[:n_train])
    train_idx = np.sort(np.concatenate(train_rows))
    test_idx = np.setdiff1d(np.arange(ds.y.shape[0]), train_idx)
    mean = ds.X[train_idx].mean(axis=0)
    std = ds.X[train_idx].std(axis=0)
    # A column constant on the train half (a rare digits pixel) has a std of
    # rounding size (~1e-17), not 0: scaling by it would blow its test values
    # up to ~1e17. Such columns are only centred.
    constant = std <= tol.LI_CONSTANT_COLUMN_RTOL * np.maximum(1.0, np.abs(ds.X[train_idx]).max(axis=0))
    std = np.where(constant, 1.0, std)
    return (
        Dataset(f"{ds.name}/train{seed}", (ds.X[train_idx] - mean) / std, ds.y[train_idx].copy()),
        Dataset(f"{ds.name}/test{seed}", (ds.X[test_idx] - mean) / std, ds.y[test_idx].copy()),
    )

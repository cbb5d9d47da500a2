"""Small helpers for building problems in the project's conventions."""

from __future__ import annotations

import numpy as np


def one_hot(labels, K: int, dtype=np.float64) -> np.ndarray:
    """One-hot targets from integer labels.

    Parameters
    ----------
    labels : array of shape (N,) of integers in ``[0, K)``.
    K : number of classes, ``K >= 2``.
    dtype : floating dtype of the result.

    Returns
    -------
    Y : array of shape (N, K) with ``Y[i, labels[i]] = 1``.
    """
    labels = np.asarray(labels)
    if labels.ndim != 1:
        raise ValueError(f"labels: expected a 1-D array of shape (N,), got shape {labels.shape}")
    if labels.dtype.kind == "f":
        if not np.all(np.isfinite(labels)) or np.any(labels != np.round(labels)):
            raise TypeError("labels: expected integer class labels, got non-integer values")
        labels = labels.astype(np.int64)
    elif labels.dtype.kind not in "iu":
        raise TypeError(f"labels: expected integer class labels, got dtype {labels.dtype}")
    if not isinstance(K, (int, np.integer)) or K < 2:
        raise ValueError(f"K: expected an integer number of classes >= 2, got {K!r}")
    if labels.size and (labels.min() < 0 or labels.max() >= K):
        raise ValueError(f"labels: values must lie in [0, {K}), got range [{labels.min()}, {labels.max()}]")
    if np.dtype(dtype).kind != "f":
        raise TypeError(f"dtype: expected a floating dtype, got {np.dtype(dtype)}")
    Y = np.zeros((labels.shape[0], int(K)), dtype=dtype)
    Y[np.arange(labels.shape[0]), labels] = 1
    return Y


def add_bias(X) -> np.ndarray:
    """Append a column of ones to X, shape (N, D) -> (N, D + 1), same dtype.

    The bias of the linear model is then the last row of W.
    """
    X = np.asarray(X)
    if X.ndim != 2:
        raise ValueError(f"X: expected a 2-D array of shape (N, D), got shape {X.shape}")
    if X.dtype.kind != "f":
        raise TypeError(f"X: expected a floating array, got dtype {X.dtype}")
    return np.concatenate([X, np.ones((X.shape[0], 1), dtype=X.dtype)], axis=1)

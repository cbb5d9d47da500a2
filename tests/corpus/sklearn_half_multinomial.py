"""scikit-learn's per-sample multinomial loss on the raw predictions, with the chain rule to W done by the adapter.

Source: scikit-learn (BSD-3-Clause), ``sklearn/_loss/loss.py``, class
``HalfMultinomialLoss`` (Cython kernels in ``_loss.pyx.tp``), ``loss``,
``gradient`` and ``predict_proba``; version as installed (checked with 1.9.1).
https://github.com/scikit-learn/scikit-learn. The code is imported, not copied.
Adapter: raw predictions ``Z = X @ W``; labels ``Y.argmax(1)`` as float
(targets="one-hot"); mean over samples; gradient with respect to W is
``X.T @ gradient(Z) / N`` (scikit-learn's LinearModelLoss does the same).
Classification (read and compared with the 50-digit reference): correct.
"""

import numpy as np
from sklearn._loss.loss import HalfMultinomialLoss

import impls

from ._adapter import labels

CLASSIFICATION = "correct"
DEFECT = ""
REFERENCE_FAILS = frozenset()
EXPECTED_FAILING = ()
REQUIRES = ("sklearn",)


class Impl:
    name = "corpus:sklearn_half_multinomial"
    capabilities = impls.Capabilities(targets="one-hot")

    def _parts(self, W, X, Y):
        return HalfMultinomialLoss(n_classes=W.shape[1]), labels(Y).astype(np.float64), np.ascontiguousarray(X @ W)

    def probs(self, W, X):
        return HalfMultinomialLoss(n_classes=W.shape[1]).predict_proba(np.ascontiguousarray(X @ W))

    def loss(self, W, X, Y):
        base, y, raw = self._parts(W, X, Y)
        return np.mean(base.loss(y_true=y, raw_prediction=raw))

    def grad(self, W, X, Y):
        base, y, raw = self._parts(W, X, Y)
        return X.T @ base.gradient(y_true=y, raw_prediction=raw) / X.shape[0]

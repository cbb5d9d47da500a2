"""scikit-learn's multinomial logistic loss as LogisticRegression minimises it.

Source: scikit-learn (BSD-3-Clause), ``sklearn/linear_model/_linear_loss.py``,
class ``LinearModelLoss`` with ``sklearn/_loss/loss.py`` ``HalfMultinomialLoss``;
version as installed (checked with 1.9.1). https://github.com/scikit-learn/scikit-learn
The code is imported, not copied.
Adapter: ``coef = W.T`` (scikit-learn stores (n_classes, n_features)), the
gradient transposed back, labels from ``Y.argmax(1)`` (``y`` is a label
vector, so targets="one-hot"), ``fit_intercept=False``, ``l2_reg_strength=0``.
Classification (read and compared with the 50-digit reference): correct. The
penalty is guarded by ``if l2_reg_strength > 0``, so reg = 0 adds nothing,
not 0 * ||W||^2. ``loss`` returns a Python float.
"""

import numpy as np
from sklearn._loss.loss import HalfMultinomialLoss
from sklearn.linear_model._linear_loss import LinearModelLoss

import impls

from ._adapter import labels

CLASSIFICATION = "correct"
DEFECT = ""
REFERENCE_FAILS = frozenset()
EXPECTED_FAILING = ()
REQUIRES = ("sklearn",)


class Impl:
    name = "corpus:sklearn_linear_model_loss"
    capabilities = impls.Capabilities(targets="one-hot")

    def _model(self, W):
        return LinearModelLoss(base_loss=HalfMultinomialLoss(n_classes=W.shape[1]), fit_intercept=False)

    def _y(self, Y):
        return labels(Y).astype(np.float64)

    def loss(self, W, X, Y):
        return self._model(W).loss(np.ascontiguousarray(W.T), X, self._y(Y), l2_reg_strength=0.0)

    def grad(self, W, X, Y):
        return self._model(W).gradient(np.ascontiguousarray(W.T), X, self._y(Y), l2_reg_strength=0.0).T

    def loss_grad(self, W, X, Y):
        loss, gradient = self._model(W).loss_gradient(np.ascontiguousarray(W.T), X, self._y(Y), l2_reg_strength=0.0)
        return loss, gradient.T

"""scikit-learn's MLP output layer: in-place softmax and the clipped log loss.

Source: scikit-learn (BSD-3-Clause), ``sklearn/neural_network/_base.py``:
``inplace_softmax`` (ACTIVATIONS["softmax"]) and ``log_loss``
(LOSS_FUNCTIONS["log_loss"]); version as installed (checked with 1.9.1).
https://github.com/scikit-learn/scikit-learn. The code is imported, not copied.
Adapter: ``Z = X @ W`` is the adapter's own array (the in-place softmax writes
into it, not into an argument); the loss is ``log_loss(Y, P)`` (soft targets
accepted: it is ``-sum xlogy(Y, P) / N``); the gradient is
``X.T @ (P - Y) / N``, the output-layer delta of ``MLPClassifier._backprop``
(``deltas = activations[-1] - y``, ``coef_grads = X.T @ deltas / n_samples``,
alpha = 0), re-stated here because ``_backprop`` needs a fitted network.
Classification (read and compared with the 50-digit reference): buggy.
``log_loss`` clips P to [eps, 1 - eps] (float64 eps = 2.2e-16): once a
target class has log-probability below log(eps) = -36.04 the loss is capped,
wrong by (margin - 36) at large logits.
"""

import numpy as np
from sklearn.neural_network._base import ACTIVATIONS, LOSS_FUNCTIONS

import impls

CLASSIFICATION = "buggy"
DEFECT = "log loss clipped at eps: loss capped at -log(eps) = 36 per sample at large logits"
REFERENCE_FAILS = frozenset({"loss"})
EXPECTED_FAILING = ("impl.extreme_logits", "impl.loss_value")
REQUIRES = ("sklearn",)


class Impl:
    name = "corpus:sklearn_mlp_log_loss"
    capabilities = impls.Capabilities()

    def probs(self, W, X):
        activations = X @ W
        ACTIVATIONS["softmax"](activations)
        return activations

    def loss(self, W, X, Y):
        return LOSS_FUNCTIONS["log_loss"](Y, self.probs(W, X))

    def grad(self, W, X, Y):
        return X.T @ (self.probs(W, X) - Y) / X.shape[0]

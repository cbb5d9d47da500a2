"""Correct ``loss`` and ``grad``, and a fused ``loss_grad`` that forgets the 1/N.

Source: the implementation of issue 13, point 3 ("correct loss and grad with
a loss_grad that forgets the 1/N: accepted"); the pattern is common where a
one-pass ``loss_and_grad`` is written separately from the two methods
(scikit-learn's ``LinearModelLoss.loss_gradient`` is such a one-pass method).
Re-created from that description (the issue names no repository; no public
code is committed in this repository); soft targets.
Classification (read and compared with the 50-digit reference): buggy.
``loss_grad`` returns the summed loss and its gradient, N times the mean's.
"""

import numpy as np

import impls

from ._adapter import MeanCrossEntropy, log_softmax_rows

CLASSIFICATION = "buggy"
DEFECT = "loss_grad returns the sum, not the mean: N times too large"
REFERENCE_FAILS = frozenset({"loss_grad"})
EXPECTED_FAILING = ("impl.loss_grad",)
REQUIRES = ()


class Impl(MeanCrossEntropy):
    name = "corpus:loss_grad_missing_one_over_n"
    capabilities = impls.Capabilities()

    def loss_grad(self, W, X, Y):
        log_probs = log_softmax_rows(W, X)
        return -np.sum(Y * log_probs), X.T @ (np.exp(log_probs) - Y)

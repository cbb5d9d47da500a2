"""A mean loss whose gradient is the gradient of the sum: dW without the 1/N.

Source: the defect reported in janchorowski/nn_assignments pull request #21
("Excersize softmax, gradient loss fix",
https://github.com/janchorowski/nn_assignments/pull/21: ``dLdTheta =
np.dot(X, dLdA.T)`` without ``/ num_samples`` failed the assignment's
gradient check) and victorlempitsky/Mate issue #2 (SoftmaxLossLayer's
derivative not normalised by the batch size). Numerics: a max-shifted mean
loss and ``dW = X.T @ (P - Y)`` (no ``/ N``); written here after those
reports (no public code is committed in this repository), soft targets.
Classification (read and compared with the 50-digit reference): buggy. The
gradient is N times too large (right only for N = 1).
"""

import numpy as np

import impls

from ._adapter import MeanCrossEntropy

CLASSIFICATION = "buggy"
DEFECT = "gradient of the summed loss: dW is N times too large"
REFERENCE_FAILS = frozenset({"grad"})
EXPECTED_FAILING = ("impl.gradient",)
REQUIRES = ()


class Impl(MeanCrossEntropy):
    name = "corpus:grad_missing_one_over_n"
    capabilities = impls.Capabilities()

    def grad(self, W, X, Y):
        dLdA = self.probs(W, X) - Y
        return np.dot(X.T, dLdA)

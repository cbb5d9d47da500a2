"""A course solution that pins the last class's weights by zeroing the caller's ``W[:, -1]`` on every call.

Source: the implementation of issue 13, point 4 ("an implementation that
zeroes the caller's W[:, -1] on every call (a real course solution does)"):
fixing one class's weight vector to zero removes softmax's shift redundancy,
but done as ``W[:, -1] = 0`` on the argument it changes the caller's array.
Re-created here from that description (the issue names no repository; no
public code is committed in this repository): ``W[:, -1] = 0``, then a
max-shifted mean loss and ``X.T @ (P - Y) / N`` with the last column of the
gradient zeroed; soft targets. It does not declare ``writes_arguments``:
writing into W is the bug.
Classification (read and compared with the 50-digit reference): buggy.
``W`` is changed, and loss and grad are those of another W whenever the
last column was not already zero.
"""

import numpy as np

import impls

from ._adapter import log_softmax_rows

CLASSIFICATION = "buggy"
DEFECT = "writes W[:, -1] = 0 into the caller's W; loss and grad of another W"
REFERENCE_FAILS = frozenset({"arguments", "loss", "grad"})
EXPECTED_FAILING = ("impl.inputs_unchanged", "impl.loss_value", "impl.gradient")
REQUIRES = ()


class Impl:
    name = "corpus:zeroes_last_column"
    capabilities = impls.Capabilities()

    def probs(self, W, X):
        W[:, -1] = 0
        return np.exp(log_softmax_rows(W, X))

    def loss(self, W, X, Y):
        W[:, -1] = 0
        return -np.sum(Y * log_softmax_rows(W, X)) / X.shape[0]

    def grad(self, W, X, Y):
        W[:, -1] = 0
        dW = X.T @ (np.exp(log_softmax_rows(W, X)) - Y) / X.shape[0]
        dW[:, -1] = 0
        return dW

"""A softmax loss layer that sums ``x[:, y]`` (an N x N block) where it means ``x[range(N), y]``.

Source: xs2445/CNN-PyCUDA-EECS4750-Project, ``utils/Lossfunctions.py``,
``softmax_loss(x, y)`` (loss and gradient with respect to the scores; the
index commit not recorded; licence not stated).
https://github.com/xs2445/CNN-PyCUDA-EECS4750-Project. Numerics kept:
``x = x - max(x, axis=1)``, ``loss -= np.sum(x[:, y])`` (the commented-out
line above it has the intended ``x[range(num_train), y]``),
``loss += sum(log(sum(exp(x), axis=1)))``, ``/ num_train``, and
``dx = (neg + pos) / num_train``. Written here after that code (no public
code is committed in this repository). Adapter: scores ``x = X @ W``, labels
from ``Y.argmax(1)`` (targets="one-hot"), ``grad = X.T @ dx`` (chain rule).
Classification (read and compared with the 50-digit reference): buggy. For
N >= 2 the loss subtracts sum_i sum_j x[i, y_j] instead of sum_i x[i, y_i];
N = 1 is right. The gradient is the right one (so it is not the derivative
of the returned loss).
"""

import numpy as np

import impls

from ._adapter import labels

CLASSIFICATION = "buggy"
DEFECT = "loss sums x[:, y] (N x N) instead of x[range(N), y]"
REFERENCE_FAILS = frozenset({"loss"})
EXPECTED_FAILING = ("impl.loss_value", "impl.gradient")
REQUIRES = ()


def softmax_loss(x, y):
    loss = 0.0
    num_train = x.shape[0]
    x = x - np.max(x, axis=1, keepdims=True)
    x_exp = np.exp(x)
    loss -= np.sum(x[:, y])
    loss += np.sum(np.log(np.sum(x_exp, axis=1)))
    loss /= num_train
    neg = np.zeros_like(x)
    neg[range(num_train), y] = -1
    pos = (x_exp.T / np.sum(x_exp, axis=1)).T
    dx = (neg + pos) / num_train
    return loss, dx


class Impl:
    name = "corpus:column_index_sum"
    capabilities = impls.Capabilities(targets="one-hot")

    def loss(self, W, X, Y):
        return softmax_loss(X @ W, labels(Y))[0]

    def grad(self, W, X, Y):
        return X.T @ softmax_loss(X @ W, labels(Y))[1]

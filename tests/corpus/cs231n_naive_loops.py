"""A CS231n ``softmax_loss_naive`` solution: one sample at a time, loss as -z_y + log(sum(exp(z - max))).

Source: CS231n assignment 1, ``cs231n/classifiers/softmax.py``,
``softmax_loss_naive(W, X, y, reg)``, as solved in a public solution (the
code index's copy, headed "@Author: LI Zhe", 2018-10-15, carries no
repository name): ``shift_scores = scores - max(scores)``,
``loss_i = -shift_scores[y[i]] + np.log(np.sum(np.exp(shift_scores)))``,
``dW[:, j] += (softmax_out - [j == y[i]]) * X[i]``, then ``/ num_train``;
the penalty ``0.5 * reg * np.sum(W * W)`` / ``reg * W`` of the CS231n case
study. Written here after that code (no public code is committed in this
repository); labels from ``Y.argmax(1)`` (targets="one-hot"); reg = 0.
Classification (read and compared with the 50-digit reference): correct, at
large logits too (the log is of a sum >= 1, never of an underflowed
probability). With reg = 0 the penalty is ``0 * np.sum(W * W)``: NaN only if
W * W overflows, |W| above 1.3e154, an input no user has (issue 13, point 1).
"""

import numpy as np

from ._adapter import CourseSolution

CLASSIFICATION = "correct"
DEFECT = ""
REFERENCE_FAILS = frozenset()
EXPECTED_FAILING = ()
REQUIRES = ()

reg = 0.0


def softmax_loss_naive(W, X, y, reg):
    dW = np.zeros_like(W)
    num_classes = W.shape[1]
    num_train = X.shape[0]
    loss = 0.0
    for i in range(num_train):
        scores = X[i].dot(W)
        shift_scores = scores - max(scores)
        loss_i = -shift_scores[y[i]] + np.log(np.sum(np.exp(shift_scores)))
        loss += loss_i
        for j in range(num_classes):
            softmax_out = np.exp(shift_scores[j]) / sum(np.exp(shift_scores))
            if j == y[i]:
                dW[:, j] += (-1 + softmax_out) * X[i]
            else:
                dW[:, j] += softmax_out * X[i]
    loss /= num_train
    dW /= num_train
    loss += 0.5 * reg * np.sum(W * W)
    dW += reg * W
    return loss, dW


class Impl(CourseSolution):
    name = "corpus:cs231n_naive_loops"
    solution = staticmethod(softmax_loss_naive)
    reg = reg  # the module's penalty strength, 0

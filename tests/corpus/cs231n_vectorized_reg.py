"""The usual CS231n ``softmax_loss_vectorized`` solution: max shift, -log(probs[y]), and the 0.5 * reg * sum(W*W) penalty.

Source: CS231n assignment 1, ``cs231n/classifiers/softmax.py``,
``softmax_loss_vectorized(W, X, y, reg)`` (course skeleton:
https://cs231n.github.io/assignments/); the max-shifted solution with the
case study's penalty is found in many public solution repositories (e.g. the
Q version ryantorsparks/neuralnet ``cs231nq/softmax.q``: ``regLoss: .5*reg*...``,
``dw: ... + reg*w``). Numerics kept: ``scores - np.max(scores, axis=1, keepdims=True)``,
``probs`` by division, mean of ``-log(probs[arange(N), y])``,
``+ 0.5 * reg * np.sum(W * W)``, ``dW = X.T @ dscores / N + reg * W``.
Written here after those sources (no public code is committed in this
repository); labels from ``Y.argmax(1)`` (targets="one-hot"); reg = 0.
Classification (read and compared with the 50-digit reference): buggy at
large logits. The max shift keeps exp finite, but the loss is the log of a
probability: once the target class's shifted score is below -745,
``probs[.., y]`` underflows to 0 and the loss is inf (at |z| = 1e3 with a
wrong prediction). Right at ordinary logits. With reg = 0 the penalty is
``0 * np.sum(W * W)``: NaN only if W * W overflows (issue 13, point 1).
"""

import numpy as np

from ._adapter import CourseSolution

CLASSIFICATION = "buggy"
DEFECT = "log of an underflowed probability: loss inf when the target's shifted logit is below -745"
REFERENCE_FAILS = frozenset({"loss", "loss_grad"})
EXPECTED_FAILING = ("impl.extreme_logits",)
REQUIRES = ()

reg = 0.0


def softmax_loss_vectorized(W, X, y, reg):
    num_train = X.shape[0]
    scores = X.dot(W)
    scores = scores - np.max(scores, axis=1, keepdims=True)
    exp_scores = np.exp(scores)
    probs = exp_scores / np.sum(exp_scores, axis=1, keepdims=True)
    loss = np.sum(-np.log(probs[np.arange(num_train), y])) / num_train
    loss += 0.5 * reg * np.sum(W * W)
    dscores = probs.copy()
    dscores[np.arange(num_train), y] -= 1
    dW = X.T.dot(dscores) / num_train + reg * W
    return loss, dW


class Impl(CourseSolution):
    name = "corpus:cs231n_vectorized_reg"
    solution = staticmethod(softmax_loss_vectorized)
    reg = reg  # the module's penalty strength, 0

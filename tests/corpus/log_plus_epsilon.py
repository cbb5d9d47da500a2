"""A CS231n ``softmax_loss_vectorized`` solution that adds 1e-14 inside the log "to avoid dividing by zero".

Source: a public CS231n assignment-1 solution, ``softmax.py``,
``softmax_loss_vectorized`` (the code index's copy carries no repository
name): max-shifted scores, ``dummy = 1e-14``,
``loss = -np.sum(np.log(probs[np.arange(num_train), y] + dummy)) / num_train``,
``d_scores[range, y] -= 1``, ``dW = X.T @ d_scores / num_train`` (+ reg terms).
Written here after that code (no public code is committed in this
repository); labels from ``Y.argmax(1)`` (targets="one-hot"); reg = 0.
Classification (read and compared with the 50-digit reference): buggy. The
per-sample loss is capped at -log(1e-14) = 32.2 (wrong by margin - 32 once the
correct class's probability is below 1e-14), and every term is biased by
about 1e-14 / p. The gradient is right.
"""

import numpy as np

from ._adapter import CourseSolution

CLASSIFICATION = "buggy"
DEFECT = "log(p + 1e-14): loss capped at 32.2 per sample at large logits"
REFERENCE_FAILS = frozenset({"loss", "loss_grad"})
EXPECTED_FAILING = ("impl.extreme_logits", "impl.loss_value")
REQUIRES = ()

reg = 0.0


def softmax_loss_vectorized(W, X, y, reg):
    scores = np.dot(X, W)
    adjusted_scores = scores - np.max(scores, axis=1, keepdims=True)
    probs = np.exp(adjusted_scores) / np.sum(np.exp(adjusted_scores), axis=1, keepdims=True)
    dummy = 1e-14
    num_train = X.shape[0]
    loss = -np.sum(np.log(probs[np.arange(num_train), y] + dummy)) / num_train
    loss += 0.5 * reg * np.sum(W * W)
    d_scores = probs.copy()
    d_scores[np.arange(num_train), y] -= 1
    dW = np.dot(X.T, d_scores) / num_train + reg * W
    return loss, dW


class Impl(CourseSolution):
    name = "corpus:log_plus_epsilon"
    solution = staticmethod(softmax_loss_vectorized)
    reg = reg  # the module's penalty strength, 0

"""The softmax classifier of the CS231n case study: exp of the raw scores, no max shift, 0.5 * reg * sum(W*W).

Source: Stanford CS231n course notes, "Putting it together: Minimal Neural
Network Case Study", section "Training a Softmax Linear Classifier"
(https://cs231n.github.io/neural-networks-case-study/; notes licensed MIT per
the cs231n.github.io repository), also in many course solutions
(e.g. nitinprakash96/RNN-language-model ``softmax.py``: the same unshifted exp).
Numerics kept: ``exp_scores = np.exp(scores)``, probabilities by division,
``-log`` of the correct-class probability, data loss / N,
``0.5 * reg * np.sum(W * W)``, ``dscores[range(N), y] -= 1``, ``dscores /= N``,
``dW = X.T @ dscores + reg * W``. Written here after the notes (not pasted:
no public code is committed in this repository); the bias ``b`` is left out
(the interface has none); labels from ``Y.argmax(1)`` (targets="one-hot"); reg = 0.
Classification (read and compared with the 50-digit reference): buggy.
``np.exp`` overflows for scores above 709.78: at logits of 1e3 the loss and
the gradient are NaN / inf. Correct at ordinary logits.
"""

import numpy as np

import impls

from ._adapter import labels

CLASSIFICATION = "buggy"
DEFECT = "no max shift: exp overflows for logits above 709, loss and grad NaN"
REFERENCE_FAILS = frozenset({"loss", "grad", "loss_grad"})
EXPECTED_FAILING = ("impl.extreme_logits",)
REQUIRES = ()

reg = 0.0


def _forward(W, X, y):
    num_examples = X.shape[0]
    scores = np.dot(X, W)
    exp_scores = np.exp(scores)
    probs = exp_scores / np.sum(exp_scores, axis=1, keepdims=True)
    correct_logprobs = -np.log(probs[range(num_examples), y])
    data_loss = np.sum(correct_logprobs) / num_examples
    reg_loss = 0.5 * reg * np.sum(W * W)
    loss = data_loss + reg_loss
    dscores = probs
    dscores[range(num_examples), y] -= 1
    dscores /= num_examples
    dW = np.dot(X.T, dscores)
    dW += reg * W
    return loss, dW


class Impl:
    name = "corpus:naive_exp_no_shift"
    capabilities = impls.Capabilities(targets="one-hot")

    def loss(self, W, X, Y):
        return _forward(W, X, labels(Y))[0]

    def grad(self, W, X, Y):
        return _forward(W, X, labels(Y))[1]

    def loss_grad(self, W, X, Y):
        return _forward(W, X, labels(Y))

"""Cross-entropy from SciPy's log_softmax and softmax, as in SciPy-based course and blog code.

Source: SciPy (BSD-3-Clause), ``scipy/special/_logsumexp.py``: ``log_softmax``
and ``softmax``; version as installed (checked with 1.17.1).
https://github.com/scipy/scipy. The code is imported, not copied.
Adapter: the loss is ``-sum(Y * log_softmax(X @ W, axis=1)) / N``, the gradient
``X.T @ (softmax(X @ W, axis=1) - Y) / N``; soft targets.
Classification (read and compared with the 50-digit reference): correct.
"""

from scipy.special import log_softmax, softmax

import impls

CLASSIFICATION = "correct"
DEFECT = ""
REFERENCE_FAILS = frozenset()
EXPECTED_FAILING = ()
REQUIRES = ("scipy",)


class Impl:
    name = "corpus:scipy_log_softmax"
    capabilities = impls.Capabilities()

    def probs(self, W, X):
        return softmax(X @ W, axis=1)

    def loss(self, W, X, Y):
        return -(Y * log_softmax(X @ W, axis=1)).sum() / X.shape[0]

    def grad(self, W, X, Y):
        return X.T @ (self.probs(W, X) - Y) / X.shape[0]

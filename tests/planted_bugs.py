"""Implementations with one planted bug each: the implementation-level claims must reject every one.

Each class changes exactly one thing in ``CorrectSoftmaxCE`` (a compact,
correct NumPy implementation written independently of ``impls``), so that
a claim that rejects it is rejecting that bug and nothing else.

The classes at the end plant a bug in the numpy implementation itself
(``impls.get("numpy")``), for the checks of tightness
(``tests/test_tightness.py``): an error near a tolerance, or sample weights
ignored by one method only.
"""

import numpy as np

import impls


def _log_softmax(Z):
    shifted = Z - Z.max(axis=1, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))


class CorrectSoftmaxCE:
    name = "planted:correct"
    capabilities = impls.Capabilities(hessian=True, hvp=True, max_size=200, max_hessian_size=200)

    def targets(self, Y):
        return Y

    def probs(self, W, X):
        return np.exp(_log_softmax(X @ W))

    def loss(self, W, X, Y):
        return -np.sum(self.targets(Y) * _log_softmax(X @ W)) / X.shape[0]

    def grad(self, W, X, Y):
        return X.T @ (self.probs(W, X) - self.targets(Y)) / X.shape[0]

    def block(self, p):
        return np.diag(p) - np.outer(p, p)

    def hessian(self, W, X, Y):
        P = self.probs(W, X)
        return sum(np.kron(np.outer(x, x), self.block(p)) for x, p in zip(X, P)) / X.shape[0]

    def hvp(self, W, X, Y, V):
        return (self.hessian(W, X, Y) @ V.ravel()).reshape(V.shape)


class SignError(CorrectSoftmaxCE):
    """grad = X^T (Y - P) / N."""

    def grad(self, W, X, Y):
        return -super().grad(W, X, Y)


class MissingOneOverN(CorrectSoftmaxCE):
    """The gradient of the sum while the loss is the mean."""

    def grad(self, W, X, Y):
        return super().grad(W, X, Y) * X.shape[0]


class TransposedGradient(CorrectSoftmaxCE):
    """(P - Y)^T X, reshaped to W's shape: right numbers, wrong places."""

    def grad(self, W, X, Y):
        return ((self.probs(W, X) - Y).T @ X / X.shape[0]).reshape(W.shape)


class HessianWithoutOuterTerm(CorrectSoftmaxCE):
    """diag(p) instead of diag(p) - p p^T."""

    def block(self, p):
        return np.diag(p)


class WrongFlattening(CorrectSoftmaxCE):
    """kron(S, x x^T): the Hessian of W.ravel(order='F'), not of the C-order flattening."""

    def hessian(self, W, X, Y):
        P = self.probs(W, X)
        return sum(np.kron(self.block(p), np.outer(x, x)) for x, p in zip(X, P)) / X.shape[0]


class NoMaxShift(CorrectSoftmaxCE):
    """log-softmax as z - log(sum(exp(z))) without subtracting the max: overflows at large logits."""

    def probs(self, W, X):
        E = np.exp(X @ W)
        return E / E.sum(axis=1, keepdims=True)

    def loss(self, W, X, Y):
        Z = X @ W
        return -np.sum(Y * (Z - np.log(np.exp(Z).sum(axis=1, keepdims=True)))) / X.shape[0]


class EpsilonClippedLog(CorrectSoftmaxCE):
    """-sum y log(max(p, 1e-12)): the clipping caps the loss at 27.6 per sample."""

    def loss(self, W, X, Y):
        return -np.sum(Y * np.log(np.maximum(self.probs(W, X), 1e-12))) / X.shape[0]


class HardLabels(CorrectSoftmaxCE):
    """Soft targets collapsed to one-hot at their argmax."""

    def targets(self, Y):
        return impls.one_hot(np.argmax(Y, axis=1), Y.shape[1])


class SumInsteadOfMean(CorrectSoftmaxCE):
    """Loss and gradient of the sum over samples, consistent with each other but not the convention."""

    def loss(self, W, X, Y):
        return super().loss(W, X, Y) * X.shape[0]

    def grad(self, W, X, Y):
        return super().grad(W, X, Y) * X.shape[0]


class SoftmaxOverSamples(CorrectSoftmaxCE):
    """probs normalised over the wrong axis."""

    def probs(self, W, X):
        Z = X @ W
        E = np.exp(Z - Z.max(axis=0, keepdims=True))
        return E / E.sum(axis=0, keepdims=True)

    def grad(self, W, X, Y):
        return X.T @ (CorrectSoftmaxCE.probs(self, W, X) - Y) / X.shape[0]


class Float32Always(CorrectSoftmaxCE):
    """Claims float32 support but computes everything in float64."""

    capabilities = impls.Capabilities(
        dtypes=(np.dtype(np.float32), np.dtype(np.float64)), hessian=True, hvp=True, max_size=200, max_hessian_size=200
    )

    def loss(self, W, X, Y):
        return np.float64(super().loss(W.astype(np.float64), X.astype(np.float64), Y.astype(np.float64)))

    def grad(self, W, X, Y):
        return super().grad(W.astype(np.float64), X.astype(np.float64), Y.astype(np.float64))


# --------------------------------------------------------------------------
# Bugs planted in the numpy implementation (tests/test_tightness.py)
# --------------------------------------------------------------------------

NumpySoftmaxCE = type(impls.get("numpy"))


class RelativeGradientError(NumpySoftmaxCE):
    """grad * (1 + relative_error): a gradient wrong by a set number of parts, everything else the numpy one."""

    def __init__(self, relative_error: float):
        super().__init__()
        self.relative_error = float(relative_error)
        self.name = f"planted:grad*(1+{self.relative_error:g})"

    def grad(self, W, X, Y, sample_weight=None):
        return super().grad(W, X, Y, sample_weight=sample_weight) * (1 + self.relative_error)


class WeightedHessianIgnoresWeights(NumpySoftmaxCE):
    """hessian(..., sample_weight=s) returns the unweighted mean Hessian; loss, grad and hvp are weighted."""

    name = "planted:hessian-ignores-sample-weight"

    def hessian(self, W, X, Y, sample_weight=None):
        return super().hessian(W, X, Y)


class WeightedHvpIgnoresWeights(NumpySoftmaxCE):
    """hvp(..., sample_weight=s) returns the unweighted product; loss, grad and hessian are weighted."""

    name = "planted:hvp-ignores-sample-weight"

    def hvp(self, W, X, Y, V, sample_weight=None):
        return super().hvp(W, X, Y, V)

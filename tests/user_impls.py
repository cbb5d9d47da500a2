"""Stand-ins for a user's own implementations, loaded by path in the tests."""

import numpy as np
from scipy.special import logsumexp, softmax


class MinimalSoftmaxCE:
    """Only the two required methods, no name, no capabilities: what a user might write first."""

    def loss(self, W, X, Y):
        Z = X @ W
        return float(np.mean(logsumexp(Z, axis=1) - np.sum(Y * Z, axis=1)))

    def grad(self, W, X, Y):
        return X.T @ (softmax(X @ W, axis=1) - Y) / X.shape[0]


minimal_instance = MinimalSoftmaxCE()


class NoGrad:
    def loss(self, W, X, Y):
        return 0.0


class NeedsArguments:
    def __init__(self, temperature):
        self.temperature = temperature

    def loss(self, W, X, Y):
        return 0.0

    def grad(self, W, X, Y):
        return np.zeros_like(W)


class BadCapabilities(MinimalSoftmaxCE):
    capabilities = {"dtypes": ["float64"]}

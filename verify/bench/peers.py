"""The peers a user would pick instead of lossproof: loss and gradient of softmax regression.

Each peer computes the same quantity as ``loss_grad(W, X, Y)`` for one-hot
targets (mean cross-entropy of ``Z = X W`` and its gradient with respect to
``W``) the way that library's users would write it, from integer labels,
which is what those libraries are fastest with:

* ``torch``: ``torch.nn.functional.cross_entropy(X @ W, labels)`` and
  ``backward()`` on the CPU.
* ``jax``: ``jax.jit(jax.value_and_grad(loss))`` with
  ``jax.nn.log_softmax``, on the CPU (float64 needs ``jax_enable_x64``,
  which importing this peer switches on).
* ``sklearn``: ``LinearModelLoss(HalfMultinomialLoss(K), fit_intercept=False)
  .loss_gradient``, the objective ``LogisticRegression`` minimises, with as
  many OpenMP threads as ``LogisticRegression`` would use.

A peer that is not installed says so (``available()``); the core never
imports any of them. Install them with the ``peers`` extra.
"""

from __future__ import annotations

import importlib.util
from importlib import metadata

import numpy as np


class Peer:
    """One peer library. ``prepare(X, W, labels)`` returns a zero-argument callable computing loss and gradient."""

    name = ""
    module = ""
    distribution = ""

    def available(self) -> bool:
        return importlib.util.find_spec(self.module) is not None

    def version(self) -> str | None:
        try:
            return metadata.version(self.distribution)
        except metadata.PackageNotFoundError:
            return None

    def prepare(self, X, W, labels):  # pragma: no cover - overridden
        raise NotImplementedError


class TorchPeer(Peer):
    name, module, distribution = "torch", "torch", "torch"

    def prepare(self, X, W, labels):
        import torch
        import torch.nn.functional as F

        X_t = torch.from_numpy(X)
        labels_t = torch.from_numpy(np.asarray(labels, dtype=np.int64))
        W_t = torch.from_numpy(W.copy()).requires_grad_()

        def loss_grad():
            W_t.grad = None
            loss = F.cross_entropy(X_t @ W_t, labels_t)
            loss.backward()
            return loss.item(), W_t.grad.numpy()

        return loss_grad


class JaxPeer(Peer):
    name, module, distribution = "jax", "jax", "jax"

    def prepare(self, X, W, labels):
        import jax

        jax.config.update("jax_enable_x64", True)
        import jax.numpy as jnp

        def loss(W, X, labels):
            log_p = jax.nn.log_softmax(X @ W, axis=1)
            return -jnp.mean(jnp.take_along_axis(log_p, labels[:, None], axis=1))

        value_and_grad = jax.jit(jax.value_and_grad(loss))
        cpu = jax.devices("cpu")[0]
        X_j, W_j = jax.device_put(X, cpu), jax.device_put(W, cpu)
        labels_j = jax.device_put(np.asarray(labels, dtype=np.int32), cpu)

        def loss_grad():
            value, grad = value_and_grad(W_j, X_j, labels_j)
            grad.block_until_ready()
            return value, grad

        loss_grad()  # compile outside the timings
        return loss_grad


class SklearnPeer(Peer):
    name, module, distribution = "sklearn", "sklearn", "scikit-learn"

    def prepare(self, X, W, labels):
        from sklearn._loss.loss import HalfMultinomialLoss
        from sklearn.linear_model._linear_loss import LinearModelLoss
        from sklearn.utils._openmp_helpers import _openmp_effective_n_threads

        K = W.shape[1]
        model = LinearModelLoss(base_loss=HalfMultinomialLoss(n_classes=K), fit_intercept=False)
        coef = np.ascontiguousarray(W.T)  # sklearn's layout: (n_classes, n_features)
        y = np.asarray(labels, dtype=X.dtype)
        n_threads = _openmp_effective_n_threads()

        def loss_grad():
            return model.loss_gradient(coef, X, y, n_threads=n_threads)

        return loss_grad


PEERS: dict[str, Peer] = {p.name: p for p in (TorchPeer(), JaxPeer(), SklearnPeer())}

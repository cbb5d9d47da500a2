"""optax's cross-entropy with integer labels on the logits, differentiated by jax.grad, jit-compiled, in float32.

Source: optax (Apache-2.0), ``optax/losses/_classification.py``:
``softmax_cross_entropy_with_integer_labels`` (``logsumexp(logits) -
take_along_axis(logits, labels)``: the normalizer is subtracted from the
label's logit only, not from every log-probability as in
``softmax_cross_entropy``); version as installed (checked with optax 0.2.8,
jax 0.10.2). https://github.com/google-deepmind/optax. The code is imported,
not copied.
Adapter: the loss is ``mean(softmax_cross_entropy_with_integer_labels(X @ W,
labels))`` with ``labels = Y.argmax(1)`` as int32 (targets="one-hot"), the
gradient ``jax.grad`` of it, each ``jax.jit``-compiled; results as NumPy
arrays. JAX's default float32 (64-bit mode not enabled; inputs cast to float32
explicitly, as in ``jax_log_softmax``), three declared ``shapes`` so the
compilations are reused.
Classification (read and compared with the 50-digit reference in float32,
``reference.py``): correct.
Measured: the implementation-claim run (quick, derandomized) took 2.4 s to
5.0 s, 9 compilations (3 per jitted function).
"""

import numpy as np

import impls

from ._adapter import labels
from .jax_log_softmax import SHAPES

CLASSIFICATION = "correct"
DEFECT = ""
REFERENCE_FAILS = frozenset()
EXPECTED_FAILING = ()
REQUIRES = ("jax", "optax")


def _compiled():
    """The jit-compiled probs, loss and grad, built once on first use (importing jax and optax is slow)."""
    import jax
    import jax.numpy as jnp
    import optax

    def loss(W, X, y):
        return jnp.mean(optax.softmax_cross_entropy_with_integer_labels(X @ W, y))

    return (jax.jit(lambda W, X: jax.nn.softmax(X @ W, axis=1)), jax.jit(loss), jax.jit(jax.grad(loss)))


class Impl:
    name = "corpus:optax_softmax_cross_entropy"
    capabilities = impls.Capabilities(dtypes=(np.dtype(np.float32),), shapes=SHAPES, targets="one-hot")
    _functions = None

    @classmethod
    def _jitted(cls):
        if cls._functions is None:
            cls._functions = _compiled()
        return cls._functions

    @staticmethod
    def _arguments(W, X, Y):
        return np.asarray(W, dtype=np.float32), np.asarray(X, dtype=np.float32), labels(Y).astype(np.int32)

    def probs(self, W, X):
        return np.asarray(self._jitted()[0](np.asarray(W, dtype=np.float32), np.asarray(X, dtype=np.float32)))

    def loss(self, W, X, Y):
        return np.asarray(self._jitted()[1](*self._arguments(W, X, Y)))

    def grad(self, W, X, Y):
        return np.asarray(self._jitted()[2](*self._arguments(W, X, Y)))

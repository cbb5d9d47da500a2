"""Plug-ins that misbehave the way foreign code does: hang, raise, crash their process, write into their arguments,
or return what the interface does not document (NaN, lists, a wrong shape, another dtype).

Each changes one method of ``tests.planted_bugs.CorrectSoftmaxCE`` (a compact, correct implementation), so that
the claims calling that method get the finding and every other claim keeps its normal verdict. Loaded by import path
(``tests.hostile_impls:SleepingLoss``) as a user's plug-in is, so that they run in the supervised workers.
"""

import ctypes
import os
import signal
import time

import numpy as np

from tests.planted_bugs import CorrectSoftmaxCE

# Longer than any call timeout the tests give (--call-timeout 1), far shorter than a test run: if the time limit
# did not work, the test would wait this long and then fail on the verdict, not hang.
SLEEP_S = 120


class SleepingLoss(CorrectSoftmaxCE):
    """loss sleeps (a hang in Python code); everything else is right."""

    name = "hostile:sleeping-loss"

    def loss(self, W, X, Y):
        time.sleep(SLEEP_S)
        return super().loss(W, X, Y)


class SpinningLoss(CorrectSoftmaxCE):
    """loss never returns and never reaches Python's signal handlers between bytecodes for long (a busy loop)."""

    name = "hostile:spinning-loss"

    def loss(self, W, X, Y):
        deadline = time.monotonic() + SLEEP_S
        while time.monotonic() < deadline:
            pass
        return super().loss(W, X, Y)


class RaisingGrad(CorrectSoftmaxCE):
    """grad raises TypeError, as code written for another argument type does."""

    name = "hostile:raising-grad"

    def grad(self, W, X, Y):
        raise TypeError("unsupported operand type(s) for @: 'Tensor' and 'ndarray'")


class SegfaultingHessian(CorrectSoftmaxCE):
    """hessian sends its own process SIGSEGV, as a crashing extension module does."""

    name = "hostile:segfaulting-hessian"

    def hessian(self, W, X, Y):
        os.kill(os.getpid(), signal.SIGSEGV)
        return super().hessian(W, X, Y)


class NullPointerHessian(CorrectSoftmaxCE):
    """hessian reads address 0 (a real segmentation fault, in C code)."""

    name = "hostile:null-pointer-hessian"

    def hessian(self, W, X, Y):
        ctypes.string_at(0)
        return super().hessian(W, X, Y)


class WritesIntoX(CorrectSoftmaxCE):
    """grad computes the right value, then zeroes the caller's X."""

    name = "hostile:writes-into-x"

    def grad(self, W, X, Y):
        G = super().grad(W, X, Y)
        X[...] = 0
        return G


class ReturnsNaN(CorrectSoftmaxCE):
    """Every method returns NaN of the right shape and dtype (all-NaN passed impl.monotone_descent and
    impl.dtype_kept before results were checked: max(0.0, nan) is 0)."""

    name = "hostile:returns-nan"

    def probs(self, W, X):
        return np.full_like(super().probs(W, X), np.nan)

    def loss(self, W, X, Y):
        return W.dtype.type(np.nan)

    def grad(self, W, X, Y):
        return np.full_like(W, np.nan)

    def hessian(self, W, X, Y):
        return np.full_like(super().hessian(W, X, Y), np.nan)

    def hvp(self, W, X, Y, V):
        return np.full_like(V, np.nan)


class ReturnsLists(CorrectSoftmaxCE):
    """Every array comes back as a Python list of the right numbers (passed impl.gradient and impl.dtype_kept before)."""

    name = "hostile:returns-lists"

    def probs(self, W, X):
        return super().probs(W, X).tolist()

    def grad(self, W, X, Y):
        return super().grad(W, X, Y).tolist()

    def hessian(self, W, X, Y):
        return super().hessian(W, X, Y).tolist()

    def hvp(self, W, X, Y, V):
        return super().hvp(W, X, Y, V).tolist()


class WrongShapeGrad(CorrectSoftmaxCE):
    """grad returns the right numbers flattened, shape (D*K,) instead of (D, K)."""

    name = "hostile:wrong-shape-grad"

    def grad(self, W, X, Y):
        return super().grad(W, X, Y).ravel()


class Float32Probs(CorrectSoftmaxCE):
    """probs returns float32 for float64 input (the right values, rounded)."""

    name = "hostile:float32-probs"

    def probs(self, W, X):
        return super().probs(W, X).astype(np.float32)


def call_watched(spec: str, method: str, N: int = 2, D: int = 2, K: int = 3):
    """Call ``method`` of the plug-in at ``spec`` through the harness's watch (in a supervised worker, for the tests of
    verify/harness/workers.py): what a claim's call does, without the claim."""
    import impls
    from verify.harness.foreign import Watched

    rng = np.random.default_rng(0)
    W, X = rng.standard_normal((D, K)), rng.standard_normal((N, D))
    Y = np.eye(K)[rng.integers(0, K, N)]
    return getattr(Watched(impls.load(spec)), method)(W, X, Y)

"""Softmax cross-entropy derived by SymPy: the exact oracle for small sizes.

For a shape (N, D, K) the loss is built symbolically,

.. math:: L = \\frac{1}{\\sum_n s_n} \\sum_n s_n \\Big[c_n
          + \\log \\sum_k e^{z_{nk} - c_n} - \\sum_k y_{nk} z_{nk}\\Big],
          \\qquad z_{nk} = \\sum_d x_{nd} w_{dk},

and SymPy differentiates it once for the gradient and again for the Hessian.
The per-sample shift ``c_n`` is a free symbol: the expression equals the
cross-entropy for *every* value of ``c_n`` (the log-sum-exp identity), and the
derivatives in ``w`` do not depend on it.

* Exact inputs (object arrays of ints, Fractions, SymPy numbers or symbols)
  are substituted with ``c_n = 0``, i.e. into the textbook expression, and
  give exact SymPy results.
* Float inputs are evaluated through ``lambdify`` with ``c_n = max_k z_nk``,
  which is the stable log-sum-exp; the loss itself in mpmath's interval
  arithmetic at ``MP_DIGITS`` digits or more, until it is pinned to one
  float64 (``impls._enclosure``; a float ``log`` of ``1 + tiny`` would keep
  nothing of a loss of 1e-9).

Compiled functions and expressions are cached per (N, D, K, weighted).
"""

from __future__ import annotations

from functools import cached_property

import mpmath
import numpy as np
import sympy

from .._arrays import FLOAT64, all_finite, check_size
from .._enclosure import lambdify_interval, point, rounded_value
from ._protocol import Capabilities
from .validation import check_result_finite, overflow_error, quiet_overflow, validate

# Digits of the interval evaluations for float inputs (the loss; a result whose float evaluation overflowed):
# beyond float64's 16, so that terms of size |z| cancel before the one rounding to float64; more while
# the enclosure of the result is not yet pinned to one float64.
MP_DIGITS = (40, 80, 160, 320, 640)

_RESULT_NAMES = {
    "probs": "a probability",
    "loss": "the loss",
    "grad": "the gradient",
    "hessian": "the Hessian",
    "hvp": "the Hessian-vector product",
}


def _refuse_beyond_declared_size(capabilities, pb, hessian: bool) -> None:
    """The declared ``max_size`` (``max_hessian_size`` for the Hessian and hvp) as an error up front."""
    limit = capabilities.max_hessian_size if hessian else capabilities.max_size
    check_size(pb.N * pb.D * pb.K, limit, "N*D*K", "X, W", 'impls.get("numpy")')


class SymbolicSoftmaxCE:
    """The symbolic model of one shape: expressions, derivatives, compiled functions."""

    def __init__(self, N: int, D: int, K: int, weighted: bool):
        self.N, self.D, self.K, self.weighted = N, D, K, weighted
        self.W = sympy.Matrix(D, K, lambda d, k: sympy.Dummy(f"w_{d}_{k}"))
        self.X = sympy.Matrix(N, D, lambda n, d: sympy.Dummy(f"x_{n}_{d}"))
        self.Y = sympy.Matrix(N, K, lambda n, k: sympy.Dummy(f"y_{n}_{k}"))
        self.V = sympy.Matrix(D, K, lambda d, k: sympy.Dummy(f"v_{d}_{k}"))
        self.s = [sympy.Dummy(f"s_{n}") if weighted else sympy.Integer(1) for n in range(N)]
        self.c = [sympy.Dummy(f"c_{n}") for n in range(N)]
        self.Z = self.X * self.W
        total_weight = sympy.Add(*self.s)
        per_sample = [
            self.c[n]
            + sympy.log(sympy.Add(*[sympy.exp(self.Z[n, k] - self.c[n]) for k in range(K)]))
            - sympy.Add(*[self.Y[n, k] * self.Z[n, k] for k in range(K)])
            for n in range(N)
        ]
        self.loss = sympy.Add(*[self.s[n] * per_sample[n] for n in range(N)]) / total_weight
        self.probs = sympy.Matrix(
            N,
            K,
            lambda n, k: sympy.exp(self.Z[n, k] - self.c[n])
            / sympy.Add(*[sympy.exp(self.Z[n, j] - self.c[n]) for j in range(K)]),
        )
        self.w_flat = list(self.W)  # row-major: index d*K + k

    @cached_property
    def grad(self) -> sympy.Matrix:
        return sympy.Matrix(self.D, self.K, lambda d, k: sympy.diff(self.loss, self.W[d, k]))

    @cached_property
    def hessian(self) -> sympy.Matrix:
        g = list(self.grad)
        return sympy.Matrix(len(g), len(g), lambda i, j: sympy.diff(g[i], self.w_flat[j]))

    @cached_property
    def hvp(self) -> sympy.Matrix:
        v = sympy.Matrix(list(self.V))
        return (self.hessian * v).reshape(self.D, self.K)

    def _args(self, with_V=False):
        args = list(self.W) + list(self.X) + list(self.Y)
        if with_V:
            args += list(self.V)
        if self.weighted:
            args += self.s
        return args + self.c

    def compiled(self, what: str, module: str = "numpy"):
        """``what`` as a function of the symbols' values, compiled for NumPy floats or mpmath intervals."""
        cache = self.__dict__.setdefault("_compiled", {})
        if (what, module) not in cache:
            expr = getattr(self, what)
            args = self._args(with_V=(what == "hvp"))
            if what == "probs":
                args = list(self.W) + list(self.X) + self.c
            out = expr.tolist() if isinstance(expr, sympy.MatrixBase) else expr
            if module == "interval":
                cache[what, module] = lambdify_interval(args, out, cse=True)
            else:
                cache[what, module] = sympy.lambdify(args, out, modules=module, cse=True)
        return cache[what, module]


class SympySoftmaxCE:
    """SymPy-derived implementation (exact for exact inputs, lambdified for floats)."""

    name = "sympy"
    capabilities = Capabilities(
        dtypes=FLOAT64,
        sample_weight=True,
        hessian=True,
        hvp=True,
        exact=True,
        max_size=24,
        max_hessian_size=12,
        notes=("builds and differentiates the loss symbolically per shape; the first call per shape is slow",),
    )

    def __init__(self):
        self._models: dict[tuple, SymbolicSoftmaxCE] = {}

    def model(self, N: int, D: int, K: int, weighted: bool = False) -> SymbolicSoftmaxCE:
        """The cached symbolic model for shape (N, D, K)."""
        key = (N, D, K, weighted)
        if key not in self._models:
            self._models[key] = SymbolicSoftmaxCE(N, D, K, weighted)
        return self._models[key]

    def _validate(self, W, X, Y=None, V=None, sample_weight=None, need_Y=True, need_V=False, hessian=False):
        pb = validate(W, X, Y, V, sample_weight, dtypes=FLOAT64, need_Y=need_Y, need_V=need_V, allow_exact=True)
        _refuse_beyond_declared_size(self.capabilities, pb, hessian)
        return pb

    @staticmethod
    def _shifts(pb):
        """Per-sample max logit (float inputs) or 0 (exact inputs)."""
        if pb.exact:
            return [sympy.Integer(0)] * pb.N
        with np.errstate(**quiet_overflow):  # an overflow shows in the result, checked in _evaluate
            return list(np.max(pb.X @ pb.W, axis=1))

    @staticmethod
    def _saturated(pb) -> bool:
        """Whether some sample's largest probability is within 1/16 of 1 (float inputs).

        The Hessian SymPy derives holds ``p_k - p_k^2`` and ``u_k - sum_l p_l u_l``, which a float evaluation
        computes with an error of ``eps / (1 - p_k)`` relative to the result (at z = (0, 40) the diagonal
        entry comes out 0 beside an off-diagonal 4e-18: not symmetric, not PSD); beyond 4 bits of that loss
        the Hessian and the Hessian-vector product are evaluated in interval arithmetic instead.
        """
        with np.errstate(**quiet_overflow):
            Z = pb.X @ pb.W
            rest = np.sum(np.exp(Z - np.max(Z, axis=1, keepdims=True)), axis=1) - 1  # sum_{j != max} e^(z_j - max)
        return not bool(np.all(rest >= 1 / 16))  # NaN (an overflowed logit) counts as saturated

    def _evaluate(self, what, pb):
        m = self.model(pb.N, pb.D, pb.K, pb.sample_weight is not None)
        c = self._shifts(pb)
        if what == "probs":
            values = list(pb.W.flat) + list(pb.X.flat) + c
            symbols = list(m.W) + list(m.X) + m.c
        else:
            values = list(pb.W.flat) + list(pb.X.flat) + list(pb.Y.flat)
            symbols = list(m.W) + list(m.X) + list(m.Y)
            if what == "hvp":
                values += list(pb.V.flat)
                symbols += list(m.V)
            if pb.sample_weight is not None:
                values += list(pb.sample_weight.flat)
                symbols += m.s
            values += c
            symbols += m.c
        if pb.exact:
            mapping = {sym: sympy.sympify(val) for sym, val in zip(symbols, values)}
            expr = getattr(m, what)
            if isinstance(expr, sympy.MatrixBase):
                return np.array(expr.xreplace(mapping).tolist(), dtype=object)
            return expr.xreplace(mapping)
        arguments = "X, W, V" if what == "hvp" else "X, W"
        if what == "loss":
            # The loss c + log(sum_k exp(z_k - c)) - y.z in floats keeps only |z| eps of absolute accuracy, nothing
            # of a loss of 1e-9 or less (the numpy implementation's log1p does): evaluated in mpmath, rounded once.
            return check_result_finite(self._in_mpmath(m, what, values), np.float64, _RESULT_NAMES[what], arguments)
        if what in ("hessian", "hvp") and self._saturated(pb):
            return check_result_finite(self._in_mpmath(m, what, values), np.float64, _RESULT_NAMES[what], arguments)
        try:
            with np.errstate(**quiet_overflow):
                result = np.array(m.compiled(what)(*[float(v) for v in values]), dtype=np.float64)
        except OverflowError:  # Python's float power, in the compiled code
            result = np.array(np.nan)
        if not all_finite(result):
            # An intermediate overflowed (x_nd x_ne = 1e600 times p (1 - p) = 0): mpmath has no overflow, and
            # rounds the exact result once; what is still not finite then is beyond float64.
            result = self._in_mpmath(m, what, values)
        return check_result_finite(result, np.float64, _RESULT_NAMES[what], arguments)

    @staticmethod
    def _in_mpmath(model, what, values):
        """``what`` correctly rounded to float64: evaluated in mpmath's interval arithmetic (``impls._enclosure``)
        at ``MP_DIGITS`` digits, more until every entry is pinned to one float64 (cancellation: ``p - p^2`` for
        ``p = 1 - 1e-300`` needs hundreds of digits, ``c - y.z`` at logits of 1e100 more than 40).

        The shifts c_n (the last N values) are the largest logits, computed in mpmath (a float maximum may have
        overflowed) and then taken as exact points: the expression equals the loss for every value of c_n, so
        they need not be exact, and the largest term of each sum of exponentials is then about 1. Raises
        ``ArithmeticError`` naming X and W if the result is not pinned even at the last precision.
        """
        N, D, K = model.N, model.D, model.K
        given = values[:-N]
        with mpmath.workdps(MP_DIGITS[0]):
            W, X = [mpmath.mpf(float(v)) for v in given[: D * K]], [mpmath.mpf(float(v)) for v in given[D * K : D * K + N * D]]
            shifts = [max(mpmath.fsum(X[n * D + d] * W[d * K + k] for d in range(D)) for k in range(K)) for n in range(N)]
        inputs = lambda: [point(float(v)) for v in given] + [point(c) for c in shifts]  # noqa: E731
        fn = model.compiled(what, "interval")
        result = rounded_value(lambda: fn(*inputs()), MP_DIGITS, f"X, W: {_RESULT_NAMES[what]}")
        return np.asarray(result, dtype=np.float64)[()]

    def probs(self, W, X):
        return self._evaluate("probs", self._validate(W, X, need_Y=False))

    def loss(self, W, X, Y, sample_weight=None):
        return self._evaluate("loss", self._validate(W, X, Y, sample_weight=sample_weight))

    def grad(self, W, X, Y, sample_weight=None):
        return self._evaluate("grad", self._validate(W, X, Y, sample_weight=sample_weight))

    def loss_grad(self, W, X, Y, sample_weight=None):
        pb = self._validate(W, X, Y, sample_weight=sample_weight)
        return self._evaluate("loss", pb), self._evaluate("grad", pb)

    def hessian(self, W, X, Y, sample_weight=None):
        return self._evaluate("hessian", self._validate(W, X, Y, sample_weight=sample_weight, hessian=True))

    def hvp(self, W, X, Y, V, sample_weight=None):
        return self._evaluate("hvp", self._validate(W, X, Y, V, sample_weight=sample_weight, need_V=True, hessian=True))

"""The depth-2 objective derived by SymPy: the exact oracle for tiny sizes.

For a shape (d, p), an activation and a choice of trained or fixed outer
layer, the loss of one sample and the regularizer are built symbolically,

.. math:: \\ell(\\theta; x, y) = \\log\\big(1 + e^{-y \\sum_k a_k \\sigma(\\sum_j x_j W_{jk})}\\big),
          \\qquad R(\\theta) = \\frac\\lambda2 \\sum_r \\theta_r^2,

with ``sigma`` written from its definition (``1/(1+e^{-u})``, ``tanh u``,
``log(1+e^u)``), and SymPy differentiates each for the gradient, the
Hessian and the Laplacian (the sum of the Hessian's diagonal). The
objective is ``(1/n) sum_i l(theta; x_i, y_i) + R(theta)``; the sum over
samples, being linear, is taken after differentiation, which keeps the
expressions (and their compilation) independent of n. Nothing is shared
with the NumPy or loop implementations but the conventions.

* Exact inputs (object arrays of ints, Fractions, SymPy numbers; the
  problem's data and lambda exact too) give exact SymPy expressions.
* Float inputs are evaluated with mpmath (the binary floats converted
  exactly) at 50 significant digits and again at twice that, doubling until
  the float64 rounding of the result no longer changes (``PRECISIONS``), so
  the result is the rounded value of the formula, not a float computation
  of it: that is what makes it the oracle. Where even 400 digits do not
  settle it (massive cancellation), it raises rather than guess.

Models are cached per (d, p, activation, train_outer).
"""

from __future__ import annotations

from fractions import Fraction
from functools import cached_property

import mpmath
import numpy as np
import sympy

from ._protocol import Capabilities
from .problem import depth2_implementation
from .validation import check_theta

DIGITS = 50
# Float inputs are evaluated at 50 digits, then 100, 200, 400, until the float64 rounding of the
# result is the same at two successive precisions: the expressions are the unsimplified derivatives,
# whose terms can cancel far below their size (a tiny outer weight, a saturated gate), and a fixed
# precision would then return rounding noise as the "exact" value.
PRECISIONS = (DIGITS, 2 * DIGITS, 4 * DIGITS, 8 * DIGITS)
QUANTITIES = ("loss", "grad", "hessian", "laplacian")


def _sigma(name: str, u):
    if name == "sigmoid":
        return 1 / (1 + sympy.exp(-u))
    if name == "tanh":
        return sympy.tanh(u)
    return sympy.log(1 + sympy.exp(u))


def _derivatives(expr, theta) -> dict:
    grad = [sympy.diff(expr, t) for t in theta]
    hessian = [[sympy.diff(g, t) for t in theta] for g in grad]
    return {"loss": expr, "grad": grad, "hessian": hessian, "laplacian": sympy.Add(*[hessian[r][r] for r in range(len(theta))])}


class SymbolicDepth2Model:
    """Expressions and compiled mpmath functions of one shape (d, p)."""

    def __init__(self, d: int, p: int, activation: str, train_outer: bool):
        self.d, self.p, self.train_outer = d, p, train_outer
        self.theta = [sympy.Dummy(f"t_{r}") for r in range(d * p + (p if train_outer else 0))]
        self.x = [sympy.Dummy(f"x_{j}") for j in range(d)]
        self.y = sympy.Dummy("y")
        self.a = self.theta[d * p :] if train_outer else [sympy.Dummy(f"a_{k}") for k in range(p)]
        self.lam = sympy.Dummy("lam")
        f = sympy.Add(*[self.a[k] * _sigma(activation, sympy.Add(*[self.x[j] * self.theta[j * p + k] for j in range(d)]))
                        for k in range(p)])
        self.sample_loss = sympy.log(1 + sympy.exp(-self.y * f))
        self.regularizer = self.lam / 2 * sympy.Add(*[t**2 for t in self.theta])

    @cached_property
    def sample(self) -> dict:
        """The loss of one sample and its derivatives in theta."""
        return _derivatives(self.sample_loss, self.theta)

    @cached_property
    def reg(self) -> dict:
        return _derivatives(self.regularizer, self.theta)

    def sample_symbols(self) -> list:
        return self.theta + self.x + [self.y] + ([] if self.train_outer else list(self.a))

    def compiled(self, quantity: str, part: str = "sample"):
        """``quantity`` of one sample (``part="sample"``) or of the regularizer, as an mpmath function."""
        key = f"_compiled_{part}_{quantity}"
        if key not in self.__dict__:
            if part == "sample":
                args, expr = self.sample_symbols(), self.sample[quantity]
            else:
                args, expr = self.theta + [self.lam], self.reg[quantity]
            self.__dict__[key] = sympy.lambdify(args, _map(_with_log1p, expr), modules="mpmath")
        return self.__dict__[key]


def _with_log1p(expr):
    """``expr`` with every ``log(1 + t)`` written ``log1p(t)``, for the mpmath evaluation.

    ``log(1 + exp(-300))`` is 0 at any precision below 131 digits, and the same 0 at two successive
    precisions passes for stable; ``log1p`` keeps every digit of it (the logistic loss of a confident
    sample, softplus of a very negative pre-activation). The exact path keeps the expressions as they are.
    """
    from sympy.codegen.cfunctions import log1p

    def is_log_of_one_plus(e):
        return isinstance(e, sympy.log) and e.args[0].is_Add and sympy.S.One in e.args[0].args

    return expr.replace(is_log_of_one_plus, lambda e: log1p(e.args[0] - 1))


def _exact(value):
    """An exact SymPy number: ints and Fractions as rationals, a binary float as the dyadic rational it is."""
    if isinstance(value, sympy.Basic):
        return value
    if isinstance(value, Fraction):
        return sympy.Rational(value.numerator, value.denominator)
    if isinstance(value, float):
        return sympy.Rational(value)  # exact: every finite binary float is a dyadic rational
    return sympy.Integer(value)


def _combine(values: list, reg, n):
    """(1/n) sum of per-sample values plus the regularizer's, entrywise for lists."""
    if isinstance(reg, list):
        return [_combine([v[r] for v in values], reg[r], n) for r in range(len(reg))]
    return sum(values[1:], values[0]) / n + reg


def _substitute(expr, subs):
    """``expr`` (an expression or nested lists of them) with ``subs`` substituted exactly."""
    return _map(lambda e: e.xreplace(subs), expr)


def _map(fn, expr):
    if isinstance(expr, list):
        return [_map(fn, e) for e in expr]
    return fn(expr)


def _as_result(value, exact: bool):
    if isinstance(value, list):
        if exact:
            return np.array(value, dtype=object)
        return np.array(_map(float, value), dtype=np.float64)
    return value if exact else float(value)


@depth2_implementation
class SympyDepth2:
    """SymPy-derived gradient, Hessian and Laplacian; tiny sizes only."""

    name = "sympy"
    capabilities = Capabilities(
        hessian=True,
        laplacian=True,
        exact=True,
        max_size=64,
        notes=("evaluated with mpmath at 50 digits or more, until the float64 rounding is stable", "max_size: n*d*p <= 64"),
    )

    def __init__(self):
        self._models: dict = {}

    def model(self, pb) -> SymbolicDepth2Model:
        if not self.capabilities.handles(pb.n, pb.d, pb.p):
            raise ValueError(
                f"X: n*d*p = {pb.n * pb.d * pb.p} exceeds the symbolic implementation's limit "
                f"{self.capabilities.max_size}; use numpy or loops"
            )
        key = (pb.d, pb.p, pb.activation, pb.train_outer)
        if key not in self._models:
            self._models[key] = SymbolicDepth2Model(*key)
        return self._models[key]

    def _evaluate(self, quantity, theta, pb):
        T = check_theta(theta, pb.dim, batched=False, allow_exact=True)
        model = self.model(pb)
        X, y = np.asarray(pb.X).tolist(), np.asarray(pb.y).tolist()
        a = [] if pb.train_outer else np.asarray(pb.a).tolist()
        if T.dtype.kind == "O" or pb.exact:
            conv = _exact
            theta_v = [conv(v) for v in T.tolist()]
            values = []
            for i in range(pb.n):
                subs = dict(zip(model.sample_symbols(), theta_v + [conv(v) for v in X[i]] + [conv(y[i])] + [conv(v) for v in a]))
                values.append(_substitute(model.sample[quantity], subs))
            reg = _substitute(model.reg[quantity], {**dict(zip(model.theta, theta_v)), model.lam: conv(pb.lam)})
            return _as_result(_combine(values, reg, sympy.Integer(pb.n)), exact=True)
        inputs = [float(v) for v in T.tolist()], [[float(v) for v in row] for row in X], [float(v) for v in y], [float(v) for v in a]
        previous = None
        for digits in PRECISIONS:
            result = _as_result(self._mp_value(model, quantity, inputs, float(pb.lam), pb.n, digits), exact=False)
            if previous is not None and np.array_equal(result, previous):
                return result
            previous = result
        raise ArithmeticError(
            f"theta: the {quantity} of this problem is not stable to float64 even at {PRECISIONS[-1]} digits "
            "(cancellation in the symbolic expression); the oracle gives no answer here"
        )

    @staticmethod
    def _mp_value(model, quantity, inputs, lam, n, digits):
        theta, X, y, a = inputs
        fn, reg_fn = model.compiled(quantity), model.compiled(quantity, part="reg")
        with mpmath.workdps(digits):
            mp = mpmath.mpf  # a binary float converts exactly
            theta_v = [mp(v) for v in theta]
            values = [fn(*(theta_v + [mp(v) for v in X[i]] + [mp(y[i])] + [mp(v) for v in a])) for i in range(n)]
            return _combine(values, reg_fn(*(theta_v + [mp(lam)])), n)

    def loss(self, theta, problem):
        return self._evaluate("loss", theta, problem)

    def grad(self, theta, problem):
        return self._evaluate("grad", theta, problem)

    def hessian(self, theta, problem):
        return self._evaluate("hessian", theta, problem)

    def laplacian(self, theta, problem):
        return self._evaluate("laplacian", theta, problem)

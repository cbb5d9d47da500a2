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
* Float inputs are evaluated in mpmath's interval arithmetic (the binary
  floats converted exactly) at 50 significant digits, then 100, 200, 400, 800,
  until the interval of every entry, which provably contains the exact
  value, rounds to a single float64 (``impls._enclosure``): the result is
  the correctly rounded value of the formula, not a float computation of
  it, and that is what makes it the oracle. Where even 800 digits do not
  pin it (massive cancellation), it raises rather than guess.

Models are cached per (d, p, activation, train_outer).
"""

from __future__ import annotations

from fractions import Fraction
from functools import cached_property

import numpy as np
import sympy

from .._enclosure import lambdify_interval, point, rounded_value
from ._protocol import Capabilities
from .problem import depth2_implementation
from .validation import check_theta

DIGITS = 50
# Float inputs are evaluated in interval arithmetic at 50 digits, then 100, ..., 800, until every entry's
# enclosure rounds to one float64 (impls._enclosure): the expressions are the unsimplified derivatives,
# whose terms can cancel far below their size (a tiny outer weight, a saturated gate), and a fixed
# precision, or two that agree, would then return rounding noise as the "exact" value.
PRECISIONS = (DIGITS, 2 * DIGITS, 4 * DIGITS, 8 * DIGITS, 16 * DIGITS)
QUANTITIES = ("loss", "grad", "hessian", "laplacian")


class Sigmoid(sympy.Function):
    """``sigma(u) = 1 / (1 + e^-u)``, whose derivative is ``SigmoidPrime(u)``.

    Differentiating the definition gives ``e^-u / (1 + e^-u)^2`` and, once more, differences of such terms;
    the product rule on ``sigma(u) sigma(-u)`` still gives a difference, ``sigma'(u) (sigma(-u) - sigma(u))``.
    Such differences cancel far below their size (a saturated gate at u = 1e153; terms of 1e289 that cancel
    to an exact 0 at u = 0), and every float result then needs more digits than any precision has. Written
    through these functions, the derivatives up to the second are products of factors that do not cancel;
    exact inputs get the definitions back (``elementary``).
    """

    def fdiff(self, argindex=1):
        return SigmoidPrime(self.args[0])


class SigmoidPrime(sympy.Function):
    """``sigma'(u) = sigma(u) sigma(-u)``, whose derivative is ``-sigma'(u) tanh(u / 2)`` (since
    ``sigma(-u) - sigma(u) = -tanh(u / 2)``): a product, exactly 0 at u = 0."""

    def fdiff(self, argindex=1):
        u = self.args[0]
        return -SigmoidPrime(u) * Tanh(u / 2)


class Softplus(sympy.Function):
    """``log(1 + e^u)``, whose derivative is ``Sigmoid(u)`` (the logistic loss is ``Softplus(-y f)``)."""

    def fdiff(self, argindex=1):
        return Sigmoid(self.args[0])


class Tanh(sympy.Function):
    """``tanh u``, whose derivative is ``Sech2(u)``, not ``1 - tanh(u)^2`` (0 at any precision for u = 1e153)."""

    def fdiff(self, argindex=1):
        return Sech2(self.args[0])


class Sech2(sympy.Function):
    """``sech(u)^2 = 1 / cosh(u)^2``, whose derivative is ``-2 Tanh(u) Sech2(u)``."""

    def fdiff(self, argindex=1):
        u = self.args[0]
        return -2 * Tanh(u) * Sech2(u)


ACTIVATION_FUNCTIONS = {"sigmoid": Sigmoid, "tanh": Tanh, "softplus": Softplus}


def elementary(expr):
    """``expr`` (an expression or nested lists of them) with the functions above replaced by their definitions."""
    definitions = {Sigmoid: lambda u: 1 / (1 + sympy.exp(-u)),
                   SigmoidPrime: lambda u: 1 / ((1 + sympy.exp(-u)) * (1 + sympy.exp(u))),
                   Softplus: lambda u: sympy.log(1 + sympy.exp(u)), Tanh: sympy.tanh, Sech2: lambda u: 1 / sympy.cosh(u) ** 2}

    def one(e):
        for fn, definition in definitions.items():
            e = e.replace(fn, definition)
        return e

    return _map(one, expr)


def _derivatives(expr, theta) -> dict:
    grad = [sympy.diff(expr, t) for t in theta]
    hessian = [[sympy.diff(g, t) for t in theta] for g in grad]
    return {"loss": expr, "grad": grad, "hessian": hessian, "laplacian": sympy.Add(*[hessian[r][r] for r in range(len(theta))])}


class SymbolicDepth2Model:
    """Expressions of one shape (d, p), and their compiled interval functions."""

    def __init__(self, d: int, p: int, activation: str, train_outer: bool):
        self.d, self.p, self.train_outer = d, p, train_outer
        self.theta = [sympy.Dummy(f"t_{r}") for r in range(d * p + (p if train_outer else 0))]
        self.x = [sympy.Dummy(f"x_{j}") for j in range(d)]
        self.y = sympy.Dummy("y")
        self.a = self.theta[d * p :] if train_outer else [sympy.Dummy(f"a_{k}") for k in range(p)]
        self.lam = sympy.Dummy("lam")
        sigma = ACTIVATION_FUNCTIONS[activation]
        f = sympy.Add(*[self.a[k] * sigma(sympy.Add(*[self.x[j] * self.theta[j * p + k] for j in range(d)]))
                        for k in range(p)])
        self.sample_loss = Softplus(-self.y * f)  # log(1 + e^{-y f})
        self.regularizer = self.lam / 2 * sympy.Add(*[t**2 for t in self.theta])

    @cached_property
    def sample(self) -> dict:
        """The loss of one sample and its derivatives in theta."""
        return _derivatives(self.sample_loss, self.theta)

    @cached_property
    def elementary(self) -> dict:
        """``sample`` in elementary functions (``elementary``): for exact inputs, whose results SymPy evaluates."""
        return {q: elementary(e) for q, e in self.sample.items()}

    @cached_property
    def reg(self) -> dict:
        return _derivatives(self.regularizer, self.theta)

    def sample_symbols(self) -> list:
        return self.theta + self.x + [self.y] + ([] if self.train_outer else list(self.a))

    def compiled(self, quantity: str, part: str = "sample"):
        """``quantity`` of one sample (``part="sample"``) or of the regularizer, as a function on mpmath intervals."""
        key = f"_compiled_{part}_{quantity}"
        if key not in self.__dict__:
            if part == "sample":
                args, expr = self.sample_symbols(), self.sample[quantity]
            else:
                args, expr = self.theta + [self.lam], self.reg[quantity]
            self.__dict__[key] = lambdify_interval(args, expr)
        return self.__dict__[key]


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


def _as_exact_result(value):
    return np.array(value, dtype=object) if isinstance(value, list) else value


@depth2_implementation
class SympyDepth2:
    """SymPy-derived gradient, Hessian and Laplacian; tiny sizes only."""

    name = "sympy"
    capabilities = Capabilities(
        hessian=True,
        laplacian=True,
        exact=True,
        max_size=64,
        notes=("evaluated in interval arithmetic at 50 digits or more, until each entry is pinned to one float64", "max_size: n*d*p <= 64"),
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
                values.append(_substitute(model.elementary[quantity], subs))
            reg = _substitute(model.reg[quantity], {**dict(zip(model.theta, theta_v)), model.lam: conv(pb.lam)})
            return _as_exact_result(_combine(values, reg, sympy.Integer(pb.n)))
        inputs = [float(v) for v in T.tolist()], [[float(v) for v in row] for row in X], [float(v) for v in y], [float(v) for v in a]
        return rounded_value(lambda: self._enclosure(model, quantity, inputs, float(pb.lam), pb.n), PRECISIONS,
                             f"theta: the {quantity} of this problem")

    @staticmethod
    def _enclosure(model, quantity, inputs, lam, n):
        """Intervals that contain ``quantity`` at the float inputs (converted exactly), at mpmath.iv's precision."""
        theta, X, y, a = inputs
        fn, reg_fn = model.compiled(quantity), model.compiled(quantity, part="reg")
        theta_v = [point(v) for v in theta]
        values = [fn(*(theta_v + [point(v) for v in X[i]] + [point(y[i])] + [point(v) for v in a])) for i in range(n)]
        return _combine(values, reg_fn(*(theta_v + [point(lam)])), n)

    def loss(self, theta, problem):
        return self._evaluate("loss", theta, problem)

    def grad(self, theta, problem):
        return self._evaluate("grad", theta, problem)

    def hessian(self, theta, problem):
        return self._evaluate("hessian", theta, problem)

    def laplacian(self, theta, problem):
        return self._evaluate("laplacian", theta, problem)

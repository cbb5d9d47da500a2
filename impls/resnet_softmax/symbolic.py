"""ResNet-softmax regression derived by SymPy: the exact oracle for small n.

For each ``n`` the loss is built symbolically in the coordinates
``z = A x``,

.. math:: t_j = e^{z_j - s} + z_j e^{-s}, \\qquad f_j = t_j / \\textstyle\\sum_k t_k,
          \\qquad L = \\tfrac12 \\sum_j (f_j - b_j)^2 + \\tfrac12 \\sum_j w_j^2 z_j^2,

and SymPy differentiates it for the gradient and the Hessian in ``z``. The
shift ``s`` is a free symbol: ``f`` is the same for every ``s`` (numerator
and denominator scale by ``e^{-s}``), so the derivatives do not depend on
it. The chain rule through the linear map is exact algebra:
``grad = A^T grad_z L`` and ``hessian = A^T hess_z L A``. ``B`` is SymPy's
Hessian in ``z`` of the unregularised loss; ``B_rank``, ``B_diag`` and
``low_rank_factors`` are the catalog's closed forms written in the same
symbols (they are what the tests compare SymPy's ``B`` with).

* Exact inputs (object arrays of ints, Fractions, SymPy numbers or symbols)
  are substituted with ``s = 0`` and give exact SymPy results; a numeric
  exact ``alpha`` that is not > 0 raises :class:`LossUndefinedError`.
* Float inputs go through ``lambdify`` with ``s = max(0, max_j z_j)``.

Expressions and compiled functions are cached per ``(n, weighted)``.
"""

from __future__ import annotations

from functools import cached_property

import numpy as np
import sympy

from .._arrays import FLOAT64
from ._protocol import Capabilities
from .validation import check_declared_size, finite_resnet_results, alpha_error_bound, check_alpha, check_exact_alpha, validate


class SymbolicResNetModel:
    """The symbolic model for one ``n``: expressions, derivatives, compiled functions."""

    def __init__(self, n: int, weighted: bool):
        self.n, self.weighted = n, weighted
        self.z = [sympy.Dummy(f"z_{j}") for j in range(n)]
        self.b = [sympy.Dummy(f"b_{j}") for j in range(n)]
        self.w = [sympy.Dummy(f"w_{j}") for j in range(n)] if weighted else []
        self.s = sympy.Dummy("s")
        e = [sympy.exp(zj - self.s) for zj in self.z]
        g = sympy.exp(-self.s)
        t = [e[j] + self.z[j] * g for j in range(n)]
        self.alpha_scaled = sympy.Add(*t)
        self.f = sympy.Matrix([tj / self.alpha_scaled for tj in t])
        self.h = sympy.Matrix([(e[j] + g) / self.alpha_scaled for j in range(n)])
        self.p = sympy.Matrix([e[j] / self.alpha_scaled for j in range(n)])
        self.loss_exp = sympy.Add(*[(self.f[j] - self.b[j]) ** 2 for j in range(n)]) / 2
        self.loss_reg = sympy.Add(*[(wj * zj) ** 2 for wj, zj in zip(self.w, self.z)]) / 2
        self.loss = self.loss_exp + self.loss_reg

    @cached_property
    def grad(self) -> sympy.Matrix:
        return sympy.Matrix([sympy.diff(self.loss, zj) for zj in self.z])

    @cached_property
    def B(self) -> sympy.Matrix:
        first = [sympy.diff(self.loss_exp, zj) for zj in self.z]
        return sympy.Matrix(self.n, self.n, lambda j, k: sympy.diff(first[j], self.z[k]))

    @cached_property
    def reg_hessian(self) -> sympy.Matrix:
        return sympy.Matrix(self.n, self.n, lambda j, k: sympy.diff(self.loss_reg, self.z[j], self.z[k]))

    # The catalog's closed forms (C3, C4), in the same symbols.
    @cached_property
    def gamma(self):
        return sympy.Add(*[(3 * self.f[j] - 2 * self.b[j]) * self.f[j] for j in range(self.n)])

    @cached_property
    def q(self) -> sympy.Matrix:
        return sympy.Matrix([self.h[j] * (2 * self.f[j] - self.b[j]) for j in range(self.n)])

    @cached_property
    def B_rank(self) -> sympy.Matrix:
        return self.gamma * self.h * self.h.T - self.q * self.h.T - self.h * self.q.T

    @cached_property
    def B_diag(self) -> sympy.Matrix:
        c = [self.f[j] - self.b[j] for j in range(self.n)]
        r = sympy.Add(*[c[j] * self.f[j] for j in range(self.n)])
        return sympy.Matrix([self.h[j] ** 2 + self.p[j] * (c[j] - r) for j in range(self.n)])

    @cached_property
    def atoms(self) -> dict:
        """Subexpressions replaced by symbols before compiling: ``alpha'``, ``exp(z_j - s)``, ``exp(-s)``.

        SymPy's derivatives repeat the sum ``alpha' = sum_j t_j`` and the
        exponentials many times; compiling them as arguments (whose values are
        computed once per call) makes ``lambdify`` several times faster and
        the code shorter. It is a substitution, not an approximation.
        """
        atoms = {self.alpha_scaled: sympy.Dummy("a"), sympy.exp(-self.s): sympy.Dummy("g")}
        atoms.update({sympy.exp(zj - self.s): sympy.Dummy(f"e_{j}") for j, zj in enumerate(self.z)})
        return atoms

    def symbols(self, what: str) -> list:
        if what in ("alpha_scaled", "f"):
            return self.z + [self.s]
        weights = self.w if what in ("loss", "grad", "reg_hessian") else []
        return self.z + self.b + weights + [self.s]

    def compiled(self, what: str):
        """``lambdify`` of ``what``; called with ``symbols(what)`` then the atoms' values ``a, e_0.., g``."""
        cache = self.__dict__.setdefault("_compiled", {})
        if what not in cache:
            if what == "low_rank_factors":
                expr = [self.gamma, self.h.tolist(), self.q.tolist()]
            else:
                expr = getattr(self, what)
                expr = expr.tolist() if isinstance(expr, sympy.MatrixBase) else expr
            atoms = self.atoms
            expr = _xreplace(expr, atoms)
            args = self.symbols(what) + [atoms[self.alpha_scaled]]
            args += [atoms[sympy.exp(zj - self.s)] for zj in self.z] + [atoms[sympy.exp(-self.s)]]
            cache[what] = sympy.lambdify(args, expr, modules="numpy", cse=True)
        return cache[what]

    def substitute(self, what: str, values: list):
        """``what`` with exact ``values`` for ``symbols(what)`` substituted."""
        mapping = {sym: sympy.sympify(v) for sym, v in zip(self.symbols(what), values)}
        if what == "low_rank_factors":
            return [self.gamma.xreplace(mapping), self.h.xreplace(mapping), self.q.xreplace(mapping)]
        return getattr(self, what).xreplace(mapping)


def _xreplace(expr, mapping):
    if isinstance(expr, list):
        return [_xreplace(e, mapping) for e in expr]
    return sympy.sympify(expr).xreplace(mapping)


@finite_resnet_results
class SympyResNetSoftmax:
    """SymPy-derived implementation (exact for exact inputs, lambdified for floats)."""

    name = "sympy"
    capabilities = Capabilities(
        dtypes=FLOAT64,
        exact=True,
        max_n=8,
        notes=("builds and differentiates the loss symbolically per n; the first call per n is slow",),
    )

    def __init__(self):
        self._models: dict[tuple, SymbolicResNetModel] = {}

    def model(self, n: int, weighted: bool = False) -> SymbolicResNetModel:
        """The cached symbolic model for ``n``."""
        key = (n, weighted)
        if key not in self._models:
            self._models[key] = SymbolicResNetModel(n, weighted)
        return self._models[key]

    @staticmethod
    def _validate(x, A, b=None, w=None, need_b=True):
        pb = validate(x, A, b, w, dtypes=FLOAT64, need_b=need_b, allow_exact=True)
        check_declared_size(SympyResNetSoftmax.capabilities, pb)
        return pb

    def _evaluate(self, what: str, pb, check: bool = True):
        """``what`` at the problem's point: an exact SymPy result or float64 values."""
        m = self.model(pb.n, pb.w is not None and what in ("loss", "grad", "reg_hessian"))
        if pb.exact:
            z = [
                sympy.expand(sympy.Add(*[sympy.sympify(pb.A[j, k]) * sympy.sympify(pb.x[k]) for k in range(pb.d)]))
                for j in range(pb.n)
            ]
            if check:
                check_exact_alpha(m.substitute("alpha_scaled", z + [0]))
            return m.substitute(what, self._values(m, what, pb, z, 0))
        zf = pb.A @ pb.x
        s = max(0.0, float(np.max(zf)))
        e = np.exp(zf - s)
        g = float(np.exp(-s))
        alpha_s = float(np.sum(e + zf * g))
        if check:
            check_alpha(alpha_s, s, alpha_error_bound(zf, s, np.abs(pb.A) @ np.abs(pb.x), pb.d, pb.dtype), pb.dtype)
        args = self._values(m, what, pb, [float(v) for v in zf], s) + [alpha_s] + [float(v) for v in e] + [g]
        return m.compiled(what)(*args)

    @staticmethod
    def _values(m, what, pb, z, s) -> list:
        values = list(z)
        if what not in ("alpha_scaled", "f"):
            values += list(pb.b)
            if m.weighted:
                values += list(pb.w)
        return values + [s]

    def alpha(self, x, A):
        pb = self._validate(x, A, need_b=False)
        value = self._evaluate("alpha_scaled", pb, check=False)
        if pb.exact:
            return value
        s = max(0.0, float(np.max(pb.A @ pb.x)))
        with np.errstate(over="ignore"):
            return np.float64(value) * np.exp(np.float64(s))

    def f(self, x, A):
        pb = self._validate(x, A, need_b=False)
        return self._array(self._evaluate("f", pb), pb).reshape(pb.n)

    def loss(self, x, A, b, w=None):
        pb = self._validate(x, A, b, w)
        value = self._evaluate("loss", pb)
        return value if pb.exact else np.float64(value)

    def grad(self, x, A, b, w=None):
        pb = self._validate(x, A, b, w)
        gz = self._array(self._evaluate("grad", pb), pb).reshape(pb.n)
        return self._chain(pb, gz)

    def hessian(self, x, A, b, w=None):
        pb = self._validate(x, A, b, w)
        Hz = self._array(self._evaluate("B", pb), pb)
        if pb.w is not None:
            Hz = Hz + self._array(self._evaluate("reg_hessian", pb, check=False), pb)
        if pb.exact:
            At = sympy.Matrix(pb.A.tolist())
            return np.array((At.T * sympy.Matrix(Hz.tolist()) * At).tolist(), dtype=object)
        return pb.A.T @ Hz @ pb.A

    def B(self, x, A, b):
        pb = self._validate(x, A, b)
        return self._array(self._evaluate("B", pb), pb)

    def B_rank(self, x, A, b):
        pb = self._validate(x, A, b)
        return self._array(self._evaluate("B_rank", pb), pb)

    def B_diag(self, x, A, b):
        pb = self._validate(x, A, b)
        return self._array(self._evaluate("B_diag", pb), pb).reshape(pb.n)

    def low_rank_factors(self, x, A, b):
        pb = self._validate(x, A, b)
        gamma, h, q = self._evaluate("low_rank_factors", pb)
        if pb.exact:
            return gamma, np.array(list(h), dtype=object), np.array(list(q), dtype=object)
        return np.float64(gamma), np.array(h, dtype=np.float64).reshape(pb.n), np.array(q, dtype=np.float64).reshape(pb.n)

    @staticmethod
    def _array(value, pb) -> np.ndarray:
        if pb.exact:
            return np.array(sympy.Matrix(value).tolist(), dtype=object)
        return np.array(value, dtype=np.float64)

    @staticmethod
    def _chain(pb, gz: np.ndarray) -> np.ndarray:
        """``A^T gz``, exactly for exact inputs."""
        if pb.exact:
            At = sympy.Matrix(pb.A.tolist()).T
            return np.array(list(At * sympy.Matrix(list(gz))), dtype=object)
        return pb.A.T @ gz

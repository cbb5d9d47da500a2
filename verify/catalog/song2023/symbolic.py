"""Exact SymPy identities of the ResNet-softmax formulas (C2, C3, C4, C12), in z-coordinates for small n.

SymPy differentiates L(z) = 0.5 sum_j (u_j / alpha - b_j)^2 with u_j =
exp(z_j) + z_j and alpha = sum_j u_j written out. The result is a rational
function of exp(z_j), z_j, b_j whose denominators are powers of the sum
alpha; replacing that sum by a symbol ``a`` and exp(z_j) by symbols e_j
turns the difference with a closed form into a polynomial in (1/a, e, z, b).
If it expands to 0 the identity holds for independent a and e_j, hence at
a = alpha, e_j = exp(z_j). Identities that need sum_j u_j = alpha (e.g.
1^T J_f = 0) are expanded again after eliminating z_n = a - sum_j e_j -
sum_{j<n} z_j. Both are exact polynomial arithmetic.

Each ``exact_*`` function returns ``{identity name: holds exactly}``, the
input of ``verify.harness.evidence.exact_evidence``.
"""

from __future__ import annotations

from functools import cache

import sympy


class ExactModel:
    """SymPy expressions for one n: derived derivatives and the catalog's closed forms."""

    def __init__(self, n: int, softmax: bool = False):
        self.n = n
        self.z = sympy.symbols(f"z0:{n}", real=True)
        self.b = sympy.symbols(f"b0:{n}", real=True)
        self.e = sympy.symbols(f"e0:{n}", positive=True)
        self.a = sympy.Symbol("a", positive=True)
        u = [sympy.exp(zj) + (0 if softmax else zj) for zj in self.z]
        self.alpha_sum = sympy.Add(*u)
        self.f_derived = [uj / self.alpha_sum for uj in u]
        self.loss = sympy.Add(*[(self.f_derived[j] - self.b[j]) ** 2 for j in range(n)]) / 2
        self.grad = [sympy.diff(self.loss, zj) for zj in self.z]
        self.hess = [[sympy.diff(self.grad[i], self.z[j]) for j in range(n)] for i in range(n)]
        a, e, z, b = self.a, self.e, self.z, self.b
        self.f = [(e[j] + (0 if softmax else z[j])) / a for j in range(n)]
        self.h = [(e[j] + (0 if softmax else 1)) / a for j in range(n)]
        self.p = [e[j] / a for j in range(n)]
        self.c = [self.f[j] - b[j] for j in range(n)]
        self.r = sympy.Add(*[self.c[j] * self.f[j] for j in range(n)])
        self.gamma = sympy.Add(*[(3 * self.f[j] - 2 * b[j]) * self.f[j] for j in range(n)])
        self.q = [self.h[j] * (2 * self.f[j] - b[j]) for j in range(n)]
        # a = sum_j u_j, solved for one symbol that occurs linearly in it.
        if softmax:
            self.elimination = {e[-1]: a - sympy.Add(*e[:-1])}
        else:
            self.elimination = {z[-1]: a - sympy.Add(*e) - sympy.Add(*z[:-1])}

    def symbols_form(self, expr):
        """Replace the sum alpha by ``a`` and exp(sum_j k_j z_j) (integer k_j) by ``prod_j e_j^k_j``."""
        expr = sympy.sympify(expr).xreplace({self.alpha_sum: self.a})
        return expr.replace(lambda node: isinstance(node, sympy.exp), self._exp_to_symbols)

    def _exp_to_symbols(self, node):
        argument = sympy.expand(node.args[0])
        powers = [argument.coeff(zj) for zj in self.z]
        if any(not k.is_integer for k in powers) or sympy.expand(argument - sympy.Add(*[k * zj for k, zj in zip(powers, self.z)])) != 0:
            return node  # not a monomial in exp(z_j): left as is, and the identity then fails to expand to 0
        return sympy.Mul(*[ej**k for ej, k in zip(self.e, powers)])

    def is_zero(self, expr, power: int) -> bool:
        """Whether ``expr`` (in symbols form) is identically 0: after multiplying by a^power, expanded."""
        poly = sympy.expand(expr * self.a**power)
        if poly == 0:
            return True
        return sympy.expand(poly.xreplace(self.elimination)) == 0

    def B_rank(self, i, j):
        return self.gamma * self.h[i] * self.h[j] - self.q[i] * self.h[j] - self.h[i] * self.q[j]

    def B_diag(self, i):
        return self.h[i] ** 2 + self.p[i] * (self.c[i] - self.r)

    def G(self, i, j):
        # G = (diag(h) - h f^T)(diag(h) - f h^T) = J_f^T J_f
        Jt = lambda k, m: (self.h[k] if k == m else 0) - self.h[k] * self.f[m]
        return sympy.Add(*[Jt(i, m) * Jt(j, m) for m in range(self.n)])

    def K(self, i, j):
        hc = [self.h[k] * self.c[k] for k in range(self.n)]
        diag = self.p[i] * (self.c[i] - self.r) if i == j else 0
        return diag - hc[i] * self.h[j] - self.h[i] * hc[j] + 2 * self.r * self.h[i] * self.h[j]


@cache
def exact_model(n: int, softmax: bool = False) -> ExactModel:
    return ExactModel(n, softmax)


def exact_gradient_identities(n: int = 3) -> dict:
    """C2 at n: SymPy's gradient in z equals h o (c - <c, f> 1), and 1^T J_f = 0."""
    m = exact_model(n)
    out = {}
    for j in range(n):
        closed = m.h[j] * (m.c[j] - m.r)
        out[f"grad_z[{j}] = h_{j} (c_{j} - <c, f>)"] = m.is_zero(m.symbols_form(m.grad[j]) - closed, 3)
    for k in range(n):
        column = sympy.Add(*[sympy.diff(m.f_derived[j], m.z[k]) for j in range(n)])
        out[f"sum_j d f_j / d z_{k} = 0"] = m.is_zero(m.symbols_form(column), 2)
    return out


def exact_hessian_identities(n: int = 3) -> dict:
    """C3 at n: SymPy's Hessian in z equals the closed form B, entry by entry."""
    m = exact_model(n)
    out = {}
    for i in range(n):
        for j in range(i, n):
            closed = m.B_rank(i, j) + (m.B_diag(i) if i == j else 0)
            out[f"hess_z[{i},{j}] = B[{i},{j}]"] = m.is_zero(m.symbols_form(m.hess[i][j]) - closed, 4)
    return out


def exact_softmax_special_case(n: int = 3) -> dict:
    """C3's softmax case (u = exp(z), h = p = f): SymPy's Hessian equals the catalog's B_soft."""
    m = exact_model(n, softmax=True)
    f, b = m.f, m.b
    s = sympy.Add(*[(3 * f[k] - 2 * b[k]) * f[k] for k in range(n)])
    res = sympy.Add(*[(f[k] - b[k]) * f[k] for k in range(n)])
    out = {}
    for i in range(n):
        for j in range(i, n):
            closed = (s * f[i] * f[j] + b[i] * f[i] * f[j] + f[i] * b[j] * f[j] - 2 * f[i] ** 2 * f[j] - 2 * f[i] * f[j] ** 2
                      + ((2 * f[i] - b[i]) * f[i] - res * f[i] if i == j else 0))
            out[f"hess_z[{i},{j}] = B_soft[{i},{j}]"] = m.is_zero(m.symbols_form(m.hess[i][j]) - closed, 4)
    return out


def exact_structure_identities(n: int = 3) -> dict:
    """C4 at n: B symmetric, B_rank + diag(B_diag) = G + K = SymPy's Hessian, det(B_rank) = 0 (rank <= 2)."""
    m = exact_model(n)
    out = {}
    for i in range(n):
        for j in range(n):
            if i < j:
                out[f"hess_z[{i},{j}] = hess_z[{j},{i}]"] = m.is_zero(m.symbols_form(m.hess[i][j] - m.hess[j][i]), 4)
            split = m.B_rank(i, j) + (m.B_diag(i) if i == j else 0) - m.G(i, j) - m.K(i, j)
            out[f"(B_rank + B_diag - G - K)[{i},{j}] = 0"] = m.is_zero(split, 4)
    # rank <= 2: every 3 x 3 minor of gamma h h^T - q h^T - h q^T vanishes for
    # arbitrary h, q, gamma (independent symbols), so for any n.
    # Rows i and columns j of a minor carry their own symbols h_i, q_i and h'_j, q'_j.
    hr, qr = sympy.symbols("h0:3", real=True), sympy.symbols("q0:3", real=True)
    hc, qc = sympy.symbols("k0:3", real=True), sympy.symbols("m0:3", real=True)
    gamma = sympy.Symbol("gamma", real=True)
    minor = sympy.Matrix(3, 3, lambda i, j: gamma * hr[i] * hc[j] - qr[i] * hc[j] - hr[i] * qc[j])
    out["every 3x3 minor of gamma h h^T - q h^T - h q^T is 0 (rank <= 2)"] = sympy.expand(minor.det()) == 0
    return out


def exact_degenerate_identities() -> dict:
    """C12 exactly: at n = 1, f = 1, the gradient in z and B are identically 0."""
    m = exact_model(1)
    return {
        "f = 1": m.is_zero(m.symbols_form(m.f_derived[0]) - 1, 1),
        "grad_z L = 0": m.is_zero(m.symbols_form(m.grad[0]), 3),
        "B = Hess_z L = 0": m.is_zero(m.symbols_form(m.hess[0][0]), 4),
    }

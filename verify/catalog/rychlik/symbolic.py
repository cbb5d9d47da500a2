"""The SymPy side of the Rychlik checks: symbolic problems, the closed forms in SymPy, and the exact parts.

Identities (P1-1, P1-2, P2-1) are proved at small shapes by differentiating
the SymPy implementation's loss and simplifying the residual against these
forms to exactly 0; P1-3's kernel is computed exactly at rational points.
Each ``exact_*_evidence`` is the exact part of its claim, built by
:func:`residual_evidence` on ``verify.harness.evidence.exact_evidence``.
"""

from __future__ import annotations

import numpy as np
import sympy as sp

import impls

from ...harness.claims import Evidence
from ...harness.evidence import exact_evidence


_SYMPY_IMPL = []


def sympy_impl():
    """One SymPy implementation per process (it caches the symbolic model of each shape)."""
    if not _SYMPY_IMPL:
        _SYMPY_IMPL.append(impls.get("sympy"))
    return _SYMPY_IMPL[0]


def as_objects(M) -> np.ndarray:
    """A SymPy matrix as a NumPy object array, the input the SymPy implementation takes."""
    return np.array(M.tolist(), dtype=object)


def symbolic_problem(N: int, D: int, K: int):
    """Symbolic W (D, K), X (N, D) and targets with ``t_nK = 1 - sum of the others`` (rows sum to 1 exactly)."""
    W = sp.Matrix(D, K, lambda d, k: sp.Symbol(f"w{d}{k}", real=True))
    X = sp.Matrix(N, D, lambda n, d: sp.Symbol(f"x{n}{d}", real=True))
    t = [[sp.Symbol(f"t{n}{k}", real=True) for k in range(K - 1)] for n in range(N)]
    Y = sp.Matrix(N, K, lambda n, k: t[n][k] if k < K - 1 else 1 - sum(t[n]))
    return W, X, Y, [s for row in t for s in row]


def symbolic_softmax(W, X) -> sp.Matrix:
    Z = X * W
    return sp.Matrix(Z.rows, Z.cols, lambda n, k: sp.exp(Z[n, k]) / sum(sp.exp(Z[n, j]) for j in range(Z.cols)))


def symbolic_kron_hessian(X, P) -> sp.Matrix:
    N, D = X.shape
    K = P.cols
    H = sp.zeros(D * K, D * K)
    for n in range(N):
        x, p = X[n, :].T, P[n, :].T
        H += sp.kronecker_product(x * x.T, sp.diag(*p) - p * p.T)
    return H / N


def symbolic_factored_hessian(X, P) -> sp.Matrix:
    """``(1/N) (X kron I_K)^T blockdiag(S(p_n)) (X kron I_K)`` in SymPy."""
    N, D = X.shape
    K = P.cols
    A = sp.kronecker_product(X, sp.eye(K))
    blocks = [sp.diag(*P[n, :]) - P[n, :].T * P[n, :] for n in range(N)]
    return A.T * sp.diag(*blocks) * A / N


def is_zero(expr) -> bool:
    """Whether a SymPy expression simplifies to exactly 0 (cancel after together)."""
    return sp.cancel(sp.together(expr)) == 0


def residual_evidence(what: str, residuals: dict, *, also=None, measurements=None) -> Evidence:
    """:func:`verify.harness.evidence.exact_evidence` of SymPy residuals: each named matrix must simplify to 0.

    ``also`` adds further exact identities (name -> bool). The text of a
    residual that does not vanish is kept in the measurements, so a failure
    shows what is left over.
    """
    vanish = {name: all(is_zero(e) for e in R) for name, R in residuals.items()}
    left_over = {name: str(residuals[name]) for name, ok in vanish.items() if not ok}
    measurements = {"method": "SymPy, exact simplification of the residual", **(measurements or {})}
    if left_over:
        measurements["residuals that do not simplify to 0"] = left_over
    return exact_evidence(what, {**vanish, **(also or {})}, measurements=measurements)


def exact_gradient_evidence() -> Evidence:
    """P1-1, exactly: d L / d W of the SymPy implementation's loss minus X^T (P - T)/N simplifies to 0 at
    (N, D, K) = (1, 2, 3) (the catalog's shape, t_3 = 1 - t_1 - t_2) and (2, 2, 3)."""
    residuals = {}
    for N, D, K in [(1, 2, 3), (2, 2, 3)]:
        W, X, Y, _ = symbolic_problem(N, D, K)
        L = sympy_impl().loss(as_objects(W), as_objects(X), as_objects(Y))
        G = sp.Matrix(D, K, lambda d, k: sp.diff(L, W[d, k]))
        residuals[f"(N, D, K) = ({N}, {D}, {K})"] = G - X.T * (symbolic_softmax(W, X) - Y) / N
    return residual_evidence("d L / d W - X^T (P - T)/N", residuals)


def exact_hessian_evidence() -> Evidence:
    """P1-2, exactly: at (N, D, K) = (1, 2, 3) the Hessian of the SymPy implementation's loss minus the Kronecker sum
    simplifies to the zero matrix, and it contains none of the target symbols."""
    W, X, Y, t = symbolic_problem(1, 2, 3)
    L = sympy_impl().loss(as_objects(W), as_objects(X), as_objects(Y))
    w = list(W)
    H = sp.Matrix(6, 6, lambda i, j: sp.diff(L, w[i], w[j]))
    depends = sorted(str(s) for s in H.free_symbols & set(t))
    return residual_evidence("Hessian - (1/N) sum kron(x x^T, S(p))",
                             {"(N, D, K) = (1, 2, 3)": H - symbolic_kron_hessian(X, symbolic_softmax(W, X))},
                             also={"the Hessian contains no target symbol": not depends},
                             measurements={"target symbols in the Hessian": depends})


def exact_kernel_evidence() -> Evidence:
    """P1-3, exactly: H vec(e_d 1^T) = 0 for symbolic W, X (N=1, D=2, K=3); exact rank of H at rational points.

    At ``W_dk = log(integer)`` and integer X every probability is rational,
    so H is a rational matrix and its rank is exact: ``(K - 1) rank X``.
    """
    ce = sympy_impl()
    W, X, Y, _ = symbolic_problem(1, 2, 3)
    H = sp.Matrix(ce.hessian(as_objects(W), as_objects(X), as_objects(Y)))
    residuals = {}
    for d in range(2):
        V = sp.zeros(2, 3)
        V[d, :] = sp.ones(1, 3)
        residuals[f"H vec(e_{d} 1^T) = 0 (symbolic W, X; N=1, D=2, K=3)"] = H * sp.Matrix(list(V))
    ranks, dimensions = {}, {}
    primes = [2, 3, 5, 7, 11, 13]
    targets = sp.Matrix([[sp.Rational(1, 2), sp.Rational(1, 4), sp.Rational(1, 4)], [0, 1, 0]])
    for label, Xq in [("N=2, D=2; rank X = 2", sp.Matrix([[1, 2], [3, -1]])), ("N=2, D=2; rank X = 1", sp.Matrix([[1, 2], [2, 4]]))]:
        Wq = sp.Matrix(2, 3, lambda d, k: sp.log(primes[d * 3 + k]))
        Hq = sp.Matrix(ce.hessian(as_objects(Wq), as_objects(Xq), as_objects(targets))).applyfunc(
            lambda e: sp.cancel(sp.expand(e, power_exp=True, log=False)))
        rational = all(e.is_Rational for e in Hq)
        predicted = 2 * 3 - 2 * Xq.rank()
        nullity = len(Hq.nullspace()) if rational else None
        ranks[label] = {"rational": rational, "kernel_dimension": nullity, "predicted D K - (K-1) rank X": predicted}
        dimensions[f"kernel dimension = D K - (K-1) rank X at W = log(primes) ({label})"] = nullity == predicted
    return residual_evidence("H on the shift directions u 1^T, and the exact kernel dimension", residuals,
                             also=dimensions, measurements={"exact kernel dimensions at W = log(primes)": ranks})


def exact_factored_hessian_evidence() -> Evidence:
    """P2-1, exactly: the Hessian of the SymPy implementation minus the factored form at (N, D, K) = (1, 2, 3), and
    the Kronecker sum minus the factored form for free X and probabilities at (3, 2, 3), simplify to 0."""
    W, X, Y, _ = symbolic_problem(1, 2, 3)
    H = sp.Matrix(sympy_impl().hessian(as_objects(W), as_objects(X), as_objects(Y)))
    residuals = {"Hessian of the loss (N=1, D=2, K=3)": H - symbolic_factored_hessian(X, symbolic_softmax(W, X))}
    X3 = sp.Matrix(3, 2, lambda n, d: sp.Symbol(f"x{n}{d}", real=True))
    P3 = sp.Matrix(3, 3, lambda n, k: sp.Symbol(f"p{n}{k}", positive=True))
    residuals["Kronecker sum = factored form (free p; N=3, D=2, K=3)"] = \
        (symbolic_kron_hessian(X3, P3) - symbolic_factored_hessian(X3, P3)).applyfunc(sp.expand)
    return residual_evidence("Hessian - (X kron I)^T M (X kron I) / N", residuals)

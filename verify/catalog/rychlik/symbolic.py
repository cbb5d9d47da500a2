"""The SymPy side of the Rychlik checks: symbolic problems and the closed forms written in SymPy.

Identities (P1-1, P1-2, P2-1) are proved at small shapes by differentiating
the SymPy implementation's loss and simplifying the residual against these
forms to exactly 0.
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


def exact_kernel_evidence() -> Evidence:
    """SymPy: H vec(e_d 1^T) = 0 for symbolic W, X (N=1, D=2, K=3); exact rank of H at rational points.

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

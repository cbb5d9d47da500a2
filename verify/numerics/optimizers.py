"""Optimizers that turn the convergence claims into experiments.

Everything here reaches an implementation only through the interface
(``loss``, ``grad``, ``loss_grad``, ``hessian``), so the same experiment runs
on every implementation. Conventions are the project's (``DESIGN.md``):
``X`` is (N, D), ``W`` is (D, K), the loss is the (sample-weighted) mean
cross-entropy, and the Hessian acts on ``W.ravel()`` in C order (index
``d*K + k``).

Contents
--------
* :func:`lipschitz_bound`: the global Lipschitz constant of the gradient
  (rychlik F6, mean loss).
* :func:`gradient_descent`: fixed-step gradient descent with a record of the
  loss, the gradient norm and the weight norm, and a count of the steps where
  the loss went up (folklore F17, rychlik P1-4, S1, S7).
* :func:`kernel_complement_basis`, :func:`kernel_dimension`: the subspace
  ``K⊥`` on which the Hessian is positive definite (rychlik F4, S2).
* :func:`newton_on_complement`: Newton's method on ``W0 + K⊥``, which either
  certifies that a minimizer exists and returns it, or reports from the run
  that none exists (rychlik F10, P2-2, S1, S3).
* :func:`restricted_hessian_extremes`, :func:`predicted_rate`,
  :func:`contraction_ratios`: the local rate of gradient descent and its
  measurement (rychlik F8, P2-3).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

import impls

__all__ = [
    "GDResult",
    "NewtonResult",
    "contraction_ratios",
    "gradient_descent",
    "kernel_complement_basis",
    "kernel_dimension",
    "lipschitz_bound",
    "loss_increase_tolerance",
    "newton_on_complement",
    "predicted_rate",
    "restricted_hessian_extremes",
]

# Most history points kept by ``to_dict`` (the JSON results stay small).
JSON_HISTORY_POINTS = 200

# Armijo sufficient-decrease constant and the smallest step fraction tried by
# Newton's backtracking line search (standard values, Nocedal & Wright ch. 3).
ARMIJO_C = 1e-4
MIN_STEP_FRACTION = 2.0**-40


# --------------------------------------------------------------------------
# Small helpers
# --------------------------------------------------------------------------


def _eps(*arrays) -> float:
    return float(np.finfo(np.result_type(*arrays)).eps)


def loss_increase_tolerance(loss, eps: float) -> float:
    """Largest change of the loss that is attributed to rounding, ``4 eps max(1, |loss|)``.

    Each computed loss carries an error of at most about ``2 eps max(1,
    |loss|)``: the log-sum-exp is ``max + log1p(rest)`` (relative error a few
    ``u = eps/2`` on each term), the target dot product and the mean add
    ``gamma_K`` and ``gamma_N`` relative to terms whose size is that of the
    loss (or of 1 when the loss is tiny and the terms cancel). The difference
    of two such values carries at most twice that, hence ``4 eps max(1,
    |loss|)``. For logits far beyond unit size the cancellation inside each
    term can exceed this; the count of increases is then an upper bound.
    """
    return 4.0 * eps * max(1.0, abs(float(loss)))


def _check_sample_weight_support(impl, sample_weight) -> dict:
    if sample_weight is None:
        return {}
    if not impls.capabilities_of(impl).sample_weight:
        name = getattr(impl, "name", type(impl).__name__)
        raise TypeError(f"sample_weight: implementation {name!r} does not declare sample-weight support")
    return {"sample_weight": sample_weight}


def _loss_grad_function(impl, X, Y, sample_weight):
    """``W -> (loss, grad)``: one ``loss_grad`` pass when the implementation has it."""
    kw = _check_sample_weight_support(impl, sample_weight)
    loss_grad = getattr(impl, "loss_grad", None)
    if callable(loss_grad):
        return lambda W: loss_grad(W, X, Y, **kw)
    loss, grad = impl.loss, impl.grad
    return lambda W: (loss(W, X, Y, **kw), grad(W, X, Y, **kw))


def _initial_weights(W0, X, Y) -> np.ndarray:
    D, K = X.shape[1], Y.shape[1]
    if W0 is None:
        return np.zeros((D, K), dtype=X.dtype)
    W0 = np.array(W0, dtype=X.dtype)  # a copy: the caller's array is never modified
    if W0.shape != (D, K):
        raise ValueError(f"W0: expected shape (D, K) = ({D}, {K}), got {W0.shape}")
    return W0


def _as_float_arrays(X, Y):
    X = np.asarray(X)
    Y = np.asarray(Y)
    if X.ndim != 2 or Y.ndim != 2 or X.shape[0] != Y.shape[0]:
        raise ValueError(f"X, Y: expected shapes (N, D) and (N, K), got {X.shape} and {Y.shape}")
    if X.dtype.kind != "f":
        raise TypeError(f"X: expected a floating array, got dtype {X.dtype}")
    return X, Y


def _subsample_indices(n: int, limit: int = JSON_HISTORY_POINTS) -> np.ndarray:
    """At most ``limit`` indices of ``range(n)``: half evenly spaced, half log-spaced, first and last kept.

    Log-spacing keeps the early iterations and the per-decade behaviour (e.g.
    the ``log k`` growth of ``||W||`` in rychlik S1) visible; even spacing
    keeps the late ones.
    """
    if n <= limit:
        return np.arange(n)
    half = limit // 2
    lin = np.linspace(0, n - 1, half).round().astype(int)
    log = (np.geomspace(1, n, limit - half).round().astype(int) - 1).clip(0, n - 1)
    return np.unique(np.concatenate([lin, log, [0, n - 1]]))


def _history_to_dict(history: dict[str, np.ndarray]) -> dict[str, list]:
    n = len(history["iteration"])
    idx = _subsample_indices(n)
    out = {}
    for key, values in history.items():
        values = np.asarray(values)[idx]
        out[key] = [int(v) for v in values] if values.dtype.kind in "iu" else [float(v) for v in values]
    return out


def _require_method(impl, method: str, who: str):
    fn = getattr(impl, method, None)
    if not callable(fn):
        name = getattr(impl, "name", type(impl).__name__)
        raise TypeError(f"{who} needs impl.{method}(W, X, Y); implementation {name!r} does not provide {method!r}")
    return fn


# --------------------------------------------------------------------------
# The Lipschitz constant of the gradient
# --------------------------------------------------------------------------


def lipschitz_bound(X, sample_weight=None) -> float:
    """Global Lipschitz constant of the gradient of the mean loss, ``lambda_max(X^T X) / (2N)``.

    Derivation (rychlik F6, converted to the mean loss). The Hessian is

    .. math:: H(W) = \\frac{1}{S} \\sum_n s_n \\, x_n x_n^T \\otimes S(p_n),
              \\qquad S(p) = \\operatorname{diag}(p) - p p^T,

    with ``S = sum_n s_n`` (``s_n = 1``, ``S = N`` without weights). The
    softmax covariance satisfies ``0 <= S(p) <= 1/2 I`` for every
    probability vector ``p`` (its largest eigenvalue is at most
    ``min(max_k p_k, 1/2)``, rychlik F5). Each Kronecker term is therefore
    between 0 and ``x_n x_n^T ⊗ I / 2``, and summing,

    .. math:: \\|H(W)\\|_2 \\le \\frac{1}{2S} \\lambda_{\\max}\\Big(\\sum_n s_n x_n x_n^T\\Big)
              = \\frac{\\lambda_{\\max}(X^T \\operatorname{diag}(s) X)}{2 S},

    for every ``W``. This ``L`` is what the descent lemma needs: a step
    ``eta <= 1/L`` never increases the loss, and any ``eta < 2/L`` gives
    monotone convergence of the loss (rychlik P1-4, S7).

    Parameters
    ----------
    X : array of shape (N, D)
    sample_weight : array of shape (N,), optional, entries >= 0, not all zero.

    Returns
    -------
    float
        ``L``. It is 0 only when ``X`` is zero (then any step is exact).
    """
    X = np.asarray(X, dtype=np.float64)
    if X.ndim != 2:
        raise ValueError(f"X: expected a 2-D array of shape (N, D), got shape {X.shape}")
    if sample_weight is None:
        total = X.shape[0]
        A = X
    else:
        s = np.asarray(sample_weight, dtype=np.float64)
        if s.shape != (X.shape[0],) or np.any(s < 0) or not np.any(s > 0):
            raise ValueError("sample_weight: expected shape (N,), entries >= 0, not all zero")
        total = float(s.sum())
        A = np.sqrt(s)[:, None] * X
    if A.size == 0:
        return 0.0
    return float(np.linalg.norm(A, 2) ** 2 / (2 * total))


# --------------------------------------------------------------------------
# Gradient descent
# --------------------------------------------------------------------------


@dataclass
class GDResult:
    """The outcome of :func:`gradient_descent`.

    Attributes
    ----------
    W : array of shape (D, K)
        The last iterate.
    step : float
        The step size used.
    L : float
        The Lipschitz bound :func:`lipschitz_bound` (the step is a multiple of ``1/L``).
    n_iter : int
        Number of gradient steps taken.
    loss, grad_norm : float
        Loss and Frobenius norm of the gradient at ``W``.
    n_increases : int
        Number of steps where the loss went up by more than
        :func:`loss_increase_tolerance` (``4 eps max(1, |loss|)``).
    max_increase : float
        Largest loss increase of one step (``-inf`` when no step was taken);
        it may be at rounding level even when ``n_increases == 0``.
    converged : bool
        Whether ``grad_norm <= grad_tol`` was reached (never, with the default
        ``grad_tol = 0``, unless the gradient is exactly zero).
    stopped_by_callback : bool
    history : dict of str -> array
        ``iteration`` (int), ``loss``, ``grad_norm``, ``W_norm`` (Frobenius),
        recorded every ``record_every`` steps and at the last iterate.
    W_history : array of shape (n_iter + 1, D, K) or None
        Every iterate ``W_0, ..., W_n`` when ``record_W=True``.
    """

    W: np.ndarray
    step: float
    L: float
    n_iter: int
    loss: float
    grad_norm: float
    n_increases: int
    max_increase: float
    converged: bool
    stopped_by_callback: bool
    history: dict[str, np.ndarray]
    W_history: np.ndarray | None = field(default=None, repr=False)

    def to_dict(self) -> dict:
        """JSON-friendly summary: plain floats and lists, history cut to at most 200 points."""
        return {
            "W": np.asarray(self.W, dtype=np.float64).tolist(),
            "step": float(self.step),
            "L": float(self.L),
            "step_times_L": float(self.step * self.L),
            "n_iter": int(self.n_iter),
            "loss": float(self.loss),
            "grad_norm": float(self.grad_norm),
            "n_increases": int(self.n_increases),
            "max_increase": float(self.max_increase) if math.isfinite(self.max_increase) else None,
            "converged": bool(self.converged),
            "stopped_by_callback": bool(self.stopped_by_callback),
            "history": _history_to_dict(self.history),
        }


def gradient_descent(
    impl,
    X,
    Y,
    W0=None,
    *,
    step_multiplier: float = 1.0,
    step: float | None = None,
    max_iter: int = 10_000,
    grad_tol: float = 0.0,
    record_every: int = 1,
    record_W: bool = False,
    callback=None,
    sample_weight=None,
) -> GDResult:
    """Fixed-step gradient descent ``W_{k+1} = W_k - step * grad L(W_k)``.

    Parameters
    ----------
    impl : an implementation (``impls.get(...)`` or a user's object).
        Uses ``loss_grad`` when present (one pass per step), else ``loss``
        and ``grad``.
    X : array of shape (N, D)
    Y : array of shape (N, K), rows in the simplex.
    W0 : array of shape (D, K), optional
        Starting point; zeros by default. Not modified.
    step_multiplier : float
        The step is ``step_multiplier / L`` with ``L = lipschitz_bound(X,
        sample_weight)``: 1 is the classical safe step, below 2 the loss still
        decreases monotonically, above 2 monotonicity can break (S7, F17).
    step : float, optional
        An explicit step size; overrides ``step_multiplier``.
    max_iter : int
        Number of steps to take at most.
    grad_tol : float
        Stop as soon as ``||grad||_F <= grad_tol``.
    record_every : int
        Record the history every this many steps (and always at the end).
    record_W : bool
        Keep every iterate in ``W_history`` (for :func:`contraction_ratios`;
        memory ``(max_iter + 1) D K`` floats).
    callback : callable, optional
        ``callback(k, W, loss, grad)`` after each evaluation; returning a
        true value stops the run.
    sample_weight : array of shape (N,), optional
        Passed to the implementation (which must declare support).

    Returns
    -------
    GDResult
    """
    X, Y = _as_float_arrays(X, Y)
    if int(record_every) < 1:
        raise ValueError(f"record_every: expected a positive integer, got {record_every!r}")
    if int(max_iter) < 0:
        raise ValueError(f"max_iter: expected a non-negative integer, got {max_iter!r}")
    record_every, max_iter = int(record_every), int(max_iter)
    L = lipschitz_bound(X, sample_weight)
    if step is None:
        if L == 0:
            raise ValueError("X: is zero, so the Lipschitz bound is 0 and step_multiplier / L is undefined; pass step=")
        step = float(step_multiplier) / L
    step = float(step)
    if not step > 0 or not math.isfinite(step):
        raise ValueError(f"step: expected a positive finite step size, got {step!r}")

    f = _loss_grad_function(impl, X, Y, sample_weight)
    eps = _eps(X, Y)
    W = _initial_weights(W0, X, Y)
    step_t = W.dtype.type(step)

    it_rec, loss_rec, gnorm_rec, wnorm_rec = [], [], [], []
    W_hist = [W] if record_W else None
    n_increases = 0
    max_increase = -math.inf
    converged = stopped = False

    loss, G = f(W)
    loss = float(loss)
    k = 0
    while True:
        gnorm = math.sqrt(float(np.vdot(G, G)))
        if gnorm <= grad_tol:
            converged = True
        if callback is not None and callback(k, W, loss, G):
            stopped = True
        last = converged or stopped or k == max_iter
        if last or k % record_every == 0:
            it_rec.append(k)
            loss_rec.append(loss)
            gnorm_rec.append(gnorm)
            wnorm_rec.append(math.sqrt(float(np.vdot(W, W))))
        if last:
            break
        W = W - step_t * G
        new_loss, G = f(W)
        new_loss = float(new_loss)
        increase = new_loss - loss
        if increase > max_increase:
            max_increase = increase
        if increase > 4.0 * eps * max(1.0, abs(loss)):  # loss_increase_tolerance, inlined: it runs every step
            n_increases += 1
        loss = new_loss
        k += 1
        if record_W:
            W_hist.append(W)

    history = {
        "iteration": np.asarray(it_rec, dtype=np.int64),
        "loss": np.asarray(loss_rec),
        "grad_norm": np.asarray(gnorm_rec),
        "W_norm": np.asarray(wnorm_rec),
    }
    return GDResult(
        W=W,
        step=step,
        L=L,
        n_iter=k,
        loss=loss,
        grad_norm=gnorm_rec[-1],
        n_increases=n_increases,
        max_increase=max_increase,
        converged=converged,
        stopped_by_callback=stopped,
        history=history,
        W_history=np.asarray(W_hist) if record_W else None,
    )


# --------------------------------------------------------------------------
# The kernel of the Hessian and its complement
# --------------------------------------------------------------------------


def _row_space_basis(X, rtol=None) -> np.ndarray:
    """Orthonormal basis U_r (D x r) of range(X^T), the row space of X.

    A singular value counts as nonzero when it exceeds ``rtol * sigma_max``
    with ``rtol = eps * max(N, D)`` by default (``eps`` of X's dtype): the
    SVD is backward stable, so the computed singular values of X carry
    errors of order ``eps * max(N, D) * sigma_max`` (the rule of
    ``numpy.linalg.matrix_rank``); anything below is indistinguishable from 0.
    """
    X = np.asarray(X)
    if X.ndim != 2:
        raise ValueError(f"X: expected a 2-D array of shape (N, D), got shape {X.shape}")
    N, D = X.shape
    if rtol is None:
        rtol = _eps(X) * max(N, D)
    if X.size == 0:
        return np.zeros((D, 0))
    _, s, Vt = np.linalg.svd(np.asarray(X, dtype=np.float64), full_matrices=False)
    r = int(np.sum(s > rtol * s[0])) if s[0] > 0 else 0
    return Vt[:r].T.copy()


def _sum_zero_basis(K: int) -> np.ndarray:
    """Orthonormal basis B (K x (K-1)) of the vectors summing to zero (Helmert contrasts).

    Column j is ``(1, ..., 1, -(j+1), 0, ..., 0) / sqrt((j+1)(j+2))``.
    """
    B = np.zeros((K, K - 1))
    for j in range(K - 1):
        B[: j + 1, j] = 1.0
        B[j + 1, j] = -(j + 1)
        B[:, j] /= math.sqrt((j + 1) * (j + 2))
    return B


def kernel_complement_basis(X, K: int, rtol=None) -> np.ndarray:
    """Orthonormal basis of ``K⊥``, the subspace where the Hessian is positive definite.

    With ``W`` of shape (D, K) (so the logits of sample n are ``x_n^T W``),
    the Hessian's quadratic form is ``(1/S) sum_n s_n Var_{p_n}(x_n^T V)``
    (rychlik F3), which vanishes exactly when every ``x_n^T V`` is a constant
    vector: the kernel is

    .. math:: \\mathcal K = \\{V : X V \\text{ has rows in } \\operatorname{span}(1_K)\\}
              = \\{u 1_K^T : u \\in \\mathbb R^D\\} + \\{V : \\text{columns in } \\operatorname{null}(X)\\},

    for every finite W (rychlik F4), and its orthogonal complement
    (Frobenius inner product) is

    .. math:: \\mathcal K^\\perp = \\{V : V 1_K = 0 \\text{ and every column of } V
              \\text{ lies in } \\operatorname{range}(X^T)\\}.

    Its dimension is ``(K - 1) rank(X)``; that of the kernel is
    :func:`kernel_dimension`. (Rychlik writes W as K x D, so his ``1^T V = 0``
    and "rows in range(X)" are our ``V 1 = 0`` and "columns in range(X^T)".)

    The basis is ``P = kron(U_r, B)``: ``U_r`` (D x r) is an orthonormal
    basis of the row space of X (:func:`_row_space_basis`, rank tolerance
    ``eps * max(N, D) * sigma_max``), ``B`` (K x (K-1)) one of ``1_K⊥``.
    Entry ``[d*K + k, i*(K-1) + j]`` of the Kronecker product is
    ``U_r[d, i] B[k, j]``, so column ``(i, j)`` is ``U_r[:, i] B[:, j]^T``
    flattened in C order, the order the Hessian uses.

    Parameters
    ----------
    X : array of shape (N, D)
    K : int, number of classes (>= 2).
    rtol : float, optional
        Relative rank tolerance (default ``eps * max(N, D)``, eps of X's dtype).

    Returns
    -------
    P : float64 array of shape (D*K, r*(K-1))
        Orthonormal columns: ``P^T P = I``, and ``P^T H P`` is the Hessian
        restricted to ``K⊥``.
    """
    if not isinstance(K, (int, np.integer)) or K < 2:
        raise ValueError(f"K: expected an integer number of classes >= 2, got {K!r}")
    return np.kron(_row_space_basis(X, rtol), _sum_zero_basis(int(K)))


def kernel_dimension(X, K: int, rtol=None) -> int:
    """Dimension of the Hessian's kernel, ``D*K - (K-1) rank(X)`` (rychlik F4, S2)."""
    X = np.asarray(X)
    r = _row_space_basis(X, rtol).shape[1]
    return int(X.shape[1] * K - (K - 1) * r)


def _reduced_hessian(impl, W, X, Y, P, sample_weight) -> np.ndarray:
    hessian = _require_method(impl, "hessian", "the Hessian restricted to K⊥")
    kw = _check_sample_weight_support(impl, sample_weight)
    H = np.asarray(hessian(W, X, Y, **kw), dtype=np.float64)
    Hr = P.T @ H @ P
    return (Hr + Hr.T) / 2


def restricted_hessian_extremes(impl, W, X, Y, sample_weight=None) -> tuple[float, float]:
    """``(m, M)``: smallest and largest eigenvalue of the Hessian restricted to ``K⊥``.

    That is, of ``P^T H(W) P`` with ``P = kernel_complement_basis(X, K)``.
    At the minimizer ``W*`` these are the ``m`` and ``M`` of rychlik F8 /
    P2-3. Requires ``impl.hessian``.
    """
    X, Y = _as_float_arrays(X, Y)
    P = kernel_complement_basis(X, Y.shape[1])
    if P.shape[1] == 0:
        raise ValueError("X: has rank 0, so K⊥ is {0} and the restricted Hessian is empty")
    ev = np.linalg.eigvalsh(_reduced_hessian(impl, W, X, Y, P, sample_weight))
    return float(ev[0]), float(ev[-1])


# --------------------------------------------------------------------------
# Newton's method on W0 + K⊥
# --------------------------------------------------------------------------


@dataclass
class NewtonResult:
    """The outcome of :func:`newton_on_complement`.

    Attributes
    ----------
    exists : bool or None
        True: a minimizer exists, certified by the run (see the Notes of
        :func:`newton_on_complement`), and ``W`` approximates it. False: the
        run shows that no minimizer exists (``W`` is then the last iterate,
        far out along a direction where the loss keeps decreasing). None: the
        run decided neither within ``max_iter``.
    reason : str
        Why the run stopped, with the numbers that decided it.
    W : array of shape (D, K)
        The last iterate (the minimizer in ``W0 + K⊥`` when ``exists``).
    loss, grad_norm : float
        At ``W``.
    n_iter : int
        Newton steps taken.
    converged : bool
        ``grad_norm < tol``.
    certificate : float
        ``2 e * lambda * c_W`` at ``W`` (below 1 certifies a minimizer
        nearby); ``inf`` when the reduced Hessian is singular.
    history : dict of str -> array, one entry per iterate
        ``iteration``, ``loss``, ``grad_norm``, ``W_norm``, ``newton_step_norm``
        (Frobenius norm of the full Newton step), ``decrement`` (Newton
        decrement ``lambda``), ``certificate``, ``hess_min``, ``hess_max``
        (extreme eigenvalues of the reduced Hessian) and ``step_fraction``
        (the line search's accepted fraction of the Newton step, NaN at the
        last iterate).
    """

    exists: bool | None
    reason: str
    W: np.ndarray
    loss: float
    grad_norm: float
    n_iter: int
    converged: bool
    certificate: float
    history: dict[str, np.ndarray]

    def to_dict(self) -> dict:
        """JSON-friendly summary (history cut to at most 200 points)."""
        return {
            "exists": self.exists,
            "reason": self.reason,
            "W": np.asarray(self.W, dtype=np.float64).tolist(),
            "loss": float(self.loss),
            "grad_norm": float(self.grad_norm),
            "n_iter": int(self.n_iter),
            "converged": bool(self.converged),
            "certificate": float(self.certificate) if math.isfinite(self.certificate) else None,
            "history": _history_to_dict(self.history),
        }


def _spread_constant(X, P, evals, evecs) -> float:
    """``c_W = max over n, k, l`` of ``max { (x_n^T V)_k - (x_n^T V)_l : ||V||_H <= 1, V in K⊥ }``.

    In reduced coordinates ``V = P v`` and ``||V||_H^2 = v^T Hr v``; a linear
    functional ``a^T v`` has maximum ``sqrt(a^T Hr^{-1} a)`` over that
    ellipsoid. With ``M = P Q Lambda^{-1/2}`` (``Hr = Q Lambda Q^T``), column
    j of M is a (D, K) matrix ``V_j`` and ``a^T Hr^{-1} a = sum_j (a . V_j)^2``.
    """
    D = X.shape[1]
    K = P.shape[0] // D
    M = (P @ (evecs / np.sqrt(evals))).reshape(D, K, -1)
    Z = np.einsum("nd,dkj->nkj", np.asarray(X, dtype=np.float64), M)  # (N, K, r)
    G = np.einsum("nkj,nlj->nkl", Z, Z)  # Gram matrix per sample
    diag = np.einsum("nkk->nk", G)
    spread_sq = diag[:, :, None] + diag[:, None, :] - 2 * G
    return float(np.sqrt(max(float(spread_sq.max()), 0.0)))


def newton_on_complement(
    impl,
    X,
    Y,
    W0=None,
    *,
    tol: float = 1e-12,
    max_iter: int = 100,
    max_norm: float = 1e6,
    sample_weight=None,
) -> NewtonResult:
    """Newton's method on ``W0 + K⊥``: find the minimizer there, or show that none exists.

    Each iteration solves ``(P^T H P) delta = -P^T g`` (``P`` from
    :func:`kernel_complement_basis`, ``g`` the gradient) and moves along
    ``P delta`` with a backtracking (halving) line search that accepts the
    first fraction ``t`` satisfying Armijo's condition
    ``L(W + t P delta) <= L(W) + c t g^T P delta + 4 eps max(1, |L(W)|)``
    (``c = 1e-4``; the last term lets the full step through once the loss is
    flat to rounding). Gradient descent never leaves ``W0 + K⊥`` either
    (rychlik F11), so both methods target the same point.

    Parameters
    ----------
    impl : an implementation with ``hessian`` (and ``loss``/``grad`` or ``loss_grad``).
    X : array of shape (N, D)
    Y : array of shape (N, K)
    W0 : array of shape (D, K), optional (zeros by default).
    tol : float
        Gradient tolerance, ``||grad||_F < tol``.
    max_iter : int
        Newton steps at most.
    max_norm : float
        An iterate with ``||W||_F > max_norm`` decides "no minimizer".
    sample_weight : array of shape (N,), optional

    Returns
    -------
    NewtonResult

    Raises
    ------
    TypeError
        When the implementation has no ``hessian`` method.

    Notes
    -----
    **Existence is certified, not assumed.** A small gradient alone does not
    show that a minimizer exists: on separable data (rychlik S1) the Newton
    iterates run off to infinity with the gradient *and* the curvature both
    decaying like ``exp(-margin)``, so ``||grad||`` drops below any ``tol``
    while the Newton step stays of unit size. The run therefore reports
    ``exists=True`` only when, at the current iterate ``W``, besides
    ``||grad|| < tol``,

    .. math:: 2 e \\, \\lambda(W) \\, c_W < 1,

    where ``lambda = sqrt(g^T Hr^{-1} g)`` is the Newton decrement and
    ``c_W`` (:func:`_spread_constant`) is the largest logit spread change
    ``max_n (max_k - min_k) (x_n^T V)`` over the unit ellipsoid
    ``V^T H(W) V <= 1`` in ``K⊥``. Why this proves existence: softmax
    probabilities change by a factor within ``exp(±sigma)`` when the logits
    move by a vector of spread ``sigma``, and ``Var_p`` is a minimum over
    centers of ``p``-weighted squares, so ``H(W + V) >= exp(-sigma(V)) H(W)``
    with ``sigma(V) = max_n spread(x_n^T V)``. Taylor's formula then gives,
    for ``V`` in ``K⊥`` with ``||V||_H = r``,
    ``L(W + V) >= L(W) - lambda r + exp(-r c_W) r^2 / 2``, which is
    ``> L(W)`` at ``r = 1 / c_W`` exactly when ``2 e lambda c_W < 1``. The
    convex function then has a minimum inside that ellipsoid of ``W + K⊥``
    (a stationary point, hence a global minimizer of L). The certificate is
    computed in floating point from the implementation's own Hessian.

    **Non-existence is read off the run**, with the certificate never
    holding at the last iterate:

    * ``||W||_F > max_norm``; or
    * the reduced Hessian has become numerically singular,
      ``lambda_min(P^T H P) <= dim * eps * L_bound`` (``L_bound`` from
      :func:`lipschitz_bound`, an upper bound on every eigenvalue of H): the
      curvature on ``K⊥``, positive at every finite W in exact arithmetic, has
      fallen to rounding level. For finite data this only happens once the
      softmax probabilities have saturated, i.e. after the iterates have
      moved far out along a direction in which the loss keeps decreasing
      toward an infimum it does not attain. The reason string quotes the
      growth of ``||W||`` and the decrease of the loss over the run.

    A minimizer so far out that its curvature is below rounding (targets
    with entries below about ``eps``) is, in float64, indistinguishable from
    none; the verdict is then "no minimizer within working precision".
    ``exists=None`` is returned when ``max_iter`` runs out or the line
    search stalls with neither criterion met.
    """
    X, Y = _as_float_arrays(X, Y)
    _require_method(impl, "hessian", "newton_on_complement")
    f = _loss_grad_function(impl, X, Y, sample_weight)
    loss_kw = _check_sample_weight_support(impl, sample_weight)
    loss_only = impl.loss
    K = Y.shape[1]
    P = kernel_complement_basis(X, K)
    dim = P.shape[1]
    eps = _eps(X, Y)
    L_bound = lipschitz_bound(X, sample_weight)
    W = _initial_weights(W0, X, Y)
    D = W.shape[0]

    rec = {key: [] for key in (
        "iteration", "loss", "grad_norm", "W_norm", "newton_step_norm",
        "decrement", "certificate", "hess_min", "hess_max", "step_fraction",
    )}

    def stopped_short(certified: str, undecided: str) -> tuple[bool | None, str]:
        """Where the run stops before ||grad|| reaches tol: a minimizer is certified, or the run is undecided."""
        if certificate < 1:
            return True, f"minimizer certified (2e*decrement*c_W = {certificate:.3g} < 1){certified}"
        return exists, f"undecided: {undecided}; " + growth_summary()

    def growth_summary() -> str:
        return (
            f"over {len(rec['iteration']) - 1} Newton steps ||W||_F grew from {rec['W_norm'][0]:.4g} "
            f"to {rec['W_norm'][-1]:.4g} while the loss decreased from {rec['loss'][0]:.6g} "
            f"to {rec['loss'][-1]:.6g} and ||grad||_F from {rec['grad_norm'][0]:.3g} to {rec['grad_norm'][-1]:.3g}"
        )

    exists: bool | None = None
    reason = ""
    certificate = math.inf
    k = 0
    loss, G = f(W)
    loss = float(loss)
    while True:
        gnorm = math.sqrt(float(np.vdot(G, G)))
        wnorm = math.sqrt(float(np.vdot(W, W)))
        if dim == 0:  # X = 0: the loss is constant, every W is a minimizer
            rec_row = dict(newton_step_norm=0.0, decrement=0.0, certificate=0.0, hess_min=math.nan, hess_max=math.nan)
            certificate = 0.0
            singular = False
            direction = None
        else:
            g = P.T @ G.ravel().astype(np.float64)
            Hr = _reduced_hessian(impl, W, X, Y, P, sample_weight)
            evals, evecs = np.linalg.eigh(Hr)
            singular = not evals[0] > dim * eps * L_bound
            if singular:
                certificate = math.inf
                direction = None
                rec_row = dict(newton_step_norm=math.nan, decrement=math.nan, certificate=math.inf,
                               hess_min=float(evals[0]), hess_max=float(evals[-1]))
            else:
                delta = -(evecs @ ((evecs.T @ g) / evals))
                decrement = math.sqrt(max(float(-(g @ delta)), 0.0))
                certificate = 2 * math.e * decrement * _spread_constant(X, P, evals, evecs)
                direction = (P @ delta).reshape(D, K).astype(W.dtype)
                rec_row = dict(newton_step_norm=float(np.linalg.norm(delta)), decrement=decrement,
                               certificate=certificate, hess_min=float(evals[0]), hess_max=float(evals[-1]))
        rec["iteration"].append(k)
        rec["loss"].append(loss)
        rec["grad_norm"].append(gnorm)
        rec["W_norm"].append(wnorm)
        for key, value in rec_row.items():
            rec[key].append(value)

        if certificate < 1 and (gnorm < tol or direction is None):
            exists = True
            reason = (f"minimizer certified: ||grad||_F = {gnorm:.3g} < tol = {tol:.3g} and "
                      f"2e*decrement*c_W = {certificate:.3g} < 1 after {k} Newton steps")
            break
        if wnorm > max_norm:
            exists = False
            reason = f"no minimizer: ||W||_F = {wnorm:.4g} exceeds max_norm = {max_norm:.4g}; " + growth_summary()
            break
        if singular:
            exists = False
            reason = (f"no minimizer (within working precision): the Hessian restricted to K⊥ became numerically "
                      f"singular, lambda_min = {rec_row['hess_min']:.3g} <= dim*eps*L = {dim * eps * L_bound:.3g}, "
                      f"without the existence certificate ever holding; " + growth_summary())
            break
        if k >= max_iter:
            exists, reason = stopped_short(
                f" but ||grad||_F = {gnorm:.3g} did not reach tol = {tol:.3g} in max_iter = {max_iter} Newton steps",
                f"max_iter = {max_iter} Newton steps, ||grad||_F = {gnorm:.3g}, certificate = {certificate:.3g}")
            break

        slope = float(np.vdot(G, direction))
        slack = loss_increase_tolerance(loss, eps)
        t = 1.0
        while True:
            W_try = W + W.dtype.type(t) * direction
            loss_try = float(loss_only(W_try, X, Y, **loss_kw))
            if loss_try <= loss + ARMIJO_C * t * slope + slack:
                break
            t /= 2
            if t < MIN_STEP_FRACTION:
                break
        if t < MIN_STEP_FRACTION:
            exists, reason = stopped_short(
                f"; the line search stalled at rounding level with ||grad||_F = {gnorm:.3g} (tol = {tol:.3g})",
                f"the line search found no decrease along the Newton step "
                f"(||grad||_F = {gnorm:.3g}, certificate = {certificate:.3g})")
            break
        rec["step_fraction"].append(t)
        W = W_try
        loss, G = f(W)
        loss = float(loss)
        k += 1

    if len(rec["step_fraction"]) < len(rec["iteration"]):
        rec["step_fraction"].append(math.nan)
    history = {key: np.asarray(v, dtype=np.int64 if key == "iteration" else np.float64) for key, v in rec.items()}
    return NewtonResult(
        exists=exists,
        reason=reason,
        W=W,
        loss=loss,
        grad_norm=rec["grad_norm"][-1],
        n_iter=k,
        converged=rec["grad_norm"][-1] < tol,
        certificate=certificate,
        history=history,
    )


# --------------------------------------------------------------------------
# Local rate of gradient descent
# --------------------------------------------------------------------------


def predicted_rate(m: float, M: float, eta: float) -> float:
    """Local contraction factor of gradient descent, ``max(|1 - eta m|, |1 - eta M|)`` (rychlik F8).

    ``m <= M`` are the extreme eigenvalues of the Hessian restricted to
    ``K⊥`` at the minimizer. The factor is below 1 exactly for
    ``0 < eta < 2/M``; it is smallest, ``(M - m)/(M + m)``, at ``eta = 2/(m + M)``.
    """
    return float(max(abs(1 - eta * m), abs(1 - eta * M)))


def contraction_ratios(history_W, W_star, lo: float = 1e-11, hi: float = 1e-3) -> np.ndarray:
    """Per-step ratios ``||W_{k+1} - W*||_F / ||W_k - W*||_F`` in the measurable range.

    Only steps where both errors lie in ``[lo, hi]`` count (rychlik P2-3):
    above ``hi`` the iterates are not yet in the linear regime, below ``lo``
    the rounding of the gradient (about ``eps`` times the size of its terms)
    dominates the error and the ratio drifts toward 1.

    Parameters
    ----------
    history_W : array of shape (n, D, K)
        Consecutive iterates (``GDResult.W_history``).
    W_star : array of shape (D, K)
        The minimizer the iterates converge to (from :func:`newton_on_complement`).
        Its own error must be well below ``lo``: run Newton with ``tol=1e-14``
        (the default ``1e-12`` leaves an error of about ``1e-12 / m``, which
        biases the ratios measured near ``lo``).

    Returns
    -------
    array of shape (m,)
        The ratios, in iteration order (empty when no step qualifies).
    """
    Ws = np.asarray(history_W, dtype=np.float64)
    errors = np.sqrt(((Ws - np.asarray(W_star, dtype=np.float64)[None]) ** 2).reshape(len(Ws), -1).sum(axis=1))
    inside = (errors >= lo) & (errors <= hi)
    both = inside[:-1] & inside[1:]
    return errors[1:][both] / errors[:-1][both]

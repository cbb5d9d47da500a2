"""Models trained to tight stationarity, for the stationarity identities of Li, Li, Pan, Zhu (catalog li2020).

Two heads on top of the features ``X`` (N, D), each ending in the last layer
``z_i = <v_k, h_i> + b_k`` of the catalog (B.1):

* ``linear``: ``h_i = x_i``;
* ``mlp``: one hidden tanh layer, ``h_i = tanh(A^T x_i + c)``, trained end to end.

The objective is the mean loss plus an L2 penalty on the weights only,

.. math:: J = L(Z, Y) + \\frac{\\lambda}{2} (\\|v\\|^2 + \\|A\\|^2)
          + \\frac{\\lambda_b}{2} \\|b\\|^2,

with the last-layer bias ``b`` free and unpenalised by default
(``bias_decay = 0``); ``bias=False`` removes it. The hidden bias ``c`` is
never penalised. A penalty on the weights keeps a finite minimiser on
separable data (without it none exists and the identities hold only in the
limit, catalog B.6).

Training is full-batch, float64: SciPy's L-BFGS-B with ``ftol = 0`` and a
tight ``gtol``, then Newton steps on the last layer ``(v, b)`` with the
features held fixed (convex there for the logistic and softmax losses, and
the bias equations are the last layer's), and for the MLP Newton steps on
all its parameters (Hessian-vector products by differences, MINRES). Every
fit records the largest entry of the whole gradient and of the bias
gradient, so a claim can state the stationarity it relied on. Also here:
constant-step minibatch SGD (``fit_sgd``) and the reweight / refit iteration
of a stop-gradient loss (``fit_reweight_refit``).

Fits are cached for the life of the process, keyed by the model, the data
(digests of ``X`` and ``Y``), the loss's ``spec`` and the options, so the
claims and the tests never refit the same model.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

import numpy as np
import scipy.linalg
import scipy.sparse.linalg
from scipy.optimize import minimize

from ...numerics.blas import single_threaded_blas

MODELS = ("linear", "mlp")

# L-BFGS: the gradient criterion is below what float64 can reach, so it stops
# when the line search can no longer decrease J (at |g| ~ sqrt(eps |J| mu),
# 1e-10 to 1e-9 measured); Newton then takes the gradient to rounding level.
LBFGS_GTOL = 1e-13
LBFGS_MAXITER = 20_000
LBFGS_MEMORY = 30
NEWTON_STEPS = 25
NEWTON_HALVINGS = 10
# The gradients are means of O(1) terms: their rounding floor is ~1e-17 to
# 1e-16, and 1e-15 is six decades below the stationarity the claims require.
NEWTON_GRADIENT_FLOOR = 1e-15
MINRES_RTOL = 1e-6
MINRES_MAXITER = 500
DEFAULT_HIDDEN = 8


def digest(*arrays) -> str:
    """A content digest of arrays (shape, dtype and bytes), for cache keys."""
    h = hashlib.sha1()
    for a in arrays:
        a = np.ascontiguousarray(a)
        h.update(str((a.shape, a.dtype.str)).encode())
        h.update(a.tobytes())
    return h.hexdigest()


@dataclass(frozen=True)
class HeadFit:
    """A fitted head and how stationary it is.

    Attributes
    ----------
    model : "linear" or "mlp"
    params : dict of arrays
        ``v`` (m, K) and ``b`` (K,) (no ``b`` without a bias); the MLP also
        ``A`` (D, m) and ``c`` (m,).
    l2, bias_decay : the penalties ``lambda`` (weights) and ``lambda_b``
        (last-layer bias).
    objective : the value of J at the fit.
    gradient_max : ``max |dJ/dtheta|`` over every parameter.
    bias_gradient_max : ``max_k |dJ/db_k|`` (NaN without a bias).
    iterations : L-BFGS iterations plus Newton steps.
    message : how the optimiser stopped.
    """

    model: str
    params: dict
    l2: float
    bias_decay: float
    objective: float
    gradient_max: float
    bias_gradient_max: float
    iterations: int
    message: str
    extra: dict = field(default_factory=dict)

    @property
    def has_bias(self) -> bool:
        return "b" in self.params

    def features(self, X) -> np.ndarray:
        """The last layer's inputs ``h_i``, array of shape (N, m)."""
        X = np.asarray(X, dtype=np.float64)
        if self.model == "linear":
            return X
        return np.tanh(X @ self.params["A"] + self.params["c"])

    def logits(self, X) -> np.ndarray:
        """``Z = H v + b``, array of shape (N, K)."""
        Z = self.features(X) @ self.params["v"]
        return Z + self.params["b"] if self.has_bias else Z


# --------------------------------------------------------------------------
# Objective and gradient
# --------------------------------------------------------------------------


class _Head:
    """Packing of the parameters into one vector, and J with its gradient."""

    def __init__(self, model, X, Y, loss, l2, bias, bias_decay, hidden):
        self.model, self.X, self.Y, self.loss = model, X, Y, loss
        self.l2, self.bias, self.bias_decay = float(l2), bool(bias), float(bias_decay)
        D, K = X.shape[1], Y.shape[1]
        m = D if model == "linear" else int(hidden)
        shapes = {}
        if model == "mlp":
            shapes["A"], shapes["c"] = (D, m), (m,)
        shapes["v"] = (m, K)
        if self.bias:
            shapes["b"] = (K,)
        self.shapes = shapes
        self.sizes = {k: int(np.prod(s)) for k, s in shapes.items()}

    def unpack(self, theta) -> dict:
        out, start = {}, 0
        for name, shape in self.shapes.items():
            n = self.sizes[name]
            out[name] = theta[start : start + n].reshape(shape)
            start += n
        return out

    @staticmethod
    def pack(params: dict) -> np.ndarray:
        return np.concatenate([np.ravel(params[k]) for k in params])

    def value_grad(self, theta, rows=None):
        """J and its gradient; with ``rows``, the loss term is the mean over those samples only (a minibatch)."""
        p = self.unpack(theta)
        X, Y = (self.X, self.Y) if rows is None else (self.X[rows], self.Y[rows])
        H = X if self.model == "linear" else np.tanh(X @ p["A"] + p["c"])
        Z = H @ p["v"] + (p["b"] if self.bias else 0.0)
        L, G = self.loss.logit_loss_grad(Z, Y)
        J = float(L) + 0.5 * self.l2 * float(np.sum(p["v"] ** 2))
        grads = {"v": H.T @ G + self.l2 * p["v"]}
        if self.bias:
            J += 0.5 * self.bias_decay * float(np.sum(p["b"] ** 2))
            grads["b"] = G.sum(axis=0) + self.bias_decay * p["b"]
        if self.model == "mlp":
            J += 0.5 * self.l2 * float(np.sum(p["A"] ** 2))
            back = (G @ p["v"].T) * (1.0 - H**2)
            grads["A"] = X.T @ back + self.l2 * p["A"]
            grads["c"] = back.sum(axis=0)
        return J, self.pack({k: grads[k] for k in self.shapes})

    def fitted(self, theta, *, iterations: int, message: str) -> HeadFit:
        """The ``HeadFit`` at ``theta``, with J and the stationarity of every parameter and of the bias."""
        J, g = self.value_grad(theta)
        grads = self.unpack(g)
        return HeadFit(
            model=self.model,
            params={k: v.copy() for k, v in self.unpack(theta).items()},
            l2=self.l2,
            bias_decay=self.bias_decay,
            objective=float(J),
            gradient_max=float(np.max(np.abs(g))),
            bias_gradient_max=float(np.max(np.abs(grads["b"]))) if self.bias else float("nan"),
            iterations=int(iterations),
            message=message,
        )

    def initial(self, seed: int) -> np.ndarray:
        rng = np.random.default_rng(seed)
        p = {}
        for name, shape in self.shapes.items():
            if name == "A" or (name == "v" and self.model == "mlp"):
                p[name] = rng.normal(scale=1.0 / np.sqrt(shape[0]), size=shape)
            else:
                p[name] = np.zeros(shape)
        return self.pack(p)

    # -- Newton polish --------------------------------------------------------

    def newton_last_layer(self, theta, steps=NEWTON_STEPS):
        """Newton steps on ``(v, b)`` with the features fixed; returns (theta, steps taken).

        The last layer is the linear model ``Z = [H, 1] [v; b]`` of the loss.
        With the loss's Hessian the step is the least-squares solution by QR
        with column pivoting (a fraction of the SVD's cost; a singular
        direction, such as the softmax's common shift of the biases, gets no
        step); without one (the fully differentiable candidate) it comes from
        ``minres_newton_step``.
        """
        p = self.unpack(theta)
        H = self.X if self.model == "linear" else np.tanh(self.X @ p["A"] + p["c"])
        Xt = np.concatenate([H, np.ones((H.shape[0], 1))], axis=1) if self.bias else H
        K = self.Y.shape[1]
        m = H.shape[1]
        penalty = np.full((Xt.shape[1], K), self.l2)
        if self.bias:
            penalty[m] = self.bias_decay

        def last(Wt):
            return self.loss.grad(Wt, Xt, self.Y) + penalty * Wt

        def solve(Wt, g):
            if self.loss.capabilities.hessian:
                Hs = self.loss.hessian(Wt, Xt, self.Y) + np.diag(penalty.ravel())
                return scipy.linalg.lstsq(Hs, -g.ravel(), lapack_driver="gelsy")[0].reshape(Wt.shape)
            return minres_newton_step(last, Wt, g)

        Wt = np.concatenate([p["v"], p["b"][None, :]], axis=0) if self.bias else p["v"].copy()
        Wt, taken = damped_newton(Wt, last, solve, steps)
        p["v"] = Wt[:m].copy()
        if self.bias:
            p["b"] = Wt[m].copy()
        return self.pack({k: p[k] for k in self.shapes}), taken

    def newton_all(self, theta, steps=NEWTON_STEPS):
        """Newton steps on every parameter of the MLP (``minres_newton_step`` on the backpropagated gradient)."""

        def gradient(t):
            return self.value_grad(t)[1]

        return damped_newton(theta, gradient, lambda t, g: minres_newton_step(gradient, t, g), steps)


def damped_newton(x, gradient, solve, steps):
    """Newton iterations ``x <- x + t s`` with ``s = solve(x, g)``; returns (x, steps taken).

    A step is kept when it lowers the largest gradient entry (near a minimum
    the objective changes below its rounding, the gradient does not),
    halving ``t`` up to ``NEWTON_HALVINGS`` times; the iteration stops at
    ``NEWTON_GRADIENT_FLOOR`` or when a step no longer halves the gradient
    (the rounding floor).
    """
    g = gradient(x)
    taken = 0
    for _ in range(steps):
        size = float(np.max(np.abs(g)))
        if size <= NEWTON_GRADIENT_FLOOR:
            break
        step = solve(x, g)
        t, new_size = 1.0, None
        for _ in range(NEWTON_HALVINGS):
            trial = x + t * step
            g_trial = gradient(trial)
            if float(np.max(np.abs(g_trial))) < size:
                x, g, new_size = trial, g_trial, float(np.max(np.abs(g_trial)))
                break
            t /= 2.0
        if new_size is None:
            break
        taken += 1
        if new_size > size / 2:
            break
    return x, taken


def minres_newton_step(gradient, x, g):
    """Solve ``H s = -g`` (H the Jacobian of ``gradient`` at ``x``) by MINRES on difference Hessian-vector products.

    Each product is a central difference of the analytic gradient with step
    ``eps**(1/3) max(1, |x|) / |v|`` (truncation and rounding balanced), so it
    carries a relative error ~1e-10; MINRES (symmetric, indefinite allowed)
    stops at a relative residual of ``MINRES_RTOL``. Both only slow Newton's
    quadratic convergence to a linear rate of that size.
    """
    scale = max(1.0, float(np.max(np.abs(x))))
    factor = np.finfo(np.float64).eps ** (1.0 / 3.0)

    def hvp(vec):
        V = vec.reshape(x.shape)
        size = float(np.max(np.abs(V)))
        if size == 0.0:
            return np.zeros_like(vec)
        h = factor * scale / size
        return ((gradient(x + h * V) - gradient(x - h * V)) / (2.0 * h)).ravel()

    n = x.size
    op = scipy.sparse.linalg.LinearOperator((n, n), matvec=hvp, dtype=np.float64)
    step, _ = scipy.sparse.linalg.minres(op, -np.ravel(g), rtol=MINRES_RTOL, maxiter=MINRES_MAXITER)
    return step.reshape(x.shape)


# --------------------------------------------------------------------------
# Fitting, cached
# --------------------------------------------------------------------------

_CACHE: dict = {}


def clear_cache() -> None:
    """Forget every fitted model (tests of the cache itself)."""
    _CACHE.clear()


def cache_size() -> int:
    return len(_CACHE)


def fit(
    model: str,
    X,
    Y,
    loss,
    *,
    l2: float,
    bias: bool = True,
    bias_decay: float = 0.0,
    hidden: int = DEFAULT_HIDDEN,
    seed: int = 0,
    gtol: float = LBFGS_GTOL,
    maxiter: int = LBFGS_MAXITER,
    polish: bool = True,
    init: dict | None = None,
) -> HeadFit:
    """Fit a head to stationarity (cached).

    Parameters
    ----------
    model : "linear" or "mlp"
    X : array of shape (N, D), float64
    Y : array of shape (N, K), the loss's targets (K = 1 for the binary logistic loss)
    loss : a loss of ``impls.reweighted`` whose gradient is a derivative
        (``capabilities.gradient_is_derivative``)
    l2 : the weight penalty ``lambda`` (> 0 keeps a finite minimiser)
    bias : whether the last layer has a bias
    bias_decay : the bias penalty ``lambda_b`` (0: free and unpenalised)
    hidden, seed : width and initialisation seed of the MLP (``seed`` is unused by the linear head)
    gtol, maxiter : L-BFGS options; a small ``maxiter`` with ``polish=False`` is early stopping
    polish : Newton steps after L-BFGS (last layer; then every parameter of an MLP)
    init : parameters to start from (a warm start), as in ``HeadFit.params``

    Returns
    -------
    HeadFit
    """
    if model not in MODELS:
        raise ValueError(f"model: expected one of {MODELS}, got {model!r}")
    if not getattr(loss.capabilities, "gradient_is_derivative", True):
        raise ValueError(f"loss: {loss.name} has a stop-gradient 'grad' that is no derivative; use fit_reweight_refit")
    X = np.ascontiguousarray(X, dtype=np.float64)
    Y = np.ascontiguousarray(Y, dtype=np.float64)
    key = (
        model, digest(X), digest(Y), loss.spec, float(l2), bool(bias), float(bias_decay),
        int(hidden) if model == "mlp" else None, int(seed) if model == "mlp" else None,
        float(gtol), int(maxiter), bool(polish), None if init is None else digest(*[init[k] for k in sorted(init)]),
    )
    if key in _CACHE:
        return _CACHE[key]
    head = _Head(model, X, Y, loss, l2, bias, bias_decay, hidden)
    theta0 = head.initial(seed) if init is None else head.pack({k: np.asarray(init[k], dtype=np.float64) for k in head.shapes})
    with single_threaded_blas():
        result = minimize(
            head.value_grad,
            theta0,
            jac=True,
            method="L-BFGS-B",
            options=dict(maxiter=int(maxiter), maxfun=4 * int(maxiter), gtol=float(gtol), ftol=0.0, maxcor=LBFGS_MEMORY),
        )
        theta, steps = result.x, 0
        if polish:
            theta, steps = head.newton_last_layer(theta)
            if model == "mlp":
                theta, more = head.newton_all(theta)
                steps += more
        out = head.fitted(theta, iterations=int(result.nit) + steps,
                          message=f"L-BFGS: {result.message}; Newton steps (last layer, then all parameters of an MLP): {steps}")
    _CACHE[key] = out
    return out


def fit_sgd(
    model: str,
    X,
    Y,
    loss,
    *,
    l2: float,
    learning_rate: float,
    epochs: int,
    batch_size: int,
    bias: bool = True,
    hidden: int = DEFAULT_HIDDEN,
    seed: int = 0,
) -> HeadFit:
    """Minibatch SGD at a constant learning rate (cached): the training regime of deep networks.

    Each epoch visits the samples in a fresh random order (``seed``), in
    batches of ``batch_size``; the step is ``-learning_rate`` times the
    minibatch gradient of J. No averaging of the iterates: the returned fit
    is the last iterate, whose full-batch gradient carries the SGD noise
    (catalog B.6: residuals of order learning rate times gradient noise).
    """
    X = np.ascontiguousarray(X, dtype=np.float64)
    Y = np.ascontiguousarray(Y, dtype=np.float64)
    key = ("sgd", model, digest(X), digest(Y), loss.spec, float(l2), float(learning_rate), int(epochs),
           int(batch_size), bool(bias), int(hidden) if model == "mlp" else None, int(seed))
    if key in _CACHE:
        return _CACHE[key]
    head = _Head(model, X, Y, loss, l2, bias, 0.0, hidden)
    theta = head.initial(seed)
    rng = np.random.default_rng(seed)
    N = X.shape[0]
    steps = 0
    with single_threaded_blas():
        for _ in range(int(epochs)):
            order = rng.permutation(N)
            for start in range(0, N, int(batch_size)):
                theta = theta - learning_rate * head.value_grad(theta, order[start : start + int(batch_size)])[1]
                steps += 1
        out = head.fitted(theta, iterations=steps,
                          message=f"SGD: {epochs} epochs of batches of {batch_size} at learning rate {learning_rate}")
    _CACHE[key] = out
    return out


@dataclass(frozen=True)
class ReweightRefit:
    """The stop-gradient candidate trained by the reweight / refit iteration.

    Attributes
    ----------
    fit : the last refit (stationary for the frozen weights ``omega``).
    omega : array of shape (N, K), the non-target weights the last refit used.
    changes : ``max |omega_{t+1} - omega_t|`` after each refit.
    converged : whether the last change is at most the tolerance.
    """

    fit: HeadFit
    omega: np.ndarray
    changes: tuple
    converged: bool
    tolerance: float


def fit_reweight_refit(
    model: str,
    X,
    Y,
    candidate,
    frozen_loss,
    *,
    l2: float,
    rounds: int,
    tolerance: float,
    hidden: int = DEFAULT_HIDDEN,
    seed: int = 0,
    gtol: float = LBFGS_GTOL,
) -> ReweightRefit:
    """Train the CANDIDATE with stop-gradient weights: freeze omega, fit to stationarity, recompute omega, repeat.

    Starts from omega = 1 (the unweighted one-vs-all LGL). ``candidate`` gives
    ``candidate_weights(Z, Y)``; ``frozen_loss(omega)`` builds the loss with
    frozen weights (``NonTargetWeightedLogistic``). Each refit is warm
    started from the previous one. Stops when ``max |omega_{t+1} - omega_t|
    <= tolerance`` or after ``rounds`` refits. Cached like ``fit``.
    """
    X = np.ascontiguousarray(X, dtype=np.float64)
    Y = np.ascontiguousarray(Y, dtype=np.float64)
    key = ("reweight-refit", model, digest(X), digest(Y), candidate.spec, float(l2), int(rounds), float(tolerance),
           int(hidden), int(seed), float(gtol))
    if key in _CACHE:
        return _CACHE[key]
    omega = np.where(Y == 1, 0.0, 1.0)
    current = fit(model, X, Y, frozen_loss(omega), l2=l2, hidden=hidden, seed=seed, gtol=gtol)
    changes = []
    for _ in range(int(rounds)):
        new = candidate.candidate_weights(current.logits(X), Y)
        changes.append(float(np.max(np.abs(new - omega))))
        if changes[-1] <= tolerance:
            break
        omega = new
        current = fit(model, X, Y, frozen_loss(omega), l2=l2, hidden=hidden, seed=seed, gtol=gtol, init=current.params)
    out = ReweightRefit(current, omega, tuple(changes), bool(changes and changes[-1] <= tolerance), float(tolerance))
    _CACHE[key] = out
    return out

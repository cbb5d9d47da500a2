"""Samplers for the depth-2 objectives: gradient descent, isotropic-noise SGD, minibatch SGD.

Every sampler runs ``M`` chains at once: ``theta`` has shape (M, dim) and one
call of the objective's batched ``grad`` advances all of them (no Python loop
over chains). Time is ``t = k s`` after ``k`` steps of learning rate ``s``.

* :func:`gradient_descent`: ``theta <- theta - s grad f(theta)``.
* :func:`isotropic_sgd`: the model of Shi, Su and Jordan that the theory
  analyses, ``theta <- theta - s grad f(theta) - s xi`` with ``xi ~ N(0, I)``,
  i.e. the Euler-Maruyama step ``dt = s`` of ``d theta = -grad f dt + sqrt(s) dB``
  (the noise ``s xi = sqrt(s) * sqrt(dt) xi``). With ``dt`` given separately, the
  same SDE is integrated with a smaller step.
* :func:`minibatch_sgd`: ``theta <- theta - s grad f_B(theta)``, ``f_B`` the
  regularized loss on ``b`` samples drawn uniformly with replacement for each
  chain and step: the SGD that is run in practice, whose noise depends on the
  state and is not isotropic.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np


@dataclass
class ChainRun:
    """Recorded observables of M chains.

    Attributes
    ----------
    times : array of shape (T,)
        The recorded times ``t = k s`` (``k dt`` for an SDE step ``dt``),
        starting with 0.
    observed : dict of name -> array of shape (T, M)
        Each observable at each recorded time, for each chain.
    theta : array of shape (M, dim)
        The final states.
    steps : int
        Number of steps taken.
    """

    times: np.ndarray
    observed: dict
    theta: np.ndarray
    steps: int
    settings: dict = field(default_factory=dict)

    def mean(self, name: str) -> np.ndarray:
        """The chain average of an observable at each recorded time, shape (T,)."""
        return self.observed[name].mean(axis=1)


def _as_chains(theta0, problem) -> np.ndarray:
    T = np.array(theta0, dtype=np.float64, copy=True)
    if T.ndim == 1:
        T = T[None, :]
    if T.ndim != 2 or T.shape[1] != problem.dim:
        raise ValueError(f"theta0: expected shape (M, {problem.dim}) (one row per chain), got {np.shape(theta0)}")
    if not np.all(np.isfinite(T)):
        raise ValueError("theta0: contains NaN or infinite entries")
    return T


def _check_step(name: str, value) -> float:
    value = float(value)
    if not (np.isfinite(value) and value > 0):
        raise ValueError(f"{name}: expected a positive step, got {value!r}")
    return value


def _check_batched(objective, minibatch: bool = False) -> None:
    caps = getattr(objective, "capabilities", None)
    if caps is None or not caps.batched:
        raise TypeError(f"objective: {getattr(objective, 'name', objective)!r} is not batched; the samplers need theta of shape (M, dim)")
    if minibatch and not caps.minibatch:
        raise TypeError(f"objective: {getattr(objective, 'name', objective)!r} does not take minibatch rows")


def _record(observables, T):
    return {name: np.asarray(fn(T), dtype=np.float64).reshape(T.shape[0]) for name, fn in observables.items()}


def _run(objective, problem, theta0, n_steps, record_every, observables, advance, dt, settings):
    T = _as_chains(theta0, problem)
    n_steps = int(n_steps)
    record_every = int(record_every)
    if n_steps < 0 or record_every < 1:
        raise ValueError(f"n_steps, record_every: expected n_steps >= 0 and record_every >= 1, got {n_steps}, {record_every}")
    if observables is None:
        observables = {"loss": lambda th: objective.loss(th, problem)}
    times, frames = [0.0], [_record(observables, T)]
    for k in range(1, n_steps + 1):
        T = advance(T)
        if k % record_every == 0 or k == n_steps:
            times.append(k * dt)
            frames.append(_record(observables, T))
    observed = {name: np.stack([f[name] for f in frames]) for name in observables}
    return ChainRun(np.array(times), observed, T, n_steps, settings)


def gradient_descent(objective, problem, theta0, step: float, n_steps: int, *, record_every: int = 1, observables=None) -> ChainRun:
    """Plain gradient descent from each row of ``theta0``, all rows at once."""
    _check_batched(objective)
    s = _check_step("step", step)
    def advance(T):
        return T - s * objective.grad(T, problem)

    return _run(objective, problem, theta0, n_steps, record_every, observables, advance, s,
                {"sampler": "gradient descent", "step": s})


def isotropic_sgd(objective, problem, theta0, s: float, n_steps: int, *, rng, dt: float | None = None,
                  record_every: int = 1, observables=None) -> ChainRun:
    """Isotropic-noise SGD, the Euler-Maruyama scheme of ``d theta = -grad f dt + sqrt(s) dB``.

    Parameters
    ----------
    objective : a batched depth-2 objective (``impls.depth2.get("numpy")``)
    problem : impls.depth2.Depth2Problem
    theta0 : array of shape (M, dim)
        Initial states, one per chain (draw them from an initial law).
    s : float
        Learning rate, which is also the temperature of the noise.
    n_steps : int
    rng : numpy Generator
    dt : float, optional
        Time step; ``None`` (default) is ``dt = s``, the SGD model
        ``theta <- theta - s grad f - s xi`` itself.
    record_every : int
        Record the observables every this many steps (and at the end).
    observables : dict of name -> callable (M, dim) -> (M,), optional
        Default: the loss.
    """
    _check_batched(objective)
    s = _check_step("s", s)
    dt = s if dt is None else _check_step("dt", dt)
    noise = np.sqrt(s * dt)
    rng = np.random.default_rng(rng)

    def advance(T):
        return T - dt * objective.grad(T, problem) - noise * rng.standard_normal(T.shape)

    return _run(objective, problem, theta0, n_steps, record_every, observables, advance, dt,
                {"sampler": "isotropic-noise SGD (Euler-Maruyama)", "s": s, "dt": dt})


def minibatch_sgd(objective, problem, theta0, s: float, n_steps: int, *, rng, batch_size: int = 1,
                  record_every: int = 1, observables=None) -> ChainRun:
    """Minibatch SGD: each chain steps along the gradient of ``batch_size`` uniformly drawn samples."""
    _check_batched(objective, minibatch=True)
    s = _check_step("s", s)
    b = int(batch_size)
    if b < 1:
        raise ValueError(f"batch_size: expected a positive integer, got {batch_size!r}")
    rng = np.random.default_rng(rng)

    def advance(T):
        rows = rng.integers(0, problem.n, size=(T.shape[0], b))
        return T - s * objective.grad(T, problem, rows=rows)

    return _run(objective, problem, theta0, n_steps, record_every, observables, advance, s,
                {"sampler": "minibatch SGD", "s": s, "batch_size": b})


def gaussian_chains(mean, std, M: int, rng) -> np.ndarray:
    """``M`` draws of ``N(mean, std^2 I)``, shape (M, dim): an initial law with finite chi^2."""
    mean = np.atleast_1d(np.asarray(mean, dtype=np.float64))
    return mean[None, :] + np.asarray(std, dtype=np.float64) * np.random.default_rng(rng).standard_normal((int(M), mean.size))

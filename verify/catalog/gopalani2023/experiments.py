"""The paper's experiments: Monte-Carlo chains, spectra on grids, multistart optimization, threshold tables.

* :func:`width_table` (A2, D2): convexity thresholds per width;
* :func:`bistable_experiment` (A3, A4, V-A2/V-A3): isotropic-noise SGD from
  the spurious well of the one-gate example, with its grid predictions;
* :func:`multistart` and :func:`local_minimum` (A6, V-A5; F4): certified
  local minima of L-BFGS starts on real data;
* :func:`floor_experiment` (D4, F7, V-A6): the long-run excess loss;
* :func:`gap_against_eyring_kramers` (D5, V-A2): the spectral gap as s -> 0;
* :func:`initial_laws_experiment` and :func:`gaussian_chi2_log` (F4):
  chi^2 of Gaussian initial laws to the Gibbs law;
* :func:`minibatch_experiment` (F5): isotropic-noise against minibatch SGD;
* :func:`discrete_chain` and :func:`discrete_chain_bias_table` (A3, F5, F8):
  the SGD chain itself on a grid, and its stationary bias.

The expensive runs are cached per process (``lru_cache``), so that claims
sharing one run (A3 and A4, D4 and F7) pay for it once.
"""

from __future__ import annotations

import math
from functools import lru_cache

import numpy as np
from scipy.optimize import minimize

from impls import depth2

from .. import datasets
from . import gibbs
from . import sgd
from . import tolerances as tol
from .formulas import data_bounds, hessian_bound, negative_curvature_bound, objective, rounding
from .landscapes import ONE_GATE_GRID, one_gate, wells
from .problems import xor_data

# budget: bootstrap resamples (over chains) of a fitted relaxation rate: 200 give its standard deviation to
# about 5% (relative SE of an SD ~ 1/sqrt(2 B)).
BOOTSTRAP_RESAMPLES_BUDGET = 200
# budget: L-BFGS iterations per start, to ||grad|| <= tolerances.DEPTH2_MULTISTART_GTOL; a start that runs out
# is not certified, which A6 reports as a failed check rather than a smaller minimum count.
MULTISTART_MAXITER_BUDGET = 20000
# budget: the floor experiment (D4, F7) starts from the Laplace approximation of mu_s, burns in for 2
# relaxation times 1/lambda_min(H) (the non-Gaussian part, O(s) relative at the start, then decays by e^-2:
# ~0.1%), and averages over 5 more (10 in the thorough run).
FLOOR_BURN_IN_BUDGET = 2.0
FLOOR_AVERAGE_BUDGET = 5.0

# Where the chains of the one-gate example (lambda = 0.01) run: both wells and the saddle, with room for the
# spread of the Gibbs law at the learning rates used (s <= 0.1).
ONE_GATE_CHAIN_SPAN = (-12.0, 8.0)



WIDTHS = (1, 2, 4, 8, 16, 32, 64, 128, 256, 512)
CURVATURE_WIDTHS = (1, 2, 4, 8, 16, 32, 64)


def measured_negative_curvature(problem, rng, scales=(0.5, 1.0, 2.0, 4.0), draws=3) -> float:
    """``max(0, max_theta -lambda_min(Hessian of L))`` over random ``theta`` (entries N(0, scale^2)).

    A lower bound on the strong-convexity threshold of ``L~`` (the smallest
    lambda above which it is convex), by sampling.
    """
    pb = problem.with_(lam=0.0)
    obj = objective()
    worst = 0.0
    for scale in scales:
        for _ in range(draws):
            H = obj.hessian(scale * rng.standard_normal(pb.dim), pb)
            worst = max(worst, -float(np.linalg.eigvalsh(H)[0]))
    return worst


def width_table(activation: str, widths, curvature_widths, seed: int = 0) -> dict:
    """beta (D2), the sharper negative-curvature bound and the measured one, per width, for both scalings of a."""
    X, y = xor_data()
    rng = np.random.default_rng(seed)
    out = {}
    for label, normalized in (("a_k = +-1/sqrt(p)", True), ("a_k = +-1", False)):
        rows = []
        for p in widths:
            pb = depth2.Depth2Problem(X, y, lam=0.0, activation=activation, a=depth2.alternating_outer_weights(p, 1.0, normalized=normalized))
            row = {"p": p, "beta": hessian_bound(pb), "negative_curvature_bound": negative_curvature_bound(pb)}
            if p in curvature_widths:
                row["measured_negative_curvature"] = measured_negative_curvature(pb, rng)
            rows.append(row)
        out[label] = rows
    return out


def chains_from_masses(nodes, masses, M: int, rng) -> np.ndarray:
    """M exact draws from a law given by masses on grid nodes (inverse CDF, uniform within a cell)."""
    cdf = np.cumsum(masses)
    idx = np.searchsorted(cdf, rng.random(M) * cdf[-1])
    h = nodes[1] - nodes[0]
    return (nodes[np.minimum(idx, nodes.size - 1)] + (rng.random(M) - 0.5) * h)[:, None]


def fit_rate(times, samples) -> float:
    """Rate of ``E g(theta_t) = c exp(-rate t)`` fitted to chain averages by weighted nonlinear least squares.

    ``samples`` has shape (T, M): the observable of M chains at T times. The
    residuals are ``(mean_t - c exp(-rate t)) / SE_t``; fitting the means
    themselves (not their logarithms) avoids the bias of the log of a noisy
    mean where it is small.
    """
    from scipy.optimize import least_squares

    t = np.asarray(times, dtype=np.float64)
    m = samples.mean(axis=1)
    se = samples.std(axis=1, ddof=1) / math.sqrt(samples.shape[1])
    se = np.where(se > 0, se, np.max(se))  # the first record may be deterministic
    c0 = m[0] if m[0] > 0 else float(np.max(m))
    positive = m > 0
    guess = -np.polyfit(t[positive], np.log(m[positive]), 1)[0] if positive.sum() >= 2 else 1.0 / max(t[-1], 1.0)
    fit = least_squares(lambda q: (m - q[0] * np.exp(-q[1] * t)) / se, x0=[c0, guess])
    return float(fit.x[1])


def discrete_chain(problem, grid: gibbs.Grid, s: float, slow_mode: bool = False) -> tuple[dict, np.ndarray, dict]:
    """The SGD chain itself (Euler-Maruyama, dt = s) on ``grid``: the potential there, its kernel and its spectrum."""
    pot = gibbs.potential_on_grid(objective(), problem, grid)
    kernel = gibbs.euler_maruyama_kernel(grid.nodes, pot["fprime"], s, s)
    return pot, kernel, gibbs.chain_spectrum(kernel, s, slow_mode=slow_mode)


@lru_cache(maxsize=None)
def bistable_experiment(thorough: bool) -> dict:
    """V-A2/V-A3: SSJ-SGD chains on the one-gate example (lambda = 0.01) started in the spurious well.

    Computes on grids: the Gibbs law mu_s and the gap lambda_s (SQRA), the
    grid error of lambda_s (h and 2h), and the discrete chain's own rate
    lambda_EM, stationary law pi_s and slowest mode phi (Euler-Maruyama
    kernel, dt = s). Simulates M chains from rho_0 = N(w_spurious,
    s/(2 f''(w_spurious))), whose chi^2 to mu_s is finite, and records
    phi(theta_t), whose mean relaxes as exp(-lambda_EM t) exactly (no other
    mode of the chain enters), f(theta_t) and the deep-basin indicator. The
    fitted rate is then compared with lambda_s up to the Monte-Carlo error
    and |lambda_EM - lambda_s|, the discretization error, both computed.
    """
    s = 0.03 if thorough else 0.1
    M = 10000 if thorough else 6000
    horizon = 3.0 if thorough else 2.5
    land = one_gate(0.01)
    pb, pot = land["problem"], land["potential"]
    w, f = pot["w"], pot["f"]
    deep, spur, saddle = wells(land)
    lam_s = gibbs.spectral_gap(f, s, ONE_GATE_GRID.spacing)
    coarse = ONE_GATE_GRID.coarser()
    lam_coarse = gibbs.spectral_gap(gibbs.potential_on_grid(objective(), pb, coarse)["f"], s, coarse.spacing)
    grid_error = tol.depth2_grid_gap_error(lam_s, lam_coarse)
    mu = gibbs.gibbs_masses(f, s)
    E_mu_f = float(mu @ f)
    var_mu_f = float(mu @ (f - E_mu_f) ** 2)
    sd0 = math.sqrt(s / (2.0 * spur.curvature))
    rho0 = gibbs.gaussian_masses(w, spur.w, sd0)
    chi2 = gibbs.chi_square(rho0, mu)
    # the discrete chain itself (dt = s), on a grid covering the chains
    em_grid = gibbs.Grid.with_spacing(*ONE_GATE_CHAIN_SPAN, s / 8.0)
    em_pot, kernel, em = discrete_chain(pb, em_grid, s, slow_mode=True)
    E_pi_f = float(em["stationary"] @ em_pot["f"])
    phi = em["slow_mode"] * (1.0 if np.interp(spur.w, em_grid.nodes, em["slow_mode"]) > 0 else -1.0)
    w_em = em_grid.nodes
    rng = np.random.default_rng(20230917)
    n_steps = int(math.ceil(horizon / lam_s / s))
    obj = objective()
    run = sgd.isotropic_sgd(obj, pb, sgd.gaussian_chains([spur.w], sd0, M, rng), s, n_steps, rng=rng,
                            record_every=max(1, n_steps // 80),
                            observables={"phi": lambda T: np.interp(T[:, 0], w_em, phi), "f": lambda T: obj.loss(T, pb),
                                         "deep": lambda T: (T[:, 0] < saddle.w).astype(float)})
    times, Y = run.times, run.observed["phi"]
    # the law of the chain itself, propagated exactly on the grid from the same rho_0 (and on a grid twice as
    # coarse, for its discretization error)
    steps_at = np.rint(times / s).astype(int)
    predicted = gibbs.propagate(kernel, gibbs.gaussian_masses(em_grid.nodes, spur.w, sd0), em_pot["f"], steps_at)
    half = em_grid.coarser()
    half_pot = gibbs.potential_on_grid(objective(), pb, half)
    predicted_half = gibbs.propagate(gibbs.euler_maruyama_kernel(half.nodes, half_pot["fprime"], s, s),
                                     gibbs.gaussian_masses(half.nodes, spur.w, sd0), half_pot["f"], steps_at)
    rate = fit_rate(times, Y)
    boot_rng = np.random.default_rng(1)
    boots = [fit_rate(times, Y[:, boot_rng.integers(0, M, M)]) for _ in range(BOOTSTRAP_RESAMPLES_BUDGET)]
    return {
        "s": s, "M": M, "steps": n_steps, "problem": pb, "deep": deep, "spurious": spur, "saddle": saddle,
        "lambda_s": lam_s, "lambda_s grid error": grid_error, "lambda_EM": em["rate"], "E_mu f": E_mu_f,
        "Var_mu f": var_mu_f, "E_pi f (discrete chain)": E_pi_f, "f*": land["global"].value,
        "mu(deep basin)": float(mu[w < saddle.w].sum()), "chi2(rho0||mu)": chi2, "rho0 sd": sd0,
        "D(s)": math.sqrt(var_mu_f) * math.sqrt(chi2), "times": times, "mean phi": Y.mean(axis=1),
        "se phi": Y.std(axis=1, ddof=1) / math.sqrt(M), "mean f": run.mean("f"),
        "se f": run.observed["f"].std(axis=1, ddof=1) / math.sqrt(M), "deep fraction": run.mean("deep"),
        "rate": rate, "rate bootstrap sd": float(np.nanstd(boots)), "predicted f (law of the chain)": predicted,
        "prediction grid error": np.abs(predicted - predicted_half),
    }


# (task, width p, outer scale A with a_k = +-A/sqrt(p)): the catalog's V-A5 settings.
MULTISTART_TASKS = (("iris", 4, 8.0), ("breast_cancer", 6, 4.0))
MULTISTART_LAMBDAS = (1e-4, 1e-3, 1e-2, 1e-1)


def local_minimum(problem, theta0) -> dict:
    """L-BFGS from ``theta0`` to ``||grad|| <= tol.DEPTH2_MULTISTART_GTOL``; the end point certified by its Hessian.

    ``value_error`` bounds ``|L(end) - L(local minimum)|`` by ``||g||^2 / (2 mu)``
    (mu the smallest Hessian eigenvalue, positive at a strict local minimum)
    plus the rounding of L.
    """
    obj = objective()
    res = minimize(lambda th: obj.loss_grad(th, problem), theta0, jac=True, method="L-BFGS-B",
                   options={"gtol": tol.DEPTH2_MULTISTART_GTOL, "ftol": 0.0, "maxiter": MULTISTART_MAXITER_BUDGET, "maxcor": 20})
    g = float(np.linalg.norm(obj.grad(res.x, problem)))
    mu = float(np.linalg.eigvalsh(obj.hessian(res.x, problem))[0])
    return {"theta": res.x, "value": float(res.fun), "grad_norm": g, "min_eig": mu, "iterations": int(res.nit),
            "value_error": tol.depth2_local_minimum_value_error(g, mu, rounding(problem, res.x)["loss"])}


def distinct_values(results: list) -> list:
    """Group certified local-minimum values that agree within their errors; one representative per group."""
    groups = []
    for r in sorted(results, key=lambda r: r["value"]):
        if groups and r["value"] - groups[-1]["value"] <= r["value_error"] + groups[-1]["value_error"]:
            continue
        groups.append(r)
    return groups


@lru_cache(maxsize=None)
def multistart(name: str, p: int, A: float, lam: float, starts: int) -> dict:
    X, y = datasets.binary_task(name)
    pb = depth2.Depth2Problem(X, y, lam=lam, activation="sigmoid", a=depth2.alternating_outer_weights(p, A))
    rng = np.random.default_rng(12345)
    results = [local_minimum(pb, rng.standard_normal(pb.dim)) for _ in range(starts)]
    certified = [r for r in results if r["grad_norm"] <= tol.DEPTH2_MULTISTART_CERTIFIED_GRAD and r["min_eig"] > 0]
    return {"lambda": lam, "values": sorted(r["value"] for r in results),
            "distinct": [g["value"] for g in distinct_values(certified)], "certified": len(certified), "starts": starts,
            "beta": hessian_bound(pb), "beta worst (B_x^2)": data_bounds(X)["B_x"] ** 2 * hessian_bound(pb) / data_bounds(X)["mean_sq"],
            "largest iterations": max(r["iterations"] for r in results)}


@lru_cache(maxsize=None)
def floor_experiment(p: int, thorough: bool) -> dict:
    """V-A6: long-run E L~ - min L~ of isotropic-noise SGD on iris (sigmoid, s = 0.01, a_k = +-2/sqrt(p)).

    lambda = 0.1 and s = 0.01 (the catalog's V-A6) in the thorough run;
    lambda = 0.3 and s = 0.02 by default, where the chains relax six times
    faster in steps (the claim is about any nondegenerate minimum at a small
    s; the harmonic prediction is the same s D / 4).

    ``min L~`` from L-BFGS (3 starts; convex here); chains start from the
    Laplace approximation N(theta*, (s/2) H^-1) of mu_s, burn in for
    ``FLOOR_BURN_IN_BUDGET`` relaxation times 1/lambda_min(H), then average over
    ``FLOOR_AVERAGE_BUDGET`` of them. The standard error is that of the per-chain
    time averages (independent chains).

    Control variate (zero-variance MCMC, Assaraf and Caffarel 1999; Mira,
    Solgi and Imparato 2013): for ``h(theta) = ||theta - theta*||^2 / 2`` the
    chain ``theta' = theta - s g - s xi`` has ``E h(theta') - h(theta) =
    -s g.(theta - theta*) + (s^2/2)(||g||^2 + D)``, which is 0 in the
    stationary law; so ``c = (s/4)(D + ||g||^2) - (1/2) g.(theta - theta*)``
    has mean exactly 0 there, and ``f - f* + c`` has the same mean as
    ``f - f*`` (the quantity measured) with most of its variance removed
    (near theta* both are ~ the quadratic form). Both estimates are reported.
    """
    X, y = datasets.binary_task("iris")
    s, lam = (0.01, 0.1) if thorough else (0.02, 0.3)
    pb = depth2.Depth2Problem(X, y, lam=lam, activation="sigmoid", a=depth2.alternating_outer_weights(p, 2.0))
    rng = np.random.default_rng(777 + p)
    best = min((local_minimum(pb, rng.standard_normal(pb.dim)) for _ in range(3)), key=lambda r: r["value"])
    theta_star, f_star = best["theta"], best["value"]
    H = objective().hessian(theta_star, pb)
    h = np.linalg.eigvalsh(H)
    D = pb.dim
    M = (3200 if thorough else 800) // D  # the same number of chain-coordinates per width
    relax = 1.0 / float(h[0])
    burn = int(math.ceil(FLOOR_BURN_IN_BUDGET * relax / s))
    avg = int(math.ceil(FLOOR_AVERAGE_BUDGET * (2 if thorough else 1) * relax / s))
    L = np.linalg.cholesky(np.linalg.inv(H) * s / 2)
    theta0 = theta_star[None, :] + rng.standard_normal((M, D)) @ L.T
    obj = objective()

    def control_variate(T):
        # zero-mean under the chain's stationary law (see the docstring)
        G = obj.grad(T, pb)
        return s / 4 * (D + np.einsum("md,md->m", G, G)) - 0.5 * np.einsum("md,md->m", G, T - theta_star)

    run = sgd.isotropic_sgd(obj, pb, theta0, s, burn + avg, rng=rng, record_every=10,
                            observables={"loss": lambda T: obj.loss(T, pb), "cv": control_variate})
    keep = run.times >= burn * s
    F = run.observed["loss"][keep] - f_star
    raw = F.mean(axis=0)
    per_chain = (F + run.observed["cv"][keep]).mean(axis=0)
    return {"p": p, "D": D, "s": s, "lambda": lam, "M": M, "steps": burn + avg, "f*": f_star, "eps(s)": float(per_chain.mean()),
            "SE": float(per_chain.std(ddof=1) / math.sqrt(M)), "eps(s) without control variate": float(raw.mean()),
            "SE without control variate": float(raw.std(ddof=1) / math.sqrt(M)), "s D / 4": s * D / 4,
            "harmonic Euler-Maruyama value": float(np.sum(s / 4 / (1 - s * h / 2))), "Hessian eigenvalues": [float(h[0]), float(h[-1])],
            "lambda_min(H)": float(h[0]), "grad at theta*": float(np.linalg.norm(objective().grad(theta_star, pb)))}


def gaussian_chi2_log(m0, S0, m1, S1) -> float:
    """``log(1 + chi^2(N(m0, S0) || N(m1, S1)))``, or ``inf`` when ``2 S0^-1 - S1^-1`` is not positive definite."""
    P0, P1 = np.linalg.inv(S0), np.linalg.inv(S1)
    A = 2 * P0 - P1
    if np.linalg.eigvalsh(A)[0] <= 0:
        return float("inf")
    b = 2 * P0 @ m0 - P1 @ m1
    c = 2 * m0 @ P0 @ m0 - m1 @ P1 @ m1
    return float(0.5 * np.linalg.slogdet(S1)[1] - np.linalg.slogdet(S0)[1] - 0.5 * np.linalg.slogdet(A)[1]
                 + 0.5 * (b @ np.linalg.solve(A, b) - c))


@lru_cache(maxsize=None)
def minibatch_experiment(thorough: bool) -> dict:
    """Isotropic-noise and minibatch-1 SGD on the one-gate example from exact draws of mu_s (s = 0.03)."""
    s = 0.03
    M = 6000 if thorough else 1000
    T = 300.0 if thorough else 50.0
    land = one_gate(0.01)
    pb, pot = land["problem"], land["potential"]
    mu = gibbs.gibbs_masses(pot["f"], s)
    E_mu = float(mu @ pot["f"])
    rng = np.random.default_rng(4242)
    theta0 = chains_from_masses(pot["w"], mu, M, rng)
    steps = int(round(T / s))
    obj = objective()
    iso = sgd.isotropic_sgd(obj, pb, theta0, s, steps, rng=rng, record_every=steps // 50)
    mb = sgd.minibatch_sgd(obj, pb, theta0, s, steps, rng=rng, batch_size=1, record_every=steps // 50)
    em_pot, _, em = discrete_chain(pb, gibbs.Grid.with_spacing(*ONE_GATE_CHAIN_SPAN, s / 8.0), s)
    last = slice(-5, None)  # average the last 5 records (10% of the run) per chain
    out = {"s": s, "M": M, "T": T, "E_mu f": E_mu, "f*": land["global"].value, "E_pi f (discrete chain)": float(em["stationary"] @ em_pot["f"]),
           "times": iso.times}
    for name, run in (("isotropic", iso), ("minibatch", mb)):
        per_chain = run.observed["loss"][last].mean(axis=0)
        out[name] = {"E f (end)": float(per_chain.mean()), "SE": float(per_chain.std(ddof=1) / math.sqrt(M)),
                     "curve": run.mean("loss")}
    return out


def initial_laws_experiment(s: float = 0.05, lam: float = 0.01) -> dict:
    """F4: chi^2 of Gaussian initial laws to mu_s, as the width shrinks, in the tails, and against the dimension.

    On the one-gate example (lambda = 0.01, s = 0.05): chi^2(N(w_spurious,
    sigma_0^2) || mu_s) for sigma_0 -> 0, with the log-log slopes and the
    slope's tolerance (``tolerances.depth2_dirac_slope_tolerance``); for
    sigma_0^2 below and above s/lambda on grids of growing half-width R; and
    on XOR data, ``log(1 + chi^2)`` of N(theta*, sigma_0^2 I) to the Laplace
    approximation N(theta*, (s/2) H^-1) of mu_s for D = 2 .. 32 parameters.
    """
    land = one_gate(lam)
    pot = land["potential"]
    w, f = pot["w"], pot["f"]
    mu = gibbs.gibbs_masses(f, s)
    spur = max(land["minima"], key=lambda c: c.w)
    sigmas = np.array([0.1, 0.03, 0.01, 0.003])
    chi2 = np.array([gibbs.chi_square(gibbs.gaussian_masses(w, spur.w, sd), mu) for sd in sigmas])
    slopes = np.diff(np.log1p(chi2)) / np.diff(np.log(sigmas))
    j = int(np.argmin(np.abs(w - spur.w)))
    kappa = 2 * abs(pot["fsecond"][j]) / s + (2 * pot["fprime"][j] / s) ** 2
    slope_tol = tol.depth2_dirac_slope_tolerance(float(sigmas[-2]), kappa)
    # tails: sigma_0^2 below and above s/lambda, on grids of growing half-width R
    tails = {}
    for label, var in (("sigma0^2 = s/(2 lambda)", s / (2 * lam)), ("sigma0^2 = 2 s/lambda", 2 * s / lam)):
        values = []
        for R in (25.0, 50.0, 100.0):
            g = gibbs.Grid(-R, R, int(40 * R) + 1)
            fg = gibbs.potential_on_grid(objective(), land["problem"], g)["f"]
            values.append(gibbs.chi_square(gibbs.gaussian_masses(g.nodes, spur.w, math.sqrt(var)), gibbs.gibbs_masses(fg, s)))
        tails[label] = values
    # dimension: Laplace approximation N(theta*, (s/2) H^-1) of mu_s on XOR data, rho_0 = N(theta*, sigma0^2 I)
    X, y = xor_data()
    dims, logs = [], []
    for p in (1, 2, 4, 8, 16):
        pb = depth2.Depth2Problem(X, y, lam=1.0, activation="tanh", a=depth2.alternating_outer_weights(p, 1.0))
        res = local_minimum(pb, np.zeros(pb.dim))
        H = objective().hessian(res["theta"], pb)
        S1 = np.linalg.inv(H) * s / 2
        sd0 = 0.5 * math.sqrt(float(np.min(np.diag(S1))))
        logs.append(gaussian_chi2_log(res["theta"], sd0**2 * np.eye(pb.dim), res["theta"], S1))
        dims.append(pb.dim)
    return {"sigma_0": sigmas.tolist(), "chi^2": chi2.tolist(), "slopes": slopes.tolist(), "slope tolerance": slope_tol,
            "tails (R = 25, 50, 100)": tails, "D": dims, "log(1 + chi^2)": logs}


def discrete_chain_bias_table(problem, rates) -> list:
    """F8: the stationary excess loss of the Gibbs law (eps(s)) and of the SGD chain itself (eps_EM(s)) per learning rate.

    On ``[-4, 4]`` at spacing ``s / 8`` (the strongly convex one-gate problem
    at lambda = 1 lives there), with the gap lambda_s and the chain's own rate.
    """
    pb = problem
    rows = []
    for s in rates:
        g = gibbs.Grid.with_spacing(-4.0, 4.0, s / 8.0)
        pot, _, em = discrete_chain(pb, g, s)
        mu = gibbs.gibbs_masses(pot["f"], s)
        f_star = float(pot["f"].min())
        rows.append({"s": s, "eps(s) (mu_s)": float(mu @ pot["f"]) - f_star,
                     "eps_EM(s) (pi_s)": float(em["stationary"] @ pot["f"]) - f_star,
                     "lambda_s": gibbs.spectral_gap(pot["f"], s, g.spacing), "discrete chain rate": em["rate"]})
    return rows


def gap_against_eyring_kramers(rates) -> list:
    """D5: the spectral gap of the one-gate example (lambda = 0.01) against the Eyring-Kramers rate k_1 + k_2, per s.

    With the grid error of their ratio, from the gap on a grid twice as coarse
    (``tolerances.depth2_grid_gap_error``).
    """
    land = one_gate(0.01)
    f = land["potential"]["f"]
    deep, spur, saddle = wells(land)
    coarse = ONE_GATE_GRID.coarser()
    f_coarse = gibbs.potential_on_grid(objective(), land["problem"], coarse)["f"]
    rows = []
    for s in rates:
        gap = gibbs.spectral_gap(f, s, ONE_GATE_GRID.spacing)
        ek = (gibbs.eyring_kramers_rate(deep.value, deep.curvature, saddle.value, saddle.curvature, s)
              + gibbs.eyring_kramers_rate(spur.value, spur.curvature, saddle.value, saddle.curvature, s))
        grid_err = tol.depth2_grid_gap_error(gap, gibbs.spectral_gap(f_coarse, s, coarse.spacing))
        rows.append({"s": s, "lambda_s": gap, "Eyring-Kramers": ek, "ratio": gap / ek, "grid error of ratio": grid_err / ek})
    return rows

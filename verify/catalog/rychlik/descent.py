"""The gradient-descent experiments of the Rychlik catalog: convergence, rates and learning-rate thresholds.

Every run is measured against its reference point, Newton's minimiser W* in
``W_0 + K-perp``, whose distance from the exact minimiser is bounded
(``tolerances.minimizer_error``); a measured per-step contraction is
compared with a predicted rate up to the slack ``tolerances.contraction_ratio_slack``
derives (rounding of each step, W*'s error, and for a local rate the
linearisation). The experiment budgets (steps, seeds, instances) are set in
the functions that spend them.
"""

from __future__ import annotations

import math

import numpy as np

import impls

from ...harness.claims import REFUTED, Evidence
from ...harness.evidence import experiment_evidence, figure, series, summary_of
from ...numerics import rounding
from ...numerics.optimizers import (
    gradient_descent,
    kernel_complement_basis,
    lipschitz_bound,
    loss_increase_tolerance,
    newton_on_complement,
    predicted_rate,
)
from . import tolerances as tol
from .formulas import f7_bounds, restricted_extremes_at, row_space, two_class_hessian_w
from .problems import smoothed_data
from .searches import local_threshold_search
from .tolerances import hessian_eigen_tolerance

EPS = rounding.eps(np.float64)


# --------------------------------------------------------------------------
# The reference minimiser and the measured contraction
# --------------------------------------------------------------------------


# Newton's gradient tolerance when W* is the reference point of a rate
# measurement: the ratio window reaches 1e-11, so W* must be far more accurate.
NEWTON_TOL_FOR_RATES = 1e-14


def minimiser(ctx, X, Y, W0):
    """Newton's minimiser in ``W0 + K⊥`` (gradient to 1e-14), with m, M there and its error bound.

    Returns ``(NewtonResult, m, M, error)``; ``error`` bounds ``||W_computed - W*||_F``
    (``tolerances.minimizer_error``). Raises when Newton does not certify a minimiser.
    """
    res = newton_on_complement(ctx.impl, X, Y, W0, tol=NEWTON_TOL_FOR_RATES)
    if res.exists is not True:
        raise RuntimeError(f"the experiment needs a minimiser, Newton says: {res.reason}")
    m, M, _ = restricted_extremes_at(ctx, res.W, X, Y)
    D, K = res.W.shape
    g_err = math.sqrt(D * K) * rounding.agreement_tolerances(X, res.W, Y, np.float64)["grad"]
    return res, m, M, tol.minimizer_error(res.grad_norm, g_err, m)


def contraction_profile(X, Y, Ws, W_star, star_error: float, step: float, *, local: bool = False):
    """Per-step ratios ``||W_{k+1} - W*|| / ||W_k - W*||`` along stored iterates, and their slack.

    The slack (``tolerances.contraction_ratio_slack``) covers the rounding of
    each step and the error of W*; with ``local=True`` it adds the
    linearisation error, for comparison with a rate of the Hessian at W*.
    Returns ``(distances, ratios, slacks)``; steps that start at distance 0 are dropped.
    """
    Ws = np.asarray(Ws, dtype=np.float64)
    dist = np.sqrt(((Ws - W_star[None]) ** 2).reshape(len(Ws), -1).sum(axis=1))
    grad_entry = rounding.agreement_tolerances(X, np.abs(Ws).max(axis=0), Y, np.float64)["grad"]
    T3 = tol.third_derivative_bound(X) if local else 0.0
    G = (Ws[:-1] - Ws[1:]) / step  # the gradients the steps used (to rounding)
    step_rounding = tol.gd_step_rounding(Ws[:-1], G, step, grad_entry, EPS)
    keep = dist[:-1] > 0
    ratios = dist[1:][keep] / dist[:-1][keep]
    slacks = tol.contraction_ratio_slack(dist[:-1][keep], step_rounding[keep], star_error, step if local else 0.0, T3)
    return dist, ratios, slacks


def window(dist_before, lo: float = 1e-11, hi: float = 1e-3) -> np.ndarray:
    """Mask of the steps whose starting error lies in [lo, hi] (the catalog's measurable range, P2-3)."""
    d = np.asarray(dist_before)
    return (d >= lo) & (d <= hi)


# --------------------------------------------------------------------------
# The experiments, in the catalog's order
# --------------------------------------------------------------------------


def convergence_runs(ctx) -> Evidence:
    """P1-4's experiment: gradient descent at eta = 1/L_hat on three data sets with a minimiser (see the claim)."""
    rng = np.random.default_rng(9)
    cases = [
        ("smoothed targets, 3 classes", *smoothed_data(1, 8, 2, 3, 0.2), rng.normal(size=(3, 3))),
        ("overlapping one-hot classes", impls.add_bias(np.array([[-1.0], [-1.0], [1.0], [1.0]])),
         impls.one_hot([0, 1, 0, 1], 2), rng.normal(size=(2, 2))),
        ("rank-deficient X (N=4 < D=5)", *smoothed_data(8, 4, 5, 3, 0.2, bias=False), rng.normal(size=(5, 3))),
    ]
    max_iter = 200_000 if ctx.thorough else 20_000  # budget: a cap only; the runs stop at the gradient floor
    checks, table, curves = {}, [], []
    for i, (name, X, Y, W0) in enumerate(cases):
        newton, m, M, star_err = minimiser(ctx, X, Y, W0)
        W_star, L_star = newton.W, newton.loss
        D, K = W0.shape
        g_floor = math.sqrt(D * K) * rounding.agreement_tolerances(X, W_star, Y, np.float64)["grad"]
        # Runs stop at the gradient's rounding floor; under ctx.thorough the first one takes the catalog's 20 000 steps.
        catalog_run = ctx.thorough and i == 0
        gd = gradient_descent(ctx.impl, X, Y, W0, step_multiplier=1.0, max_iter=20_000 if catalog_run else max_iter,
                              grad_tol=0.0 if catalog_run else g_floor, record_W=True)
        dist, ratios, slacks = contraction_profile(X, Y, gd.W_history, W_star, star_err, gd.step)
        losses = gd.history["loss"]
        k = np.arange(1, len(losses))
        loss_tol = loss_increase_tolerance(losses[0], EPS)
        value_bound = dist[0] ** 2 / (2 * gd.step * k)
        final_bound = tol.minimizer_error(gd.grad_norm, g_floor, m) + star_err
        P = kernel_complement_basis(X, K)
        moved = (gd.W - W0).ravel()
        off_complement = float(np.linalg.norm(moved - P @ (P.T @ moved)))
        drift = tol.gd_invariant_drift(gd.n_iter, np.abs(gd.W_history).max(), gd.step * gd.history["grad_norm"].max(), K, EPS)
        checks[f"{name}: minimiser certified by Newton"] = newton.exists is True
        checks[f"{name}: no loss increase"] = gd.n_increases == 0
        checks[f"{name}: ||W_k - W*|| non-increasing"] = bool(np.all(ratios <= 1 + slacks))
        checks[f"{name}: L(W_k) - L* <= ||W_0 - W*||^2/(2 eta k)"] = bool(np.all(losses[1:] - L_star <= value_bound + loss_tol))
        checks[f"{name}: gradient reached its rounding floor"] = bool(gd.converged or gd.grad_norm <= g_floor)
        checks[f"{name}: converged to Newton's W*"] = bool(dist[-1] <= final_bound)
        checks[f"{name}: stayed in W_0 + K-perp"] = off_complement <= drift
        table.append({"data": name, "N, D, K": [int(X.shape[0]), D, K], "eta * L_hat": 1.0, "steps": gd.n_iter,
                      "final ||W - W*||": float(dist[-1]), "bound": final_bound, "L*": L_star,
                      "max ||W_k||": float(gd.history["W_norm"].max()), "||W*||": float(np.linalg.norm(W_star)),
                      "m on K-perp at W*": m, "M on K-perp at W*": M, "L_hat": gd.L,
                      "distance from W_0 + K-perp": off_complement, "loss increases": gd.n_increases})
        curves.append(series(name, np.arange(len(dist)), np.maximum(dist, 1e-300)))
    return experiment_evidence(
        "gradient descent with a minimiser, eta = 1/L_hat", checks, examples=len(cases),
        measurements={"runs": table, "earlier run": "||W - W*|| = 5e-15 after 20 000 steps at eta = 1/L_hat"},
        figures=[figure("rychlik.P1-4: gradient descent converges to the minimiser in W_0 + K-perp", "step k", "||W_k - W*||_F",
                        curves, xscale="linear", yscale="log")],
    )


def two_class_rate_runs(ctx) -> Evidence:
    """P1-5's experiment: two-class runs against the effective rho and the local rate (see the claim)."""
    rng = np.random.default_rng(5)
    X_a, Y_a = smoothed_data(3, 10, 2, 2, 0.3)
    X_c = impls.add_bias(rng.normal(size=(12, 2)))
    t_c = rng.uniform(0.2, 0.8, size=12)
    Y_c = np.stack([t_c, 1 - t_c], axis=1)
    X_d, Y_d = smoothed_data(4, 10, 2, 2, 0.02)
    cases = [
        ("smoothed (t in {0.15, 0.85}), W0 = 0", X_a, Y_a, np.zeros((3, 2)), 1.0),
        ("smoothed, far start", X_a, Y_a, 3 * rng.normal(size=(3, 2)), 1.9),
        ("soft t ~ U(0.2, 0.8), W0 = 0", X_c, Y_c, np.zeros((3, 2)), 1.9),
        ("nearly one-hot (t in {0.01, 0.99})", X_d, Y_d, np.zeros((3, 2)), 1.0),
    ]
    # budget: every step is checked, so a few hundred steps already cover the transient and the local regime
    steps = 3000 if ctx.thorough else 300
    checks, table, curves = {}, [], []
    for name, X, Y, W0, multiplier in cases:
        N = X.shape[0]
        newton, m_W, M_W, star_err = minimiser(ctx, X, Y, W0)
        gd = gradient_descent(ctx.impl, X, Y, W0, step_multiplier=multiplier, max_iter=steps, record_W=True)
        eta, eta_w = gd.step, 2 * gd.step
        Ws = gd.W_history
        w = Ws[:, :, 0] - Ws[:, :, 1]
        t = Y[:, 0]
        # The reduction: every W-step is a w-step of size 2 eta on the logistic loss.
        s = 1 / (1 + np.exp(-(X @ w[:-1].T).T))
        predicted = -eta_w * (s - t) @ X / N
        grad_entry = rounding.agreement_tolerances(X, np.abs(Ws).max(axis=0), Y, np.float64)["grad"]
        step_rounding = tol.gd_step_rounding(Ws[:-1], (Ws[:-1] - Ws[1:]) / eta, eta, grad_entry, EPS)
        reduction_error = np.linalg.norm((w[1:] - w[:-1]) - predicted, axis=1)
        reduction_tol = math.sqrt(2) * step_rounding + eta_w * math.sqrt(X.shape[1]) * grad_entry
        # The effective bound (F9), in w with step 2 eta.
        evx = np.linalg.eigvalsh(X.T @ X)
        lam_plus = float(np.min(evx[evx > EPS * X.size * evx[-1]]))
        tau = float(min(np.min(t), np.min(1 - t)))
        L0 = float(ctx.impl.loss(W0, X, Y))
        delta = 0.5 * math.exp(-N * L0 / tau)
        # 1 - rho, computed without cancellation (rho is within 1e-20 of 1 here: the bound is very pessimistic).
        low, high = eta_w * delta * lam_plus / N, eta_w * evx[-1] / (4 * N)
        gap = min(low, high if high <= 1 else 2 - high)
        rho_eff = 1 - gap
        dist, ratios, slacks = contraction_profile(X, Y, Ws, newton.W, star_err, eta)
        # The local rate: w-Hessian at w* on range(X^T) with step 2 eta, and the W-Hessian on K-perp with step eta.
        _, _, Vr = row_space(X)
        s_star = ctx.impl.probs(newton.W, X)[:, 0]
        Hw = Vr.T @ two_class_hessian_w(X, s_star) @ Vr
        mu = np.linalg.eigvalsh(Hw)
        rho_w = float(np.max(np.abs(1 - eta_w * mu)))
        rho_W = predicted_rate(m_W, M_W, eta)
        H_W = np.asarray(ctx.impl.hessian(newton.W, X, Y), dtype=np.float64)
        e_W = hessian_eigen_tolerance(H_W, X, newton.W, Y)
        _, local_ratios, local_slacks = contraction_profile(X, Y, Ws, newton.W, star_err, eta, local=True)
        inside = window(dist[:-1][dist[:-1] > 0])
        resolved = slacks < 1e-9
        checks[f"{name}: W-steps are w-steps of size 2 eta"] = bool(np.all(reduction_error <= reduction_tol))
        checks[f"{name}: every ratio <= effective rho"] = bool(np.all(ratios - 1 <= -gap + slacks))
        checks[f"{name}: effective rho < 1"] = gap > 0
        # rho moves by eta times an eigenvalue's error: e_W for lambda_W, 2 e_w <= 2 e_W for 2 lambda_w
        checks[f"{name}: local rate in w (2 eta) = local rate in W (eta)"] = abs(rho_w - rho_W) <= 3 * eta * e_W
        checks[f"{name}: every ratio <= local rate + linearisation slack"] = bool(np.all(local_ratios <= rho_w + local_slacks))
        table.append({
            "data": name, "eta * L_hat": multiplier, "tau": tau, "delta": delta, "effective rho": rho_eff,
            "1 - effective rho": gap,
            "largest measured ratio (steps with slack < 1e-9)": float(ratios[resolved].max()) if resolved.any() else None,
            "steps with slack < 1e-9": int(resolved.sum()),
            "local rho (w, 2 eta)": rho_w, "local rho (W, eta)": rho_W,
            "median measured ratio in [1e-11, 1e-3]": float(np.median(local_ratios[inside])) if inside.any() else None,
            "w-Hessian eigenvalues at w*": mu.tolist(),
            "W-Hessian eigenvalues on K-perp at W*": restricted_extremes_at(ctx, newton.W, X, Y)[2].tolist(),
            "largest reduction error / tolerance": float(np.max(reduction_error / reduction_tol)),
        })
        curves.append(series(name, np.arange(len(ratios)), ratios))
    return experiment_evidence(
        "two-class rate bound", checks, examples=len(cases),
        measurements={"runs": table, "note": "the W-Hessian's eigenvalues on K-perp are exactly twice the w-Hessian's "
                                              "(earlier run: [0.0818, 0.3215, 0.6470] vs [0.1636, 0.6431, 1.2940])"},
        figures=[figure("rychlik.P1-5: per-step contraction ||W_{k+1} - W*|| / ||W_k - W*||, two classes", "step k",
                        "ratio", curves, xscale="linear", yscale="linear")],
    )


def local_rate_runs(ctx) -> Evidence:
    """P2-3's experiment: per-step ratios against rho(eta) for several learning rates (see the claim)."""
    seeds = (1, 2, 3) if ctx.thorough else (1,)  # budget: data sets; the thorough profile adds two
    checks, table, curves, extra = {}, [], [], {}
    for seed in seeds:
        X, Y = smoothed_data(seed, 8, 2, 3, 0.2)
        W0 = np.random.default_rng(10).normal(size=(3, 3))
        newton, m, M, star_err = minimiser(ctx, X, Y, W0)
        W_star = newton.W
        P = kernel_complement_basis(X, 3)
        H = np.asarray(ctx.impl.hessian(W_star, X, Y), dtype=np.float64)
        evals, evecs = np.linalg.eigh(P.T @ ((H + H.T) / 2) @ P)
        e_eig = hessian_eigen_tolerance(H, X, W_star, Y)
        # Runs from the random start stop once the gradient reaches its rounding floor.
        g_floor = math.sqrt(W_star.size) * rounding.agreement_tolerances(X, W_star, Y, np.float64)["grad"]
        tag = f"data set {seed}"
        for label, eta in [("2/(m+M)", 2 / (m + M)), ("1/M", 1 / M), ("1.9/M", 1.9 / M), ("2.1/M", 2.1 / M)]:
            rho = predicted_rate(m, M, eta)
            slow = int(np.argmax(np.abs(1 - eta * evals)))
            v = (P @ evecs[:, slow]).reshape(W_star.shape)
            eps_start = 1e-8 if label == "2.1/M" else 1e-6
            steps = 200 if label == "2.1/M" else 20
            mode = gradient_descent(ctx.impl, X, Y, W_star + eps_start * v, step=eta, max_iter=steps, record_W=True)
            _, mode_ratios, mode_slacks = contraction_profile(X, Y, mode.W_history, W_star, star_err, eta, local=True)
            # the measured ratio may also differ from max|1 - eta lambda| by eta times lambda's error bound
            checks[f"{tag}, eta = {label}: slowest mode contracts by exactly rho(eta)"] = \
                bool(np.all(np.abs(mode_ratios - rho) <= mode_slacks + eta * e_eig))
            linear = mode_ratios[:20]  # the first steps, while the error is still ~eps_start
            row = {"data": tag, "eta": label, "predicted rho": rho,
                   "eigen-start ratio, first steps (mean)": float(np.mean(linear)),
                   "eigen-start max |ratio - rho| / rho, first steps": float(np.max(np.abs(linear - rho)) / rho)}
            if label == "2.1/M":
                rng = np.random.default_rng(0)
                start = W_star + 1e-8 * (P @ rng.normal(size=P.shape[1])).reshape(W_star.shape)
                run = gradient_descent(ctx.impl, X, Y, start, step=eta, max_iter=200, record_W=True)
                err = np.linalg.norm((run.W_history - W_star).reshape(len(run.W_history), -1), axis=1)
                growth = float(err[-1] / err[0])
                checks[f"{tag}, eta = 2.1/M: diverges from W* (random 1e-8 perturbation)"] = growth > 1
                row.update({"growth over 200 steps (random perturbation)": growth,
                            "growth over 200 steps (slowest mode)": float(np.prod(mode_ratios)),
                            "earlier run": "x 9.3e4 in 200 steps"})
                curves.append(series(f"{tag}, eta = 2.1/M (random perturbation)", np.arange(len(err)), err))
            else:
                gd = gradient_descent(ctx.impl, X, Y, W0, step=eta, max_iter=3000, grad_tol=g_floor, record_W=True)
                dist, ratios, slacks = contraction_profile(X, Y, gd.W_history, W_star, star_err, eta, local=True)
                checks[f"{tag}, eta = {label}: no ratio above rho(eta) (random start)"] = bool(np.all(ratios <= rho + slacks))
                inside = window(dist[:-1][dist[:-1] > 0])
                row["median ratio, error in [1e-11, 1e-3] (random start)"] = float(np.median(ratios[inside]))
                curves.append(series(f"{tag}, eta = {label}", np.arange(len(dist)), np.maximum(dist, 1e-300)))
            table.append(row)
        kappa = M / m
        # two evaluations of the same number, each a few roundings of m and M
        checks[f"{tag}: rho(2/(m+M)) = (kappa-1)/(kappa+1)"] = \
            abs(predicted_rate(m, M, 2 / (m + M)) - (kappa - 1) / (kappa + 1)) <= 4 * EPS
        m_hat, M_hat = f7_bounds(ctx, W_star, X, Y)
        checks[f"{tag}: the bounds of rychlik.P2-4 bracket m and M"] = m_hat <= m + e_eig and M <= M_hat + e_eig
        eta_hat = 2 / (m_hat + M_hat)
        kappa_hat = M_hat / m_hat
        gd = gradient_descent(ctx.impl, X, Y, W0, step=eta_hat, max_iter=3000, grad_tol=g_floor, record_W=True)
        _, ratios, slacks = contraction_profile(X, Y, gd.W_history, W_star, star_err, eta_hat, local=True)
        rho_hat = (kappa_hat - 1) / (kappa_hat + 1)
        checks[f"{tag}: eta = 2/(m_hat + M_hat) contracts by at most (kappa_hat-1)/(kappa_hat+1)"] = \
            bool(np.all(ratios <= rho_hat + slacks))
        extra[tag] = {"m": m, "M": M, "kappa": kappa,
                      "m_hat (rychlik.P2-4)": m_hat, "M_hat (rychlik.P2-4)": M_hat, "kappa_hat": kappa_hat,
                      "restricted eigenvalues at W*": evals.tolist(),
                      "earlier run (sum loss, other data)": "m = 0.25779 >= 0.11201, M = 1.39283 <= 2.04802, "
                                                        "kappa = 5.40 <= 18.28"}
    return experiment_evidence(
        "local rate rho(eta)", checks, examples=len(seeds),
        measurements={"rates": table, "spectra": extra,
                      "earlier run's table (other data)": [{"eta": "2/(m+M)", "predicted": 0.68764, "observed": 0.68763},
                                                     {"eta": "1/M", "predicted": 0.81492, "observed": 0.81420},
                                                     {"eta": "1.9/M", "predicted": 0.90000, "observed": 0.90000}]},
        figures=[figure("rychlik.P2-3: ||W_k - W*|| for several learning rates", "step k", "||W_k - W*||_F", curves,
                        xscale="linear", yscale="log")],
    )


def constructive_rate_runs(ctx) -> Evidence:
    """P2-5's experiment: random instances checked at every step against the constructive bounds (see the claim)."""
    rng = np.random.default_rng(12)
    n_instances = 40 if ctx.thorough else 12  # budget: the catalog ran 40; 12 keep every (start, eta) pairing
    checks = {"sublevel set": True, "probability floor": True, "descent lemma": True, "contraction <= rho_hat": True}
    ratio_over_rho, gaps, lemma_violation, rows = [], [], [], []
    for i in range(n_instances):
        N, D, K = int(rng.integers(3, 11)), int(rng.integers(1, 4)), int(rng.integers(2, 5))
        X = impls.add_bias(rng.normal(size=(N, D)))
        Y = rng.dirichlet(np.ones(K), size=N)
        Y /= Y.sum(axis=1, keepdims=True)
        W0 = [0.0, 1.0, 3.0][i % 3] * rng.normal(size=(D + 1, K))
        multiplier = [1.0, 1.9][i % 2]
        newton, m, _, star_err = minimiser(ctx, X, Y, W0)
        gd = gradient_descent(ctx.impl, X, Y, W0, step_multiplier=multiplier, max_iter=300, record_W=True)
        eta, M_hat = gd.step, gd.L
        tau = float(Y.min())
        L0 = float(gd.history["loss"][0])
        floor = math.exp(-N * L0 / tau)
        _, s, _ = row_space(X)
        m_hat = floor * float(s[-1] ** 2) / N
        gap = min(eta * m_hat, 1 - abs(1 - eta * M_hat))  # 1 - rho_hat without cancellation
        # exp(-N L_0 / tau) underflows for small tau; its decimal exponent does not
        log10_gap = min(math.log10(eta) - N * L0 / tau / math.log(10) + math.log10(float(s[-1] ** 2) / N),
                        math.log10(1 - abs(1 - eta * M_hat)))
        losses = np.asarray(gd.history["loss"])
        loss_tol = loss_increase_tolerance(L0, EPS)
        probs_min = np.array([float(np.min(ctx.impl.probs(W, X))) for W in gd.W_history])
        probs_tol = rounding.agreement_tolerances(X, np.abs(gd.W_history).max(axis=0), Y, np.float64)["probs"]
        G = (gd.W_history[:-1] - gd.W_history[1:]) / eta
        g2 = (G ** 2).sum(axis=(1, 2))
        lemma = losses[1:] - (losses[:-1] - eta * (1 - eta * M_hat / 2) * g2)
        _, ratios, slacks = contraction_profile(X, Y, gd.W_history, newton.W, star_err, eta)
        checks["sublevel set"] &= bool(np.all(losses <= L0 + loss_tol))
        checks["probability floor"] &= bool(np.all(probs_min >= floor * (1 - probs_tol)))
        checks["descent lemma"] &= bool(np.all(lemma <= loss_tol))
        checks["contraction <= rho_hat"] &= bool(np.all(ratios - 1 <= -gap + slacks))
        resolved = slacks < 1e-9
        if resolved.any():
            ratio_over_rho.append(float(np.max(ratios[resolved]) / (1 - gap)))
        gaps.append(log10_gap)
        lemma_violation.append(float(np.max(lemma / np.maximum(1.0, np.abs(losses[1:])))))
        rows.append({"N, D, K": [N, D + 1, K], "eta * M_hat": multiplier, "tau": tau, "L_0": L0,
                     "log10(1 - rho_hat)": log10_gap, "m on K-perp at W*": m})
    return experiment_evidence(
        "constructive global rate", checks, examples=n_instances,
        measurements={
            "largest (measured ratio) / rho_hat over resolved steps": max(ratio_over_rho) if ratio_over_rho else None,
            "median log10(1 - rho_hat)": float(np.median(gaps)),
            "largest log10(1 - rho_hat)": float(np.max(gaps)),
            "largest relative descent-lemma excess": max(lemma_violation),
            "instances": rows,
            "earlier run": "40 instances x 300 steps: max ratio / rho_hat = 0.9999; typically rho_hat = 1 - 1e-9; "
                       "descent lemma largest relative violation 4e-16",
        },
    )


def learning_rate_threshold_runs(ctx) -> Evidence:
    """S7's experiment: the local threshold 2/M near W*, the global one 2/L_hat, and the search for an overshoot
    (see the claim)."""
    X, Y = smoothed_data(1, 8, 2, 3, 0.2)
    newton, m, M, star_err = minimiser(ctx, X, Y, np.zeros((3, 3)))
    P = kernel_complement_basis(X, 3)
    H = np.asarray(ctx.impl.hessian(newton.W, X, Y), dtype=np.float64)
    evals, evecs = np.linalg.eigh(P.T @ ((H + H.T) / 2) @ P)
    e_eig = hessian_eigen_tolerance(H, X, newton.W, Y)
    v = (P @ evecs[:, -1]).reshape(3, 3)
    checks, local = {}, {}
    for label, multiplier in (("1.9/M", 1.9), ("2.1/M", 2.1)):
        eta = multiplier / M
        gd = gradient_descent(ctx.impl, X, Y, newton.W + 1e-8 * v, step=eta, max_iter=100, record_W=True)
        dist, ratios, slacks = contraction_profile(X, Y, gd.W_history, newton.W, star_err, eta, local=True)
        factor = abs(1 - multiplier)
        checks[f"eta = {label}: top mode multiplied by |1 - eta M| = {factor:.1f}"] = \
            bool(np.all(np.abs(ratios - factor) <= slacks + eta * e_eig))
        local[label] = {"predicted factor": factor, "mean measured factor": float(np.mean(ratios)),
                        "error after 100 steps / before": float(dist[-1] / dist[0])}
    checks["eta = 1.9/M converges, 2.1/M diverges"] = \
        local["1.9/M"]["error after 100 steps / before"] < 1 < local["2.1/M"]["error after 100 steps / before"]
    rng = np.random.default_rng(7)
    increases = []
    for scale in (0.0, 3.0, 10.0):
        gd = gradient_descent(ctx.impl, X, Y, scale * rng.normal(size=(3, 3)), step_multiplier=1.99, max_iter=300)
        increases.append(gd.n_increases)
    checks["eta = 1.99/L_hat: no loss increase from any of 3 starts"] = sum(increases) == 0
    search_part = local_threshold_search(ctx)
    checks["a start where eta = 1.9/M increases the loss (search, confirmed)"] = search_part.verdict == REFUTED
    ev = experiment_evidence("learning-rate thresholds", checks, examples=len(checks) + search_part.examples,
                             measurements={"local (W* + 1e-8 v)": local, "M": M, "2/M": 2 / M,
                                           "2/L_hat": 2 / lipschitz_bound(X), "loss increases at 1.99/L_hat": increases,
                                           "search: 2/M as a global threshold": summary_of(search_part),
                                           "earlier run": "at eta = 2.1/M the error grew x 9.3e4 in 200 steps"})
    ev.counterexample, ev.found_by_search, ev.high_precision = (search_part.counterexample, search_part.found_by_search,
                                                                search_part.high_precision)
    return ev

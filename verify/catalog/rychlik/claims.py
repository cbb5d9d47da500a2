"""Claims of Rychlik (arXiv:1903.12600) and Nwaigwe & Rychlik (arXiv:2012.04576).

The catalog is ``claims/rychlik.md``: paper 1 (P1-1 .. P1-6: the vectorized
gradient, the Hessian, "positivity of the second derivative", convergence
without a regulariser, the two-class rate), paper 2 (P2-1 .. P2-5: the
Kronecker form, existence with positive targets, the learning-rate/rate
relation, eigenvalue bounds, the constructive global rate), and the suspect
points S1 .. S8, each registered as a claim of its own.

Conventions (``DESIGN.md``). The papers write ``W`` as C x D (row j = class
j), ``X`` as D x N and a sum over samples. Here ``X`` is (N, D), ``W`` is
(D, K) with K = C, the logits of sample n are ``z_n = x_n^T W``, and the loss
is the mean ``L(W) = (1/N) sum_n [logsumexp(z_n) - t_n . z_n]``. So the
paper's ``(Y - T) X^T`` is our ``X^T (P - T) / N`` (P the softmax
probabilities, T the targets), its ``1^T V = 0`` is our ``V 1_K = 0``, its
``rows of V in range(X)`` our ``columns of V in range(X^T)``, its ``1 u^T``
our ``u 1_K^T``, and every Lipschitz constant and eigenvalue is the paper's
divided by N (learning rates multiplied by N). The Hessian is taken with
respect to ``W.ravel()`` in C order (index ``d*K + k``):
``H = (1/N) sum_n kron(x_n x_n^T, S(p_n))`` with ``S(p) = diag(p) - p p^T``.

How the evidence is made:

* identities (P1-1, P1-2, P2-1) are proved exactly with SymPy at small
  shapes and searched numerically (finite differences) at all shapes;
* inequalities and structural statements (P1-3, P1-6, P2-2, P2-4, S5, S6)
  are Hypothesis searches for the worst violation; where float64 cannot
  decide (probabilities below ~1e-16, rychlik S8) the decision is made in
  mpmath at the precision the problem needs;
* refutations (S1, S2, S3, the unnormalised half of S4) come out of a
  Hypothesis search, are shrunk by it, and are confirmed exactly
  (rational arithmetic) or in mpmath before they are reported;
* convergence and rate statements (P1-4, P1-5, P2-3, P2-5, S7) are
  experiments with gradient descent and Newton's method, measured against
  bounds whose rounding slack is derived in ``verify.catalog.rychlik.tolerances``.

Every kind of evidence is built by ``verify.harness.evidence``. The claims
are in the catalog's order; what they use sits beside them:

* ``formulas``: the closed forms (Kronecker Hessians, the vectorized
  gradient, the kernel K and K-perp, the two-class reduction, F7's bounds);
* ``symbolic``: SymPy problems and forms, and the exact parts of P1-1, P1-2, P1-3, P2-1;
* ``problems``: the catalog's data sets and the Hypothesis strategies;
* ``searches``: the searches several claims share (the gradient identity,
  existence of a minimiser, positive definiteness, the 2/M threshold);
* ``certificates``: mpmath spectra, the positive-definiteness certificate
  and the high-precision confirmations of the claims' own searches;
* ``existence``: Newton on a whitened design, the recession direction of a
  linear program, and the exact certificate that no minimiser exists;
* ``descent``: the gradient-descent experiments (convergence, rates,
  thresholds) and their reference minimiser W*;
* ``constructions``: the catalog's fixed constructions beside the searches;
* ``tolerances``: the rounding bounds, each derived where it is defined.
"""

from __future__ import annotations

import math

import numpy as np
from scipy.linalg import block_diag, null_space

from ...harness.claims import REFUTED, CheckContext, Evidence
from ...harness.evidence import all_parts_hold, holds_under, search_evidence, searched, summary_of
from ...harness.search import Measurement, search, worse
from ...numerics import differences, precision, rounding
from ...numerics.derivatives import check_gradient, check_hessian
from ...numerics.optimizers import gradient_descent, kernel_complement_basis, lipschitz_bound
from ..sources import claim
from . import certificates, constructions, descent, symbolic
from . import tolerances as tol
from .existence import newton_existence, whitened
from .formulas import (
    c_to_f_permutation,
    entropy_rows,
    f7_bounds,
    factored_hessian,
    general_cross_entropy,
    kernel_basis,
    kron_hessian,
    kron_hessian_column_major,
    logit_gaps,
    operator_hvp,
    plain_gradient,
    restricted_extremes_at,
    row_space,
    softmax_covariance,
    sum_zero_basis,
    two_class_hessian_w,
    variance_form,
)
from .problems import (
    DATASET_SIZES,
    HESSIAN_SIZES,
    dataset_to_dict,
    datasets,
    integer_datasets,
    problems,
    smoothed_data,
    square_problems,
    unnormalised_problems,
)
from .searches import existence_search, gradient_identity_search, positive_definite_search
from .tolerances import hessian_eigen_tolerance, hessian_entry_tolerance

EPS = rounding.eps(np.float64)


# ==========================================================================
# Paper 1: Rychlik, arXiv:1903.12600
# ==========================================================================


@claim("rychlik.P1-1")
def vectorized_gradient(ctx: CheckContext) -> Evidence:
    """Exact for (N, D, K) = (1, 2, 3) (the catalog's shape, t_3 = 1 - t_1 - t_2) and (2, 2, 3): SymPy
    differentiates the SymPy implementation's loss and the residual against ``X^T (P - T)/N`` simplifies to 0.
    Then a search over shapes up to (6, 4, 5), one-hot, soft and zero-entry targets and logits up to 1e3
    compares the formula with Richardson differences of the reference loss."""
    return all_parts_hold("grad L = X^T (P - T)/N", {
        "exact": symbolic.exact_gradient_evidence(),
        "search": gradient_identity_search(ctx),
    })


@claim("rychlik.P1-2")
def hessian_identity(ctx: CheckContext) -> Evidence:
    """Search (shapes up to (6, 4, 4), logits up to 1e3): the C-order Kronecker sum against Richardson differences
    of the reference gradient; the F-order sum against the permuted C-order one; the operator form against H vec(V);
    the variance form against vec(V)^T H vec(V). Then SymPy, exactly, for (N, D, K) = (1, 2, 3): the Hessian of the
    loss minus the Kronecker sum is the zero matrix, and it contains none of the target symbols."""
    impl = ctx.impl

    def measure(pb):
        X, W, Y, V = pb.X, pb.W, pb.Y, pb.V
        N, D = X.shape
        K = W.shape[1]
        P = impl.probs(W, X)
        H = kron_hessian(X, P)
        chk = check_hessian(lambda W_: impl.grad(W_, X, Y), lambda W_: kron_hessian(X, impl.probs(W_, X)), W,
                            method="richardson")
        entry = hessian_entry_tolerance(X, W, Y)
        perm = c_to_f_permutation(D, K)
        f_err = float(np.max(np.abs(kron_hessian_column_major(X, P) - H[np.ix_(perm, perm)])))
        v = V.ravel()
        op_err = float(np.max(np.abs(operator_hvp(X, P, V).ravel() - H @ v)))
        op_tol = differences.matvec_error(H, v, EPS) + rounding.agreement_tolerances(X, W, Y, np.float64, V=V)["hvp"]
        quad = float(v @ H @ v)
        var_err = abs(quad - variance_form(X, P, V))
        var_tol = float(np.sum(np.abs(v)) * op_tol + (D * K + 2) * EPS * (np.abs(v) @ np.abs(H) @ np.abs(v)))
        parts = [
            Measurement(chk.max_abs_error, chk.tolerance, "Kronecker sum vs differences of the gradient", chk.to_dict()),
            Measurement(f_err, entry, "F-order Kronecker sum vs permuted C-order sum"),
            Measurement(op_err, op_tol, "operator form vs H vec(V)"),
            Measurement(var_err, var_tol, "variance form vs vec(V)^T H vec(V)", {"quadratic_form": quad}),
        ]
        return worse(*parts)

    search_part = searched(ctx, problems(**HESSIAN_SIZES), measure,
                           what="Kronecker sum, F order, operator and variance forms",
                           confirm=certificates.confirm_hessian_forms)

    exact = symbolic.exact_hessian_evidence()
    return all_parts_hold("the Hessian and its forms", {"search": search_part, "exact": exact})


@claim("rychlik.P1-3")
def positivity_true_form(ctx: CheckContext) -> Evidence:
    """Search over shapes up to (6, 4, 4), rank-deficient and duplicated X, logits up to 1e3: the reference Hessian
    has lambda_min >= -(eigenvalue error bound); it annihilates an orthonormal basis of K (||H Q_K|| within the bound);
    and P^T H P is positive definite, decided in float64 where its lambda_min clears the bound and otherwise in
    mpmath at the digits the logit gaps need (probabilities down to exp(-2000)). A violation is recomputed in mpmath.
    SymPy: H vec(u 1^T) = 0 symbolically, and the exact kernel dimension at rational points."""

    decided_in_mpmath = []

    def measure(pb):
        X, W, Y = pb.X, pb.W, pb.Y
        K = W.shape[1]
        H = np.asarray(ctx.impl.hessian(W, X, Y), dtype=np.float64)
        H = (H + H.T) / 2
        e = hessian_eigen_tolerance(H, X, W, Y)
        lam = np.linalg.eigvalsh(H)
        kernel = kernel_basis(X, K)
        P = kernel_complement_basis(X, K)
        kernel_norm = float(np.linalg.norm(H @ kernel, 2)) if kernel.size else 0.0
        restricted = np.linalg.eigvalsh(P.T @ H @ P) if P.size else np.array([np.inf])
        details = dict(
            lambda_min=float(lam[0]),
            lambda_max=float(lam[-1]),
            eigenvalue_error_bound=e,
            zero_eigenvalues_float64=int(np.sum(np.abs(lam) <= e)),
            kernel_dimension_predicted=int(kernel.shape[1]),
            restricted_lambda_min_float64=float(restricted[0]),
        )
        if restricted[0] > e:
            positive, details["K-perp positive definite decided by"] = True, "float64"
        else:
            # float64 loses probabilities below ~1e-16 against 1 in S(p) (rychlik S8): decide at the digits needed
            cert = certificates.certify_restricted_positive_definite(W, X, P)
            positive, details["K-perp positive definite decided by"] = cert["positive_definite"], cert
            decided_in_mpmath.append({"digits": cert["digits"], "smallest LDL pivot": cert["smallest_pivot"],
                                      "largest logit gap": float(logit_gaps(W, X).max())})
        parts = [  # (a) PSD, (b) H = 0 on K, (c) positive definite on K-perp
            Measurement(max(0.0, -float(lam[0])), e, "-lambda_min(H) (PSD)", details),
            Measurement(kernel_norm, e, "||H v|| on the predicted kernel K", details),
            Measurement(0.0 if positive else 1.0, 0.5, "H not positive definite on K-perp", details),
        ]
        return worse(*parts)

    out = search(problems(**HESSIAN_SIZES), measure, settings=ctx.settings)
    search_part = search_evidence(out, what="PSD, H = 0 on K, positive definite on K-perp",
                                  confirm=certificates.confirm_psd_kernel,
                                  measurements={"examples decided in mpmath (float64 could not resolve lambda_min on "
                                                "K-perp)": len(decided_in_mpmath),
                                                "mpmath decisions (first 5)": decided_in_mpmath[:5]})
    return all_parts_hold("PSD, kernel exactly K, positive definite on K-perp (reconstructed statement)",
                          {"search": search_part, "exact": symbolic.exact_kernel_evidence()})


@claim("rychlik.P1-4")
def convergence_with_minimiser(ctx: CheckContext) -> Evidence:
    """Experiment on three data sets with a minimiser (smoothed targets; overlapping one-hot classes, where W* = 0 and
    L* = log 2; a rank-deficient X with D > N): Newton certifies the minimiser W* in W_0 + K-perp, then gradient
    descent at eta = 1/L_hat runs until its gradient reaches the rounding floor. Checked along every run: no loss
    increase beyond rounding, ||W_k - W*|| non-increasing within its rounding slack, the O(1/k) value bound, and
    convergence to Newton's W* (not to another minimiser). The separable case without a minimiser is S1."""
    return descent.convergence_runs(ctx)


@claim("rychlik.P1-5")
def two_class_rate(ctx: CheckContext) -> Evidence:
    """Experiment: two-class data with smoothed, random soft and nearly one-hot targets, starts at 0 and far away,
    eta = 1/L_hat and 1.9/L_hat. Along every run: each W-step moves w by exactly -2 eta grad_w L (within its rounding);
    every measured per-step contraction (in W on K-perp, which equals the one in w) is at most the effective rho plus
    its derived rounding slack; and the local rate in w with step 2 eta equals the local rate in W with step eta."""
    return descent.two_class_rate_runs(ctx)


# budget: gradient-descent steps per P1-6 search example. A leak of W 1_K or Q^T W would add up over the
# steps while the drift bound grows only by each step's rounding; 20 keep the search as cheap as its siblings.
INVARIANT_STEPS_BUDGET = 20


@claim("rychlik.P1-6")
def implicit_facts(ctx: CheckContext) -> Evidence:
    """Search over shapes up to (6, 4, 5), logits up to 1e3: the loss at W and at W + u 1^T (u = first column of the
    drawn V) agree within the loss rounding bound; L and L - mean entropy are >= minus that bound; and 20 steps of
    gradient descent from W change W 1_K and Q^T W by no more than the accumulated rounding of the steps
    (``tolerances.gd_invariant_drift``). An experiment on a rank-deficient X records the drift after 2000 steps."""
    impl = ctx.impl

    def parts(pb):
        X, W, Y = pb.X, pb.W, pb.Y
        K = W.shape[1]
        shifted = W + pb.V[:, :1]
        big = np.maximum(np.abs(W), np.abs(shifted))
        loss_tol = rounding.agreement_tolerances(X, big, Y, np.float64)["loss"]
        L0, L1 = float(impl.loss(W, X, Y)), float(impl.loss(shifted, X, Y))
        H_bar = float(np.mean(entropy_rows(Y)))
        entropy_tol = (K + 2) * EPS * max(1.0, H_bar)
        out = [
            Measurement(abs(L1 - L0), loss_tol, "|L(W + u 1^T) - L(W)|", {"L": L0}),
            Measurement(max(0.0, -L0), loss_tol, "-L(W)", {"L": L0}),
            Measurement(max(0.0, H_bar - L0), loss_tol + entropy_tol, "mean entropy - L(W)", {"L": L0, "mean entropy": H_bar}),
        ]
        if lipschitz_bound(X) > 0:
            gd = gradient_descent(impl, X, Y, W, step_multiplier=1.0, max_iter=INVARIANT_STEPS_BUDGET)
            moved = gd.W - W
            Q = null_space(X)
            drift_tol = tol.gd_invariant_drift(gd.n_iter, np.abs(np.stack([W, gd.W])).max(),
                                               gd.step * gd.history["grad_norm"].max(), K, EPS)
            out.append(Measurement(float(np.max(np.abs(moved.sum(axis=1)))), drift_tol, "change of W 1_K under GD"))
            if Q.size:
                out.append(Measurement(float(np.max(np.abs(Q.T @ moved))), drift_tol, "change of Q^T W under GD"))
        return out

    def measure(pb):
        return worse(*parts(pb))

    search_part = searched(ctx, problems(max_N=6, max_D=4, max_K=5), measure,
                           what="shift invariance, GD invariants, L >= 0, L >= entropy",
                           confirm=certificates.confirm_implicit_facts)

    long_run = constructions.invariants_over_long_run(ctx)
    return all_parts_hold("implicit facts", {"search": search_part, "2000-step run": long_run})


# ==========================================================================
# Paper 2: Nwaigwe & Rychlik, arXiv:2012.04576
# ==========================================================================


@claim("rychlik.P2-1")
def kronecker_form(ctx: CheckContext) -> Evidence:
    """Exact: for symbolic W, X at (N, D, K) = (1, 2, 3), the Hessian of the SymPy implementation minus the factored
    form simplifies to the zero matrix; and for (N, D, K) = (3, 2, 3) with free symbols for X and for the probabilities,
    the Kronecker sum and the factored form are the same polynomial matrix. Search (shapes up to (6, 4, 4), logits up
    to 1e3): the reference Hessian against both forms, within the Hessian's entrywise rounding bound."""
    exact = symbolic.exact_factored_hessian_evidence()
    impl = ctx.impl

    def measure(pb):
        X, W, Y = pb.X, pb.W, pb.Y
        P = impl.probs(W, X)
        H = np.asarray(impl.hessian(W, X, Y), dtype=np.float64)
        entry = hessian_entry_tolerance(X, W, Y)
        return max([
            Measurement(float(np.max(np.abs(H - kron_hessian(X, P)))), entry, "|H - Kronecker sum|"),
            Measurement(float(np.max(np.abs(H - factored_hessian(X, P)))), entry, "|H - factored form|"),
        ], key=lambda m: m.ratio)

    search_part = searched(ctx, problems(**HESSIAN_SIZES), measure, what="Hessian vs Kronecker sum and factored form",
                           confirm=certificates.confirm_factored_hessian)
    return all_parts_hold("Kronecker form", {"exact": exact, "search": search_part})


@claim("rychlik.P2-2")
def existence_with_positive_targets(ctx: CheckContext) -> Evidence:
    """Search over data sets with strictly positive dyadic targets (entries >= 2^-16), shapes up to (6, 3, 3),
    rank-deficient and duplicated X: Newton's method on the whitened design (the same landscape, see ``existence.whitened``)
    certifies a minimiser from two starts, and the two minimisers differ by an element of K (within Newton's error);
    the coercivity inequality holds at W = s V for s = 1, 10, 100. Then experiments: the exact fit when rank X = N,
    and a one-hot data set with a minimiser (W* = 0 modulo K, L* = log 2)."""
    impl = ctx.impl

    def parts(pb):
        X, Y = pb.X, pb.Y
        K = Y.shape[1]
        a, M = newton_existence(ctx, X, Y)
        if a is None:  # X = 0: L is constant, every W is a minimiser
            return [Measurement(0.0, 0.5, "no minimiser certified")]
        r = M.shape[1]
        b, _ = newton_existence(ctx, X, Y, W0=pb.V[:r].astype(np.float64))
        out = [Measurement(0.0 if (a.exists is True and b.exists is True) else 1.0, 0.5, "no minimiser certified",
                           {"start 0": a.reason, "start V": b.reason})]
        if a.exists is True and b.exists is True:
            Xw = whitened(X)[0]  # full column rank: its kernel K is {u 1^T}, so compare modulo row means
            ma, _, _ = restricted_extremes_at(ctx, a.W, Xw, Y)
            g_err = math.sqrt(r * K) * rounding.agreement_tolerances(Xw, a.W, Y, np.float64)["grad"]
            err = tol.minimizer_error(a.grad_norm, g_err, ma) + tol.minimizer_error(b.grad_norm, g_err, ma)
            diff = (a.W - b.W) - (a.W - b.W).mean(axis=1, keepdims=True)
            out.append(Measurement(float(np.linalg.norm(diff)), err, "minimisers from two starts differ outside K"))
        tau = float(Y.min())
        for s in (1.0, 10.0, 100.0):
            W = s * pb.V
            loss_tol = rounding.agreement_tolerances(X, W, Y, np.float64)["loss"]
            bound = tau * float(np.mean(logit_gaps(W, X)))
            out.append(Measurement(max(0.0, bound - float(impl.loss(W, X, Y))), loss_tol,
                                   "coercivity: tau * mean spread - L(W)", {"s": s}))
        return out

    def measure(pb):
        return worse(*parts(pb))

    search_part = searched(ctx, datasets(target_kinds=("soft",), **DATASET_SIZES), measure,
                           what="minimiser certified, unique modulo K, coercive",
                           confirm=certificates.confirm_no_minimiser_or_not_coercive,
                           to_dict=lambda pb: {**dataset_to_dict(pb), "V": pb.V.tolist()})

    experiments = constructions.exact_fit_and_one_hot_minimiser(ctx)
    return all_parts_hold("existence with positive targets", {"search": search_part, "experiments": experiments})


@claim("rychlik.P2-3")
def local_rate(ctx: CheckContext) -> Evidence:
    """Experiment on 3-class smoothed data (8 points in the plane plus a bias): Newton gives W*, m and M. For
    eta in {2/(m+M), 1/M, 1.9/M}: from a random start every per-step ratio is at most rho(eta) plus its derived slack
    (rounding, W*'s error, linearisation), and from W* + 1e-6 v, v the eigenvector of the slowest mode, the ratio equals
    rho(eta) within that slack. At eta = 2.1/M the slowest mode grows by |1 - 2.1| = 1.1 per step. The F7 bounds
    bracket m and M, and eta = 2/(m_hat + M_hat) contracts at most by (kappa_hat - 1)/(kappa_hat + 1)."""
    return descent.local_rate_runs(ctx)


@claim("rychlik.P2-4")
def eigenvalue_bounds(ctx: CheckContext) -> Evidence:
    """Search over shapes up to (6, 4, 4), rank-deficient and duplicated X, logits up to 1e3: the eigenvalues of
    P^T H P (P an orthonormal basis of K-perp) against F7's bounds, and, when N = D and X has full rank, every
    eigenvalue of H against Ostrowski's interval, all within the eigenvalue error bound. A violation is recomputed in
    mpmath at the precision the logit gaps need."""
    impl = ctx.impl

    def parts(pb):
        X, W, Y = pb.X, pb.W, pb.Y
        N, D = X.shape
        K = W.shape[1]
        H = np.asarray(impl.hessian(W, X, Y), dtype=np.float64)
        H = (H + H.T) / 2
        e = hessian_eigen_tolerance(H, X, W, Y)
        P = kernel_complement_basis(X, K)
        if P.shape[1] == 0:
            return [Measurement(0.0, e, "X = 0: K-perp is {0}")]
        ev = np.linalg.eigvalsh(P.T @ H @ P)
        m_hat, M_hat = f7_bounds(ctx, W, X, Y)
        half = float(row_space(X)[1][0] ** 2) / (2 * N)
        bound_rounding = tol.f7_bound_rounding(K)
        out = [
            Measurement(max(0.0, m_hat - ev[0]), e + bound_rounding * m_hat, "m_hat - lambda_min(H|K-perp)",
                        {"lambda_min": float(ev[0]), "m_hat": m_hat}),
            Measurement(max(0.0, ev[-1] - M_hat), e + bound_rounding * M_hat, "lambda_max(H|K-perp) - M_hat",
                        {"lambda_max": float(ev[-1]), "M_hat": M_hat}),
            Measurement(max(0.0, M_hat - half), bound_rounding * half, "M_hat - lambda_max(X^T X)/(2N)"),
        ]
        _, s, _ = row_space(X)
        if N == D and s.size == D:
            probs = impl.probs(W, X)
            mu = np.linalg.eigvalsh(block_diag(*[softmax_covariance(p) for p in probs])) / N
            lam = np.linalg.eigvalsh(H)
            e_mu = tol.symmetric_eigenvalue_error(block_diag(*[softmax_covariance(p) for p in probs]),
                                                  rounding.agreement_tolerances(X, W, Y, np.float64)["probs"] * 2, EPS) / N
            low = s[-1] ** 2 * mu - s[-1] ** 2 * e_mu
            high = s[0] ** 2 * mu + s[0] ** 2 * e_mu
            out.append(Measurement(float(max(np.max(low - lam), np.max(lam - high), 0.0)), e,
                                   "eigenvalue of H outside Ostrowski's interval (N = D)"))
        return out

    ostrowski_cases = []

    def measure(pb):
        found = parts(pb)
        if found[-1].quantity.startswith("eigenvalue of H outside"):
            ostrowski_cases.append(pb.X.shape[0])
        return worse(*found)

    general = searched(ctx, problems(**HESSIAN_SIZES), measure, what="eigenvalue bounds on K-perp",
                       confirm=certificates.confirm_f7_violation)
    out = search(square_problems(), measure, settings=ctx.settings)
    square = search_evidence(out, what="eigenvalue bounds and Ostrowski's interval, N = D",
                             confirm=certificates.confirm_f7_violation,
                             measurements={"examples with X invertible (Ostrowski checked)": len(ostrowski_cases)})
    return all_parts_hold("eigenvalue bounds", {"all shapes": general, "N = D": square})


@claim("rychlik.P2-5")
def constructive_global_rate(ctx: CheckContext) -> Evidence:
    """Experiment: random instances (N in 3..10, D in 1..3 plus a bias, K in 2..4, Dirichlet targets, starts of scale
    0, 1 and 3, eta = 1/M_hat and 1.9/M_hat), 300 steps each (12 instances; 40 under the thorough profile, the
    catalog's count). Every step is checked: L <= L_0, min p >= exp(-N L_0/tau), the descent lemma, and the per-step
    contraction against rho_hat, each within its derived rounding slack."""
    return descent.constructive_rate_runs(ctx)


# ==========================================================================
# Suspect, imprecise or conditionally true points (catalog section 4)
# ==========================================================================


@claim("rychlik.S1")
def weights_without_minimiser(ctx: CheckContext) -> Evidence:
    """Search over one-hot data sets (shapes up to (6, 3, 3)) for one where L has no minimiser: Newton on the whitened
    design runs off, and its last iterate gives a direction V with, for every sample, the target class maximal in
    V^T x_n and some V^T x_n non-constant; this certificate is checked in exact rational arithmetic, and the loss along
    the ray s V is evaluated in 50-digit mpmath (strictly decreasing to 0). The catalog's separable 6-point set is run
    as an experiment: the loss and ||W|| table up to k = 10^4 (2 x 10^5 under the thorough profile)."""
    ev = existence_search(ctx, integer_datasets(mixed_targets=False), what="a one-hot data set without a minimiser")
    experiment = constructions.s1_catalog_experiment(ctx)
    ev.figures.append(experiment.pop("figure"))
    ev.measurements["constructed data set (6 separable points, 3 classes)"] = experiment
    if not experiment["exact certificate of no minimiser"]:
        ev.notes.append("the constructed separable data set did not yield an exact certificate of non-existence")
    if not experiment["earlier run's numbers reproduced (4 digits)"]:
        ev.notes.append("the earlier run's gradient-descent table on that data set was not reproduced to its 4 printed digits")
    return ev


@claim("rychlik.S2")
def positivity_literal(ctx: CheckContext) -> Evidence:
    """Search over shapes up to (4, 3, 3) with X != 0 for a Hessian that is not positive definite
    (lambda_min below the eigenvalue error bound); the shrunk example is confirmed in 50-digit mpmath (a zero
    eigenvalue; the witness e_1 1^T has D^2 L = 0). A second search does the same on {V 1_K = 0} (found only with rank X < D). Experiments: the zero
    counts for the catalog's three shapes, two minimisers of equal loss when rank X < D, and lambda_min on K-perp along
    a ray s W_1."""
    # Every example refutes the literal reading, and each is decided in mpmath: small shapes keep that cheap.
    sizes = dict(max_N=4, max_D=3, max_K=3)
    nonzero = lambda pb: len(row_space(pb.X)[1]) >= 1  # noqa: E731
    whole = positive_definite_search(ctx, lambda X, K: np.eye(X.shape[1] * K), what="H positive definite on all V, X != 0",
                                     quantity="eigenvalue error bound / lambda_min(H)", within=nonzero, sizes=sizes)
    sum_zero = positive_definite_search(ctx, lambda X, K: np.kron(np.eye(X.shape[1]), sum_zero_basis(K)),
                                        what="H positive definite on {V 1_K = 0}, X != 0",
                                        quantity="eigenvalue error bound / lambda_min(H on V 1 = 0)",
                                        within=nonzero, sizes=sizes)
    if whole.counterexample is not None:
        X = np.asarray(whole.counterexample["X"])
        whole.measurements["the counterexample's X has full column rank"] = len(row_space(X)[1]) == X.shape[1]
    whole.measurements["on {V 1_K = 0} (the paper's 1^T V = 0)"] = summary_of(sum_zero)

    measurements, ray_figure = constructions.singular_hessian_constructions(ctx)
    whole.measurements.update(measurements)
    whole.figures.append(ray_figure)
    if sum_zero.verdict != REFUTED:
        whole.notes.append("the search on {V 1 = 0} found no rank-deficient counterexample: " + sum_zero.summary)
    return whole


@claim("rychlik.S3")
def positivity_per_data_set(ctx: CheckContext) -> Evidence:
    """Search over small integer data sets (rows one-hot or soft, independently) whose every class has positive
    total mass and which, in addition, have one strictly positive (smoothed) target row, for one without a minimiser,
    certified exactly as in S1. The extra condition only strengthens the hypothesis, so a counterexample to it refutes
    the data-set reading, and it shows the catalog's point: a smoothed sample does not help. The catalog's 1-D
    construction is run as an experiment: the loss along the ray in mpmath, its float64 value at s = 20, gradient
    descent and Newton."""
    def within(pb):
        # every class has positive total mass; one row is strictly positive (smoothed), one has a zero entry
        return bool(np.all(pb.Y.sum(axis=0) > 0) and np.any(np.all(pb.Y > 0, axis=1)) and np.any(pb.Y == 0))

    ev = existence_search(ctx, integer_datasets(max_N=4, max_D=3, max_abs=2, smoothed_row=True), within=within,
                          what="a data set with every class present, a strictly positive target row, and no minimiser")

    experiment = constructions.s3_catalog_experiment(ctx)
    ev.figures.append(experiment.pop("figure"))
    ev.measurements["constructed data set (x in -2..2 with bias, x = 0 smoothed)"] = experiment
    return ev


@claim("rychlik.S4")
def gradient_needs_normalised_targets(ctx: CheckContext) -> Evidence:
    """Both halves are searches. With normalised targets: the search of P1-1 (Richardson differences of the reference
    loss against X^T (P - T)/N). Without: targets scaled row by row by 1/4 .. 2, the loss evaluated as
    -(1/N) sum T log p directly (the implementations refuse such targets), and X^T (P - T)/N compared with its
    Richardson differences; the shrunk counterexample is confirmed in mpmath, where the corrected formula
    X^T (P diag(T 1) - T)/N agrees with the 50-digit differences and the plain one does not."""
    impl = ctx.impl
    under = gradient_identity_search(ctx)

    def measure(pb):
        X, T = pb.X, pb.Y
        chk = check_gradient(lambda W: general_cross_entropy(W, X, T),
                             lambda W: plain_gradient(impl.probs(W, X), X, T), pb.W, method="richardson")
        return Measurement(chk.max_abs_error, chk.tolerance, "|X^T (P - T)/N - differences of L|",
                           {**chk.to_dict(), "row sums": T.sum(axis=1).tolist()})

    out = search(unnormalised_problems(), measure, settings=ctx.settings)
    without = search_evidence(out, what="X^T (P - T)/N with unnormalised targets",
                              confirm=lambda pb: certificates.confirm_gradient_formula(pb.W, pb.X, pb.Y, plain=True))
    rng = np.random.default_rng(4)
    X, W = rng.normal(size=(6, 3)), rng.normal(size=(3, 4))
    T = rng.dirichlet(np.ones(4), size=6) * rng.uniform(0.2, 3.0, size=(6, 1))
    random_case = certificates.confirm_gradient_formula(W, X, T, plain=True)
    found = out.counterexample
    figures = [certificates.unnormalised_gradient_figure(impl, found)] if found is not None else []
    return holds_under("grad L = X^T (P - T)/N", under, without, "every target row sums to 1",
                       measurements={"a random case (N=6, D=3, K=4, row sums in [0.2, 3])": random_case,
                                     "earlier run": "plain formula off by 3.78 on a random case; corrected one agrees to "
                                                "4e-9 (sum loss)"},
                       figures=figures)


@claim("rychlik.S5")
def two_class_constants(ctx: CheckContext) -> Evidence:
    """Search over two-class problems (shapes up to (6, 4, 2), logits up to 1e3): the sorted eigenvalues of the
    W-Hessian on K-perp against twice those of the w-Hessian on the row space, the W-gradient's columns against
    +-g, and at W = 0 the largest eigenvalues against lambda_max(X^T X)/(2N) and /(4N); all within the eigenvalue
    and gradient rounding bounds."""
    impl = ctx.impl

    def parts(pb):
        X, W, Y = pb.X, pb.W, pb.Y
        N = X.shape[0]
        _, s_r, Vr = row_space(X)
        if s_r.size == 0:
            return [Measurement(0.0, 1.0, "X = 0")]
        P = kernel_complement_basis(X, 2)
        out = []
        for label, Wt in (("at W", W), ("at W = 0", np.zeros_like(W))):
            H = np.asarray(impl.hessian(Wt, X, Y), dtype=np.float64)
            e = hessian_eigen_tolerance(H, X, Wt, Y)
            lam_W = np.linalg.eigvalsh(P.T @ ((H + H.T) / 2) @ P)
            s = impl.probs(Wt, X)[:, 0]
            Hw = Vr.T @ two_class_hessian_w(X, s) @ Vr
            lam_w = np.linalg.eigvalsh((Hw + Hw.T) / 2)
            # e bounds the error of lambda_W; the w-Hessian's entries are the W-Hessian's up to sign, so 2 e for 2 lambda_w
            out.append(Measurement(float(np.max(np.abs(lam_W - 2 * lam_w))), 3 * e,
                                   f"|eig(W-Hessian on K-perp) - 2 eig(w-Hessian)| {label}",
                                   {"W eigenvalues": lam_W.tolist(), "w eigenvalues": lam_w.tolist()}))
            if label == "at W = 0":
                top = float(s_r[0] ** 2)
                out.append(Measurement(abs(lam_W[-1] - top / (2 * N)), e, "lambda_max(W-Hessian at 0) - lambda_max(X^T X)/(2N)"))
                out.append(Measurement(abs(lam_w[-1] - top / (4 * N)), e, "lambda_max(w-Hessian at 0) - lambda_max(X^T X)/(4N)"))
        G = np.asarray(impl.grad(W, X, Y), dtype=np.float64)
        g = X.T @ (impl.probs(W, X)[:, 0] - Y[:, 0]) / N
        # two gradient columns (one grad bound each) against 2 g (two more)
        grad_tol = 4 * rounding.agreement_tolerances(X, W, Y, np.float64)["grad"]
        out.append(Measurement(float(np.max(np.abs(G[:, 0] - G[:, 1] - 2 * g))), grad_tol,
                               "|(G[:,0] - G[:,1]) - 2 X^T (s - t)/N|"))
        out.append(Measurement(float(np.max(np.abs(G[:, 0] + G[:, 1]))), grad_tol, "|G[:,0] + G[:,1]|"))
        return out

    def measure(pb):
        return worse(*parts(pb))

    ev = searched(ctx, problems(max_N=6, max_D=4, max_K=2), measure,
                  what="factor 2 between W and w, gradient (g, -g), Lipschitz constants 1/2 and 1/4",
                  confirm=certificates.confirm_two_class_factor)
    X, Y = smoothed_data(3, 10, 2, 2, 0.3)
    lam = float(np.linalg.eigvalsh(X.T @ X)[-1])
    ev.measurements["Lipschitz constants for a 10-sample set"] = {
        "W, mean loss": lam / 20, "w, mean loss": lam / 40, "W, sum loss": lam / 2, "w, sum loss": lam / 4}
    ev.measurements["earlier run (other data)"] = "W-Hessian [0.1636, 0.6431, 1.2940] = 2 x w-Hessian [0.0818, 0.3215, 0.6470]"
    return ev


@claim("rychlik.S6")
def condition_number(ctx: CheckContext) -> Evidence:
    """Search over shapes up to (6, 4, 4), logits up to 1e3: H vec(e_1 1^T) vanishes within the eigenvalue error bound
    (so kappa(H) is infinite), and kappa(H|K-perp) <= kappa_hat(W) wherever F7's lower bound clears the rounding.
    Experiment: kappa(H|K-perp) along s W_1 (largest logit gap s, 0 <= s <= 24) for a 3-class data set: it stays
    below kappa_hat(s W_1), increases along the ray, and exceeds kappa_hat(0), so no bound evaluated at one point
    holds globally."""
    impl = ctx.impl

    def parts(pb):
        X, W, Y = pb.X, pb.W, pb.Y
        K = W.shape[1]
        H = np.asarray(impl.hessian(W, X, Y), dtype=np.float64)
        H = (H + H.T) / 2
        e = hessian_eigen_tolerance(H, X, W, Y)
        shift = np.zeros_like(W)
        shift[0] = 1.0 / math.sqrt(K)
        out = [Measurement(float(np.linalg.norm(H @ shift.ravel())), e, "||H vec(e_1 1^T)|| / sqrt(K)")]
        P = kernel_complement_basis(X, K)
        if P.shape[1]:
            ev = np.linalg.eigvalsh(P.T @ H @ P)
            m_hat, M_hat = f7_bounds(ctx, W, X, Y)
            if m_hat > e and ev[0] > e:
                # kappa <= (M_hat + e)/(m_hat - e) covers both eigenvalues' rounding
                kappa = float(ev[-1] / ev[0])
                bound = (M_hat + e) / (m_hat - e) if m_hat > e else math.inf
                out.append(Measurement(max(0.0, kappa - bound), 2 * tol.f7_bound_rounding(K) * bound,
                                       "kappa(H|K-perp) - kappa_hat(W)",
                                       {"kappa": kappa, "kappa_hat": M_hat / m_hat}))
        return out

    def measure(pb):
        return worse(*parts(pb))

    search_part = searched(ctx, problems(**HESSIAN_SIZES), measure,
                           what="H singular on u 1^T; kappa on K-perp below the bound of rychlik.P2-4",
                           confirm=certificates.confirm_psd_kernel)

    experiment = constructions.condition_number_along_ray(ctx)
    return all_parts_hold("condition number", {"search": search_part, "ray": experiment})


@claim("rychlik.S7")
def learning_rate_thresholds(ctx: CheckContext) -> Evidence:
    """Experiment on the 3-class smoothed data: from W* + 1e-8 v (v the top eigenvector on K-perp), eta = 1.9/M
    contracts that mode by 0.9 per step and eta = 2.1/M expands it by 1.1, within the linearisation slack; from
    starts of scale 0, 3 and 10, eta = 1.99/L_hat never increases the loss in 300 steps. And a Hypothesis search
    (two classes, at most three samples with small integer inputs, targets in positive quarters) finds data where
    eta = 1.9/M increases the loss from W = 0, confirmed in mpmath."""
    return descent.learning_rate_threshold_runs(ctx)


@claim("rychlik.S8")
def floating_point_caveat(ctx: CheckContext) -> Evidence:
    """Experiment and search. The underflow threshold of the reference probs by bisection, against 1075 ln 2. A search
    over problems with logits up to 30 and 1e3: the exact zeros of probs are where the gap predicts (outside the ln 2 +
    ln K band of the threshold), the naive loss is infinite exactly when target mass sits on an underflowed class, and
    the log-sum-exp loss agrees with 50-digit mpmath. A construction (K = 3, gaps 400 and 800): the float Hessian's
    zero eigenvalues exceed the kernel dimension while mpmath certifies positive definiteness on K-perp; at gap 700
    (p ~ 1e-304, no underflow) float64 cannot certify it either, mpmath can."""
    impl = ctx.impl
    threshold = 1075 * math.log(2)

    def measure(pb):
        X, W, Y = pb.X, pb.W, pb.Y
        K = W.shape[1]
        P = np.asarray(impl.probs(W, X), dtype=np.float64)
        Z = X @ W
        gap = Z.max(axis=1, keepdims=True) - Z
        band = tol.UNDERFLOW_GAP_TOLERANCE + math.log(K)
        must_vanish, must_not = gap > threshold + band, gap < threshold - band
        wrong_zeros = int(np.sum(must_vanish & (P != 0)) + np.sum(must_not & (P == 0)))
        with np.errstate(divide="ignore", invalid="ignore"):
            naive = float(-np.mean(np.sum(np.where(Y > 0, Y * np.log(P), 0.0), axis=1)))
        naive_infinite_predicted = bool(np.any((Y > 0) & (P == 0)))
        wrong_naive = int(naive_infinite_predicted == bool(np.isfinite(naive)))
        loss = float(impl.loss(W, X, Y))
        loss_err = abs(loss - float(precision.cross_entropy(W, X, Y)))
        loss_tol = rounding.agreement_tolerances(X, W, Y, np.float64)["loss"]
        return max([
            Measurement(float(wrong_zeros + wrong_naive), 0.5, "probabilities or naive loss not as the gap predicts",
                        {"underflowed entries": int(np.sum(P == 0)), "naive loss": naive}),
            Measurement(loss_err, loss_tol, "|log-sum-exp loss - 50-digit loss|", {"loss": loss}),
        ], key=lambda m: m.ratio)

    def confirm(pb):
        m = measure(pb)
        return {"method": "mpmath 50 digits (loss); the prediction is exact arithmetic on the gaps",
                "confirmed": bool(m.violated), "quantity": m.quantity, "error": m.error}

    search_part = searched(ctx, problems(max_N=4, max_D=3, max_K=4, logit_scales=(30.0, 1e3)), measure,
                           what="underflow where the gap predicts; log-sum-exp accurate", confirm=confirm)

    experiment = constructions.underflow_constructions(ctx, threshold)
    return all_parts_hold("floating-point caveat", {"search": search_part, "experiment": experiment})

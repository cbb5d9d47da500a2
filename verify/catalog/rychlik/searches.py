"""Searches that several Rychlik claims share: the gradient identity, existence of a minimiser, positive definiteness.

Each runs a Hypothesis search (``verify.harness.search``) and returns its
``search_evidence``; a violation counts only once float64 or the exact
certificate has decided it, and the shrunk counterexample is confirmed in
high precision (``verify.catalog.rychlik.certificates``, ``.existence``).
"""

from __future__ import annotations

import copy
import math

import mpmath
import numpy as np

from ...harness.claims import CheckContext, Evidence
from ...harness.evidence import search_evidence, searched
from ...harness.search import Measurement, search
from ...numerics import precision, rounding
from ...numerics.derivatives import check_gradient
from ...numerics.optimizers import gradient_descent, lipschitz_bound, loss_increase_tolerance, newton_on_complement
from . import tolerances as tol
from .certificates import certify_restricted_positive_definite, confirm_gradient_formula, digits_to_resolve, mp_zero_eigenvalues
from .existence import confirm_no_minimiser, newton_existence, no_minimiser_certificate, recession_direction
from .formulas import plain_gradient, restricted_extremes_at, row_space
from .problems import HESSIAN_SIZES, dataset_to_dict, integer_datasets, problems
from .tolerances import hessian_eigen_tolerance

EPS = rounding.eps(np.float64)


_GRADIENT_SEARCHES: dict = {}


def gradient_identity_search(ctx: CheckContext) -> Evidence:
    """Search: ``X^T (P - T) / N`` against Richardson differences of ``ctx.impl.loss``, targets in the simplex.

    P1-1 and the normalised half of S4 are the same search; it runs once per implementation and profile
    (a derandomized search gives the same evidence again), and each claim gets its own copy.
    """
    key = (id(ctx.impl), repr(ctx.settings))
    cached = _GRADIENT_SEARCHES.get(key)
    if cached is None or cached[0] is not ctx.impl:  # the implementation object is kept, so its id is not reused
        cached = _GRADIENT_SEARCHES[key] = (ctx.impl, _gradient_identity_search(ctx))
    return copy.deepcopy(cached[1])


def _gradient_identity_search(ctx: CheckContext) -> Evidence:
    impl = ctx.impl

    def measure(pb):
        X, Y = pb.X, pb.Y
        chk = check_gradient(lambda W: impl.loss(W, X, Y), lambda W: plain_gradient(impl.probs(W, X), X, Y),
                             pb.W, method="richardson")
        return Measurement(chk.max_abs_error, chk.tolerance, "|X^T (P - T)/N - differences of L|", chk.to_dict())

    def confirm(pb):
        return confirm_gradient_formula(pb.W, pb.X, pb.Y, plain=True)

    return searched(ctx, problems(max_N=6, max_D=4, max_K=5), measure, what="X^T (P - T)/N vs differences of the loss",
                    confirm=confirm)


def existence_search(ctx, strategy, *, within=None, what: str) -> Evidence:
    """Search for a data set without a minimiser; a violation is one with an exact certificate of non-existence.

    ``within(pb)`` is the claim's hypothesis (examples outside it are not
    counted). A linear program proposes a recession direction
    (:func:`.existence.recession_direction`); the example counts as a violation only
    when that direction passes the exact certificate
    (:func:`.existence.no_minimiser_certificate`). The confirmation re-checks it,
    evaluates the loss along the ray in mpmath, and runs Newton and gradient
    descent to show the float64 behaviour (iterates running off).
    """
    undecided = []

    def measure(pb):
        if within is not None and not within(pb):
            return None
        V, margin = recession_direction(pb.X, pb.Y)
        if V is None:
            return Measurement(0.0, 0.5, "minimiser absent (exact certificate)", {"largest total margin": margin})
        cert = no_minimiser_certificate(pb.X, pb.Y, V)
        if not cert["valid"]:
            undecided.append(margin)
            return Measurement(0.0, 0.5, "minimiser absent (exact certificate)", {"certificate": False})
        return Measurement(1.0, 0.5, "minimiser absent (exact certificate)",
                           {"largest total margin": margin, "smallest positive margin": cert["smallest_positive_margin"]})

    def confirm(pb):
        V, _ = recession_direction(pb.X, pb.Y)
        out = confirm_no_minimiser(pb.X, pb.Y, V)
        res, _ = newton_existence(ctx, pb.X, pb.Y)
        out["Newton on the whitened design"] = res.reason
        gd = gradient_descent(ctx.impl, pb.X, pb.Y, max_iter=1000, record_every=1)
        h = gd.history
        out["gradient descent from 0 at eta = 1/L_hat"] = {
            f"k = {k}": {"L": float(h["loss"][k]), "||W||_F": float(h["W_norm"][k])} for k in (10, 100, 1000)}
        return out

    out = search(strategy, measure, settings=ctx.settings)
    return search_evidence(out, what=what, confirm=confirm, to_dict=dataset_to_dict,
                           measurements={"examples where the LP proposed a direction that failed the exact certificate":
                                         len(undecided)})


def positive_definite_search(ctx, basis, *, what: str, quantity: str, within=None, sizes=HESSIAN_SIZES) -> Evidence:
    """Search for (X, W) where ``B^T H B`` is not positive definite, B = ``basis(X, K)`` (orthonormal columns).

    Decided in float64 when ``lambda_min(B^T H B)`` clears the eigenvalue
    error bound, and otherwise in mpmath at the precision the logit gaps
    need (saturated probabilities make a positive definite matrix look
    singular in float64, rychlik S8). The shrunk counterexample is confirmed
    by counting the zero eigenvalues in mpmath at that precision.
    """
    impl = ctx.impl

    def measure(pb):
        if within is not None and not within(pb):
            return None
        X, W, Y = pb.X, pb.W, pb.Y
        B = basis(X, W.shape[1])
        H = np.asarray(impl.hessian(W, X, Y), dtype=np.float64)
        e = hessian_eigen_tolerance(H, X, W, Y)
        lam_min = float(np.linalg.eigvalsh(B.T @ ((H + H.T) / 2) @ B)[0])
        details = {"lambda_min": lam_min, "eigenvalue error bound": e}
        if lam_min > e:
            return Measurement(e / lam_min, 1.0, quantity, {**details, "decided by": "float64"})
        cert = certify_restricted_positive_definite(W, X, B)
        return Measurement(0.0 if cert["positive_definite"] else math.inf, 1.0, quantity, {**details, "decided by": cert})

    def confirm(pb):
        X, W = pb.X, pb.W
        K = W.shape[1]
        B = basis(X, K)
        found = mp_zero_eigenvalues(W, X, B, digits=digits_to_resolve(W, X))
        with precision.workdps(precision.HIGH_PRECISION_DIGITS):
            # the exact witness: V = e_1 1_K^T makes every V^T x_n constant, so D^2 L[V, V] = mean variance = 0
            v = np.zeros((X.shape[1], K))
            v[0] = 1.0
            H = mpmath.matrix(precision.hessian(W, X).tolist())
            vm = mpmath.matrix(v.ravel().tolist())
            witness = (vm.T * H * vm)[0]
        return {**found, "confirmed": found["zero_eigenvalues"] >= 1,
                "predicted zero eigenvalues (D K - (K-1) rank X on the whole space; (K-1)(D - rank X) on V 1 = 0)":
                    int(B.shape[1] - (K - 1) * len(row_space(X)[1])),
                "D^2 L[e_1 1^T, e_1 1^T] (mpmath)": mpmath.nstr(witness, 5)}

    return searched(ctx, problems(**sizes), measure, what=what, confirm=confirm)


def local_threshold_search(ctx) -> Evidence:
    """Search for data where eta = 1.9/M (below the local limit 2/M) increases the loss, starting from W = 0.

    M is the largest eigenvalue of the Hessian on K-perp at the minimiser (every target entry is positive,
    so it exists); 30 steps from 0. A loss increase beyond rounding is the counterexample to "2/M is a
    global threshold", confirmed by the 50-digit loss at the two iterates.
    """
    impl = ctx.impl
    steps = 30

    def run(pb):
        newton = newton_on_complement(impl, pb.X, pb.Y, tol=1e-12)
        if newton.exists is not True:
            return None, None
        _, M, _ = restricted_extremes_at(ctx, newton.W, pb.X, pb.Y)
        return gradient_descent(impl, pb.X, pb.Y, step=1.9 / M, max_iter=steps, record_W=True), M

    def measure(pb):
        if lipschitz_bound(pb.X) == 0:
            return None
        gd, M = run(pb)
        if gd is None:
            return None
        losses = gd.history["loss"]
        if len(losses) < 2:  # W = 0 is the minimiser (gradient exactly 0): nothing to descend
            return Measurement(0.0, loss_increase_tolerance(float(losses[0]), EPS), "loss increase at eta = 1.9/M")
        k = int(np.argmax(np.diff(losses)))
        return Measurement(max(0.0, float(gd.max_increase)), loss_increase_tolerance(float(losses.max()), EPS),
                           "loss increase at eta = 1.9/M", {"step": k, "eta * L_hat": gd.step * gd.L, "M": M,
                                                             "L_hat": gd.L})

    def confirm(pb):
        gd, _ = run(pb)
        losses = gd.history["loss"]
        k = int(np.argmax(np.diff(losses)))
        with precision.workdps(precision.HIGH_PRECISION_DIGITS):
            before = precision.cross_entropy(gd.W_history[k], pb.X, pb.Y)
            after = precision.cross_entropy(gd.W_history[k + 1], pb.X, pb.Y)
            floor = tol.high_precision_zero(max(1, abs(before)), precision.HIGH_PRECISION_DIGITS)
            return {"method": "mpmath 50 digits, the loss at the two iterates", "confirmed": bool(after - before > floor),
                    "step": k, "L before": mpmath.nstr(before, 12), "L after": mpmath.nstr(after, 12),
                    "increase": mpmath.nstr(after - before, 5), "eta * L_hat": gd.step * gd.L}

    # Two classes and at most three samples: a third of such data sets overshoot at W = 0 (measured), so even a
    # 15-example search finds one.
    return searched(ctx, integer_datasets(max_N=3, max_D=2, max_K=2, positive_targets=True), measure,
                    what="monotone descent from W = 0 at eta = 1.9/M", confirm=confirm, to_dict=dataset_to_dict)

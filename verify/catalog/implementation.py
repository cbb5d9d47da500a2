"""Properties every correct softmax cross-entropy implementation has.

These claims run against each registered implementation and against a
user's one (``lossproof check --impl pkg.mod:attr``, ``pytest --impl ...``).
Each is the implementation-level face of a theorem: the gradient identity
(Rychlik P1-1, folklore F3), the Hessian and its Kronecker form (P1-2,
P2-1), PSD with the predicted kernel (P1-3, F4), the 1/2 curvature bound
(F6), monotone descent for steps <= 1/L (F17), shift invariance (F16), and
the conventions of DESIGN.md (mean loss, C-order flattening, dtype kept,
stability at extreme logits).

Every check is a Hypothesis search for the worst violation. A violation is
re-checked against the definition evaluated in 50-digit mpmath before the
implementation is declared wrong, so a rounding artifact never fails it.
"""

from __future__ import annotations

import warnings

import numpy as np
from hypothesis import strategies as st
from scipy.special import logsumexp

import impls

from ..numerics import precision
from ..numerics import rounding
from ..harness.claims import CheckContext, Evidence
from .sources import claim
from ..numerics.derivatives import check_gradient, check_hessian, check_hvp_directional
from ..numerics.optimizers import gradient_descent, kernel_complement_basis, lipschitz_bound, loss_increase_tolerance
from ..harness.search import Measurement, search, worse
from ..harness.strategies import LOGIT_SCALES, problems
from ..harness.evidence import search_evidence, searched

# Largest shapes drawn for implementations without a declared size limit.
MAX_N, MAX_D, MAX_K = 6, 4, 5
EXTREME_LOGIT_SCALES = (1e2, 1e3, 1e4)


# --------------------------------------------------------------------------
# Drawing problems an implementation can take
# --------------------------------------------------------------------------


def working_dtype(impl) -> np.dtype:
    """float64 when declared (finite differences need it), else the first declared dtype."""
    dtypes = [np.dtype(d) for d in impls.capabilities_of(impl).dtypes]
    return np.dtype(np.float64) if np.dtype(np.float64) in dtypes else dtypes[0]


def size_limits(impl, hessian: bool = False) -> tuple[int, int, int]:
    """(max_N, max_D, max_K) within the implementation's declared practical size."""
    caps = impls.capabilities_of(impl)
    limit = caps.max_hessian_size if hessian else caps.max_size
    n, d, k = MAX_N, MAX_D, MAX_K
    while limit is not None and n * d * k > limit:
        if n >= max(d, k) and n > 1:
            n -= 1
        elif d >= k and d > 1:
            d -= 1
        elif k > 2:
            k -= 1
        else:
            break
    return n, d, k


def drawn(impl, *, hessian=False, logit_scales=LOGIT_SCALES, weighted=False):
    n, d, k = size_limits(impl, hessian)
    return problems(dtype=working_dtype(impl), max_N=n, max_D=d, max_K=k, logit_scales=logit_scales, weighted=weighted)


def attempt(fn, *args, **kwargs):
    """Call an implementation method; an exception is a result, not a crash of the harness."""
    try:
        with warnings.catch_warnings(), np.errstate(over="raise", invalid="raise", divide="raise"):
            warnings.simplefilter("error")
            return fn(*args, **kwargs), None
    except Exception as exc:  # noqa: BLE001 - any failure of the implementation is evidence
        return None, f"{type(exc).__name__}: {exc}"


def broken(quantity: str, problem: str) -> Measurement:
    return Measurement(np.inf, 0.0, quantity, {"problem": problem})


def difference_check(quantity: str, failure: str, checker, *args) -> Measurement:
    """A Richardson-extrapolated derivative check as a Measurement; differences that fail are a broken one."""
    chk, err = attempt(checker, *args, method="richardson")
    if err:
        return broken(quantity, f"{failure}{err}")
    return Measurement(chk.max_abs_error, chk.tolerance, quantity, chk.to_dict())


def as_float_array(value, shape, quantity):
    """The implementation's result as a float64 array of the expected shape, or a Measurement saying why not."""
    arr = np.asarray(value, dtype=np.float64) if value is not None else None
    if arr is None or arr.shape != shape:
        return None, broken(quantity, f"{quantity} returned shape {None if arr is None else arr.shape}, expected {shape}")
    if not np.all(np.isfinite(arr)):
        return None, broken(quantity, f"{quantity} returned non-finite values")
    return arr, None


def hessian_or_failure(impl, pb):
    """(H as a float64 (DK, DK) array, None), or (None, the Measurement of what went wrong)."""
    n = pb.W.size
    H, err = attempt(impl.hessian, pb.W, pb.X, pb.Y)
    if err:
        return None, broken("hessian", err)
    return as_float_array(H, (n, n), "hessian")


def mp_float(x) -> float:
    return float(x)


# --------------------------------------------------------------------------
# High-precision confirmations
# --------------------------------------------------------------------------


def confirm_against_definition(impl, quantity):
    """A confirm callable: does the implementation's value differ from the 50-digit definition beyond tolerance?"""

    def confirm(pb):
        tols = rounding.agreement_tolerances(pb.X, pb.W, pb.Y, working_dtype(impl), V=pb.V)
        if quantity == "loss":
            value, err = attempt(impl.loss, pb.W, pb.X, pb.Y)
            exact = np.array(mp_float(precision.cross_entropy(pb.W, pb.X, pb.Y)))
        elif quantity == "probs":
            value, err = attempt(impl.probs, pb.W, pb.X)
            exact = precision.as_float(precision.probs(pb.W, pb.X))
        elif quantity == "grad":
            value, err = attempt(impl.grad, pb.W, pb.X, pb.Y)
            exact = precision.as_float(precision.gradient(pb.W, pb.X, pb.Y))
        elif quantity == "hessian":
            value, err = attempt(impl.hessian, pb.W, pb.X, pb.Y)
            exact = precision.as_float(precision.hessian(pb.W, pb.X))
        elif quantity == "hvp":
            value, err = attempt(impl.hvp, pb.W, pb.X, pb.Y, pb.V)
            exact = (precision.as_float(precision.hessian(pb.W, pb.X)) @ pb.V.astype(np.float64).ravel()).reshape(pb.V.shape)
        else:
            raise ValueError(quantity)
        result = {"method": f"mpmath {precision.HIGH_PRECISION_DIGITS} digits, the definition", "quantity": quantity}
        if err is not None:
            return {**result, "confirmed": True, "implementation_error": err}
        value = np.asarray(value, dtype=np.float64)
        if value.shape != exact.shape or not np.all(np.isfinite(value)):
            return {**result, "confirmed": True, "implementation_value": value.tolist(), "exact_value": exact.tolist()}
        error = float(np.max(np.abs(value - exact)))
        return {**result, "confirmed": error > tols[quantity], "error_vs_exact": error, "tolerance": tols[quantity]}

    return confirm


# --------------------------------------------------------------------------
# The claims
# --------------------------------------------------------------------------


@claim("impl.loss_value")
def loss_value(ctx: CheckContext) -> Evidence:
    impl = ctx.impl

    def measure(pb):
        value, err = attempt(impl.loss, pb.W, pb.X, pb.Y)
        if err:
            return broken("loss", err)
        value, bad = as_float_array(value, (), "loss")
        if bad:
            return bad
        exact = mp_float(precision.cross_entropy(pb.W, pb.X, pb.Y))
        return Measurement(abs(float(value) - exact), rounding.agreement_tolerances(pb.X, pb.W, pb.Y, pb.W.dtype)["loss"], "loss",
                           {"loss": float(value), "exact": exact})

    # Toward small target probabilities, where a clipped or underflowing log goes wrong.
    return searched(ctx, drawn(impl), measure,
                    what="loss vs the 50-digit definition",
                    confirm=confirm_against_definition(impl, "loss"),
                    steer=largest_sample_loss)


def largest_sample_loss(pb) -> float:
    """max_n [logsumexp(z_n) - y_n . z_n] in float64: large where the targets' probabilities are small."""
    Z = pb.X.astype(np.float64) @ pb.W.astype(np.float64)
    return float(np.max(logsumexp(Z, axis=1) - np.einsum("nk,nk->n", pb.Y.astype(np.float64), Z)))


@claim("impl.probs")
def probs_match_softmax(ctx: CheckContext) -> Evidence:
    impl = ctx.impl

    def measure(pb):
        value, err = attempt(impl.probs, pb.W, pb.X)
        if err:
            return broken("probs", err)
        value, bad = as_float_array(value, pb.Y.shape, "probs")
        if bad:
            return bad
        exact = precision.as_float(precision.probs(pb.W, pb.X))
        return Measurement(float(np.max(np.abs(value - exact))),
                           rounding.agreement_tolerances(pb.X, pb.W, pb.Y, pb.W.dtype)["probs"], "probs")

    return searched(ctx, drawn(impl), measure,
                    what="probs vs the 50-digit softmax",
                    confirm=confirm_against_definition(impl, "probs"))


@claim("impl.gradient")
def gradient_is_derivative(ctx: CheckContext) -> Evidence:
    impl = ctx.impl

    def measure(pb):
        G, err = attempt(impl.grad, pb.W, pb.X, pb.Y)
        if err:
            return broken("grad", err)
        G, bad = as_float_array(G, pb.W.shape, "grad")
        if bad:
            return bad
        return difference_check("grad", "finite differences of loss failed: ",
                                check_gradient, lambda W: impl.loss(W, pb.X, pb.Y), lambda W: G, pb.W)

    return searched(ctx, drawn(impl), measure,
                    what="grad vs differences of loss",
                    confirm=confirm_against_definition(impl, "grad"))


@claim("impl.hessian")
def hessian_is_derivative(ctx: CheckContext) -> Evidence:
    impl = ctx.impl

    def measure(pb):
        H, bad = hessian_or_failure(impl, pb)
        if bad:
            return bad
        return difference_check("hessian", "differences of grad failed: ",
                                check_hessian, lambda W: impl.grad(W, pb.X, pb.Y), lambda W: H, pb.W)

    return searched(ctx, drawn(impl, hessian=True), measure,
                    what="hessian vs differences of grad",
                    confirm=confirm_against_definition(impl, "hessian"))


@claim("impl.hessian_symmetric")
def hessian_symmetric(ctx: CheckContext) -> Evidence:
    impl = ctx.impl

    def measure(pb):
        H, bad = hessian_or_failure(impl, pb)
        if bad:
            return bad
        return Measurement(float(np.max(np.abs(H - H.T))),
                           rounding.agreement_tolerances(pb.X, pb.W, pb.Y, pb.W.dtype)["hessian"], "hessian asymmetry")

    return searched(ctx, drawn(impl, hessian=True), measure,
                    what="H - H^T",
                    confirm=confirm_against_definition(impl, "hessian"))


@claim("impl.hvp")
def hvp_is_directional_derivative(ctx: CheckContext) -> Evidence:
    impl = ctx.impl

    def measure(pb):
        return difference_check("hvp", "", check_hvp_directional, lambda W: impl.grad(W, pb.X, pb.Y),
                                lambda W, V: impl.hvp(W, pb.X, pb.Y, V), pb.W, pb.V)

    # hvp costs what the Hessian costs in some implementations (the symbolic one derives it from H).
    return searched(ctx, drawn(impl, hessian=True), measure,
                    what="hvp vs differences of grad",
                    confirm=confirm_against_definition(impl, "hvp"))


def psd_kernel_violation(H, pb):
    """The three parts of rychlik P1-3 / F7 for one Hessian, as (error, tolerance, part, details).

    * PSD: lambda_min(H) >= -tol;
    * the predicted kernel K = {V : X V has rows in span(1)} is annihilated: ||H Q_K|| <= tol;
    * on K-perp, lambda_min >= p_min * lambda+_min(X^T X) / N (F7's bound, mean loss).

    ``tol`` is Weyl's bound for an entrywise error e of an n x n matrix, n e.
    """
    X = pb.X.astype(np.float64)
    N, D = X.shape
    K = pb.W.shape[1]
    n = D * K
    e = rounding.agreement_tolerances(pb.X, pb.W, pb.Y, pb.W.dtype)["hessian"]
    eig_tol = n * e
    lam = np.linalg.eigvalsh((H + H.T) / 2)
    P = kernel_complement_basis(X, K)
    Q, _ = np.linalg.qr(np.concatenate([P, np.eye(n)], axis=1))
    kernel = Q[:, P.shape[1] :]  # orthonormal basis of the complement of span(P)
    kernel_norm = float(np.linalg.norm(H @ kernel, 2)) if kernel.size else 0.0
    restricted = np.linalg.eigvalsh(P.T @ H @ P) if P.size else np.array([np.inf])
    probs = precision.as_float(precision.probs(pb.W, pb.X))
    sv = np.linalg.svd(X, compute_uv=False)
    positive = sv[sv > rounding.eps(np.float64) * max(N, D) * sv[0]] if sv[0] > 0 else sv[:0]
    lower = float(probs.min()) * float(positive.min() ** 2) / N if positive.size else 0.0
    parts = [
        (max(0.0, -float(lam[0])), eig_tol, "lambda_min(H) below 0"),
        (kernel_norm, eig_tol, "||H v|| on the predicted kernel"),
        (max(0.0, lower - float(restricted[0])), eig_tol, "lambda_min on K-perp below p_min lambda+_min(X^T X)/N"),
    ]
    bound = float(np.linalg.eigvalsh(X.T @ X)[-1]) / (2 * N)
    details = dict(
        spectrum=[float(v) for v in lam],
        curvature_bound=bound,
        eigenvalue_tolerance=eig_tol,
        lambda_min=float(lam[0]),
        lambda_max=float(lam[-1]),
        kernel_dimension_predicted=int(kernel.shape[1]),
        kernel_norm=kernel_norm,
        restricted_lambda_min=float(restricted[0]),
        f7_lower_bound=lower,
    )
    worst = max(parts, key=lambda p: Measurement(p[0], p[1]).ratio)
    return worst, details


@claim("impl.hessian_psd_kernel")
def hessian_psd_with_kernel(ctx: CheckContext) -> Evidence:
    impl = ctx.impl

    def measure(pb):
        H, bad = hessian_or_failure(impl, pb)
        if bad:
            return bad
        (error, tolerance, part), details = psd_kernel_violation(H, pb)
        return Measurement(error, tolerance, part, details)

    def confirm(pb):
        exact = precision.as_float(precision.hessian(pb.W, pb.X))
        H, err = attempt(impl.hessian, pb.W, pb.X, pb.Y)
        out = {"method": f"Hessian of the definition in mpmath {precision.HIGH_PRECISION_DIGITS} digits"}
        if err:
            return {**out, "confirmed": True, "implementation_error": err}
        H = np.asarray(H, dtype=np.float64)
        (error_exact, tolerance, part), _ = psd_kernel_violation(exact, pb)
        difference = float(np.max(np.abs(H - exact))) if H.shape == exact.shape else np.inf
        # Confirmed when the exact Hessian has the property and the implementation's does not match it.
        confirmed = error_exact <= tolerance and difference > rounding.agreement_tolerances(pb.X, pb.W, pb.Y, pb.W.dtype)["hessian"]
        return {**out, "confirmed": bool(confirmed), "exact_hessian_violation": error_exact, "implementation_vs_exact": difference}

    out = search(drawn(impl, hessian=True), measure, settings=ctx.settings)
    ev = search_evidence(out, what="PSD, kernel and K-perp bound", confirm=confirm)
    shown = out.counterexample_measurement or out.worst
    if shown is not None and "spectrum" in shown.details:
        ev.figures.append(spectrum_figure(shown.details, "counterexample" if out.found else "closest example to a violation"))
    return ev


def spectrum_figure(details: dict, which: str) -> dict:
    """The Hessian's eigenvalues (sorted) with 0, the 1/2 curvature bound, and the predicted kernel dimension."""
    spectrum = details["spectrum"]
    tol_ = details["eigenvalue_tolerance"]
    near_zero = sum(abs(v) <= tol_ for v in spectrum)
    return {
        "title": f"Hessian spectrum, {which}: {near_zero} eigenvalues within rounding of 0 "
        f"(predicted kernel dimension {details['kernel_dimension_predicted']})",
        "xlabel": "index of the eigenvalue (ascending)",
        "ylabel": "eigenvalue of H",
        "yscale": "linear",
        "series": [{"label": "eigenvalues", "x": list(range(1, len(spectrum) + 1)), "y": spectrum, "style": "o"}],
        "hlines": [
            {"y": details["curvature_bound"], "label": "bound lambda_max(X^T X) / (2N)"},
            {"y": 0.0, "label": "0"},
        ],
    }


@claim("impl.curvature_bound")
def curvature_bound(ctx: CheckContext) -> Evidence:
    impl = ctx.impl

    def measure(pb):
        H, bad = hessian_or_failure(impl, pb)
        if bad:
            return bad
        X = pb.X.astype(np.float64)
        bound = float(np.linalg.eigvalsh(X.T @ X)[-1]) / (2 * X.shape[0])
        lam_max = float(np.linalg.eigvalsh((H + H.T) / 2)[-1])
        eig_tol = pb.W.size * rounding.agreement_tolerances(pb.X, pb.W, pb.Y, pb.W.dtype)["hessian"]
        return Measurement(max(0.0, lam_max - bound), eig_tol, "lambda_max(H) - lambda_max(X^T X)/(2N)",
                           {"lambda_max": lam_max, "bound": bound})

    return searched(ctx, drawn(impl, hessian=True), measure,
                    what="lambda_max(H) vs the 1/2 bound",
                    confirm=confirm_against_definition(impl, "hessian"))


DESCENT_STEPS = 12


@claim("impl.monotone_descent", statement=f'From any W, {DESCENT_STEPS} steps of W <- W - eta grad(W) with eta = t / L, 0 < t <= 1, L = lambda_max(X^T X)/(2N), never increase loss beyond its rounding (4 eps max(1, |loss|)).')
def monotone_descent(ctx: CheckContext) -> Evidence:
    impl = ctx.impl
    multipliers = st.sampled_from([1 / 8, 1 / 2, 1.0])

    def measure(example):
        pb, t = example
        L = lipschitz_bound(pb.X.astype(np.float64))
        if not (np.isfinite(L) and L >= np.finfo(np.float64).tiny):
            # L = 0 or subnormal (X zero or X^T X underflowing): the step t / L is
            # undefined or overflows, which is outside the claim's hypothesis.
            return None
        run, err = attempt(gradient_descent, impl, pb.X, pb.Y, W0=pb.W, step_multiplier=t, max_iter=DESCENT_STEPS)
        if err:
            return broken("loss increase", err)
        return Measurement(max(0.0, float(run.max_increase)), loss_increase_tolerance(float(np.max(run.history["loss"])), rounding.eps(pb.W.dtype)),
                           "loss increase", {"step multiplier": t, "increases": int(run.n_increases)})

    def confirm(example):
        """Re-evaluate the loss along the implementation's own iterates with the 50-digit definition.

        Confirmed when the exact loss also rises (the step direction is wrong)
        or when the implementation's loss differs from the exact one (its
        loss is wrong): either way the implementation is at fault.
        """
        pb, t = example
        run = gradient_descent(impl, pb.X, pb.Y, W0=pb.W, step_multiplier=t, max_iter=DESCENT_STEPS, record_W=True)
        exact = [mp_float(precision.cross_entropy(W, pb.X, pb.Y)) for W in run.W_history]
        rise = max(0.0, max(b - a for a, b in zip(exact, exact[1:])))
        own = [float(impl.loss(W, pb.X, pb.Y)) for W in run.W_history]
        loss_error = max(abs(a - b) for a, b in zip(own, exact))
        tols = rounding.agreement_tolerances(pb.X, np.abs(run.W_history).max(axis=0), pb.Y, pb.W.dtype)
        return {"method": f"mpmath {precision.HIGH_PRECISION_DIGITS} digits along the iterates",
                "confirmed": bool(rise > loss_increase_tolerance(max(exact), rounding.eps(pb.W.dtype)) or loss_error > tols["loss"]),
                "exact_max_increase": rise, "implementation_loss_error": loss_error}

    return searched(ctx, st.tuples(drawn(impl), multipliers), measure,
                    what="monotone descent at eta <= 1/L",
                    to_dict=lambda ex: {"step multiplier": ex[1], **_problem(ex[0])},
                    confirm=confirm)


def _problem(pb):
    from ..harness.evidence import problem_to_dict

    return problem_to_dict(pb)


@claim("impl.shift_invariance")
def shift_invariance(ctx: CheckContext) -> Evidence:
    impl = ctx.impl

    def measure(pb):
        shifted = (pb.W + pb.V[:, :1]).astype(pb.W.dtype)
        results = [attempt(impl.loss_grad if callable(getattr(impl, "loss_grad", None)) else _loss_grad(impl), W, pb.X, pb.Y)
                   for W in (pb.W, shifted)]
        for value, err in results:
            if err:
                return broken("loss", err)
        (l0, g0), (l1, g1) = (r[0] for r in results)
        # The shifted logits carry the rounding of the larger weights.
        big = np.maximum(np.abs(pb.W), np.abs(shifted))
        tols = rounding.agreement_tolerances(pb.X, big, pb.Y, pb.W.dtype)
        grad_err = float(np.max(np.abs(np.asarray(g1, np.float64) - np.asarray(g0, np.float64))))
        return worse(
            Measurement(abs(float(l1) - float(l0)), tols["loss"], "loss(W + u 1^T) - loss(W)"),
            Measurement(grad_err, tols["grad"], "grad(W + u 1^T) - grad(W)"),
        )

    return searched(ctx, drawn(impl), measure,
                    what="shift invariance",
                    confirm=confirm_against_definition(impl, "loss"))


def _loss_grad(impl):
    return lambda W, X, Y: (impl.loss(W, X, Y), impl.grad(W, X, Y))


@claim("impl.extreme_logits")
def extreme_logits(ctx: CheckContext) -> Evidence:
    impl = ctx.impl

    def measure(pb):
        tols = rounding.agreement_tolerances(pb.X, pb.W, pb.Y, pb.W.dtype)
        value, err = attempt(impl.loss, pb.W, pb.X, pb.Y)
        if err:
            return broken("loss", err)
        value, bad = as_float_array(value, (), "loss")
        if bad:
            return bad
        G, err = attempt(impl.grad, pb.W, pb.X, pb.Y)
        if err:
            return broken("grad", err)
        G, bad = as_float_array(G, pb.W.shape, "grad")
        if bad:
            return bad
        loss_err = abs(float(value) - mp_float(precision.cross_entropy(pb.W, pb.X, pb.Y)))
        grad_err = float(np.max(np.abs(G - precision.as_float(precision.gradient(pb.W, pb.X, pb.Y)))))
        return worse(Measurement(loss_err, tols["loss"], "loss", {"loss": float(value)}), Measurement(grad_err, tols["grad"], "grad"))

    out = search(drawn(impl, logit_scales=EXTREME_LOGIT_SCALES), measure, settings=ctx.settings)

    def confirm(pb):
        found = measure(pb)  # the definition is already evaluated in 50 digits inside measure
        return {"method": f"mpmath {precision.HIGH_PRECISION_DIGITS} digits, the definition",
                "confirmed": bool(found.violated), "quantity": found.quantity, "error": found.error,
                "tolerance": found.tolerance, **found.details}

    return search_evidence(out, what="loss and grad at |logits| up to 1e4", confirm=confirm)


@claim("impl.dtype_kept")
def dtype_kept(ctx: CheckContext) -> Evidence:
    impl = ctx.impl
    caps = impls.capabilities_of(impl)
    n, d, k = size_limits(impl, hessian=True)
    methods = [m for m in ("probs", "loss", "grad", "hessian", "hvp") if callable(getattr(impl, m, None))]

    def measure(pb):
        wrong = []
        for m in methods:
            args = (pb.W, pb.X) if m == "probs" else (pb.W, pb.X, pb.Y, pb.V) if m == "hvp" else (pb.W, pb.X, pb.Y)
            value, err = attempt(getattr(impl, m), *args)
            if err:
                return broken(m, err)
            got = np.asarray(value).dtype
            if got != pb.W.dtype:
                wrong.append(f"{m} returned {got} for {pb.W.dtype} input")
        return Measurement(float(len(wrong)), 0.0, "results in another dtype", {"wrong": wrong})

    strategy = st.one_of(*[problems(dtype=dt, max_N=n, max_D=d, max_K=k) for dt in caps.dtypes])
    out = search(strategy, measure, settings=ctx.settings)

    def confirm(pb):  # a dtype is exact: re-running the same call is the whole check
        m = measure(pb)
        return {"method": "exact (dtype comparison)", "confirmed": bool(m.violated), **m.details}

    return search_evidence(out, what="dtype of every result", confirm=confirm)


@claim("impl.sample_weight")
def sample_weight_mean(ctx: CheckContext) -> Evidence:
    impl = ctx.impl
    if not impls.capabilities_of(impl).sample_weight:
        from ..harness.claims import SKIPPED

        return Evidence(SKIPPED, summary="skipped: the implementation does not declare sample weights")

    def measure(pb):
        s = pb.sample_weight
        value, err = attempt(impl.loss, pb.W, pb.X, pb.Y, sample_weight=s)
        if err:
            return broken("weighted loss", err)
        exact = mp_float(precision.cross_entropy(pb.W, pb.X, pb.Y, sample_weight=s))
        tols = rounding.agreement_tolerances(pb.X, pb.W, pb.Y, pb.W.dtype)
        loss_err = abs(float(value) - exact)
        chk, err = attempt(check_gradient, lambda W: impl.loss(W, pb.X, pb.Y, sample_weight=s),
                           lambda W: impl.grad(W, pb.X, pb.Y, sample_weight=s), pb.W, method="richardson")
        if err:
            return broken("weighted grad", err)
        return worse(
            Measurement(loss_err, tols["loss"], "weighted loss", {"loss": float(value), "exact": exact}),
            Measurement(chk.max_abs_error, chk.tolerance, "weighted grad", chk.to_dict()),
        )

    out = search(drawn(impl, weighted=True), measure, settings=ctx.settings)

    def confirm(pb):
        m = measure(pb)
        return {"method": f"mpmath {precision.HIGH_PRECISION_DIGITS} digits (loss) and Richardson differences (grad)",
                "confirmed": bool(m.violated), "quantity": m.quantity, "error": m.error, "tolerance": m.tolerance}

    return search_evidence(out, what="weighted mean", confirm=confirm)

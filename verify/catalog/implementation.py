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

import functools
from dataclasses import replace

import numpy as np
from hypothesis import assume, strategies as st
from scipy.special import logsumexp

import impls

from ..numerics import precision
from ..numerics import rounding
from ..harness.claims import SKIPPED, CheckContext, Evidence
from . import sources
from ..numerics.derivatives import check_gradient, check_hessian, check_hvp_directional
from ..numerics.optimizers import gradient_descent, kernel_complement_basis, lipschitz_bound, loss_increase_tolerance
from ..harness.search import Measurement, search, worse
from ..harness.strategies import LOGIT_SCALES, TARGET_KINDS, USER_DOMAIN, problems
from ..harness.evidence import problem_to_dict, search_evidence, searched
from ..harness.foreign import (METHOD_ARGUMENTS, Copying, Watched, as_float_array, attempt, broken, difference_check,
                               evaluated, floating_point_warnings, warned)

# Largest shapes drawn for implementations without a declared size limit.
MAX_N, MAX_D, MAX_K = 6, 4, 5
EXTREME_LOGIT_SCALES = (1e2, 1e3, 1e4)
# The targets a one-hot-only implementation (capabilities targets="one-hot") is given.
ONE_HOT_KINDS = ("one-hot", "separable-one-hot")
ONE_HOT_NOTE = ("targets: one-hot only, as the implementation declares (capabilities.targets); soft targets and "
                "targets with zero entries were not drawn")


def claim(claim_id: str, **overrides):
    """:func:`sources.claim`, and on the evidence of a one-hot-only implementation a note of the targets not drawn."""

    def wrap(check):
        @functools.wraps(check)
        def with_targets_noted(ctx: CheckContext) -> Evidence:
            ev = check(ctx)
            if impls.capabilities_of(ctx.impl).targets == "one-hot" and ev.verdict != SKIPPED:
                ev.notes.append(ONE_HOT_NOTE)
            return ev

        sources.claim(claim_id, **overrides)(with_targets_noted)
        return check

    return wrap


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


def drawn(impl, *, hessian=False, logit_scales=LOGIT_SCALES, weighted=False, dtype=None, domain=USER_DOMAIN):
    """Problems the implementation declares it takes, from the user's input domain (strategies.USER_DOMAIN).

    Its dtype (``working_dtype`` unless given), sizes within its declared
    limits (or only its declared ``shapes``), and one-hot targets for a
    one-hot-only implementation.
    """
    caps = impls.capabilities_of(impl)
    n, d, k = size_limits(impl, hessian)
    kinds = ONE_HOT_KINDS if caps.targets == "one-hot" else TARGET_KINDS
    return problems(dtype=working_dtype(impl) if dtype is None else dtype, max_N=n, max_D=d, max_K=k,
                    logit_scales=logit_scales, weighted=weighted, target_kinds=kinds, domain=domain,
                    shapes=caps.shapes)


def hessian_or_failure(impl, pb, sample_weight=None):
    """(H as a float64 (DK, DK) array, None), or (None, the Measurement of what went wrong)."""
    n = pb.W.size
    kwargs = {} if sample_weight is None else {"sample_weight": sample_weight}
    return evaluated(impl.hessian, (pb.W, pb.X, pb.Y), (n, n), "hessian", **kwargs)


def under_test(ctx: CheckContext):
    """The context's implementation, called with copies of its arguments (:class:`~verify.harness.foreign.Copying`),
    each result held to the interface's contract and each call to its time limit (:class:`~verify.harness.foreign.Watched`)."""
    return Copying(Watched(ctx.impl))


def mp_float(x) -> float:
    return float(x)


# --------------------------------------------------------------------------
# High-precision re-checks: the same methods, on copies of the same inputs
# --------------------------------------------------------------------------


def truth(quantity: str, pb, W, sample_weight=None):
    """The 50-digit value of ``quantity`` (a method's name) at ``W`` and the problem's X, Y, V, as float64."""
    if quantity == "loss":
        return np.array(mp_float(precision.cross_entropy(W, pb.X, pb.Y, sample_weight=sample_weight)))
    if quantity == "probs":
        return precision.as_float(precision.probs(W, pb.X))
    if quantity == "grad":
        return precision.as_float(precision.gradient(W, pb.X, pb.Y, sample_weight=sample_weight))
    if quantity == "hessian":
        return precision.as_float(precision.hessian(W, pb.X, sample_weight=sample_weight))
    if quantity == "hvp":
        H = precision.as_float(precision.hessian(W, pb.X, sample_weight=sample_weight))
        return (H @ pb.V.astype(np.float64).ravel()).reshape(pb.V.shape)
    raise ValueError(f"quantity: no definition for {quantity!r}")


def _arguments(method: str, pb, W) -> tuple:
    arrays = {"W": W, "X": pb.X, "Y": pb.Y, "V": pb.V}
    return tuple(arrays[a] for a in METHOD_ARGUMENTS[method])


def _shown(value: np.ndarray, index) -> str:
    return f"{float(value[index]):.10g}" if value.ndim else f"{float(value):.10g}"


def recheck(impl, method: str, pb, W, sample_weight=None) -> dict:
    """Call ``method`` of the implementation on (copies of) the problem at ``W`` and compare with the definition."""
    kwargs = {} if sample_weight is None else {"sample_weight": sample_weight}
    return compared(attempt(getattr(impl, method), *_arguments(method, pb, W), **kwargs), method, pb, W, sample_weight)


def compared(call, method: str, pb, W, sample_weight=None) -> dict:
    """The result of one call of ``method`` at ``W`` against the 50-digit definition.

    Returns ``{"quantity", "wrong", "broken", "finding", "parts", "warnings"}``:
    ``broken`` when the call raised or returned a wrong shape or a non-finite
    value; ``wrong`` when broken or when a part (``loss_grad``: its loss and
    its grad) differs from the definition by more than the dtype's rounding
    tolerance; ``parts`` the error and tolerance of each part compared;
    ``finding`` what is wrong, with the value beside the expected one at the
    worst entry; ``warnings`` what the call emitted.
    """
    out = {"quantity": method, "wrong": False, "broken": False, "finding": "", "parts": [], "warnings": list(call.warnings)}
    if call.error:
        return {**out, "wrong": True, "broken": True, "finding": call.problem(method)}
    if method == "loss_grad" and not _is_pair(call.value):
        return {**out, "wrong": True, "broken": True,
                "finding": f"loss_grad returned {type(call.value).__name__}, not (loss, grad)"}
    parts = {"loss": call.value[0], "grad": call.value[1]} if method == "loss_grad" else {method: call.value}
    tols = rounding.agreement_tolerances(pb.X, W, pb.Y, pb.W.dtype, V=pb.V, sample_weight=sample_weight)
    for name, value in parts.items():
        label = f"{method} {name}" if method == "loss_grad" else name
        exact = truth(name, pb, W, sample_weight)
        arr, bad = as_float_array(value, exact.shape, label, call.warnings)
        if bad:
            return {**out, "wrong": True, "broken": True, "finding": bad.details["problem"]}
        diff = np.abs(arr - exact)
        index = np.unravel_index(int(np.argmax(diff)), diff.shape) if diff.ndim else ()
        error, tolerance = float(diff.max()), float(tols[name])
        out["parts"].append({"quantity": label, "error": error, "tolerance": tolerance})
        if not error <= tolerance:
            where = f"[{', '.join(map(str, index))}]" if index else ""
            out.update(wrong=True, finding=(
                f"{label}{where} = {_shown(arr, index)} where the definition gives {_shown(exact, index)} "
                f"(error {error:.3e} > tolerance {tolerance:.3e})" + warned(call.warnings)))
            return out
    return out


def measured(check: dict) -> Measurement:
    """A :func:`compared` result as a Measurement: its worst part, or a broken one if nothing could be compared."""
    if check["broken"]:
        return broken(check["quantity"], check["finding"])
    details = {"finding": check["finding"]} if check["finding"] else {}
    return worse(*(Measurement(p["error"], p["tolerance"], p["quantity"], details) for p in check["parts"]))


def _is_pair(value) -> bool:
    return isinstance(value, (tuple, list)) and len(value) == 2


def confirm_against_definition(impl, methods, *, points=None, sample_weight=False):
    """A confirm callable: re-evaluate the methods the measurement called, on copies of the counterexample.

    ``methods`` are the implementation's methods the violated measurement
    used (the gradient claim differentiates ``loss`` to check ``grad``: both);
    ``points(pb)`` the weights it called them at (default ``[pb.W]``);
    ``sample_weight`` whether the measurement passed the problem's weights.
    Each is compared with the 50-digit definition (:func:`recheck`).
    ``confirmed``: some method is wrong -- the implementation is at fault,
    and ``finding`` says how; dismissed (``confirmed`` False): every one
    agrees with the definition, so the violation was the measurement's own
    rounding.
    """
    methods = (methods,) if isinstance(methods, str) else tuple(methods)

    def confirm(pb):
        weights = pb.sample_weight if sample_weight else None
        checks = [recheck(impl, m, pb, W, weights) for W in (points(pb) if points else [pb.W]) for m in methods]
        wrong = [c for c in checks if c["wrong"]]
        out = {"method": f"mpmath {precision.HIGH_PRECISION_DIGITS} digits, the definition; the implementation's "
                         f"{', '.join(methods)} called again on copies of the counterexample",
               "confirmed": bool(wrong), "rechecks": checks}
        if wrong:
            out["finding"] = wrong[0]["finding"]
        return out

    return confirm


# --------------------------------------------------------------------------
# The claims
# --------------------------------------------------------------------------


def value_vs_definition(impl, pb, method, sample_weight=None) -> Measurement:
    """``method``'s result against the 50-digit definition, as a Measurement (a broken one if it cannot be compared)."""
    return measured(recheck(impl, method, pb, pb.W, sample_weight))


@claim("impl.loss_value")
def loss_value(ctx: CheckContext) -> Evidence:
    impl = under_test(ctx)

    # Toward small target probabilities, where a clipped or underflowing log goes wrong.
    return searched(ctx, drawn(impl), lambda pb: value_vs_definition(impl, pb, "loss"),
                    what="loss vs the 50-digit definition",
                    confirm=confirm_against_definition(impl, "loss"),
                    steer=largest_sample_loss)


def largest_sample_loss(pb) -> float:
    """max_n [logsumexp(z_n) - y_n . z_n] in float64: large where the targets' probabilities are small."""
    Z = pb.X.astype(np.float64) @ pb.W.astype(np.float64)
    return float(np.max(logsumexp(Z, axis=1) - np.einsum("nk,nk->n", pb.Y.astype(np.float64), Z)))


@claim("impl.probs")
def probs_match_softmax(ctx: CheckContext) -> Evidence:
    impl = under_test(ctx)
    return searched(ctx, drawn(impl), lambda pb: value_vs_definition(impl, pb, "probs"),
                    what="probs vs the 50-digit softmax",
                    confirm=confirm_against_definition(impl, "probs"))


@claim("impl.gradient")
def gradient_is_derivative(ctx: CheckContext) -> Evidence:
    impl = under_test(ctx)

    def measure(pb):
        G, bad = evaluated(impl.grad, (pb.W, pb.X, pb.Y), pb.W.shape, "grad")
        if bad:
            return bad
        return difference_check("grad", "finite differences of loss: ",
                                check_gradient, lambda W: impl.loss(W, pb.X, pb.Y), lambda W: G, pb.W)

    # The measurement differentiates loss to check grad: the re-check evaluates both.
    return searched(ctx, drawn(impl), measure,
                    what="grad vs differences of loss",
                    confirm=confirm_against_definition(impl, ("grad", "loss")))


@claim("impl.loss_grad")
def loss_grad_agrees(ctx: CheckContext) -> Evidence:
    impl = under_test(ctx)

    def measure(pb):
        call = attempt(impl.loss_grad, pb.W, pb.X, pb.Y)
        one_pass = measured(compared(call, "loss_grad", pb, pb.W))
        if one_pass.details.get("problem"):
            return one_pass
        loss, bad = evaluated(impl.loss, (pb.W, pb.X, pb.Y), (), "loss")
        if bad:
            return bad
        grad, bad = evaluated(impl.grad, (pb.W, pb.X, pb.Y), pb.W.shape, "grad")
        if bad:
            return bad
        tols = rounding.agreement_tolerances(pb.X, pb.W, pb.Y, pb.W.dtype)
        pair_loss, pair_grad = (np.asarray(v, dtype=np.float64) for v in call.value)
        # Each of the two within its tolerance of the definition puts them within twice it of each other.
        return worse(
            one_pass,
            Measurement(abs(float(pair_loss) - float(loss)), 2 * tols["loss"], "loss_grad loss - loss()"),
            Measurement(float(np.max(np.abs(pair_grad - grad))), 2 * tols["grad"], "loss_grad grad - grad()"),
        )

    return searched(ctx, drawn(impl), measure,
                    what="loss_grad vs the definition and vs loss and grad",
                    confirm=confirm_against_definition(impl, ("loss_grad", "loss", "grad")))


@claim("impl.hessian")
def hessian_is_derivative(ctx: CheckContext) -> Evidence:
    impl = under_test(ctx)

    def measure(pb):
        H, bad = hessian_or_failure(impl, pb)
        if bad:
            return bad
        return difference_check("hessian", "differences of grad: ",
                                check_hessian, lambda W: impl.grad(W, pb.X, pb.Y), lambda W: H, pb.W)

    return searched(ctx, drawn(impl, hessian=True), measure,
                    what="hessian vs differences of grad",
                    confirm=confirm_against_definition(impl, ("hessian", "grad")))


@claim("impl.hessian_symmetric")
def hessian_symmetric(ctx: CheckContext) -> Evidence:
    impl = under_test(ctx)

    def measure(pb):
        H, bad = hessian_or_failure(impl, pb)
        if bad:
            return bad
        return Measurement(float(np.max(np.abs(H - H.T))),
                           rounding.agreement_tolerances(pb.X, pb.W, pb.Y, pb.W.dtype)["hessian"], "hessian asymmetry")

    # H - H^T beyond twice the entry tolerance puts H beyond it from the (symmetric) definition.
    return searched(ctx, drawn(impl, hessian=True), measure,
                    what="H - H^T",
                    confirm=confirm_against_definition(impl, "hessian"))


@claim("impl.hvp")
def hvp_is_directional_derivative(ctx: CheckContext) -> Evidence:
    impl = under_test(ctx)

    def measure(pb):
        return difference_check("hvp", "differences of grad: ", check_hvp_directional, lambda W: impl.grad(W, pb.X, pb.Y),
                                lambda W, V: impl.hvp(W, pb.X, pb.Y, V), pb.W, pb.V)

    # hvp costs what the Hessian costs in some implementations (the symbolic one derives it from H).
    return searched(ctx, drawn(impl, hessian=True), measure,
                    what="hvp vs differences of grad",
                    confirm=confirm_against_definition(impl, ("hvp", "grad")))


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
    impl = under_test(ctx)

    def measure(pb):
        H, bad = hessian_or_failure(impl, pb)
        if bad:
            return bad
        (error, tolerance, part), details = psd_kernel_violation(H, pb)
        return Measurement(error, tolerance, part, details)

    recheck_hessian = confirm_against_definition(impl, "hessian")

    def confirm(pb):
        """Confirmed when the exact Hessian has the property and the implementation's differs from it."""
        out = recheck_hessian(pb)
        (error_exact, tolerance, part), _ = psd_kernel_violation(truth("hessian", pb, pb.W), pb)
        out["exact_hessian_violation"] = error_exact
        if error_exact > tolerance:  # the property itself fails at these inputs: nothing to blame the implementation for
            out.update(confirmed=None, finding=f"the 50-digit Hessian itself violates '{part}' ({error_exact:.3e} > {tolerance:.3e})")
        return out

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
    impl = under_test(ctx)

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
    impl = under_test(ctx)
    multipliers = st.sampled_from([1 / 8, 1 / 2, 1.0])
    # gradient_descent steps with loss_grad when there is one, else with loss and grad.
    used = ("loss_grad",) if callable(getattr(impl, "loss_grad", None)) else ("loss", "grad")

    def measure(example):
        pb, t = example
        L = lipschitz_bound(pb.X.astype(np.float64))
        if not (np.isfinite(L) and L >= np.finfo(np.float64).tiny):
            # L = 0 or subnormal (X zero or X^T X underflowing): the step t / L is
            # undefined or overflows, which is outside the claim's hypothesis.
            return None
        call = attempt(gradient_descent, impl, pb.X, pb.Y, W0=pb.W, step_multiplier=t, max_iter=DESCENT_STEPS)
        if call.error:
            return broken("loss increase", call.problem("gradient descent with the implementation"))
        run = call.value
        return Measurement(max(0.0, float(run.max_increase)), loss_increase_tolerance(float(np.max(run.history["loss"])), rounding.eps(pb.W.dtype)),
                           "loss increase", {"step multiplier": t, "increases": int(run.n_increases)})

    def confirm(example):
        """Re-run the descent and re-evaluate, at each iterate, the exact loss and the methods the descent called.

        Confirmed when the exact loss also rises (the step direction is wrong)
        or when a method differs from the definition at an iterate: either way
        the implementation is at fault.
        """
        pb, t = example
        call = attempt(gradient_descent, impl, pb.X, pb.Y, W0=pb.W, step_multiplier=t, max_iter=DESCENT_STEPS, record_W=True)
        if call.error:  # the failure happens again on fresh copies: the implementation's
            return {"method": "the descent run again on copies of the counterexample", "confirmed": True,
                    "finding": call.problem("gradient descent with the implementation")}
        run = call.value
        exact = [mp_float(precision.cross_entropy(W, pb.X, pb.Y)) for W in run.W_history]
        rise = max(0.0, max((b - a for a, b in zip(exact, exact[1:])), default=0.0))
        checks = [recheck(impl, m, pb, np.asarray(W, dtype=pb.W.dtype)) for W in run.W_history for m in used]
        wrong = [c for c in checks if c["wrong"]]
        rises = rise > loss_increase_tolerance(max(exact), rounding.eps(pb.W.dtype))
        out = {"method": f"mpmath {precision.HIGH_PRECISION_DIGITS} digits along the iterates; "
                         f"{', '.join(used)} called again at each", "confirmed": bool(rises or wrong),
               "exact_max_increase": rise}
        if wrong:
            out["finding"] = wrong[0]["finding"]
        elif rises:
            out["finding"] = f"the exact loss rises by {rise:.3e} along the implementation's iterates"
        return out

    return searched(ctx, st.tuples(drawn(impl), multipliers), measure,
                    what="monotone descent at eta <= 1/L",
                    to_dict=lambda ex: {"step multiplier": ex[1], **problem_to_dict(ex[0])},
                    confirm=confirm)


@claim("impl.shift_invariance")
def shift_invariance(ctx: CheckContext) -> Evidence:
    impl = under_test(ctx)

    def shifted(pb):
        return (pb.W + pb.V[:, :1]).astype(pb.W.dtype)

    def measure(pb):
        values = []
        for W in (pb.W, shifted(pb)):
            loss, bad = evaluated(impl.loss, (W, pb.X, pb.Y), (), "loss")
            if bad:
                return bad
            grad, bad = evaluated(impl.grad, (W, pb.X, pb.Y), pb.W.shape, "grad")
            if bad:
                return bad
            values.append((loss, grad))
        (l0, g0), (l1, g1) = values
        # The shifted logits carry the rounding of the larger weights.
        big = np.maximum(np.abs(pb.W), np.abs(shifted(pb)))
        tols = rounding.agreement_tolerances(pb.X, big, pb.Y, pb.W.dtype)
        return worse(
            Measurement(abs(float(l1) - float(l0)), tols["loss"], "loss(W + u 1^T) - loss(W)"),
            Measurement(float(np.max(np.abs(g1 - g0))), tols["grad"], "grad(W + u 1^T) - grad(W)"),
        )

    return searched(ctx, drawn(impl), measure,
                    what="shift invariance",
                    confirm=confirm_against_definition(impl, ("loss", "grad"), points=lambda pb: [pb.W, shifted(pb)]))


@claim("impl.extreme_logits")
def extreme_logits(ctx: CheckContext) -> Evidence:
    impl = under_test(ctx)

    def measure(pb):
        checks = [recheck(impl, m, pb, pb.W) for m in ("loss", "grad")]
        for c in checks:  # a call that returned, with warnings: the claim promises none
            if not c["broken"] and (noisy := floating_point_warnings(c["warnings"])):
                return broken(c["quantity"], f"{c['quantity']} emitted {'; '.join(noisy)}")
        return worse(*(measured(c) for c in checks))

    recheck_values = confirm_against_definition(impl, ("loss", "grad"))

    def confirm(pb):
        """The values against the 50-digit definition, and the warnings of the same calls made again."""
        out = recheck_values(pb)
        noisy = [f"{c['quantity']} emitted {'; '.join(w)}" for c in out["rechecks"]
                 if (w := floating_point_warnings(c["warnings"]))]
        if not out["confirmed"] and noisy:
            out.update(confirmed=True, finding="; ".join(noisy) + " (the values are right)")
        return out

    return searched(ctx, drawn(impl, logit_scales=EXTREME_LOGIT_SCALES), measure,
                    what="loss and grad at |logits| up to 1e4", confirm=confirm)


# How far beyond the domain impl.domain_edge moves the entries: X by 2^-e and W by 2^e. A ladder to the float
# range's ends (2^1000 is about 1e301), not a uniform integer: past e = 512 a squared weight overflows, and a search
# of 40 examples must reach there.
EDGE_EXPONENTS = (0, 256, -256, 512, -512, 768, -768, 1000, -1000)


@st.composite
def beyond_the_domain(draw, impl):
    """A problem of the user's domain with X scaled by 2^-e and W by 2^e: the same logits, extreme entries.

    Powers of two keep the scaling exact (until X becomes subnormal, which is
    the edge too); the logits, and so the loss, are those of an ordinary
    problem, so what fails is the handling of the entries themselves --
    ``W * W`` overflowing in a regularisation term, ``X`` underflowing.
    """
    pb = draw(drawn(impl))
    e = draw(st.sampled_from(EDGE_EXPONENTS), label="exponent e")
    dtype = pb.W.dtype
    with np.errstate(over="ignore", under="ignore"):
        X = (pb.X.astype(np.float64) * 2.0**-e).astype(dtype)
        W = (pb.W.astype(np.float64) * 2.0**e).astype(dtype)
    assume(bool(np.all(np.isfinite(W)) and np.all(np.isfinite(X))))
    return replace(pb, X=X, W=W, tags={**pb.tags, "edge exponent": e})


@claim("impl.domain_edge")
def domain_edge(ctx: CheckContext) -> Evidence:
    impl = under_test(ctx)

    # Overflow here (W * W in a regularisation term, say) is a robustness finding, not a wrong loss: no user's inputs
    # are there. The steer pulls toward the float range's ends.
    return searched(ctx, beyond_the_domain(impl),
                    lambda pb: worse(value_vs_definition(impl, pb, "loss"), value_vs_definition(impl, pb, "grad")),
                    what="loss and grad beyond the input domain",
                    confirm=confirm_against_definition(impl, ("loss", "grad")),
                    steer=lambda pb: abs(pb.tags["edge exponent"]))


@claim("impl.inputs_unchanged")
def inputs_unchanged(ctx: CheckContext) -> Evidence:
    # Called without Copying, with the harness's own copies: this claim watches what it does to them.
    impl = Watched(ctx.impl)
    caps = impls.capabilities_of(impl)
    methods = [m for m in METHOD_ARGUMENTS if callable(getattr(impl, m, None))]
    declared = set(caps.writes_arguments)
    declared_writes_seen = set()

    def writes(pb):
        """(method, argument) for every argument some method changed, bit for bit, in one call."""
        found = []
        arrays = {"W": pb.W, "X": pb.X, "Y": pb.Y, "V": pb.V, "sample_weight": pb.sample_weight}
        for m in methods:
            names = METHOD_ARGUMENTS[m] + (("sample_weight",) if caps.sample_weight and m != "probs" else ())
            given = {n: arrays[n].copy() for n in names}
            weights = {"sample_weight": given["sample_weight"]} if "sample_weight" in given else {}
            attempt(getattr(impl, m), *(given[n] for n in METHOD_ARGUMENTS[m]), **weights)  # what it returns is other claims' business
            found += [(m, n) for n, a in given.items() if a.dtype != arrays[n].dtype or a.tobytes() != arrays[n].tobytes()]
        return found

    def measure(pb):
        found = writes(pb)
        undeclared = [f"{m} writes into {n}" for m, n in found if n not in declared]
        declared_writes_seen.update(f"{m} writes into {n}" for m, n in found if n in declared)
        details = {"undeclared writes": undeclared} if undeclared else {}
        if undeclared:
            details["problem"] = "; ".join(undeclared) + " (the caller's array changes)"
        return Measurement(float(len(undeclared)), 0.0, "arguments written", details)

    def confirm(pb):  # a write is exact: calling again on fresh copies is the whole re-check
        m = measure(pb)
        out = {"method": "exact (bit-for-bit comparison of fresh copies, every method called again)",
               "confirmed": True if m.violated else None}
        out["finding"] = m.details.get("problem", "the write did not happen again on fresh copies")
        return out

    ev = searched(ctx, drawn(impl, weighted=caps.sample_weight), measure,
                  what="every method leaves its arguments bit for bit unchanged", confirm=confirm)
    if declared_writes_seen:
        ev.measurements["declared writes observed"] = sorted(declared_writes_seen)
        ev.notes.append("declared in capabilities.writes_arguments, so reported, not failed: "
                        + "; ".join(sorted(declared_writes_seen)))
    return ev


@claim("impl.dtype_kept")
def dtype_kept(ctx: CheckContext) -> Evidence:
    impl = under_test(ctx)
    caps = impls.capabilities_of(impl)
    methods = [m for m in ("probs", "loss", "grad", "loss_grad", "hessian", "hvp") if callable(getattr(impl, m, None))]

    def measure(pb):
        wrong = []
        for m in methods:
            call = attempt(getattr(impl, m), *_arguments(m, pb, pb.W))
            if call.error:
                return broken(m, call.problem(m))
            for part, value in (zip(("loss", "grad"), call.value) if m == "loss_grad" and _is_pair(call.value) else [(m, call.value)]):
                got = np.asarray(value).dtype
                if got != pb.W.dtype:
                    wrong.append(f"{part if m != 'loss_grad' else 'loss_grad ' + part} returned {got} for {pb.W.dtype} input")
        details = {"wrong": wrong, "problem": "; ".join(wrong)} if wrong else {"wrong": wrong}
        return Measurement(float(len(wrong)), 0.0, "results in another dtype", details)

    strategy = st.one_of(*[drawn(impl, hessian=True, dtype=dt) for dt in caps.dtypes])

    def confirm(pb):  # a dtype is exact: re-running the same calls is the whole check
        m = measure(pb)
        return {"method": "exact (dtype comparison)", "confirmed": bool(m.violated), "finding": m.details.get("problem", ""),
                **m.details}

    return searched(ctx, strategy, measure, what="dtype of every result", confirm=confirm)


@claim("impl.sample_weight")
def sample_weight_mean(ctx: CheckContext) -> Evidence:
    impl = under_test(ctx)
    if not impls.capabilities_of(impl).sample_weight:
        return Evidence(SKIPPED, summary="skipped: the implementation does not declare sample weights")
    # The weighted Hessian and hvp where the implementation has them (a declared False is honoured).
    second_order = [m for m in ("hessian", "hvp") if callable(getattr(impl, m, None))
                    and getattr(impls.capabilities_of(impl), m, True)]

    def measure(pb):
        s = pb.sample_weight
        loss = value_vs_definition(impl, pb, "loss", sample_weight=s)
        if loss.details.get("problem"):
            return loss
        chk = attempt(check_gradient, lambda W: impl.loss(W, pb.X, pb.Y, sample_weight=s),
                      lambda W: impl.grad(W, pb.X, pb.Y, sample_weight=s), pb.W, method="richardson")
        if chk.error:
            return broken("weighted grad", chk.problem("differences of the weighted loss: "))
        measured = [loss, Measurement(chk.value.max_abs_error, chk.value.tolerance, "weighted grad", chk.value.to_dict())]
        measured += [value_vs_definition(impl, pb, m, sample_weight=s) for m in second_order]
        return worse(*measured)

    return searched(ctx, drawn(impl, weighted=True, hessian=bool(second_order)), measure, what="weighted mean",
                    confirm=confirm_against_definition(impl, ("loss", "grad", *second_order), sample_weight=True))

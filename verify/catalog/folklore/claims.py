"""Claims: folklore about softmax cross-entropy (seed 002, ``claims/folklore.md``).

Seed 002 is a page of search-engine snippets around "prove that cross-entropy
loss for a softmax classifier is convex". It mixes textbook facts (F1-F7,
F11, F13, F14, F16), statements that are false (F8-F10, F12, F15), and two
that are true only under a condition the snippets leave out (F3, F17).

Every verdict is computed:

* a true claim is searched for a violation with Hypothesis (``verify.harness.search``,
  steered by ``target``), against a tolerance derived from eps and the size
  of the quantity (``verify.catalog.folklore.tolerances``, section "Folklore"); identities are
  also proved with SymPy at small K where the catalog says so;
* a false claim is refuted by a counterexample the search finds on its own,
  that Hypothesis shrinks, and that mpmath re-checks at 50 digits;
* a claim that holds only under a missing hypothesis runs two searches: one
  under the hypothesis (no violation), one without it (a confirmed, shrunk
  counterexample).

Conventions (``DESIGN.md``): logits z in R^K, target y in the simplex,
CE(y, z) = sum_k y_k (lse(z) - z_k) = -sum_k y_k log p_k with p = softmax(z);
linear model L(W) = (1/N) sum_n CE(y_n, W^T x_n), X (N, D), W (D, K). A
single logit vector is the linear model with N = D = 1 and x = 1: W = z^T,
so every single-sample quantity is computed through the implementation's
interface (``ctx.impl``) as well.
"""

from __future__ import annotations

import math
from functools import lru_cache

import mpmath
import numpy as np
import sympy
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from scipy.special import entr, expit, log_softmax, logsumexp, rel_entr

from ...numerics import precision as hp
from ...numerics import rounding
from . import tolerances as tol
from ...harness.claims import HOLDS, HOLDS_UNDER, REFUTED, Evidence, claim
from ..sources import source
from ...numerics.derivatives import check_gradient, check_hessian
from ...numerics.optimizers import gradient_descent, lipschitz_bound, loss_increase_tolerance, newton_on_complement
from ...harness.search import Measurement, search
from ...harness.strategies import LOGIT_SCALES, TARGET_KINDS, SoftmaxProblem, problems, targets
from ...harness.evidence import problem_to_dict, search_evidence

F64 = np.float64
EPS = rounding.eps(F64)
X1 = np.ones((1, 1), dtype=F64)  # one sample, x = 1: the logits are W[0]
HP_METHOD = f"mpmath {hp.HIGH_PRECISION_DIGITS} digits"
MAX_FIGURE_POINTS = 200
# The target kinds ``strategies.targets`` draws without looking at X (separable targets depend on X).
VECTOR_KINDS = tuple(k for k in TARGET_KINDS if k in ("one-hot", "soft", "soft-with-zeros"))


# ==========================================================================
# Small helpers
# ==========================================================================


def _w(z) -> np.ndarray:
    """A logit vector as the (1, K) weight matrix of the single-sample model (X = [[1]])."""
    return np.asarray(z, dtype=F64).reshape(1, -1)


def _ce(impl, y, z) -> float:
    """CE(y, z) through the implementation."""
    return float(impl.loss(_w(z), X1, np.asarray(y, dtype=F64).reshape(1, -1)))


def _probs(impl, z) -> np.ndarray:
    return np.asarray(impl.probs(_w(z), X1), dtype=F64)[0]


def _logit_bound(X, W) -> float:
    """max_nk sum_d |x_nd| |w_dk|: bounds every logit and its rounding scale."""
    return float(np.max(np.abs(np.asarray(X, F64)) @ np.abs(np.asarray(W, F64))))


def _plain(obj):
    """An example (dicts of arrays, problems) as plain JSON data."""
    if isinstance(obj, SoftmaxProblem):
        return problem_to_dict(obj)
    if isinstance(obj, dict):
        return {str(k): _plain(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_plain(v) for v in obj]
    if isinstance(obj, np.ndarray):
        return obj.tolist()
    if isinstance(obj, np.generic):
        return obj.item()
    if isinstance(obj, mpmath.mpf):
        return float(obj)
    return obj


def _mpf(x) -> mpmath.mpf:
    return x if isinstance(x, mpmath.mpf) else mpmath.mpf(float(x))


def _mp_vec(v) -> list:
    return [_mpf(x) for x in np.asarray(v, dtype=object).ravel().tolist()]


def _mp_ce(y, z) -> mpmath.mpf:
    """CE(y, z) = sum_k y_k (lse(z) - z_k) by definition (any y >= 0); call inside workdps."""
    z, y = _mp_vec(z), _mp_vec(y)
    lse = hp.logsumexp(z)
    return mpmath.fsum(yk * (lse - zk) for yk, zk in zip(y, z))


def _mp_grad_fd(f, z) -> list:
    """Gradient of f (a function of K mpf arguments) at z by mpmath's high-precision differentiation."""
    z = _mp_vec(z)
    K = len(z)
    return [mpmath.diff(f, z, tuple(int(j == k) for j in range(K))) for k in range(K)]


def _as_mp_matrix(A) -> np.ndarray:
    """A float or mpf array as an object array of mpf (exact conversion)."""
    A = np.asarray(A, dtype=object)
    return np.vectorize(_mpf, otypes=[object])(A) if A.size else A


def _subsample(n: int, limit: int = MAX_FIGURE_POINTS, log: bool = False) -> np.ndarray:
    """At most ``limit`` indices of range(n), evenly (or log-evenly) spaced, first and last kept."""
    if n <= limit:
        return np.arange(n)
    if log:
        idx = np.unique(np.round(np.geomspace(1, n - 1, limit - 1)).astype(int))
        return np.concatenate([[0], idx])
    return np.unique(np.round(np.linspace(0, n - 1, limit)).astype(int))


def _series(label, x, y) -> dict:
    return {"label": label, "x": [float(v) for v in x], "y": [float(v) for v in y]}


def _run(ctx, strategy, measure, *, what, confirm=None, to_dict=_plain, label=None) -> Evidence:
    """One search for a violation, as Evidence (see ``_common.search_evidence``)."""
    outcome = search(strategy, measure, settings=ctx.settings, label=label or what)
    return search_evidence(outcome, what=what, confirm=confirm, to_dict=to_dict)


def _part(ev: Evidence) -> dict:
    """A sub-search's evidence as a measurement entry."""
    out = {
        "verdict": ev.verdict,
        "summary": ev.summary,
        "examples": ev.examples,
        "quantity": ev.quantity,
        "worst_error": ev.worst_error,
        "tolerance": ev.tolerance,
        "worst_ratio": None if not ev.tolerance or ev.worst_error is None else ev.worst_error / ev.tolerance,
    }
    if ev.counterexample is not None:
        out["counterexample"] = ev.counterexample
        out["found_by_search"] = ev.found_by_search
    if ev.high_precision is not None:
        out["high_precision"] = ev.high_precision
    if ev.measurements:
        out["details"] = ev.measurements
    out.update({"notes": list(ev.notes)} if ev.notes else {})
    return out


def _all_hold(parts: dict, *, title: str, measurements=None, figures=None, symbolic=None) -> Evidence:
    """Combine the searches of a true claim: HOLDS when none found a confirmed violation.

    A refuted part makes the claim refuted and lends it its counterexample. A
    SymPy result (``symbolic``, with ``exact``) must also be exact for HOLDS.
    """
    evs = list(parts.values())
    refuted = [(name, ev) for name, ev in parts.items() if ev.verdict == REFUTED]
    meas = {name: _part(ev) for name, ev in parts.items()}
    if symbolic is not None:
        meas["sympy"] = symbolic
    meas.update(measurements or {})
    total = sum(ev.examples for ev in evs)
    if refuted:
        name, ev = refuted[0]
        out = Evidence(
            REFUTED,
            summary=f"{title}: part '{name}' refuted: {ev.summary}",
            examples=total,
            worst_error=ev.worst_error,
            tolerance=ev.tolerance,
            quantity=ev.quantity,
            counterexample=ev.counterexample,
            found_by_search=ev.found_by_search,
            high_precision=ev.high_precision,
        )
    else:
        def ratio(ev):
            return -math.inf if not ev.tolerance or ev.worst_error is None else ev.worst_error / ev.tolerance

        worst = max(evs, key=ratio)
        out = Evidence(
            HOLDS,
            summary=f"{title}: no violation in {total} examples over {len(evs)} searches"
            + (f" (worst {worst.quantity}: {worst.worst_error:.2e} vs tolerance {worst.tolerance:.2e})"
               if worst.tolerance else ""),
            examples=total,
            worst_error=worst.worst_error,
            tolerance=worst.tolerance,
            quantity=worst.quantity,
        )
        if symbolic is not None and not symbolic.get("exact", False):
            out.verdict = REFUTED
            out.summary = f"{title}: the SymPy identity did not reduce to 0: {symbolic}"
    for ev in evs:
        out.notes += ev.notes
    out.measurements = meas
    out.figures = list(figures or [])
    return out


def _holds_under(under: Evidence, without: Evidence, *, hypothesis: str, title: str, measurements=None, figures=None) -> Evidence:
    """The verdict of a holds-under claim, computed from its two halves.

    ``holds-under`` when the search under the hypothesis found no violation
    and the search without it found a confirmed counterexample; ``refuted``
    when the statement fails even under the hypothesis; ``holds`` when no
    counterexample was found without it (the hypothesis then looked
    unnecessary).
    """
    meas = {"under hypothesis": _part(under), "without hypothesis": _part(without), **(measurements or {})}
    total = under.examples + without.examples
    if under.verdict == REFUTED:
        ev = Evidence(REFUTED, summary=f"{title}: fails even under '{hypothesis}': {under.summary}",
                      counterexample=under.counterexample, found_by_search=under.found_by_search,
                      high_precision=under.high_precision)
        ev.worst_error, ev.tolerance, ev.quantity = under.worst_error, under.tolerance, under.quantity
    elif without.verdict == REFUTED:
        ev = Evidence(
            HOLDS_UNDER,
            summary=f"{title}: holds under '{hypothesis}' ({under.examples} examples, no violation); without it "
            f"the search found a counterexample, shrunk and confirmed ({without.summary})",
            worst_error=under.worst_error,
            tolerance=under.tolerance,
            quantity=under.quantity,
            counterexample=without.counterexample,
            found_by_search=without.found_by_search,
            high_precision=without.high_precision,
        )
    else:
        ev = Evidence(HOLDS, summary=f"{title}: no violation found with or without '{hypothesis}'",
                      worst_error=under.worst_error, tolerance=under.tolerance, quantity=under.quantity)
    ev.examples = total
    ev.measurements = meas
    ev.figures = list(figures or [])
    ev.notes = under.notes + without.notes
    return ev


# ==========================================================================
# Strategies
# ==========================================================================


def _unit_floats():
    return st.floats(-1.0, 1.0, allow_subnormal=False)


@st.composite
def logit_vectors(draw, K: int, scales=LOGIT_SCALES):
    """z = u * s with u in [-1, 1]^K and s one of ``scales`` (0 to 1e3: uniform to fully saturated)."""
    u = draw(hnp.arrays(F64, (K,), elements=_unit_floats()), label="z (unit)")
    s = draw(st.sampled_from(list(scales)), label="logit scale")
    return u * F64(s)


@st.composite
def simplex_vectors(draw, K: int, kinds=VECTOR_KINDS):
    """A dyadic probability vector (``strategies.targets``: exact in float64, sums to exactly 1)."""
    kind = draw(st.sampled_from(list(kinds)), label="kind")
    return targets(draw, 1, K, kind, F64)[0]


def _dyadic_weight():
    """lambda = j/16, 0 < lambda < 1: exact, and the mixture's only rounding is that of its sum."""
    return st.integers(1, 15).map(lambda j: j / 16)


@st.composite
def _ce_segments(draw, max_K=5, kinds=VECTOR_KINDS):
    K = draw(st.integers(2, max_K), label="K")
    return {
        "y": draw(simplex_vectors(K, kinds)),
        "z1": draw(logit_vectors(K)),
        "z2": draw(logit_vectors(K)),
        "lambda": draw(_dyadic_weight(), label="lambda"),
    }


@st.composite
def _ce_points(draw, max_K=5, kinds=VECTOR_KINDS):
    K = draw(st.integers(2, max_K), label="K")
    return {"y": draw(simplex_vectors(K, kinds)), "z": draw(logit_vectors(K))}


# ==========================================================================
# Shared checks: convexity of CE in z, convexity of the linear model's loss
# ==========================================================================


def _ce_convexity_measure(impl):
    def measure(ex):
        y, z1, z2, lam = ex["y"], ex["z1"], ex["z2"], ex["lambda"]
        zm = lam * z1 + (1 - lam) * z2
        f1, f2, fm = _ce(impl, y, z1), _ce(impl, y, z2), _ce(impl, y, zm)
        scale = max(np.max(np.abs(z1)), np.max(np.abs(z2)), abs(f1), abs(f2))
        gap = fm - (lam * f1 + (1 - lam) * f2)
        return Measurement(gap, tol.folklore_convexity_tolerance(len(y), scale), "convexity gap CE(mix) - mix of CE",
                           {"CE(z1)": f1, "CE(z2)": f2, "CE(mix)": fm})
    return measure


def _ce_convexity_confirm(ex) -> dict:
    y, z1, z2, lam = ex["y"], ex["z1"], ex["z2"], ex["lambda"]
    with hp.workdps():
        lm = _mpf(lam)
        zm = [lm * a + (1 - lm) * b for a, b in zip(_mp_vec(z1), _mp_vec(z2))]
        f1, f2, fm = _mp_ce(y, z1), _mp_ce(y, z2), _mp_ce(y, zm)
        gap = fm - (lm * f1 + (1 - lm) * f2)
    margin = tol.folklore_high_precision_margin(max(abs(f1), abs(f2)))
    return {"confirmed": bool(gap > margin), "method": HP_METHOD, "gap": float(gap), "margin": margin}


def _psd_measure(impl, hessian_of):
    """lambda_min of the impl's Hessian at a point, against the PSD eigenvalue tolerance."""
    def measure(ex):
        W, X, Y = hessian_of(ex)
        H = np.asarray(impl.hessian(W, X, Y), dtype=F64)
        ev = np.linalg.eigvalsh((H + H.T) / 2)
        entry = rounding.agreement_tolerances(X, W, Y, F64)["hessian"]
        t = rounding.psd_eigenvalue_tolerance(entry, H.shape[0], max(abs(ev[0]), abs(ev[-1])))
        near_zero = int(np.sum(np.abs(ev) <= t))
        return Measurement(-float(ev[0]), t, "-lambda_min(Hessian)",
                           {"lambda_min": float(ev[0]), "lambda_max": float(ev[-1]), "near_zero_eigenvalues": near_zero,
                            "n": int(H.shape[0])})
    return measure


def _psd_confirm(hessian_of):
    def confirm(ex) -> dict:
        W, X, Y = hessian_of(ex)
        lam = hp.eigvalsh(hp.hessian(W, X))[0]
        margin = tol.folklore_high_precision_margin()
        return {"confirmed": bool(-lam > margin), "method": HP_METHOD, "lambda_min": float(lam), "margin": margin}
    return confirm


def _ce_hessian_of(ex):
    return _w(ex["z1"] if "z1" in ex else ex["z"]), X1, np.asarray(ex["y"], F64)[None, :]


@st.composite
def _linear_lines(draw, x_scales=(1.0,), max_N=6, max_D=4, max_K=5):
    """A problem, a direction V scaled by t, and (F11) the data scaled by s with W / s (same logits)."""
    pb = draw(problems(max_N=max_N, max_D=max_D, max_K=max_K))
    s = draw(st.sampled_from(list(x_scales)), label="x scale")
    t = draw(st.sampled_from([1.0, 1e-3, 30.0]), label="line step")
    pb = SoftmaxProblem(X=pb.X * s, W=pb.W / s, Y=pb.Y, V=pb.V * (t / s), sample_weight=pb.sample_weight,
                        tags={**pb.tags, "x_scale": s, "line_step": t})
    return pb


def _line_convexity_measure(impl):
    """Midpoint convexity of t -> L(W + t V) at t = 0 from the points W - V, W + V."""
    def measure(pb):
        X, W, Y, V = pb.X, pb.W, pb.Y, pb.V
        N, D = X.shape
        K = W.shape[1]
        fm, fp, f0 = float(impl.loss(W - V, X, Y)), float(impl.loss(W + V, X, Y)), float(impl.loss(W, X, Y))
        scale = max(_logit_bound(X, np.abs(W) + np.abs(V)), abs(fm), abs(fp))
        gap = f0 - (fm + fp) / 2
        return Measurement(gap, tol.folklore_convexity_tolerance(K, scale, N, D), "convexity gap L(W) - (L(W-V) + L(W+V))/2",
                           {"L(W-V)": fm, "L(W)": f0, "L(W+V)": fp})
    return measure


def _line_convexity_confirm(pb) -> dict:
    X, W, Y, V = pb.X, pb.W, pb.Y, pb.V
    with hp.workdps():
        Wm, Vm = _as_mp_matrix(W), _as_mp_matrix(V)
        fm = hp.cross_entropy(Wm - Vm, X, Y)
        fp = hp.cross_entropy(Wm + Vm, X, Y)
        f0 = hp.cross_entropy(Wm, X, Y)
        gap = f0 - (fm + fp) / 2
    margin = tol.folklore_high_precision_margin(max(abs(fm), abs(fp)))
    return {"confirmed": bool(gap > margin), "method": HP_METHOD, "gap": float(gap), "margin": margin}


def _linear_hessian_of(pb):
    return pb.W, pb.X, pb.Y


def _linear_convexity(ctx, *, title, x_scales, record_kernel=False) -> Evidence:
    strategy = _linear_lines(x_scales=x_scales)
    line = _run(ctx, strategy, _line_convexity_measure(ctx.impl), what="midpoint convexity of L along lines",
                confirm=_line_convexity_confirm)
    kernel_counts = []
    psd_measure = _psd_measure(ctx.impl, _linear_hessian_of)

    def psd_with_kernel(pb):
        m = psd_measure(pb)
        kernel_counts.append((m.details["near_zero_eigenvalues"], pb.X.shape[1]))
        return m

    psd = _run(ctx, strategy, psd_with_kernel, what="Hessian in W is PSD", confirm=_psd_confirm(_linear_hessian_of))
    meas = {}
    if record_kernel and kernel_counts:
        # L(W + c 1^T) = L(W): the D directions c 1^T are in the Hessian's kernel, so L is never strictly convex.
        meas["not strictly convex"] = {
            "examples": len(kernel_counts),
            "examples with >= D near-zero Hessian eigenvalues": sum(n >= D for n, D in kernel_counts),
            "fewest near-zero eigenvalues minus D": min(n - D for n, D in kernel_counts),
        }
    return _all_hold({"line convexity": line, "Hessian PSD": psd}, title=title, measurements=meas)


# ==========================================================================
# F1, F2: convexity
# ==========================================================================


@claim(
    id="folklore.F1",
    title="Cross-entropy is convex in the logits",
    source=source("folklore", "seed 002 snippet: 'Prove that cross entropy loss for a softmax classifier is convex'"),
    statement="For every target y in the simplex, z -> CE(y, z) = lse(z) - y.z is convex on R^K; its Hessian "
    "diag(p) - p p^T (p = softmax(z)) is symmetric positive semidefinite.",
    hypotheses=("K >= 2", "y in the simplex (one-hot or soft)", "z in R^K"),
    expected=HOLDS,
    method="search",
)
def check_f1(ctx) -> Evidence:
    seg = _ce_segments()
    convex = _run(ctx, seg, _ce_convexity_measure(ctx.impl), what="CE(y, .) convex along segments",
                  confirm=_ce_convexity_confirm)
    psd = _run(ctx, _ce_points(), _psd_measure(ctx.impl, _ce_hessian_of), what="Hessian diag(p) - p p^T is PSD",
               confirm=_psd_confirm(_ce_hessian_of))
    return _all_hold({"segment convexity": convex, "Hessian PSD": psd}, title="CE convex in z")


@claim(
    id="folklore.F2",
    title="The linear model's loss is convex in W",
    source=source("folklore", "seed 002 snippet: 'this is the sum of convex functions of linear (hence, affine) functions'"),
    statement="L(W) = (1/N) sum_n CE(y_n, W^T x_n) is convex in W in R^{D x K}: its Hessian "
    "(1/N) sum_n kron(x_n x_n^T, diag(p_n) - p_n p_n^T) is PSD, and L restricted to every line is convex.",
    hypotheses=("X (N, D) real", "rows of Y in the simplex", "W, V in R^{D x K}"),
    expected=HOLDS,
    method="search",
)
def check_f2(ctx) -> Evidence:
    return _linear_convexity(ctx, title="L convex in W", x_scales=(1.0,))


# ==========================================================================
# F3: dCE/dz = p - y (only when sum_k y_k = 1)
# ==========================================================================


def _ce_unnormalised(y, z) -> float:
    """CE(y, z) = -sum_k y_k log p_k = (sum_k y_k) lse(z) - y.z for any y >= 0 (the implementation refuses such y)."""
    z = np.asarray(z, F64)
    return float(np.dot(y, logsumexp(z) - z))


@st.composite
def _nonnegative_targets(draw, max_K=5):
    """y_k = c_k / 2**16 with integers 0 <= c_k <= 2**17, not all 0: any sum in (0, 2K]."""
    K = draw(st.integers(2, max_K), label="K")
    counts = draw(hnp.arrays(np.int64, (K,), elements=st.integers(0, 2 * 2**16)).filter(lambda c: c.any()), label="counts")
    return {"y": counts / F64(2**16), "z": draw(logit_vectors(K))}


def _f3_measure(impl, formula):
    """Finite differences of CE(y, .) against a gradient formula."""
    def measure(ex):
        y, z = ex["y"], ex["z"]
        chk = check_gradient(lambda W: _ce_unnormalised(y, W[0]), lambda W: formula(_probs(impl, W[0]), y)[None, :], _w(z))
        return Measurement(chk.max_abs_error, chk.tolerance, "max |finite-difference dCE/dz - formula|",
                           {"sum_y": float(np.sum(y)), "fd_error_estimate": chk.error_estimate, "step": chk.step})
    return measure


def _f3_confirm(ex) -> dict:
    y, z = ex["y"], ex["z"]
    with hp.workdps():
        g = _mp_grad_fd(lambda *zz: _mp_ce(y, zz), z)
        p = hp.softmax(_mp_vec(z))
        ym = _mp_vec(y)
        s = mpmath.fsum(ym)
        claimed = max(abs(gk - (pk - yk)) for gk, pk, yk in zip(g, p, ym))
        general = max(abs(gk - (s * pk - yk)) for gk, pk, yk in zip(g, p, ym))
    margin = tol.folklore_high_precision_margin()
    return {"confirmed": bool(claimed > margin), "method": HP_METHOD + " (mpmath.diff of the definition)",
            "max |dCE/dz - (p - y)|": float(claimed), "max |dCE/dz - ((sum y) p - y)|": float(general),
            "sum_y": float(s), "gradient": [float(v) for v in g], "margin": margin}


def _f3_general_confirm(ex) -> dict:
    """High-precision re-check of a violation of the general form (sum y) p - y."""
    out = _f3_confirm(ex)
    general = out["max |dCE/dz - ((sum y) p - y)|"]
    out["confirmed"] = bool(general > tol.folklore_high_precision_margin())
    return out


@claim(
    id="folklore.F3",
    title="dCE/dz = p - y",
    source=source("folklore", "seed 002 snippet: 'derive the derivative of the cross entropy loss function'"),
    statement="For y >= 0 and CE(y, z) = -sum_k y_k log softmax(z)_k, the gradient in z is p - y. In general it is "
    "(sum_k y_k) p - y, which equals p - y exactly when sum_k y_k = 1.",
    hypotheses=("y_k >= 0", "z in R^K"),
    expected=HOLDS_UNDER,
    missing_hypothesis="sum_k y_k = 1 (the target is a probability vector)",
    method="search",
)
def check_f3(ctx) -> Evidence:
    impl = ctx.impl

    def under_measure(ex):  # y in the simplex: the implementation's own loss and probabilities
        y, z = ex["y"], ex["z"]
        Y = y[None, :]
        chk = check_gradient(lambda W: impl.loss(W, X1, Y), lambda W: impl.probs(W, X1) - Y, _w(z))
        return Measurement(chk.max_abs_error, chk.tolerance, "max |finite-difference dCE/dz - (p - y)|",
                           {"fd_error_estimate": chk.error_estimate})

    under = _run(ctx, _ce_points(), under_measure, what="dCE/dz = p - y for y in the simplex", confirm=_f3_confirm)
    without = _run(ctx, _nonnegative_targets(), _f3_measure(impl, lambda p, y: p - y),
                   what="dCE/dz = p - y for y >= 0 of any sum", confirm=_f3_confirm)
    general = _run(ctx, _nonnegative_targets(), _f3_measure(impl, lambda p, y: np.sum(y) * p - y),
                   what="dCE/dz = (sum y) p - y for y >= 0", confirm=_f3_general_confirm)
    if general.verdict == REFUTED:  # the statement's general form is part of the claim
        return _all_hold({"general form (sum y) p - y": general, "under hypothesis": under}, title="dCE/dz = p - y")
    ev = _holds_under(under, without, hypothesis="sum_k y_k = 1", title="dCE/dz = p - y",
                      measurements={"general form (sum y) p - y": _part(general)})
    ev.examples += general.examples
    if without.counterexample is not None:
        ev.figures.append(_f3_figure(impl, without.counterexample))
    return ev


def _f3_figure(impl, ce) -> dict:
    """Bars per component of the "without" counterexample: differences of CE vs p - y vs (sum y) p - y."""
    y, z = np.asarray(ce["y"], F64), np.asarray(ce["z"], F64)
    with hp.workdps():
        fd = [float(g) for g in _mp_grad_fd(lambda *zz: _mp_ce(y, zz), z)]
    p = _probs(impl, z)
    s = float(np.sum(y))
    labels, values = [], []
    for k in range(len(y)):
        labels += [f"z{k}: differences", f"z{k}: p - y", f"z{k}: (sum y) p - y"]
        values += [fd[k], float(p[k] - y[k]), float(s * p[k] - y[k])]
    return {"kind": "bar", "title": f"F3 counterexample (sum y = {s:g}): dCE/dz_k, differences vs formulas",
            "labels": labels, "values": values, "ylabel": "dCE/dz_k (nats per logit unit)",
            "hlines": [{"y": 0.0, "label": "0"}]}


# ==========================================================================
# F4: the softmax Jacobian
# ==========================================================================


def _softmax_jacobian(p) -> np.ndarray:
    return np.diag(p) - np.outer(p, p)


def _f4_fd_measure(impl):
    def measure(ex):
        z = ex["z"]
        chk = check_hessian(lambda W: impl.probs(W, X1), lambda W: _softmax_jacobian(impl.probs(W, X1)[0]), _w(z))
        return Measurement(chk.max_abs_error, chk.tolerance, "max |finite-difference Jacobian - (diag(p) - p p^T)|",
                           {"fd_error_estimate": chk.error_estimate})
    return measure


def _f4_fd_confirm(ex) -> dict:
    z = ex["z"]
    K = len(z)
    with hp.workdps():
        p = hp.softmax(_mp_vec(z))
        worst = mpmath.mpf(0)
        for k in range(K):
            g = _mp_grad_fd(lambda *zz, k=k: hp.softmax(list(zz))[k], z)
            for l in range(K):
                worst = max(worst, abs(g[l] - (p[k] * ((1 if k == l else 0) - p[l]))))
    margin = tol.folklore_high_precision_margin()
    return {"confirmed": bool(worst > margin), "method": HP_METHOD + " (mpmath.diff)", "max_error": float(worst),
            "margin": margin}


def _f4_structure_measure(impl):
    """Symmetric, PSD, J 1 = 0 (so rank <= K - 1), on the Jacobian built from the implementation's p."""
    def measure(ex):
        z = ex["z"]
        K = len(z)
        p = _probs(impl, z)
        J = _softmax_jacobian(p)
        ev = np.linalg.eigvalsh(J)
        scale = max(1.0, float(np.max(np.abs(z))))
        rel = tol.folklore_probability_rel_error(K, scale)
        # Entry (k, l) = p_k (delta_kl - p_l): relative error 2 rel + 2 u of p_k, and |J_kl| <= p_k (1 + p_l) <= 2 max p.
        entry = 2 * float(np.max(p)) * (2 * rel + EPS)
        psd_tol = rounding.psd_eigenvalue_tolerance(entry, K, max(abs(ev[0]), abs(ev[-1])))
        # (J 1)_k = p_k (1 - sum_l p_l): |1 - sum p| <= K rel, so |(J 1)_k| <= p_k K rel plus K roundings of the sum.
        kernel_tol = float(np.max(p)) * (K * rel + (K + 2) * EPS)
        ratios = {
            "-lambda_min": (-float(ev[0]), psd_tol),
            "|J 1|_inf": (float(np.max(np.abs(J @ np.ones(K)))), kernel_tol),
        }
        name, (err, t) = max(ratios.items(), key=lambda kv: kv[1][0] / kv[1][1])  # both tolerances are > 0
        details = {k: {"value": v, "tolerance": tt} for k, (v, tt) in ratios.items()}
        details.update({"lambda_min": float(ev[0]), "lambda_max": float(ev[-1]),
                        "rank (eigenvalues above the PSD tolerance)": int(np.sum(ev > psd_tol))})
        return Measurement(err, t, name, details)
    return measure


def _f4_structure_confirm(ex) -> dict:
    z = ex["z"]
    K = len(z)
    with hp.workdps():
        p = hp.softmax(_mp_vec(z))
        J = [[p[k] * ((1 if k == l else 0) - p[l]) for l in range(K)] for k in range(K)]
        lam = hp.eigvalsh(np.array(J, dtype=object))[0]
        row = max(abs(mpmath.fsum(r)) for r in J)
    margin = tol.folklore_high_precision_margin()
    return {"confirmed": bool(-lam > margin or row > margin), "method": HP_METHOD, "lambda_min": float(lam),
            "max |J 1|": float(row), "margin": margin}


@lru_cache(maxsize=None)
def _sympy_softmax_jacobian(Ks=(2, 3, 4)) -> dict:
    """Exact: d p_k / d z_l = p_k (delta_kl - p_l), J = J^T, J 1 = 0 (so rank J <= K - 1: 1 != 0 is in
    its kernel), and v^T J v = sum_k p_k (v_k - p.v)^2 >= 0 (PSD).

    With e_k = exp(z_k) > 0, p_k = e_k / sum e and d/dz_l = e_l d/de_l (chain rule), everything is a
    rational function of the e_k and ``cancel`` decides it exactly.
    """
    out = {"K": list(Ks), "checks": {}}
    exact = True
    for K in Ks:
        e = sympy.symbols(f"e0:{K}", positive=True)
        v = sympy.symbols(f"v0:{K}", real=True)
        S = sum(e)
        p = [ek / S for ek in e]
        J = sympy.Matrix(K, K, lambda k, l: e[l] * sympy.diff(p[k], e[l]))
        F = sympy.Matrix(K, K, lambda k, l: p[k] * (int(k == l) - p[l]))
        jac = all(sympy.cancel(x) == 0 for x in (J - F))
        kernel = all(sympy.cancel(x) == 0 for x in (F * sympy.ones(K, 1)))
        sym = all(sympy.cancel(x) == 0 for x in (F - F.T))
        vv = sympy.Matrix(v)
        pv = sum(pk * vk for pk, vk in zip(p, v))
        quad = sympy.cancel((vv.T * F * vv)[0] - sum(pk * (vk - pv) ** 2 for pk, vk in zip(p, v))) == 0
        out["checks"][f"K={K}"] = {"jacobian = diag(p) - p p^T": jac, "J 1 = 0": kernel, "symmetric": sym,
                                   "v^T J v = Var_p(v) >= 0": quad}
        exact &= jac and kernel and sym and quad
    out["exact"] = bool(exact)
    return out


@claim(
    id="folklore.F4",
    title="The softmax Jacobian is diag(p) - p p^T",
    source=source("folklore", "seed 002 snippet: 'compute the Jacobian matrix of the softmax function'"),
    statement="d softmax(z)_k / d z_l = p_k (delta_kl - p_l), i.e. J = diag(p) - p p^T; J is symmetric PSD, "
    "J 1 = 0, so rank J <= K - 1.",
    hypotheses=("K >= 2", "z in R^K"),
    expected=HOLDS,
    method="search",
)
def check_f4(ctx) -> Evidence:
    pts = _ce_points()
    fd = _run(ctx, pts, _f4_fd_measure(ctx.impl), what="finite-difference Jacobian of softmax", confirm=_f4_fd_confirm)
    structure = _run(ctx, pts, _f4_structure_measure(ctx.impl), what="J symmetric PSD with J 1 = 0",
                     confirm=_f4_structure_confirm)
    return _all_hold({"finite differences": fd, "structure": structure}, title="softmax Jacobian",
                     symbolic=_sympy_softmax_jacobian())


# ==========================================================================
# F5, F6: H(p, q) and KL
# ==========================================================================


def _H(p, q) -> float:
    """H(p, q) = -sum_k p_k log q_k (0 log q = 0)."""
    m = p > 0
    return float(-np.sum(p[m] * np.log(q[m])))


@st.composite
def _h_segments(draw, max_K=5):
    """p anywhere in the simplex; q1, q2 with every entry positive (H finite)."""
    K = draw(st.integers(2, max_K), label="K")
    return {"p": draw(simplex_vectors(K)), "q1": draw(simplex_vectors(K, kinds=("soft",))),
            "q2": draw(simplex_vectors(K, kinds=("soft",))), "lambda": draw(_dyadic_weight(), label="lambda")}


def _f5_measure(ex):
    p, q1, q2, lam = ex["p"], ex["q1"], ex["q2"], ex["lambda"]
    qm = lam * q1 + (1 - lam) * q2
    h1, h2, hm = _H(p, q1), _H(p, q2), _H(p, qm)
    scale = max(h1, h2, float(np.max(-np.log(np.minimum(q1, q2)))))
    gap = hm - (lam * h1 + (1 - lam) * h2)
    return Measurement(gap, tol.folklore_convexity_tolerance(len(p), scale), "convexity gap H(p, mix q) - mix of H",
                       {"H(p,q1)": h1, "H(p,q2)": h2, "H(p,mix)": hm})


def _mp_H(p, q) -> mpmath.mpf:
    return -mpmath.fsum(pk * mpmath.log(qk) for pk, qk in zip(_mp_vec(p), _mp_vec(q)) if pk > 0)


def _f5_confirm(ex) -> dict:
    p, q1, q2, lam = ex["p"], ex["q1"], ex["q2"], ex["lambda"]
    with hp.workdps():
        lm = _mpf(lam)
        qm = [lm * a + (1 - lm) * b for a, b in zip(_mp_vec(q1), _mp_vec(q2))]
        h1, h2 = _mp_H(p, q1), _mp_H(p, q2)
        gap = _mp_H(p, qm) - (lm * h1 + (1 - lm) * h2)
    margin = tol.folklore_high_precision_margin(max(h1, h2))
    return {"confirmed": bool(gap > margin), "method": HP_METHOD, "gap": float(gap), "margin": margin}


@claim(
    id="folklore.F5",
    title="H(p, q) is convex in q",
    source=source("folklore", "seed 002 snippet: 'Theorem: The cross-entropy is convex in the probability distribution q'"),
    statement="For fixed p in the simplex, q -> H(p, q) = -sum_k p_k log q_k is convex on the open simplex: "
    "H(p, lam q1 + (1-lam) q2) <= lam H(p, q1) + (1-lam) H(p, q2) for lam in [0, 1].",
    hypotheses=("p in the simplex", "q1, q2 in the simplex with positive entries (where H is finite)", "0 <= lam <= 1"),
    expected=HOLDS,
    method="search",
)
def check_f5(ctx) -> Evidence:
    ev = _run(ctx, _h_segments(), _f5_measure, what="H(p, .) convex along segments", confirm=_f5_confirm)
    return _all_hold({"segment convexity": ev}, title="H(p, q) convex in q")


@st.composite
def _pq_pairs(draw, max_K=5):
    K = draw(st.integers(2, max_K), label="K")
    return {"p": draw(simplex_vectors(K)), "q": draw(simplex_vectors(K, kinds=("soft",)))}


def _f6_measure(ex):
    p, q = ex["p"], ex["q"]
    kl = float(np.sum(rel_entr(p, q)))
    hpq = _H(p, q)
    hpp = float(np.sum(entr(p)))
    scale = max(hpq, hpp, kl, float(np.max(-np.log(q))))
    return Measurement(abs(kl - (hpq - hpp)), tol.folklore_identity_tolerance(len(p), scale),
                       "|KL(p||q) - (H(p,q) - H(p))|", {"KL": kl, "H(p,q)": hpq, "H(p)": hpp})


def _f6_confirm(ex) -> dict:
    p, q = ex["p"], ex["q"]
    with hp.workdps():
        pm, qm = _mp_vec(p), _mp_vec(q)
        kl = mpmath.fsum(a * mpmath.log(a / b) for a, b in zip(pm, qm) if a > 0)
        hpq = _mp_H(p, q)
        diff = abs(kl - (hpq - _mp_H(p, p)))
    margin = tol.folklore_high_precision_margin(hpq)
    return {"confirmed": bool(diff > margin), "method": HP_METHOD, "|KL - (H(p,q) - H(p))|": float(diff), "margin": margin}


@lru_cache(maxsize=None)
def _sympy_kl_identity(Ks=(2, 3, 4)) -> dict:
    out, exact = {"K": list(Ks), "checks": {}}, True
    for K in Ks:
        p = sympy.symbols(f"p0:{K}", positive=True)
        q = sympy.symbols(f"q0:{K}", positive=True)
        kl = sum(pk * sympy.log(pk / qk) for pk, qk in zip(p, q))
        rhs = -sum(pk * sympy.log(qk) for pk, qk in zip(p, q)) + sum(pk * sympy.log(pk) for pk in p)
        ok = sympy.simplify(sympy.expand_log(kl - rhs, force=True)) == 0
        out["checks"][f"K={K}"] = {"KL(p||q) - (H(p,q) - H(p)) == 0": bool(ok)}
        exact &= ok
    out["exact"] = bool(exact)
    return out


@claim(
    id="folklore.F6",
    title="KL(P||Q) = H(P, Q) - H(P)",
    source=source("folklore", "seed 002 snippet: 'The relationship between Kullback-Leibler divergence, entropy and "
                  "cross-entropy'"),
    statement="For p, q in the simplex with q_k > 0 wherever p_k > 0: sum_k p_k log(p_k / q_k) = "
    "(-sum_k p_k log q_k) - (-sum_k p_k log p_k), with 0 log 0 = 0.",
    hypotheses=("p in the simplex", "q in the simplex, q_k > 0 where p_k > 0"),
    expected=HOLDS,
    method="search",
)
def check_f6(ctx) -> Evidence:
    ev = _run(ctx, _pq_pairs(), _f6_measure, what="KL identity on random distributions", confirm=_f6_confirm)
    return _all_hold({"identity": ev}, title="KL = H(P,Q) - H(P)", symbolic=_sympy_kl_identity())


# ==========================================================================
# F7: sigmoid is the K = 2 softmax
# ==========================================================================


@st.composite
def _binary_cases(draw):
    ab = draw(logit_vectors(2))
    return {"a": float(ab[0]), "b": float(ab[1]), "t": draw(simplex_vectors(2))[0]}


def _entrywise_ratio(p, q, rel) -> float:
    """max_k |p_k - q_k| / ((p_k + q_k) rel + floor): the probability comparison in units of its tolerance."""
    return float(np.max(np.abs(p - q) / ((p + q) * rel + tol.FOLKLORE_UNDERFLOW_FLOOR)))


def _f7_measure(impl):
    def measure(ex):
        a, b, t = ex["a"], ex["b"], ex["t"]
        z = np.array([a, b])
        scale = max(abs(a), abs(b), abs(a - b))
        # Both sides are computed: twice the probability error (the sigmoid of the rounded a - b included).
        rel = 2 * tol.folklore_probability_rel_error(2, scale)
        p = _probs(impl, z)
        s = np.array([expit(a - b), expit(b - a)])
        prob_ratio = _entrywise_ratio(p, s, rel)
        ce = _ce(impl, [t, 1 - t], z)
        bce = float(t * np.logaddexp(0.0, -(a - b)) + (1 - t) * np.logaddexp(0.0, a - b))  # -t log s - (1-t) log(1-s)
        loss_tol = tol.folklore_identity_tolerance(2, max(scale, ce)) + tol.folklore_point_rounding_error(scale)
        loss_ratio = abs(ce - bce) / loss_tol
        return Measurement(max(prob_ratio, loss_ratio), 1.0, "max(|softmax_1 - sigmoid(a-b)|, |CE - BCE|) / tolerance",
                           {"softmax": p.tolist(), "sigmoid": s.tolist(), "CE": ce, "BCE": bce,
                            "probability ratio": prob_ratio, "loss ratio": loss_ratio})
    return measure


def _f7_confirm(ex) -> dict:
    a, b, t = ex["a"], ex["b"], ex["t"]
    with hp.workdps():
        am, bm, tm = _mpf(a), _mpf(b), _mpf(t)
        p = hp.softmax([am, bm])
        s = 1 / (1 + mpmath.exp(-(am - bm)))
        s_bar = 1 / (1 + mpmath.exp(am - bm))  # 1 - sigmoid(a - b), without the cancellation of 1 - s
        ce = _mp_ce([t, 1 - t], [a, b])
        bce = -tm * mpmath.log(s) - (1 - tm) * mpmath.log(s_bar)
        diff = max(abs(p[0] - s), abs(p[1] - s_bar), abs(ce - bce))
    margin = tol.folklore_high_precision_margin(abs(a) + abs(b))
    return {"confirmed": bool(diff > margin), "method": HP_METHOD, "difference": float(diff), "margin": margin}


@lru_cache(maxsize=None)
def _sympy_sigmoid() -> dict:
    """Exact, with e_a = exp(a), e_b = exp(b) > 0: softmax([a, b]) = (sigmoid(a - b), 1 - sigmoid(a - b)).

    Then CE((t, 1-t), (a, b)) - BCE(t, sigmoid(a - b)) = -t log(p_1 / s) - (1 - t) log(p_2 / (1 - s)),
    and both ratios are identically 1, so the losses are the same function of (a, b, t).
    """
    ea, eb = sympy.symbols("e_a e_b", positive=True)
    p1, p2 = ea / (ea + eb), eb / (ea + eb)
    s = 1 / (1 + eb / ea)  # sigmoid(a - b) = 1 / (1 + exp(-(a - b)))
    prob = sympy.cancel(p1 - s) == 0 and sympy.cancel(p2 - (1 - s)) == 0
    ratios = sympy.cancel(p1 / s) == 1 and sympy.cancel(p2 / (1 - s)) == 1
    return {"softmax([a,b])_1 = sigmoid(a-b), softmax([a,b])_2 = 1 - sigmoid(a-b)": bool(prob),
            "p_1 / sigmoid(a-b) = p_2 / (1 - sigmoid(a-b)) = 1, so CE((t,1-t),(a,b)) = BCE(t, sigmoid(a-b))": bool(ratios),
            "exact": bool(prob and ratios)}


@claim(
    id="folklore.F7",
    title="Binary cross-entropy with a sigmoid is the K = 2 softmax cross-entropy",
    source=source("folklore", "seed 002 snippet: 'binary cross-entropy ... special case of the former'"),
    statement="softmax([a, b]) = (sigmoid(a - b), 1 - sigmoid(a - b)), hence CE((t, 1-t), (a, b)) = "
    "-t log sigmoid(a - b) - (1 - t) log(1 - sigmoid(a - b)) for every a, b and t in [0, 1].",
    hypotheses=("a, b real", "0 <= t <= 1"),
    expected=HOLDS,
    method="search",
)
def check_f7(ctx) -> Evidence:
    ev = _run(ctx, _binary_cases(), _f7_measure(ctx.impl), what="sigmoid = K=2 softmax (probabilities and losses)",
              confirm=_f7_confirm)
    return _all_hold({"identity": ev}, title="sigmoid BCE = K=2 softmax CE", symbolic=_sympy_sigmoid())


# ==========================================================================
# F8, F9: deep (linear) networks are not convex in their weights
# ==========================================================================


def _weights(shape):
    """Nonzero small integer weights, +-1 or +-2: exact, cheap to shrink, readable when shrunk.

    Zero is left out because a zero entry is what the generator's bias
    toward simple values reaches for first, and networks (or inputs) whose
    products vanish have a constant loss, so a short search would spend most
    of its examples on them. Leaving values out can only make a violation
    harder to find, never create one.
    """
    return hnp.arrays(F64, shape, elements=st.sampled_from([1.0, -1.0, 2.0, -2.0]))


@st.composite
def _deep_segments(draw, hidden_layers=1, trainable=None, max_N=3, max_D=2, max_H=2, max_K=3):
    """A linear network Z = X W_1 ... W_L (L = hidden_layers + 1) and two weight settings A, B.

    ``trainable`` (default: all layers) are the layers whose weights differ
    between A and B; the others are shared (fixed) weights.
    """
    K = draw(st.integers(2, max_K), label="K")
    D = draw(st.integers(1, max_D), label="D")
    N = draw(st.integers(1, max_N), label="N")
    widths = [D] + [draw(st.integers(1, max_H), label=f"H{i}") for i in range(hidden_layers)] + [K]
    shapes = list(zip(widths[:-1], widths[1:]))
    layers = range(len(shapes)) if trainable is None else trainable
    X = draw(_weights((N, D)), label="X")  # nonzero inputs too: X = 0 makes the loss constant
    kind = draw(st.sampled_from(list(VECTOR_KINDS)), label="targets")
    Y = targets(draw, N, K, kind, F64)
    A, B = [], []
    for i, shape in enumerate(shapes):
        a = draw(_weights(shape), label=f"A{i}")
        A.append(a)
        B.append(draw(_weights(shape), label=f"B{i}") if i in layers else a)
    return {"X": X, "Y": Y, "A": A, "B": B, "trainable layers": list(layers)}


def _chain(mats):
    out = mats[0]
    for m in mats[1:]:
        out = out @ m
    return out


# Convexity is tested on every chord between the grid points lam = j/8 (j = 0..8) of each drawn segment
# [B, A] (lam = 0 at B, 1 at A): g(lam_j) <= ((k - j) g(lam_i) + (j - i) g(lam_k)) / (k - i) for i < j < k.
# Each chord is itself a segment between two weight settings, so a violated chord is a counterexample;
# the 84 chords of one drawn pair give a short search many more chances than its midpoint alone.
SEGMENT_GRID = tuple(j / 8 for j in range(9))


def _chord_gaps(g, lams):
    """All (gap, i, j, k) of the chord test on the values g at the points lams (exact in any number type)."""
    n = len(lams)
    return [(g[j] - ((lams[k] - lams[j]) * g[i] + (lams[j] - lams[i]) * g[k]) / (lams[k] - lams[i]), i, j, k)
            for i in range(n) for k in range(i + 2, n) for j in range(i + 1, k)]


def _deep_measure(impl):
    def measure(ex):
        X, Y, A, B = ex["X"], ex["Y"], ex["A"], ex["B"]
        g = [float(impl.loss(_chain([lam * a + (1 - lam) * b for a, b in zip(A, B)]), X, Y)) for lam in SEGMENT_GRID]
        N = X.shape[0]
        K = Y.shape[1]
        # Logit scale: sum over paths of |x| |w_1| ... |w_L|, for the largest of the settings on the segment.
        scale = max(_logit_bound(X, _chain([np.maximum(np.abs(a), np.abs(b)) for a, b in zip(A, B)])), max(g))
        widths = sum(a.shape[0] for a in A)  # every matrix product adds its inner dimension's roundings
        factors = len(ex["trainable layers"])
        gap, i, j, k = max(_chord_gaps(g, SEGMENT_GRID))
        lam = SEGMENT_GRID
        return Measurement(gap, tol.folklore_convexity_tolerance(K, scale, N, widths, factors=factors),
                           "convexity gap on the worst chord of the segment, L(mix) - chord",
                           {"L(B)": g[0], "L(A)": g[-1], "chord lambdas (lam_i, lam_j, lam_k)": [lam[i], lam[j], lam[k]],
                            "L at (lam_i, lam_j, lam_k)": [g[i], g[j], g[k]]})
    return measure


def _deep_confirm(ex) -> dict:
    X, Y, A, B = ex["X"], ex["Y"], ex["A"], ex["B"]
    with hp.workdps():
        Am = [_as_mp_matrix(a) for a in A]
        Bm = [_as_mp_matrix(b) for b in B]
        lams = [_mpf(lam) for lam in SEGMENT_GRID]
        g = [hp.cross_entropy(_chain([lm * a + (1 - lm) * b for a, b in zip(Am, Bm)]), X, Y) for lm in lams]
        gap, i, j, k = max(_chord_gaps(g, lams), key=lambda t: t[0])
    margin = tol.folklore_high_precision_margin(max(g))
    return {"confirmed": bool(gap > margin), "method": HP_METHOD + " (exact mixture weights)",
            "chord lambdas (lam_i, lam_j, lam_k)": [SEGMENT_GRID[i], SEGMENT_GRID[j], SEGMENT_GRID[k]],
            "L at (lam_i, lam_j, lam_k)": [float(g[i]), float(g[j]), float(g[k])], "gap": float(gap), "margin": margin}


def _deep_figure(impl, ev: Evidence, title: str) -> dict | None:
    """The loss along the counterexample's segment (lam = 0 at B, 1 at A) against the endpoints' chord.

    The search's worst chord (between grid points lam_i < lam_k) is drawn too when it is not the whole segment.
    """
    ce = ev.counterexample
    if ce is None:
        return None
    X, Y = np.asarray(ce["X"], F64), np.asarray(ce["Y"], F64)
    A = [np.asarray(a, F64) for a in ce["A"]]
    B = [np.asarray(b, F64) for b in ce["B"]]
    t = np.linspace(0.0, 1.0, 51)
    g = np.array([float(impl.loss(_chain([lam * a + (1 - lam) * b for a, b in zip(A, B)]), X, Y)) for lam in t])
    series = [_series("L(B + t (A - B))", t, g), _series("chord between the endpoints", t, (1 - t) * g[0] + t * g[-1])]
    lams = ev.measurements.get("counterexample", {}).get("chord lambdas (lam_i, lam_j, lam_k)")
    if lams and (lams[0], lams[2]) != (0.0, 1.0):
        li, lk = lams[0], lams[2]
        gi, gk = (float(impl.loss(_chain([lam * a + (1 - lam) * b for a, b in zip(A, B)]), X, Y)) for lam in (li, lk))
        tt = t[(t >= li) & (t <= lk)]
        series.append(_series(f"worst chord, t in [{li:g}, {lk:g}]", tt, gi + (tt - li) / (lk - li) * (gk - gi)))
    return {"title": title, "xlabel": "t (0 at B, 1 at A)", "ylabel": "mean cross-entropy (nats)",
            "xscale": "linear", "yscale": "linear", "series": series}


def _symmetric_pair_experiment(impl, hidden_layers: int) -> dict:
    """The catalog's construction (an illustration, not the search's counterexample).

    Fit the linear model W* by gradient descent on a seeded 20-sample,
    2-class problem (overlapping Gaussian classes plus a bias column); the
    linear network with W_1 = W*, the other layers the identity, and its
    mirror (-W_1, -W_2, ...) on the trainable layers give the same logits
    X W*, while the midpoint has W_1 = 0, logits 0 and loss log K.
    """
    rng = np.random.default_rng(0)
    labels = np.arange(20) % 2
    X = np.column_stack([rng.normal(size=(20, 2)) + 0.75 * (2 * labels[:, None] - 1), np.ones(20)])
    Y = np.eye(2)[labels]
    W_star = gradient_descent(impl, X, Y, max_iter=500).W
    I = np.eye(2)
    A = [W_star] + [I] * hidden_layers + [I]
    B = [-A[0], -A[1]] + A[2:]  # the two trainable layers (W1, W2) mirrored; any later layer is held fixed
    M = [(a + b) / 2 for a, b in zip(A, B)]
    la, lb, lm = (float(impl.loss(_chain(Ws), X, Y)) for Ws in (A, B, M))
    return {"data": "20 samples, 2 classes, x ~ N(+-0.75, I_2) plus a bias column, numpy seed 0",
            "L(A)": la, "L(B) (mirrored)": lb, "L(midpoint)": lm, "log K": math.log(2),
            "midpoint minus endpoints' mean": lm - (la + lb) / 2}


def _deep_summary(ev: Evidence) -> dict:
    """What the shrunk counterexample looks like: B = -A? the midpoint's logits?"""
    ce = ev.counterexample
    if ce is None:
        return {}
    A = [np.asarray(a) for a in ce["A"]]
    B = [np.asarray(b) for b in ce["B"]]
    out = {"endpoints give the same logits": bool(np.allclose(_chain(A), _chain(B)))}
    out["B = -A on the trainable layers"] = bool(all(np.array_equal(b, -a) for i, (a, b) in enumerate(zip(A, B))
                                                     if i in ce["trainable layers"]))
    out["midpoint logits are 0"] = bool(not np.any(_chain([(a + b) / 2 for a, b in zip(A, B)])))
    return out


@claim(
    id="folklore.F8",
    title="The loss of a multi-layer network is convex in its weights",
    source=source("folklore", "seed 002 snippet: 'Linear layers, convolutions, and activation functions like ReLU are "
                  "convex, so the loss is also convex with respect to these layers'"),
    statement="For the two-layer network z = W2^T W1^T x (even with the identity activation), the mean cross-entropy "
    "is a convex function of the weights (W1, W2) jointly.",
    hypotheses=("X (N, D)", "rows of Y in the simplex", "W1 in R^{D x H}, W2 in R^{H x K}"),
    expected=REFUTED,
    method="search",
)
def check_f8(ctx) -> Evidence:
    ev = _run(ctx, _deep_segments(hidden_layers=1), _deep_measure(ctx.impl),
              what="convexity of L(W1, W2) along segments", confirm=_deep_confirm)
    ev.measurements["shape of the counterexample"] = _deep_summary(ev)
    ev.measurements["catalog construction (W, -W)"] = _symmetric_pair_experiment(ctx.impl, hidden_layers=0)
    fig = _deep_figure(ctx.impl, ev, "F8 counterexample: loss along the segment (W1, W2) from B to A vs the chord")
    if fig is not None:
        ev.figures.append(fig)
    return ev


@claim(
    id="folklore.F9",
    title="Convexity in the intermediate layers' weights holds unless their outputs are non-convex",
    source=source("folklore", "seed 002 snippet: 'As for convexity with respect to the intermediary layer weights, unless "
                  "the output of these intermediaries is non-convex, convexity is still found'"),
    statement="For the three-layer linear network z = W3^T W2^T W1^T x, whose intermediate outputs W1^T x and "
    "W2^T W1^T x are linear (hence convex), the mean cross-entropy is convex in the intermediate layers' weights "
    "(W1, W2) jointly, the output layer W3 held fixed.",
    hypotheses=("identity activations: every intermediate output linear", "W3 fixed", "rows of Y in the simplex"),
    expected=REFUTED,
    method="search",
)
def check_f9(ctx) -> Evidence:
    ev = _run(ctx, _deep_segments(hidden_layers=2, trainable=(0, 1)), _deep_measure(ctx.impl),
              what="convexity of L in (W1, W2) along segments, W3 fixed", confirm=_deep_confirm)
    ev.measurements["shape of the counterexample"] = _deep_summary(ev)
    ev.measurements["catalog construction (W, -W), W3 = I fixed"] = _symmetric_pair_experiment(ctx.impl, hidden_layers=1)
    fig = _deep_figure(ctx.impl, ev, "F9 counterexample: loss from B to A in (W1, W2), W3 fixed, vs the chord")
    if fig is not None:
        ev.figures.append(fig)
    return ev


# ==========================================================================
# F10: CE in [0, 1]
# ==========================================================================


def _f10_measure(impl):
    def measure(ex):
        y, z = ex["y"], ex["z"]
        ce = _ce(impl, y, z)
        t = tol.folklore_value_error(len(y), max(float(np.max(np.abs(z))), ce))
        return Measurement(max(ce - 1.0, -ce), t, "distance of CE outside [0, 1]",
                           {"CE": ce, "exp(-CE) = prod_k p_k^y_k": math.exp(-ce)})
    return measure


def _f10_confirm(ex) -> dict:
    y, z = ex["y"], ex["z"]
    with hp.workdps():
        ce = _mp_ce(y, z)
        p = hp.softmax(_mp_vec(z))
        geo = mpmath.exp(-ce)
    one_hot = bool(np.count_nonzero(y) == 1)
    out = {"confirmed": bool(ce - 1 > tol.folklore_high_precision_margin() or ce < -tol.folklore_high_precision_margin()),
           "method": HP_METHOD, "CE": float(ce), "prod_k p_k^y_k": float(geo), "1/e": float(1 / mpmath.e),
           "prod_k p_k^y_k < 1/e": bool(geo < 1 / mpmath.e)}
    if one_hot:
        c = int(np.argmax(y))
        out.update({"p_true": float(p[c]), "p_true < 1/e": bool(p[c] < 1 / mpmath.e)})
    return out


@claim(
    id="folklore.F10",
    title="Cross-entropy takes values between 0 and 1",
    source=source("folklore", "seed 002 snippet: 'Its value ranges from 0 to 1 with lower being better'"),
    statement="0 <= CE(y, z) <= 1 for every y in the simplex and z in R^K.",
    hypotheses=("y in the simplex", "z in R^K"),
    expected=REFUTED,
    method="search",
)
def check_f10(ctx) -> Evidence:
    ev = _run(ctx, _ce_points(), _f10_measure(ctx.impl), what="0 <= CE <= 1", confirm=_f10_confirm)
    # Illustration (not the counterexample): CE = -log p_true for a one-hot target, unbounded above.
    p_true = np.geomspace(1e-5, 1.0, MAX_FIGURE_POINTS)
    ce = [_ce(ctx.impl, [1.0, 0.0], [math.log(p), math.log1p(-p) if p < 1 else -800.0]) for p in p_true]
    ev.measurements["CE at p_true = 1e-5 (K=2, one-hot)"] = ce[0]
    ev.measurements["-log(1e-5)"] = -math.log(1e-5)
    ev.figures.append({
        "title": "CE = -log p_true is unbounded (one-hot, K = 2)", "xlabel": "p_true", "ylabel": "CE",
        "xscale": "log",
        "series": [_series("CE", p_true, ce), _series("claimed upper bound 1", p_true, np.ones_like(p_true))],
    })
    return ev


# ==========================================================================
# F11: convex whatever the data
# ==========================================================================


@claim(
    id="folklore.F11",
    title="The logistic-regression cross-entropy cost is convex whatever the data set",
    source=source("folklore", "seed 002 snippet: 'The Cross Entropy cost is always convex regardless of the dataset used'"),
    statement="For every data set (any N, D, duplicate rows, rank-deficient or badly scaled X, any targets in the "
    "simplex) L(W) is convex in W; it is not strictly convex in general (L(W + c 1^T) = L(W)).",
    hypotheses=("X (N, D) arbitrary", "rows of Y in the simplex"),
    expected=HOLDS,
    method="search",
)
def check_f11(ctx) -> Evidence:
    return _linear_convexity(ctx, title="L convex for arbitrary data", x_scales=(1.0, 1e-3, 1e3), record_kernel=True)


# ==========================================================================
# F12: "just one minimum, and gradient descent finds it"
# ==========================================================================


@st.composite
def _shift_problems(draw):
    pb = draw(problems(max_N=4, max_D=3, max_K=3, logit_scales=(0.0, 1.0)))
    c = draw(hnp.arrays(F64, (pb.X.shape[1],), elements=_unit_floats()), label="c")
    return {"problem": pb, "c": c}


def _f12a_measure(impl):
    """A minimizer certified by Newton, and the same point shifted by c 1^T: two minimizers when c != 0."""
    def measure(ex):
        pb, c = ex["problem"], ex["c"]
        X, Y = pb.X, pb.Y
        if not np.any(X):
            return None  # X = 0: the loss is constant; exclude the trivial data set
        res = newton_on_complement(impl, X, Y, tol=tol.FOLKLORE_NEWTON_GRAD_TOL)
        if res.exists is not True:
            return None  # no (certified) minimizer: part (b)'s business
        W1 = res.W
        W2 = W1 + c[:, None] * np.ones((1, Y.shape[1]))
        (l1, g1), (l2, g2) = impl.loss_grad(W1, X, Y), impl.loss_grad(W2, X, Y)
        N, D = X.shape
        scale = max(_logit_bound(X, np.abs(W1) + np.abs(W2)), float(l1))
        loss_tol = tol.folklore_identity_tolerance(Y.shape[1], scale, N, D) + tol.folklore_point_rounding_error(scale)
        same_loss = abs(float(l2) - float(l1)) <= loss_tol
        distance = float(np.linalg.norm(W2 - W1)) if same_loss else 0.0
        ex["newton"] = {"W*": W1, "certificate": res.certificate, "grad_norm": res.grad_norm, "reason": res.reason}
        return Measurement(distance, 0.0, "||W2 - W1||_F between two minimizers",
                           {"L(W1)": float(l1), "L(W2)": float(l2), "||grad L(W1)||": float(np.linalg.norm(g1)),
                            "||grad L(W2)||": float(np.linalg.norm(g2)), "newton certificate": res.certificate})
    return measure


def _f12a_confirm(impl):
    def confirm(ex) -> dict:
        pb, c = ex["problem"], ex["c"]
        X, Y = pb.X, pb.Y
        res = newton_on_complement(impl, X, Y, tol=tol.FOLKLORE_NEWTON_GRAD_TOL)
        with hp.workdps():
            W1 = _as_mp_matrix(res.W)
            W2 = W1 + np.array([[_mpf(ci)] * Y.shape[1] for ci in c], dtype=object)  # exact shift
            l1, l2 = hp.cross_entropy(W1, X, Y), hp.cross_entropy(W2, X, Y)
            g1, g2 = hp.gradient(W1, X, Y), hp.gradient(W2, X, Y)
            dl = abs(l2 - l1)
            dg = max(abs(a - b) for a, b in zip(g1.ravel(), g2.ravel()))
            gn = mpmath.sqrt(mpmath.fsum(g ** 2 for g in g1.ravel()))
        margin = tol.folklore_high_precision_margin(float(l1))
        distinct = bool(np.any(c != 0))
        return {"confirmed": bool(res.exists is True and res.certificate < 1 and dl <= margin and dg <= margin and distinct),
                "method": HP_METHOD + " (exact shift W* + c 1^T)", "|L(W*+c1^T) - L(W*)|": float(dl),
                "max |grad difference|": float(dg), "||grad L(W*)||": float(gn), "newton certificate": res.certificate,
                "newton": res.reason, "margin": margin}
    return confirm


def _f12b_measure(impl):
    """Newton on W0 + K-perp decides from the run that no minimizer exists."""
    def measure(pb):
        X, Y = pb.X, pb.Y
        if not np.any(X):
            return None  # constant loss: every W is a minimizer
        res = newton_on_complement(impl, X, Y, tol=tol.FOLKLORE_NEWTON_GRAD_TOL)
        if res.exists is None:
            return None  # undecided: neither certified nor refuted
        return Measurement(float(res.exists is False), 0.0, "no minimizer (Newton)",
                           {"reason": res.reason, "final loss": res.loss, "final ||W||": float(np.linalg.norm(res.W))})
    return measure


def _f12b_confirm(impl):
    """Exact certificate of non-existence for one-hot targets: a direction V with every margin >= 0, one > 0.

    Then for every W, L(W + t V) is strictly decreasing in t (each sample's
    terms exp(z_k - z_c) do not grow, and those of a sample with a positive
    margin shrink), so L(W + V) < L(W) and no W is a minimizer.
    """
    def confirm(pb) -> dict:
        X, Y = pb.X, pb.Y
        res = newton_on_complement(impl, X, Y, tol=tol.FOLKLORE_NEWTON_GRAD_TOL)
        V = res.W / np.linalg.norm(res.W)
        one_hot = bool(np.all(np.count_nonzero(Y, axis=1) == 1))
        out = {"method": HP_METHOD + " (margins of the direction W_final / ||W_final||; loss along the ray)",
               "one-hot targets": one_hot, "newton": res.reason}
        out["confirmed"] = False
        if not one_hot:
            out["note"] = "the exact certificate (margins of a direction) applies to one-hot targets only"
            return out
        labels = np.argmax(Y, axis=1)
        with hp.workdps():
            Z = hp.logits(V, X)
            # margin_n = z_nc - max_{k != c} z_nk; with every margin >= 0 each sample's CE is non-increasing
            # along W + t V for every W, and strictly decreasing where the margin is > 0.
            margins = [z[c] - max(zk for k, zk in enumerate(z) if k != c) for z, c in zip(Z, labels)]
            ts = [mpmath.mpf(2) ** j for j in range(0, 11)]
            # L(t V) = (1/N) sum_n log1p(sum_{k != c} exp(t (z_nk - z_nc))): accurate however small it gets.
            losses = [mpmath.fsum(mpmath.log1p(mpmath.fsum(mpmath.exp(t * (zk - z[c])) for k, zk in enumerate(z) if k != c))
                                  for z, c in zip(Z, labels)) / len(Z) for t in ts]
        decreasing = all(b < a for a, b in zip(losses, losses[1:]))
        out.update({"min margin": float(min(margins)), "max margin": float(max(margins)), "t": [float(t) for t in ts],
                    "L(t V)": [mpmath.nstr(v, 6) for v in losses], "strictly decreasing": decreasing,
                    "L > 0 along the ray": bool(all(v > 0 for v in losses))})
        out["confirmed"] = bool(min(margins) >= 0 and max(margins) > tol.folklore_high_precision_margin() and decreasing)
        return out
    return confirm


def _f12b_experiment(impl, pb, steps) -> tuple[dict, list]:
    """Gradient descent at 1/L on the no-minimizer counterexample: loss -> 0 (inf), ||W_t|| grows like log t."""
    X, Y = np.asarray(pb["X"], F64), np.asarray(pb["Y"], F64)
    res = gradient_descent(impl, X, Y, step_multiplier=1.0, max_iter=steps, record_every=1)
    h = res.history
    idx = _subsample(len(h["iteration"]), log=True)
    it = h["iteration"][idx]
    T = int(h["iteration"][-1])
    slope = (h["W_norm"][-1] - h["W_norm"][T // 10]) / math.log(10)
    meas = {"steps": T, "n_increases": res.n_increases, "final loss": float(h["loss"][-1]),
            "final ||W||": float(h["W_norm"][-1]), "d||W_t|| / d ln t over the last decade": float(slope),
            "t * loss_t at the end (bounded if loss ~ 1/t)": float(T * h["loss"][-1])}
    keep = it > 0
    figs = [
        {"title": "(b) ||W_t|| grows without bound (gradient descent at 1/L)", "xlabel": "t", "ylabel": "||W_t||_F",
         "xscale": "log", "series": [_series("||W_t||", it[keep], h["W_norm"][idx][keep])]},
        {"title": "(b) the loss tends to its infimum 0, never attained", "xlabel": "t", "ylabel": "L(W_t)",
         "xscale": "log", "yscale": "log", "series": [_series("L(W_t)", it[keep], h["loss"][idx][keep])]},
    ]
    return meas, figs


@claim(
    id="folklore.F12",
    title="A convex loss has just one minimum, so gradient descent finds it",
    source=source("folklore", "seed 002 snippet: 'A convex function has just one minimum; there are no local minima to get "
                  "stuck in, so gradient'"),
    statement="For softmax regression L(W) has exactly one minimizer W* (and gradient descent converges to it).",
    hypotheses=("X (N, D), X != 0", "rows of Y in the simplex"),
    expected=REFUTED,
    method="experiment",
)
def check_f12(ctx) -> Evidence:
    impl = ctx.impl
    a = _run(ctx, _shift_problems(), _f12a_measure(impl), what="(a) uniqueness of the minimizer", confirm=_f12a_confirm(impl))
    b = _run(ctx, problems(max_N=4, max_D=3, max_K=3), _f12b_measure(impl), what="(b) existence of a minimizer",
             confirm=_f12b_confirm(impl))
    parts = {"(a) not unique: W* and W* + c 1^T": a, "(b) no minimizer": b}
    found = {k: ev for k, ev in parts.items() if ev.verdict == REFUTED}
    ev = Evidence(REFUTED if found else HOLDS, examples=a.examples + b.examples)
    ev.measurements = {k: _part(v) for k, v in parts.items()}
    ev.notes = a.notes + b.notes
    if found:
        ev.counterexample = {k: v.counterexample for k, v in found.items()}
        ev.found_by_search = all(v.found_by_search for v in found.values())
        ev.high_precision = {"confirmed": all(v.high_precision.get("confirmed") for v in found.values()),
                             "method": HP_METHOD, **{k: v.high_precision for k, v in found.items()}}
        first = next(iter(found.values()))
        ev.quantity, ev.worst_error, ev.tolerance = first.quantity, first.worst_error, first.tolerance
        ev.summary = "refuted: " + "; ".join(f"{k}: {v.summary}" for k, v in found.items())
        if len(found) < 2:
            ev.notes.append("only one of the catalog's two failure modes was found: " + ", ".join(found))
    else:
        ev.summary = "no counterexample to uniqueness or existence found"
    if b.verdict == REFUTED:
        meas, figs = _f12b_experiment(impl, b.counterexample, 100_000 if ctx.thorough else 5_000)
        ev.measurements["(b) gradient descent on the counterexample"] = meas
        ev.figures += figs
    return ev


# ==========================================================================
# F13: NLL = CE for one-hot targets
# ==========================================================================


def _f13_measure(impl):
    def measure(pb):
        X, W, Y = pb.X, pb.W, pb.Y
        labels = np.argmax(Y, axis=1)
        nll = float(-np.mean(log_softmax(X @ W, axis=1)[np.arange(len(labels)), labels]))
        ce = float(impl.loss(W, X, Y))
        N, D = X.shape
        scale = max(_logit_bound(X, W), ce)
        return Measurement(abs(nll - ce), tol.folklore_identity_tolerance(Y.shape[1], scale, N, D),
                           "|mean NLL - mean CE|", {"NLL": nll, "CE": ce})
    return measure


def _f13_confirm(pb) -> dict:
    X, W, Y = pb.X, pb.W, pb.Y
    labels = np.argmax(Y, axis=1)
    with hp.workdps():
        P = hp.probs(W, X)
        nll = -mpmath.fsum(mpmath.log(P[n][c]) for n, c in enumerate(labels)) / len(labels)
        ce = hp.cross_entropy(W, X, Y)
        diff = abs(nll - ce)
    margin = tol.folklore_high_precision_margin(float(ce))
    return {"confirmed": bool(diff > margin), "method": HP_METHOD, "|NLL - CE|": float(diff), "margin": margin}


@lru_cache(maxsize=None)
def _sympy_nll(K=3) -> dict:
    z = sympy.symbols(f"z0:{K}", real=True)
    lse = sympy.log(sum(sympy.exp(zk) for zk in z))
    ok = True
    for c in range(K):
        nll = -sympy.log(sympy.exp(z[c]) / sum(sympy.exp(zk) for zk in z))
        ce = sum(int(k == c) * (lse - z[k]) for k in range(K))
        ok &= sympy.simplify(sympy.expand_log(nll - ce, force=True)) == 0
    return {"K": K, "-log softmax(z)_c == sum_k [k=c] (lse(z) - z_k) for every c": bool(ok), "exact": bool(ok)}


@claim(
    id="folklore.F13",
    title="Minimizing the negative log-likelihood is minimizing cross-entropy",
    source=source("folklore", "seed 002 snippet: 'The minimizing negative log-likelihood objective is the \u201csame\u201d as "
                  "our original objective'"),
    statement="With one-hot targets (labels c_n), the mean negative log-likelihood -(1/N) sum_n log p_{n c_n}(W) "
    "and the mean cross-entropy L(W) are the same function of W (hence have the same minimizers).",
    hypotheses=("one-hot targets", "X (N, D)", "W in R^{D x K}"),
    expected=HOLDS,
    method="search",
)
def check_f13(ctx) -> Evidence:
    ev = _run(ctx, problems(target_kinds=("one-hot",)), _f13_measure(ctx.impl), what="NLL = CE (one-hot)",
              confirm=_f13_confirm)
    return _all_hold({"identity": ev}, title="NLL = CE", symbolic=_sympy_nll())


# ==========================================================================
# F14: soft targets
# ==========================================================================


def _f14_minimizer_measure(impl):
    """A minimizer of z -> CE(y, z) exists (Newton certifies it) iff every y_k > 0; there softmax(z*) = y."""
    def measure(ex):
        y = ex["y"]
        K = len(y)
        Y = y[None, :]
        res = newton_on_complement(impl, X1, Y, tol=tol.FOLKLORE_NEWTON_GRAD_TOL)
        if res.exists is None:
            return None
        positive = bool(np.all(y > 0))
        H = float(np.sum(entr(y)))
        details = {"all y_k > 0": positive, "minimizer exists (Newton)": res.exists, "reason": res.reason,
                   "H(y)": H, "final CE": float(res.loss)}
        if res.exists != positive:
            return Measurement(1.0, 0.0, "existence of a minimizer disagrees with 'every y_k > 0'", details)
        if not positive:
            # inf CE = H(y) (approached, not attained: the run's loss is above H(y) by a vanishing amount).
            return Measurement(0.0, 0.0, "existence of a minimizer disagrees with 'every y_k > 0'", details)
        p = _probs(impl, res.W[0])
        scale = max(float(np.max(np.abs(res.W))), -math.log(float(np.min(y))))
        # Newton stops at ||grad|| = ||p - y|| < FOLKLORE_NEWTON_GRAD_TOL; plus the probability rounding.
        rel = tol.folklore_probability_rel_error(K, scale)
        err = float(np.max(np.abs(p - y) / (y * rel + tol.FOLKLORE_NEWTON_GRAD_TOL)))
        details.update({"softmax(z*)": p.tolist(), "max |softmax(z*) - y|": float(np.max(np.abs(p - y)))})
        return Measurement(err, 1.0, "max |softmax(z*) - y| / (rounding + Newton tolerance)", details)
    return measure


def _f14_minimizer_confirm(impl):
    def confirm(ex) -> dict:
        y = ex["y"]
        res = newton_on_complement(impl, X1, y[None, :], tol=tol.FOLKLORE_NEWTON_GRAD_TOL)
        with hp.workdps():
            p = hp.softmax(_mp_vec(res.W[0]))
            excess = max(abs(a - b) - tol.FOLKLORE_NEWTON_GRAD_TOL for a, b in zip(p, _mp_vec(y)))
            diff = excess + tol.FOLKLORE_NEWTON_GRAD_TOL
        positive = bool(np.all(y > 0))
        return {"confirmed": bool(res.exists != positive or excess > 0), "method": HP_METHOD,
                "all y_k > 0": positive, "exists": res.exists, "max |softmax(z*) - y|": float(diff)}
    return confirm


def _f14_gibbs_measure(impl):
    def measure(ex):
        y, z = ex["y"], ex["z"]
        ce = _ce(impl, y, z)
        H = float(np.sum(entr(y)))
        logs = -np.log(y[y > 0])  # the sizes of the terms of H(y)
        t = tol.folklore_identity_tolerance(len(y), max(float(np.max(np.abs(z))), ce, float(np.max(logs))))
        return Measurement(H - ce, t, "H(y) - CE(y, z) (Gibbs: <= 0)", {"CE": ce, "H(y)": H})
    return measure


def _f14_gibbs_confirm(ex) -> dict:
    y, z = ex["y"], ex["z"]
    with hp.workdps():
        gap = _mp_H(y, y) - _mp_ce(y, z)
    return {"confirmed": bool(gap > tol.folklore_high_precision_margin()), "method": HP_METHOD, "H(y) - CE": float(gap)}


@claim(
    id="folklore.F14",
    title="Cross-entropy also works for soft targets",
    source=source("folklore", "seed 002 snippet: 'the cross-entropy loss works even for distributions that are not "
                  "one-hot vectors'"),
    statement="For a soft target y in the simplex, CE(y, .) is convex, CE(y, z) >= H(y) for every z, and the "
    "minimum over z is attained, at softmax(z) = y, exactly when every y_k > 0.",
    hypotheses=("y in the simplex (soft, possibly with zero entries)", "z in R^K"),
    expected=HOLDS,
    method="search",
)
def check_f14(ctx) -> Evidence:
    soft = ("soft", "soft-with-zeros")
    convex = _run(ctx, _ce_segments(kinds=soft), _ce_convexity_measure(ctx.impl), what="CE(y, .) convex, soft y",
                  confirm=_ce_convexity_confirm)
    gibbs = _run(ctx, _ce_points(kinds=soft), _f14_gibbs_measure(ctx.impl), what="CE(y, z) >= H(y)",
                 confirm=_f14_gibbs_confirm)
    minimizer = _run(ctx, _ce_points(kinds=soft), _f14_minimizer_measure(ctx.impl),
                     what="minimizer exists iff every y_k > 0, at softmax(z) = y", confirm=_f14_minimizer_confirm(ctx.impl))
    return _all_hold({"convexity (soft targets)": convex, "Gibbs inequality": gibbs, "minimizer iff y > 0": minimizer},
                     title="soft targets")


# ==========================================================================
# F15: negative classes and the gradient
# ==========================================================================


@st.composite
def _one_hot_points(draw, max_K=5):
    K = draw(st.integers(2, max_K), label="K")
    c = draw(st.integers(0, K - 1), label="label")
    y = np.zeros(K)
    y[c] = 1.0
    return {"y": y, "z": draw(logit_vectors(K)), "label": c}


def _f15_loss_measure(impl):
    """Loss part: CE(y, z) = -log p_c, the negative classes' terms y_k log p_k being 0."""
    def measure(ex):
        y, z, c = ex["y"], ex["z"], ex["label"]
        ce = _ce(impl, y, z)
        only_true = float(-log_softmax(z)[c])
        t = tol.folklore_identity_tolerance(len(y), max(float(np.max(np.abs(z))), ce))
        return Measurement(abs(ce - only_true), t, "|CE - (-log p_c)|", {"CE": ce, "-log p_c": only_true})
    return measure


def _f15_loss_confirm(ex) -> dict:
    y, z, c = ex["y"], ex["z"], ex["label"]
    with hp.workdps():
        diff = abs(_mp_ce(y, z) + mpmath.log(hp.softmax(_mp_vec(z))[c]))
    return {"confirmed": bool(diff > tol.folklore_high_precision_margin()), "method": HP_METHOD, "|CE + log p_c|": float(diff)}


def _f15_grad_measure(impl):
    """Gradient part: finite differences against the claimed gradient (p_c - 1) e_c (zero on every negative class)."""
    def measure(ex):
        y, z, c = ex["y"], ex["z"], ex["label"]
        Y = y[None, :]

        def claimed(W):
            g = np.zeros_like(W)
            g[0, c] = impl.probs(W, X1)[0, c] - 1.0
            return g

        chk = check_gradient(lambda W: impl.loss(W, X1, Y), claimed, _w(z))
        return Measurement(chk.max_abs_error, chk.tolerance, "max |finite-difference dCE/dz - (p_c - 1) e_c|",
                           {"worst class": chk.worst_index[1], "p": _probs(impl, z).tolist()})
    return measure


def _f15_grad_confirm(ex) -> dict:
    y, z, c = ex["y"], ex["z"], ex["label"]
    with hp.workdps():
        g = _mp_grad_fd(lambda *zz: _mp_ce(y, zz), z)
        p = hp.softmax(_mp_vec(z))
    neg = [k for k in range(len(y)) if k != c]
    worst = max(neg, key=lambda k: abs(g[k]))
    return {"confirmed": bool(abs(g[worst]) > tol.folklore_high_precision_margin()),
            "method": HP_METHOD + " (mpmath.diff of the definition)", "negative class": worst,
            "dCE/dz_k": float(g[worst]), "p_k": float(p[worst]), "dCE/dz": [float(v) for v in g]}


@claim(
    id="folklore.F15",
    title="With one-hot targets the negative classes contribute nothing",
    source=source("folklore", "seed 002 snippet: 'Due to this, we can notice that losses for negative classes are always "
                  "zero. Hence, it does not make much sense to calculate loss for every class'"),
    statement="With a one-hot target (label c) the negative classes contribute nothing: their terms y_k log p_k vanish "
    "(so CE = -log p_c, which is true), and therefore dCE/dz_k = 0 for every negative class k != c (which is false: "
    "dCE/dz_k = p_k > 0). The claim is the conjunction; the gradient part refutes it.",
    hypotheses=("one-hot target", "z in R^K"),
    expected=REFUTED,
    method="search",
)
def check_f15(ctx) -> Evidence:
    loss = _run(ctx, _one_hot_points(), _f15_loss_measure(ctx.impl), what="loss part: CE = -log p_c",
                confirm=_f15_loss_confirm)
    grad = _run(ctx, _one_hot_points(), _f15_grad_measure(ctx.impl), what="gradient part: dCE/dz_k = 0 for k != c",
                confirm=_f15_grad_confirm)
    ev = _all_hold({"gradient part": grad, "loss part": loss}, title="negative classes contribute nothing")
    ev.measurements["loss part holds"] = loss.verdict == HOLDS
    if grad.counterexample is not None:
        ev.figures.append(_f15_figure(ctx.impl, grad.counterexample))
    return ev


def _f15_figure(impl, ce) -> dict:
    """CE and dCE/dz_k along the counterexample's worst negative-class logit z_k (the others fixed)."""
    y, z, c = np.asarray(ce["y"], F64), np.asarray(ce["z"], F64), int(ce["label"])
    p0 = _probs(impl, z)
    k = max((j for j in range(len(z)) if j != c), key=lambda j: p0[j])
    others = float(np.max(np.delete(z, k)))
    lo, hi = min(z[k], others) - 5.0, max(z[k], others) + 5.0
    zk = np.linspace(lo, hi, 81)
    h = 1e-5 * max(1.0, float(np.max(np.abs(z))))

    def at(v):
        w = z.copy()
        w[k] = v
        return w

    ce_vals = [_ce(impl, y, at(v)) for v in zk]
    fd = [(_ce(impl, y, at(v + h)) - _ce(impl, y, at(v - h))) / (2 * h) for v in zk]
    pk = [float(_probs(impl, at(v))[k]) for v in zk]
    return {"title": f"F15 counterexample (label c = {c}): CE and dCE/dz_{k} along negative-class z_{k}",
            "xlabel": f"z_{k} (other logits fixed)", "ylabel": "CE (nats); dCE/dz_k (nats per logit unit)",
            "xscale": "linear", "yscale": "linear",
            "series": [_series("CE", zk, ce_vals), _series(f"dCE/dz_{k} (central differences)", zk, fd),
                       {**_series(f"p_{k}", zk, pk), "style": "--"}],
            "hlines": [{"y": 0.0, "label": f"claimed dCE/dz_{k} = 0"}],
            "vlines": [{"x": float(z[k]), "label": f"counterexample z_{k} = {z[k]:g}"}]}


# ==========================================================================
# F16: shift invariance of softmax
# ==========================================================================


@st.composite
def _shifts(draw, max_K=5):
    K = draw(st.integers(2, max_K), label="K")
    c = draw(st.floats(-1.0, 1.0, allow_subnormal=False), label="c (unit)")
    c *= draw(st.sampled_from([1.0, 1e-8, 30.0, 1e3]), label="c scale")
    return {"z": draw(logit_vectors(K)), "c": float(c)}


def _f16_measure(impl):
    def measure(ex):
        z, c = ex["z"], ex["c"]
        zc = z + c
        scale = max(float(np.max(np.abs(z))), float(np.max(np.abs(zc))))
        rel = 2 * tol.folklore_probability_rel_error(len(z), scale)  # two computed probability vectors
        p, pc = _probs(impl, z), _probs(impl, zc)
        return Measurement(_entrywise_ratio(p, pc, rel), 1.0, "max_k |p_k(z + c) - p_k(z)| / tolerance",
                           {"max |difference|": float(np.max(np.abs(p - pc)))})
    return measure


def _f16_confirm(ex) -> dict:
    z, c = ex["z"], ex["c"]
    with hp.workdps():
        zm = _mp_vec(z)
        p = hp.softmax(zm)
        pc = hp.softmax([v + _mpf(c) for v in zm])
        diff = max(abs(a - b) for a, b in zip(p, pc))
    return {"confirmed": bool(diff > tol.folklore_high_precision_margin()), "method": HP_METHOD, "max |difference|": float(diff)}


def _f16_linear_measure(impl):
    def measure(ex):
        pb, c = ex["problem"], ex["c"]
        X, W, Y = pb.X, pb.W, pb.Y
        Wc = W + c[:, None]
        l0, l1 = float(impl.loss(W, X, Y)), float(impl.loss(Wc, X, Y))
        N, D = X.shape
        scale = max(_logit_bound(X, np.abs(W) + np.abs(Wc)), l0)
        t = tol.folklore_identity_tolerance(Y.shape[1], scale, N, D) + tol.folklore_point_rounding_error(scale)
        return Measurement(abs(l1 - l0), t, "|L(W + c 1^T) - L(W)|", {"L(W)": l0, "L(W + c 1^T)": l1})
    return measure


def _f16_linear_confirm(ex) -> dict:
    pb, c = ex["problem"], ex["c"]
    with hp.workdps():
        Wm = _as_mp_matrix(pb.W)
        Wc = Wm + np.array([[_mpf(ci)] * Wm.shape[1] for ci in c], dtype=object)
        diff = abs(hp.cross_entropy(Wc, pb.X, pb.Y) - hp.cross_entropy(Wm, pb.X, pb.Y))
    return {"confirmed": bool(diff > tol.folklore_high_precision_margin()), "method": HP_METHOD, "|difference|": float(diff)}


@st.composite
def _linear_shifts(draw):
    pb = draw(problems())
    scale = draw(st.sampled_from([1.0, 30.0]), label="c scale")
    c = draw(hnp.arrays(F64, (pb.X.shape[1],), elements=_unit_floats()), label="c") * scale
    return {"problem": pb, "c": c}


@lru_cache(maxsize=None)
def _sympy_shift(K=3) -> dict:
    e = sympy.symbols(f"e0:{K}", positive=True)
    ec = sympy.symbols("e_c", positive=True)  # exp(c): softmax(z + c)_k = e_k e_c / sum_l e_l e_c
    ok = all(sympy.cancel(e[k] * ec / sum(el * ec for el in e) - e[k] / sum(e)) == 0 for k in range(K))
    return {"K": K, "softmax(z + c 1) == softmax(z)": bool(ok), "exact": bool(ok)}


@claim(
    id="folklore.F16",
    title="Softmax is unchanged by adding the same constant to every logit",
    source=source("folklore", "seed 002 snippet: 'we now interpret these scores as the unnormalized log probabilities for "
                  "each class' (log-probabilities up to an additive constant: catalog F16)"),
    statement="softmax(z + c 1) = softmax(z) for every z in R^K and c in R; for the linear model "
    "L(W + c 1^T) = L(W) for every c in R^D.",
    hypotheses=("z in R^K", "c in R (c in R^D for the linear model)"),
    expected=HOLDS,
    method="search",
)
def check_f16(ctx) -> Evidence:
    single = _run(ctx, _shifts(), _f16_measure(ctx.impl), what="softmax(z + c) = softmax(z)", confirm=_f16_confirm)
    linear = _run(ctx, _linear_shifts(), _f16_linear_measure(ctx.impl), what="L(W + c 1^T) = L(W)",
                  confirm=_f16_linear_confirm)
    return _all_hold({"softmax shift": single, "linear model shift": linear}, title="shift invariance",
                     symbolic=_sympy_shift())


# ==========================================================================
# F17: gradient descent with a small step decreases the loss
# ==========================================================================


@st.composite
def _gd_cases(draw, multipliers, logit_scales=LOGIT_SCALES):
    """The step multiplier is drawn first, so that shrinking minimizes it before the data."""
    m = draw(multipliers, label="step * L")
    pb = draw(problems(max_N=6, max_D=3, max_K=3, logit_scales=logit_scales))
    return {"problem": pb, "multiplier": m}


def _gd_worst_step(impl, X, Y, W0, multiplier, steps, stop_at_increase=False):
    """Run gradient descent at multiplier / L; return the result and its worst step (largest increase / rounding).

    ``stop_at_increase`` ends the run at the first step that increases the loss beyond rounding.
    """
    state = {"prev": None, "W": None, "ratio": -math.inf, "worst": None}

    def callback(k, W, loss, G):
        if state["prev"] is not None:
            t = loss_increase_tolerance(state["prev"], EPS)
            r = (loss - state["prev"]) / t
            if r > state["ratio"]:
                state.update(ratio=r, worst={"k": k - 1, "W_k": state["W"], "increase": loss - state["prev"], "tolerance": t,
                                             "loss_k": state["prev"], "loss_k+1": loss})
        state["prev"], state["W"] = loss, W
        return stop_at_increase and state["ratio"] > 1

    res = gradient_descent(impl, X, Y, W0, step_multiplier=multiplier, max_iter=steps, record_every=steps, callback=callback)
    return res, state["worst"]


def _f17_measure(impl, steps, stop_at_increase=False):
    def measure(ex):
        pb, m = ex["problem"], ex["multiplier"]
        L = lipschitz_bound(pb.X)
        if not (L > 0 and math.isfinite(m / L)):
            return None  # X = 0 (or so tiny that 1/L overflows): any step leaves L unchanged; the claim is vacuous
        res, worst = _gd_worst_step(impl, pb.X, pb.Y, pb.W, m, steps, stop_at_increase)
        if worst is None:
            return None
        ex["worst step"] = worst
        ex["step"] = res.step
        return Measurement(worst["increase"], worst["tolerance"], "largest one-step loss increase",
                           {"n_increases": res.n_increases, "steps": res.n_iter, "step * L": res.step * res.L,
                            "at step": worst["k"]})
    return measure


def _f17_confirm(impl, steps, stop_at_increase=False):
    def confirm(ex) -> dict:
        pb, m = ex["problem"], ex["multiplier"]
        res, worst = _gd_worst_step(impl, pb.X, pb.Y, pb.W, m, steps, stop_at_increase)
        with hp.workdps():
            Wk = _as_mp_matrix(worst["W_k"])
            G = hp.gradient(Wk, pb.X, pb.Y)
            W_next = Wk - _mpf(res.step) * G  # the exact gradient step from the float iterate W_k
            l0, l1 = hp.cross_entropy(Wk, pb.X, pb.Y), hp.cross_entropy(W_next, pb.X, pb.Y)
        margin = tol.folklore_high_precision_margin(float(l0))
        return {"confirmed": bool(l1 - l0 > margin), "method": HP_METHOD + " (exact step from the float iterate W_k)",
                "k": worst["k"], "L(W_k)": float(l0), "L(W_k - step grad)": float(l1), "increase": float(l1 - l0),
                "step * L": res.step * res.L, "n_increases": res.n_increases, "margin": margin}
    return confirm


def _f17_to_dict(ex) -> dict:
    out = _plain({"problem": ex["problem"], "step multiplier (step * L)": ex["multiplier"]})
    if "worst step" in ex:
        w = ex["worst step"]
        out["first worst step"] = {"k": w["k"], "loss_k": w["loss_k"], "loss_k+1": w["loss_k+1"]}
    return out


def _f17_experiment(impl, steps) -> tuple[dict, list]:
    """The catalog's measurement: overlapping one-hot data (N=11, D=3, K=3, seed 0) at 1/L, 2/L, 8/L."""
    rng = np.random.default_rng(0)
    X = rng.normal(size=(11, 3))
    Y = np.eye(3)[rng.integers(0, 3, 11)]
    meas, series = {}, []
    for m in (1.0, 2.0, 8.0):
        res = gradient_descent(impl, X, Y, step_multiplier=m, max_iter=steps)
        meas[f"{m:g}/L"] = {"n_increases": res.n_increases, "steps": res.n_iter, "final loss": res.loss}
        idx = _subsample(len(res.history["iteration"]))
        series.append(_series(f"step {m:g}/L ({res.n_increases} increases)", res.history["iteration"][idx],
                              res.history["loss"][idx]))
    fig = {"title": "Loss along gradient descent (N=11, D=3, K=3, overlapping one-hot classes)",
           "xlabel": "step", "ylabel": "L(W_t)", "series": series}
    return {"data": "X ~ N(0, 1) of shape (11, 3), labels uniform in {0, 1, 2}, numpy seed 0", **meas}, [fig]


@claim(
    id="folklore.F17",
    title="Gradient descent with a small enough step decreases the loss at every step",
    source=source("folklore", "seed 002 snippet: 'It includes: train: Trains the model using gradient descent'; "
                  "'Gradient descent works by minimizing the loss function'"),
    statement="Fixed-step gradient descent W_{t+1} = W_t - eta grad L(W_t) never increases L when "
    "eta <= 1/L_g, L_g = lambda_max(X^T X) / (2N) (the Hessian's norm bound, softmax covariance <= I/2); "
    "with larger steps monotonicity can fail.",
    hypotheses=("X (N, D), X != 0", "rows of Y in the simplex", "any starting point W_0"),
    expected=HOLDS_UNDER,
    missing_hypothesis="step <= 1/L with L = lambda_max(X^T X) / (2N)",
    method="experiment",
)
def check_f17(ctx) -> Evidence:
    impl = ctx.impl
    steps = 500 if ctx.thorough else 50
    small = st.integers(1, 16).map(lambda j: j / 16)  # step in (0, 1/L]
    large = st.integers(17, 256).map(lambda j: j / 16)  # step in (1/L, 16/L]
    under = _run(ctx, _gd_cases(small), _f17_measure(impl, steps), what="no loss increase at step <= 1/L",
                 confirm=_f17_confirm(impl, steps), to_dict=_f17_to_dict)
    # Without the hypothesis a run stops at its first increase (all the refutation needs); starting points of
    # moderate logits (scale <= 5), where the curvature is not yet saturated away.
    without = _run(ctx, _gd_cases(large, logit_scales=(0.0, 1.0, 5.0)), _f17_measure(impl, steps, True),
                   what="no loss increase at step in (1/L, 16/L]", confirm=_f17_confirm(impl, steps, True),
                   to_dict=_f17_to_dict)
    meas, figs = _f17_experiment(impl, 1000 if ctx.thorough else 200)
    return _holds_under(under, without, hypothesis="step <= 1/L", title="monotone gradient descent",
                        measurements={"catalog experiment": meas}, figures=figs)

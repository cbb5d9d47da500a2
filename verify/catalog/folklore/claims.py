"""Claims: folklore about softmax cross-entropy (seed 002, ``claims/folklore.md``).

Seed 002 is a page of search-engine snippets around "prove that cross-entropy
loss for a softmax classifier is convex". It mixes textbook facts (F1-F7,
F11, F13, F14, F16), statements that are false (F8-F10, F12, F15), and two
that are true only under a condition the snippets leave out (F3, F17).

Every verdict is computed with the harness's evidence builders
(``verify.harness.evidence``):

* a true claim is searched for a violation with Hypothesis (``searched``,
  steered by ``target``), against a tolerance derived from eps and the size
  of the quantity (``verify.catalog.folklore.tolerances``); its parts are
  combined by ``all_parts_hold``, and identities are also proved with SymPy
  at small K where the catalog says so (an ``exact_evidence`` part);
* a false claim is refuted by a counterexample the search finds on its own,
  that Hypothesis shrinks, and that mpmath re-checks at 50 digits;
* a claim that holds only under a missing hypothesis runs two searches, one
  under the hypothesis (no violation) and one without it (a confirmed,
  shrunk counterexample), combined by ``holds_under``.

Each claim below lists its searches as ``Search`` records. What a search
draws is in ``strategies``, what it measures in float64 in ``measures``, the
mpmath re-check of a counterexample in ``certificates`` (same name as the
measure it confirms), the SymPy identities in ``symbolic``, the figures of
a counterexample in ``figures`` and the catalog's own constructions and
measurements in ``experiments``; the shared float formulas are in
``formulas``.

Conventions (``DESIGN.md``): logits z in R^K, target y in the simplex,
CE(y, z) = sum_k y_k (lse(z) - z_k) = -sum_k y_k log p_k with p = softmax(z);
linear model L(W) = (1/N) sum_n CE(y_n, W^T x_n), X (N, D), W (D, K). A
single logit vector is the linear model with N = D = 1 and x = 1: W = z^T,
so every single-sample quantity is computed through the implementation's
interface (``ctx.impl``) as well.
"""

from __future__ import annotations

from typing import Callable, NamedTuple

import numpy as np
from hypothesis import strategies as st

from ...harness.claims import HOLDS, REFUTED, Evidence
from ...harness.evidence import all_parts_hold, exact_evidence, holds_under, searched, summary_of
from ..sources import claim
from . import certificates, experiments, figures, measures, strategies, symbolic
from .formulas import ce_hessian_point, linear_hessian_point


class Search(NamedTuple):
    """One search for a violation: what it checks, what it draws, its float measure and its mpmath certificate."""

    what: str
    examples: st.SearchStrategy
    measure: Callable
    confirm: Callable | None = None
    to_dict: Callable = strategies.example_to_dict
    construction: str = ""  # when the measure builds the counterexample from what is drawn (see search_evidence)

    def run(self, ctx) -> Evidence:
        return searched(ctx, self.examples, self.measure, what=self.what, confirm=self.confirm, to_dict=self.to_dict,
                        construction=self.construction)


def _every_part_holds(ctx, what: str, searches: dict, *, identities=None, measurements=None) -> Evidence:
    """The searches (in order) and, last, the SymPy ``identities`` as ``(what, {name: holds})``: all must hold."""
    parts = {name: s.run(ctx) for name, s in searches.items()}
    if identities is not None:
        parts["SymPy identities"] = exact_evidence(*identities)
    return all_parts_hold(what, parts, measurements=measurements)


# ==========================================================================
# F1, F2: convexity
# ==========================================================================


@claim("folklore.F1")
def check_f1(ctx) -> Evidence:
    impl = ctx.impl
    return _every_part_holds(ctx, "CE convex in z", {
        "segment convexity": Search("CE(y, .) convex along segments", strategies.ce_segments(),
                                    measures.ce_convexity(impl), certificates.ce_convexity),
        "Hessian PSD": Search("Hessian diag(p) - p p^T is PSD", strategies.ce_points(),
                              measures.hessian_psd(impl, ce_hessian_point), certificates.hessian_psd(ce_hessian_point)),
    })


def _linear_convexity(ctx, *, what, x_scales, record_kernel=False) -> Evidence:
    """F2, F11: L midpoint-convex along lines and its Hessian in W PSD, on data scaled by ``x_scales``."""
    lines = strategies.linear_lines(x_scales=x_scales)
    kernel_counts = []
    psd_measure = measures.hessian_psd(ctx.impl, linear_hessian_point)

    def psd_with_kernel(pb):
        m = psd_measure(pb)
        kernel_counts.append((m.details["near_zero_eigenvalues"], pb.X.shape[1]))
        return m

    line = Search("midpoint convexity of L along lines", lines, measures.line_convexity(ctx.impl),
                  certificates.line_convexity).run(ctx)
    psd = Search("Hessian in W is PSD", lines, psd_with_kernel, certificates.hessian_psd(linear_hessian_point)).run(ctx)
    meas = {}
    if record_kernel and kernel_counts:
        # L(W + c 1^T) = L(W): the D directions c 1^T are in the Hessian's kernel, so L is never strictly convex.
        meas["not strictly convex"] = {
            "examples": len(kernel_counts),
            "examples with >= D near-zero Hessian eigenvalues": sum(n >= D for n, D in kernel_counts),
            "fewest near-zero eigenvalues minus D": min(n - D for n, D in kernel_counts),
        }
    return all_parts_hold(what, {"line convexity": line, "Hessian PSD": psd}, measurements=meas)


@claim("folklore.F2")
def check_f2(ctx) -> Evidence:
    return _linear_convexity(ctx, what="L convex in W", x_scales=(1.0,))


# ==========================================================================
# F3: dCE/dz = p - y (only when sum_k y_k = 1)
# ==========================================================================


@claim("folklore.F3")
def check_f3(ctx) -> Evidence:
    impl = ctx.impl
    under = Search("dCE/dz = p - y for y in the simplex", strategies.ce_points(), measures.gradient_p_minus_y(impl),
                   certificates.gradient_p_minus_y).run(ctx)
    without = Search("dCE/dz = p - y for y >= 0 of any sum", strategies.nonnegative_targets(),
                     measures.gradient_formula(impl, lambda p, y: p - y), certificates.gradient_p_minus_y).run(ctx)
    general = Search("dCE/dz = (sum y) p - y for y >= 0", strategies.nonnegative_targets(),
                     measures.gradient_formula(impl, lambda p, y: np.sum(y) * p - y),
                     certificates.gradient_general_form).run(ctx)
    if general.verdict == REFUTED:  # the statement's general form is part of the claim
        return all_parts_hold("dCE/dz = p - y", {"general form (sum y) p - y": general, "under hypothesis": under})
    ev = holds_under("dCE/dz = p - y", under, without, "sum_k y_k = 1",
                     measurements={"general form (sum y) p - y": summary_of(general)})
    ev.examples += general.examples
    if without.counterexample is not None:
        ev.figures.append(figures.gradient_bars(impl, without.counterexample))
    return ev


# ==========================================================================
# F4: the softmax Jacobian
# ==========================================================================


@claim("folklore.F4")
def check_f4(ctx) -> Evidence:
    impl = ctx.impl
    return _every_part_holds(ctx, "softmax Jacobian", {
        "finite differences": Search("finite-difference Jacobian of softmax", strategies.ce_points(),
                                     measures.softmax_jacobian_entries(impl), certificates.softmax_jacobian_entries),
        "structure": Search("J symmetric PSD with J 1 = 0", strategies.ce_points(),
                            measures.softmax_jacobian_structure(impl), certificates.softmax_jacobian_structure),
    }, identities=("softmax Jacobian, K = 2, 3, 4", symbolic.softmax_jacobian_identities()))


# ==========================================================================
# F5, F6: H(p, q) and KL
# ==========================================================================


@claim("folklore.F5")
def check_f5(ctx) -> Evidence:
    return _every_part_holds(ctx, "H(p, q) convex in q", {
        "segment convexity": Search("H(p, .) convex along segments", strategies.h_segments(), measures.h_convexity,
                                    certificates.h_convexity),
    })


@claim("folklore.F6")
def check_f6(ctx) -> Evidence:
    return _every_part_holds(ctx, "KL = H(P,Q) - H(P)", {
        "identity": Search("KL identity on random distributions", strategies.pq_pairs(), measures.kl_identity,
                           certificates.kl_identity),
    }, identities=("KL(p||q) = H(p, q) - H(p), K = 2, 3, 4", symbolic.kl_identities()))


# ==========================================================================
# F7: sigmoid is the K = 2 softmax
# ==========================================================================


@claim("folklore.F7")
def check_f7(ctx) -> Evidence:
    return _every_part_holds(ctx, "sigmoid BCE = K=2 softmax CE", {
        "identity": Search("sigmoid = K=2 softmax (probabilities and losses)", strategies.binary_cases(),
                           measures.sigmoid_identity(ctx.impl), certificates.sigmoid_identity),
    }, identities=("softmax([a, b]) = (sigmoid(a - b), 1 - sigmoid(a - b))", symbolic.sigmoid_identities()))


# ==========================================================================
# F8, F9: deep (linear) networks are not convex in their weights
# ==========================================================================


def _network_not_convex(ctx, search: Search, *, construction: str, hidden_layers: int, figure_title: str) -> Evidence:
    """F8, F9: the chord search on a linear network, the shape of its counterexample, the catalog's mirrored pair."""
    ev = search.run(ctx)
    ev.measurements["shape of the counterexample"] = experiments.counterexample_shape(ev)
    ev.measurements[construction] = experiments.mirrored_pair(ctx.impl, hidden_layers=hidden_layers)
    fig = figures.segment_loss(ctx.impl, ev, figure_title)
    if fig is not None:
        ev.figures.append(fig)
    return ev


@claim("folklore.F8")
def check_f8(ctx) -> Evidence:
    return _network_not_convex(
        ctx, Search("convexity of L(W1, W2) along segments", strategies.deep_segments(hidden_layers=1),
                    measures.chord_convexity(ctx.impl), certificates.chord_convexity),
        construction="constructed: the mirrored weights (W, -W)", hidden_layers=0,
        figure_title="folklore.F8 counterexample: loss along the segment (W1, W2) from B to A vs the chord")


@claim("folklore.F9")
def check_f9(ctx) -> Evidence:
    return _network_not_convex(
        ctx, Search("convexity of L in (W1, W2) along segments, W3 fixed",
                    strategies.deep_segments(hidden_layers=2, trainable=(0, 1)),
                    measures.chord_convexity(ctx.impl), certificates.chord_convexity),
        construction="constructed: the mirrored weights (W, -W), W3 = I fixed", hidden_layers=1,
        figure_title="folklore.F9 counterexample: loss from B to A in (W1, W2), W3 fixed, vs the chord")


# ==========================================================================
# F10: CE in [0, 1]
# ==========================================================================


@claim("folklore.F10")
def check_f10(ctx) -> Evidence:
    ev = Search("0 <= CE <= 1", strategies.ce_points(), measures.ce_in_unit_interval(ctx.impl),
                certificates.ce_in_unit_interval).run(ctx)
    meas, fig = experiments.unbounded_loss(ctx.impl)
    ev.measurements.update(meas)
    ev.figures.append(fig)
    return ev


# ==========================================================================
# F11: convex whatever the data
# ==========================================================================


@claim("folklore.F11")
def check_f11(ctx) -> Evidence:
    return _linear_convexity(ctx, what="L convex for arbitrary data", x_scales=(1.0, 1e-3, 1e3), record_kernel=True)


# ==========================================================================
# F12: "just one minimum, and gradient descent finds it"
# ==========================================================================

# budget: gradient-descent steps on the no-minimizer counterexample of (b) (quick, thorough). ||W_t|| grows like
# log t, so the growth shows as a slope per decade of t: 5 000 steps give three decades, the thorough run five.
SEPARABLE_DESCENT_STEPS = 5_000
SEPARABLE_DESCENT_STEPS_THOROUGH = 100_000


@claim("folklore.F12")
def check_f12(ctx) -> Evidence:
    impl = ctx.impl
    parts = {
        "(a) not unique: W* and W* + c 1^T": Search("(a) uniqueness of the minimizer", strategies.minimizer_shifts(),
                                                   measures.shifted_minimizer(impl),
                                                   certificates.shifted_minimizer(impl),
                                                   construction="the second minimizer is built, "
                                                   "W2 = W* + c 1^T (folklore.F16), beside Newton's W*: "
                                                   "the search draws only the data and c").run(ctx),
        "(b) no minimizer": Search("(b) existence of a minimizer", strategies.small_problems(),
                                   measures.no_minimizer(impl), certificates.no_minimizer(impl)).run(ctx),
    }
    found = [name for name, part in parts.items() if part.verdict == REFUTED]
    notes = ["only one of the two expected failure modes was found: " + ", ".join(found)] if len(found) == 1 else []
    ev = all_parts_hold("one minimizer, found by gradient descent", parts, notes=notes)
    b = parts["(b) no minimizer"]
    if b.verdict == REFUTED:
        steps = SEPARABLE_DESCENT_STEPS_THOROUGH if ctx.thorough else SEPARABLE_DESCENT_STEPS
        meas, figs = experiments.separable_descent(impl, b.counterexample, steps)
        ev.measurements["(b) gradient descent on the counterexample"] = meas
        ev.figures += figs
    return ev


# ==========================================================================
# F13: NLL = CE for one-hot targets
# ==========================================================================


@claim("folklore.F13")
def check_f13(ctx) -> Evidence:
    return _every_part_holds(ctx, "NLL = CE", {
        "identity": Search("NLL = CE (one-hot)", strategies.one_hot_problems(), measures.nll_identity(ctx.impl),
                           certificates.nll_identity),
    }, identities=("-log softmax(z)_c = one-hot CE", symbolic.nll_identities()))


# ==========================================================================
# F14: soft targets
# ==========================================================================


@claim("folklore.F14")
def check_f14(ctx) -> Evidence:
    impl = ctx.impl
    soft = ("soft", "soft-with-zeros")
    return _every_part_holds(ctx, "soft targets", {
        "convexity (soft targets)": Search("CE(y, .) convex, soft y", strategies.ce_segments(kinds=soft),
                                           measures.ce_convexity(impl), certificates.ce_convexity),
        "Gibbs inequality": Search("CE(y, z) >= H(y)", strategies.ce_points(kinds=soft),
                                   measures.gibbs_inequality(impl), certificates.gibbs_inequality),
        "minimizer iff y > 0": Search("minimizer exists iff every y_k > 0, at softmax(z) = y",
                                      strategies.ce_points(kinds=soft), measures.soft_minimizer(impl),
                                      certificates.soft_minimizer(impl)),
    })


# ==========================================================================
# F15: negative classes and the gradient
# ==========================================================================


@claim("folklore.F15")
def check_f15(ctx) -> Evidence:
    impl = ctx.impl
    loss = Search("loss part: CE = -log p_c", strategies.one_hot_points(), measures.negative_class_loss(impl),
                  certificates.negative_class_loss).run(ctx)
    grad = Search("gradient part: dCE/dz_k = 0 for k != c", strategies.one_hot_points(),
                  measures.negative_class_gradient(impl), certificates.negative_class_gradient).run(ctx)
    ev = all_parts_hold("negative classes contribute nothing", {"gradient part": grad, "loss part": loss},
                        measurements={"loss part holds": loss.verdict == HOLDS})
    if grad.counterexample is not None:
        ev.figures.append(figures.negative_class_logit(impl, grad.counterexample))
    return ev


# ==========================================================================
# F16: shift invariance of softmax
# ==========================================================================


@claim("folklore.F16")
def check_f16(ctx) -> Evidence:
    impl = ctx.impl
    return _every_part_holds(ctx, "shift invariance", {
        "softmax shift": Search("softmax(z + c) = softmax(z)", strategies.logit_shifts(), measures.softmax_shift(impl),
                                certificates.softmax_shift),
        "linear model shift": Search("L(W + c 1^T) = L(W)", strategies.linear_shifts(), measures.linear_shift(impl),
                                     certificates.linear_shift),
    }, identities=("softmax(z + c 1) = softmax(z)", symbolic.shift_identities()))


# ==========================================================================
# F17: gradient descent with a small enough step decreases the loss
# ==========================================================================

# budget: gradient-descent steps of each drawn run (quick, thorough). Above 1/L an increase shows within the
# first steps; the thorough run follows each run under the hypothesis ten times further for a late increase.
DESCENT_SEARCH_STEPS = 50
DESCENT_SEARCH_STEPS_THOROUGH = 500
# budget: steps of the catalog's experiment at 1/L, 2/L, 8/L; the catalog quotes about 100 increases in 200 steps.
DESCENT_EXPERIMENT_STEPS = 200
DESCENT_EXPERIMENT_STEPS_THOROUGH = 1000


@claim("folklore.F17")
def check_f17(ctx) -> Evidence:
    impl = ctx.impl
    steps = DESCENT_SEARCH_STEPS_THOROUGH if ctx.thorough else DESCENT_SEARCH_STEPS
    small = st.integers(1, 16).map(lambda j: j / 16)  # step in (0, 1/L]
    large = st.integers(17, 256).map(lambda j: j / 16)  # step in (1/L, 16/L]
    under = Search("no loss increase at step <= 1/L", strategies.descent_cases(small),
                   measures.descent_increase(impl, steps), certificates.descent_increase(impl, steps),
                   strategies.descent_to_dict).run(ctx)
    # Without the hypothesis a run stops at its first increase (all the refutation needs); starting points of
    # moderate logits (scale <= 5), where the curvature is not yet saturated away.
    without = Search("no loss increase at step in (1/L, 16/L]",
                     strategies.descent_cases(large, logit_scales=(0.0, 1.0, 5.0)),
                     measures.descent_increase(impl, steps, True), certificates.descent_increase(impl, steps, True),
                     strategies.descent_to_dict).run(ctx)
    meas, figs = experiments.descent_at_three_steps(
        impl, DESCENT_EXPERIMENT_STEPS_THOROUGH if ctx.thorough else DESCENT_EXPERIMENT_STEPS)
    return holds_under("monotone gradient descent", under, without, "step <= 1/L",
                       measurements={"experiment": meas}, figures=figs)

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

from ...harness.claims import HOLDS, HOLDS_UNDER, REFUTED, Evidence, claim
from ...harness.evidence import all_parts_hold, exact_evidence, holds_under, searched, summary_of
from ..sources import source
from . import certificates, experiments, figures, measures, strategies, symbolic
from .formulas import ce_hessian_point, linear_hessian_point


class Search(NamedTuple):
    """One search for a violation: what it checks, what it draws, its float measure and its mpmath certificate."""

    what: str
    examples: st.SearchStrategy
    measure: Callable
    confirm: Callable | None = None
    to_dict: Callable = strategies.example_to_dict

    def run(self, ctx) -> Evidence:
        return searched(ctx, self.examples, self.measure, what=self.what, confirm=self.confirm, to_dict=self.to_dict)


def _every_part_holds(ctx, what: str, searches: dict, *, identities=None, measurements=None) -> Evidence:
    """The searches (in order) and, last, the SymPy ``identities`` as ``(what, {name: holds})``: all must hold."""
    parts = {name: s.run(ctx) for name, s in searches.items()}
    if identities is not None:
        parts["SymPy identities"] = exact_evidence(*identities)
    return all_parts_hold(what, parts, measurements=measurements)


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
    return _linear_convexity(ctx, what="L convex in W", x_scales=(1.0,))


# ==========================================================================
# F3: dCE/dz = p - y (only when sum_k y_k = 1)
# ==========================================================================


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
    return _every_part_holds(ctx, "H(p, q) convex in q", {
        "segment convexity": Search("H(p, .) convex along segments", strategies.h_segments(), measures.h_convexity,
                                    certificates.h_convexity),
    })


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
    return _every_part_holds(ctx, "KL = H(P,Q) - H(P)", {
        "identity": Search("KL identity on random distributions", strategies.pq_pairs(), measures.kl_identity,
                           certificates.kl_identity),
    }, identities=("KL(p||q) = H(p, q) - H(p), K = 2, 3, 4", symbolic.kl_identities()))


# ==========================================================================
# F7: sigmoid is the K = 2 softmax
# ==========================================================================


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
    return _network_not_convex(
        ctx, Search("convexity of L(W1, W2) along segments", strategies.deep_segments(hidden_layers=1),
                    measures.chord_convexity(ctx.impl), certificates.chord_convexity),
        construction="catalog construction (W, -W)", hidden_layers=0,
        figure_title="F8 counterexample: loss along the segment (W1, W2) from B to A vs the chord")


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
    return _network_not_convex(
        ctx, Search("convexity of L in (W1, W2) along segments, W3 fixed",
                    strategies.deep_segments(hidden_layers=2, trainable=(0, 1)),
                    measures.chord_convexity(ctx.impl), certificates.chord_convexity),
        construction="catalog construction (W, -W), W3 = I fixed", hidden_layers=1,
        figure_title="F9 counterexample: loss from B to A in (W1, W2), W3 fixed, vs the chord")


# ==========================================================================
# F10: CE in [0, 1]
# ==========================================================================


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
    ev = Search("0 <= CE <= 1", strategies.ce_points(), measures.ce_in_unit_interval(ctx.impl),
                certificates.ce_in_unit_interval).run(ctx)
    meas, fig = experiments.unbounded_loss(ctx.impl)
    ev.measurements.update(meas)
    ev.figures.append(fig)
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
    return _linear_convexity(ctx, what="L convex for arbitrary data", x_scales=(1.0, 1e-3, 1e3), record_kernel=True)


# ==========================================================================
# F12: "just one minimum, and gradient descent finds it"
# ==========================================================================

# budget: gradient-descent steps on the no-minimizer counterexample of (b) (quick, thorough). ||W_t|| grows like
# log t, so the growth shows as a slope per decade of t: 5 000 steps give three decades, the thorough run five.
SEPARABLE_DESCENT_STEPS = 5_000
SEPARABLE_DESCENT_STEPS_THOROUGH = 100_000


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
    parts = {
        "(a) not unique: W* and W* + c 1^T": Search("(a) uniqueness of the minimizer", strategies.minimizer_shifts(),
                                                   measures.shifted_minimizer(impl),
                                                   certificates.shifted_minimizer(impl)).run(ctx),
        "(b) no minimizer": Search("(b) existence of a minimizer", strategies.small_problems(),
                                   measures.no_minimizer(impl), certificates.no_minimizer(impl)).run(ctx),
    }
    found = [name for name, part in parts.items() if part.verdict == REFUTED]
    notes = ["only one of the catalog's two failure modes was found: " + ", ".join(found)] if len(found) == 1 else []
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
    return _every_part_holds(ctx, "NLL = CE", {
        "identity": Search("NLL = CE (one-hot)", strategies.one_hot_problems(), measures.nll_identity(ctx.impl),
                           certificates.nll_identity),
    }, identities=("-log softmax(z)_c = one-hot CE", symbolic.nll_identities()))


# ==========================================================================
# F14: soft targets
# ==========================================================================


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
                       measurements={"catalog experiment": meas}, figures=figs)

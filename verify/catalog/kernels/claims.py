"""The claims of the framework-kernel contracts, in the order of claims.toml; each is a Hypothesis search.

Every check draws cases (:mod:`.strategies`), calls the kernel under test through :class:`.contract.
KernelUnderTest` (forward and the vector-Jacobian product of a cotangent), and compares the loss and every
gradient with the float64 reference (:mod:`.reference`) entry by entry, to the bounds of :mod:`.tolerances`. A
violation is re-checked against the same reference evaluated in 50-digit mpmath, on a second call of the kernel.

A kernel that does not take an option (``TypeError`` for the keyword), takes class indices only (``target:``),
or hits a known limit of the Triton interpreter is skipped for the claim, with the reason; a kernel that raises
anything else on a valid input, returns a wrong shape, a non-finite value or no gradient where one is required,
fails the claim.
"""

from __future__ import annotations

import itertools

import numpy as np
from hypothesis import strategies as st

from ...harness.claims import SKIPPED, CheckContext, Evidence
from ...harness.evidence import search_evidence
from ...harness.search import Measurement, search, worse
from ..sources import claim
from . import reference, strategies
from .contract import interpreter_limit_meaning, unsupported_keyword
from .reference import ALL_IGNORED_MEAN, GRAD_INPUTS, MPMATH, KernelCase
from .tolerances import bounds

SKIP_WHY = {
    "unsupported": "unsupported option",
    "class_indices_only": "class indices only: the kernel raised 'target: ...' for probability targets",
    "interpreter_limit": "cannot run under the Triton interpreter",
}


class Probe:
    """Calls the kernel on drawn cases and measures each against the reference; remembers why it stopped.

    After the first call that is skipped for a reason (:data:`SKIP_WHY`), every later example is left out
    (``None``): the claim is then reported as skipped, with that reason and the kernel's message.
    """

    def __init__(self, kernel, magnitude: bool = False, judge=None):
        self.kernel, self.magnitude = kernel, magnitude
        # judge(kernel, case, call, ref=None, magnitude=False) -> Measurement: compare, unless a claim says otherwise
        self.judge = judge or compare
        self.skip: tuple[str, str] | None = None
        self.notes: list[str] = []

    def call(self, case: KernelCase, backward: bool = True):
        if self.skip:
            return None
        call = self.kernel.call(case, backward=backward)
        if call.kind in SKIP_WHY:
            self.skip = (call.kind, call.error)
            return None
        return call

    def measure(self, case: KernelCase, backward: bool = True) -> Measurement | None:
        call = self.call(case, backward)
        return None if call is None else self.judge(self.kernel, case, call, magnitude=self.magnitude)

    def confirm(self, case: KernelCase) -> dict:
        """The counterexample again: a second call, against the reference in 50-digit mpmath."""
        call = self.kernel.call(case, backward=True)
        if call.failed or call.loss is None:
            m = self.judge(self.kernel, case, call, magnitude=self.magnitude)
            return {"method": "a second call", "confirmed": True, "finding": m.details.get("problem", call.error)}
        exact = reference.evaluate(case, MPMATH)
        m = self.judge(self.kernel, case, call, ref=exact, magnitude=self.magnitude)
        return {"method": reference.MPMATH.name, "confirmed": m.violated,
                "finding": m.details.get("finding") or m.details.get("problem", ""),
                "error": m.error, "tolerance": m.tolerance}

    def evidence(self, outcome, what: str, to_dict=KernelCase.to_dict) -> Evidence:
        if self.skip:
            kind, error = self.skip
            why = SKIP_WHY[kind]
            if kind == "interpreter_limit":
                why += f": {interpreter_limit_meaning(error)}"
            if kind == "unsupported":
                why += " " + unsupported_keyword(error)
            return Evidence(SKIPPED, summary=f"skipped: {why}: {error}", notes=list(self.notes))
        ev = search_evidence(outcome, what=what, to_dict=to_dict, confirm=getattr(self, "confirm_case", self.confirm))
        ev.notes += self.notes
        return ev


def broken(quantity: str, problem: str) -> Measurement:
    return Measurement(float("inf"), 0.0, quantity, {"problem": problem})


def _entry_measurement(name: str, value: np.ndarray, exact: np.ndarray, tol: np.ndarray) -> Measurement:
    """The worst entry of one quantity: by how much it exceeds its own tolerance, relative to it."""
    if value.shape != exact.shape:
        return broken(name, f"{name}: shape {list(value.shape)}, expected {list(exact.shape)}")
    if not np.all(np.isfinite(value)):
        where = tuple(int(i) for i in np.argwhere(~np.isfinite(value))[0]) if value.ndim else ()
        return broken(name, f"{name}: non-finite value {value[where] if value.ndim else value} at {list(where)}")
    diff = np.abs(value - exact)
    tol = np.broadcast_to(tol, diff.shape)
    ratio = np.where(diff == 0, 0.0, diff / np.where(tol > 0, tol, np.inf))
    ratio = np.where((tol == 0) & (diff > 0), np.inf, ratio)
    index = np.unravel_index(int(np.argmax(ratio)), ratio.shape) if ratio.ndim else ()
    err, t = float(diff[index]), float(tol[index])
    shown = f"[{', '.join(str(int(i)) for i in index)}]" if index else ""
    finding = f"{name}{shown} = {float(value[index]):.9g}, the reference gives {float(exact[index]):.9g}"
    return Measurement(err, t, name, {"finding": finding})


def compare(kernel, case: KernelCase, call, ref=None, magnitude: bool = False) -> Measurement:
    """The worst of the loss and of every gradient that is required, against the reference (float64 unless given)."""
    if call.failed:
        return broken("call", f"the kernel raised {call.error}")
    ref64 = reference.evaluate(case)
    ref = ref64 if ref is None else ref
    tol = bounds(case, ref64, kernel.accumulates_in, magnitude=magnitude)
    parts = [_entry_measurement("loss", np.asarray(call.loss, dtype=np.float64), ref.loss, tol["loss"])]
    for name in case.requires_grad:
        if name not in call.grads:
            continue  # loss only (backward=False)
        got = call.grads[name]
        if got is None:
            parts.append(broken(f"grad {name}", f"no gradient for {name}, which requires grad "
                                                 f"(requires_grad: {', '.join(case.requires_grad)})"))
            continue
        parts.append(_entry_measurement(f"grad {name}", got, ref.grads[name], tol[name]))
    return worse(*parts)


def _run(ctx: CheckContext, strategy, what: str, backward: bool = True, magnitude=False, judge=None) -> Evidence:
    probe = Probe(ctx.impl, magnitude, judge)

    def how(case):
        return probe.measure(case, backward)

    outcome = search(strategy, how, settings=ctx.settings)
    return probe.evidence(outcome, what)


def _not_for(ctx, contract: str, why: str) -> Evidence | None:
    if ctx.impl.contract == contract:
        return Evidence(SKIPPED, summary=f"skipped: not part of the {contract} contract: {why}")
    return None


def _run_with_and_without_ignored_rows(ctx, what: str, **option) -> Evidence:
    """The search of an option's claim over cases with no ignored row and with some (an option and ignore_index
    interact in the mean's denominator, where published kernels went wrong)."""
    strategy = st.sampled_from(("none", "some")).flatmap(
        lambda ignored: strategies.cases(ctx.impl, ignored=ignored, **option))
    return _run(ctx, strategy, what)


NO_OPTIONS = "f(logits, labels) takes no options (no reduction, ignore_index, smoothing or class weights)"


# --------------------------------------------------------------------------
# The claims, in the order of claims.toml


@claim("kernel.loss")
def check_loss(ctx: CheckContext) -> Evidence:
    return _run(ctx, strategies.cases(ctx.impl, requires_grad=()), "loss for each reduction", backward=False)


@claim("kernel.vjp")
def check_vjp(ctx: CheckContext) -> Evidence:
    # every example tries each reduction: the per-row cotangent of "none" and the scalar one of "mean" and "sum"
    strategy = st.tuples(*(strategies.cases(ctx.impl, reductions=(r,)) for r in reference.REDUCTIONS))

    def measure(probe):
        def one(three):
            found = [probe.measure(case) for case in three]
            return None if any(m is None for m in found) else worse(*found)

        return one

    def confirm_worst(probe):
        return lambda three: probe.confirm(max(three, key=lambda c: probe.measure(c).ratio))

    probe = Probe(ctx.impl)
    outcome = search(strategy, measure(probe), settings=ctx.settings)
    probe.confirm_case = confirm_worst(probe)
    return probe.evidence(outcome, "gradients as VJPs of per-row and non-unit cotangents",
                          to_dict=lambda three: [c.to_dict() for c in three])


@claim("kernel.ignore_index")
def check_ignore_index(ctx: CheckContext) -> Evidence:
    skip = _not_for(ctx, "jax-ce", NO_OPTIONS)
    if skip:
        return skip
    return _run(ctx, strategies.cases(ctx.impl, ignored="some"), "ignore_index (-100 or a real class)")


def _all_ignored(kernel, case: KernelCase, call, ref=None, magnitude=False) -> Measurement:
    """Every row ignored: sum and none against the reference (0, zero gradients); mean: the loss NaN or 0, the
    gradients all zero or all NaN (ALL_IGNORED_MEAN)."""
    if case.reduction != "mean" or call.failed:
        return compare(kernel, case, call, ref, magnitude)
    loss = np.asarray(call.loss, dtype=np.float64)
    if loss.shape != ():
        return broken("loss", f"loss: shape {list(loss.shape)}, expected a scalar")
    if not (np.isnan(loss) or loss == 0):
        return broken("loss", f"loss = {float(loss):.9g}; the contract accepts {ALL_IGNORED_MEAN}")
    for name in case.requires_grad:
        got = call.grads.get(name)
        if got is None:
            continue  # no gradient reached the inputs: nothing to pull back
        if not (np.all(got == 0) or np.all(np.isnan(got))):
            return broken(f"grad {name}", f"grad {name} is neither all zeros nor all NaN: {got.tolist()}")
    return Measurement(0.0, 0.0, "loss")


@claim("kernel.all_ignored")
def check_all_ignored(ctx: CheckContext) -> Evidence:
    skip = _not_for(ctx, "jax-ce", NO_OPTIONS)
    if skip:
        return skip
    return _run(ctx, strategies.cases(ctx.impl, ignored="all"), f"every row ignored (mean: {ALL_IGNORED_MEAN})",
                judge=_all_ignored)


@claim("kernel.label_smoothing")
def check_label_smoothing(ctx: CheckContext) -> Evidence:
    skip = _not_for(ctx, "jax-ce", NO_OPTIONS)
    if skip:
        return skip
    return _run_with_and_without_ignored_rows(ctx, "label smoothing over all K classes", smoothing=True)


@claim("kernel.class_weights")
def check_class_weights(ctx: CheckContext) -> Evidence:
    skip = _not_for(ctx, "jax-ce", NO_OPTIONS)
    if skip:
        return skip
    skip = _not_for(ctx, "torch-linear-ce", "its signature has no class weights")
    if skip:
        return skip
    return _run_with_and_without_ignored_rows(ctx, "class weights (the mean over the targets' weights)",
                                              class_weights=True)


@claim("kernel.probability_targets")
def check_probability_targets(ctx: CheckContext) -> Evidence:
    weighted = (False,) if ctx.impl.contract == "torch-linear-ce" else (False, True)
    strategy = st.tuples(st.booleans(), st.sampled_from(weighted)).flatmap(
        lambda o: strategies.cases(ctx.impl, probability_targets=True, smoothing=o[0], class_weights=o[1]))
    return _run(ctx, strategy, "probability targets")


@claim("kernel.large_offset")
def check_large_offset(ctx: CheckContext) -> Evidence:
    strategy = strategies.cases(ctx.impl, scales=(1.0,), offsets=strategies.OFFSETS)
    return _run(ctx, strategy, "large common offsets (up to 1e4) in every declared dtype")


@claim("kernel.extreme_logits")
def check_extreme_logits(ctx: CheckContext) -> Evidence:
    # held to the backward-stable bound (the logits' magnitude allowed for): this claim is about overflow; the
    # precision at a large offset is kernel.large_offset's
    return _run(ctx, strategies.cases(ctx.impl, scales=strategies.EXTREME_SCALES), "extreme logits (up to 1e4)",
                magnitude=True)


def subsets(names) -> list[tuple[str, ...]]:
    """Every subset of ``names``, the empty one first."""
    return [s for r in range(len(names) + 1) for s in itertools.combinations(names, r)]


@claim("kernel.grad_subsets")
def check_grad_subsets(ctx: CheckContext) -> Evidence:
    def measure(probe):
        def one(case):
            present = [n for n in GRAD_INPUTS[case.contract] if n != "bias" or case.bias is not None]
            found = []
            for subset in subsets(present):
                m = probe.measure(KernelCase(**{**vars(case), "requires_grad": subset,
                                                "tags": {**case.tags, "requires_grad": list(subset)}}))
                if m is None:
                    return None
                found.append(m)
            return worse(*found)

        return one

    def to_every_subset(probe):
        one = measure(probe)

        def checked(case):
            m = one(case)
            if m is not None and m.violated:  # the counterexample names the subset that fails
                present = [n for n in GRAD_INPUTS[case.contract] if n != "bias" or case.bias is not None]
                for subset in subsets(present):
                    sub = KernelCase(**{**vars(case), "requires_grad": subset})
                    mm = probe.measure(sub)
                    if mm is not None and mm.violated:
                        mm.details["finding"] = (f"requires_grad {list(subset) or 'none'}: "
                                                 + (mm.details.get("finding") or mm.details.get("problem", "")))
                        return mm
            return m

        return checked

    def confirm_every_subset(probe):
        def confirm(case):  # the re-check of each subset's case; confirmed where one is
            present = [n for n in GRAD_INPUTS[case.contract] if n != "bias" or case.bias is not None]
            found = {}
            for subset in subsets(present):
                found = probe.confirm(KernelCase(**{**vars(case), "requires_grad": subset}))
                if found.get("confirmed"):
                    return {**found, "finding": f"requires_grad {list(subset) or 'none'}: {found.get('finding', '')}"}
            return found

        return confirm

    probe = Probe(ctx.impl)
    outcome = search(strategies.cases(ctx.impl), to_every_subset(probe), settings=ctx.settings)
    probe.confirm_case = confirm_every_subset(probe)
    return probe.evidence(outcome, "gradients for every subset of inputs requiring grad")


@claim("kernel.square_shapes")
def check_square_shapes(ctx: CheckContext) -> Evidence:
    return _run(ctx, strategies.cases(ctx.impl, square=True), "square shapes (K == H, or N == K)")


@claim("kernel.inputs_unchanged")
def check_inputs_unchanged(ctx: CheckContext) -> Evidence:
    written: set[str] = set()

    def unchanged(kernel, case, call, ref=None, magnitude=False):
        written.update(call.wrote_into)
        if call.wrote_into and not kernel.inplace_input:
            return broken("inputs", f"wrote into {', '.join(call.wrote_into)} (not declared: inplace_input = True)")
        return compare(kernel, case, call, ref, magnitude)

    ev = _run(ctx, strategies.cases(ctx.impl), "inputs unchanged unless declared", judge=unchanged)
    if ctx.impl.inplace_input:
        ev.notes.append(f"declares inplace_input = True; handed fresh tensors; wrote into: "
                        f"{', '.join(sorted(written)) or 'nothing'}; its loss and gradients were checked")
    return ev


@claim("kernel.repeatable")
def check_repeatable(ctx: CheckContext) -> Evidence:
    def measure(probe):
        def one(case):
            first, second = probe.call(case), probe.call(case)
            if first is None or second is None:
                return None
            ref = reference.evaluate(case)
            tol = bounds(case, ref, probe.kernel.accumulates_in)
            if first.failed or second.failed:
                return broken("call", f"the kernel raised {first.error or second.error}")
            parts = [_entry_measurement("loss (second call)", np.asarray(second.loss), np.asarray(first.loss), tol["loss"])]
            for name, g in first.grads.items():
                if g is not None and second.grads.get(name) is not None:
                    parts.append(_entry_measurement(f"grad {name} (second call)", second.grads[name], g, tol[name]))
            return worse(*parts)

        return one

    probe = Probe(ctx.impl)
    outcome = search(strategies.cases(ctx.impl), measure(probe), settings=ctx.settings)
    if probe.skip:
        return probe.evidence(outcome, "")
    # The two calls are compared with each other: exact, no re-check in higher precision is needed.
    return search_evidence(outcome, what="two calls on the same inputs agree", to_dict=KernelCase.to_dict)

"""Evidence builders: the one way to turn a search, an experiment, exact identities or several parts into Evidence.

Every claim of every paper builds its evidence with these functions, so that
a verdict means the same thing everywhere:

* :func:`search_evidence` (and :func:`searched`, which runs the search too):
  a Hypothesis search for a violation, re-checked in high precision;
* :func:`experiment_evidence`: named boolean checks of an experiment;
* :func:`exact_evidence`: identities verified exactly (SymPy, rationals);
  a failing identity is not a search result;
* :func:`all_parts_hold`: several checks of one claim, each an Evidence;
* :func:`holds_under`: a ``holds-under`` claim from its two halves;
* :func:`series` and :func:`figure`: plot data for the report (no images).

A part's evidence is kept in full in the combined one (:func:`summary_of`),
and its figures and notes are carried over, so nothing a part found is lost.
"""

from __future__ import annotations

import numpy as np

from .claims import ERROR, HOLDS, HOLDS_UNDER, REFUTED, UNCONFIRMED, Evidence
from .search import SearchOutcome, search

# A result's error column reads ``worst_error`` against ``tolerance`` as a search's Measurement does (violated
# when error > tolerance). Evidence whose two numbers mean something else declares it under this key of its
# measurements (:func:`declared_measure`), so that the report says what they are instead of guessing.
MEASURE_KEY = "measure"
# worst_error is a test's p-value and tolerance its level: the data reject the statement when p <= level.
P_VALUE = "p-value"
MEASURE_KINDS = (P_VALUE,)


def declared_measure(kind: str) -> dict:
    """``{MEASURE_KEY: kind}``, to merge into an Evidence's measurements; ``kind`` one of MEASURE_KINDS."""
    if kind not in MEASURE_KINDS:
        raise ValueError(f"measure kind: expected one of {MEASURE_KINDS}, got {kind!r}")
    return {MEASURE_KEY: kind}


# The report draws each series as a line; more points than a page has pixels
# add bytes to the HTML and the PDF and nothing to the picture.
MAX_FIGURE_POINTS = 200


def problem_to_dict(pb) -> dict:
    """A drawn SoftmaxProblem (or any object with array attributes) as plain JSON data."""
    out, dtypes = {}, {}
    for name in ("X", "W", "Y", "V", "sample_weight"):
        value = getattr(pb, name, None)
        if value is not None:
            out[name] = np.asarray(value).tolist()
            dtypes[name] = str(np.asarray(value).dtype)
    if dtypes:  # JSON numbers carry no dtype; the report shows it and builds the arrays again with it
        out["dtypes"] = dtypes
    if getattr(pb, "tags", None):
        out["tags"] = dict(pb.tags)
    if hasattr(pb, "X") and hasattr(pb, "W"):
        out["shape (N, D, K)"] = [int(pb.X.shape[0]), int(pb.X.shape[1]), int(np.asarray(pb.W).shape[1])]
    return out


def search_evidence(
    outcome: SearchOutcome,
    *,
    what: str,
    to_dict=problem_to_dict,
    confirm=None,
    measurements=None,
    construction: str = "",
) -> Evidence:
    """Evidence from a search for a violation of a property.

    * ``error`` when no example was measured (every one drawn fell outside
      the claim's hypotheses): a search without a valid example shows nothing.
    * ``holds`` when no example violates the property.
    * Otherwise the shrunk counterexample is re-checked by ``confirm``, which
      re-evaluates the same quantity on the same inputs in high precision and
      returns a dict with ``confirmed``, ``method`` and, when confirmed, a
      ``finding`` (what is wrong, the value beside the expected one).
      Confirmed: ``refuted``. Dismissed (``confirmed`` False: the
      high-precision value agrees with the measured one, the violation was
      rounding): ``holds``, with a note. Neither (``confirmed`` None or
      missing, or ``confirm`` raised): ``unconfirmed``, which fails the check
      and never becomes ``holds``. Without ``confirm`` (exact measurements)
      a violation is ``refuted`` directly.

    ``found_by_search`` is True only when some examples passed; where every
    example violates, or ``construction`` says the counterexample was built
    by the measurement (one line, shown as "constructed"), it is False.
    """
    worst = outcome.worst
    ev = Evidence(
        verdict=HOLDS,
        examples=outcome.examples,
        worst_error=None if worst is None else float(worst.error),
        tolerance=None if worst is None else float(worst.tolerance),
        quantity="" if worst is None else worst.quantity,
        measurements=dict(measurements or {}),
    )
    if outcome.examples == 0:
        ev.verdict = ERROR
        ev.summary = f"{what}: no valid example: every example drawn was outside the claim's hypotheses"
        return ev
    if not outcome.found:
        ev.summary = f"{what}: no violation in {outcome.examples} examples"
        if worst is not None:
            ev.summary += f" ({worst_in_words(worst)})"
        return ev
    m = outcome.counterexample_measurement
    ev.counterexample = to_dict(outcome.counterexample)
    ev.found_by_search = not construction and outcome.passing > 0
    if not ev.found_by_search:
        ev.construction = construction or (
            f"every example measured violates the property ({outcome.violating} of {outcome.examples}): "
            f"no search was needed to find one")
    ev.measurements["counterexample"] = {"quantity": m.quantity, "error": m.error, "tolerance": m.tolerance, **m.details}
    ev.quantity, ev.worst_error, ev.tolerance = m.quantity, float(m.error), float(m.tolerance)
    if confirm is not None:
        try:
            ev.high_precision = dict(confirm(outcome.counterexample))
        except Exception as exc:  # noqa: BLE001 - a re-check that breaks confirms nothing and dismisses nothing
            ev.high_precision = {"method": "high-precision re-check", "confirmed": None,
                                 "finding": f"the re-check raised {type(exc).__name__}: {exc}"}
        confirmed = ev.high_precision.get("confirmed")
        if confirmed is False:
            ev.summary = (
                f"{what}: a float violation ({m.quantity} error {m.error:.2e} > {m.tolerance:.2e}) was dismissed: "
                f"the high-precision re-check of the same quantity agrees; a rounding artifact of the measurement"
            )
            ev.notes.append("dismissed float violation; counterexample kept for inspection")
            return ev
        if confirmed is None:
            ev.verdict = UNCONFIRMED
            why = ev.high_precision.get("finding") or "the re-check gave no answer"
            ev.summary = (f"{what}: violated ({violation(m)}), and the high-precision re-check could neither confirm "
                          f"nor dismiss it: {why}")
            return ev
    ev.verdict = REFUTED
    finding = (ev.high_precision or {}).get("finding") or violation(m)
    origin = ("counterexample shrunk by Hypothesis" if ev.found_by_search
              else "counterexample constructed" if construction else "every example violates (no search needed)")
    ev.summary = f"{what}: violated: {finding}; {origin}"
    if ev.high_precision:
        ev.summary += f"; confirmed with {ev.high_precision.get('method', 'high precision')}"
    return ev


def worst_in_words(m) -> str:
    """The worst measurement of a search that found no violation, with what its numbers mean: a tolerance of
    0 is an exact property, a negative value an inequality holding with that margin."""
    if m.tolerance == 0:
        return f"worst {m.quantity} {m.error:.3g}; exact: tolerance 0"
    if m.error == 0:  # the largest error / tolerance is 0: the tolerance of an arbitrary example says nothing
        return f"worst {m.quantity} 0: no example measured above 0"
    if m.error < 0:
        return f"worst {m.quantity} {m.error:.3g}: below its bound, the inequality holds with that margin"
    return f"worst {m.quantity} error {m.error:.2e}, tolerance {m.tolerance:.2e}"


def violation(m) -> str:
    """What a violated measurement says: the implementation's own failure if it has one, else error > tolerance."""
    said = m.details.get("problem") or m.details.get("finding")
    return said or f"{m.quantity} error {m.error:.3e} > tolerance {m.tolerance:.3e}"


def experiment_evidence(what: str, checks: dict, *, examples: int, measurements=None, figures=None, notes=()) -> Evidence:
    """Evidence of an experiment: ``holds`` when every named check (bool) passed, else ``refuted``."""
    failed = [name for name, ok in checks.items() if not ok]
    ev = Evidence(
        verdict=HOLDS if not failed else REFUTED,
        examples=examples,
        measurements={**(measurements or {}), "checks": {name: bool(ok) for name, ok in checks.items()}},
        figures=list(figures or []),
        notes=list(notes),
    )
    ev.summary = f"{what}: " + ("every check passed" if not failed else "failed: " + ", ".join(failed))
    return ev


def searched(ctx, strategy, measure, *, what: str, confirm=None, to_dict=problem_to_dict, label=None,
             steer=None, construction: str = "") -> Evidence:
    """Run one search for a violation under the context's settings and return its :func:`search_evidence`.

    ``steer`` is passed to :func:`verify.harness.search.search` (a second
    target toward the corner where the claim is most exposed).
    """
    outcome = search(strategy, measure, settings=ctx.settings, label=label or what, steer=steer)
    return search_evidence(outcome, what=what, confirm=confirm, to_dict=to_dict, construction=construction)


def exact_evidence(what: str, identities: dict, *, measurements=None) -> Evidence:
    """Evidence of identities checked exactly: ``identities`` maps a name to True when it holds exactly.

    ``holds`` when every identity holds; ``refuted`` otherwise, with the names
    of the failing ones as the counterexample. Nothing is searched, so
    ``found_by_search`` is False.
    """
    failed = [name for name, ok in identities.items() if not ok]
    ev = Evidence(
        verdict=HOLDS if not failed else REFUTED,
        examples=len(identities),
        measurements={"identities": {name: bool(ok) for name, ok in identities.items()}, **(measurements or {})},
    )
    if failed:
        ev.summary = f"{what}: not identically zero: {', '.join(failed)}"
        ev.counterexample = {"identities not zero": failed}
        ev.found_by_search = False
    else:
        ev.summary = f"{what}: every identity holds exactly ({', '.join(identities)})"
    return ev


def summary_of(ev: Evidence) -> dict:
    """A part's evidence as a measurement entry of the combined evidence: everything it found."""
    out = {"verdict": ev.verdict, "summary": ev.summary, "examples": ev.examples}
    if ev.quantity:
        out.update(quantity=ev.quantity, worst_error=ev.worst_error, tolerance=ev.tolerance)
    if ev.counterexample is not None:
        out.update(counterexample=ev.counterexample, found_by_search=ev.found_by_search)
        if ev.construction:
            out["construction"] = ev.construction
    if ev.high_precision is not None:
        out["high_precision"] = ev.high_precision
    if ev.measurements:
        out["measurements"] = ev.measurements
    if ev.notes:
        out["notes"] = list(ev.notes)
    return out


def _take_finding(ev: Evidence, part: Evidence) -> None:
    """Make ``part``'s measured quantity and counterexample the combined evidence's."""
    ev.quantity, ev.worst_error, ev.tolerance = part.quantity, part.worst_error, part.tolerance
    ev.counterexample, ev.found_by_search, ev.high_precision = part.counterexample, part.found_by_search, part.high_precision
    ev.construction = part.construction


def _closest_to_failing(parts) -> Evidence | None:
    """The part whose worst error came closest to its tolerance (largest ratio), if any part measured one."""
    measured = [p for p in parts if p.quantity and p.worst_error is not None and p.tolerance]
    return max(measured, key=lambda p: p.worst_error / p.tolerance, default=None)


def _combined(parts, *, measurements, figures, notes) -> Evidence:
    parts = list(parts)
    return Evidence(
        verdict=HOLDS,
        examples=sum(p.examples for p in parts),
        measurements=measurements,
        figures=list(figures or []) + [f for p in parts for f in p.figures],
        notes=list(notes) + [n for p in parts for n in p.notes],
    )


def all_parts_hold(what: str, parts: dict, *, measurements=None, figures=None, notes=()) -> Evidence:
    """One Evidence from several checks of one claim: ``holds`` when every part holds.

    Otherwise the first part (in the order given) that does not hold decides
    the verdict (``refuted``, ``error``, ...), and its counterexample (found,
    shrunk, confirmed) becomes the claim's. When every part holds, the worst
    error shown is that of the part that came closest to its tolerance.
    """
    ev = _combined(parts.values(), measurements={"parts": {n: summary_of(p) for n, p in parts.items()},
                                                 **(measurements or {})}, figures=figures, notes=notes)
    failing = [(name, p) for name, p in parts.items() if p.verdict != HOLDS]
    if not failing:
        closest = _closest_to_failing(parts.values())
        if closest is not None:
            ev.quantity, ev.worst_error, ev.tolerance = closest.quantity, closest.worst_error, closest.tolerance
        ev.summary = f"{what}: every part holds (" + "; ".join(f"{n}: {p.summary}" for n, p in parts.items()) + ")"
        return ev
    name, bad = failing[0]
    ev.verdict = bad.verdict
    ev.summary = f"{what}: part '{name}' does not hold: {bad.summary}"
    _take_finding(ev, bad)
    return ev


def holds_under(what: str, under: Evidence, without: Evidence, hypothesis: str, *, measurements=None,
                figures=None, notes=()) -> Evidence:
    """Evidence of a ``holds-under`` claim, computed from its two halves.

    ``holds-under`` when the statement holds with ``hypothesis`` (``under``
    holds) and fails without it (``without`` is a confirmed refutation), with
    the counterexample found without it; ``under``'s verdict when the
    statement does not hold even under the hypothesis (``refuted``, or
    ``error`` when that check broke); ``error`` when the check without it
    broke, ``unconfirmed`` when its violation could not be re-checked;
    ``holds`` when nothing was found without it (the hypothesis then looks
    unnecessary).
    """
    ev = _combined((under, without), measurements={"with the hypothesis": summary_of(under),
                                                   "without the hypothesis": summary_of(without),
                                                   **(measurements or {})}, figures=figures, notes=notes)
    if under.verdict != HOLDS:
        ev.verdict = under.verdict
        ev.summary = f"{what}: fails even under '{hypothesis}': {under.summary}"
        _take_finding(ev, under)
    elif without.verdict in (ERROR, UNCONFIRMED):
        ev.verdict = without.verdict
        ev.summary = f"{what}: the check without '{hypothesis}' is {without.verdict}: {without.summary}"
    elif without.verdict == REFUTED:
        ev.verdict = HOLDS_UNDER
        ev.summary = f"{what}: holds under '{hypothesis}' ({under.summary}); without it: {without.summary}"
        _take_finding(ev, without)
    else:
        ev.summary = f"{what}: holds even without '{hypothesis}' ({without.summary})"
        ev.quantity, ev.worst_error, ev.tolerance = under.quantity, under.worst_error, under.tolerance
    return ev


def thinned(n: int, limit: int = MAX_FIGURE_POINTS) -> np.ndarray:
    """At most ``limit`` sorted indices of ``range(n)``, first and last kept.

    Half are evenly spaced and half geometrically, so that a curve keeps its
    shape on a linear axis and its early part on a logarithmic one
    (iteration counts, step sizes).
    """
    if n <= limit:
        return np.arange(n)
    half = limit // 2
    even = np.linspace(0, n - 1, half).round().astype(int)
    geometric = (np.geomspace(1, n, limit - half).round().astype(int) - 1).clip(0, n - 1)
    return np.unique(np.concatenate([even, geometric]))


def series(label: str, x, y, limit: int = MAX_FIGURE_POINTS) -> dict:
    """Plot data ``{"label", "x", "y"}`` of at most ``limit`` points (:func:`thinned`)."""
    x = np.asarray(x, dtype=np.float64).ravel()
    y = np.asarray(y, dtype=np.float64).ravel()
    keep = thinned(len(x), limit)
    return {"label": label, "x": [float(v) for v in x[keep]], "y": [float(v) for v in y[keep]]}


def figure(title: str, xlabel: str, ylabel: str, curves: list, *, xscale: str | None = None,
           yscale: str | None = None) -> dict:
    """A figure spec for the report; an axis scale left out is chosen by the report from the data."""
    fig = {"title": title, "xlabel": xlabel, "ylabel": ylabel, "series": curves}
    if xscale:
        fig["xscale"] = xscale
    if yscale:
        fig["yscale"] = yscale
    return fig

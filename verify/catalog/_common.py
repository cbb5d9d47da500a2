"""Helpers shared by the claim modules: turning searches into evidence, and problems into JSON."""

from __future__ import annotations

import numpy as np

from ..claims import HOLDS, REFUTED, Evidence
from ..search import SearchOutcome


def problem_to_dict(pb) -> dict:
    """A drawn SoftmaxProblem (or any object with array attributes) as plain JSON data."""
    out = {}
    for name in ("X", "W", "Y", "V", "sample_weight"):
        value = getattr(pb, name, None)
        if value is not None:
            out[name] = np.asarray(value).tolist()
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
) -> Evidence:
    """Evidence from a search for a violation of a property.

    ``holds`` when no violation was found in ``outcome.examples`` examples;
    ``refuted`` when one was found and, if ``confirm`` is given, the
    high-precision re-check of the shrunk counterexample agrees. ``confirm``
    maps the counterexample to a dict with at least ``confirmed`` (bool),
    ``method`` and the high-precision value(s). A violation that the
    re-check does not confirm is reported as a rounding artifact: the claim
    is then *not* refuted.
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
    if not outcome.found:
        ev.summary = f"{what}: no violation in {outcome.examples} examples"
        if worst is not None:
            ev.summary += f" (worst {worst.quantity} error {worst.error:.2e}, tolerance {worst.tolerance:.2e})"
        return ev
    m = outcome.counterexample_measurement
    ev.counterexample = to_dict(outcome.counterexample)
    ev.found_by_search = True
    ev.measurements["counterexample"] = {"quantity": m.quantity, "error": m.error, "tolerance": m.tolerance, **m.details}
    ev.quantity, ev.worst_error, ev.tolerance = m.quantity, float(m.error), float(m.tolerance)
    if confirm is not None:
        ev.high_precision = confirm(outcome.counterexample)
        if not ev.high_precision.get("confirmed", False):
            ev.summary = (
                f"{what}: a float violation ({m.quantity} error {m.error:.2e} > {m.tolerance:.2e}) was NOT confirmed "
                f"in high precision; treated as a rounding artifact"
            )
            ev.notes.append("unconfirmed float violation; counterexample kept for inspection")
            return ev
    ev.verdict = REFUTED
    ev.summary = f"{what}: violated ({m.quantity} error {m.error:.3e} > tolerance {m.tolerance:.3e}), counterexample shrunk by Hypothesis"
    if ev.high_precision:
        ev.summary += f", confirmed with {ev.high_precision.get('method', 'high precision')}"
    return ev


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

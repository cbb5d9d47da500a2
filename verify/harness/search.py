"""Hypothesis-driven search for the worst violation of a property.

``search(strategy, measure)`` draws examples, steers toward larger violations
with ``hypothesis.target``, and, when an example violates the property, lets
Hypothesis shrink it to a minimal counterexample. No explicit example is ever
supplied; whether a counterexample was *found* (some examples passed) or the
property fails at every point drawn is counted (:class:`SearchOutcome`).
"""

from __future__ import annotations

import math
import os
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, Callable

from hypothesis import given, seed as hseed, settings as hsettings, target
from hypothesis.errors import Unsatisfiable

# The environment variable that seeds every search (an integer); unset, the
# profile decides (``ci``: derandomized, the same examples in every run).
# It travels to the worker processes of ``--jobs N`` with the environment.
SEED_VARIABLE = "LOSSPROOF_SEARCH_SEED"


def search_seed() -> int | None:
    """The seed ``LOSSPROOF_SEARCH_SEED`` sets, or None; ``ValueError`` naming it when it is not an integer."""
    text = os.environ.get(SEED_VARIABLE, "").strip()
    if not text:
        return None
    try:
        return int(text)
    except ValueError:
        raise ValueError(f"{SEED_VARIABLE}: expected an integer seed, got {text!r}") from None


@contextmanager
def constants_from_no_module():
    """Hypothesis draws from no constant of the code imported so far while a search runs.

    Hypothesis (6.131 and later) mixes into its draws the literals of every
    "local" module (outside site-packages and the standard library) found in
    ``sys.modules`` when a test case starts, a pool that grows as modules are
    imported. So a search depended on what the process had imported before
    it: which catalog modules (a worker imports a claim's module when it first
    runs one of its claims), the report's modules, the tests' modules, a
    plug-in's module; the same claim gave different counterexamples from
    ``check`` and from ``report``. Hypothesis has no setting for it; while the
    search runs, the pool is the empty one, and the draws depend on the
    strategy, the profile and the seed alone. Its built-in constants (0, 1,
    the float edges, ...) stay.
    """
    try:
        from hypothesis.internal.conjecture import providers
        original = providers._get_local_constants
        empty = providers.Constants()
        cache = providers.CONSTANTS_CACHE
    except (ImportError, AttributeError):  # a Hypothesis without the pool: nothing varies
        yield
        return
    cache.cache.clear()  # it holds the pool's constants per kind of draw
    providers._get_local_constants = lambda: empty
    try:
        yield
    finally:
        providers._get_local_constants = original
        cache.cache.clear()


@dataclass
class Measurement:
    """How far one example is from violating the property.

    The property is violated when ``error > tolerance``. ``details`` holds
    the numbers a person would want to see for this example.
    """

    error: float
    tolerance: float
    quantity: str = ""
    details: dict = field(default_factory=dict)

    @property
    def violated(self) -> bool:
        return not (self.error <= self.tolerance)  # NaN counts as a violation

    @property
    def ratio(self) -> float:
        if self.tolerance > 0:
            return self.error / self.tolerance
        return math.inf if self.error > 0 else 0.0


def worse(*measurements: Measurement) -> Measurement:
    """The measurement closest to (or furthest past) its tolerance: several quantities of one example, as one."""
    return max(measurements, key=lambda m: m.ratio)


@dataclass
class SearchOutcome:
    """The result of one search.

    ``examples`` counts every measured call (generation, targeting and
    shrinking alike); ``violating`` and ``passing`` split them. A
    counterexample is *found by search* only if some examples passed: where
    every example measured violates, the property fails everywhere, and the
    search found nothing a single point would not have shown.
    """

    examples: int
    worst: Measurement | None
    counterexample: Any = None
    counterexample_measurement: Measurement | None = None
    violating: int = 0
    passing: int = 0

    @property
    def found(self) -> bool:
        return self.counterexample is not None


class _Violation(Exception):
    def __init__(self, example, measurement):
        super().__init__(f"{measurement.quantity}: error {measurement.error!r} > tolerance {measurement.tolerance!r}")
        self.example = example
        self.measurement = measurement


def search(
    strategy,
    measure: Callable[[Any], Measurement | None],
    *,
    settings=None,
    label: str = "error / tolerance",
    steer: Callable[[Any], float] | None = None,
) -> SearchOutcome:
    """Search ``strategy`` for an example whose measurement is violated.

    Parameters
    ----------
    strategy : a Hypothesis strategy of examples.
    measure : example -> Measurement, or None when the example is outside the
        claim's hypotheses (it is then not counted).
    settings : Hypothesis settings (the selected profile); the example
        database is always off, so every run searches afresh. With
        ``LOSSPROOF_SEARCH_SEED`` set, the search is seeded with it instead
        of following the profile's ``derandomize`` (``ci``'s fixed examples).
    steer : example -> float, optional. A second ``target()`` toward the
        corner of the strategy where the claim is most exposed (saturated
        logits, say) when the error alone does not lead there. It only
        directs the search: every example is still drawn and measured, and
        the verdict comes from ``measure`` alone.

    Returns
    -------
    SearchOutcome
        The number of examples measured, the worst measurement seen, and the
        shrunk counterexample with its measurement (if one was found).
    """
    state = {"examples": 0, "worst": None, "violating": 0, "passing": 0}
    base = settings if settings is not None else hsettings()

    @hsettings(base, database=None)
    @given(strategy)
    def probe(example):
        m = measure(example)
        if m is None:
            return
        state["examples"] += 1
        if steer is not None:
            pull = float(steer(example))
            target(pull if math.isfinite(pull) else 1e300, label="steer")
        ratio = m.ratio
        target(ratio if math.isfinite(ratio) else 1e300, label=label)
        if state["worst"] is None or not (ratio <= state["worst"].ratio):
            state["worst"] = m
        if m.violated:
            state["violating"] += 1
            raise _Violation(example, m)
        state["passing"] += 1

    chosen_seed = search_seed()
    if chosen_seed is not None:
        probe = hseed(chosen_seed)(probe)
    try:
        with constants_from_no_module():
            probe()
    except _Violation as found:  # raised last by the shrunk, minimal example
        return SearchOutcome(state["examples"], state["worst"], found.example, found.measurement,
                             state["violating"], state["passing"])
    except Unsatisfiable:
        pass
    return SearchOutcome(state["examples"], state["worst"], violating=state["violating"], passing=state["passing"])

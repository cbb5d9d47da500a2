"""Flakiness measured: the implementation claims of the built-in implementations under 20 search seeds.

``pytest -m flakiness`` (deselected otherwise: it takes minutes). Each seed
is given to every Hypothesis search through ``LOSSPROOF_SEARCH_SEED``
(``verify.harness.search``; it reaches the worker processes with the
environment), so each run draws other examples than the ``ci`` profile's
derandomized default; checks that draw no examples (fixed problems) are the
same in every run. No verdict may differ from the default run's: a verdict
that flips with the seed would make a report depend on luck. The README
records the last measurement (seeds x claims x implementations, flips, time).
"""

from __future__ import annotations

import time

import pytest

import impls
from verify.catalog import all_claims
from verify.harness.runner import cores, run
from verify.harness.search import SEED_VARIABLE

pytestmark = pytest.mark.flakiness

SEEDS = tuple(range(1, 21))


def _verdicts(monkeypatch, seed):
    if seed is None:
        monkeypatch.delenv(SEED_VARIABLE, raising=False)
    else:
        monkeypatch.setenv(SEED_VARIABLE, str(seed))
    results = run(all_claims(), list(impls.names()), include_math=False, jobs=cores())
    return {(r.claim.id, r.impl_name): r.evidence.verdict for r in results}


@pytest.fixture(scope="module")
def default_verdicts():
    with pytest.MonkeyPatch.context() as mp:
        return _verdicts(mp, None)


@pytest.mark.parametrize("seed", SEEDS)
def test_no_verdict_flips_with_the_search_seed(seed, default_verdicts, monkeypatch):
    start = time.perf_counter()
    seeded = _verdicts(monkeypatch, seed)
    flips = {key: (default_verdicts[key], verdict) for key, verdict in seeded.items() if verdict != default_verdicts.get(key)}
    claims = len({claim for claim, _ in seeded})
    print(f"seed {seed}: {claims} claims x {len(impls.names())} implementations, {len(seeded)} verdicts, "
          f"{len(flips)} flips, {time.perf_counter() - start:.0f} s")
    assert set(seeded) == set(default_verdicts)
    assert flips == {}, f"seed {seed}: verdicts that flip (default, seeded): {flips}"

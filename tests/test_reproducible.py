"""The same commit and profile give the same counterexamples and numbers from ``check`` and from ``report``.

Two fresh processes run the same refuted claims (searches that find and
shrink a counterexample, and one experiment) under the ``ci`` profile:

* as ``lossproof check --claim ... --jobs 1`` does, serially in one process,
  here one claim at a time in the reverse of the catalog's order;
* as the report's claims phase does, after the modules a report imports and
  after other searches have run in the same process, serially (``--jobs 1``)
  and in two worker processes (``--jobs 2``), which import each claim's
  module only when they first run one of its claims.

Every evidence field of every row must agree, timings aside
(``tests.results_compare``). What used to differ: Hypothesis's pool of
constants from the modules imported so far, which grew as a process imported
more of lossproof (``verify.harness.search.constants_from_no_module``), and
its 10-second rule for searching on after a first violation, which made a
search's length depend on the machine's load (``report_multiple_bugs`` is
off in ``ci``).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.results_compare import differences

ROOT = Path(__file__).resolve().parent.parent

# Refuted claims whose counterexample Hypothesis finds and shrinks (folklore.F9, F10 and F15, song2023's
# "f is not a probability vector"), and one experiment whose counterexample is a drawn problem (li2020.G2).
REFUTED = ("folklore.F9", "folklore.F10", "folklore.F15", "song2023.C10.f_probability", "li2020.G2")
# Run first in the report-like process: other searches, of other catalogs, so that its Hypothesis and its
# imports are in another state when the claims above run.
BEFORE = ("folklore.F1",)

_DRIVER = """
import json, sys
from verify.harness import results as results_doc
from verify.harness.runner import run, select
from verify.catalog import all_claims
import impls
mode, out, ids, before = sys.argv[1], sys.argv[2], sys.argv[3].split(","), sys.argv[4].split(",")
if mode.startswith("report"):  # the report's way: its modules imported, other searches first
    import verify.report, verify.bench, verify.report_job
    run(all_claims(), ["numpy"], patterns=before, jobs=1)
    results = run(all_claims(), ["numpy"], patterns=ids, jobs=2 if mode == "report-jobs-2" else 1)
else:  # check --jobs 1, one claim at a time, in the reverse order, in this process
    results = [r for claim_id in reversed(ids) for r in run(all_claims(), ["numpy"], patterns=[claim_id], jobs=1)]
    order = {c.id: i for i, c in enumerate(select(all_claims(), ids))}
    results.sort(key=lambda r: order[r.claim.id])
doc = results_doc.build(results, [impls.get("numpy")], "ci")
json.dump(doc, open(out, "w"))
"""


MODES = ("check", "report-jobs-1", "report-jobs-2")


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    """The three runs, each in a fresh process, started together (they share nothing but the machine)."""
    where = tmp_path_factory.mktemp("reproducible")
    started = {mode: subprocess.Popen([sys.executable, "-c", _DRIVER, mode, str(where / f"{mode}.json"), ",".join(REFUTED),
                                       ",".join(BEFORE)], cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
               for mode in MODES}
    for mode, process in started.items():
        _, err = process.communicate(timeout=300)
        assert process.returncode == 0, f"{mode}: {err[-3000:]}"
    return {mode: json.loads((where / f"{mode}.json").read_text()) for mode in MODES}


def test_the_claims_are_refuted_with_counterexamples(runs):
    """The comparison below is about counterexamples: every chosen claim is refuted with one, in every run."""
    for doc in runs.values():
        rows = {r["claim"]["id"]: r["evidence"] for r in doc["results"]}
        assert set(rows) == set(REFUTED)
        for claim_id, ev in rows.items():
            assert ev["verdict"] == "refuted" and ev.get("counterexample") is not None, claim_id


@pytest.mark.parametrize("report", ["report-jobs-1", "report-jobs-2"])
def test_check_and_report_give_the_same_evidence(runs, report):
    """Counterexamples, example counts, worst errors, re-checks: identical, whatever ran before and however many workers."""
    assert differences(runs["check"], runs[report]) == []


def _evidence(claim_id: str) -> dict:
    from verify.catalog import all_claims
    from verify.harness.runner import run

    (result,) = run(all_claims(), ["numpy"], patterns=[claim_id], jobs=1)
    ev = result.evidence.to_dict()
    ev.pop("duration_s")
    return ev


def test_a_search_seed_draws_other_examples_and_the_same_seed_the_same(monkeypatch):
    """LOSSPROOF_SEARCH_SEED reaches the searches: another seed, another search; the same seed, the same evidence."""
    from verify.harness.search import SEED_VARIABLE

    monkeypatch.delenv(SEED_VARIABLE, raising=False)
    default = _evidence("folklore.F10")
    monkeypatch.setenv(SEED_VARIABLE, "7")
    seeded = _evidence("folklore.F10")
    assert seeded == _evidence("folklore.F10")
    assert seeded != default and seeded["verdict"] == default["verdict"] == "refuted"
    monkeypatch.setenv(SEED_VARIABLE, "seven")  # the claim ends in error, and says why
    broken = _evidence("folklore.F10")
    assert broken["verdict"] == "error"
    assert "LOSSPROOF_SEARCH_SEED: expected an integer seed, got 'seven'" in broken["summary"]

"""The built-in benchmark runs on tiny sizes and writes a document that follows its schema (no timing is asserted)."""

import json

import numpy as np
import pytest

from verify import bench
from verify.cli import main

# Only what is smaller than the quick plan: the SymPy sizes, the exact accuracy point and one call per round
# are the quick plan's already.
TINY = bench.QUICK.with_(
    name="tiny",
    grid=((300, 6, 5),),
    hessian_grid=((40, 3, 3),),
    loops_grid=((6, 3, 3),),
    loops_hessian_grid=((3, 2, 2),),
    memory_sizes=(500, 1000),
    memory_shape=(4, 3),
    accuracy_extended=((50, 4, 3),),
    scaling_base={**bench.QUICK.scaling_base, "numpy": (200, 4, 3), "loops": (3, 2, 2)},
    scaling_factors={**bench.QUICK.scaling_factors, "numpy": (1, 2)},
    repeats=1,
    peers=("sklearn",),
    harness_claims=("folklore.F16",),
)


LINES: list[str] = []  # the progress lines of the module's run


@pytest.fixture(scope="module")
def document():
    return bench.run(TINY, progress=LINES.append)


def test_plan_steps_counts_the_progress_lines(document):
    """The benchmark's progress bar has as many steps as the run prints lines (one per measurement)."""
    assert len(LINES) == bench.plan_steps(TINY) > 10
    assert bench.plan_steps(TINY, sections=("memory",)) == len(TINY.memory_sizes)


def test_every_timing_says_whether_it_is_reliable(document):
    """A timing is reliable exactly when other processes' share of the CPU was within the derived BUSY_SHARE."""
    from verify.bench.run import BUSY_SHARE, TIMING_RESOLUTION

    # the bound 1 / (1 - s) on the slowdown equals 1 + the resolution at the threshold
    assert 1 / (1 - BUSY_SHARE) == pytest.approx(1 + TIMING_RESOLUTION)
    for t in document["timings"] + [p for p in document["peers"] if p.get("available")]:
        share = t["other_processes_cpu"]
        assert t["reliable"] == (share is None or share <= BUSY_SHARE)
    env = document["environment"]
    assert env["timings_reliable"] == (all(t["reliable"] for t in document["timings"])
                                       and (env["other_processes_cpu"] is None or env["other_processes_cpu"] <= BUSY_SHARE))


def test_harness_section_times_the_same_claims_serially_and_in_parallel(document):
    """The harness's speed-up is recorded for --jobs (and for --dask local where distributed is installed)."""
    runners = {h["runner"]: h for h in document["harness"]}
    assert set(runners) == {"jobs", "dask-local"}
    jobs = runners["jobs"]
    assert jobs["available"] and jobs["claims"] == ["folklore.F16"] and jobs["workers"] == 2
    assert jobs["speedup"] == pytest.approx(jobs["serial_seconds"] / jobs["parallel_seconds"])
    assert bench.document.SECTIONS[-1] == "harness"


def test_a_document_without_the_harness_section_still_reads(document):
    """Documents written before the harness section existed stay readable."""
    older = {k: v for k, v in document.items() if k != "harness"}
    bench.check_document(older)


def test_document_follows_the_schema(document):
    """Every section is present with the documented keys and types."""
    bench.check_document(document)
    assert document["schema"] == bench.SCHEMA == "lossproof.bench/1"
    assert json.loads(json.dumps(document, allow_nan=False)) == document


def test_every_section_has_records(document):
    """Timings, memory, accuracy and scaling all produced records; peers has one per peer (run or skipped)."""
    for section in ("timings", "memory", "accuracy", "scaling"):
        assert document[section], section
    assert {p["peer"] for p in document["peers"]} == {"sklearn"}


def test_timings_cover_every_implementation_and_operation(document):
    """numpy, loops and sympy each have loss, loss_grad, hvp and hessian; SymPy's derivation is separate."""
    seen = {(t["implementation"], t["operation"], t["phase"]) for t in document["timings"]}
    for name in ("numpy", "loops"):
        for op in bench.OPERATIONS:
            assert (name, op, "call") in seen
    for op in ("loss_grad", "hvp", "hessian"):
        assert ("sympy", op, "derivation") in seen
        assert ("sympy", op, "evaluation") in seen


def test_ratios_are_time_over_floor(document):
    """ratio_to_floor is seconds / floor_seconds, positive and finite; a derivation has no floor."""
    for t in document["timings"]:
        if t["phase"] == "derivation":
            assert t["floor_seconds"] is None and t["ratio_to_floor"] is None
        else:
            assert t["ratio_to_floor"] == pytest.approx(t["seconds"] / t["floor_seconds"])
            assert 0 < t["ratio_to_floor"] < np.inf


def test_accuracy_is_near_the_rounding_unit(document):
    """The gradient errors are a few eps at most (a generous bound: this checks the measurement, not a target)."""
    for a in document["accuracy"]:
        assert 0 <= a["max_relative_grad_error"] <= 1e3 * a["eps"], a


def test_targets_only_on_the_full_plan(document):
    """The issue's targets are stated for its sizes: the tiny plan evaluates none."""
    assert document["targets"] == []


def test_targets_are_evaluated_from_records():
    """evaluate_targets turns ratios into met / not met against the issue's limits."""
    doc = {
        "timings": [
            {"implementation": "numpy", "operation": "loss_grad", "N": 1, "D": 1, "K": 2, "dtype": "float64",
             "ratio_to_floor": 1.2, "floor": "f"},
            {"implementation": "numpy", "operation": "hessian", "N": 1, "D": 1, "K": 2, "dtype": "float64",
             "ratio_to_floor": 1.6, "floor": "f"},
        ],
        "peers": [
            {"peer": "torch", "available": True, "N": 100_000, "D": 256, "K": 64, "dtype": "float32", "ratio": 0.9},
            {"peer": "torch", "available": True, "N": 20_000, "D": 784, "K": 10, "dtype": "float32", "ratio": 1.5},
            {"peer": "jax", "available": True, "N": 20_000, "D": 784, "K": 10, "dtype": "float32", "ratio": 1.0},
            {"peer": "sklearn", "available": False, "version": None},
        ],
        "memory": [{"N": 10, "D": 1, "K": 2, "dtype": "float64", "extra_bytes": 100},
                   {"N": 100, "D": 1, "K": 2, "dtype": "float64", "extra_bytes": 105}],
    }
    met = {(t["id"], t["point"]["N"] if isinstance(t["point"]["N"], int) else 0): t["met"] for t in bench.evaluate_targets(doc)}
    assert met == {
        ("numpy.loss_grad.floor", 1): True,
        ("numpy.hessian.floor", 1): False,
        ("numpy.vs.torch", 100_000): True,
        ("numpy.vs.jax", 20_000): False,  # "faster than": a tie is not enough
        ("numpy.loss_grad.memory", 0): True,
    }


def test_targets_from_busy_timings_are_not_judged():
    """A target whose timing was taken while other processes used more than BUSY_SHARE of the CPU has met = None;
    the memory target is counted, not timed, and is judged whatever the load; the report says why."""
    from verify.bench.run import BUSY_SHARE
    from verify.report import benchmarks

    busy, quiet = BUSY_SHARE * 2, BUSY_SHARE / 2
    doc = {
        "timings": [
            {"implementation": "numpy", "operation": "loss_grad", "N": 1, "D": 1, "K": 2, "dtype": "float64",
             "ratio_to_floor": 1.0, "floor": "f", "other_processes_cpu": busy},
            {"implementation": "numpy", "operation": "hvp", "N": 1, "D": 1, "K": 2, "dtype": "float64",
             "ratio_to_floor": 1.0, "floor": "f", "other_processes_cpu": quiet},
        ],
        "peers": [{"peer": "jax", "available": True, "N": 2, "D": 1, "K": 2, "dtype": "float32", "ratio": 0.5,
                   "other_processes_cpu": 0.81}],
        "memory": [{"N": 10, "D": 1, "K": 2, "dtype": "float64", "extra_bytes": 100},
                   {"N": 100, "D": 1, "K": 2, "dtype": "float64", "extra_bytes": 100}],
    }
    targets = {t["id"]: t for t in bench.evaluate_targets(doc)}
    assert targets["numpy.loss_grad.floor"]["met"] is None and not targets["numpy.loss_grad.floor"]["judged"]
    assert targets["numpy.vs.jax"]["met"] is None
    assert targets["numpy.hvp.floor"]["met"] is True and targets["numpy.hvp.floor"]["judged"]
    assert targets["numpy.loss_grad.memory"]["met"] is True
    shown = {row[0]: row[-1] for row in benchmarks.tables({"environment": {}, "targets": list(targets.values())})[0]["rows"]}
    assert shown["numpy loss_grad time / jax time"] == "not judged: machine busy (other processes used 81% of the CPU)"
    assert shown["numpy loss_grad time / floor (f)"] == (
        f"not judged: machine busy (other processes used {100 * busy:.0f}% of the CPU)")
    assert shown["numpy hvp time / floor (f)"] == "yes"
    import io

    console = io.StringIO()
    bench.print_summary({"environment": {}, "plan": {"name": "full"}, "targets": list(targets.values())}, console)
    assert "not judged: machine busy (other processes used 81% of the CPU)" in console.getvalue()


def test_an_older_document_from_a_busy_run_shows_no_target_as_met():
    """A document written before targets carried ``judged`` is read by the run's share: busy, no timing target is met."""
    from verify.report import benchmarks

    target = {"id": "numpy.loss_grad.floor", "description": "d", "point": {"N": 1, "D": 1, "K": 2, "dtype": "float64"},
              "value": 1.0, "limit": 1.25, "comparison": "<=", "met": True}
    doc = {"environment": {"other_processes_cpu": 0.81}, "targets": [target]}
    assert benchmarks.target_status(doc, target) == "not judged: machine busy (other processes used 81% of the CPU)"
    assert benchmarks.target_status({"environment": {"other_processes_cpu": 0.01}}, target) == "yes"


def test_check_document_names_what_is_wrong(document):
    """A document with a missing key or a wrong schema is rejected with the place named."""
    bad = json.loads(json.dumps(document))
    del bad["timings"][0]["seconds"]
    with pytest.raises(ValueError, match=r"timings\[0\]: missing 'seconds'"):
        bench.check_document(bad)
    with pytest.raises(ValueError, match="schema"):
        bench.check_document({**document, "schema": "lossproof.bench/0"})


def test_cli_quick_bench_writes_the_json(tmp_path, monkeypatch, capsys):
    """`lossproof bench --quick` writes a valid document where --json says (sections limited to stay fast)."""
    monkeypatch.setattr(bench, "QUICK", TINY)
    out = tmp_path / "bench.json"
    assert main(["bench", "--quick", "--no-peers", "--only", "accuracy", "--only", "memory", "--json", str(out), "--quiet"]) == 0
    doc = bench.read(out)
    assert doc["plan"]["name"] == "tiny" and doc["plan"]["peers"] == []
    assert doc["accuracy"] and doc["memory"] and doc["timings"] == []
    assert str(out) in capsys.readouterr().out

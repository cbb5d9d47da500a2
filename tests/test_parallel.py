"""Claims in worker processes (--jobs) and on a Dask cluster (--dask): the same results as a serial run, in the serial order."""

import json
import os
import subprocess
import sys

import pytest

from tests import worker_probe
from tests.results_compare import differences
from tests.user_impls import MinimalSoftmaxCE
from verify.catalog import all_claims
from verify.harness.runner import implementation_spec, run

# A handful of math claims that take about a second each under the ci
# profile, refuted (counterexample, high-precision re-check) and holding.
FAST = ["folklore.F1", "folklore.F10", "folklore.F13", "folklore.F15"]
# Implementation claims that a minimal user implementation (loss and grad only) runs quickly.
IMPL_FAST = ["impl.shift_invariance", "impl.dtype_kept"]



def claim_args():
    return [a for c in FAST for a in ("--claim", c)]


def check_in_fresh_process(path, *options):
    """``lossproof check`` on FAST in a fresh process, as a user runs it; (results document, stderr).

    A fresh process, not this one, for the serial run and the parallel ones
    alike: a claim's last digits can depend on what the process ran or
    imported before it (see the README, "Determinism"), and worker processes
    started from the pytest process import pytest's main module first.
    """
    proc = subprocess.run([sys.executable, "-m", "verify.cli", "check", *options, "--json", str(path), *claim_args()],
                          capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return json.loads(path.read_text(encoding="utf-8")), proc.stderr


@pytest.fixture(scope="module")
def serial_doc(tmp_path_factory):
    """`lossproof check --jobs 1` on FAST, in a fresh process."""
    return check_in_fresh_process(tmp_path_factory.mktemp("serial") / "serial.json", "--jobs", "1", "--quiet")[0]


def test_jobs_2_gives_the_serial_results_in_the_serial_order(serial_doc, tmp_path):
    """`lossproof check --jobs 2` writes, row for row, the evidence `--jobs 1` writes (timings aside)."""
    parallel, err = check_in_fresh_process(tmp_path / "jobs2.json", "--jobs", "2")
    assert differences(serial_doc, parallel) == []
    assert [r["claim"]["id"] for r in parallel["results"]] == sorted(FAST)
    # The progress display: one line per finished claim, counted, also with workers in flight.
    total = len(parallel["results"])
    assert "running the claims in 2 worker processes" in err
    for done in range(1, total + 1):
        assert f"[{done:>3}/{total}]" in err


def test_dask_local_gives_the_serial_results(serial_doc, tmp_path):
    """`--dask local` (a LocalCluster of two workers) gives the serial run's evidence."""
    pytest.importorskip("distributed")
    dask_doc, _ = check_in_fresh_process(tmp_path / "dask.json", "--dask", "local", "--jobs", "2", "--quiet")
    assert differences(serial_doc, dask_doc) == []


def test_dask_needs_the_extra(monkeypatch):
    """Without `distributed`, `--dask` says which extra to install."""
    import builtins

    real_import = builtins.__import__

    def no_distributed(name, *args, **kwargs):
        if name == "distributed" or name.startswith("distributed."):
            raise ImportError("No module named 'distributed'")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_distributed)
    with pytest.raises(ImportError, match=r"\[distributed\]"):
        run(all_claims(), ["numpy"], patterns=FAST[:2], jobs=2, dask="local")


def test_a_plug_in_by_import_path_runs_in_the_workers_with_one_blas_thread_each():
    """An implementation named by its import path is rebuilt in each worker (another process), BLAS held to one thread."""
    results = run(all_claims(), ["tests.worker_probe:WhereSoftmaxCE"], include_math=False, patterns=IMPL_FAST, jobs=2)
    assert [r.claim.id for r in results] == sorted(IMPL_FAST)  # the serial order: claims by id
    assert all(r.matches for r in results), [r.failure_message() for r in results]
    names = {r.impl_name for r in results}
    assert all(n.startswith("where-pid") and f"pid{os.getpid()}-" not in n for n in names), names
    assert all(n.endswith("-blas1") or n.endswith("-blas0") for n in names), names  # blas0: no BLAS found


def test_an_unnameable_implementation_runs_serially_and_says_so():
    """An implementation given as an object cannot be rebuilt in a worker: its claims run here, with a message."""
    said = []
    probe = worker_probe.WhereSoftmaxCE()
    results = run(all_claims(), [probe], include_math=False, patterns=IMPL_FAST, jobs=2, notice=said.append)
    assert [r.impl_name for r in results] == [probe.name] * len(IMPL_FAST)
    assert f"pid{os.getpid()}-" in probe.name
    assert len(said) == 1 and "run serially in this process" in said[0] and probe.name in said[0]


def test_implementation_spec_names_what_a_worker_can_rebuild():
    class Local(MinimalSoftmaxCE):
        pass

    assert implementation_spec("numpy") == "numpy"
    assert implementation_spec("tests.user_impls:MinimalSoftmaxCE") == "tests.user_impls:MinimalSoftmaxCE"
    assert implementation_spec(MinimalSoftmaxCE) == "tests.user_impls:MinimalSoftmaxCE"
    assert implementation_spec(Local) is None
    assert implementation_spec(MinimalSoftmaxCE()) is None


def test_jobs_must_be_positive():
    with pytest.raises(ValueError, match="--jobs"):
        run(all_claims(), ["numpy"], patterns=FAST[:1], jobs=0)

"""Foreign code under limits (issue 17 points 3 and 7): a plug-in that hangs, raises or crashes its process gets that
finding on the claims that call the method, and every other claim still runs and gets its normal verdict; a result
that breaks the interface's contract (NaN, a list, a wrong shape, another dtype) is reported plainly, never judged.

The misbehaving plug-ins are in tests/hostile_impls.py; each changes one method of a correct implementation.
"""

import json
import signal
import subprocess
import sys

import numpy as np
import pytest
from hypothesis import settings

from tests import hostile_impls
from verify.catalog import all_claims
from verify.harness.claims import HOLDS, REFUTED, CheckContext, run_claim
from verify.harness.foreign import (CALL_TIME_FLOOR_S, CONSERVATIVE_OPERATIONS_PER_S, CallSlot, attempt,
                                    call_time_limit, contract_problem)
from verify.harness.workers import SupervisedPool

CLAIMS = {c.id: c for c in all_claims("implementation")}
CI = settings(settings.get_profile("ci"), database=None)
HOSTILE = "tests.hostile_impls:"


def run(claim_id, impl):
    return run_claim(CLAIMS[claim_id], CheckContext(impl=impl, settings=CI))


# --------------------------------------------------------------------------
# The result contract, one value at a time


W, X = np.zeros((2, 3)), np.zeros((4, 2))


@pytest.mark.parametrize("method, value, message", [
    ("grad", [[0.0] * 3] * 2, "grad returned a list, not a numpy.ndarray"),
    ("grad", np.zeros((3, 2)), "grad returned shape (3, 2), expected (2, 3)"),
    ("grad", np.zeros((2, 3), dtype=np.float32), "grad returned float32 for float64 input"),
    ("grad", np.array([[0, 0, 0], [0, np.inf, 0]]), "grad returned inf at [1, 1]"),
    ("loss", np.float64(np.nan), "loss returned nan"),
    ("loss", [0.5], "loss returned a list, not a float"),
    ("loss", np.zeros(1), "loss returned shape (1,), expected a scalar"),
    ("loss_grad", 0.5, "loss_grad returned a float, not the pair (loss, grad)"),
    ("loss_grad", (0.5, np.zeros(6)), "loss_grad grad returned shape (6,), expected (2, 3)"),
    ("hessian", np.zeros((6, 5)), "hessian returned shape (6, 5), expected (6, 6)"),
    ("probs", np.full((4, 3), np.nan), "probs returned nan at [0, 0]"),
])
def test_the_first_broken_promise_of_a_result_is_said_plainly(method, value, message):
    assert contract_problem(method, value, W, X) == message


@pytest.mark.parametrize("method, value", [
    ("loss", 0.5), ("loss", np.float64(0.5)), ("loss", np.array(0.5)), ("grad", np.zeros((2, 3))),
    ("loss_grad", (np.float64(0.5), np.zeros((2, 3)))), ("hvp", np.zeros((2, 3))), ("probs", np.full((4, 3), 1 / 3)),
])
def test_a_result_as_documented_keeps_the_contract(method, value):
    assert contract_problem(method, value, W, X) is None


def test_a_python_float_is_no_float32_loss():
    assert contract_problem("loss", 0.5, W.astype(np.float32), X.astype(np.float32)) == "loss returned float64 for float32 input"


# --------------------------------------------------------------------------
# Broken results fail the claims that call the method, with the contract's message; the others keep their verdict


@pytest.mark.parametrize("impl, failing, message, holding", [
    # all-NaN passed these two before (max(0.0, nan) is 0)
    (hostile_impls.ReturnsNaN(), ("impl.monotone_descent", "impl.dtype_kept"), "returned nan", ()),
    # lists passed these two before (np.asarray makes an array of them)
    (hostile_impls.ReturnsLists(), ("impl.gradient", "impl.dtype_kept"), "returned a list, not a numpy.ndarray",
     ("impl.loss_value",)),
    (hostile_impls.WrongShapeGrad(), ("impl.gradient", "impl.shift_invariance"), "grad returned shape",
     ("impl.loss_value", "impl.probs")),
    # (its grad, computed from the rounded probs, is rightly wrong too)
    (hostile_impls.Float32Probs(), ("impl.probs", "impl.dtype_kept"), "probs returned float32 for float64 input",
     ("impl.loss_value",)),
    (hostile_impls.WritesIntoX(), ("impl.inputs_unchanged",), "grad writes into X", ("impl.gradient", "impl.loss_value")),
    (hostile_impls.RaisingGrad(), ("impl.gradient",), "grad raised TypeError: unsupported operand", ("impl.loss_value",)),
], ids=lambda v: getattr(v, "name", None))
def test_a_broken_result_is_the_finding_of_the_claims_that_call_it(impl, failing, message, holding):
    for claim_id in failing:
        ev = run(claim_id, impl).evidence
        assert ev.verdict == REFUTED and message in ev.summary, (claim_id, ev.summary)
    for claim_id in holding:
        assert run(claim_id, impl).evidence.verdict == HOLDS, claim_id


def test_a_broken_result_is_a_finding_of_the_call_not_an_exception_of_it():
    from verify.harness.foreign import Watched

    call = attempt(Watched(hostile_impls.ReturnsNaN()).loss, W, X, np.eye(3)[[0, 1, 2, 0]])
    assert call.broke_contract and call.problem("loss") == "loss returned nan"


# --------------------------------------------------------------------------
# Time limits and crashes, in supervised workers


def test_the_default_call_limit_is_the_floor_plus_the_hessians_operations_at_the_conservative_rate():
    assert call_time_limit(6, 4, 5) == CALL_TIME_FLOOR_S + 6 * 4 * 5 * (1 + 20) / CONSERVATIVE_OPERATIONS_PER_S
    assert call_time_limit(10_000, 100, 10) > call_time_limit(10_000, 10, 10) > CALL_TIME_FLOOR_S


def test_the_call_slot_gives_back_the_arguments_of_the_call_in_progress():
    slot = CallSlot()
    args = {"W": np.arange(6.0).reshape(2, 3), "X": np.ones((4, 2), dtype=np.float32), "V": np.arange(3.0)}
    slot.enter("hvp", args, 2.5)
    method, elapsed, limit = slot.running()
    assert (method, limit) == ("hvp", 2.5) and 0 <= elapsed < 60
    back = slot.arguments()
    assert list(back) == list(args) and all(back[k].dtype == v.dtype and np.array_equal(back[k], v) for k, v in args.items())
    slot.leave()
    assert slot.running() is None
    slot.enter("loss", {"W": np.zeros((1, 2), dtype=object)}, 1.0)  # not a float array: not kept
    assert slot.arguments() is None


def test_a_pool_survives_a_hang_a_crash_and_a_raise_and_runs_the_next_task():
    seen = {}
    tasks = [
        ("sleeps", hostile_impls.call_watched, (HOSTILE + "SleepingLoss", "loss")),
        ("spins", hostile_impls.call_watched, (HOSTILE + "SpinningLoss", "loss")),
        ("segfaults", hostile_impls.call_watched, (HOSTILE + "SegfaultingHessian", "hessian")),
        ("raises", hostile_impls.call_watched, (HOSTILE + "ReturnsNaN", "loss")),
        ("answers", hostile_impls.call_watched, (HOSTILE + "SleepingLoss", "grad")),
    ]
    with SupervisedPool(1, call_limit_s=0.5) as pool:
        pool.run(tasks, lambda key, value, failure: seen.setdefault(key, (value, failure)))
    assert seen["sleeps"][1].kind == "timeout" and seen["sleeps"][1].finding == "timed out after 0.5 s in loss"
    assert seen["sleeps"][1].arguments["W"].shape == (2, 3)
    assert seen["spins"][1].finding == "timed out after 0.5 s in loss"
    assert seen["segfaults"][1].finding == f"crashed with signal {int(signal.SIGSEGV)} (SIGSEGV) in hessian"
    assert seen["raises"][1].kind == "harness" and "loss returned nan" in seen["raises"][1].finding
    value, failure = seen["answers"]
    assert failure is None and value.shape == (2, 3)


def test_check_reports_a_hanging_a_raising_and_a_crashing_plug_in_and_runs_every_other_claim(tmp_path):
    """`lossproof check --impl ... --call-timeout 1`: each finding on its claim, every other claim its normal verdict."""
    out = tmp_path / "check.json"
    plugins = ["SleepingLoss", "NullPointerHessian", "RaisingGrad"]  # SegfaultingHessian: in the pool's test
    claims = ["impl.loss_value", "impl.gradient", "impl.hessian_symmetric"]
    command = [sys.executable, "-m", "verify.cli", "check", "--call-timeout", "1", "--jobs", "2", "--quiet",
               "--hypothesis-profile", "quick", "--json", str(out)]
    command += [a for p in plugins for a in ("--impl", HOSTILE + p)] + [a for c in claims for a in ("--claim", c)]
    proc = subprocess.run(command, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 1, proc.stdout + proc.stderr  # mismatches, not a crash of the harness (nor 2)
    found = {(r["implementation"]["name"] if isinstance(r["implementation"], dict) else r["implementation"],
              r["claim"]["id"]): r["evidence"] for r in json.loads(out.read_text())["results"]}
    segv = f"crashed with signal {int(signal.SIGSEGV)} (SIGSEGV) in hessian"
    expected_findings = {
        ("hostile:sleeping-loss", "impl.loss_value"): "timed out after 1 s in loss",
        ("hostile:sleeping-loss", "impl.gradient"): "timed out after 1 s in loss",
        ("hostile:null-pointer-hessian", "impl.hessian_symmetric"): segv,
        ("hostile:raising-grad", "impl.gradient"): "grad raised TypeError",
    }
    assert len(found) == len(plugins) * len(claims)
    for key, ev in found.items():
        if key in expected_findings:
            assert ev["verdict"] == REFUTED and expected_findings[key] in ev["summary"], (key, ev["summary"])
        else:
            assert ev["verdict"] == HOLDS, (key, ev["summary"])
    timed_out = found[("hostile:sleeping-loss", "impl.loss_value")]
    assert timed_out["measurements"]["foreign failure"] == {"kind": "timeout", "method": "loss", "limit_s": 1.0,
                                                            "signal": None}
    assert timed_out["counterexample"]["shape (N, D, K)"]  # the inputs of the call that hung: the reproducer
    crashed = found[("hostile:null-pointer-hessian", "impl.hessian_symmetric")]["measurements"]["foreign failure"]
    assert crashed["kind"] == "crash" and crashed["signal"] == int(signal.SIGSEGV)


def test_a_call_timeout_must_be_a_positive_number_of_seconds():
    from verify.harness.runner import run as run_claims

    for bad in (0, -1.0, float("nan")):
        with pytest.raises(ValueError, match="--call-timeout: must be a positive number of seconds"):
            run_claims(all_claims(), ["numpy"], include_math=False, patterns=["impl.probs"], call_timeout=bad)


def test_serially_too_the_implementation_claims_run_in_a_supervised_worker():
    """`--jobs 1`: a hang is stopped at the limit, and the next claim runs in a fresh worker and holds."""
    from verify.harness.runner import run as run_claims

    results = run_claims(all_claims(), [HOSTILE + "SleepingLoss"], include_math=False,
                         patterns=["impl.loss_value", "impl.probs"], jobs=1, call_timeout=0.5)
    verdicts = {r.claim.id: (r.evidence.verdict, r.evidence.summary) for r in results}
    assert verdicts["impl.loss_value"][0] == REFUTED
    assert verdicts["impl.loss_value"][1].startswith("timed out after 0.5 s in loss")
    assert verdicts["impl.probs"][0] == HOLDS

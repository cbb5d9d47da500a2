"""The framework-kernel contracts (verify/catalog/kernels): the reference, its tolerances, the claims against torch,
the planted bugs of tests/kernels_planted.py, and (LOSSPROOF_SLOW_KERNEL_TESTS=1) Liger-Kernel under the Triton
interpreter.

The reference and tolerance tests need no torch. The others skip with the reason where torch is not installed
(CI installs only .[tests]); install the CPU build to run them: pip install torch --index-url
https://download.pytorch.org/whl/cpu.
"""

from __future__ import annotations

import importlib.util
import math
import os
import subprocess
import sys

import numpy as np
import pytest

from verify.catalog.kernels import reference as R
from verify.catalog.kernels.contract import round_to
from verify.catalog.kernels.tolerances import UNIT_ROUNDOFF, bounds, computing_roundoff

HAVE_TORCH = importlib.util.find_spec("torch") is not None
needs_torch = pytest.mark.skipif(not HAVE_TORCH, reason="torch is not installed (pip install torch --index-url "
                                                         "https://download.pytorch.org/whl/cpu)")


def case(**kw):
    rng = np.random.default_rng(kw.pop("seed", 0))
    n, k = kw.pop("n", 4), kw.pop("k", 3)
    fields = dict(contract="torch-ce", dtype="float64", logits=rng.normal(size=(n, k)),
                  target=rng.integers(0, k, size=n), requires_grad=("input",))
    fields.update(kw)
    return R.KernelCase(**fields)


# --------------------------------------------------------------------------
# The reference, without torch


def _loss_of_logits(c: R.KernelCase, z: np.ndarray) -> float:
    """The reference's output, pulled back with the case's cotangent (a scalar), at logits z."""
    out = R.evaluate(R.KernelCase(**{**vars(c), "logits": z})).loss
    return float(np.sum(np.asarray(c.cotangent) * out))


@pytest.mark.parametrize("options", [
    dict(reduction="none", cotangent=np.array([0.5, -2.0, 1.5, 3.0])),
    dict(reduction="mean", cotangent=-1.7, label_smoothing=0.3),
    dict(reduction="sum", cotangent=2.5, class_weight=np.array([0.2, 1.0, 2.5])),
    dict(reduction="mean", cotangent=0.75, class_weight=np.array([0.2, 1.0, 2.5]), label_smoothing=0.1,
         target=np.array([0, -100, 2, 1])),
    dict(reduction="mean", cotangent=1.3, target=np.array([[0.2, 0.3, 0.5], [1, 0, 0], [0, 0.5, 0.5], [0.1, 0.1, 0.8]]),
         label_smoothing=0.2),
], ids=["none", "smoothing", "weights", "weights-smoothing-ignored", "probabilities"])
def test_reference_vjp_is_the_derivative_of_its_loss(options):
    """The analytic VJP of the reference equals central differences of its own loss (step h = 1e-5: error
    O(h^2) ~ 1e-10 from the third derivative, O(eps / h) ~ 1e-11 from rounding; 1e-7 bounds both with room)."""
    c = case(**options)
    grad = R.evaluate(c).grads["input"]
    h, fd = 1e-5, np.zeros_like(c.logits)
    for i in np.ndindex(c.logits.shape):
        step = np.zeros_like(c.logits)
        step[i] = h
        fd[i] = (_loss_of_logits(c, c.logits + step) - _loss_of_logits(c, c.logits - step)) / (2 * h)
    assert np.max(np.abs(grad - fd)) < 1e-7


def test_reference_linear_chain_rule():
    """torch-linear-ce's gradients are the chain rule of the logits' VJP through hidden @ weight.T + bias."""
    rng = np.random.default_rng(1)
    h, w, b = rng.normal(size=(3, 4)), rng.normal(size=(5, 4)), rng.normal(size=5)
    c = R.KernelCase(contract="torch-linear-ce", dtype="float64", hidden=h, weight=w, bias=b,
                     target=np.array([0, 4, 2]), reduction="none", cotangent=np.array([1.0, -2.0, 0.5]))
    logits = R.KernelCase(contract="torch-ce", dtype="float64", logits=h @ w.T + b, target=c.target,
                          reduction="none", cotangent=c.cotangent)
    dz = R.evaluate(logits).grads["input"]
    ref = R.evaluate(c)
    np.testing.assert_allclose(ref.grads["hidden"], dz @ w, rtol=1e-13, atol=1e-14)
    np.testing.assert_allclose(ref.grads["weight"], dz.T @ h, rtol=1e-13, atol=1e-14)
    np.testing.assert_allclose(ref.grads["bias"], dz.sum(axis=0), rtol=1e-13, atol=1e-14)
    np.testing.assert_allclose(ref.loss, R.evaluate(logits).loss, rtol=1e-14)


def test_reference_torch_definitions_by_hand():
    """Smoothing over all K classes, the weighted mean over the targets' weights, ignored rows, 0/0 for all ignored."""
    z = np.array([[0.0, math.log(3.0)]])  # p = (1/4, 3/4)
    smooth = R.evaluate(case(logits=z, target=np.array([0]), label_smoothing=0.4)).loss
    assert smooth == pytest.approx(0.6 * math.log(4) + 0.2 * (math.log(4) + math.log(4 / 3)), rel=1e-14)
    z2 = np.array([[0.0, 0.0], [0.0, math.log(3.0)], [5.0, 1.0]])
    weighted = R.evaluate(case(logits=z2, target=np.array([0, 1, -100]), class_weight=np.array([2.0, 0.5]))).loss
    assert weighted == pytest.approx((2 * math.log(2) + 0.5 * math.log(4 / 3)) / 2.5, rel=1e-14)
    real_class = R.evaluate(case(logits=z2, target=np.array([0, 1, 1]), ignore_index=1)).loss
    assert real_class == pytest.approx(math.log(2), rel=1e-14)
    all_ignored = case(logits=z2, target=np.array([1, 1, 1]), ignore_index=1)
    assert np.isnan(R.evaluate(all_ignored).loss)
    assert R.evaluate(R.KernelCase(**{**vars(all_ignored), "reduction": "sum"})).loss == 0


def test_reference_float64_and_mpmath_agree_at_a_large_offset():
    """The reference never rounds at the offset's magnitude: float64 and 50-digit mpmath agree at 1e8 + d."""
    c = case(logits=1e8 + np.array([[0.0, 0.25, -0.5]]), target=np.array([0]), reduction="none",
             cotangent=np.array([1.0]))
    f64, mp = R.evaluate(c), R.evaluate(c, R.MPMATH)
    assert abs(float(f64.loss[0]) - float(mp.loss[0])) < 4 * UNIT_ROUNDOFF["float64"] * 2
    assert float(mp.loss[0]) == pytest.approx(math.log(1 + math.exp(0.25) + math.exp(-0.5)) + 0.0, rel=1e-15)


def test_tolerance_is_not_widened_by_a_common_offset():
    c = case(dtype="float32", reduction="none", cotangent=np.array([1.0, 2.0, 3.0, 4.0]))
    shifted = R.KernelCase(**{**vars(c), "logits": c.logits + 1e4})
    a, b = bounds(c, R.evaluate(c)), bounds(shifted, R.evaluate(shifted))
    np.testing.assert_allclose(a["loss"], b["loss"], rtol=1e-6)
    wide = bounds(shifted, R.evaluate(shifted), magnitude=True)
    assert np.all(wide["loss"] > 1e4 * UNIT_ROUNDOFF["float32"])  # the backward-stable bound of extreme_logits


def test_declared_accumulation_coarsens_never_refines():
    assert computing_roundoff("float64", "float32") == UNIT_ROUNDOFF["float32"]
    assert computing_roundoff("bfloat16", "float32") == UNIT_ROUNDOFF["bfloat16"]
    with pytest.raises(ValueError, match="accumulates_in"):
        computing_roundoff("float32", "float8")


def test_round_to_bfloat16():
    assert round_to([1.0, 1 + 2**-8, 1 + 3 * 2**-8, 1e4], "bfloat16").tolist() == [1.0, 1.0, 1 + 2**-6, 9984.0]


def test_bad_case_names_the_argument():
    with pytest.raises(ValueError, match="reduction"):
        case(reduction="avg")


def test_the_catalog_imports_no_torch():
    code = "import sys, verify.catalog, verify.cli; assert 'torch' not in sys.modules, 'torch imported'"
    subprocess.run([sys.executable, "-c", code], check=True, cwd=os.path.dirname(os.path.dirname(__file__)))


def test_softmax_runs_never_run_kernel_claims():
    from verify.catalog import all_claims
    from verify.harness.runner import run

    with pytest.raises(ValueError, match="no claim selected"):
        run(all_claims(), ["numpy"], profile="quick", patterns=["kernel.*"])


# --------------------------------------------------------------------------
# The claims against torch and the planted kernels


def kernel_check(spec, contract="torch-ce", claims=(), profile="ci"):
    from verify.catalog.kernels.run import check

    return {r.claim.id: r for r in check(contract, spec, device="cpu", profile=profile, patterns=list(claims),
                                          say=lambda line: None)}


def failing(results):
    return sorted(cid for cid, r in results.items() if not r.matches and r.evidence.verdict != "skipped")


@needs_torch
@pytest.mark.parametrize("spec", ["torch.nn.functional:cross_entropy", "torch.nn:CrossEntropyLoss",
                                  "tests.kernels_planted:correct"])
def test_torch_cross_entropy_meets_the_contract(spec):
    results = kernel_check(spec, profile="quick")
    assert failing(results) == []
    assert sum(r.evidence.verdict == "holds" for r in results.values()) >= 12


@needs_torch
def test_torch_linear_cross_entropy_meets_the_contract():
    results = kernel_check("tests.kernels_planted:torch_linear_cross_entropy", "torch-linear-ce", profile="quick")
    assert failing(results) == []
    assert results["kernel.class_weights"].evidence.summary.startswith("skipped: not part of the torch-linear-ce")


def planted_bugs():
    if not HAVE_TORCH:
        return []
    from tests import kernels_planted

    return sorted(kernels_planted.TARGETS.items())


@needs_torch
@pytest.mark.parametrize("bug,claim_id", planted_bugs() or [("none", "none")])
def test_planted_bug_is_rejected_by_its_claim(bug, claim_id):
    result = kernel_check(f"tests.kernels_planted:{bug}", claims=[claim_id])[claim_id]
    assert result.evidence.verdict == "refuted", result.failure_message()
    assert result.evidence.high_precision["confirmed"] is True


@needs_torch
def test_frozen_backbone_without_weight_gradient_is_rejected_by_grad_subsets_only():
    results = kernel_check("tests.kernels_planted:frozen_backbone_no_weight_grad", "torch-linear-ce",
                           claims=["kernel.grad_subsets", "kernel.vjp", "kernel.loss"])
    assert failing(results) == ["kernel.grad_subsets"]
    assert "no gradient for weight" in results["kernel.grad_subsets"].evidence.summary


def _no_smoothing(input, target, *, weight=None, ignore_index=-100, reduction="mean"):
    import torch.nn.functional as F

    return F.cross_entropy(input, target, weight=weight, ignore_index=ignore_index, reduction=reduction)


def _writes_into_input(input, target, **options):
    import torch.nn.functional as F

    loss = F.cross_entropy(input, target, **options)
    with __import__("torch").no_grad():
        input.mul_(1.0)  # the values are unchanged: a write that changes nothing is not seen
        input[0, 0] += 1.0
    return loss


def _interpreter_limited(input, target, **options):
    if "weight" in options:
        raise AttributeError("'float' object has no attribute 'to'")
    return _no_smoothing(input, target, **options)


@needs_torch
def test_unsupported_keyword_is_skipped_not_failed():
    from verify.catalog.kernels.contract import KernelUnderTest
    from verify.catalog.kernels.run import kernel_claims
    from verify.harness.claims import run_claim
    from verify.harness.runner import context

    kernel = KernelUnderTest(_no_smoothing, "torch-ce", "cpu", name="no_smoothing")
    claim = next(c for c in kernel_claims() if c.id == "kernel.label_smoothing")
    ev = run_claim(claim, context(kernel, "quick")).evidence
    assert ev.verdict == "skipped" and "unsupported option label_smoothing" in ev.summary


@needs_torch
def test_interpreter_limit_is_reported_as_such(monkeypatch):
    from verify.catalog.kernels.contract import KernelUnderTest
    from verify.catalog.kernels.run import kernel_claims
    from verify.harness.claims import run_claim
    from verify.harness.runner import context

    claim = next(c for c in kernel_claims() if c.id == "kernel.class_weights")
    kernel = KernelUnderTest(_interpreter_limited, "torch-ce", "cpu", name="limited")
    monkeypatch.setenv("TRITON_INTERPRET", "1")
    ev = run_claim(claim, context(kernel, "quick")).evidence
    assert ev.verdict == "skipped" and "cannot run under the Triton interpreter" in ev.summary
    monkeypatch.setenv("TRITON_INTERPRET", "0")  # the same failure outside the interpreter is a wrong result
    assert run_claim(claim, context(kernel, "quick")).evidence.verdict == "refuted"


@needs_torch
def test_writing_into_the_input_is_found_unless_declared():
    from verify.catalog.kernels.contract import KernelUnderTest
    from verify.catalog.kernels.run import kernel_claims
    from verify.harness.claims import run_claim
    from verify.harness.runner import context

    claim = next(c for c in kernel_claims() if c.id == "kernel.inputs_unchanged")
    ev = run_claim(claim, context(KernelUnderTest(_writes_into_input, "torch-ce", "cpu"), "quick")).evidence
    assert ev.verdict == "refuted" and "wrote into input" in ev.summary
    _writes_into_input.inplace_input = True
    try:
        ev = run_claim(claim, context(KernelUnderTest(_writes_into_input, "torch-ce", "cpu"), "quick")).evidence
    finally:
        del _writes_into_input.inplace_input
    assert ev.verdict == "holds" and any("wrote into: input" in n for n in ev.notes)


@needs_torch
def test_check_command_with_a_contract(tmp_path, capsys):
    from verify.cli import main

    out = tmp_path / "check.json"
    ok = main(["check", "--contract", "torch-ce", "--impl", "tests.kernels_planted:correct", "--device", "cpu",
               "--claim", "kernel.loss", "--hypothesis-profile", "quick", "--json", str(out), "-q"])
    assert ok == 0 and out.exists()
    bad = main(["check", "--contract", "torch-ce", "--impl", "tests.kernels_planted:weighted_mean_over_n",
                "--device", "cpu", "--claim", "kernel.class_weights", "--json", str(out), "-q"])
    captured = capsys.readouterr()
    assert bad == 1 and "set TRITON_INTERPRET=1" in captured.err or "TRITON_INTERPRET" in captured.err
    assert main(["check", "--contract", "torch-ce", "--device", "cpu", "--json", str(out)]) == 2


# --------------------------------------------------------------------------
# Liger-Kernel under the Triton interpreter (about a minute a kernel on 2 busy cores): LOSSPROOF_SLOW_KERNEL_TESTS=1

LIGER = os.environ.get("LOSSPROOF_SLOW_KERNEL_TESTS") == "1" and all(
    importlib.util.find_spec(m) is not None for m in ("torch", "triton", "liger_kernel"))
needs_liger = pytest.mark.skipif(not LIGER, reason="set LOSSPROOF_SLOW_KERNEL_TESTS=1 with torch, triton and liger-kernel "
                                                   "installed (Triton's interpreter: about a minute per kernel)")


@needs_liger
@pytest.mark.parametrize("contract,spec,defect", [
    ("torch-ce", "tests.corpus.liger_kernels:LigerCrossEntropy", "kernel.large_offset"),
    ("torch-linear-ce", "tests.corpus.liger_kernels:liger_fused_linear_cross_entropy", "kernel.grad_subsets"),
])
def test_liger_0_8_5_has_exactly_its_defect(contract, spec, defect):
    results = kernel_check(spec, contract)
    assert failing(results) == [defect]


OLD_LIGER = {"0.5.8": ("torch-ce", "tests.corpus.liger_kernels:LigerCrossEntropy"),
             "0.7.0": ("torch-linear-ce", "tests.corpus.liger_kernels:liger_fused_linear_cross_entropy")}


@needs_liger
@pytest.mark.parametrize("version", sorted(OLD_LIGER))
def test_old_liger_is_rejected_by_the_gradient_claim(version, tmp_path):
    """Liger-Kernel 0.5.8 (issue 678) and 0.7.0 (issue 968), installed with pip install --no-deps --target DIR into
    the folder LOSSPROOF_LIGER_<version with underscores> names: kernel.vjp refutes each, in a fresh process."""
    folder = os.environ.get("LOSSPROOF_LIGER_" + version.replace(".", "_"))
    if not folder:
        pytest.skip(f"LOSSPROOF_LIGER_{version.replace('.', '_')} does not name a folder holding liger-kernel=={version}")
    contract, spec = OLD_LIGER[version]
    out = tmp_path / "check.json"
    env = {**os.environ, "LOSSPROOF_LIGER": folder}
    done = subprocess.run([sys.executable, "-m", "verify.cli", "check", "--contract", contract, "--impl", spec,
                           "--device", "cpu", "--claim", "kernel.vjp", "--json", str(out), "-q"],
                          env=env, capture_output=True, text=True, cwd=os.path.dirname(os.path.dirname(__file__)))
    assert done.returncode == 1, done.stderr[-2000:]
    import json

    (entry,) = json.loads(out.read_text())["results"]
    assert entry["claim"]["id"] == "kernel.vjp" and entry["evidence"]["verdict"] == "refuted"


# --------------------------------------------------------------------------
# jax-ce: optax (each new shape compiles: the claims here run a few quick examples)

HAVE_OPTAX = all(importlib.util.find_spec(m) is not None for m in ("jax", "optax"))
needs_optax = pytest.mark.skipif(not HAVE_OPTAX, reason="jax and optax are not installed (pip install jax optax)")
SLOW = os.environ.get("LOSSPROOF_SLOW_KERNEL_TESTS") == "1"
needs_slow_optax = pytest.mark.skipif(not (HAVE_OPTAX and SLOW), reason="set LOSSPROOF_SLOW_KERNEL_TESTS=1 with jax and "
                                      "optax installed (every new shape and dtype compiles: about a minute a claim)")
OPTAX_LABELS = [("softmax_cross_entropy", "probabilities"), ("softmax_cross_entropy_with_integer_labels", "integer")]


@needs_optax
@pytest.mark.parametrize("name,labels", OPTAX_LABELS)
def test_optax_labels_are_detected(name, labels):
    from verify.catalog.kernels.contract_jax import JaxKernelUnderTest, prepare_jax

    prepare_jax("cpu", say=lambda line: None)
    import optax

    assert JaxKernelUnderTest(getattr(optax, name)).labels == labels


@needs_slow_optax
@pytest.mark.parametrize("name,labels", OPTAX_LABELS)
def test_optax_gradient_holds(name, labels):
    results = kernel_check(f"tests.corpus.optax_cross_entropy:{name}", "jax-ce",
                           claims=["kernel.vjp", "kernel.ignore_index"], profile="quick")
    assert results["kernel.vjp"].evidence.verdict == "holds", results["kernel.vjp"].failure_message()
    assert "not part of the jax-ce contract" in results["kernel.ignore_index"].evidence.summary


@needs_slow_optax
def test_optax_integer_labels_lose_precision_at_a_large_offset():
    """optax 0.2.8 subtracts the label's logit from logsumexp(logits) without the shift ("we avoid subtracting the
    normalizer from all values"): float32 [1e4, 1e4 + 0.5] errs by 4.4e-4; kernel.large_offset reports it."""
    result = kernel_check("tests.corpus.optax_cross_entropy:softmax_cross_entropy_with_integer_labels", "jax-ce",
                          claims=["kernel.large_offset"], profile="quick")["kernel.large_offset"]
    assert result.evidence.verdict == "refuted" and result.evidence.high_precision["confirmed"] is True

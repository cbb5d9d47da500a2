"""Foreign kernels cannot take ``lossproof check --contract`` down (issue 14, issue 17 point 3).

The kernel claims run in a supervised worker process (verify/catalog/kernels/run.py): a kernel that hangs,
segfaults or raises gets its finding on the claims it breaks, while the other claims still hold. The hostile
kernels are tests/kernels_hostile.py. torch is needed (the worker imports it): skipped without it (CI has none).
"""

from __future__ import annotations

import importlib.util
import os

import pytest

from verify.catalog.kernels.run import check
from verify.harness.claims import HOLDS, REFUTED

HAVE_TORCH = importlib.util.find_spec("torch") is not None
needs_torch = pytest.mark.skipif(not HAVE_TORCH, reason="torch is not installed (pip install torch --index-url "
                                                       "https://download.pytorch.org/whl/cpu)")

# The per-call limit of these runs: the drawn shapes cost torch well under 0.01 s a call after its first one
# (0.2 s, its lazy set-up), so 3 s is 15 times the slowest call a holding claim makes on an idle machine, and
# bounds how long the hanging kernel costs the test.
CALL_TIMEOUT_S = 3.0


def guarded(attr, claims):
    return {r.claim.id: r for r in check("torch-ce", f"tests.kernels_hostile:{attr}", device="cpu", profile="quick",
                                         patterns=list(claims), call_timeout=CALL_TIMEOUT_S, say=lambda line: None)}


@needs_torch
def test_a_hanging_kernel_times_out_on_its_claim_and_the_others_hold():
    results = guarded("sleeps_on_smoothing", ["kernel.label_smoothing", "kernel.loss"])
    hung = results["kernel.label_smoothing"].evidence
    assert hung.verdict == REFUTED, hung.summary
    assert hung.summary.startswith(f"timed out after {CALL_TIMEOUT_S:g} s in forward"), hung.summary
    assert hung.measurements["foreign failure"]["kind"] == "timeout"
    assert ("to reproduce: lossproof check --contract torch-ce --impl tests.kernels_hostile:sleeps_on_smoothing "
            "--claim kernel.label_smoothing --device cpu --hypothesis-profile quick") in " ".join(hung.notes)
    assert CALL_TIMEOUT_S <= hung.duration_s < CALL_TIMEOUT_S + 30  # stopped at its limit, not after the hour
    assert results["kernel.loss"].evidence.verdict == HOLDS, results["kernel.loss"].evidence.summary


@needs_torch
def test_a_segfaulting_backward_is_reported_as_a_crash_and_the_forward_claims_hold():
    results = guarded("segfaults_on_backward", ["kernel.loss", "kernel.vjp"])
    crashed = results["kernel.vjp"].evidence
    assert crashed.verdict == REFUTED, crashed.summary
    assert crashed.summary.startswith("crashed with signal 11 (SIGSEGV) in backward"), crashed.summary
    assert crashed.measurements["foreign failure"]["signal"] == 11
    assert results["kernel.loss"].evidence.verdict == HOLDS, results["kernel.loss"].evidence.summary


@needs_torch
def test_a_raising_kernel_is_refuted_with_its_error_and_the_others_hold():
    results = guarded("raises_on_class_weights", ["kernel.class_weights", "kernel.loss"])
    raised = results["kernel.class_weights"].evidence
    assert raised.verdict == REFUTED, raised.summary
    assert "RuntimeError: class weights: this kernel's weighted path is broken" in str(raised.to_dict()), raised.summary
    assert "foreign failure" not in raised.measurements  # the kernel's own exception: no worker was lost
    assert results["kernel.loss"].evidence.verdict == HOLDS, results["kernel.loss"].evidence.summary


@needs_torch
def test_a_kernel_that_cannot_be_loaded_is_a_one_line_error_naming_it():
    with pytest.raises((ImportError, AttributeError, ValueError)) as caught:
        check("torch-ce", "tests.kernels_hostile:no_such_kernel", device="cpu", patterns=["kernel.loss"],
              call_timeout=CALL_TIMEOUT_S, say=lambda line: None)
    assert "no_such_kernel" in str(caught.value)


@needs_torch
def test_a_kernel_that_crashes_its_worker_while_loading_is_a_one_line_error():
    with pytest.raises(ValueError) as caught:
        check("torch-ce", "tests.kernels_hostile:segfaults_on_load", device="cpu", patterns=["kernel.loss"],
              call_timeout=CALL_TIMEOUT_S, say=lambda line: None)
    assert str(caught.value) == ("--impl tests.kernels_hostile:segfaults_on_load: loading the kernel crashed with "
                                 "signal 11 (SIGSEGV) in load")


@needs_torch
def test_the_results_document_describes_the_kernel_under_test(tmp_path, capsys):
    import json

    from verify.cli import main
    from verify.harness import results as results_doc

    out = tmp_path / "results.json"
    status = main(["check", "--contract", "torch-ce", "--impl", "tests.kernels_hostile:raises_on_class_weights",
                   "--device", "cpu", "--claim", "kernel.loss", "--hypothesis-profile", "quick",
                   "--call-timeout", str(CALL_TIMEOUT_S), "--json", str(out)])
    assert status == 0, capsys.readouterr().err
    document = json.loads(out.read_text())
    results_doc.validate(document, out)  # the kernel's fields are typed in results.schema.json
    (kernel,) = document["implementations"]
    import torch

    assert kernel["name"] == "tests.kernels_hostile:raises_on_class_weights"
    assert (kernel["contract"], kernel["device"]) == ("torch-ce", "cpu")
    assert kernel["declarations"] == {"inplace_input": False, "dtypes": ["float64", "float32", "float16", "bfloat16"],
                                      "accumulates_in": None}
    assert kernel["frameworks"]["torch"] == torch.__version__  # as the worker saw it
    # --device cpu sets it in the worker, before any triton import, unless this environment set it
    assert kernel["triton_interpret"] == os.environ.get("TRITON_INTERPRET", "1")
    assert "in a supervised worker" in capsys.readouterr().err

    from pypdf import PdfReader

    from verify.report.build import write_report

    html, pdf = write_report(document, None, tmp_path / "report")
    page = html.read_text()
    assert "<th>kernel under test</th>" in page and "torch-ce on cpu; inplace_input: no" in page
    assert f"torch {torch.__version__}" in page and "TRITON_INTERPRET " in page
    text = " ".join(" ".join((p.extract_text() or "").split()) for p in PdfReader(pdf).pages)
    assert "kernel under test" in text and "torch-ce on cpu" in text


def test_the_report_says_what_ran_a_kernel_and_nothing_for_a_softmax_implementation():
    from verify.report.content import kernel_under_test

    kernel = {"name": "k", "capabilities": {"dtypes": ["float32"]}, "contract": "torch-linear-ce", "device": "cuda",
              "declarations": {"inplace_input": True, "dtypes": ["float32"], "accumulates_in": None},
              "frameworks": {"torch": "2.13.0", "triton": "3.9.0", "jax": None}, "triton_interpret": None}
    assert kernel_under_test(kernel) == ("torch-linear-ce on cuda; inplace_input: yes; dtypes: float32; accumulates_in: "
                                         "not declared; torch 2.13.0; triton 3.9.0; jax not imported; "
                                         "TRITON_INTERPRET not set")
    assert kernel_under_test({"name": "numpy", "capabilities": {"dtypes": ["float64"]}}) == ""

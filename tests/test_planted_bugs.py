"""Self-validation: each planted bug is rejected by the implementation-level claim that targets it."""

import subprocess
import sys

import pytest

from tests import planted_bugs
from verify.catalog import all_claims, get_claim
from verify.harness.claims import run_claim
from verify.harness.runner import context

# bug -> (the claim that must reject it, a word its failure message must contain)
PLANTED = {
    "SignError": ("impl.gradient", "grad"),
    "MissingOneOverN": ("impl.gradient", "grad"),
    "TransposedGradient": ("impl.gradient", "grad"),
    "HessianWithoutOuterTerm": ("impl.hessian", "hessian"),
    "WrongFlattening": ("impl.hessian", "hessian"),
    "NoMaxShift": ("impl.extreme_logits", "loss"),
    "EpsilonClippedLog": ("impl.extreme_logits", "loss"),
    "HardLabels": ("impl.loss_value", "loss"),
    "SumInsteadOfMean": ("impl.loss_value", "loss"),
    "SoftmaxOverSamples": ("impl.probs", "probs"),
    "Float32Always": ("impl.dtype_kept", "dtype"),
}


@pytest.mark.parametrize("bug", sorted(PLANTED))
def test_planted_bug_is_rejected(bug, profile_name):
    """The targeted claim finds the bug, shrinks a counterexample, confirms it in high precision, and says what failed."""
    claim_id, word = PLANTED[bug]
    impl = getattr(planted_bugs, bug)()
    result = run_claim(get_claim(claim_id), context(impl, profile_name))
    assert not result.matches, f"{bug} was not rejected by {claim_id}: {result.evidence.summary}"
    assert result.evidence.verdict == "refuted", result.failure_message()
    assert result.evidence.counterexample is not None
    # Found by the search, or wrong at every example drawn (then labelled so: nothing needed searching for).
    assert result.evidence.found_by_search or "every example measured violates" in result.evidence.construction
    assert result.evidence.high_precision["confirmed"]
    message = result.failure_message()
    assert claim_id in message and word in message


def test_the_unplanted_base_passes_every_implementation_claim(profile_name):
    """The base the bugs are planted in is correct: every implementation claim holds for it."""
    impl = planted_bugs.CorrectSoftmaxCE()
    for claim in all_claims("implementation"):
        result = run_claim(claim, context(impl, profile_name))
        assert result.matches or result.evidence.verdict == "skipped", result.failure_message()


def run_cli(*args):
    return subprocess.run([sys.executable, "-m", "verify.cli", *args], capture_output=True, text=True, timeout=600)


def test_check_cli_passes_a_correct_user_implementation(tmp_path):
    """`lossproof check --impl` on a correct minimal implementation: exit 0, table, results JSON."""
    out = tmp_path / "results.json"
    proc = run_cli("check", "--impl", "tests.user_impls:MinimalSoftmaxCE", "--json", str(out), "--quiet")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "impl.gradient" in proc.stdout and out.exists()


def test_check_cli_fails_a_planted_bug_and_names_the_claim(tmp_path):
    """`lossproof check --impl` on a planted bug: exit 1, and the message names the claim and the quantity."""
    proc = run_cli("check", "--impl", "tests.planted_bugs:SignError", "--claim", "impl.gradient",
                   "--json", str(tmp_path / "r.json"), "--quiet")
    assert proc.returncode == 1
    assert "claim impl.gradient" in proc.stderr and "grad" in proc.stderr

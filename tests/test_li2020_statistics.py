"""li2020's statistics: B5's corrected resampled t-test and Holm's correction, the verdict they decide, and G5's
contraction margin."""

import math

import numpy as np
import pytest
from scipy import stats

from verify.catalog.li2020 import claims as li
from verify.catalog.li2020 import tolerances as tol
from verify.catalog.li2020.resampling import corrected_resampled_t_test, holm
from verify.harness.claims import HOLDS, INCONCLUSIVE, REFUTED, CheckContext

DIFFS = np.array([-0.02, 0.0, -0.0133, -0.0267, 0.0, -0.0133, -0.0067, 0.0, -0.0133, -0.02])


def test_corrected_test_inflates_the_naive_variance_by_the_nadeau_bengio_factor():
    t = corrected_resampled_t_test(DIFFS, n_train=75, n_test=75)
    J = DIFFS.size
    assert t.naive_se == pytest.approx(DIFFS.std(ddof=1) / math.sqrt(J), rel=1e-14)
    assert t.corrected_se == pytest.approx(t.naive_se * math.sqrt(1 + J * 75 / 75), rel=1e-14)
    assert t.p == pytest.approx(2 * stats.t.sf(abs(t.mean / t.corrected_se), J - 1), rel=1e-12)
    # the same data, naively: significant at 0.05; corrected: not
    assert stats.ttest_1samp(DIFFS, 0.0).pvalue < 0.05 < t.p


def test_corrected_test_is_the_ordinary_one_sample_t_test_when_the_test_sets_are_negligible():
    t = corrected_resampled_t_test(DIFFS, n_train=10**12, n_test=1)
    assert t.p == pytest.approx(stats.ttest_1samp(DIFFS, 0.0).pvalue, rel=1e-6)


def test_corrected_test_degenerate_and_bad_input():
    assert corrected_resampled_t_test([0.0] * 5, 10, 10).p == 1.0
    assert corrected_resampled_t_test([0.01] * 5, 10, 10).p == 0.0
    with pytest.raises(ValueError, match="differences"):
        corrected_resampled_t_test([0.1], 10, 10)
    with pytest.raises(ValueError, match="n_train"):
        corrected_resampled_t_test(DIFFS, 0, 10)


def test_holm_by_hand():
    adjusted = holm({"a": 0.01, "b": 0.04, "c": 0.03, "d": 0.005})
    # sorted 0.005, 0.01, 0.03, 0.04 times 4, 3, 2, 1 = 0.02, 0.03, 0.06, 0.04 -> made non-decreasing
    assert adjusted == pytest.approx({"a": 0.03, "b": 0.06, "c": 0.06, "d": 0.02})
    assert holm({"a": 0.5, "b": 0.9}) == {"a": 1.0, "b": 1.0}


def fake_tests(decisions: dict) -> dict:
    return {n: {"mean": {"worse": -0.05, "better": 0.05}.get(d, 0.0), "corrected_se": 0.01, "t": 0.0, "Holm-adjusted p": 0.01 if d else 1.0,
                "near ties re-decided": 0,
                "decision": {"worse": "candidate gamma 1 worse", "better": "candidate gamma 1 better"}.get(d, "no difference shown")}
            for n, d in decisions.items()}


@pytest.mark.parametrize("decisions, verdict", [
    ({"iris": "worse", "wine": "better"}, REFUTED),
    ({"iris": "", "wine": "better"}, HOLDS),
    ({"iris": "", "wine": ""}, INCONCLUSIVE),
])
def test_b5_verdict_is_what_the_corrected_tests_decide(decisions, verdict, monkeypatch):
    pytest.importorskip("sklearn")
    monkeypatch.setattr(li, "heldout_tests", lambda *a, **k: fake_tests(decisions))
    ev = li.candidate_improves(CheckContext(impl=None))
    assert ev.verdict == verdict
    if verdict == REFUTED:
        assert ev.counterexample["dataset"] == "iris" and ev.found_by_search is False and ev.construction


def test_contraction_margin_of_a_geometric_sequence_is_its_rounding():
    changes = 0.5 * 0.9 ** np.arange(12)
    read = li.contraction_reading(changes)
    assert read["contraction"] == pytest.approx(0.9, rel=1e-12)
    assert read["margin spread"] < 1e-12 and read["margin"] == read["margin rounding"]
    assert read["margin rounding"] == pytest.approx(0.9 * (1e-8 / changes[-1] + 1e-8 / changes[-6]) / 5, rel=1e-9)
    assert read["reading"] == "shrinks"


def test_contraction_reading_grows_only_beyond_the_spread_of_the_ratios():
    steady = 0.5 * 1.006 ** np.arange(12)  # grows 0.6% per refit, no fluctuation: beyond the margin
    assert li.contraction_reading(steady)["reading"] == "grows"
    ratios = np.tile([1.03, 0.975], 6)  # oscillating ratios, geometric mean ~1.002: within the margin of 1
    wobbly = 0.5 * np.cumprod(np.concatenate([[1.0], ratios]))
    read = li.contraction_reading(wobbly)
    assert abs(read["contraction"] - 1) < read["margin"] and read["reading"] == "undecided"
    assert tol.li_contraction_margin(wobbly[:3], 5)["margin"] == 0.0  # too short: no factor measured

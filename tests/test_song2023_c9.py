"""song2023.C9's adversarial one-step bound is re-checked in 50 digits: the same step, on the same x_t and E."""

import numpy as np
import pytest

from verify.catalog.song2023 import claims as sc
from verify.catalog.song2023 import experiments
from verify.catalog.song2023.high_precision import mp_one_step
from verify.catalog.song2023.problems import StepExample


@pytest.fixture(scope="module")
def setting():
    ex = experiments.catalog_newton_example()
    d = ex.A.shape[1]
    rng = np.random.default_rng(0)
    M = rng.normal(size=(d, d))
    M = M + M.T
    v = rng.normal(size=d)
    return ex, M / np.linalg.norm(M, 2), v / np.linalg.norm(v)


def test_the_50_digit_step_is_the_float_step(setting):
    ex, unit, v = setting
    example = StepExample(0.05, 0.05 * unit, v, 0.5)
    x0 = sc.step_start(ex, example)
    floats = experiments.one_step(ex, x0, example.E)
    exact = mp_one_step(x0, ex.A, ex.b, ex.w, example.E, ex.x_star)
    for key in ("r0", "r1", "h0", "h1", "norm S"):
        assert float(exact[key]) == pytest.approx(floats[key], rel=1e-10, abs=1e-15), key


def test_a_step_within_the_bound_is_dismissed_and_a_real_violation_confirmed(setting):
    ex, unit, v = setting
    within = StepExample(0.05, 0.05 * unit, v, 0.5)
    record = sc.confirm_one_step(ex, sc.step_start(ex, within), within)
    assert record["confirmed"] is False and "mpmath" in record["method"]
    # ||E|| = 0.5 while the step claims eps0 = 0.001: the lemma's bound is violated by the mathematics, not by rounding
    violating = StepExample(0.001, 0.5 * unit, v, 0.5)
    record = sc.confirm_one_step(ex, sc.step_start(ex, violating), violating)
    assert record["confirmed"] is True and record["excess"] > 1e3 * record["slack"]

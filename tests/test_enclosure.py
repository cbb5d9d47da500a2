"""impls._enclosure: the SymPy oracles' correctly rounded evaluation of float inputs in interval arithmetic."""

import math

import mpmath
import numpy as np
import pytest
from mpmath import iv

from impls import _enclosure as enc


def test_a_cancellation_deeper_than_the_first_precisions_is_not_taken_for_a_value():
    """(1e100 + 1) - 1e100 is 0 at 40 and at 80 digits, yet its interval there holds 1 as well: the value comes
    only at the precision that pins it (the two-precision agreement test returned 0)."""
    seen = []

    def evaluate():
        seen.append(iv.dps)
        return (enc.point(1e100) + 1) - enc.point(1e100)

    assert enc.rounded_value(evaluate, (40, 80, 160), "x") == 1.0
    assert seen[-1] == 160 and len(seen) == 3


def test_an_unpinned_value_is_an_error_not_a_guess():
    with pytest.raises(ArithmeticError, match=r"^theta: the loss is not pinned to one float64 even at 80 digits"):
        enc.rounded_value(lambda: (enc.point(1e200) + 1) - enc.point(1e200), (40, 80), "theta: the loss")


def test_exact_zeros_settle_at_once_and_entries_come_back_as_arrays():
    calls = []

    def evaluate():
        calls.append(iv.dps)
        zero = enc.point(0.0) * enc.point(1e300)  # a zero input times anything is the point 0
        return [[zero, enc.point(0.5)], [0, enc.point(-2.0)]]

    out = enc.rounded_value(evaluate, (50, 100), "x")
    assert calls == [50]
    np.testing.assert_array_equal(out, np.array([[0.0, 0.5], [0.0, -2.0]]))
    assert out.dtype == np.float64


def test_results_are_correctly_rounded():
    """exp(1) and log1p(1e-300): the float64 nearest the exact value, equal, not close."""
    with mpmath.workdps(60):
        e, tiny = float(mpmath.e), float(mpmath.log1p(mpmath.mpf(1e-300)))
    assert enc.rounded_value(lambda: enc.NAMESPACE["exp"](enc.point(1.0)), (50,), "x") == e
    assert enc.rounded_value(lambda: enc.NAMESPACE["log1p"](enc.point(1e-300)), (50,), "x") == tiny


@pytest.mark.parametrize("u", [0.0, 1e-300, -1e-300, 0.5, -3.0, 40.0, -700.0, 1e5, -1e5, 2e5, -1e153, 1e153])
@pytest.mark.parametrize("name", ["Sigmoid", "SigmoidPrime", "Softplus", "Tanh", "Sech2"])
def test_activation_enclosures_hold_the_exact_value(name, u):
    """Every activation's interval holds its value computed from the definition at 80 digits, including beyond
    EXP_CUT, where e^v is enclosed without being computed, and the interval is narrow enough to round."""
    definitions = {
        "Sigmoid": lambda x: 1 / (1 + mpmath.exp(-x)),
        "SigmoidPrime": lambda x: 1 / ((1 + mpmath.exp(-x)) * (1 + mpmath.exp(x))),
        "Softplus": lambda x: mpmath.log1p(mpmath.exp(x)) if x < 0 else x + mpmath.log1p(mpmath.exp(-x)),
        "Tanh": mpmath.tanh,
        "Sech2": lambda x: mpmath.sech(x) ** 2,
    }
    with mpmath.workdps(80):
        exact = definitions[name](mpmath.mpf(u))
    with enc.interval_digits(50):
        got = enc.NAMESPACE[name](enc.point(u))
    assert got.a <= exact <= got.b, (got, exact)
    lo, hi = (mpmath.libmp.to_float(end) for end in got._mpi_)
    assert lo == hi or math.isclose(lo, hi, rel_tol=1e-15), got

"""The float64 rounding of an exact value, proved by interval arithmetic: how the symbolic oracles evaluate float inputs.

A symbolic derivative is evaluated as written, unsimplified, and its terms
can cancel far below their size (``x^2 a sigma'(u)`` terms of 1e152 that
leave 1.5625e-4). Evaluating it in mpmath at a precision and again at twice
that, and trusting the result once the two agree, is fooled whenever the
cancellation is deeper than both precisions: both then give the same
rounding noise, often exactly 0. Here every quantity is evaluated in mpmath's
interval arithmetic (``mpmath.iv``): each operation rounds outwards, so the
result is an interval that provably contains the exact value of the
expression at the (exactly converted) float inputs. The value is returned
once both ends of every entry's interval round to the same float64, which is
then *the* correctly rounded result; until then the precision rises
(``precisions``), and where even the last one does not pin it,
``ArithmeticError`` says so rather than guessing.

An entry the expression makes exactly 0 (a structural zero, a zero input
times anything) is the point interval [0, 0] and settles at once; a value
that cancels to exactly 0 between terms of size S needs about
``308 + log10(S)`` digits to be pinned (both ends must round to 0).
"""

from __future__ import annotations

from contextlib import contextmanager
from typing import Callable

import mpmath
import numpy as np
import sympy
from mpmath import iv
from mpmath.libmp import round_nearest, to_float


# Beyond |v| = EXP_CUT, e^v is enclosed without being computed: [0, e^-EXP_CUT] below, [e^EXP_CUT, inf] above.
# Computing e^(1e305) at 200 digits takes seconds (its argument reduction needs 500 digits of log 2), and
# what it feeds is a saturated gate, 1 / (1 + e^v): the enclosure [0, 1e-43429] rounds to 0 like the value.
# Still an enclosure (nothing is approximated), so a result that depended on it would not settle, not be wrong.
EXP_CUT = 100_000
_EXP_BOUNDS: dict = {}


def _exp(v):
    if not isinstance(v, iv.mpf):
        v = iv.mpf(v)
    if v.b <= -EXP_CUT or v.a >= EXP_CUT:
        if iv.prec not in _EXP_BOUNDS:
            _EXP_BOUNDS[iv.prec] = (iv.exp(iv.mpf(-EXP_CUT)).b, iv.exp(iv.mpf(EXP_CUT)).a)
        tiny, huge = _EXP_BOUNDS[iv.prec]
        return iv.mpf([0, tiny]) if v.b <= -EXP_CUT else iv.mpf([huge, "inf"])
    return iv.exp(v)


def _tanh(u):
    # expm1(2u) / (expm1(2u) + 2) near 0, where 1 - 2/(e^2u + 1) would lose tanh(1e-300) to cancellation;
    # the monotone one-occurrence forms away from it, where e^2u is huge and its two occurrences in the
    # quotient would make the enclosure of a saturated tanh [0, inf]. mpmath.iv has no tanh of its own.
    middle = float(u.mid)  # only picks the form: every form is an enclosure
    if abs(middle) < 1:
        e = iv.expm1(2 * u)
        return e / (e + 2)
    if middle > 0:
        return 1 - 2 / (_exp(2 * u) + 1)
    return 2 / (_exp(-2 * u) + 1) - 1


def _sigmoid(u):
    return 1 / (1 + _exp(-u))  # u occurs once: the enclosure is tight, and no difference can cancel


def _sigmoid_prime(u):
    return _sigmoid(u) * _sigmoid(-u)  # sigma(u) sigma(-u): both factors positive, no difference to cancel


def _softplus(u):
    # log(1 + e^u) = max(u, 0) + log1p(e^-|u|): e^-|u| <= 1, so the enclosure never holds an infinite e^u
    if float(u.mid) > 0:
        return u + iv.log1p(_exp(-u))
    return iv.log1p(_exp(u))


def _sech2(u):
    # 1 / cosh(u)^2 = 4 t / (1 + t)^2 with t = e^(-2|u|) <= 1: no e^|u| to overflow into the enclosure
    t = _exp(-2 * u) if float(u.mid) >= 0 else _exp(2 * u)
    return 4 * t / ((1 + t) * (1 + t))


# What the lambdified expressions call, as interval functions (mpmath.iv has exp, log, log1p, expm1, sqrt with
# outward rounding; the activations are built from them). The capitalised names are the functions of
# impls.depth2.symbolic, whose derivatives are written without cancellation.
NAMESPACE = {"exp": _exp, "log": iv.log, "log1p": iv.log1p, "expm1": iv.expm1, "tanh": _tanh, "sqrt": iv.sqrt,
             "mpf": iv.mpf, "Sigmoid": _sigmoid, "SigmoidPrime": _sigmoid_prime, "Softplus": _softplus,
             "Tanh": _tanh, "Sech2": _sech2}


def lambdify_interval(args, expr, cse: bool = False):
    """``expr`` (an expression or nested lists of them) as a function of ``args`` on mpmath intervals."""
    return sympy.lambdify(args, expr, modules=[NAMESPACE, "mpmath"], cse=cse)


def point(value) -> iv.mpf:
    """``value`` (a float, int or mpf) as the point interval it is, exactly (a binary float converts exactly)."""
    return iv.mpf(mpmath.mpf(value) if isinstance(value, float) else value)


@contextmanager
def interval_digits(digits: int):
    """mpmath.iv at ``digits`` significant digits (it has no ``workdps`` of its own)."""
    previous = iv.prec
    iv.dps = digits
    try:
        yield
    finally:
        iv.prec = previous


def _rounded(entry) -> float | None:
    """The float64 both ends of ``entry``'s interval round to, or None when they round differently."""
    if not isinstance(entry, iv.mpf):
        entry = iv.mpf(entry)  # an exact constant of the expression (0 for a structural zero)
    lo, hi = (to_float(end, rnd=round_nearest) for end in entry._mpi_)
    if lo != hi:  # NaN never equals itself: an undefined enclosure never settles
        return None
    return lo + 0.0  # -0.0 and 0.0 compare equal; an interval around 0 is the value 0


def _round_all(value):
    """Nested lists of intervals -> float64 array (a float for a single interval), or None if any is unsettled."""
    if isinstance(value, (list, tuple)):
        entries = [_round_all(v) for v in value]
        if any(e is None for e in entries):
            return None
        return np.array(entries, dtype=np.float64)
    return _rounded(value)


def rounded_value(evaluate: Callable[[], object], precisions, unsettled: str):
    """The correctly rounded float64 value(s) of ``evaluate()``, which returns intervals at mpmath.iv's precision.

    ``evaluate`` is called at each precision of ``precisions`` (digits) in turn, until every entry's interval
    rounds to one float64; ``unsettled`` is the start of the ``ArithmeticError`` raised if none does.
    """
    for digits in precisions:
        with interval_digits(digits):
            result = _round_all(evaluate())
        if result is not None:
            return result
    raise ArithmeticError(
        f"{unsettled} is not pinned to one float64 even at {precisions[-1]} digits of interval arithmetic "
        "(cancellation in the symbolic expression); the oracle gives no answer here"
    )

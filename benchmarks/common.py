"""Shared pieces of the asv suite: the sizes, deterministic cached data, and skipping.

The definitions (problems, floors, the alternating timing protocol, in
``verify.bench.run``; the peers, in ``verify.bench.peers``) are shared with
``lossproof bench`` so that both measure exactly the same things; this module
only adapts them to asv's parameters.
"""

import os
import sys

try:
    import impls
except ImportError:  # asv's "existing" environment without `pip install -e .`: use this checkout
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    import impls

from verify import bench

PLAN = bench.FULL
# The alternating protocol of `lossproof bench`'s full plan, so both report the same statistic.
PLAN_TIMING = {"repeats": PLAN.repeats, "calls_per_round": PLAN.calls_per_round, "retries": PLAN.retries_when_busy}
DTYPES = list(PLAN.dtypes)


def size_name(size):
    return "x".join(str(n) for n in size)


def parse_size(name):
    N, D, K = (int(n) for n in name.split("x"))
    return N, D, K


GRID = [size_name(s) for s in PLAN.grid]
HESSIAN_GRID = [size_name(s) for s in PLAN.hessian_grid]
# Every size some implementation is timed at; setup() skips what an implementation cannot do.
SIZES = [size_name(s) for s in PLAN.grid + PLAN.loops_grid + PLAN.sympy_grid]
HESSIAN_SIZES = [size_name(s) for s in PLAN.hessian_grid + PLAN.loops_hessian_grid + PLAN.sympy_hessian_grid]
IMPLEMENTATIONS = list(impls.names())


def problem(size, dtype):
    """The deterministic inputs for ``size`` ("NxDxK") and ``dtype``, cached per process."""
    return bench.problem(*parse_size(size), dtype)


def implementation(name, size, dtype, *, hessian=False):
    """A fresh instance of ``name``, or ``NotImplementedError`` (asv: skipped) if it cannot do this size."""
    impl = impls.get(name)
    caps = impls.capabilities_of(impl)
    if not caps.supports_dtype(dtype):
        raise NotImplementedError(f"{name} does not compute in {dtype}")
    if not caps.handles(*parse_size(size), hessian=hessian):
        raise NotImplementedError(f"{size} is beyond {name}'s practical size")
    return impl

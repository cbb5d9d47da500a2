"""The floor (the work no implementation can avoid) and each implementation's time over it.

Floors (``verify.bench.run.floor``): ``loss``: X W and one exp over the N x K
logits; ``loss_grad``: X W, X^T G and one exp; ``hvp``: X W, X V and X^T R;
``hessian``: the one product Q^T Q of shape (DK x N)(N x DK).
"""

from verify import bench

from .common import DTYPES, GRID, HESSIAN_SIZES, IMPLEMENTATIONS, PLAN_TIMING, SIZES, implementation, problem


class Floor:
    """Time the floors alone."""

    params = [["loss", "loss_grad", "hvp"], GRID, DTYPES]
    param_names = ["operation", "size", "dtype"]

    def setup(self, operation, size, dtype):
        self.floor = bench.floor(operation, problem(size, dtype))

    def time_floor(self, operation, size, dtype):
        self.floor()


class HessianFloor:
    params = [HESSIAN_SIZES[:1], DTYPES]
    param_names = ["size", "dtype"]

    def setup(self, size, dtype):
        self.floor = bench.floor("hessian", problem(size, dtype))

    def time_floor(self, size, dtype):
        self.floor()


class RatioToFloor:
    """Implementation time / floor time, both timed in this process, alternating."""

    params = [IMPLEMENTATIONS, ["loss", "loss_grad", "hvp"], SIZES, DTYPES]
    param_names = ["implementation", "operation", "size", "dtype"]
    processes = 1
    timeout = 300
    unit = "ratio"

    def setup(self, name, operation, size, dtype):
        self.impl = implementation(name, size, dtype)
        self.pb = problem(size, dtype)
        bench.call(self.impl, operation, self.pb)()  # SymPy: derive and compile outside the timings

    def track_ratio(self, name, operation, size, dtype):
        t, f, _, _ = bench.ratio_to_floor(self.impl, operation, self.pb, **PLAN_TIMING)
        return t / f


class HessianRatioToFloor:
    params = [IMPLEMENTATIONS, HESSIAN_SIZES, DTYPES]
    param_names = ["implementation", "size", "dtype"]
    processes = 1
    timeout = 300
    unit = "ratio"

    def setup(self, name, size, dtype):
        self.impl = implementation(name, size, dtype, hessian=True)
        self.pb = problem(size, dtype)
        bench.call(self.impl, "hessian", self.pb)()

    def track_ratio(self, name, size, dtype):
        t, f, _, _ = bench.ratio_to_floor(self.impl, "hessian", self.pb, **PLAN_TIMING)
        return t / f

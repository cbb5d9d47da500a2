"""Fitted exponents b of time ~ size^b for loss+grad along N, D and K."""

import impls
from verify import bench

from .common import IMPLEMENTATIONS, PLAN


class Scaling:
    """Time loss_grad at the base size scaled along one axis; return the least-squares slope in log-log."""

    params = [IMPLEMENTATIONS, ["N", "D", "K"]]
    param_names = ["implementation", "axis"]
    processes = 1
    timeout = 600
    unit = "exponent"

    def setup(self, name, axis):
        self.impl = impls.get(name)
        self.caps = impls.capabilities_of(self.impl)
        self.base = PLAN.scaling_base[name]
        self.factors = PLAN.scaling_factors[name]

    def track_exponent(self, name, axis):
        i = "NDK".index(axis)
        sizes, seconds = [], []
        for factor in self.factors:
            shape = list(self.base)
            shape[i] = max(2 if axis == "K" else 1, int(round(self.base[i] * factor)))
            if not self.caps.handles(*shape):
                continue
            fn = bench.call(self.impl, "loss_grad", bench.problem(*shape, "float64"))
            fn()
            sizes.append(shape[i])
            seconds.append(bench.best(bench.alternate({"f": fn}, PLAN.repeats, PLAN.calls_per_round)["f"]))
        if len(sizes) < 2:
            raise NotImplementedError(f"{name}: fewer than two sizes within its practical limit")
        return bench.fit_exponent(sizes, seconds)

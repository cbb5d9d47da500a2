"""Gradient accuracy beside the timings: a lost digit shows up here."""

import numpy as np

from verify import bench

from .common import DTYPES, IMPLEMENTATIONS, PLAN, implementation, size_name

CASES = [f"exact-{size_name(s)}" for s in PLAN.accuracy_exact] + [f"extended-{size_name(s)}" for s in PLAN.accuracy_extended]


class GradientAccuracy:
    """max |G - G_ref| / max |G_ref| against SymPy's exact gradient or a longdouble one."""

    params = [IMPLEMENTATIONS, CASES, DTYPES]
    param_names = ["implementation", "reference", "dtype"]
    timeout = 300
    unit = "relative error"

    def setup(self, name, case, dtype):
        kind, size = case.split("-")
        self.impl = implementation(name, size, dtype)
        if kind == "extended" and not bench.has_extended_precision():
            raise NotImplementedError("np.longdouble is no wider than float64 here")
        N, D, K = (int(n) for n in size.split("x"))
        self.pb = bench.problem(N, D, K, dtype)
        if kind == "exact":
            self.ref = bench.exact_reference_grad(self.pb)
        else:
            self.ref = bench.extended_reference_grad(self.pb)

    def track_relative_error(self, name, case, dtype):
        G = self.impl.grad(self.pb.W, self.pb.X, self.pb.Y)
        return bench.relative_grad_error(G, self.ref)

    def track_relative_error_in_eps(self, name, case, dtype):
        return self.track_relative_error(name, case, dtype) / float(np.finfo(dtype).eps)

    track_relative_error_in_eps.unit = "eps"

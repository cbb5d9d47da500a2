"""Memory of loss+grad as N grows: the inputs grow, what the call adds must not."""

import impls
from verify import bench

from .common import PLAN


class LossGradMemory:
    """``peakmem_``: the process's peak (inputs included); ``track_``: bytes beyond the inputs."""

    params = [list(PLAN.memory_sizes)]
    param_names = ["N"]
    timeout = 300

    def setup(self, N):
        D, K = PLAN.memory_shape
        self.pb = bench.BenchProblem(N, D, K, "float64")
        self.impl = impls.get("numpy")

    def peakmem_loss_grad(self, N):
        self.impl.loss_grad(self.pb.W, self.pb.X, self.pb.Y)

    def track_extra_bytes(self, N):
        return bench.extra_bytes(self.impl, self.pb)

    track_extra_bytes.unit = "bytes"

    def track_input_bytes(self, N):
        return self.pb.input_bytes

    track_input_bytes.unit = "bytes"

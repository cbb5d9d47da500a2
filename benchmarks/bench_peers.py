"""lossproof's NumPy loss+grad against PyTorch CPU, JAX and scikit-learn (the ``peers`` extra)."""

import impls
from verify import bench
from verify.bench.peers import PEERS

from .common import DTYPES, GRID, PLAN_TIMING, problem


class Peers:
    """A peer's loss and gradient, and our time / its time (alternating, in one process)."""

    params = [list(PEERS), GRID, DTYPES]
    param_names = ["peer", "size", "dtype"]
    processes = 1
    timeout = 300

    def setup(self, peer, size, dtype):
        self.peer = PEERS[peer]
        if not self.peer.available():
            raise NotImplementedError(f"{peer} is not installed (pip install -e '.[peers]')")
        self.pb = problem(size, dtype)
        self.run_peer = self.peer.prepare(self.pb.X, self.pb.W, self.pb.labels)

    def time_peer_loss_grad(self, peer, size, dtype):
        self.run_peer()

    def track_ours_over_peer(self, peer, size, dtype):
        ours, theirs, _ = bench.peer_ratio(self.peer, self.pb, **PLAN_TIMING)
        return ours / theirs

    track_ours_over_peer.unit = "ratio"


class OursForPeers:
    """Our loss_grad at the peer grid (the numerator of the ratios, on its own)."""

    params = [GRID, DTYPES]
    param_names = ["size", "dtype"]

    def setup(self, size, dtype):
        self.run = bench.call(impls.get("numpy"), "loss_grad", problem(size, dtype))

    def time_loss_grad(self, size, dtype):
        self.run()

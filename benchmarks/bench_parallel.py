"""The harness's own speed: claims in 2 worker processes, and on a 2-worker Dask LocalCluster, against the serial run.

Each figure is serial wall time / parallel wall time on the same claims
(``CLAIMS``, the full plan's ``harness_claims``, about 45 s serially on one 2-core machine), pool or cluster
start-up included, since a user waits for it too. Above 1 is a speed-up; on
2 idle cores the ideal is 2, and ``lossproof check --jobs 2`` is asked to
reach at least 1 / 0.65 = 1.54 on the whole catalog. The serial run is timed
first in each measurement, right before the parallel one, so that both see
the same load; look at ``uptime`` before trusting either figure.
"""

from .common import impls  # noqa: F401  (puts this checkout on the path when lossproof is not installed)

from verify.bench.run import FULL, harness_speedup

CLAIMS = FULL.harness_claims


class HarnessSpeedup:
    """Serial time / parallel time of the same claims (a ratio; one figure per run)."""

    timeout = 900
    repeat = 1
    number = 1
    unit = "serial / parallel"

    def track_jobs2_speedup(self):
        return harness_speedup(CLAIMS, 2)["speedup"]



class DaskSpeedup:
    """The same figure on a ``distributed.LocalCluster`` of 2 worker processes; skipped without ``distributed``."""

    timeout = 900
    repeat = 1
    number = 1
    unit = "serial / parallel"

    def setup(self):
        try:
            import distributed  # noqa: F401
        except ImportError:
            raise NotImplementedError("distributed is not installed (pip install -e '.[distributed]')")

    def track_dask_local2_speedup(self):
        return harness_speedup(CLAIMS, 2, dask="local")["speedup"]

"""The built-in benchmark's measurements (``lossproof bench``): the asv suite's, in one run, as one document.

The asv suite in ``benchmarks/`` keeps a history across commits; ``run()``
measures the same things once, in about three minutes, for the report and for
users who do not keep asv results. Both use the definitions here (the plans,
problems, floors and timing protocol) and the peers of ``peers.py``, so
the two always measure the same thing.

What is measured
----------------
* ``timings``: each implementation's ``loss``, ``loss_grad``, ``hvp`` and
  ``hessian`` on its grid, beside the *floor*, the work no implementation can
  avoid, timed in the same process, alternating with it:

  - ``loss``: the product ``X W`` and one ``exp`` over the N x K logits;
  - ``loss_grad``: the products ``X W`` and ``X^T G`` and one ``exp``;
  - ``hvp``: the products ``X W``, ``X V`` and ``X^T R``;
  - ``hessian``: the one product ``Q^T Q`` of shape (DK x N)(N x DK), with
    ``Q = x (x) p`` formed beforehand.

  For SymPy the derivation (a fresh instance: build, differentiate, compile)
  and the evaluation (compiled functions cached) are timed separately.
* ``peers``: our ``loss_grad`` against PyTorch, JAX and scikit-learn, where
  installed (``verify.bench.peers``), alternating in one process; ratio = ours / peer.
* ``memory``: the memory ``loss_grad`` allocates beyond its inputs
  (``tracemalloc``'s peak, which sees NumPy's allocations) as N grows.
* ``accuracy``: the largest gradient error relative to the largest gradient
  entry, against an exact SymPy reference (small sizes) or an extended-
  precision (``np.longdouble``) one.
* ``scaling``: the fitted exponent ``b`` of ``time ~ size^b`` along N, D and K.
* ``targets``: the issue's targets for the NumPy implementation, evaluated
  from the records above.

Timing protocol: every callable runs once untimed; then in each of
``repeats`` rounds each callable runs ``calls_per_round`` times in a row
(the order rotates between rounds), after a pause of ``PAUSE_SECONDS`` in
which the previous library's spinning worker threads (OpenBLAS, OpenMP) go
idle, and the minimum is kept. The pause is spent busy-waiting, not asleep:
on a virtual machine a core that sleeps for a tenth of a second comes back
at about half speed for the next few tens of milliseconds, which would
time the wake-up, not the callable.

The document these records go into, ``lossproof.bench/1``, is described in
``verify.bench.document``.
"""

from __future__ import annotations

import datetime as _dt
import functools
import gc
import math
import os
import subprocess
import time
import tracemalloc
from dataclasses import asdict, dataclass, field

import numpy as np

import impls

from ..harness.progress import own_cpu_seconds
from ..harness.results import environment as base_environment
from .document import SCHEMA, SECTIONS
from .peers import PEERS

OPERATIONS = ("loss", "loss_grad", "hvp", "hessian")

FLOORS = {
    "loss": "X W + exp",
    "loss_grad": "X W + exp + X^T G",
    "hvp": "X W + X V + X^T R",
    "hessian": "Q^T Q, (DK x N)(N x DK)",
}


@dataclass(frozen=True)
class Plan:
    """Which sizes to measure, and how often. ``FULL`` is the issue's grid; ``QUICK`` runs in seconds."""

    name: str
    grid: tuple = ((100_000, 256, 64), (20_000, 784, 10), (10_000, 128, 1000))
    hessian_grid: tuple = ((10_000, 64, 16),)
    dtypes: tuple = ("float64", "float32")
    loops_grid: tuple = ((200, 10, 10),)
    loops_hessian_grid: tuple = ((20, 10, 10),)
    sympy_grid: tuple = ((2, 2, 3), (2, 3, 4))
    sympy_hessian_grid: tuple = ((2, 2, 3),)
    peer_grid: tuple | None = None  # None: the grid
    memory_sizes: tuple = (100_000, 300_000, 1_000_000)
    memory_shape: tuple = (32, 16)
    accuracy_exact: tuple = ((2, 3, 4),)
    accuracy_extended: tuple = ((2000, 64, 16),)
    scaling_base: dict = field(
        default_factory=lambda: {"numpy": (20_000, 128, 32), "loops": (50, 8, 8), "sympy": (1, 2, 2)}
    )
    scaling_factors: dict = field(
        default_factory=lambda: {"numpy": (0.25, 0.5, 1, 2, 4), "loops": (1, 2, 4), "sympy": (1, 2, 4)}
    )
    repeats: int = 5
    calls_per_round: int = 2
    retries_when_busy: int = 3
    peers: tuple = ("torch", "jax", "sklearn")
    # The harness's own speed (the "harness" section): these claims serially, then in 2 worker processes and
    # on a 2-worker Dask LocalCluster. Mid-length math claims, none dominating (at most a third of the total).
    harness_claims: tuple = ("folklore.F4", "folklore.F9", "folklore.F11", "folklore.F14", "li2020.B1", "rychlik.P2-5")
    harness_workers: int = 2

    def with_(self, **changes) -> "Plan":
        return Plan(**{**asdict(self), **changes})


FULL = Plan("full")
QUICK = Plan(
    "quick",
    grid=((2000, 32, 8), (500, 16, 100)),
    hessian_grid=((200, 8, 4),),
    loops_grid=((20, 5, 4),),
    loops_hessian_grid=((5, 3, 3),),
    sympy_grid=((1, 2, 2),),
    sympy_hessian_grid=((1, 2, 2),),
    memory_sizes=(2000, 8000),
    memory_shape=(8, 4),
    accuracy_exact=((1, 2, 2),),
    accuracy_extended=((200, 8, 4),),
    scaling_base={"numpy": (2000, 16, 8), "loops": (5, 3, 3), "sympy": (1, 2, 2)},
    harness_claims=("folklore.F4", "folklore.F11"),
    scaling_factors={"numpy": (1, 2, 4), "loops": (1, 2), "sympy": (1, 2)},
    repeats=2,
    calls_per_round=1,
    retries_when_busy=0,
)
PLANS = {"full": FULL, "quick": QUICK}


# --------------------------------------------------------------------- data


class BenchProblem:
    """Deterministic inputs for one size: X (N, D), W and V (D, K), integer labels and one-hot Y."""

    def __init__(self, N, D, K, dtype, seed=0, logit_scale=2.0):
        dt = np.dtype(dtype)
        rng = np.random.default_rng([seed, N, D, K])
        self.N, self.D, self.K, self.dtype = N, D, K, dt
        self.X = rng.standard_normal((N, D), dtype=np.float64).astype(dt, copy=False)
        self.W = (rng.standard_normal((D, K)) * (logit_scale / math.sqrt(D))).astype(dt)
        self.V = (rng.standard_normal((D, K)) / math.sqrt(D)).astype(dt)
        self.labels = rng.integers(0, K, size=N)
        self.Y = impls.one_hot(self.labels, K, dtype=dt)

    @property
    def input_bytes(self) -> int:
        return self.X.nbytes + self.W.nbytes + self.Y.nbytes


@functools.lru_cache(maxsize=2)
def problem(N, D, K, dtype="float64", seed=0) -> BenchProblem:
    """The cached problem of this size (the same arrays for every caller in a process)."""
    return BenchProblem(N, D, K, dtype, seed)


# ------------------------------------------------------------------- floors


def floor(operation, pb: BenchProblem):
    """A zero-argument callable doing the work no implementation of ``operation`` can avoid."""
    X, W, V = pb.X, pb.W, pb.V
    if operation == "loss":

        def run():
            Z = X @ W
            return np.exp(Z, out=Z)

    elif operation == "loss_grad":

        def run():
            Z = X @ W
            np.exp(Z, out=Z)
            return X.T @ Z

    elif operation == "hvp":

        def run():
            Z = X @ W
            U = X @ V
            return Z, X.T @ U

    elif operation == "hessian":
        P = impls.get("numpy").probs(W, X)
        Q = (X[:, :, None] * P[:, None, :]).reshape(pb.N, pb.D * pb.K)

        def run():
            return Q.T @ Q

    else:
        raise ValueError(f"operation: expected one of {', '.join(OPERATIONS)}, got {operation!r}")
    return run


def call(impl, operation, pb: BenchProblem):
    """A zero-argument callable running ``impl``'s ``operation`` on ``pb``."""
    X, W, Y, V = pb.X, pb.W, pb.Y, pb.V
    if operation == "hvp":
        return lambda: impl.hvp(W, X, Y, V)
    method = getattr(impl, operation)
    return lambda: method(W, X, Y)


# ------------------------------------------------------------------ timing


PAUSE_SECONDS = 0.15


def alternate(callables: dict, repeats: int = 3, calls_per_round: int = 2, pause: float = PAUSE_SECONDS) -> dict:
    """Time the callables in one process, alternating; returns name -> list of seconds.

    Each runs once untimed first. Then, ``repeats`` times, each callable runs
    ``calls_per_round`` times in a row, in an order that rotates each round,
    after a ``pause``: the worker threads of the previous callable's library
    (OpenBLAS's, OpenMP's) spin for a while after a call and would slow down
    whatever runs next on the same cores.
    """
    names = list(callables)
    samples = {name: [] for name in names}
    for name in names:
        callables[name]()
    gc_was_enabled = gc.isenabled()
    gc.disable()
    try:
        for r in range(repeats):
            order = names[r % len(names) :] + names[: r % len(names)]
            for name in order:
                fn = callables[name]
                if pause and len(names) > 1:
                    _busy_wait(pause)
                for _ in range(calls_per_round):
                    t0 = time.perf_counter()
                    fn()
                    samples[name].append(time.perf_counter() - t0)
    finally:
        if gc_was_enabled:
            gc.enable()
    return samples


def _busy_wait(seconds: float) -> None:
    """Wait without letting the calling core go idle (see the timing protocol in the module's notes)."""
    end = time.perf_counter() + seconds
    while time.perf_counter() < end:
        pass


def best(samples) -> float:
    return float(min(samples))


# How much a timing may be off for the benchmark to judge a target from it:
# 5 %, a fifth of the narrowest margin a target states (1.25 against the floor).
TIMING_RESOLUTION = 0.05
# Other processes that take a share s of the CPU while a call is timed can
# stretch its time by up to 1 / (1 - s) (every core shared in proportion, the
# call's threads on every core), and the floor beside it by as little as
# nothing. The timing is judged reliable while that bound stays within
# TIMING_RESOLUTION: s <= 1 - 1 / (1 + TIMING_RESOLUTION), about 4.8 %. A
# measurement above it is repeated (up to the plan's ``retries_when_busy``),
# and a target evaluated from one is not judged.
BUSY_SHARE = 1.0 - 1.0 / (1.0 + TIMING_RESOLUTION)


def reliable(share) -> bool:
    """Whether a timing taken while other processes used ``share`` of the CPU can be judged (None: not measured, off Linux)."""
    return share is None or share <= BUSY_SHARE


def alternate_when_quiet(callables: dict, repeats=3, calls_per_round=2, retries=0):
    """``alternate``, run again up to ``retries`` times while other processes were busy.

    Returns (name -> samples of every attempt, the lowest share of the CPU
    that other processes took during an attempt, or None off Linux). Load
    only ever slows a call down, so the minimum over more samples is the
    better estimate.
    """
    samples = {name: [] for name in callables}
    lowest = None
    for _ in range(retries + 1):
        start, t0 = _cpu_seconds(), time.perf_counter()
        for name, values in alternate(callables, repeats, calls_per_round).items():
            samples[name] += values
        share = _other_share(start, _cpu_seconds(), time.perf_counter() - t0)
        if share is None:
            break
        lowest = share if lowest is None else min(lowest, share)
        if share <= BUSY_SHARE:
            break
    return samples, lowest


def ratio_to_floor(impl, operation, pb, repeats=3, calls_per_round=2, retries=0):
    """(implementation seconds, floor seconds, samples, other processes' CPU share), timed alternating."""
    s, share = alternate_when_quiet(
        {"impl": call(impl, operation, pb), "floor": floor(operation, pb)}, repeats, calls_per_round, retries
    )
    return best(s["impl"]), best(s["floor"]), s, share


def peer_ratio(peer, pb, repeats=3, calls_per_round=2, retries=0):
    """(our loss_grad seconds, the peer's seconds, other processes' CPU share), timed alternating in this process."""
    ours = impls.get("numpy")
    s, share = alternate_when_quiet(
        {"ours": call(ours, "loss_grad", pb), "peer": peer.prepare(pb.X, pb.W, pb.labels)},
        repeats,
        calls_per_round,
        retries,
    )
    return best(s["ours"]), best(s["peer"]), share


# ------------------------------------------------------------------ memory


def extra_bytes(impl, pb: BenchProblem, operation="loss_grad") -> int:
    """Peak bytes allocated during one call beyond what existed before it (``tracemalloc``)."""
    return traced_extra_bytes(call(impl, operation, pb))


def traced_extra_bytes(fn) -> int:
    """Peak bytes ``tracemalloc`` sees allocated during one call of ``fn()`` beyond what existed before it
    (NumPy's allocations, its result's included; not those of libraries with their own allocator, e.g. torch)."""
    fn()  # warm: lazily created thread pools and caches are not per-call memory
    started = tracemalloc.is_tracing()
    if not started:
        tracemalloc.start()
    try:
        tracemalloc.reset_peak()
        before = tracemalloc.get_traced_memory()[0]
        result = fn()
        peak = tracemalloc.get_traced_memory()[1]
        del result
    finally:
        if not started:
            tracemalloc.stop()
    return int(peak - before)


# ---------------------------------------------------------------- accuracy


def exact_reference_grad(pb: BenchProblem) -> np.ndarray:
    """The gradient of the exact (rational) inputs from SymPy, evaluated to 40 digits."""
    import sympy

    def exact(a):
        return np.array([sympy.Rational(float(v)) for v in a.ravel()], dtype=object).reshape(a.shape)

    G = impls.get("sympy").grad(exact(pb.W), exact(pb.X), exact(pb.Y))
    return np.array([[float(sympy.N(g, 40)) for g in row] for row in G], dtype=np.float64)


def has_extended_precision() -> bool:
    return np.finfo(np.longdouble).nmant > np.finfo(np.float64).nmant


def extended_reference_grad(pb: BenchProblem) -> np.ndarray:
    """The gradient of the (exactly upcast) inputs computed in ``np.longdouble``, stable softmax."""
    X, W, Y = (a.astype(np.longdouble) for a in (pb.X, pb.W, pb.Y))
    Z = X @ W
    Z -= Z.max(axis=1, keepdims=True)
    E = np.exp(Z)
    P = E / E.sum(axis=1, keepdims=True)
    return X.T @ (P - Y) / X.shape[0]


def relative_grad_error(G, G_ref) -> float:
    """max |G - G_ref| / max |G_ref|, computed in extended precision."""
    G = np.asarray(G, dtype=np.longdouble)
    G_ref = np.asarray(G_ref, dtype=np.longdouble)
    return float(np.max(np.abs(G - G_ref)) / np.max(np.abs(G_ref)))


# ------------------------------------------------------------------ scaling


def fit_exponent(sizes, seconds) -> float:
    """The slope b of log(seconds) = a + b log(size), least squares."""
    return float(np.polyfit(np.log(sizes), np.log(seconds), 1)[0])


# ---------------------------------------------------------------- the run


def _git_commit():
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    try:
        commit = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=root, capture_output=True, text=True, timeout=10, check=True
        ).stdout.strip()
        dirty = bool(
            subprocess.run(
                ["git", "status", "--porcelain", "--untracked-files=no"],
                cwd=root,
                capture_output=True,
                text=True,
                timeout=10,
                check=True,
            ).stdout.strip()
        )
        return commit, dirty
    except (OSError, subprocess.SubprocessError):
        return None, None


def _load_average():
    try:
        return [round(x, 2) for x in os.getloadavg()]
    except (AttributeError, OSError):
        return None


def _cpu_seconds():
    """(seconds of CPU used by every process, by this one), or None off Linux."""
    try:
        with open("/proc/stat", encoding="ascii") as fh:
            fields = [int(v) for v in fh.readline().split()[1:]]
        ticks = os.sysconf("SC_CLK_TCK")
        # This process and its finished children: the harness section's worker processes are our own work;
        # a live process beside the timing is load, whoever started it.
        return (sum(fields) - fields[3] - fields[4]) / ticks, own_cpu_seconds(live_descendants=False)
    except (OSError, ValueError, IndexError):
        return None


def _other_share(start, end, wall):
    """The share of all cores that other processes used between two ``_cpu_seconds`` readings."""
    if start is None or end is None or wall <= 0:
        return None
    others = (end[0] - start[0]) - (end[1] - start[1])
    return round(max(0.0, others) / (wall * (os.cpu_count() or 1)), 4)


def environment(plan: Plan) -> dict:
    commit, dirty = _git_commit()
    numpy_impl = impls.get("numpy")
    return {
        **base_environment(),
        "threads": getattr(numpy_impl, "threads", None),
        "block_elements": getattr(numpy_impl, "block_elements", None),
        "peers": {name: (p.version() if p.available() else None) for name, p in PEERS.items() if name in plan.peers},
        "load_average": {"start": _load_average(), "end": None},
        "commit": commit,
        "dirty": dirty,
    }


def _point(N, D, K, dtype):
    return {"N": int(N), "D": int(D), "K": int(K), "dtype": np.dtype(dtype).name}


class _Runner:
    def __init__(self, plan: Plan, progress=None):
        self.plan = plan
        self.progress = progress or (lambda line: None)

    def say(self, line):
        self.progress(line)

    # timings -------------------------------------------------------------
    def timings(self):
        plan, out = self.plan, []
        numpy_ops = ("loss", "loss_grad", "hvp")
        jobs = [("numpy", plan.grid, numpy_ops), ("numpy", plan.hessian_grid, ("hessian",))]
        jobs += [("loops", plan.loops_grid, numpy_ops), ("loops", plan.loops_hessian_grid, ("hessian",))]
        for name, grid, ops in jobs:
            impl = impls.get(name)
            caps = impls.capabilities_of(impl)
            for N, D, K in grid:
                for dtype in plan.dtypes:
                    if not caps.supports_dtype(dtype) or not caps.handles(N, D, K, hessian="hessian" in ops):
                        continue
                    pb = problem(N, D, K, dtype)
                    for op in ops:
                        t, f, s, share = ratio_to_floor(
                            impl, op, pb, plan.repeats, plan.calls_per_round, plan.retries_when_busy
                        )
                        out.append(self._timing(name, op, "call", (N, D, K, dtype), s["impl"], f, share))
                        self.say(f"{name:6} {op:10} {N:>7} {D:>4} {K:>5} {dtype:8} {t * 1e3:10.2f} ms  floor x{t / f:.3f}")
        out += self._sympy_timings()
        return out

    def _timing(self, name, op, phase, point, samples, floor_seconds, share=None):
        t = best(samples)
        return {
            "implementation": name,
            "operation": op,
            "phase": phase,
            **_point(*point),
            "seconds": t,
            "median_seconds": float(np.median(samples)),
            "samples": len(samples),
            "floor": None if floor_seconds is None else FLOORS[op],
            "floor_seconds": floor_seconds,
            "ratio_to_floor": None if floor_seconds is None else t / floor_seconds,
            "other_processes_cpu": share,
            "reliable": reliable(share),
        }

    def _sympy_timings(self):
        plan, out = self.plan, []
        jobs = [(g, ("loss_grad", "hvp")) for g in plan.sympy_grid] + [(g, ("hessian",)) for g in plan.sympy_hessian_grid]
        for (N, D, K), ops in jobs:
            pb = problem(N, D, K, "float64")
            for op in ops:
                derive = []
                for _ in range(max(1, plan.repeats - 1)):
                    fresh = impls.get("sympy")
                    t0 = time.perf_counter()
                    call(fresh, op, pb)()
                    derive.append(time.perf_counter() - t0)
                out.append(self._timing("sympy", op, "derivation", (N, D, K, "float64"), derive, None))
                compiled = impls.get("sympy")
                call(compiled, op, pb)()
                t, f, s, share = ratio_to_floor(compiled, op, pb, plan.repeats, plan.calls_per_round)
                out.append(self._timing("sympy", op, "evaluation", (N, D, K, "float64"), s["impl"], f, share))
                self.say(f"sympy  {op:10} {N:>7} {D:>4} {K:>5} derive {best(derive):.3f} s, evaluate {t * 1e3:.3f} ms")
        return out

    # peers ---------------------------------------------------------------
    def peers(self):
        plan, out = self.plan, []
        grid = plan.grid if plan.peer_grid is None else plan.peer_grid
        for peer_name in plan.peers:
            peer = PEERS[peer_name]
            if not peer.available():
                out.append({"peer": peer_name, "version": None, "available": False})
                self.say(f"peer {peer_name}: not installed, skipped")
                continue
            for N, D, K in grid:
                for dtype in plan.dtypes:
                    pb = problem(N, D, K, dtype)
                    ours, theirs, share = peer_ratio(peer, pb, plan.repeats, plan.calls_per_round, plan.retries_when_busy)
                    out.append(
                        {
                            "peer": peer_name,
                            "version": peer.version(),
                            "available": True,
                            **_point(N, D, K, dtype),
                            "ours_seconds": ours,
                            "peer_seconds": theirs,
                            "ratio": ours / theirs,
                            "other_processes_cpu": share,
                            "reliable": reliable(share),
                        }
                    )
                    self.say(f"peer {peer_name:8} {N:>7} {D:>4} {K:>5} {dtype:8} ours/peer {ours / theirs:.3f}")
        return out

    # memory --------------------------------------------------------------
    def memory(self):
        plan, out = self.plan, []
        D, K = plan.memory_shape
        impl = impls.get("numpy")
        for N in plan.memory_sizes:
            pb = BenchProblem(N, D, K, "float64")  # not cached: large, used once
            extra = extra_bytes(impl, pb)
            out.append(
                {"implementation": "numpy", **_point(N, D, K, "float64"), "input_bytes": pb.input_bytes, "extra_bytes": extra}
            )
            self.say(f"memory N={N:>8}: inputs {pb.input_bytes / 2**20:8.1f} MiB, extra {extra / 2**20:6.2f} MiB")
            del pb
        return out

    # accuracy ------------------------------------------------------------
    def accuracy(self):
        plan, out = self.plan, []
        for N, D, K in plan.accuracy_exact:
            ref = exact_reference_grad(problem(N, D, K, "float64"))
            ref32 = exact_reference_grad(problem(N, D, K, "float32"))
            for name in ("numpy", "loops", "sympy"):
                impl = impls.get(name)
                for dtype in plan.dtypes:
                    if not impls.capabilities_of(impl).supports_dtype(dtype):
                        continue
                    pb = problem(N, D, K, dtype)
                    err = relative_grad_error(impl.grad(pb.W, pb.X, pb.Y), ref if dtype == "float64" else ref32)
                    out.append(self._accuracy(name, (N, D, K, dtype), "sympy-exact", err))
        if has_extended_precision():
            for N, D, K in plan.accuracy_extended:
                for dtype in plan.dtypes:
                    pb = problem(N, D, K, dtype)
                    ref = extended_reference_grad(pb)
                    for name in ("numpy", "loops"):
                        impl = impls.get(name)
                        caps = impls.capabilities_of(impl)
                        if not caps.supports_dtype(dtype) or not caps.handles(N, D, K):
                            continue
                        err = relative_grad_error(impl.grad(pb.W, pb.X, pb.Y), ref)
                        out.append(self._accuracy(name, (N, D, K, dtype), "extended-longdouble", err))
        return out

    def _accuracy(self, name, point, reference, err):
        eps = float(np.finfo(point[3]).eps)
        self.say(f"accuracy {name:6} {point} vs {reference}: {err:.2e} ({err / eps:.1f} eps)")
        return {"implementation": name, **_point(*point), "reference": reference, "max_relative_grad_error": err, "eps": eps}

    # harness -------------------------------------------------------------
    def harness(self):
        plan, out = self.plan, []
        if not plan.harness_claims:
            return out
        try:
            import distributed  # noqa: F401
            has_dask = True
        except ImportError:
            has_dask = False
        for runner, dask in (("jobs", None), ("dask-local", "local")):
            record = {"runner": runner, "workers": plan.harness_workers, "claims": list(plan.harness_claims),
                      "available": runner == "jobs" or has_dask}
            if record["available"]:
                cpu_start, wall_start = _cpu_seconds(), time.perf_counter()
                record.update(harness_speedup(plan.harness_claims, plan.harness_workers, dask))
                record["other_processes_cpu"] = _other_share(cpu_start, _cpu_seconds(), time.perf_counter() - wall_start)
                self.say(f"harness {runner:10} {plan.harness_workers} workers: serial {record['serial_seconds']:.1f} s, "
                         f"parallel {record['parallel_seconds']:.1f} s, speed-up {record['speedup']:.2f}")
            else:
                self.say(f"harness {runner:10} skipped: distributed is not installed")
            out.append(record)
        return out

    # scaling -------------------------------------------------------------
    def scaling(self):
        plan, out = self.plan, []
        for name, base in plan.scaling_base.items():
            impl = impls.get(name)
            caps = impls.capabilities_of(impl)
            for axis_index, axis in enumerate("NDK"):
                sizes, seconds = [], []
                for factor in plan.scaling_factors[name]:
                    shape = list(base)
                    shape[axis_index] = max(2 if axis == "K" else 1, int(round(base[axis_index] * factor)))
                    if not caps.handles(*shape):
                        continue
                    pb = problem(*shape, "float64")
                    fn = call(impl, "loss_grad", pb)
                    fn()  # SymPy: derive and compile this shape outside the timing
                    sizes.append(shape[axis_index])
                    seconds.append(best(alternate({"f": fn}, plan.repeats, plan.calls_per_round)["f"]))
                if len(sizes) < 2:
                    continue
                exponent = fit_exponent(sizes, seconds)
                fixed = {a: base[i] for i, a in enumerate("NDK") if a != axis}
                out.append(
                    {
                        "implementation": name,
                        "operation": "loss_grad",
                        "axis": axis,
                        "fixed": fixed,
                        "sizes": sizes,
                        "seconds": seconds,
                        "exponent": exponent,
                    }
                )
                self.say(f"scaling {name:6} loss_grad vs {axis}: exponent {exponent:.2f}")
        return out


def claims_wall_seconds(claim_ids, **how) -> float:
    """Wall time of running ``claim_ids`` on the reference implementation, ``how`` as ``runner.run`` takes it.

    Pool or cluster start-up is included: a user waits for it too. Every
    verdict must match, or the figure would time a failure.
    """
    from ..catalog import all_claims
    from ..harness.runner import run as run_claims

    start = time.perf_counter()
    results = run_claims(all_claims(), ["numpy"], patterns=list(claim_ids), **how)
    elapsed = time.perf_counter() - start
    if not all(r.matches for r in results):
        raise RuntimeError("a claim's verdict did not match: "
                           + "; ".join(r.failure_message() for r in results if not r.matches))
    return elapsed


def harness_speedup(claim_ids, workers: int, dask: str | None = None) -> dict:
    """Serial wall time over parallel wall time of the same claims, the serial run timed right before the other."""
    serial = claims_wall_seconds(claim_ids, jobs=1)
    parallel = claims_wall_seconds(claim_ids, jobs=workers, **({"dask": dask} if dask else {}))
    return {"serial_seconds": serial, "parallel_seconds": parallel, "speedup": serial / parallel}


def evaluate_targets(doc: dict) -> list:
    """The issue's targets for the NumPy implementation, from the records of ``doc``."""
    targets = []

    def add(id_, description, point, value, limit, comparison, share=None, timed=True):
        # A target from a timing taken on a busy machine is not judged: ``met`` is None, and
        # ``other_processes_cpu`` says how busy it was. Memory is counted, not timed: always judged.
        judged = not timed or reliable(share)
        met = (value <= limit if comparison == "<=" else value < limit) if judged else None
        targets.append(
            {
                "id": id_,
                "description": description,
                "point": point,
                "value": value,
                "limit": limit,
                "comparison": comparison,
                "met": None if met is None else bool(met),
                "judged": judged,
                "other_processes_cpu": share if timed else None,
            }
        )

    limits = {"loss_grad": 1.25, "hvp": 1.25, "hessian": 1.5}
    for t in doc.get("timings", []):
        if t["implementation"] == "numpy" and t["operation"] in limits and t["ratio_to_floor"] is not None:
            point = {k: t[k] for k in ("N", "D", "K", "dtype")}
            add(
                f"numpy.{t['operation']}.floor",
                f"numpy {t['operation']} time / floor ({t['floor']})",
                point,
                t["ratio_to_floor"],
                limits[t["operation"]],
                "<=",
                t.get("other_processes_cpu"),
            )
    torch_points = {(100_000, 256, 64), (10_000, 128, 1000)}
    for p in doc.get("peers", []):
        if not p.get("available"):
            continue
        point = {k: p[k] for k in ("N", "D", "K", "dtype")}
        if p["peer"] == "torch":
            if (p["N"], p["D"], p["K"]) in torch_points:
                add("numpy.vs.torch", "numpy loss_grad time / PyTorch CPU time", point, p["ratio"], 1.0, "<=",
                    p.get("other_processes_cpu"))
        else:
            add(f"numpy.vs.{p['peer']}", f"numpy loss_grad time / {p['peer']} time", point, p["ratio"], 1.0, "<",
                p.get("other_processes_cpu"))
    memory = doc.get("memory", [])
    if len(memory) >= 2:
        extras = [m["extra_bytes"] for m in memory]
        add(
            "numpy.loss_grad.memory",
            "extra memory of loss_grad at the largest N / at the smallest N",
            {"N": [m["N"] for m in memory], "D": memory[0]["D"], "K": memory[0]["K"], "dtype": memory[0]["dtype"]},
            max(extras[-1], 1) / max(extras[0], 1),
            1.1,
            "<=",
            timed=False,
        )
    return targets


def plan_steps(plan: Plan, sections=SECTIONS) -> int:
    """How many progress lines ``run(plan, sections)`` prints: one per measurement (the total of its progress bar).

    It follows the loops of the sections above (tests/test_bench.py checks the
    count against a run's lines): a skipped peer and a skipped harness
    runner say so on a line of their own.
    """
    steps = 0
    if "timings" in sections:
        numpy_ops = ("loss", "loss_grad", "hvp")
        jobs = [("numpy", plan.grid, numpy_ops), ("numpy", plan.hessian_grid, ("hessian",)),
                ("loops", plan.loops_grid, numpy_ops), ("loops", plan.loops_hessian_grid, ("hessian",))]
        for name, grid, ops in jobs:
            caps = impls.capabilities_of(impls.get(name))
            steps += len(ops) * sum(caps.supports_dtype(dtype) and caps.handles(N, D, K, hessian="hessian" in ops)
                                    for N, D, K in grid for dtype in plan.dtypes)
        steps += 2 * len(plan.sympy_grid) + len(plan.sympy_hessian_grid)
    if "peers" in sections:
        grid = plan.grid if plan.peer_grid is None else plan.peer_grid
        steps += sum(len(grid) * len(plan.dtypes) if PEERS[name].available() else 1 for name in plan.peers)
    if "memory" in sections:
        steps += len(plan.memory_sizes)
    if "accuracy" in sections:
        for name in ("numpy", "loops", "sympy"):
            caps = impls.capabilities_of(impls.get(name))
            steps += len(plan.accuracy_exact) * sum(caps.supports_dtype(d) for d in plan.dtypes)
        if has_extended_precision():
            for name in ("numpy", "loops"):
                caps = impls.capabilities_of(impls.get(name))
                steps += sum(caps.supports_dtype(dtype) and caps.handles(N, D, K)
                             for N, D, K in plan.accuracy_extended for dtype in plan.dtypes)
    if "scaling" in sections:
        for name, base in plan.scaling_base.items():
            caps = impls.capabilities_of(impls.get(name))
            for axis_index, axis in enumerate("NDK"):
                shapes = []
                for factor in plan.scaling_factors[name]:
                    shape = list(base)
                    shape[axis_index] = max(2 if axis == "K" else 1, int(round(base[axis_index] * factor)))
                    shapes.append(caps.handles(*shape))
                steps += sum(shapes) >= 2
    if "harness" in sections and plan.harness_claims:
        steps += 2
    return int(steps)


def run(plan: Plan = FULL, sections=SECTIONS, progress=None) -> dict:
    """Measure ``sections`` under ``plan``; returns the ``lossproof.bench/1`` document."""
    unknown = [s for s in sections if s not in SECTIONS]
    if unknown:
        raise ValueError(f"sections: unknown {', '.join(unknown)}; choose from {', '.join(SECTIONS)}")
    runner = _Runner(plan, progress)
    cpu_start, wall_start = _cpu_seconds(), time.perf_counter()
    doc = {
        "schema": SCHEMA,
        "created": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
        "plan": _jsonable(asdict(plan)),
        "environment": environment(plan),
    }
    for section in SECTIONS:
        doc[section] = getattr(runner, section)() if section in sections else []
    doc["environment"]["load_average"]["end"] = _load_average()
    wall = time.perf_counter() - wall_start
    doc["environment"]["other_processes_cpu"] = _other_share(cpu_start, _cpu_seconds(), wall)
    doc["environment"]["busy_share"] = round(BUSY_SHARE, 4)
    # Every record timed on a quiet enough machine: a target is judged only from reliable timings.
    doc["environment"]["timings_reliable"] = all(
        r.get("reliable", True) for r in doc["timings"] + doc["peers"]) and reliable(doc["environment"]["other_processes_cpu"])
    doc["environment"]["duration_seconds"] = round(wall, 1)
    # The targets are stated for the sizes: evaluated on the full plan only.
    doc["targets"] = evaluate_targets(doc) if plan.name == FULL.name else []
    problem.cache_clear()
    return doc


def _jsonable(value):
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, (np.integer,)):
        return int(value)
    if isinstance(value, (np.floating,)):
        return float(value)
    return value

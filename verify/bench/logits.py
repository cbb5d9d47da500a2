"""The logits-level benchmark: cross-entropy of (N, K) logits at language-model shapes, on the CPU.

lossproof's own NumPy implementation (``impls.logits``: one blocked pass, no BLAS) against
``torch.nn.functional.cross_entropy`` on the CPU, for the loss alone and for the loss with its gradient with
respect to the logits (``backward()`` of the mean), N = 4096 tokens and K = 32000 or 128256 classes, float32
(torch also bfloat16: NumPy has none). The asv suite (``benchmarks/bench_logits.py``) and :func:`measure` use
the definitions here.

* Time, as a ratio to the *floor*: the memory traffic no implementation can avoid, timed in the same process,
  alternating with it (``run.alternate_when_quiet``): ``loss`` reads the N x K logits once (``np.max``);
  ``loss_grad`` reads them once and writes a new N x K array (``np.negative``), the gradient it must return.
  For bfloat16 the floor runs over 2-byte integers holding the same number of entries (NumPy has no bfloat16;
  the traffic is what counts).
* Memory beyond the inputs: the rise of the process's resident set during one call (Linux: ``VmHWM`` after
  resetting it through ``/proc/self/clear_refs``), which sees every allocator, torch's included; and, for
  NumPy, ``tracemalloc``'s peak (``run.traced_extra_bytes``). Both include the returned gradient (N x K).
* Fused kernels (Liger-Kernel, Triton, ``torch-linear-ce``) are not timed here: on the CPU they run in the
  Triton interpreter, whose timings say nothing of their speed. Their timings belong to a GPU run.
"""

from __future__ import annotations

import functools
import importlib.util
import os

import numpy as np

from impls.logits import cross_entropy, loss_and_grad

from .run import alternate_when_quiet, best, traced_extra_bytes

SHAPES = ((4096, 32000), (4096, 128256))
OPERATIONS = ("loss", "loss_grad")
DTYPES = {"numpy": ("float32",), "torch": ("float32", "bfloat16")}
IMPLEMENTATIONS = tuple(DTYPES)
FLOORS = {"loss": "read the N x K logits once (np.max)",
          "loss_grad": "read the N x K logits once and write an N x K array (np.negative)"}
# A call at the large shape takes about a second: three alternating rounds, one call each, once more if busy.
TIMING = {"repeats": 3, "calls_per_round": 1, "retries": 1}
LOGIT_SCALE = 4.0  # logits ~ 4 N(0, 1): a spread like a language model's, far from uniform probabilities


class LogitsProblem:
    """Deterministic float32 logits (N, K) and class indices (N,), and the data of each dtype's floor."""

    def __init__(self, N: int, K: int, seed: int = 0):
        rng = np.random.default_rng([seed, N, K])
        self.N, self.K = N, K
        self.logits = rng.standard_normal((N, K), dtype=np.float32)
        self.logits *= np.float32(LOGIT_SCALE)
        self.labels = rng.integers(0, K, size=N)

    @functools.cached_property
    def bfloat16_sized(self) -> np.ndarray:
        """N x K 2-byte entries (the logits' upper halves): the floor's data for bfloat16."""
        return (self.logits.view(np.uint32) >> 16).astype(np.uint16)

    def floor_data(self, dtype: str) -> np.ndarray:
        if dtype == "float32":
            return self.logits
        if dtype == "bfloat16":
            return self.bfloat16_sized
        raise ValueError(f"dtype: must be one of float32, bfloat16, got {dtype!r}")


@functools.lru_cache(maxsize=1)
def problem(N: int, K: int, seed: int = 0) -> LogitsProblem:
    """The cached problem (one at a time: the large one is 2.1 GB)."""
    return LogitsProblem(N, K, seed)


def available(implementation: str) -> bool:
    if implementation not in DTYPES:
        raise ValueError(f"implementation: must be one of {', '.join(IMPLEMENTATIONS)}, got {implementation!r}")
    return implementation == "numpy" or importlib.util.find_spec("torch") is not None


def unavailable_reason(implementation: str, dtype: str) -> str:
    """Why this pair is not measured, or "" when it is."""
    if not available(implementation):
        return f"{implementation} is not installed (pip install torch)"
    if dtype not in DTYPES[implementation]:
        return f"{implementation} does not compute in {dtype}" + (" (NumPy has no bfloat16)" if dtype == "bfloat16" else "")
    return ""


def floor(operation: str, pb: LogitsProblem, dtype: str = "float32"):
    """A zero-argument callable doing the memory traffic ``operation`` cannot avoid (see the module's notes)."""
    data = pb.floor_data(dtype)
    if operation == "loss":
        return lambda: np.max(data)
    if operation == "loss_grad":
        return lambda: np.negative(data)
    raise ValueError(f"operation: must be one of {', '.join(OPERATIONS)}, got {operation!r}")


def prepare(implementation: str, operation: str, pb: LogitsProblem, dtype: str = "float32"):
    """A zero-argument callable computing the mean loss (``loss``) or the loss and its gradient (``loss_grad``)."""
    why = unavailable_reason(implementation, dtype)
    if why:
        raise ValueError(f"implementation: {why}")
    if operation not in OPERATIONS:
        raise ValueError(f"operation: must be one of {', '.join(OPERATIONS)}, got {operation!r}")
    if implementation == "numpy":
        z, y = pb.logits, pb.labels
        return (lambda: cross_entropy(z, y)) if operation == "loss" else (lambda: loss_and_grad(z, y))
    import torch
    import torch.nn.functional as F

    z = torch.from_numpy(pb.logits)
    if dtype == "bfloat16":
        z = z.to(torch.bfloat16)
    y = torch.from_numpy(pb.labels)
    if operation == "loss":
        def loss():
            with torch.no_grad():
                return F.cross_entropy(z, y)
        return loss
    leaf = z.detach().requires_grad_()

    def loss_grad():
        leaf.grad = None
        value = F.cross_entropy(leaf, y)
        value.backward()
        return value, leaf.grad

    return loss_grad


def timed_against_floor(callables: dict, operation: str, pb: LogitsProblem, dtype: str, **timing) -> dict:
    """name -> best seconds of each callable and of the floor (``"floor"``), alternating in this process, and
    ``"other_share"``: the lowest share of the CPU other processes took during an attempt (None off Linux)."""
    samples, share = alternate_when_quiet({**callables, "floor": floor(operation, pb, dtype)}, **{**TIMING, **timing})
    return {**{name: best(s) for name, s in samples.items()}, "other_share": share}


# ------------------------------------------------------------------ memory

_CLEAR_REFS = "/proc/self/clear_refs"


def can_measure_resident() -> bool:
    """Whether the peak resident set can be reset here (Linux, ``/proc/self/clear_refs`` writable)."""
    return os.access(_CLEAR_REFS, os.W_OK)


def _status_kb(field: str) -> int:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    raise OSError(f"/proc/self/status has no {field}")


def resident_extra_bytes(fn) -> int:
    """How far the process's resident set rises above its level before one call of ``fn()`` (every allocator;
    the call's result included). Raises ``OSError`` where the peak cannot be reset (see :func:`can_measure_resident`).

    Memory a previous call freed but the allocator kept (glibc keeps freed blocks below its mmap threshold, at
    most 32 MB) is resident already and is not counted again: the figure is exact for arrays above that size,
    which every N x K array of :data:`SHAPES` is, and a lower bound below it."""
    fn()  # warm: thread pools and caches created once are not per-call memory
    with open(_CLEAR_REFS, "w") as f:
        f.write("5")  # reset VmHWM to the current resident set
    before = _status_kb("VmRSS")
    result = fn()
    peak = _status_kb("VmHWM")
    del result
    return (peak - before) * 1024


def traced_bytes(implementation: str, operation: str, pb: LogitsProblem) -> int:
    """``tracemalloc``'s figure for NumPy (torch's allocator is invisible to it: ``ValueError`` for torch)."""
    if implementation != "numpy":
        raise ValueError(f"implementation: tracemalloc does not see {implementation}'s allocations; "
                         "use resident_extra_bytes")
    return traced_extra_bytes(prepare(implementation, operation, pb))


# ------------------------------------------------------------------ one run


def measure(shapes=SHAPES, operations=OPERATIONS, implementations=IMPLEMENTATIONS, say=print, **timing) -> list[dict]:
    """Each available (implementation, dtype) at every shape and operation: seconds, floor seconds, ratio,
    memory beyond the inputs. float32 implementations alternate with each other and with the float32 floor."""
    rows = []
    for N, K in shapes:
        problem.cache_clear()
        pb = problem(N, K)
        for operation in operations:
            for dtype in ("float32", "bfloat16"):
                names = [i for i in implementations if not unavailable_reason(i, dtype)]
                if not names:
                    continue
                fns = {name: prepare(name, operation, pb, dtype) for name in names}
                t = timed_against_floor(fns, operation, pb, dtype, **timing)
                for name, fn in fns.items():
                    row = {"N": N, "K": K, "operation": operation, "implementation": name, "dtype": dtype,
                           "seconds": t[name], "floor_seconds": t["floor"], "ratio_to_floor": t[name] / t["floor"],
                           "other_share": t["other_share"],
                           "resident_extra_bytes": resident_extra_bytes(fn) if can_measure_resident() else None,
                           "traced_extra_bytes": traced_bytes(name, operation, pb) if name == "numpy" else None}
                    rows.append(row)
                    say(format_row(row))
                del fns
    return rows


def format_row(row: dict) -> str:
    mb = lambda b: "-" if b is None else f"{b / 2**20:.0f} MB"  # noqa: E731
    return (f"N={row['N']} K={row['K']} {row['operation']:9s} {row['implementation']:5s} {row['dtype']:8s} "
            f"{row['seconds'] * 1e3:8.1f} ms  floor {row['floor_seconds'] * 1e3:7.1f} ms  "
            f"x{row['ratio_to_floor']:5.2f}  resident +{mb(row['resident_extra_bytes'])}  "
            f"traced +{mb(row['traced_extra_bytes'])}")

"""Cross-entropy of logits at language-model shapes: lossproof's NumPy (impls.logits) against torch on the CPU.

N = 4096 tokens, K = 32000 and 128256 classes; float32, and bfloat16 for torch (NumPy has none). The
definitions, floors and memory figures are in ``verify.bench.logits``. Fused (Triton) kernels are not timed:
on the CPU they run in the Triton interpreter, whose timings are not performance.
The large shape's logits are 2.1 GB (float32); a loss_grad holds about four such arrays at its peak (torch).
"""

from verify.bench import logits as L

from . import common  # noqa: F401 - makes this checkout importable under asv's "existing" environment

SHAPES = [f"{N}x{K}" for N, K in L.SHAPES]
DTYPES = ["float32", "bfloat16"]


def _problem(shape):
    N, K = (int(n) for n in shape.split("x"))
    return L.problem(N, K)


def _skip_unless_measured(implementation, dtype):
    why = L.unavailable_reason(implementation, dtype)
    if why:
        raise NotImplementedError(why)  # asv: skipped


class LogitsCrossEntropy:
    """``time_``: one call; ``peakmem_``: the process's peak (inputs included); ``track_``: time / floor time."""

    params = [list(L.IMPLEMENTATIONS), list(L.OPERATIONS), SHAPES, DTYPES]
    param_names = ["implementation", "operation", "shape", "dtype"]
    number = 1
    repeat = (1, 5, 60.0)
    warmup_time = 0.0
    processes = 1
    timeout = 900

    def setup(self, implementation, operation, shape, dtype):
        _skip_unless_measured(implementation, dtype)
        self.pb = _problem(shape)
        self.run = L.prepare(implementation, operation, self.pb, dtype)
        self.run()  # torch's thread pool and first allocations outside the timings

    def time_call(self, implementation, operation, shape, dtype):
        self.run()

    def peakmem_call(self, implementation, operation, shape, dtype):
        self.run()

    def track_ratio_to_floor(self, implementation, operation, shape, dtype):
        t = L.timed_against_floor({"impl": self.run}, operation, self.pb, dtype)
        return t["impl"] / t["floor"]

    track_ratio_to_floor.unit = "ratio"


class LogitsFloor:
    """The floors alone: read the logits once (loss); read them and write an N x K array (loss_grad)."""

    params = [list(L.OPERATIONS), SHAPES, DTYPES]
    param_names = ["operation", "shape", "dtype"]
    number = 1
    repeat = (1, 5, 30.0)
    warmup_time = 0.0
    timeout = 600

    def setup(self, operation, shape, dtype):
        self.floor = L.floor(operation, _problem(shape), dtype)

    def time_floor(self, operation, shape, dtype):
        self.floor()


class LogitsExtraMemory:
    """Bytes one call adds beyond its inputs, its returned gradient included (``verify.bench.logits``)."""

    params = [list(L.IMPLEMENTATIONS), list(L.OPERATIONS), SHAPES, DTYPES]
    param_names = ["implementation", "operation", "shape", "dtype"]
    processes = 1
    timeout = 600

    def setup(self, implementation, operation, shape, dtype):
        _skip_unless_measured(implementation, dtype)
        if not L.can_measure_resident():
            raise NotImplementedError("the peak resident set cannot be reset here (Linux /proc/self/clear_refs)")
        self.pb = _problem(shape)
        self.run = L.prepare(implementation, operation, self.pb, dtype)

    def track_resident_extra_bytes(self, implementation, operation, shape, dtype):
        return L.resident_extra_bytes(self.run)

    track_resident_extra_bytes.unit = "bytes"


class LogitsTracedMemory:
    """NumPy's allocations during one call (``tracemalloc``; torch's allocator is invisible to it)."""

    params = [list(L.OPERATIONS), SHAPES]
    param_names = ["operation", "shape"]
    timeout = 600

    def setup(self, operation, shape):
        self.pb = _problem(shape)

    def track_traced_extra_bytes(self, operation, shape):
        return L.traced_bytes("numpy", operation, self.pb)

    track_traced_extra_bytes.unit = "bytes"

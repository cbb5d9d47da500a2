"""impls/logits: lossproof's NumPy cross-entropy of logits, under the torch-ce contract's claims, without torch.

The contract's adapter (verify/catalog/kernels/contract.py) calls a kernel with torch tensors and takes the
gradient with torch.autograd, so the NumPy function is put under the same claims through
:class:`NumpyLogitsKernel`, a torch-free stand-in with the adapter's interface (``call(case) -> Call``): each
claim draws its cases with Hypothesis, evaluates verify/catalog/kernels/reference.py and holds the result to
the tolerances derived in verify/catalog/kernels/tolerances.py, exactly as for torch. A planted bug (the
smoothing dropped) shows the stand-in passes on what the function returns, not on what it is.
"""

from __future__ import annotations

import tracemalloc

import numpy as np
import pytest

from impls.logits import block_rows, cross_entropy, cross_entropy_vjp, extra_bytes_bound, loss_and_grad
from verify.catalog.kernels.contract import Call, round_to
from verify.catalog.kernels.reference import REDUCTIONS, KernelCase
from verify.harness.claims import run_claim
from verify.harness.runner import context

NUMPY_DTYPES = ("float32", "float64")


class NumpyLogitsKernel:
    """The torch-ce contract's kernel interface over a NumPy ``loss_and_grad(input, target, cotangent, **options)``."""

    contract = "torch-ce"
    dtypes = NUMPY_DTYPES
    reductions = REDUCTIONS
    options = True
    accumulates_in = None
    inplace_input = False

    def __init__(self, loss_and_grad=loss_and_grad, name="impls.logits.loss_and_grad"):
        self.loss_and_grad, self.name = loss_and_grad, name

    def declarations(self):
        return [f"dtypes: {', '.join(self.dtypes)}"]

    def call(self, case: KernelCase, backward: bool = True) -> Call:
        logits = np.asarray(case.logits, dtype=case.dtype)  # already rounded to the dtype: exact
        target = (np.asarray(case.target, dtype=case.dtype) if case.probability_targets
                  else np.asarray(case.target, dtype=np.int64))
        options = case.options()
        if "weight" in options:
            options["weight"] = np.asarray(options["weight"], dtype=case.dtype)
        before = (logits.copy(), target.copy())
        out = Call()
        try:
            loss, grad = self.loss_and_grad(logits, target, np.asarray(case.cotangent, dtype=case.dtype), **options)
            out.loss = np.asarray(loss, dtype=np.float64)
            if backward and "input" in case.requires_grad:
                out.grads = {"input": np.asarray(grad, dtype=np.float64)}
        except Exception as exc:  # noqa: BLE001 - reported as the contract's adapter does
            out.error, out.kind = f"{type(exc).__name__}: {exc}"[:400], "broken"
        out.wrote_into = tuple(n for n, a, b in zip(("input", "target"), (logits, target), before)
                               if not np.array_equal(a, b))
        return out


def kernel_claims():
    from verify.catalog.kernels.run import kernel_claims

    return kernel_claims()


@pytest.mark.parametrize("claim", kernel_claims(), ids=lambda c: c.id)
def test_torch_ce_contract_holds(claim):
    result = run_claim(claim, context(NumpyLogitsKernel(), "quick"))
    assert result.evidence.verdict == claim.expected, result.evidence.summary


def _without_smoothing(input, target, cotangent, *, label_smoothing=0.0, **options):
    return loss_and_grad(input, target, cotangent, **options)


def test_contract_refutes_a_planted_bug():
    claim = next(c for c in kernel_claims() if c.id == "kernel.label_smoothing")
    ev = run_claim(claim, context(NumpyLogitsKernel(_without_smoothing, "planted"), "quick")).evidence
    assert ev.verdict == "refuted", ev.summary


# ---------------------------------------------------------------- blocks and memory


def _logits(N, K, dtype, seed=0):
    rng = np.random.default_rng(seed)
    return (4 * rng.standard_normal((N, K))).astype(dtype), rng.integers(0, K, N)


@pytest.mark.parametrize("dtype", NUMPY_DTYPES)
def test_blocks_do_not_change_the_result(dtype):
    # N spans several blocks and ends in a partial one; each row's numbers do not depend on its block
    K = 300
    N = 3 * block_rows(K) + 5
    z, y = _logits(N, K, dtype)
    y[::7] = -100
    rows, grad = loss_and_grad(z, y, np.ones(N, dtype), reduction="none", label_smoothing=0.1)
    for i in (0, block_rows(K) - 1, block_rows(K), N - 1):
        r, g = loss_and_grad(z[i : i + 1], y[i : i + 1], np.ones(1, dtype), reduction="none", label_smoothing=0.1)
        assert r[0] == rows[i] and np.array_equal(g[0], grad[i])
    assert rows.dtype == grad.dtype == np.dtype(dtype)


@pytest.mark.parametrize("probability", [False, True])
def test_extra_memory_stays_within_the_stated_bound(probability):
    N, K = 4000, 1000  # 16 MB of float32 logits (32 MB with the gradient); the blocks are 0.25 MB each
    z, y = _logits(N, K, "float32")
    target = np.full((N, K), 1 / K, dtype=np.float32) if probability else y
    bound = extra_bytes_bound(N, K, "float32", probability_targets=probability)
    assert bound < z.nbytes / 10
    for fn, output in ((lambda: cross_entropy(z, target), 0), (lambda: loss_and_grad(z, target), z.nbytes)):
        fn()
        tracemalloc.start()
        try:
            tracemalloc.reset_peak()
            before = tracemalloc.get_traced_memory()[0]
            result = fn()
            extra = tracemalloc.get_traced_memory()[1] - before - output
            del result
        finally:
            tracemalloc.stop()
        assert 0 < extra <= bound, (extra, bound)


def test_extreme_logits_stay_finite():
    # exp(1e38) overflows, exp(z - max) does not: row 0 loses 2e4 (log(1 + e^-1e4 + e^-2e4) rounds to 0),
    # row 1's target is its max, which every other class trails by 1e38 or more
    z = np.array([[1e4, -1e4, 0.0], [-1e38, 1e38, 0.0]], dtype=np.float32)
    loss, grad = loss_and_grad(z, np.array([1, 1]), reduction="none", cotangent=np.ones(2, np.float32))
    assert loss.tolist() == [2e4, 0.0]
    assert grad.tolist() == [[1.0, -1.0, 0.0], [0.0, 0.0, 0.0]]


def test_all_ignored_mean_is_nan_like_torch():
    z, _ = _logits(3, 4, "float64")
    loss, grad = loss_and_grad(z, np.full(3, -100))
    assert np.isnan(loss) and np.all(np.isnan(grad))
    loss, grad = loss_and_grad(z, np.full(3, -100), reduction="sum")
    assert loss == 0 and np.all(grad == 0)


# ------------------------------------------------------------------ bad input


def _call(**changes):
    z, y = _logits(3, 4, "float32")
    args = {"input": z, "target": y, **changes}
    return cross_entropy_vjp(args.pop("input"), args.pop("target"), **args)


@pytest.mark.parametrize("changes, error, message", [
    ({"input": np.zeros((3, 4), dtype=np.int64)}, TypeError, "input: integer dtype"),
    ({"input": np.zeros((3, 4), dtype=np.float16)}, TypeError, "input: dtype float16 is not supported"),
    ({"input": np.zeros(4, dtype=np.float32)}, ValueError, "input: expected a 2-D array"),
    ({"input": np.zeros((0, 4), dtype=np.float32)}, ValueError, "input: has no rows"),
    ({"input": np.array([[0, 1, np.nan, 2]] * 3, dtype=np.float32)}, ValueError, "input: row 0 contains NaN"),
    ({"input": np.array([[0, 1, 2, 3], [0, 1, np.inf, 0], [0] * 4], dtype=np.float32)}, ValueError, "input: row 1"),
    ({"target": np.array([0, 4, 1])}, ValueError, "target: entry 1 = 4 is not a class in [0, 4)"),
    ({"target": np.array([0, 1])}, ValueError, "target: expected shape (N,)"),
    ({"target": np.full((3, 4), 0.25)}, TypeError, "target: probability targets have dtype float64"),
    ({"target": np.array(["a", "b", "c"])}, TypeError, "target: expected class indices"),
    ({"weight": np.ones(3, dtype=np.float32)}, ValueError, "weight: expected shape (K,)"),
    ({"weight": np.ones(4)}, TypeError, "weight: has dtype float64"),
    ({"reduction": "avg"}, ValueError, "reduction: must be one of"),
    ({"label_smoothing": 1.5}, ValueError, "label_smoothing: must lie in [0, 1]"),
    ({"ignore_index": 1.0}, TypeError, "ignore_index: expected an int"),
    ({"cotangent": np.ones(3, dtype=np.float32)}, ValueError, "cotangent: expected a scalar"),
    ({"cotangent": np.float32(np.nan)}, ValueError, "cotangent: entry (0,) = "),
    ({"cotangent": "one"}, TypeError, "cotangent: expected a real floating array"),
    ({"cotangent": True}, TypeError, "cotangent: boolean arrays are not accepted"),
])
def test_bad_input_names_the_argument(changes, error, message):
    with pytest.raises(error) as info:
        _call(**changes)
    assert str(info.value).startswith(message), str(info.value)


def test_bfloat16_is_refused_clearly():
    ml_dtypes = pytest.importorskip("ml_dtypes")
    with pytest.raises(TypeError, match="input: dtype bfloat16 is not supported: NumPy has no bfloat16"):
        cross_entropy(np.zeros((2, 3), dtype=ml_dtypes.bfloat16), np.array([0, 1]))


def test_python_numbers_as_cotangents():
    z, y = _logits(4, 5, "float32")
    assert np.array_equal(cross_entropy_vjp(z, y, 2), cross_entropy_vjp(z, y, np.float32(2)))
    assert cross_entropy_vjp(z, y, 2.0).dtype == np.float32


def test_inputs_are_not_written_into():
    z, y = _logits(50, 30, "float64")
    z0, y0 = z.copy(), y.copy()
    loss_and_grad(z, y, label_smoothing=0.2)
    assert np.array_equal(z, z0) and np.array_equal(y, y0)


def test_agrees_with_torch_across_blocks():
    torch = pytest.importorskip("torch")
    F = torch.nn.functional
    # blocks of 21 rows, the last one partial (the reference builds np.eye(K): K stays small)
    N, K = 50, 3000
    z, y = _logits(N, K, "float32", seed=3)
    y[1] = -100
    loss, grad = loss_and_grad(z, y, np.float32(0.5), label_smoothing=0.1)
    zt = torch.from_numpy(z).requires_grad_()
    (F.cross_entropy(zt, torch.from_numpy(y), label_smoothing=0.1) * 0.5).backward()
    case = KernelCase("torch-ce", "float32", target=y, label_smoothing=0.1, cotangent=0.5, logits=round_to(z, "float32"),
                      requires_grad=("input",))
    from verify.catalog.kernels import reference, tolerances

    tol = tolerances.bounds(case, reference.evaluate(case))
    ref = reference.evaluate(case)
    assert abs(float(loss) - float(ref.loss)) <= tol["loss"]
    assert np.all(np.abs(grad - ref.grads["input"]) <= tol["input"])
    # torch meets the same bounds (the comparison is with the reference, not with each other)
    assert np.all(np.abs(zt.grad.numpy() - ref.grads["input"]) <= tol["input"])


# ------------------------------------------------------------ the benchmark's definitions (a small shape)


def test_logits_benchmark_measures_at_a_small_shape():
    from impls.logits import extra_bytes_bound
    from verify.bench import logits as L

    implementations = ("numpy", "torch") if L.available("torch") else ("numpy",)
    rows = L.measure(shapes=((64, 1000),), implementations=implementations, say=lambda line: None, repeats=1,
                     calls_per_round=1, retries=0)
    ours = [r for r in rows if r["implementation"] == "numpy"]
    assert {r["implementation"] for r in rows} == set(implementations)
    assert [(r["operation"], r["dtype"]) for r in ours] == [("loss", "float32"), ("loss_grad", "float32")]
    for r in rows:
        assert r["seconds"] > 0 and r["floor_seconds"] > 0 and r["ratio_to_floor"] == r["seconds"] / r["floor_seconds"]
    grad_bytes = 64 * 1000 * 4
    traced = {r["operation"]: r["traced_extra_bytes"] for r in ours}
    assert traced["loss"] <= extra_bytes_bound(64, 1000, "float32")
    assert grad_bytes <= traced["loss_grad"] <= grad_bytes + extra_bytes_bound(64, 1000, "float32")
    with pytest.raises(ValueError, match="implementation: numpy does not compute in bfloat16"):
        L.prepare("numpy", "loss", L.problem(64, 1000), "bfloat16")
    with pytest.raises(ValueError, match="tracemalloc does not see torch"):
        L.traced_bytes("torch", "loss", L.problem(64, 1000))


def test_asv_logits_benchmarks_run_and_skip():
    from benchmarks.bench_logits import LogitsCrossEntropy, LogitsExtraMemory, LogitsFloor

    bench = LogitsCrossEntropy()
    bench.setup("numpy", "loss_grad", "64x1000", "float32")
    bench.time_call("numpy", "loss_grad", "64x1000", "float32")
    assert bench.track_ratio_to_floor("numpy", "loss_grad", "64x1000", "float32") > 0
    with pytest.raises(NotImplementedError, match="NumPy has no bfloat16"):
        bench.setup("numpy", "loss", "64x1000", "bfloat16")
    floor = LogitsFloor()
    floor.setup("loss", "64x1000", "bfloat16")
    floor.time_floor("loss", "64x1000", "bfloat16")
    memory = LogitsExtraMemory()
    try:
        memory.setup("numpy", "loss_grad", "64x1000", "float32")
    except NotImplementedError:  # not Linux
        return
    assert memory.track_resident_extra_bytes("numpy", "loss_grad", "64x1000", "float32") >= 0

"""The NumPy implementation's threads, lanes and blocks change no result, and its checks in the block loop no verdict."""

import warnings

import numpy as np
import pytest

import impls
from impls.softmax.vectorized import MIN_PARALLEL_ELEMENTS, default_threads

# Large enough to run on several threads, with several blocks in every lane.
N, D, K = 3 * MIN_PARALLEL_ELEMENTS // 32 + 7, 5, 16


@pytest.fixture(scope="module")
def problem():
    rng = np.random.default_rng(11)
    X = rng.normal(size=(N, D))
    W = rng.normal(size=(D, K)) * 3
    V = rng.normal(size=(D, K))
    Y = rng.dirichlet(np.ones(K), size=N)
    s = rng.uniform(0, 2, size=N)
    return W, X, Y, V, s


def everything(ce, W, X, Y, V, s):
    value, G = ce.loss_grad(W, X, Y)
    return {
        "probs": ce.probs(W, X),
        "loss_grad.loss": value,
        "loss_grad.grad": G,
        "loss": ce.loss(W, X, Y),
        "grad_weighted": ce.grad(W, X, Y, sample_weight=s),
        "loss_weighted": ce.loss(W, X, Y, sample_weight=s),
        "hvp": ce.hvp(W, X, Y, V),
        "hvp_weighted": ce.hvp(W, X, Y, V, sample_weight=s),
        "hessian": ce.hessian(W[:2, :3], X[:, :2], Y[:, :3] / Y[:, :3].sum(axis=1, keepdims=True)),
    }


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_thread_count_does_not_change_results(problem, dtype):
    """threads=1, 2 and 3 give bit-for-bit the same results (lanes are fixed, sums run in a fixed order)."""
    args = [a.astype(dtype) for a in problem]
    args[2] = args[2] / args[2].sum(axis=1, keepdims=True)
    block = 4096  # several blocks per lane
    ref = everything(impls.NumpySoftmaxCE(threads=1, block_elements=block), *args)
    for threads in (2, 3):
        got = everything(impls.NumpySoftmaxCE(threads=threads, block_elements=block), *args)
        for key, value in ref.items():
            a, b = np.asarray(value), np.asarray(got[key])
            assert a.dtype == b.dtype == np.dtype(dtype), key
            assert np.array_equal(a, b), f"{key} differs with threads={threads}"


def test_threaded_blocks_agree_with_one_block(problem):
    """Threaded, blocked results agree with one block on one thread to rounding."""
    W, X, Y, V, s = problem
    one = impls.NumpySoftmaxCE(threads=1, block_elements=10**9)
    many = impls.NumpySoftmaxCE(threads=2, block_elements=4096)
    np.testing.assert_allclose(many.grad(W, X, Y, sample_weight=s), one.grad(W, X, Y, sample_weight=s), rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(many.hvp(W, X, Y, V), one.hvp(W, X, Y, V), rtol=1e-12, atol=1e-15)
    assert many.loss(W, X, Y) == pytest.approx(one.loss(W, X, Y), rel=1e-13)


def test_workers_are_silent_at_extreme_logits():
    """At logits of 1e4 the worker threads raise no floating-point error either (the caller's errstate applies)."""
    rng = np.random.default_rng(5)
    n = MIN_PARALLEL_ELEMENTS
    X = rng.choice([-1.0, 1.0], size=(n, 1))
    W = np.array([[1e4, -1e4, 0.0]])
    Y = impls.one_hot(rng.integers(0, 3, n), 3)
    ce = impls.NumpySoftmaxCE(threads=2)
    with warnings.catch_warnings(), np.errstate(over="raise", invalid="raise", divide="raise"):
        warnings.simplefilter("error")
        loss, G = ce.loss_grad(W, X, Y)
        ce.hvp(W, X, Y, np.ones_like(W))
    assert np.isfinite(loss) and np.all(np.isfinite(G))


@pytest.mark.parametrize("threads", [0, -1, 1.5, True, "2"])
def test_threads_must_be_a_positive_integer(threads):
    """threads: a positive integer or None."""
    with pytest.raises((ValueError, TypeError), match="^threads"):
        impls.NumpySoftmaxCE(threads=threads)


def test_default_threads_follow_the_cores():
    """The default is one thread per available core, at least 1 and at most 8."""
    assert impls.NumpySoftmaxCE().threads == default_threads()
    assert 1 <= default_threads() <= 8


def test_nonfinite_entries_found_by_the_one_pass_check():
    """A NaN or Inf far into a large X is reported, with the counts."""
    rng = np.random.default_rng(0)
    X = rng.normal(size=(5000, 3))
    X[4321, 2] = np.inf
    X[17, 0] = np.nan
    W, Y = rng.normal(size=(3, 2)), impls.one_hot(rng.integers(0, 2, 5000), 2)
    with pytest.raises(ValueError, match=r"^X: contains 1 NaN and 1 infinite"):
        impls.get("numpy").loss(W, X, Y)


def test_huge_finite_entries_pass_although_their_sum_overflows():
    """Entries near the largest float overflow the one-pass sum; the exact check then accepts them."""
    X = np.full((4, 1), np.finfo(np.float64).max / 2)
    W = np.array([[0.0, 0.0]])
    Y = impls.one_hot([0, 1, 0, 1], 2)
    with warnings.catch_warnings(), np.errstate(all="raise"):
        warnings.simplefilter("error")
        assert impls.get("numpy").loss(W, X, Y) == pytest.approx(np.log(2))


def test_row_sum_error_names_the_worst_row_across_chunks():
    """Row sums are checked in chunks; the message still names the row farthest from 1."""
    K = 4
    Y = impls.one_hot(np.zeros(2**19, dtype=int), K)
    Y[300_001, 1] = 1e-3
    Y[3, 1] = 1e-6
    X, W = np.ones((Y.shape[0], 1)), np.zeros((1, K))
    with pytest.raises(ValueError, match=r"^Y: row 300001 sums to"):
        impls.get("numpy").loss(W, X, Y)


def _corruptions():
    """(id, function corrupting (W, X, Y, V)) pairs; the corruption sits far into the data."""

    def x_nan(W, X, Y, V):
        X[5000, 1] = np.nan

    def x_inf_and_y_off(W, X, Y, V):
        X[6000, 0] = -np.inf
        Y[10, 0] += 0.5

    def y_negative_late(W, X, Y, V):
        Y[5999] = [1.5, -0.5, 0.0, 0.0]

    def y_row_sum_late(W, X, Y, V):
        Y[4000, 2] += 1e-3

    def y_nan_and_v_nan(W, X, Y, V):
        Y[4500, 1] = np.nan
        V[0, 0] = np.nan

    def y_off_and_v_nan(W, X, Y, V):
        Y[4500, 1] += 1e-2
        V[0, 0] = np.nan

    cases = (x_nan, x_inf_and_y_off, y_negative_late, y_row_sum_late, y_nan_and_v_nan, y_off_and_v_nan)
    return [pytest.param(f, id=f.__name__) for f in cases]


@pytest.mark.parametrize("corrupt", _corruptions())
@pytest.mark.parametrize("method", ["loss", "grad", "loss_grad", "hvp"])
def test_checks_in_the_block_loop_raise_what_validate_raises(corrupt, method):
    """X's finiteness and Y's rows are checked block by block; the error is exactly validate's, in its precedence."""
    rng = np.random.default_rng(3)
    n, d, k = 20_000, 3, 4  # above MIN_PARALLEL_ELEMENTS: the threaded path
    W, X, V = rng.normal(size=(d, k)), rng.normal(size=(n, d)), rng.normal(size=(d, k))
    Y = impls.one_hot(rng.integers(0, k, n), k)
    corrupt(W, X, Y, V)
    with pytest.raises((TypeError, ValueError)) as expected:
        impls.validate(W, X, Y, V if method == "hvp" else None)
    ce = impls.NumpySoftmaxCE(block_elements=1000, threads=2)
    args = (W, X, Y, V) if method == "hvp" else (W, X, Y)
    with warnings.catch_warnings(), np.errstate(all="raise"):
        warnings.simplefilter("error")
        with pytest.raises(type(expected.value)) as got:
            getattr(ce, method)(*args)
    assert str(got.value) == str(expected.value)


def _blas_threads():
    from threadpoolctl import threadpool_info

    return [(lib["filepath"], lib["num_threads"]) for lib in threadpool_info() if lib["user_api"] == "blas"]


def test_blas_threads_are_restored(problem):
    """The one-thread BLAS limit lasts only while a threaded call runs, also when the call fails."""
    W, X, Y, V, s = problem
    before = _blas_threads()
    ce = impls.NumpySoftmaxCE(threads=2)
    ce.loss_grad(W, X, Y)
    assert _blas_threads() == before
    bad = X.copy()
    bad[-1, 0] = np.nan
    with pytest.raises(ValueError, match="^X"):
        ce.loss_grad(W, bad, Y)
    assert _blas_threads() == before


def test_concurrent_calls_agree_and_restore_blas(problem):
    """Calls from several threads at once give the single-call results and leave BLAS as it was."""
    from concurrent.futures import ThreadPoolExecutor

    W, X, Y, V, s = problem
    before = _blas_threads()
    ce = impls.NumpySoftmaxCE(threads=2)
    expected = ce.grad(W, X, Y)
    with ThreadPoolExecutor(3) as pool:
        results = list(pool.map(lambda _: ce.grad(W, X, Y), range(6)))
    for G in results:
        assert np.array_equal(G, expected)
    assert _blas_threads() == before

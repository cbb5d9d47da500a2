"""Vectorized, numerically stable softmax cross-entropy in NumPy.

* Computes in the dtype it is given (float32 or float64): every temporary is
  of that dtype, and the result too.
* Stable at extreme logits: each row is shifted by its maximum before
  ``exp``; the largest term of the row sum is then exactly 1, so
  ``log(sum)`` is computed as ``log1p`` of the other terms, which keeps tiny
  losses accurate relative to their size. No log of a probability is ever
  taken, so there is no clipping and no ``0 * log 0``.
* Samples are processed in blocks, so the extra memory is bounded whatever N
  is (``block_elements``); loss and gradient share one pass.
* The Hessian is one symmetric matrix product over sample blocks,
  ``G = Q^T Q`` with ``Q[n, d*K + k] = sqrt(s_n) x_nd p_nk`` (BLAS does it as
  a rank-k update): ``H = (A - G) / S``, where the block-diagonal part
  ``A_k = sum_n s_n p_nk x_n x_n^T`` comes out of G itself, because the
  probabilities of a sample sum to 1 (``NumpySoftmaxCE._hessian_from_gram``).
* Finite inputs whose result overflows the dtype (logits beyond its range)
  raise ``impls.softmax.validation.overflow_error``: the arithmetic runs
  with NumPy's overflow and invalid warnings off, and only the results are
  checked (a pass over D x K numbers, nothing per sample).
* ``hvp`` never forms the Hessian:
  ``H[V] = X^T (s * P * (U - <P, U>)) / S`` with ``U = X V``.

Speed
-----
BLAS runs the matrix products on every core, but NumPy's elementwise
functions (``exp``, the row reductions, the divisions) run on one, and
interleaving the two leaves cores idle: BLAS's worker threads spin while
NumPy computes, and a few small threads of our own mostly wait for the GIL.
So, for loss, gradient and hvp, the rows are cut into ``LANES`` fixed,
contiguous lanes, and each of ``threads`` threads runs the whole pipeline
(check the block's inputs, ``X_b W``, the elementwise work, ``X_b^T R_b``)
over its lanes, block by block, with BLAS held to one thread per call
(``threadpoolctl``; as scikit-learn does around its own parallel loops).
Each thread then keeps a core busy with long calls that release the GIL, and
its block of X is still in cache for the second product. The products are
written the way round BLAS runs them faster (``_transposed_product``,
``NARROW_TRANSPOSED_MAX_K``); that changes the order of the loops, not the
arithmetic.

Each lane accumulates its own partial sums, in block order, and the lanes are
added in lane order, so the result does not depend on how the threads are
scheduled, nor on their number. The BLAS limit is process-wide while a call
runs (other threads' products run on one core meanwhile); without
``threadpoolctl``, or with a BLAS it cannot control, the computation runs on
the calling thread. For the Hessian, whose symmetric product dominates and
is best left to BLAS's threads, only forming Q is shared among the threads.
"""

from __future__ import annotations

import os
import threading
from concurrent.futures import ThreadPoolExecutor

import numpy as np

from .._arrays import simplex_row_sum_tolerance
from ._protocol import FLOAT_DTYPES, Capabilities
from .validation import check_result_finite, quiet_overflow, validate

DEFAULT_BLOCK_ELEMENTS = 1 << 20
# Loss, gradient and hvp read each block of X twice (X W, then X^T R): blocks
# of X no larger than this stay in cache in between.
X_BLOCK_BYTES = 2 << 20
MIN_BLOCK_ROWS = 256
# The rows are cut into this many lanes whatever the number of threads, so
# the order of every sum is fixed.
LANES = 8
# Below this many logits a call runs on one thread: starting threads would cost more.
MIN_PARALLEL_ELEMENTS = 1 << 16
MAX_DEFAULT_THREADS = 8
# The Hessian's blocks may hold this many times block_elements: its symmetric
# product runs at full speed only on a few thousand rows at a time.
HESSIAN_BLOCK_FACTOR = 4


def _transposed_product(D, K) -> bool:
    """Whether to compute X_b^T R as (R^T X_b)^T: BLAS is faster when the product's rows are the shorter side."""
    return K < D


# Largest K for which X_b W is computed as (W^T X_b^T)^T, per dtype: for a
# narrow W, OpenBLAS's dgemm is about a fifth faster that way round (measured
# on Zen 4; sgemm is slower). Same arithmetic, other loop order.
NARROW_TRANSPOSED_MAX_K = {np.dtype(np.float64): 16, np.dtype(np.float32): 0}


def _narrow_product_transposed(dtype, K) -> bool:
    return K <= NARROW_TRANSPOSED_MAX_K.get(np.dtype(dtype), 0)


def _times(Xb, M, out, scratch=None):
    """``out = X_b @ M``; with a (K, rows) ``scratch``, computed as ``(M^T X_b^T)^T``.

    A product ``x_d m_dk`` that overflows makes the float sum meaningless: ``1e309 - 2e309`` came out of
    the matrix product as ``+inf``, a logit of the wrong sign, which the softmax then took for a
    probability of 1. The rows that are not finite are recomputed from ``X_b`` and ``M`` scaled by powers
    of two to entries of at most 1 (exact but for the underflow of terms far below their row's and column's largest): no
    product overflows, and scaled back a result beyond the range is an infinity of the right sign.
    """
    if scratch is None:
        np.matmul(Xb, M, out=out)
    else:
        transposed = scratch[:, : Xb.shape[0]]
        np.matmul(M.T, Xb.T, out=transposed)
        np.copyto(out, transposed.T)
    if _finite(out):
        return
    bad = np.flatnonzero(~np.isfinite(out).all(axis=1))
    Xs = Xb[bad]
    ex = np.frexp(np.max(np.abs(Xs), axis=1))[1]  # one power of two per row of X and per column of M: a
    em = np.frexp(np.max(np.abs(M), axis=0))[1]  # column of 1e-200 beside one of 1e200 keeps its digits
    with np.errstate(over="ignore"):
        out[bad] = np.ldexp(np.ldexp(Xs, -ex[:, None]) @ np.ldexp(M, -em[None, :]), ex[:, None] + em[None, :])


def _lane_sums(D, K, transposed, dtype):
    """Zeroed partial sums of ``X^T R``, one per lane: (LANES, K, D) when ``transposed``, else (LANES, D, K)."""
    return np.zeros((LANES, K, D) if transposed else (LANES, D, K), dtype=dtype)


def _add_lifted(Xb, R, transposed, lane_sum, block, first):
    """``lane_sum = X_b^T R`` on a lane's first block, ``lane_sum += X_b^T R`` on the next (via ``block``).

    ``transposed``: the sums are kept as ``(R^T X_b)``, the order BLAS runs faster (``_transposed_product``).
    """
    A, B = (R.T, Xb) if transposed else (Xb.T, R)
    if first:
        np.matmul(A, B, out=lane_sum)
    else:
        np.matmul(A, B, out=block)
        lane_sum += block


def _lanes_mean(lane_sums, transposed, S, D, K, dtype):
    """The (D, K) total of the lanes' partial sums, added in lane order, divided by the total weight ``S``."""
    total = lane_sums.sum(axis=0)
    return np.divide(total.T if transposed else total, S, out=np.empty((D, K), dtype=dtype))


def default_threads() -> int:
    """Threads for one call: the cores this process may use, at most 8."""
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        cores = os.cpu_count() or 1
    return max(1, min(MAX_DEFAULT_THREADS, cores))


class _ProcessState:
    """The thread pools and the BLAS thread limit, per process (a forked child starts afresh)."""

    def __init__(self):
        self.lock = threading.Lock()
        self.executors: dict[int, ThreadPoolExecutor] = {}
        self.blas = None  # threadpoolctl's controller of NumPy's BLAS, or False if there is none
        self.blas_users = 0
        self.blas_limiter = None


_state = _ProcessState()


def _start_afresh_after_fork():
    # A forked child (asv runs each benchmark in one) inherits the pools but
    # none of their threads, and possibly a held lock.
    global _state
    _state = _ProcessState()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_start_afresh_after_fork)


def _executor(workers: int) -> ThreadPoolExecutor:
    """The process's shared pool of ``workers`` threads."""
    state = _state
    with state.lock:
        pool = state.executors.get(workers)
        if pool is None:
            pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="lossproof-numpy")
            state.executors[workers] = pool
        return pool


def _blas_controller():
    try:
        from threadpoolctl import ThreadpoolController
    except ImportError:
        return False
    blas = ThreadpoolController().select(user_api="blas")
    return blas if blas.info() else False


def _hold_blas_to_one_thread() -> bool:
    """Limit BLAS to one thread until the matching ``_release_blas``; False if that is not possible.

    Counted, so that concurrent calls restore the original limits only when
    the last of them ends.
    """
    state = _state
    with state.lock:
        if state.blas is None:
            state.blas = _blas_controller()
        if state.blas is False:
            return False
        if state.blas_users == 0:
            state.blas_limiter = state.blas.limit(limits=1)
        state.blas_users += 1
        return True


def _release_blas():
    state = _state
    with state.lock:
        state.blas_users -= 1
        if state.blas_users == 0:
            state.blas_limiter.restore_original_limits()
            state.blas_limiter = None


def _row_dot(A, B, out=None):
    """sum_k A[n, k] B[n, k] for each row n."""
    if _HAVE_VECDOT:
        return np.vecdot(A, B, out=out)
    return np.einsum("nk,nk->n", A, B, out=out)


_HAVE_VECDOT = hasattr(np, "vecdot")


def _softmax_rows(Z, Y=None, ce=None, probabilities=True):
    """Overwrite the logit rows ``Z`` (n, K), C-contiguous, with their softmax probabilities.

    With ``Y`` and ``ce`` given, also write each row's cross-entropy into
    ``ce`` (n,): ``ce_n = log1p(rest_n) - sum_k y_nk (z_nk - max_n)``, where
    ``rest_n`` is the row sum of ``exp(z - max)`` without its largest term
    (which is exactly 1). With ``probabilities=False`` (the loss alone), ``Z``
    is left holding ``exp(z - max)`` with the largest entry set to 0.
    Returns the flat indices (into ``Z.reshape(-1)``) of each row's largest logit.
    """
    n, K = Z.shape
    flat = Z.reshape(-1)  # a view: Z is contiguous
    at_max = Z.argmax(axis=1)
    at_max += np.arange(0, n * K, K)  # flat index of each row's largest logit
    Z -= flat[at_max][:, None]
    if ce is not None:
        _row_dot(Y, Z, out=ce)
        if not _finite(ce):
            _drop_zero_target_terms(Y, Z, ce)
    np.exp(Z, out=Z)  # entries in [0, 1]; underflow to 0 is exact enough and silent
    flat[at_max] = 0
    rest = np.einsum("nk->n", Z)
    if probabilities:
        inv_total = np.reciprocal(rest + 1)
        Z *= inv_total[:, None]
        flat[at_max] = inv_total
    if ce is not None:
        np.subtract(np.log1p(rest), ce, out=ce)
    return at_max


def _drop_zero_target_terms(Y, Zs, ce):
    """Recompute ``ce_n = sum_k y_nk zs_nk`` without the terms of ``y_nk = 0``, in the rows where it is not finite.

    A logit that overflows to -inf (``x_n . w_k`` below the dtype's range)
    has probability 0 exactly; where its target is 0 its term of the
    cross-entropy is 0, not ``0 * -inf``. The README's example:
    ``W = [[-1e200, 0, 1e-200]]``, ``X = [[1e200], [5e199]]``.
    """
    bad = np.flatnonzero(~np.isfinite(ce))
    Yb, Zb = Y[bad], Zs[bad]
    ce[bad] = np.where(Yb != 0, Yb * Zb, Zb.dtype.type(0)).sum(axis=1)


def _finite(a) -> bool:
    """Whether every entry of ``a`` is finite, in one pass (a NaN or Inf makes the sum NaN or Inf).

    A finite array whose sum overflows gives False too; the full validation
    then has the last word.
    """
    with np.errstate(over="ignore", invalid="ignore"):
        return bool(np.isfinite(a.sum()))


def _targets_ok(Y, tol) -> bool:
    """Whether the target rows are finite, nonnegative and sum to 1 within ``tol``.

    The same test as ``validate``'s, with the same row sums, on a block that
    is in cache anyway; NaN and Inf fail both comparisons.
    """
    with np.errstate(over="ignore", invalid="ignore"):
        off = np.abs(Y.sum(axis=1) - 1).max()
        return bool(Y.min() >= 0) and bool(off <= tol)


class NumpySoftmaxCE:
    """Vectorized implementation; the one to use.

    Parameters
    ----------
    block_elements : int
        Upper bound on the number of elements of a block's temporaries
        (``rows * K`` for loss and gradient; for the Hessian ``rows * D * K``,
        up to ``HESSIAN_BLOCK_FACTOR`` times more, since its product needs
        enough rows to run at full speed); with ``LANES`` partial gradients of
        D x K, this bounds the extra memory independently of N.
    threads : int or None
        Threads for one call (see the module's notes). ``None``: one per
        available core, at most 8 (``default_threads()``); ``1``: the calling
        thread only, with BLAS free to use its own threads. The results do
        not depend on it, as long as BLAS computes a product the same way on
        any number of its own threads (OpenBLAS does).
    """

    name = "numpy"
    capabilities = Capabilities(dtypes=FLOAT_DTYPES, sample_weight=True, hessian=True, hvp=True)

    def __init__(self, block_elements: int = DEFAULT_BLOCK_ELEMENTS, threads: int | None = None):
        if int(block_elements) < 1:
            raise ValueError(f"block_elements: must be a positive integer, got {block_elements!r}")
        if threads is None:
            threads = default_threads()
        if isinstance(threads, bool) or not isinstance(threads, (int, np.integer)) or threads < 1:
            raise ValueError(f"threads: must be a positive integer or None, got {threads!r}")
        self.block_elements = int(block_elements)
        self.threads = int(threads)

    # ------------------------------------------------------------ blocks

    def _block_rows(self, width, X=None):
        """Rows per block: at most ``block_elements // width``, and, given X, few enough
        that a block of X stays in cache between the two products."""
        rows = self.block_elements // max(1, width)
        if X is not None:
            rows = min(rows, max(MIN_BLOCK_ROWS, X_BLOCK_BYTES // max(1, X.shape[1] * X.itemsize)))
        return max(1, rows)

    @staticmethod
    def _blocks(start, stop, rows):
        for b in range(start, stop, rows):
            yield slice(b, min(stop, b + rows))

    def _over_lanes(self, N, width, lane_work):
        """Call ``lane_work(lane, rows)`` for each of the ``LANES`` lanes of ``range(N)``.

        Threads take contiguous groups of lanes; ``lane_work`` must write only
        its lane's results.
        """
        lanes = [slice(i * N // LANES, (i + 1) * N // LANES) for i in range(LANES)]
        lanes = [(i, s) for i, s in enumerate(lanes) if s.stop > s.start]
        parts = min(self.threads, len(lanes)) if N * width >= MIN_PARALLEL_ELEMENTS else 1
        if parts > 1 and not _hold_blas_to_one_thread():
            parts = 1
        if parts <= 1:
            with np.errstate(**quiet_overflow):
                for i, s in lanes:
                    lane_work(i, s)
            return
        try:
            groups = [lanes[p * len(lanes) // parts : (p + 1) * len(lanes) // parts] for p in range(parts)]
            # Per thread in NumPy: the caller's settings apply to the workers too, but
            # overflow is reported by checking the results (see impls.softmax.validation).
            errstate = {**np.geterr(), **quiet_overflow}

            def run(group):
                with np.errstate(**errstate):
                    for i, s in group:
                        lane_work(i, s)

            futures = [_executor(self.threads - 1).submit(run, g) for g in groups[1:]]
            try:
                run(groups[0])
            finally:
                for f in futures:
                    f.exception()  # wait for every lane before anyone reads the results
            for f in futures:
                f.result()
        finally:
            _release_blas()

    def _split_rows(self, n, width, work):
        """Call ``work(rows)`` on contiguous parts of ``range(n)``, one per thread (elementwise work, no BLAS)."""
        parts = min(self.threads, n) if n * width >= MIN_PARALLEL_ELEMENTS else 1
        pieces = [slice(p * n // parts, (p + 1) * n // parts) for p in range(parts)]
        if parts <= 1:
            work(pieces[0])
            return
        errstate = np.geterr()  # per thread in NumPy; the caller's settings apply to the workers too

        def run(rows):
            with np.errstate(**errstate):
                work(rows)

        futures = [_executor(self.threads - 1).submit(run, r) for r in pieces[1:]]
        try:
            run(pieces[0])
        finally:
            for f in futures:
                f.exception()
        for f in futures:
            f.result()

    # -------------------------------------------------------- validation

    @staticmethod
    def _validate(W, X, Y, V=None, sample_weight=None, need_V=False):
        """``validate``, leaving X's finiteness and Y's values to the block loop (one pass over data in cache)."""
        try:
            return validate(W, X, Y, V, sample_weight=sample_weight, need_V=need_V, deferred=("X", "Y"))
        except (TypeError, ValueError):
            # the documented error, in its order of precedence
            validate(W, X, Y, V, sample_weight=sample_weight, need_V=need_V)
            raise

    @staticmethod
    def _check_block(pb, b, tol):
        """The deferred checks for the rows ``b``; on a bad value the full validation raises its error.

        Run before the block's products: no arithmetic ever meets an Inf or
        NaN input (some BLAS libraries raise floating-point flags that NumPy
        reports as warnings).
        """
        if not (_finite(pb.X[b]) and _targets_ok(pb.Y[b], tol)):
            # Raises, unless a sum of huge finite values overflowed, which is no error.
            validate(pb.W, pb.X, pb.Y, pb.V, sample_weight=pb.sample_weight)

    @staticmethod
    def _weight_total(pb):
        if pb.sample_weight is None:
            return pb.dtype.type(pb.N)
        return pb.sample_weight.sum(dtype=pb.dtype)

    # ----------------------------------------------------------- methods

    def probs(self, W, X):
        pb = validate(W, X, need_Y=False)
        try:  # the result itself is (N, K): refused up front, with its size, if it cannot be held
            P = np.empty((pb.N, pb.K), dtype=pb.dtype)
        except MemoryError:
            gib = pb.N * pb.K * pb.dtype.itemsize / 2**30
            raise MemoryError(
                f"X, W: probs returns an (N, K) = ({pb.N}, {pb.K}) array of {gib:.3g} GiB, which cannot be "
                "allocated; call probs on blocks of rows of X (probs(W, X[i:j]))"
            ) from None
        rows = self._block_rows(pb.K, pb.X)

        def lane(i, s):
            for b in self._blocks(s.start, s.stop, rows):
                _times(pb.X[b], pb.W, P[b])
                _softmax_rows(P[b])

        self._over_lanes(pb.N, pb.K, lane)
        return check_result_finite(P, pb.dtype, "a probability")

    def _loss_grad(self, pb, want_loss, want_grad):
        N, D, K, dt = pb.N, pb.D, pb.K, pb.dtype
        rows = self._block_rows(K, pb.X)
        tol = simplex_row_sum_tolerance(K, dt)
        totals = np.zeros(LANES, dtype=dt)
        transposed = _transposed_product(D, K)
        G_lanes = _lane_sums(D, K, transposed, dt) if want_grad else None

        def lane(i, s):
            n_max = min(rows, s.stop - s.start)
            Z_block = np.empty((n_max, K), dtype=dt)
            scratch = np.empty((K, n_max), dtype=dt) if _narrow_product_transposed(dt, K) else None
            ce_block = np.empty(n_max, dtype=dt) if want_loss else None
            G_block = np.empty_like(G_lanes[0]) if want_grad else None
            total = dt.type(0)
            for j, b in enumerate(self._blocks(s.start, s.stop, rows)):
                n = b.stop - b.start
                Xb, Yb, Z = pb.X[b], pb.Y[b], Z_block[:n]
                ce = None if ce_block is None else ce_block[:n]
                sb = None if pb.sample_weight is None else pb.sample_weight[b]
                self._check_block(pb, b, tol)
                _times(Xb, pb.W, Z, scratch)
                _softmax_rows(Z, Yb, ce, probabilities=want_grad)
                if want_loss:
                    total += ce.sum(dtype=dt) if sb is None else sb @ ce
                if want_grad:
                    Z -= Yb  # R = P - Y
                    if sb is not None:
                        Z *= sb[:, None]
                    _add_lifted(Xb, Z, transposed, G_lanes[i], G_block, j == 0)
            totals[i] = total

        self._over_lanes(N, K, lane)
        S = self._weight_total(pb)
        with np.errstate(**quiet_overflow):
            loss = totals.sum(dtype=dt) / S if want_loss else None
            if want_grad:
                G = _lanes_mean(G_lanes, transposed, S, D, K, dt)
        if want_loss:
            check_result_finite(loss, dt, "the loss")
        if not want_grad:
            return loss, None
        return loss, check_result_finite(G, dt, "the gradient")

    def loss(self, W, X, Y, sample_weight=None):
        pb = self._validate(W, X, Y, sample_weight=sample_weight)
        return self._loss_grad(pb, True, False)[0]

    def grad(self, W, X, Y, sample_weight=None):
        pb = self._validate(W, X, Y, sample_weight=sample_weight)
        return self._loss_grad(pb, False, True)[1]

    def loss_grad(self, W, X, Y, sample_weight=None):
        pb = self._validate(W, X, Y, sample_weight=sample_weight)
        return self._loss_grad(pb, True, True)

    def hvp(self, W, X, Y, V, sample_weight=None):
        pb = self._validate(W, X, Y, V, sample_weight=sample_weight, need_V=True)
        N, D, K, dt = pb.N, pb.D, pb.K, pb.dtype
        rows = self._block_rows(2 * K, pb.X)
        tol = simplex_row_sum_tolerance(K, dt)
        transposed = _transposed_product(D, K)
        out_lanes = _lane_sums(D, K, transposed, dt)

        def lane(i, s):
            n_max = min(rows, s.stop - s.start)
            Z_block = np.empty((n_max, K), dtype=dt)
            U_block = np.empty((n_max, K), dtype=dt)
            scratch = np.empty((K, n_max), dtype=dt) if _narrow_product_transposed(dt, K) else None
            out_block = np.empty_like(out_lanes[0])
            for j, b in enumerate(self._blocks(s.start, s.stop, rows)):
                n = b.stop - b.start
                Xb, P, U = pb.X[b], Z_block[:n], U_block[:n]
                self._check_block(pb, b, tol)  # Y does not enter H[V], but bad targets are still an error
                _times(Xb, pb.W, P, scratch)
                _times(Xb, pb.V, U, scratch)
                at_max = _softmax_rows(P)
                # U - <P, U> after centring each row at its most probable entry u_t: <P, U - u_t> has no term of
                # size p_t |u_t| (that term is 0), so u_t - <p, u> = -<p, u - u_t> does not cancel when p_t is
                # near 1 (u_t - <p, u> itself came out 0 at z = (0, 40) instead of 40 p_0).
                U -= U.reshape(-1)[at_max][:, None]
                U -= _row_dot(P, U)[:, None]
                U *= P  # R = P * (U - <P, U>)
                if pb.sample_weight is not None:
                    U *= pb.sample_weight[b][:, None]
                _add_lifted(Xb, U, transposed, out_lanes[i], out_block, j == 0)

        self._over_lanes(N, 2 * K, lane)
        with np.errstate(**quiet_overflow):
            out = _lanes_mean(out_lanes, transposed, self._weight_total(pb), D, K, dt)
        return check_result_finite(out, dt, "the Hessian-vector product", "X, W, V")

    def hessian(self, W, X, Y, sample_weight=None):
        pb = validate(W, X, Y, sample_weight=sample_weight)
        with np.errstate(**quiet_overflow):
            H = self._hessian(pb)
        return check_result_finite(H, pb.dtype, "the Hessian")

    def _hessian(self, pb):
        N, D, K, dt = pb.N, pb.D, pb.K, pb.dtype
        # Blocks of up to 4 x block_elements: the symmetric product runs at full speed only on enough rows.
        rows = min(N, self._block_rows(D * K) * HESSIAN_BLOCK_FACTOR)
        Z_block = np.empty((rows, K), dtype=dt)
        Q_block = np.empty((rows, D, K), dtype=dt)
        gram = np.zeros((D * K, D * K), dtype=dt)  # G = sum_n s_n (x_n x_n^T) kron (p_n p_n^T)
        gram_block = np.empty_like(gram) if rows < N else None
        for b in self._blocks(0, N, rows):
            n = b.stop - b.start
            Xb, Z, Q3 = pb.X[b], Z_block[:n], Q_block[:n]
            _times(Xb, pb.W, Z)
            _softmax_rows(Z)
            if pb.sample_weight is not None:
                Z *= np.sqrt(pb.sample_weight[b])[:, None]

            def form_q(r, Xb=Xb, Z=Z, Q3=Q3):
                np.multiply(Xb[r, :, None], Z[r, None, :], out=Q3[r])

            self._split_rows(n, D * K, form_q)
            Q = Q3.reshape(n, D * K)
            # Q^T Q with both operands the same buffer: NumPy hands it to BLAS as a symmetric rank-k update.
            if gram_block is None:
                np.matmul(Q.T, Q, out=gram)
            else:
                np.matmul(Q.T, Q, out=gram_block)
                gram += gram_block
        return self._hessian_from_gram(gram, D, K, self._weight_total(pb))

    @staticmethod
    def _hessian_from_gram(gram, D, K, S):
        """H = (A - G) / S from G alone, in place.

        The block-diagonal part ``A_k = sum_n s_n p_nk x_n x_n^T`` needs no
        product of its own: since ``sum_l p_nl = 1``,
        ``A_k - G_kk = sum_{l != k} G_kl``, a sum of the off-diagonal blocks of
        G in each block row. Summing those terms instead of subtracting
        ``G_kk`` from ``A_k`` also avoids the cancellation in
        ``p_k - p_k^2`` when ``p_k`` is close to 1. The diagonal blocks are
        made exactly symmetric like the rest (``G`` comes from a symmetric
        product).
        """
        G4 = gram.reshape(D, K, D, K)
        k = np.arange(K)
        G4[:, k, :, k] = 0
        diagonal_blocks = np.einsum("dkel->kde", G4)  # [k, d, e] = sum_{l != k} G[d, k, e, l]
        diagonal_blocks = diagonal_blocks + diagonal_blocks.transpose(0, 2, 1)
        diagonal_blocks /= -2
        G4[:, k, :, k] = diagonal_blocks
        return np.divide(gram, -S, out=gram)  # H = -G off the diagonal blocks, sum_{l != k} G_kl on them

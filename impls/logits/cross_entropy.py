"""Cross-entropy of logits, ``torch.nn.functional.cross_entropy``'s semantics, in NumPy, chunked over rows.

Each row's loss is ``sum_k c_ik (-log p_ik)`` with ``log p_ik = (z_ik - m_i) - log s_i``, ``m_i = max_k z_ik`` and
``s_i = sum_k exp(z_ik - m_i)`` (the max shift: nothing overflows, at any logit; the offset ``m_i`` never enters
a rounded sum, so a large common offset costs no precision). The coefficients ``c_ik`` are torch's
(class weights ``w``, label smoothing ``eps``, ignored rows; see ``verify/catalog/kernels/reference.py``'s
definition, which this follows without importing): for a class index ``y_i``,
``c_i = valid_i [(1 - eps) w_{y_i} e_{y_i} + (eps / K) w]``; for probability rows ``t_i``,
``c_i = ((1 - eps) t_i + eps / K) w``. The gradient with respect to the logits of a cotangent ``g`` is
``scale_i (a_i p_i - c_i)``, ``a_i = sum_k c_ik``, ``scale_i = g / denominator`` (mean), ``g`` (sum) or
``g_i`` (none).

Loss and gradient come from one pass over the logits, a block of rows at a time: each block is read once from
memory and everything else happens while it is in cache. The gradient is written straight into the array that
is returned. Extra memory beyond the inputs and that output: two blocks of ``max(BLOCK_ELEMENTS, K)`` entries of
the dtype (three for probability targets), whose size does not depend on N, and a few length-N vectors -- 0.25 MB per block for
float32 up to K = 65536, 0.5 MB at K = 128256 (float64: twice that). Only elementwise operations and reductions:
no BLAS.

Arithmetic runs in the dtype given (float32 or float64); NumPy has no bfloat16 (the ``ml_dtypes`` package adds
one, without pairwise summation or a fast ``exp``), so bfloat16 is refused with a clear error rather than
computed in another dtype. Every bad argument raises a ``TypeError`` or ``ValueError`` naming it.
"""

from __future__ import annotations

import numpy as np

from .._arrays import FLOAT_DTYPES, all_finite, as_array, check_ndim, check_shape, dtype_names, read_array

REDUCTIONS = ("none", "mean", "sum")
# Entries of a block of rows: 2**16 float32 entries are 256 KB, two such blocks stay in a core's L2 cache.
BLOCK_ELEMENTS = 1 << 16


def block_rows(K: int) -> int:
    """Rows per block: as many as fit ``BLOCK_ELEMENTS`` entries, at least one."""
    return max(1, BLOCK_ELEMENTS // max(1, K))


def extra_bytes_bound(N: int, K: int, dtype, probability_targets: bool = False) -> int:
    """The most memory (bytes) a call allocates beyond its inputs and its outputs (see the module's notes).

    The blocks, plus at most eight length-N vectors of the dtype or of int64 (the per-row maxima, sums, losses,
    scales, targets' weights, masks) and 64 KB for NumPy's own scratch and the Python objects of a call.
    """
    itemsize = np.dtype(dtype).itemsize
    blocks = 3 if probability_targets else 2
    return blocks * block_rows(K) * K * itemsize + 8 * N * 8 + (64 << 10)


def _read_input(input) -> np.ndarray:
    arr = read_array("input", input)
    if arr.dtype.name == "bfloat16":
        raise TypeError("input: dtype bfloat16 is not supported: NumPy has no bfloat16 arithmetic "
                        f"(pass {dtype_names(FLOAT_DTYPES)}; torch computes bfloat16)")
    arr = as_array("input", arr, allow_exact=False)
    if arr.dtype not in FLOAT_DTYPES:
        raise TypeError(f"input: dtype {arr.dtype} is not supported; supported: {dtype_names(FLOAT_DTYPES)}")
    check_ndim("input", arr, 2, "(N, K)")
    if arr.shape[0] == 0:
        raise ValueError("input: has no rows (N = 0)")
    if arr.shape[1] == 0:
        raise ValueError("input: has no classes (K = 0)")
    return arr


def _read_target(target, N: int, K: int, dtype: np.dtype, ignore_index: int) -> np.ndarray:
    arr = read_array("target", target)
    if arr.dtype.kind in "iu":
        check_ndim("target", arr, 1, "(N,) of class indices")
        check_shape("target", arr, (N,), "(N,)", "from input")
        bad = (arr != ignore_index) & ((arr < 0) | (arr >= K))
        if bad.any():
            i = int(np.argmax(bad))
            raise ValueError(f"target: entry {i} = {int(arr[i])} is not a class in [0, {K}) "
                             f"nor ignore_index = {ignore_index}")
        return arr
    if arr.dtype.kind == "f":
        if arr.dtype != dtype:
            raise TypeError(f"target: probability targets have dtype {arr.dtype} but input has dtype {dtype}; "
                            "pass both in one dtype (the loss is computed in the dtype it is given)")
        check_ndim("target", arr, 2, "(N, K) of class probabilities")
        check_shape("target", arr, (N, K), "(N, K)", "from input")
        _check_finite_values("target", arr)
        return arr
    raise TypeError(f"target: expected class indices (an integer array of shape (N,)) or class probabilities "
                    f"(a floating array of shape (N, K)), got dtype {arr.dtype}")


def _check_finite_values(name: str, arr: np.ndarray) -> None:
    if not all_finite(arr):  # one pass, no (N, K) temporary; the entrywise test only to name the entry
        finite = np.isfinite(arr)
        where = np.unravel_index(int(np.argmin(finite)), arr.shape)
        raise ValueError(f"{name}: entry {tuple(int(i) for i in where)} = {arr[where]!r} is not finite; "
                         "every entry must be finite")


def _read_options(weight, ignore_index, reduction, label_smoothing, K: int, dtype: np.dtype):
    if reduction not in REDUCTIONS:
        raise ValueError(f"reduction: must be one of {', '.join(REDUCTIONS)}, got {reduction!r}")
    if isinstance(ignore_index, bool) or not isinstance(ignore_index, (int, np.integer)):
        raise TypeError(f"ignore_index: expected an int, got {type(ignore_index).__name__}")
    if isinstance(label_smoothing, bool) or not isinstance(label_smoothing, (int, float, np.floating, np.integer)):
        raise TypeError(f"label_smoothing: expected a float in [0, 1], got {type(label_smoothing).__name__}")
    if not 0.0 <= float(label_smoothing) <= 1.0:
        raise ValueError(f"label_smoothing: must lie in [0, 1], got {label_smoothing!r}")
    if weight is not None:
        weight = as_array("weight", weight, allow_exact=False)
        check_ndim("weight", weight, 1, "(K,)")
        check_shape("weight", weight, (K,), "(K,)", "from input")
        if weight.dtype != dtype:
            raise TypeError(f"weight: has dtype {weight.dtype} but input has dtype {dtype}; pass both in one dtype")
        _check_finite_values("weight", weight)
    return weight, int(ignore_index), dtype.type(label_smoothing)


def _read_cotangent(cotangent, reduction: str, N: int, dtype: np.dtype) -> np.ndarray:
    if isinstance(cotangent, (int, float)) and not isinstance(cotangent, bool):
        cotangent = float(cotangent)  # a Python number: the scalar of any dtype
    g = as_array("cotangent", cotangent, allow_exact=False)
    want = (N,) if reduction == "none" else ()
    if g.shape != want:
        what = "(N,), one per row, for reduction 'none'" if reduction == "none" else f"a scalar for reduction {reduction!r}"
        raise ValueError(f"cotangent: expected {what}, got shape {g.shape}")
    _check_finite_values("cotangent", g.reshape(-1))
    return g.astype(dtype, copy=False)


def _bad_row(name: str, row: int) -> ValueError:
    return ValueError(f"{name}: row {row} contains NaN or infinite logits; every entry must be finite")


def _compute(input, target, cotangent, weight, ignore_index, reduction, label_smoothing, want_grad):
    z = _read_input(input)
    N, K = z.shape
    dtype = z.dtype
    t = _read_target(target, N, K, dtype, ignore_index)
    w, ignore_index, eps = _read_options(weight, ignore_index, reduction, label_smoothing, K, dtype)
    g = _read_cotangent(cotangent, reduction, N, dtype) if want_grad else None
    one = dtype.type(1)
    share = eps / dtype.type(K)  # each class's share of the smoothing
    probability = t.dtype.kind == "f"
    if not probability:
        valid = t != ignore_index
        label = np.where(valid, t, 0)
        w_label = (np.ones(N, dtype) if w is None else w[label]) * valid
        w_sum = dtype.type(K) if w is None else np.sum(w)
        a = (one - eps) * w_label + share * w_sum * valid  # a_i = sum_k c_ik
        denominator = np.sum(w_label)
    else:
        denominator = dtype.type(N)
    if reduction == "mean":
        with np.errstate(invalid="ignore", divide="ignore"):  # every row ignored: 0 / 0 = NaN, as torch
            inverse = one / denominator if denominator else dtype.type(np.nan)
    rows_loss = np.empty(N, dtype)
    grad = np.empty((N, K), dtype) if want_grad else None
    R = block_rows(K)
    shifted = np.empty((min(R, N), K), dtype)
    exps = np.empty((min(R, N), K), dtype) if not want_grad else None
    coef = np.empty((min(R, N), K), dtype) if probability else None
    for start in range(0, N, R):
        stop = min(N, start + R)
        n = stop - start
        zb, sb = z[start:stop], shifted[:n]
        m = zb.max(axis=1)
        if not np.isfinite(m).all():
            raise _bad_row("input", start + int(np.argmin(np.isfinite(m))))
        np.subtract(zb, m[:, None], out=sb)
        eb = grad[start:stop] if want_grad else exps[:n]
        np.exp(sb, out=eb)
        s = eb.sum(axis=1)
        log_s = np.log(s)
        if probability:
            cb = coef[:n]
            np.multiply(t[start:stop], one - eps, out=cb)
            cb += share
            if w is not None:
                cb *= w
            a_b = cb.sum(axis=1)
            loss_b = a_b * log_s - np.einsum("ij,ij->i", cb, sb)  # einsum: no BLAS, no temporary
        else:
            a_b, valid_b, lab = a[start:stop], valid[start:stop], label[start:stop]
            nll = log_s - sb[np.arange(n), lab]
            loss_b = (one - eps) * w_label[start:stop] * nll
            if eps:
                shifted_sum = sb.sum(axis=1) if w is None else np.einsum("ij,j->i", sb, w)
                loss_b = loss_b + share * valid_b * (w_sum * log_s - shifted_sum)
        if not np.isfinite(loss_b).all():  # a -inf logit in a row that weighs it
            raise _bad_row("input", start + int(np.argmin(np.isfinite(loss_b))))
        rows_loss[start:stop] = loss_b
        if want_grad:
            scale = g[start:stop] if reduction == "none" else (g * inverse if reduction == "mean" else g)
            scale = np.broadcast_to(scale, (n,))
            eb *= (scale * a_b / s)[:, None]  # scale_i a_i p_ik
            if probability:
                cb *= scale[:, None]
                eb -= cb
            else:
                if eps:
                    eb -= (scale * share * valid_b)[:, None] * (w if w is not None else one)
                eb[np.arange(n), lab] -= scale * (one - eps) * w_label[start:stop]
    if reduction == "none":
        loss = rows_loss
    elif reduction == "sum":
        loss = np.sum(rows_loss)
    else:
        loss = np.sum(rows_loss) * inverse
    return (np.asarray(loss, dtype)[()] if reduction != "none" else loss), grad


def cross_entropy(input, target, *, weight=None, ignore_index: int = -100, reduction: str = "mean",
                  label_smoothing: float = 0.0):
    """The loss of ``torch.nn.functional.cross_entropy(input, target, ...)``: a scalar of input's dtype, or
    the (N,) per-row losses for ``reduction="none"``.

    ``input``: logits (N, K), float32 or float64. ``target``: class indices (N,) (integers; ``ignore_index``
    marks rows left out) or class probabilities (N, K) of input's dtype. ``weight``: class weights (K,).
    A mean over rows that are all ignored is 0 / 0 = NaN, as torch's.
    """
    return _compute(input, target, None, weight, ignore_index, reduction, label_smoothing, want_grad=False)[0]


def loss_and_grad(input, target, cotangent=1.0, *, weight=None, ignore_index: int = -100, reduction: str = "mean",
                  label_smoothing: float = 0.0):
    """``(loss, d input)``: the loss of :func:`cross_entropy` and its vector-Jacobian product with
    ``cotangent`` (a scalar; (N,) for ``reduction="none"``) with respect to the logits, in one pass."""
    return _compute(input, target, cotangent, weight, ignore_index, reduction, label_smoothing, want_grad=True)


def cross_entropy_vjp(input, target, cotangent=1.0, *, weight=None, ignore_index: int = -100,
                      reduction: str = "mean", label_smoothing: float = 0.0) -> np.ndarray:
    """The gradient of :func:`cross_entropy` with respect to ``input`` times ``cotangent``: shape (N, K)."""
    return loss_and_grad(input, target, cotangent, weight=weight, ignore_index=ignore_index, reduction=reduction,
                         label_smoothing=label_smoothing)[1]

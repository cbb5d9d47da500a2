"""Tolerances of the kernel contracts, derived per dtype, entry by entry, from the reference's own intermediates.

Notation (Higham, ch. 3, as in :mod:`verify.numerics.rounding`): ``u`` the unit roundoff, ``gamma_n(u) = n u /
(1 - n u)``. Two precisions enter: ``u_out``, that of the dtype the kernel returns (its result is rounded to it),
and ``u_c``, that of the arithmetic inside: the dtype's, or a coarser one the kernel declares
(``accumulates_in = "float32"``: a float64 input computed in float32 is held to float32's bound, never to a
finer one). A half-precision kernel that does not declare float32 accumulation is held to its dtype's ``u``.

A max-shifted log-softmax computes ``log p_ik = (z_ik - m_i) - log sum_j exp(z_ij - m_i)``: the subtraction,
the exponentials, the K-term sum and the log each round, so
``|d log p_ik| <= gamma_{K+3}(u_c) (1 + |z_ik - m_i| + log K)``. The bound depends on the logits only through
their differences: a large common offset (1e4 plus small differences) does not widen it, so a kernel that adds
the offset back before subtracting the target logit (an error of ulp(offset) / 2) exceeds it. A row's loss is
``sum_k c_ik (-log p_ik)`` (:func:`~.reference.coefficients`), which adds ``gamma_K`` of the row, and the
reduction adds ``gamma_N`` of the sum. The fused linear contract adds the logits' rounding,
``gamma_{H+1}(u_c) (|h_i| . |w_k| + |b_k|)``, carried through the log-softmax, whose Jacobian has an
infinity-norm of at most 2. ``rounding.AGREEMENT_SAFETY`` covers the reference's own rounding and the
log / exp / division roundings the operation counts leave out; it is the one safety factor, written once there.
"""

from __future__ import annotations

import math

import numpy as np

from ...numerics.rounding import AGREEMENT_SAFETY
from .reference import KernelCase, Reference

# Unit roundoff (half the machine epsilon) of each dtype a kernel may compute in.
UNIT_ROUNDOFF = {"float64": 2.0**-53, "float32": 2.0**-24, "float16": 2.0**-11, "bfloat16": 2.0**-8}
DTYPES = tuple(UNIT_ROUNDOFF)
# The smallest positive normal number of each dtype: below it a result loses relative precision (gradual
# underflow, or flushed to zero), so every rounding bound gains this absolute term: u |x| + tiny.
SMALLEST_NORMAL = {"float64": 2.0**-1022, "float32": 2.0**-126, "float16": 2.0**-14, "bfloat16": 2.0**-126}


def computing_dtype(dtype: str, accumulates_in: str | None = None) -> str:
    """The dtype the arithmetic inside runs in: the given one, or a coarser declared accumulation dtype."""
    return dtype if accumulates_in is None or UNIT_ROUNDOFF[accumulates_in] <= UNIT_ROUNDOFF[dtype] else accumulates_in


def gamma(n: int, u: float) -> float:
    """gamma_n = n u / (1 - n u): the relative error bound of an n-term chain of roundings."""
    if n * u >= 1:
        raise ValueError(f"n: gamma_{n} is undefined at u = {u:g} (n u >= 1)")
    return n * u / (1 - n * u)


def computing_roundoff(dtype: str, accumulates_in: str | None = None) -> float:
    """u_c: the dtype's unit roundoff, or that of a coarser declared accumulation dtype."""
    for name, what in ((dtype, "dtype"), (accumulates_in, "accumulates_in")):
        if name is not None and name not in UNIT_ROUNDOFF:
            raise ValueError(f"{what}: must be one of {DTYPES}, got {name!r}")
    return UNIT_ROUNDOFF[computing_dtype(dtype, accumulates_in)]


def _logit_rounding(case: KernelCase, u_c: float) -> np.ndarray:
    """(N,): the largest rounding of a row's logits; 0 where the logits are the input itself."""
    if not case.fused:
        return np.zeros(case.shape["N"])
    scale = np.abs(case.hidden) @ np.abs(case.weight).T
    if case.bias is not None:
        scale = scale + np.abs(case.bias)[None, :]
    return gamma(case.shape["H"] + 1, u_c) * np.max(scale, axis=1)


def bounds(case: KernelCase, ref: Reference, accumulates_in: str | None = None,
           magnitude: bool = False) -> dict[str, np.ndarray]:
    """Absolute tolerances, entry by entry, for ``loss`` and every gradient of ``ref.grads``.

    ``magnitude``: add ``u_c max_k |z_ik|`` to every ``log p_ik``, the rounding of the logits' own magnitude
    (a backward-stable log-sum-exp, ``m + log sum exp(z - m)`` rebuilt at the logits' size, errs by that much).
    The extreme-logits claim, which is about overflow, allows it; every other claim holds the kernel to the
    bound of the differences alone, which a large common offset does not widen.
    """
    u_out, u_c = UNIT_ROUNDOFF[case.dtype], computing_roundoff(case.dtype, accumulates_in)
    tiny_out, tiny_c = SMALLEST_NORMAL[case.dtype], SMALLEST_NORMAL[computing_dtype(case.dtype, accumulates_in)]
    n, k = case.shape["N"], case.shape["K"]
    z, c, p = ref.logits, ref.coefficients, ref.probs
    spread = np.abs(z - np.max(z, axis=1, keepdims=True)) if k else z
    logp_error = gamma(k + 3, u_c) * (1 + spread + math.log(max(k, 1)))
    if magnitude:
        logp_error = logp_error + u_c * np.max(np.abs(z), axis=1, keepdims=True)
    dz_logit = _logit_rounding(case, u_c)
    a = np.sum(c, axis=1)
    jac_l1 = np.sum(np.abs(a[:, None] * p - c), axis=1)  # || d row_i / d z_i ||_1
    rows = ref.rows
    row_error = np.sum(c * logp_error, axis=1) + gamma(k, u_c) * np.abs(rows) + jac_l1 * dz_logit
    if case.reduction == "none":
        loss_tol = AGREEMENT_SAFETY * row_error + u_out * np.abs(rows) + tiny_out
    else:
        total = np.sum(row_error) + gamma(n, u_c) * np.sum(np.abs(rows))
        denominator = ref.denominator if ref.denominator else 1.0
        loss_tol = np.asarray(AGREEMENT_SAFETY * total / denominator
                              + (gamma(n, u_c) + u_out) * np.nan_to_num(np.abs(ref.loss)) + tiny_out)
    s = np.abs(np.nan_to_num(ref.row_scale))[:, None]
    dz = np.abs(np.nan_to_num(ref.dlogits))
    # p_ik moves by p_ik (|d log p_ik| + u) from the log-softmax and by 2 p_ik dz_logit from the logits; a_i is a
    # K-term sum; the product with the row's scale and, for the mean, the N-term denominator add their own.
    dz_error = (s * (a[:, None] * (p * (logp_error + u_c + 2 * dz_logit[:, None]) + tiny_c)
                     + gamma(k + 3, u_c) * (a[:, None] * p + c))
                + gamma(n + 1, u_c) * dz)
    out = {"loss": loss_tol}
    if not case.fused:
        out["input"] = AGREEMENT_SAFETY * dz_error + u_out * dz + tiny_out
        return out
    w, h = np.abs(case.weight), np.abs(case.hidden)
    grad = {"hidden": (dz_error @ w + gamma(k, u_c) * dz @ w),
            "weight": (dz_error.T @ h + gamma(n, u_c) * dz.T @ h)}
    if case.bias is not None:
        grad["bias"] = np.sum(dz_error, axis=0) + gamma(n, u_c) * np.sum(dz, axis=0)
    for name, bound in grad.items():
        out[name] = AGREEMENT_SAFETY * bound + u_out * np.abs(np.nan_to_num(ref.grads[name])) + tiny_out
    return out


# A second call on the same inputs: a deterministic kernel returns the same bits. A kernel that reduces in a
# varying order (atomics on a GPU) may differ by the rounding of that reduction: the bounds above, once.
REPEAT_AGREEMENT = "the rounding bound of the loss and gradients above (not bit-identical: atomics may reorder sums)"

"""Hypothesis strategies of kernel cases: shapes, logits, targets, options and cotangents the claims draw.

Every value is drawn by Hypothesis (so a counterexample shrinks) and rounded to the dtype drawn, so that the
reference sees exactly what the kernel is given. Cotangents are never only 1: a per-row cotangent
(``reduction="none"``) has entries that are not all equal, a scalar one is in ``[0.25, 4]`` up to sign and not
1; a kernel whose backward assumes a cotangent of 1, or reads ``grad_output[0]`` for every row, is exposed.
"""

from __future__ import annotations

import numpy as np
from hypothesis import assume, strategies as st
from hypothesis.extra import numpy as hnp

from .contract import round_to
from .reference import REDUCTIONS, KernelCase

# Shapes drawn: small enough for the Triton interpreter (a second or so per call), big enough for every
# branch (several rows, ignored and kept ones; K >= 2).
MAX_N, MAX_K, MAX_H = 6, 7, 6
ORDINARY_SCALES = (1.0, 4.0, 12.0)
EXTREME_SCALES = (1e2, 1e3, 1e4)
# Large common offsets: 1e4 plus differences of order 1 (the loss is shift invariant; its tolerance is not
# widened by the offset).
OFFSETS = (1e2, 1e3, 1e4)
IGNORE_INDICES = (-100, "a real class")


# Drawn values smaller than this in magnitude are drawn as 0: products of a few of them would underflow in
# float32 (a kernel that computes float64 inputs in float32 flushes them), which the bounds do not model.
FLUSH_BELOW = 2.0**-30


def _flushed(a):
    return np.where(np.abs(a) < FLUSH_BELOW, 0.0, a)


def _unit(shape):
    return hnp.arrays(np.float64, shape, elements=st.floats(-1, 1, allow_nan=False, allow_subnormal=False)).map(_flushed)


@st.composite
def cotangents(draw, reduction: str, n: int, dtype: str):
    """Per-row cotangents, not all equal (N > 1), or a scalar away from 1."""
    if reduction == "none":
        g = draw(hnp.arrays(np.float64, (n,), elements=st.floats(-4, 4, allow_nan=False, allow_subnormal=False)))
        g = round_to(_flushed(g), dtype)
        assume(n == 1 or len(set(g.tolist())) > 1)
        assume(not np.all(g == 1))
        return g
    magnitude = draw(st.floats(0.25, 4, allow_nan=False))
    g = float(round_to(magnitude * draw(st.sampled_from((1.0, -1.0))), dtype))
    assume(g != 1.0)
    return g


@st.composite
def cases(draw, kernel, *, reductions=REDUCTIONS, scales=ORDINARY_SCALES, offsets=(0.0,), ignored="none",
          smoothing=False, class_weights=False, probability_targets=False, requires_grad=None, square=False,
          dtypes=None):
    """A :class:`KernelCase` for ``kernel`` (its contract and declared dtypes).

    ``ignored``: ``"none"`` (no row ignored), ``"some"`` (at least one row ignored and one kept, the ignore
    index -100 or a real class), ``"all"``; ``requires_grad``: the inputs requiring grad (default all);
    ``square``: K == H (torch-linear-ce) or N == K (torch-ce), the shapes where a transposed gradient fits.
    """
    contract = kernel.contract
    fused = contract == "torch-linear-ce"
    if not kernel.options:  # f(logits, labels) (jax-ce): no smoothing, no class weights, nothing ignored
        smoothing, class_weights, ignored = False, False, "none"
    dtype = draw(st.sampled_from(tuple(dtypes or kernel.dtypes)))
    # a kernel that returns per-row losses only (jax-ce) is drawn reduction "none" whatever the claim asks
    reduction = draw(st.sampled_from(tuple(r for r in reductions if r in kernel.reductions) or kernel.reductions))
    k = draw(st.integers(2, MAX_K))
    n = k if square and not fused else draw(st.integers(1 if ignored != "some" else 2, MAX_N))
    h = k if square and fused else draw(st.integers(1, MAX_H))
    scale = draw(st.sampled_from(tuple(scales)))
    offset = draw(st.sampled_from(tuple(offsets)))
    tags = {"logit scale": scale}
    if offset:
        tags["common offset"] = offset
    fields = {}
    if not fused:
        fields["logits"] = round_to(offset + scale * draw(_unit((n, k))), dtype)
    else:
        hidden = draw(_unit((n, h)))
        weight = draw(_unit((k, h))) * scale / np.sqrt(h)
        if offset:  # a constant feature carries the offset: logits = offset + small differences, bias or not
            hidden[:, 0] = 1.0
            weight[:, 0] = offset + weight[:, 0]
        fields["hidden"], fields["weight"] = round_to(hidden, dtype), round_to(weight, dtype)
        if draw(st.booleans()):
            fields["bias"] = round_to(draw(_unit((k,))), dtype)
    ignore_index = -100
    if probability_targets:
        raw = _flushed(draw(hnp.arrays(np.float64, (n, k), elements=st.floats(0, 1, allow_nan=False,
                                                                                 allow_subnormal=False))))
        raw[:, 0] += 1e-3  # every row has mass
        target = round_to(raw / raw.sum(axis=1, keepdims=True), dtype)
    else:
        target = np.asarray(draw(hnp.arrays(np.int64, (n,), elements=st.integers(0, k - 1))), dtype=np.int64)
        if ignored != "none":
            choice = draw(st.sampled_from(IGNORE_INDICES))
            ignore_index = -100 if choice == -100 else draw(st.integers(0, k - 1))
            tags["ignore_index"] = "-100" if choice == -100 else f"{ignore_index} (a real class)"
            if ignored == "all":
                mask = np.ones(n, dtype=bool)
            else:
                mask = np.asarray(draw(hnp.arrays(np.bool_, (n,))))
                mask[0], mask[-1] = True, False  # at least one row ignored, one kept
            kept = np.where(target == ignore_index, (ignore_index + 1) % k, target)  # a kept row is not ignored
            target = np.where(mask, ignore_index, kept).astype(np.int64)
    eps = draw(st.floats(0.05, 0.95, allow_nan=False)) if smoothing else 0.0
    w = round_to(draw(hnp.arrays(np.float64, (k,), elements=st.floats(0.1, 3, allow_nan=False))), dtype) \
        if class_weights else None
    grads = tuple(n_ for n_ in (("input",) if not fused else ("hidden", "weight", "bias"))
                  if n_ != "bias" or "bias" in fields) if requires_grad is None else tuple(requires_grad)
    if fused and "bias" not in fields:
        grads = tuple(g for g in grads if g != "bias")
    g = draw(cotangents(reduction, n, dtype))
    return KernelCase(contract=contract, dtype=dtype, target=target, reduction=reduction, ignore_index=ignore_index,
                      label_smoothing=eps, class_weight=w, cotangent=g, requires_grad=grads, tags=tags, **fields)

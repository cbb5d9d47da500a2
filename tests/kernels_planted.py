"""Cross-entropy kernels with planted bugs, one ``torch.autograd.Function`` per bug class of issue 14, each in two
forms written differently, and a correct one written the same way; plus torch's own linear cross-entropy.

Every kernel has the signature of ``torch.nn.functional.cross_entropy`` (the torch-ce contract). The bug classes
are those real kernels shipped (issue 14 cites each): the backward assumes a cotangent of 1 (TransformerEngine
PR 2139); it reads ``grad_output[0]`` for every row (Liger-Kernel issue 678); ignored rows are counted in the
mean (TransformerEngine ROCm PR 336); label smoothing spreads eps over K - 1 classes instead of K; the weighted
mean divides by N instead of the sum of the targets' weights; the log-sum-exp has no max shift; the target
logit is subtracted from the reconstructed log-sum-exp, in float32 (PyTorch PR 195829). ``TARGETS`` says which
claim must reject each. Probability targets are refused with ``ValueError("target: ...")`` (class indices
only), which the contract skips.

This module imports torch: only tests that have torch import it.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F


def _forward(ctx, z, target, weight, ignore_index, reduction, eps, bug):
    if target.dim() != 1:
        raise ValueError("target: class indices only (a 1-D int64 tensor)")
    n, k = z.shape
    m = z.max(dim=1, keepdim=True).values
    if bug in ("no_shift", "no_shift_softmax"):
        m = torch.zeros_like(m)
    shifted = z - m
    if bug == "no_shift_softmax":  # the probabilities first, then their log
        e = torch.exp(shifted)
        logp = torch.log(e / e.sum(dim=1, keepdim=True))
    else:
        logp = shifted - torch.log(torch.exp(shifted).sum(dim=1, keepdim=True))
    valid = target != ignore_index
    safe = torch.where(valid, target, torch.zeros_like(target))
    w = torch.ones(k, dtype=z.dtype) if weight is None else weight
    onehot = F.one_hot(safe, k).to(z.dtype) * valid[:, None]
    if bug in ("smoothing_k_minus_1", "smoothing_k_minus_1_target"):  # eps spread over the K - 1 other classes
        others = (1 - onehot) * valid[:, None]
        c = ((1 - eps) * onehot + (eps / (k - 1)) * others) * w[None, :]
        if bug == "smoothing_k_minus_1_target":  # written as a smoothed target distribution, weights after it
            c = ((1 - eps) * onehot + eps * others / (k - 1)) * w[None, :]
    else:
        c = ((1 - eps) * onehot + (eps / k) * valid[:, None].to(z.dtype)) * w[None, :]
    a = c.sum(dim=1)
    if bug == "target_after_shift":  # lse rebuilt at the offset's magnitude, then the target logit taken off
        lse = (torch.log(torch.exp(shifted.float()).sum(dim=1)) + m[:, 0].float())
        rows = (a.float() * lse - (c.float() * z.float()).sum(dim=1)).to(z.dtype)
    elif bug == "target_after_logsumexp":  # the common one-liner: logsumexp(z) - z[target], in float32
        rows = (a.float() * torch.logsumexp(z.float(), dim=1) - (c.float() * z.float()).sum(dim=1)).to(z.dtype)
    else:
        rows = -(c * logp).sum(dim=1)
    if bug == "ignored_in_denominator":
        denominator = w[safe].sum() if weight is not None else torch.tensor(float(n), dtype=z.dtype)
    elif bug == "weighted_mean_over_n":
        denominator = torch.tensor(float(n), dtype=z.dtype)
    elif bug == "weighted_mean_over_count":
        denominator = valid.sum().to(z.dtype)
    else:
        denominator = (w[safe] * valid).sum()
    backward_denominator = denominator
    if bug == "ignored_in_denominator_backward":  # the forward is right; the backward counts every row
        backward_denominator = torch.tensor(float(n), dtype=z.dtype)
    ctx.reduction, ctx.bug = reduction, bug
    p = torch.exp(logp)
    ctx.save_for_backward(p, c, a, backward_denominator)
    ctx.precomputed = None
    if reduction == "mean":
        out = rows.sum() / denominator
    elif reduction == "sum":
        out = rows.sum()
    else:
        out = rows
    if bug == "gradient_in_forward":  # the gradient is computed with the loss, for a cotangent of 1
        scale = 1 / backward_denominator if reduction == "mean" else torch.ones((), dtype=z.dtype)
        ctx.precomputed = scale * (a[:, None] * p - c)
    return out


def _backward(ctx, g):
    if ctx.precomputed is not None:
        return ctx.precomputed
    p, c, a, denominator = ctx.saved_tensors
    if ctx.bug == "cotangent_one":
        g = torch.ones_like(g)
    if ctx.reduction == "none":
        if ctx.bug == "first_cotangent":
            g = g[0].expand_as(g)
        elif ctx.bug == "mean_cotangent":  # one cotangent for every row, written as their mean
            g = g.mean().expand_as(g)
        scale = g
    elif ctx.reduction == "mean":
        scale = (g / denominator).expand(p.shape[0])
    else:
        scale = g.expand(p.shape[0])
    return scale[:, None] * (a[:, None] * p - c)


def _function(bug: str):
    """A torch.autograd.Function whose forward and backward carry the planted bug ``bug`` ("" for none)."""

    class Planted(torch.autograd.Function):
        @staticmethod
        def forward(ctx, z, target, weight, ignore_index, reduction, eps):
            return _forward(ctx, z, target, weight, ignore_index, reduction, eps, bug)

        @staticmethod
        def backward(ctx, g):
            return _backward(ctx, g), None, None, None, None, None

    Planted.__name__ = Planted.__qualname__ = "".join(p.title() for p in (bug or "correct").split("_"))
    return Planted


def _kernel(bug: str):
    function = _function(bug)

    def cross_entropy(input, target, *, weight=None, ignore_index=-100, reduction="mean", label_smoothing=0.0):
        return function.apply(input, target, weight, ignore_index, reduction, label_smoothing)

    cross_entropy.__name__ = cross_entropy.__qualname__ = function.__name__
    cross_entropy.function = function
    if bug.startswith("target_after"):  # the bug class is one of float32 arithmetic: the kernel takes float32
        cross_entropy.dtypes = ("float32",)
    return cross_entropy


# The claim that must reject each planted bug (both forms of each class).
TARGETS = {
    "cotangent_one": "kernel.vjp",
    "gradient_in_forward": "kernel.vjp",
    "first_cotangent": "kernel.vjp",
    "mean_cotangent": "kernel.vjp",
    "ignored_in_denominator": "kernel.ignore_index",
    "ignored_in_denominator_backward": "kernel.ignore_index",
    "smoothing_k_minus_1": "kernel.label_smoothing",
    "smoothing_k_minus_1_target": "kernel.label_smoothing",
    "weighted_mean_over_n": "kernel.class_weights",
    "weighted_mean_over_count": "kernel.class_weights",
    "no_shift": "kernel.extreme_logits",
    "no_shift_softmax": "kernel.extreme_logits",
    "target_after_shift": "kernel.large_offset",
    "target_after_logsumexp": "kernel.large_offset",
}
# The bug class of each, as issue 14 names them.
CLASSES = {
    "cotangent_one": "backward assumes a cotangent of 1", "gradient_in_forward": "backward assumes a cotangent of 1",
    "first_cotangent": "grad_output[0] for every row", "mean_cotangent": "grad_output[0] for every row",
    "ignored_in_denominator": "ignored rows in the denominator",
    "ignored_in_denominator_backward": "ignored rows in the denominator",
    "smoothing_k_minus_1": "smoothing over K-1 classes", "smoothing_k_minus_1_target": "smoothing over K-1 classes",
    "weighted_mean_over_n": "weighted mean over N", "weighted_mean_over_count": "weighted mean over N",
    "no_shift": "no max shift", "no_shift_softmax": "no max shift",
    "target_after_shift": "target logit reconstructed after the shift in float32",
    "target_after_logsumexp": "target logit reconstructed after the shift in float32",
}

correct = _kernel("")
for _bug in TARGETS:
    globals()[_bug] = _kernel(_bug)


def torch_linear_cross_entropy(hidden, weight, target, *, bias=None, ignore_index=-100, reduction="mean",
                               label_smoothing=0.0):
    """The torch-linear-ce contract in torch itself: F.cross_entropy(F.linear(hidden, weight, bias), target)."""
    return F.cross_entropy(F.linear(hidden, weight, bias), target, ignore_index=ignore_index, reduction=reduction,
                           label_smoothing=label_smoothing)


def frozen_backbone_no_weight_grad(hidden, weight, target, *, bias=None, ignore_index=-100, reduction="mean",
                                   label_smoothing=0.0):
    """A planted fused linear cross-entropy that, like Liger-Kernel 0.8.5, returns no weight gradient when hidden
    does not require grad (it detaches the head unless the backbone is trained)."""
    w = weight if hidden.requires_grad else weight.detach()
    b = bias if bias is None or hidden.requires_grad else bias.detach()
    return torch_linear_cross_entropy(hidden, w, target, bias=b, ignore_index=ignore_index, reduction=reduction,
                                      label_smoothing=label_smoothing)

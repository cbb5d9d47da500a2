"""Liger-Kernel's cross-entropy and fused linear cross-entropy (Triton), under the torch-ce / torch-linear-ce
contracts of lossproof's kernel catalog.

Source: Liger-Kernel (github.com/linkedin/Liger-Kernel), PyPI ``liger-kernel`` 0.8.5, 0.7.0 and 0.5.8, imported,
not copied: ``liger_kernel.transformers.LigerCrossEntropyLoss`` and ``LigerFusedLinearCrossEntropyLoss``. Which
release: the one importable, or the folder ``LOSSPROOF_LIGER`` names (``pip install --no-deps --target
/work/liger-0.5.8 liger-kernel==0.5.8``), put at the front of ``sys.path`` before liger_kernel is imported.
On the CPU, Triton runs them in its interpreter (``TRITON_INTERPRET=1``, which lossproof sets on --device cpu).

What the adapters add, nothing else: the declarations Liger documents (it writes the gradient into its input
logits during the forward pass, by design: ``inplace_input``; it computes in float32 inside:
``accumulates_in``), the fused module's argument order (weight, hidden) turned into the contract's (hidden,
weight), and its class-weight keyword ``ce_weight`` (the torch-linear-ce contract has none).

Known, from issue 14 (each must be reported by the claim named, and nothing else):
* 0.8.5 cross-entropy: precision lost at a large common offset (float32 [1e8, 1e8] gives 0, not log 2):
  ``kernel.large_offset``.
* 0.8.5 fused linear: no weight gradient when hidden does not require grad: ``kernel.grad_subsets``.
* 0.5.8: reduction "none" scales every row's gradient by grad_output[0] (issue 678): ``kernel.vjp``.
* 0.7.0: fused linear, reduction "none" with a weighted upstream: wrong input and weight gradients (issue
  968): ``kernel.vjp``.
"""

from __future__ import annotations

import os
import sys

REQUIRES = ("torch", "triton", "liger_kernel")

if os.environ.get("LOSSPROOF_LIGER"):
    sys.path.insert(0, os.environ["LOSSPROOF_LIGER"])

from liger_kernel.transformers import LigerCrossEntropyLoss as _LigerCrossEntropyLoss  # noqa: E402
from liger_kernel.transformers import LigerFusedLinearCrossEntropyLoss  # noqa: E402


# Under the Triton interpreter a bfloat16 block times a bfloat16 scalar loaded from memory gives 0 (seen with a
# four-line kernel, tl.load(G) * tl.load(X) on bfloat16: [-0.5, 0.5] * 0.5 -> [0, 0]; float32 gives [-0.25, 0.25]).
# Liger scales its stored gradient that way for a cotangent other than 1, so bfloat16 is not drawn under the
# interpreter: a limit of the interpreter, not a result about Liger.
DTYPES = (("float64", "float32", "float16") if os.environ.get("TRITON_INTERPRET") == "1"
          else ("float64", "float32", "float16", "bfloat16"))


class LigerCrossEntropy(_LigerCrossEntropyLoss):
    """Liger's module with the declarations its documentation makes; class indices only."""

    inplace_input = True
    accumulates_in = "float32"
    dtypes = DTYPES

    def forward(self, _input, target):
        if target.is_floating_point():
            raise ValueError("target: Liger-Kernel's cross-entropy takes class indices only")
        return super().forward(_input, target)


def liger_fused_linear_cross_entropy(hidden, weight, target, *, bias=None, ignore_index=-100, reduction="mean",
                                     label_smoothing=0.0):
    """F.cross_entropy(hidden @ weight.T + bias, target, ...) by Liger's fused kernel; class indices only."""
    if target.is_floating_point():
        raise ValueError("target: Liger-Kernel's fused linear cross-entropy takes class indices only")
    module = LigerFusedLinearCrossEntropyLoss(ignore_index=ignore_index, reduction=reduction,
                                              label_smoothing=label_smoothing)
    return module(weight, hidden, target, bias)


liger_fused_linear_cross_entropy.accumulates_in = "float32"
liger_fused_linear_cross_entropy.dtypes = DTYPES

"""lossproof's own logits-level cross-entropy: ``torch.nn.functional.cross_entropy`` semantics in NumPy.

Not in the softmax family's registry: that interface takes the linear model's ``(W, X, Y)`` and returns the
gradient with respect to ``W``; this function takes logits and class indices (or probabilities) and returns the
gradient with respect to the logits. See ``cross_entropy.py`` for the formulas and the memory bound.

>>> from impls.logits import cross_entropy, loss_and_grad
"""

from .cross_entropy import BLOCK_ELEMENTS
from .cross_entropy import REDUCTIONS
from .cross_entropy import block_rows
from .cross_entropy import cross_entropy
from .cross_entropy import cross_entropy_vjp
from .cross_entropy import extra_bytes_bound
from .cross_entropy import loss_and_grad

__all__ = ["BLOCK_ELEMENTS", "REDUCTIONS", "block_rows", "cross_entropy", "cross_entropy_vjp",
           "extra_bytes_bound", "loss_and_grad"]

"""PyTorch's cross_entropy with class-probability targets (soft labels), the gradient by autograd, in float64.

Source: PyTorch (BSD-3-Clause), ``torch/nn/functional.py``: ``cross_entropy``
with a floating ``target`` of the input's shape (probabilities, supported
since 1.10: ``-sum(target * log_softmax(input), 1)``, mean over the batch),
and autograd; version as installed (checked with torch 2.14.1, CPU).
https://github.com/pytorch/pytorch. The code is imported, not copied.
Adapter: tensors share the caller's arrays (``torch.from_numpy``, dtype kept);
logits ``X @ W``; ``target = Y`` (soft targets); the gradient is ``W.grad``
after ``loss.backward()`` on a fresh leaf tensor; results as NumPy arrays.
Classification (read and compared with the 50-digit reference): correct.
Measured: the implementation-claim run (quick, derandomized) took 3.2 s.
"""

import numpy as np

import impls

from . import torch_cross_entropy

CLASSIFICATION = "correct"
DEFECT = ""
REFERENCE_FAILS = frozenset()
EXPECTED_FAILING = ()
REQUIRES = ("torch",)


class Impl(torch_cross_entropy.Impl):
    """The class-index adapter with the targets passed as they are: the same F.cross_entropy, its probability form."""

    name = "corpus:torch_cross_entropy_probs"
    capabilities = impls.Capabilities(dtypes=(np.dtype(np.float64), np.dtype(np.float32)))

    @staticmethod
    def _target(Y):
        import torch

        return torch.from_numpy(Y)

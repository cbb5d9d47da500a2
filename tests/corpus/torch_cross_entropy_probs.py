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

CLASSIFICATION = "correct"
DEFECT = ""
REFERENCE_FAILS = frozenset()
EXPECTED_FAILING = ()
REQUIRES = ("torch",)


class Impl:
    name = "corpus:torch_cross_entropy_probs"
    capabilities = impls.Capabilities(dtypes=(np.dtype(np.float64), np.dtype(np.float32)))

    # torch is imported inside the methods: the corpus lists this module where torch is not installed.

    def probs(self, W, X):
        import torch

        return torch.softmax(torch.from_numpy(X) @ torch.from_numpy(W), dim=1).numpy()

    def loss(self, W, X, Y):
        import torch
        import torch.nn.functional as F

        with torch.no_grad():
            return F.cross_entropy(torch.from_numpy(X) @ torch.from_numpy(W), torch.from_numpy(Y)).numpy()

    def grad(self, W, X, Y):
        import torch
        import torch.nn.functional as F

        W_t = torch.from_numpy(W).requires_grad_(True)
        F.cross_entropy(torch.from_numpy(X) @ W_t, torch.from_numpy(Y)).backward()
        return W_t.grad.numpy()

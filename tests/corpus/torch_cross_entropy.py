"""PyTorch's cross_entropy with class indices, the gradient by autograd, in float64.

Source: PyTorch (BSD-3-Clause), ``torch/nn/functional.py``: ``cross_entropy``
(``log_softmax`` then ``nll_loss``, ``reduction="mean"``, ATen kernels), and
autograd (``Tensor.backward``); version as installed (checked with torch
2.14.1, CPU). https://github.com/pytorch/pytorch. The code is imported, not copied.
Adapter: tensors share the caller's arrays (``torch.from_numpy``, so float64
stays float64 and float32 stays float32); logits ``X @ W``; targets are class
indices ``Y.argmax(1)`` as int64 (targets="one-hot"); the gradient is
``W.grad`` after ``loss.backward()``, on a fresh leaf tensor each call;
results as NumPy arrays (``.detach().numpy()``).
Classification (read and compared with the 50-digit reference): correct.
Measured: the implementation-claim run (quick, derandomized) took 3.1 s.
"""

import numpy as np

import impls

from ._adapter import labels

CLASSIFICATION = "correct"
DEFECT = ""
REFERENCE_FAILS = frozenset()
EXPECTED_FAILING = ()
REQUIRES = ("torch",)


class Impl:
    name = "corpus:torch_cross_entropy"
    capabilities = impls.Capabilities(dtypes=(np.dtype(np.float64), np.dtype(np.float32)), targets="one-hot")

    # torch is imported inside the methods: the corpus lists this module where torch is not installed.

    @staticmethod
    def _target(Y):
        import torch

        return torch.from_numpy(labels(Y).astype(np.int64))

    def probs(self, W, X):
        import torch

        return torch.softmax(torch.from_numpy(X) @ torch.from_numpy(W), dim=1).numpy()

    def loss(self, W, X, Y):
        import torch
        import torch.nn.functional as F

        with torch.no_grad():
            return F.cross_entropy(torch.from_numpy(X) @ torch.from_numpy(W), self._target(Y)).numpy()

    def grad(self, W, X, Y):
        import torch
        import torch.nn.functional as F

        W_t = torch.from_numpy(W).requires_grad_(True)
        F.cross_entropy(torch.from_numpy(X) @ W_t, self._target(Y)).backward()
        return W_t.grad.numpy()

"""The framework-kernel contracts (``torch-ce``, ``torch-linear-ce``, ``jax-ce``): claims about a cross-entropy kernel of
PyTorch, Triton or JAX at the logits level, checked against the float64 / mpmath reference of
``torch.nn.functional.cross_entropy``'s documented semantics (:mod:`.reference`), never against torch itself.

Importing this package imports no torch and no jax: the adapters (:mod:`.contract`, :mod:`.contract_jax`)
import them when a kernel is loaded.
``lossproof check --contract torch-ce --impl pkg.mod:Attr`` runs these claims (:func:`.run.check`).
"""

from . import claims  # noqa: F401

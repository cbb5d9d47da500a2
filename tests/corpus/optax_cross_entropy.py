"""optax's softmax cross-entropy (imported, not copied), under lossproof's jax-ce contract.

Source: optax (github.com/google-deepmind/optax), ``optax.losses.softmax_cross_entropy`` (labels: class
probabilities) and ``softmax_cross_entropy_with_integer_labels`` (labels: int class indices), as installed
(``pip install jax optax``). Expected: both meet the contract (the claims that apply: loss, VJP, probability
targets for the first, offsets, extreme logits, square shapes, repeatable).
"""

from __future__ import annotations

REQUIRES = ("jax", "optax")

import optax  # noqa: E402

softmax_cross_entropy = optax.softmax_cross_entropy
softmax_cross_entropy_with_integer_labels = optax.softmax_cross_entropy_with_integer_labels

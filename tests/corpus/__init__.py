"""A corpus of softmax cross-entropy implementations from public sources, each behind a thin adapter.

Every module ``tests/corpus/<name>.py`` holds one implementation and says in
its header where it comes from, what the adapter changed, and how it was
classified (by reading it and by ``tests.corpus.reference``, never by
lossproof). ``MODULES`` lists them; ``load(name)`` imports one.

Each module defines:

* ``Impl``: the adapter class (the lossproof interface, ``impls/softmax/_protocol.py``);
* ``CLASSIFICATION``: ``"correct"`` or ``"buggy"``;
* ``DEFECT``: one line, the defect ("" for a correct one);
* ``REFERENCE_FAILS``: the quantities (``loss``, ``grad``, ``loss_grad``,
  ``arguments``) the 50-digit reference classifier must find wrong;
* ``EXPECTED_FAILING``: the lossproof claims that must reject it, the
  targeted one first (empty for a correct one);
* ``REQUIRES``: modules that must be importable (the test skips otherwise).
"""

import importlib

MODULES = (
    "sklearn_linear_model_loss",
    "sklearn_half_multinomial",
    "sklearn_mlp_log_loss",
    "scipy_log_softmax",
    "cs231n_vectorized_reg",
    "cs231n_naive_loops",
    "naive_exp_no_shift",
    "log_plus_epsilon",
    "column_index_sum",
    "grad_missing_one_over_n",
    "zeroes_last_column",
    "loss_grad_missing_one_over_n",
    "jax_log_softmax",
    "optax_softmax_cross_entropy",
    "torch_cross_entropy",
    "torch_cross_entropy_probs",
)


def load(name: str):
    if name not in MODULES:
        raise ValueError(f"name: unknown corpus implementation {name!r}; known: {', '.join(MODULES)}")
    return importlib.import_module(f"tests.corpus.{name}")

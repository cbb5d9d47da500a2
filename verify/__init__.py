"""Claims about softmax cross-entropy, the machinery that checks them, and the CLI.

The folders are the architecture, lowest layer first: :mod:`verify.numerics`
(shared mathematics), :mod:`verify.harness` (the engine, which knows no
paper), :mod:`verify.catalog` (one package per source, which registers the
claims), then :mod:`verify.bench`, :mod:`verify.report` and :mod:`verify.cli`.
``verify`` uses implementations only through the ``impls`` interface.
"""

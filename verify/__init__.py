"""Claims about softmax cross-entropy, the machinery that checks them, and the CLI.

``verify`` uses implementations only through the ``impls`` interface.
"""

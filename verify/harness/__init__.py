"""The engine: the claim model, evidence, search, strategies and profiles, the runner, the results document.

It knows no paper. :mod:`verify.catalog` registers the claims and hands them
to :func:`verify.harness.runner.run`; :mod:`verify.numerics` holds the shared
mathematics the checks use.
"""

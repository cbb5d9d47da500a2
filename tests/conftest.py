"""Shared pytest configuration: the Hypothesis profiles and the --impl option (which selects that implementation's claims only)."""

import pytest
from hypothesis import settings

from verify.harness.strategies import DEFAULT_PROFILE

# `--hypothesis-profile NAME` (Hypothesis' own pytest option) overrides this default.
settings.load_profile(DEFAULT_PROFILE)


def pytest_addoption(parser):
    parser.addoption(
        "--impl",
        action="append",
        default=[],
        metavar="PKG.MOD:ATTR",
        help="run the implementation-level claims against this implementation (repeatable) "
        "instead of the registered ones: 'pkg.mod:Attr' (importable from the current folder) "
        "or 'path/to/file.py:Attr'",
    )


def pytest_configure(config):
    config.addinivalue_line(
        "markers", "flakiness: the implementation claims under 20 search seeds (tests/test_flakiness.py; minutes); "
        "deselected unless -m names it: pytest -m flakiness")
    # A broken --impl is a usage error said once, on one line, before any
    # test runs, rather than the same failure in every implementation test.
    import impls

    for path in config.getoption("--impl", default=[]) or []:
        try:
            impls.load(path)
        except (ImportError, AttributeError, TypeError, ValueError) as exc:
            raise pytest.UsageError(f"--impl: {exc}") from None


def pytest_collection_modifyitems(config, items):
    # The flakiness measurement takes minutes: it runs only when asked for by name (pytest -m flakiness).
    if "flakiness" not in (config.getoption("markexpr", "") or ""):
        slow = [item for item in items if item.get_closest_marker("flakiness")]
        if slow:
            config.hook.pytest_deselected(items=slow)
            items[:] = [item for item in items if not item.get_closest_marker("flakiness")]
    # `pytest --impl X` is a question about X: run X's claims
    # (tests/test_claims.py::test_implementation_claim), not the whole suite.
    if not config.getoption("--impl", default=[]):
        return
    about_the_impl = [item for item in items if "impl_key" in getattr(getattr(item, "callspec", None), "params", {})]
    kept = {id(item) for item in about_the_impl}
    others = [item for item in items if id(item) not in kept]
    if others:
        config.hook.pytest_deselected(items=others)
        items[:] = about_the_impl


@pytest.fixture(scope="session")
def profile_name(pytestconfig) -> str:
    return pytestconfig.getoption("hypothesis_profile", None) or DEFAULT_PROFILE

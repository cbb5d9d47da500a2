"""Shared pytest configuration: the Hypothesis profiles and the --impl option."""

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
        "instead of the registered ones",
    )


@pytest.fixture(scope="session")
def profile_name(pytestconfig) -> str:
    return pytestconfig.getoption("hypothesis_profile", None) or DEFAULT_PROFILE

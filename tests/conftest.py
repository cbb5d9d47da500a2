"""Shared pytest configuration: the Hypothesis profiles (see verify.strategies)."""

from hypothesis import settings

from verify.strategies import DEFAULT_PROFILE

# `--hypothesis-profile NAME` (Hypothesis' own pytest option) overrides this default.
settings.load_profile(DEFAULT_PROFILE)

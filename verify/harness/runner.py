"""Run the claims it is handed against implementations: the one loop that the CLI, the report and the tests share.

The runner knows no paper: the caller (the CLI, a test) gathers the claims
from :mod:`verify.catalog` and hands them over.
"""

from __future__ import annotations

import fnmatch
import sys

from hypothesis import settings as hsettings

import impls

from .claims import CheckContext, Claim, ClaimResult, run_claim
from .strategies import DEFAULT_PROFILE, PROFILES

# Math claims are statements about the mathematics; they are computed once,
# through this implementation (the vectorized one, float64).
REFERENCE_IMPL = "numpy"


def context(impl, profile: str = DEFAULT_PROFILE) -> CheckContext:
    if profile not in PROFILES:
        raise ValueError(f"--hypothesis-profile: unknown profile {profile!r}; choose from {', '.join(PROFILES)}")
    return CheckContext(impl=impl, settings=hsettings.get_profile(profile), thorough=(profile == "thorough"))


def select(claims, patterns):
    if not patterns:
        return claims
    chosen = [c for c in claims if any(fnmatch.fnmatchcase(c.id, p) for p in patterns)]
    if not chosen:
        raise ValueError(f"--claim: no claim id matches {', '.join(patterns)}")
    return chosen


def run(
    claims: list[Claim],
    implementations,
    *,
    profile: str = DEFAULT_PROFILE,
    include_math: bool = True,
    patterns=(),
    progress=None,
) -> list[ClaimResult]:
    """Run the math claims of ``claims`` once (reference implementation) and its implementation claims per implementation.

    ``progress(done, total, result)`` is called after each claim.
    """
    # A pattern may name math claims, implementation claims or both; it is an
    # error only when it names none of the claims that would run.
    chosen = select([c for c in claims if include_math or c.scope == "implementation"], patterns)
    jobs = []
    if include_math:
        reference = impls.get(REFERENCE_IMPL)
        jobs += [(claim, reference) for claim in chosen if claim.scope == "math"]
    jobs += [(claim, ce) for ce in implementations for claim in chosen if claim.scope == "implementation"]
    if not jobs:
        raise ValueError("no claim selected")
    results = []
    contexts = {}
    for i, (claim, ce) in enumerate(jobs, 1):
        ctx = contexts.setdefault(id(ce), context(ce, profile))
        result = run_claim(claim, ctx)
        results.append(result)
        if progress:
            progress(i, len(jobs), result)
    return results


def print_progress(done: int, total: int, result: ClaimResult, stream=sys.stderr) -> None:
    mark = "ok " if result.matches else ("-- " if result.evidence.verdict == "skipped" else "XX ")
    stream.write(
        f"[{done:>3}/{total}] {mark}{result.claim.id} [{result.impl_name}] "
        f"{result.evidence.verdict} ({result.evidence.duration_s:.1f}s)\n"
    )
    stream.flush()

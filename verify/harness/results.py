"""The results document: one JSON file, versioned schema, read by the report.

Schema ``lossproof.results/1``::

    {
      "schema": "lossproof.results/1",
      "created": ISO 8601 time (UTC),
      "profile": the Hypothesis profile the searches ran under,
      "hypothesis": {profile, max_examples, derandomize, seed},
      "environment": {python, platform, cpu, cores, blas, numpy, scipy, sympy, hypothesis, mpmath, lossproof},
      "implementations": [{"name", "capabilities": {...}}],
      "selection": {"partial": bool, "claim_patterns": [glob, ...], "math_claims": bool,
                    "implementations": "every registered one" | "given with --impl",
                    "implementation_specs": [registry name or import path, ...]},
      "results": [
        {"claim": {id, title, source{seed, paper, where}, statement, hypotheses,
                   expected, method, scope, missing_hypothesis, reconstructed,
                   requires, family},
         "implementation": name,
         "matches": bool,
         "evidence": {verdict, summary, examples, worst_error, tolerance, quantity,
                      counterexample, found_by_search, construction, high_precision,
                      measurements, figures, notes, duration_s}}
      ],
      "summary": {"total", "matched", "mismatched", "skipped", "errors", "unconfirmed", "inconclusive", "robustness"}
    }

The summary counts each result once under ``matched`` (the computed
verdict is the expected one), ``skipped``, ``inconclusive`` (a statistical
test whose data neither support nor reject the statement at its stated
level: not a match, and not a failure either; a claim never *expects*
``inconclusive``) or ``mismatched`` (every other verdict that differs from
the expectation); ``errors`` and ``unconfirmed`` (a violation the
high-precision re-check could neither confirm nor dismiss) are the
mismatches of those two kinds, counted again on their own. ``robustness``
counts the robustness claims (``kind = "robustness"``: inputs beyond the
domain users have, ``impl.domain_edge``) that do not hold: findings, reported
apart, neither matches nor mismatches. Documents
written before ``unconfirmed`` and ``inconclusive`` existed have neither
key; readers take them as 0.

``selection`` says which claims the run covered; the report warns on its
first page when ``partial`` is true. Documents written before it existed
have none and are taken as complete. ``implementation_specs`` are the names
the run loaded its implementations from, in the order of
``implementations`` (``lossproof check --last-failed`` loads them again);
older documents have none.
"""

from __future__ import annotations

import datetime as _dt
import json
import os
import platform
import sys
from importlib import metadata

import numpy as np

import impls

from .claims import ERROR, INCONCLUSIVE, SKIPPED, UNCONFIRMED, ClaimResult, _jsonable

SCHEMA = "lossproof.results/1"

# What each verdict a result can carry means, in one sentence (the CLI and the report quote these).
VERDICT_MEANING = {
    "holds": "the statement held on every example (or the test supports it at its stated level)",
    "refuted": "a counterexample was found and confirmed (or the test rejects the statement at its stated level)",
    "holds-under": "the statement holds under the hypothesis the source left out and is refuted without it",
    "skipped": "the implementation lacks what the claim needs; nothing was checked",
    "error": "the check itself broke (or found no valid example); it fails the run",
    UNCONFIRMED: ("a violation was measured but the high-precision re-check could neither confirm nor dismiss it; "
                  "it fails the run, and never counts as holds"),
    INCONCLUSIVE: ("the statistical test's data neither support nor reject the statement at its stated level; "
                   "not a match, and not a failure of the implementation: more data (splits, runs) could decide it"),
}


def environment() -> dict:
    def version(pkg):
        try:
            return metadata.version(pkg)
        except metadata.PackageNotFoundError:
            return None

    return {
        "python": sys.version.split()[0],
        "platform": platform.platform(),
        "cpu": cpu_model(),
        "cores": os.cpu_count(),
        "blas": blas_name(),
        **{pkg: version(pkg) for pkg in ("numpy", "scipy", "sympy", "hypothesis", "mpmath", "lossproof")},
    }


def cpu_model() -> str:
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as fh:
            for line in fh:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def blas_name() -> str:
    try:
        blas = np.show_config(mode="dicts")["Build Dependencies"]["blas"]
        return f"{blas.get('name')} {blas.get('version', '')}".strip()
    except Exception:  # older NumPy: no dict mode
        return "unknown"


def hypothesis_settings(profile: str) -> dict:
    from hypothesis import settings as hsettings

    from . import strategies  # noqa: F401  (registers lossproof's profiles, overriding Hypothesis' built-in "ci")

    from .search import SEED_VARIABLE, search_seed

    s = hsettings.get_profile(profile)
    seed = search_seed()
    return {
        "profile": profile,
        "max_examples": s.max_examples,
        "derandomize": s.derandomize and seed is None,
        "seed": (f"{seed} ({SEED_VARIABLE})" if seed is not None
                 else "derandomized (fixed by the test function)" if s.derandomize else "random per run"),
    }


def describe_impl(ce) -> dict:
    caps = impls.capabilities_of(ce)
    return _jsonable(
        {
            "name": getattr(ce, "name", type(ce).__name__),
            "capabilities": {
                "dtypes": [np.dtype(d).name for d in caps.dtypes],
                "sample_weight": caps.sample_weight,
                "hessian": caps.hessian,
                "hvp": caps.hvp,
                "exact": caps.exact,
                "max_size": caps.max_size,
                "max_hessian_size": caps.max_hessian_size,
                "targets": getattr(caps, "targets", "soft"),
                "writes_arguments": list(getattr(caps, "writes_arguments", ())),
            },
            "methods": [m for m in impls.REQUIRED_METHODS + impls.OPTIONAL_METHODS if callable(getattr(ce, m, None))],
        }
    )


def summarize(results: list[ClaimResult]) -> dict:
    """The counts of the module docstring: matched + mismatched + skipped + inconclusive + robustness == total."""
    verdicts = [r.evidence.verdict for r in results]
    matched = sum(r.matches for r in results)
    skipped = verdicts.count(SKIPPED)
    inconclusive = sum(v == INCONCLUSIVE and not r.matches for v, r in zip(verdicts, results))
    robustness = sum(r.is_robustness_finding for r in results)
    return {
        "total": len(results),
        "matched": matched,
        "mismatched": len(results) - matched - skipped - inconclusive - robustness,
        "skipped": skipped,
        "errors": verdicts.count(ERROR),
        "unconfirmed": verdicts.count(UNCONFIRMED),
        "inconclusive": inconclusive,
        "robustness": robustness,
    }


def selection(patterns=(), math_claims: bool = True, user_implementations: bool = False, specs=None) -> dict:
    """Which claims a run covered; ``partial`` when it is not every claim against every registered implementation.

    ``specs``: the registry names or import paths the implementations were loaded from (default: the registered names).
    """
    return {
        "partial": bool(patterns) or not math_claims or user_implementations,
        "claim_patterns": list(patterns),
        "math_claims": bool(math_claims),
        "implementations": "given with --impl" if user_implementations else "every registered one",
        "implementation_specs": list(impls.names() if specs is None else specs),
    }


def build(results: list[ClaimResult], implementations, profile: str, chosen: dict | None = None) -> dict:
    """The results document of ``results``; ``chosen`` is the run's :func:`selection` (default: everything)."""
    return {
        "schema": SCHEMA,
        "created": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
        "profile": profile,
        "hypothesis": hypothesis_settings(profile),
        "environment": environment(),
        "implementations": [describe_impl(ce) for ce in implementations],
        "selection": chosen if chosen is not None else selection(),
        "results": [r.to_dict() for r in results],
        "summary": summarize(results),
    }


def write(document: dict, path) -> None:
    """Write ``document`` as indented JSON without NaN, creating its directory.

    It checks no schema: ``verify.bench.document.write`` writes the benchmark document with it.
    """
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    with open(path, "w", encoding="utf-8") as fh:
        json.dump(document, fh, indent=1, allow_nan=False)
        fh.write("\n")


def read(path) -> dict:
    with open(path, encoding="utf-8") as fh:
        document = json.load(fh)
    if document.get("schema") != SCHEMA:
        raise ValueError(f"{path}: schema {document.get('schema')!r} is not {SCHEMA!r}")
    return document

"""The results document: one JSON file, versioned schema, read by the report.

Schema ``lossproof.results/1``::

    {
      "schema": "lossproof.results/1",
      "created": ISO 8601 time (UTC),
      "profile": the Hypothesis profile the searches ran under,
      "hypothesis": {profile, max_examples, derandomize, seed},
      "environment": {python, platform, cpu, cores, blas, numpy, scipy, sympy, hypothesis, mpmath, lossproof,
                      commit (the git commit the claims ran from, or null)},
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

``results.schema.json`` beside this module is the same schema in JSON
Schema 2020-12: :func:`read` validates every document against it before
anything uses it, and a document that does not fit is a
:class:`~verify.harness.files.FileProblem` naming the file, the JSON path
and what was expected. Change both together.

``selection`` says which claims the run covered; the report warns on its
first page when ``partial`` is true. Documents written before it existed
have none and are taken as complete. ``implementation_specs`` are the names
the run loaded its implementations from, in the order of
``implementations`` (``lossproof check --last-failed`` loads them again);
older documents have none.
"""

from __future__ import annotations

import datetime as _dt
import functools
import json
import os
import platform
import sys
from importlib import metadata
from pathlib import Path

import numpy as np

import impls

from . import files
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
        "commit": source_commit(),
    }


def source_commit() -> str | None:
    """The git commit the claims were run from ('<sha>', with ' + uncommitted changes' when the checkout differs
    from it), or None outside a git checkout (an installed package) or without git."""
    import subprocess

    here = os.path.dirname(os.path.abspath(__file__))
    try:
        head = subprocess.run(["git", "-C", here, "rev-parse", "HEAD"], capture_output=True, text=True, timeout=10)
        if head.returncode != 0:
            return None
        dirty = subprocess.run(["git", "-C", here, "status", "--porcelain", "--untracked-files=no"],
                               capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.SubprocessError):
        return None
    return head.stdout.strip() + (" + uncommitted changes" if dirty.returncode == 0 and dirty.stdout.strip() else "")


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
        # A framework kernel comes described by its worker (verify/catalog/kernels: a dict); the others are objects.
        "implementations": [ce if isinstance(ce, dict) else describe_impl(ce) for ce in implementations],
        "selection": chosen if chosen is not None else selection(),
        "results": [r.to_dict() for r in results],
        "summary": summarize(results),
    }


def write(document: dict, path) -> None:
    """Write ``document`` as indented JSON without NaN, creating its folder, atomically (:mod:`.files`).

    It checks no schema: ``verify.bench.document.write`` writes the benchmark document with it.
    """
    files.write_json(document, path)


SCHEMA_FILE = Path(__file__).with_name("results.schema.json")  # JSON Schema 2020-12, shipped as package data


@functools.cache
def _validator():
    import jsonschema

    schema = json.loads(SCHEMA_FILE.read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema)


_JSON_TYPES = {dict: "an object", list: "an array", str: "a string", bool: "a boolean", int: "an integer",
               float: "a number", type(None): "null"}
_SCHEMA_TYPES = {"object": "an object", "array": "an array", "string": "a string", "boolean": "a boolean",
                 "integer": "an integer", "number": "a number", "null": "null"}


def _shown(value, width: int = 60) -> str:
    """``value`` as the message shows it: its JSON type, and the value itself when it is short and not a container."""
    kind = _JSON_TYPES.get(type(value), type(value).__name__)
    if isinstance(value, (dict, list)):
        return kind
    text = json.dumps(value)
    return f"{kind} {text if len(text) <= width else text[: width - 3] + '...'}"


def _expected(error) -> str:
    """What ``error`` (a jsonschema ``ValidationError``) says was expected, and what was found, in one short line."""
    got = _shown(error.instance)
    if error.validator == "type":
        wanted = error.validator_value if isinstance(error.validator_value, list) else [error.validator_value]
        if "string" in wanted and error.schema.get("pattern"):  # a measure: the strings it may be are few
            names = [_SCHEMA_TYPES[w] for w in wanted if w != "string"] + ["'inf', '-inf' or 'nan'"]
        else:
            names = [_SCHEMA_TYPES.get(w, w) for w in wanted]
        return f"expected {', '.join(names[:-1]) + ' or ' + names[-1] if len(names) > 1 else names[0]}, got {got}"
    if error.validator == "required":
        missing = next((k for k in error.validator_value if k not in error.instance), "?")
        return f"missing the required property {missing!r}"
    if error.validator == "const":
        return f"expected {json.dumps(error.validator_value)}, got {got}"
    if error.validator == "enum":
        return f"expected one of {', '.join(map(json.dumps, error.validator_value))}, got {got}"
    if error.validator == "pattern":  # the strings a measure may be
        return f"expected a number, null, or 'inf', '-inf' or 'nan', got {got}"
    if error.validator == "minimum":
        return f"expected at least {error.validator_value}, got {got}"
    if error.validator == "minLength":
        return f"expected a non-empty string, got {got}"
    return error.message if len(error.message) <= 120 else error.message[:117] + "..."


def validate(document, path) -> None:
    """Raise :class:`FileProblem` ("PATH: $.results[3].evidence.worst_error: expected ...") unless ``document`` fits the schema.

    One error is named: jsonschema's ``best_match``, which prefers the
    shallowest place where the document departs from the schema.
    """
    import jsonschema

    if isinstance(document, dict) and document.get("schema") != SCHEMA:  # another kind of document, or another version
        found = document.get("schema")
        raise files.FileProblem(path, f"$.schema: expected {SCHEMA!r} (a lossproof results document), "
                                      f"got {_shown(found) if 'schema' in document else 'none'}")
    error = jsonschema.exceptions.best_match(_validator().iter_errors(document))
    if error is not None:
        raise files.FileProblem(path, f"{error.json_path}: {_expected(error)}")


def read(path) -> dict:
    """The results document at ``path``, validated against ``results.schema.json`` before anything uses it.

    Every failure (no such file, not JSON, a wrong shape) is one :class:`FileProblem` naming the path.
    """
    document = files.read_json(path)
    validate(document, path)
    return document

"""The ``lossproof.bench/1`` document: what ``lossproof bench`` writes and the report reads.

Schema ``lossproof.bench/1``::

    {
      "schema": "lossproof.bench/1",
      "created": ISO 8601 time (UTC),
      "plan": {"name": "full" | "quick" | ..., "repeats", "calls_per_round", grids...},
      "environment": {python, platform, cpu, cores, blas, numpy, scipy, ...,
                      "threads": NumPy implementation's threads,
                      "peers": {name: version or null},
                      "load_average": {"start": [1, 5, 15 min], "end": [...]},
                      "other_processes_cpu": share of the CPU other processes used
                          during the run (0 to 1; null off Linux),
                      "duration_seconds",
                      "commit": git commit or null, "dirty": bool or null},
      "timings": [{"implementation", "operation", "phase", "N", "D", "K", "dtype",
                   "seconds", "median_seconds", "samples",
                   "floor", "floor_seconds", "ratio_to_floor", "other_processes_cpu", "reliable"}],
      "peers": [{"peer", "version", "available", "N", "D", "K", "dtype",
                 "ours_seconds", "peer_seconds", "ratio", "other_processes_cpu", "reliable"}],
      "memory": [{"implementation", "N", "D", "K", "dtype", "input_bytes", "extra_bytes"}],
      "accuracy": [{"implementation", "N", "D", "K", "dtype", "reference",
                    "max_relative_grad_error", "eps"}],
      "scaling": [{"implementation", "operation", "axis", "fixed", "sizes", "seconds", "exponent"}],
      "harness": [{"runner": "jobs" | "dask-local", "workers", "claims", "available",
                   "serial_seconds", "parallel_seconds", "speedup", "other_processes_cpu"}],
      "targets": [{"id", "description", "point", "value", "limit", "comparison", "met",
                   "judged", "other_processes_cpu"}]
    }

A timing is ``reliable`` when other processes used at most ``run.BUSY_SHARE``
of the CPU while it was taken (derived there from the precision a target is
judged to); ``environment.timings_reliable`` is true when every timing was.
A target evaluated from an unreliable timing is not judged: ``judged`` false,
``met`` null. Documents written before these fields existed have none: a
reader treats a missing ``judged`` as judged, and the report still refuses to
show a target as met where ``environment.other_processes_cpu`` exceeds
``run.BUSY_SHARE``.

``harness`` is the harness's own speed: the plan's claims run serially and
then in ``workers`` processes (``lossproof check --jobs``) or on a Dask
LocalCluster (``--dask local``), start-up included; ``speedup`` is serial /
parallel (ideal: the number of workers). A runner that is not installed has
``available`` false and no timings. Documents written before this section
existed have none, and read as an empty list.

``targets`` is empty unless the plan is ``full`` (the targets are stated
for the issue's sizes).

``other_processes_cpu`` (0 to 1, or null off Linux and for SymPy's
derivation) is the share of the CPU other processes took while that pair was
timed; a pair timed while they took more than ``run.BUSY_SHARE`` is timed again,
up to the plan's ``retries_when_busy`` times, and the samples pooled.
``phase`` is ``"call"`` except for SymPy (``"derivation"``, ``"evaluation"``);
a derivation has no floor (``floor``, ``floor_seconds`` and
``ratio_to_floor`` are null). Seconds are wall-clock, the minimum over the
samples. Nothing in the tests asserts a timing.
"""

from __future__ import annotations

import sys

from ..harness.files import FileProblem, read_json
from ..harness.results import write as write_json

SCHEMA = "lossproof.bench/1"
# The sections ``run()`` measures, in the order it measures them; ``targets`` is computed from them.
SECTIONS = ("timings", "peers", "memory", "accuracy", "scaling", "harness")

_RECORD_KEYS = {
    "timings": {
        "implementation": str, "operation": str, "phase": str, "N": int, "D": int, "K": int, "dtype": str,
        "seconds": float, "median_seconds": float, "samples": int,
        "floor": (str, type(None)), "floor_seconds": (float, type(None)), "ratio_to_floor": (float, type(None)),
    },
    "peers": {"peer": str, "version": (str, type(None)), "available": bool},
    "memory": {"implementation": str, "N": int, "D": int, "K": int, "dtype": str, "input_bytes": int, "extra_bytes": int},
    "accuracy": {
        "implementation": str, "N": int, "D": int, "K": int, "dtype": str, "reference": str,
        "max_relative_grad_error": float, "eps": float,
    },
    "scaling": {
        "implementation": str, "operation": str, "axis": str, "fixed": dict, "sizes": list, "seconds": list,
        "exponent": float,
    },
    "harness": {"runner": str, "workers": int, "claims": list, "available": bool},
    "targets": {
        "id": str, "description": str, "point": dict, "value": float, "limit": float, "comparison": str,
        "met": (bool, type(None)),
    },
}
_AVAILABLE_HARNESS_KEYS = {"serial_seconds": float, "parallel_seconds": float, "speedup": float}
_AVAILABLE_PEER_KEYS = {"N": int, "D": int, "K": int, "dtype": str, "ours_seconds": float, "peer_seconds": float, "ratio": float}


def check_document(doc: dict) -> None:
    """Raise ``ValueError`` naming the first place where ``doc`` departs from the ``lossproof.bench/1`` schema."""
    if not isinstance(doc, dict):
        raise ValueError(f"document: expected an object, got {type(doc).__name__}")
    if doc.get("schema") != SCHEMA:
        raise ValueError(f"schema: expected {SCHEMA!r}, got {doc.get('schema')!r}")
    for key, kind in (("created", str), ("plan", dict), ("environment", dict)):
        if not isinstance(doc.get(key), kind):
            raise ValueError(f"{key}: expected {kind.__name__}, got {type(doc.get(key)).__name__}")
    for section, keys in _RECORD_KEYS.items():
        records = doc.get(section, [] if section == "harness" else None)
        if not isinstance(records, list):
            raise ValueError(f"{section}: expected a list, got {type(records).__name__}")
        for i, record in enumerate(records):
            wanted = dict(keys)
            if section == "peers" and record.get("available"):
                wanted.update(_AVAILABLE_PEER_KEYS)
            if section == "harness" and record.get("available"):
                wanted.update(_AVAILABLE_HARNESS_KEYS)
            for key, kind in wanted.items():
                if key not in record:
                    raise ValueError(f"{section}[{i}]: missing {key!r}")
                value = record[key]
                if kind is float:
                    kind = (float, int)
                if isinstance(value, bool) and kind is not bool and not (isinstance(kind, tuple) and bool in kind):
                    raise ValueError(f"{section}[{i}].{key}: expected a number, got a boolean")
                if not isinstance(value, kind):
                    raise ValueError(f"{section}[{i}].{key}: unexpected type {type(value).__name__}")


def write(doc: dict, path) -> None:
    """Write ``doc`` to ``path`` as the results document is written, once it passes ``check_document``."""
    check_document(doc)
    write_json(doc, path)


def read(path) -> dict:
    """The document at ``path``; a ``FileProblem`` naming the path where it cannot be read or departs from the schema."""
    doc = read_json(path)
    try:
        check_document(doc)
    except ValueError as exc:
        raise FileProblem(path, str(exc)) from None
    return doc


def print_summary(doc: dict, stream=sys.stdout) -> None:
    """The conditions of the run, then the targets, one line each."""
    env = doc.get("environment", {})
    if env.get("other_processes_cpu") is not None:
        stream.write(
            f"other processes used {100 * env['other_processes_cpu']:.1f}% of the CPU during the run "
            f"(load average {env['load_average']['start']} -> {env['load_average']['end']}); "
            "timings from a busy machine are not worth keeping\n"
        )
    targets = doc.get("targets", [])
    if not targets:
        stream.write(f"targets: evaluated on the full plan only (this was {doc['plan']['name']!r})\n")
        return
    for t in targets:
        p = t["point"]
        where = f"({p['N']}, {p['D']}, {p['K']}) {p['dtype']}"
        status = ("met" if t["met"] else "NOT MET") if t.get("judged", True) and t["met"] is not None else (
            f"not judged: machine busy (other processes used {100 * (t.get('other_processes_cpu') or 0):.0f}% of the CPU)")
        stream.write(f"{t['id']:<26} {where:<32} {t['value']:8.3f} {t['comparison']} {t['limit']:<5} {status}\n")

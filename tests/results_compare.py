"""Compare two lossproof results documents row by row, the whole evidence of each row.

    python -m tests.results_compare SERIAL.json PARALLEL.json [--keep-timings]

Rows are keyed by (claim id, implementation). Every evidence field is
compared (verdict, summary, examples, worst error, tolerance, quantity,
counterexample, high-precision re-check, measurements, figures, notes),
except timings, which no two runs share: ``duration_s`` and, anywhere in
the measurements, figures or notes, a key that names seconds (``seconds``,
``*_seconds``, ``*_s``, ``time_*``). Exits 1 when anything else differs.
"""

from __future__ import annotations

import json
import re
import sys

TIMING_KEY = re.compile(r"(^|_)(seconds|secs?|s|duration|elapsed|wall)$|^(time|timing)(_|$)", re.IGNORECASE)


def strip_timings(value):
    if isinstance(value, dict):
        return {k: strip_timings(v) for k, v in value.items() if not TIMING_KEY.search(str(k))}
    if isinstance(value, list):
        return [strip_timings(v) for v in value]
    return value


def rows(doc) -> dict:
    return {(r["claim"]["id"], r["implementation"]): r for r in doc["results"]}


def differences(a: dict, b: dict, keep_timings: bool = False) -> list[str]:
    """Every difference between two results documents, one line each; [] when the rows and their evidence agree."""
    out = []
    A, B = rows(a), rows(b)
    if list(A) != list(B):
        if set(A) != set(B):
            out += [f"only in the first: {k}" for k in sorted(set(A) - set(B))]
            out += [f"only in the second: {k}" for k in sorted(set(B) - set(A))]
        else:
            out.append("the rows are in a different order")
    for key in (k for k in A if k in B):
        ea, eb = dict(A[key]["evidence"]), dict(B[key]["evidence"])
        if not keep_timings:
            ea.pop("duration_s", None), eb.pop("duration_s", None)
            ea, eb = strip_timings(ea), strip_timings(eb)
        for field in sorted(set(ea) | set(eb)):
            if ea.get(field) != eb.get(field):
                out.append(f"{key[0]} [{key[1]}] {field}: {_short(ea.get(field))} != {_short(eb.get(field))}")
        if A[key]["matches"] != B[key]["matches"]:
            out.append(f"{key[0]} [{key[1]}] matches: {A[key]['matches']} != {B[key]['matches']}")
    return out


def _short(value, limit=160) -> str:
    text = json.dumps(value, sort_keys=True)
    return text if len(text) <= limit else text[:limit] + "..."


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    keep = "--keep-timings" in argv
    paths = [a for a in argv if not a.startswith("--")]
    if len(paths) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    a, b = (json.load(open(p, encoding="utf-8")) for p in paths)
    diffs = differences(a, b, keep_timings=keep)
    for line in diffs:
        print(line)
    print(f"{len(rows(a))} rows; {len(diffs)} difference(s)" + ("" if keep else " (timings excluded)"))
    return 1 if diffs else 0


if __name__ == "__main__":
    sys.exit(main())

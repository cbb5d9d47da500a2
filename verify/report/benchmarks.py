"""Benchmark results for the report: asv's saved results and the built-in benchmark's document.

The report only reads what was measured: ``gather`` finds asv's results
directory and ``OUT/bench.json`` (a ``lossproof.bench/1`` document, see
``verify.bench.document``) and never runs a benchmark; when neither exists,
``lossproof report`` (``verify.cli``) decides whether to run the built-in
one first. ``figures`` and ``tables`` turn the document into plain-data
figure specs and tables.
"""

from __future__ import annotations

import json
from collections import defaultdict
from pathlib import Path

from ..bench.document import SCHEMA, read
from ..bench.run import BUSY_SHARE

ASV_RESULTS = Path(".asv") / "results"
BENCH_NAME = "bench.json"


def latest_asv_result(root: Path = ASV_RESULTS) -> Path | None:
    """asv's newest saved result file below ``root``, or None when asv has saved none."""
    files = [p for p in root.glob("*/*.json") if p.name != "machine.json"] if root.is_dir() else []
    return max(files, key=lambda p: p.stat().st_mtime) if files else None


def _asv_table(path: Path) -> dict:
    """The newest asv result file as a table of benchmark, parameters and value."""
    data = json.loads(path.read_text(encoding="utf-8"))
    columns = data.get("result_columns", ["result", "params"])
    rows = []
    for name, entry in sorted(data.get("results", {}).items()):
        record = dict(zip(columns, entry)) if isinstance(entry, list) else {"result": entry}
        values, params = record.get("result"), record.get("params") or []
        if not isinstance(values, list):
            values = [values]
        combos = [[]]
        for axis in params:
            combos = [c + [p] for c in combos for p in axis]
        for combo, value in zip(combos, values):
            shown = "failed" if value is None else (f"{value:.4g}" if isinstance(value, float) else str(value))
            rows.append([name, ", ".join(str(p) for p in combo), shown])
    commit = data.get("commit_hash", "")[:10]
    return {"title": f"asv results ({path.parent.name}, commit {commit})", "columns": ["benchmark", "parameters", "value"], "rows": rows}


def gather(out_dir) -> dict | None:
    """The benchmark document the report shows, from results already on disk; None when there are none.

    ``OUT/bench.json`` (from ``lossproof bench``, or run for the report by
    ``lossproof report``) gives the figures and tables; asv's newest saved
    result, when there is one, is added as a table beside them.
    """
    existing = Path(out_dir) / BENCH_NAME
    doc = read(existing) if existing.exists() else None
    asv_file = latest_asv_result()
    if asv_file is not None:
        doc = dict(doc or {"schema": SCHEMA})
        doc["asv"] = _asv_table(asv_file)
    if doc is None:
        return None
    doc.setdefault("description", describe(doc))
    doc["figures"] = figures(doc)
    doc["tables"] = tables(doc)
    return doc


def _point_text(point: dict) -> str:
    """``{"N": 100000, "D": 256, "K": 64, "dtype": "float64"}`` as ``(100000, 256, 64) float64``; other points as JSON."""
    if set(point) == {"N", "D", "K", "dtype"}:
        if isinstance(point["N"], list):  # the memory target: N grows, D and K fixed
            return f"N = {', '.join(map(str, point['N']))}; D = {point['D']}, K = {point['K']}, {point['dtype']}"
        return f"({point['N']}, {point['D']}, {point['K']}) {point['dtype']}"
    return json.dumps(point)


def busy_share(doc: dict, record: dict | None = None):
    """The share of the CPU other processes used while ``record`` (else the whole run) was measured, or None."""
    share = None if record is None else record.get("other_processes_cpu")
    return doc.get("environment", {}).get("other_processes_cpu") if share is None else share


def busy_notice(share) -> str:
    return f"not judged: machine busy (other processes used {100 * share:.0f}% of the CPU)"


def target_status(doc: dict, target: dict) -> str:
    """A target's cell: "yes", "NO", or "not judged: machine busy (...)" where its timing was not reliable.

    The benchmark decides (``judged``, ``met``, see ``verify.bench.document``);
    a document from before those fields is not shown as met when the whole run
    was busier than ``BUSY_SHARE``.
    """
    share = busy_share(doc, target)
    if target.get("judged") is False or target.get("met") is None:
        return busy_notice(share or 0.0)
    if "judged" not in target and "N" in target.get("point", {}) and not isinstance(target["point"]["N"], list):
        run_share = doc.get("environment", {}).get("other_processes_cpu")
        if run_share is not None and run_share > BUSY_SHARE:
            return busy_notice(run_share)
    return "yes" if target["met"] else "NO"


def describe(doc: dict) -> str:
    env = doc.get("environment", {})
    if not env:
        return "asv results only."
    load = env.get("load_average", {})
    share = env.get("other_processes_cpu")
    busy = ""
    if share is not None:
        busy = (f" Other processes used {100 * share:.0f}% of the CPU during the run"
                + (f" (above {100 * BUSY_SHARE:.1f}%, where contention could stretch a timing by more than the 5% "
                   "a target is judged to): the timings are not reliable, and no target is judged from them."
                   if share > BUSY_SHARE or env.get("timings_reliable") is False else "."))
    plan = doc.get("plan", {}).get("name", "?")
    scope = (" The quick plan measures small sizes in seconds; the targets are stated for the full plan's sizes "
             "(lossproof report --bench full) and are not evaluated here." if plan == "quick" else "")
    return (
        f"lossproof bench ({plan} plan), {doc.get('created', '')}, "
        f"{env.get('cpu', '?')}, {env.get('cores', '?')} cores, BLAS {env.get('blas', '?')}, "
        f"NumPy implementation threads: {env.get('threads', '?')}, load average at start/end: "
        f"{load.get('start')} / {load.get('end')}. Times are the minimum over repeated, alternating runs." + busy + scope
    )


def _size(t: dict) -> str:
    """(N, D, K, dtype) of a record; records of a peer that is not installed have none."""
    if "N" not in t:
        return ""
    return f"{t['N']}x{t['D']}x{t['K']} {t['dtype']}"


def _number(record: dict, key: str, spec: str) -> str:
    """``record[key]`` formatted by ``spec``; blank where the record has none (a derivation's floor, a missing peer)."""
    value = record.get(key)
    return "" if value is None else format(value, spec)


def _ratio_bars(title: str, records: list, name: str, ratio: str, ylabel: str, hlines: list) -> dict:
    """A bar figure with one bar per record: ``record[ratio]``, labelled by ``record[name]`` and the size."""
    return {
        "kind": "bar",
        "title": title,
        "labels": [f"{r[name]} {_size(r)}" for r in records],
        "values": [r[ratio] for r in records],
        "ylabel": ylabel,
        "hlines": hlines,
    }


def figures(doc: dict) -> list:
    out = []
    scaling = defaultdict(list)
    for s in doc.get("scaling", []):
        scaling[s["axis"]].append(s)
    for axis, records in scaling.items():
        out.append(
            {
                "title": f"loss+grad time against {axis} (fitted exponents in the legend)",
                "xlabel": f"{axis}",
                "ylabel": "time (s)",
                "xscale": "log",
                "yscale": "log",
                "series": [
                    {"label": f"{r['implementation']} (b = {r['exponent']:.2f})", "x": r["sizes"], "y": r["seconds"]}
                    for r in records
                ],
            }
        )
    numpy_ratios = [t for t in doc.get("timings", []) if t["implementation"] == "numpy" and t.get("ratio_to_floor")]
    if numpy_ratios:
        out.append(
            _ratio_bars(
                "NumPy implementation: time / floor (the products and exp it cannot avoid)",
                numpy_ratios, "operation", "ratio_to_floor", "time / floor",
                [{"y": 1.25, "label": "target 1.25 (loss+grad, hvp)"}, {"y": 1.5, "label": "target 1.5 (Hessian)"}],
            )
        )
    peers = [p for p in doc.get("peers", []) if p.get("available")]
    if peers:
        out.append(
            _ratio_bars(
                "loss+grad: lossproof NumPy time / peer time (below 1: lossproof is faster)",
                peers, "peer", "ratio", "ours / peer", [{"y": 1.0, "label": "equal time"}],
            )
        )
    memory = doc.get("memory", [])
    if memory:
        out.append(
            {
                "title": "loss+grad memory beyond the inputs",
                "xlabel": "N (samples)",
                "ylabel": "bytes",
                "xscale": "log",
                "series": [
                    {"label": "extra bytes (tracemalloc peak)", "x": [m["N"] for m in memory], "y": [m["extra_bytes"] for m in memory]},
                    {"label": "input bytes", "x": [m["N"] for m in memory], "y": [m["input_bytes"] for m in memory]},
                ],
                "yscale": "log",
            }
        )
    return out


def tables(doc: dict) -> list:
    out = []
    if doc.get("targets"):
        out.append(
            {
                "title": "Targets for the NumPy implementation",
                "columns": ["target", "point", "value", "limit", "met"],
                "rows": [
                    [t["description"], _point_text(t["point"]), f"{t['value']:.3g}", f"{t['comparison']} {t['limit']}",
                     target_status(doc, t)]
                    for t in doc["targets"]
                ],
            }
        )
    if doc.get("timings"):
        out.append(
            {
                "title": "Timings (seconds, minimum over alternating runs) and ratio to the floor",
                "columns": ["implementation", "operation", "phase", "size", "seconds", "floor (s)", "ratio"],
                "rows": [
                    [t["implementation"], t["operation"], t.get("phase", "call"), _size(t), _number(t, "seconds", ".4g"),
                     _number(t, "floor_seconds", ".4g"), _number(t, "ratio_to_floor", ".3f")]
                    for t in doc["timings"]
                ],
            }
        )
    if doc.get("peers"):
        out.append(
            {
                "title": "Peers (loss+grad)",
                "columns": ["peer", "version", "size", "ours (s)", "peer (s)", "ours / peer"],
                "rows": [
                    [p["peer"], p.get("version") or "not installed", _size(p), _number(p, "ours_seconds", ".4g"),
                     _number(p, "peer_seconds", ".4g"), _number(p, "ratio", ".3f")]
                    for p in doc["peers"]
                ],
            }
        )
    if doc.get("accuracy"):
        out.append(
            {
                "title": "Accuracy: largest gradient error / largest gradient entry",
                "columns": ["implementation", "size", "reference", "relative error", "eps"],
                "rows": [[a["implementation"], _size(a), a["reference"], f"{a['max_relative_grad_error']:.2e}", f"{a['eps']:.2e}"] for a in doc["accuracy"]],
            }
        )
    if doc.get("harness"):
        out.append(
            {
                "title": "The harness's own speed: the same claims serially and in parallel (serial / parallel; "
                         "ideal: the number of workers)",
                "columns": ["runner", "workers", "claims", "serial (s)", "parallel (s)", "speed-up", "other processes' CPU"],
                "rows": [
                    [h["runner"], str(h["workers"]), ", ".join(h["claims"]),
                     *((_number(h, "serial_seconds", ".1f"), _number(h, "parallel_seconds", ".1f"),
                        _number(h, "speedup", ".2f")) if h["available"] else ("not installed", "", "")),
                     _number(h, "other_processes_cpu", ".0%")]
                    for h in doc["harness"]
                ],
            }
        )
    if doc.get("asv"):
        out.append(doc["asv"])
    return out

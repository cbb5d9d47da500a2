"""The ``lossproof`` command line."""

from __future__ import annotations

import argparse
import re
import sys

import numpy as np

import impls

from .bench.document import SECTIONS


def _describe(ce) -> str:
    caps = impls.capabilities_of(ce)
    methods = [m for m in impls.REQUIRED_METHODS + impls.OPTIONAL_METHODS if callable(getattr(ce, m, None))]
    limit = "none" if caps.max_size is None else f"N*D*K <= {caps.max_size}"
    hess_limit = "none" if caps.max_hessian_size is None else f"N*D*K <= {caps.max_hessian_size}"
    return (
        f"{ce.name}\n"
        f"  dtypes:         {', '.join(np.dtype(d).name for d in caps.dtypes)}\n"
        f"  methods:        {', '.join(methods)}\n"
        f"  sample_weight:  {'yes' if caps.sample_weight else 'no'}\n"
        f"  exact inputs:   {'yes' if caps.exact else 'no'}\n"
        f"  practical size: {limit} (Hessian: {hess_limit})"
        + "".join(f"\n  note:           {n}" for n in caps.notes)
    )


def _capabilities_json(ce) -> dict:
    caps = impls.capabilities_of(ce)
    return {
        "name": ce.name,
        "dtypes": [np.dtype(d).name for d in caps.dtypes],
        "methods": [m for m in impls.REQUIRED_METHODS + impls.OPTIONAL_METHODS if callable(getattr(ce, m, None))],
        "sample_weight": bool(caps.sample_weight),
        "exact": bool(caps.exact),
        "max_size": caps.max_size,
        "max_hessian_size": caps.max_hessian_size,
        "notes": list(caps.notes),
    }


def cmd_impls(args) -> int:
    """Print the registered implementations (or a user's one) and what they declare, as text or as JSON."""
    targets = [impls.load(args.impl)] if args.impl else [impls.get(n) for n in impls.names()]
    if args.json:
        import json

        print(json.dumps([_capabilities_json(ce) for ce in targets], indent=2))
        return 0
    print("\n\n".join(_describe(ce) for ce in targets))
    return 0


# The check table's short name for each meaning of its error column (the report's legend,
# verify.report.content.ERROR_MEASURES, says them in full; the column shows the same cell as the report).
MEASURE_TAGS = {"ratio": "error/tol", "margin": "margin", "p-value": "p-value", "exact": "exact (tol 0)",
                "checks": "checks", "identities": "identities", "none": ""}


def _format_error(ev) -> str:
    from .report.content import error_cell

    cell = error_cell(ev.to_dict())
    return f"{cell.text} {MEASURE_TAGS[cell.measure]}".strip() if cell.text else ""


# The contracts `lossproof check --contract` checks an --impl against: the softmax-ce interface (impls/), or a
# framework kernel (verify/catalog/kernels).
SOFTMAX_CONTRACT = "softmax-ce"
CONTRACTS = (SOFTMAX_CONTRACT, "torch-ce", "torch-linear-ce", "jax-ce")

# Exit statuses of `lossproof check` (the README's table quotes them).
EXIT_MATCHED = 0  # every verdict matches its expectation (skipped claims aside)
EXIT_MISMATCHED = 1  # some verdict differs from its expectation: refuted, error, unconfirmed, ...
EXIT_USAGE = 2  # bad arguments, a file that cannot be read or written, or an implementation that cannot be loaded
EXIT_INCONCLUSIVE = 3  # nothing mismatched, but some statistical test could not decide at its level
EXIT_INTERRUPTED = 130  # Ctrl-C (SIGINT): 128 + the signal's number, as shells report it


def status_of(result) -> str:
    """The last column of the table: ok, skipped (why), INCONCLUSIVE, UNCONFIRMED, ROBUSTNESS or MISMATCH."""
    from .harness.claims import INCONCLUSIVE, SKIPPED, UNCONFIRMED

    verdict = result.evidence.verdict
    if result.matches:
        return "ok"
    if verdict == SKIPPED:
        reason = skip_reason(result.evidence.summary)
        return f"skipped ({reason})" if reason else "skipped"
    if verdict == INCONCLUSIVE:
        return "INCONCLUSIVE"
    if verdict == UNCONFIRMED:
        return "UNCONFIRMED"
    return "ROBUSTNESS" if result.is_robustness_finding else "MISMATCH"


# The longest skip reason the table shows: "declares hessian=False, hvp=False" fits, a sentence does not.
SKIP_REASON_WIDTH = 40


def skip_reason(summary: str | None) -> str:
    """A skipped result's evidence summary, shortened for a table cell: "no hessian", "declares hessian=False".

    The claims word their skips as "skipped: the implementation has no hessian",
    "... does not declare sample weights", "needs scikit-learn: pip install ...";
    the cell keeps what the implementation lacks, up to the first colon or
    semicolon after it, and at most ``SKIP_REASON_WIDTH`` characters.
    """
    text = re.sub(r"^skipped:\s*", "", (summary or "").strip())
    text = re.sub(r"^the implementation\s+(has\s+)?", "", text)
    text = re.split(r"[:;]\s", text, maxsplit=1)[0].strip().rstrip(".")
    return text if len(text) <= SKIP_REASON_WIDTH else text[: SKIP_REASON_WIDTH - 3].rstrip() + "..."


def exit_status(summary: dict) -> int:
    """``EXIT_MISMATCHED`` over ``EXIT_INCONCLUSIVE`` over ``EXIT_MATCHED``, from a results summary."""
    if summary["mismatched"]:
        return EXIT_MISMATCHED
    return EXIT_INCONCLUSIVE if summary.get("inconclusive") else EXIT_MATCHED


def _neither_match_nor_fail(s: dict) -> str:
    """", 2 inconclusive, 1 robustness finding (beyond the input domain)": the counts apart from matches and mismatches."""
    inconclusive = f", {s['inconclusive']} inconclusive" if s.get("inconclusive") else ""
    robustness = (f", {s['robustness']} robustness finding{'s' if s['robustness'] > 1 else ''} (beyond the input domain)"
                  if s.get("robustness") else "")
    return inconclusive + robustness


def summary_line(s: dict) -> str:
    """One sentence of a results summary: matched, mismatched (unconfirmed, errors among them), inconclusive, skipped."""
    kinds = [f"{s[k]} {k}" for k in ("unconfirmed", "errors") if s.get(k)]
    mismatched = f"{s['mismatched']} mismatched" + (f" ({', '.join(kinds)})" if kinds else "")
    return (f"{s['matched']} of {s['total']} verdicts match their expectation; {mismatched}{_neither_match_nor_fail(s)}, "
            f"{s['skipped']} skipped.")


def plugin_summary_line(results, s: dict) -> str:
    """The closing sentence for a user's implementations: what holds of the claims that apply, and which do not apply.

    "all 9 applicable claims hold; 7 not applicable: impl.hessian (no hessian), ..." when nothing
    mismatched; with a mismatch, or with a claim that expects anything but holds (math claims, with
    --with-math), it is :func:`summary_line`.
    """
    from .harness.claims import HOLDS, SKIPPED

    if s["mismatched"] or any(r.claim.expected != HOLDS for r in results):
        return summary_line(s)
    applicable = s["total"] - s["skipped"]
    if s["matched"] == applicable:
        held = ("the one applicable claim holds" if applicable == 1
                else f"all {applicable} applicable claims hold" if applicable else "no claim applies")
    else:
        held = f"{s['matched']} of {applicable} applicable claims hold{_neither_match_nor_fail(s)}"
    skipped = [r for r in results if r.evidence.verdict == SKIPPED]
    several = len({r.impl_name for r in results}) > 1
    named = [r.claim.id + (f" [{r.impl_name}]" if several else "")
             + (f" ({skip_reason(r.evidence.summary)})" if skip_reason(r.evidence.summary) else "") for r in skipped]
    return held + (f"; {len(skipped)} not applicable: {', '.join(named)}." if skipped else ".")


def print_table(results, stream=None) -> None:
    stream = sys.stdout if stream is None else stream  # looked up at the call: pytest's capsys replaces it
    rows = [("claim", "implementation", "expected", "verdict", "examples", "worst (meaning)", "")]
    for r in results:
        ev = r.evidence
        status = status_of(r)
        rows.append((r.claim.id, r.impl_name, r.claim.expected, ev.verdict, str(ev.examples), _format_error(ev), status))
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    for j, row in enumerate(rows):
        stream.write("  ".join(cell.ljust(w) for cell, w in zip(row, widths)).rstrip() + "\n")
        if j == 0:
            stream.write("  ".join("-" * w for w in widths) + "\n")


def _parallel(args) -> dict:
    """The runner's ``jobs``/``dask``/``notice`` arguments from ``--jobs`` and ``--dask``."""
    from .harness.runner import cores
    from .harness.search import search_seed

    search_seed()  # a malformed LOSSPROOF_SEARCH_SEED is a usage error, before any claim runs
    jobs = cores() if args.jobs is None else args.jobs
    if jobs < 1:
        raise ValueError(f"--jobs: must be at least 1, got {jobs}")
    if args.dask is not None:
        where = f"a LocalCluster of {jobs} workers" if args.dask == "local" else f"the Dask scheduler at {args.dask}"
        print(f"lossproof: running the claims on {where}", file=sys.stderr)
    elif jobs > 1:
        print(f"lossproof: running the claims in {jobs} worker processes", file=sys.stderr)
    return dict(jobs=jobs, dask=args.dask, notice=lambda line: print(line, file=sys.stderr), call_timeout=args.call_timeout)


def _add_parallel_options(p) -> None:
    p.add_argument(
        "--jobs", "-j", type=int, default=None, metavar="N",
        help="run the claims in N worker processes (default: the number of cores; 1: serially, in this process)",
    )
    p.add_argument(
        "--dask", metavar="ADDRESS", default=None,
        help="run the claims on the Dask scheduler at ADDRESS (tcp://host:8786), or 'local' for a "
        "distributed.LocalCluster of --jobs workers on this machine (needs the 'distributed' extra)",
    )
    p.add_argument(
        "--call-timeout", type=float, default=None, metavar="S",
        help="stop any call into an implementation under test after S seconds and report it as that claim's finding "
        "(default: 30 s plus the call's operation count at 1e6 per second; see verify/harness/foreign.py)",
    )


def _progress(args):
    """The runner's ``progress``: one line per claim, with an estimate of the time left
    (:class:`verify.harness.progress.ClaimsProgress`), nothing under ``-q``, each claim's summary under ``-v``.

    Each call passes the test hook ``check:claim-done`` (:func:`verify.harness.files.pause_at`), ``-q`` or not.
    """
    from .harness.files import pause_at
    from .harness.progress import ClaimsProgress

    return ClaimsProgress("claims", verbose=args.verbose, quiet=args.quiet,
                          after_each=lambda: pause_at("check:claim-done"))


def failed_last_time(entry: dict) -> bool:
    """A results document's entry that ``--last-failed`` reruns: one that kept ``check`` from exiting 0.

    Skipped claims did not run, and a robustness finding is not a failure (it
    does not change the exit status), so neither is rerun.
    """
    from .harness.claims import SKIPPED
    from .harness.claims import robustness_finding

    verdict = entry["evidence"]["verdict"]
    return (not entry["matches"] and verdict != SKIPPED
            and not robustness_finding(entry["claim"].get("kind", ""), entry["matches"], verdict))


def _rerun_last_failed(args, progress):
    """Rerun the (claim, implementation) pairs of the document at ``--json`` that did not match.

    Returns ``(results, implementations, selection, user_implementations)``, or None when
    nothing failed there. The implementations are those given with ``--impl``, else the
    ones the document was made with; ``--claim`` narrows the claims further. Each
    implementation's failed claims run through :func:`verify.harness.runner.run` with
    their ids as its patterns (one call per set of ids: math claims, then the
    implementations that failed the same claims).
    """
    import glob
    import os

    from .catalog import all_claims
    from .harness import results as results_doc
    from .harness.runner import REFERENCE_IMPL, resolve, run, select

    path = args.json
    if not os.path.exists(path):
        raise ValueError(f"--last-failed: no results of a previous check at {path} "
                         "(run lossproof check first, or name its results file with --json PATH)")
    last = results_doc.read(path)
    failed = [(e["claim"]["id"], e["claim"].get("scope"), e["implementation"])
              for e in last["results"] if failed_last_time(e)]
    claims = all_claims()
    known = {c.id for c in claims}
    gone = sorted({cid for cid, _, _ in failed if cid not in known})
    if gone:
        print(f"lossproof: --last-failed: no longer registered, not rerun: {', '.join(gone)}", file=sys.stderr)
    wanted = {c.id for c in select(claims, args.claim)} if args.claim else known
    failed = [f for f in failed if f[0] in wanted]
    if not failed:
        return None

    chosen_last = last.get("selection", {})
    user = bool(args.impl) or chosen_last.get("implementations") == "given with --impl"
    specs = list(args.impl) or list(chosen_last.get("implementation_specs") or impls.names())
    by_name = {}  # the name a result carries -> (spec, object)
    for spec in specs:
        obj = resolve(spec)
        by_name.setdefault(results_doc.describe_impl(obj)["name"], (spec, obj))

    math_ids = list(dict.fromkeys(cid for cid, scope, _ in failed if scope == "math"))
    failed_by_name: dict[str, list[str]] = {}
    for cid, scope, name in failed:
        if scope != "math":
            failed_by_name.setdefault(name, []).append(cid)
    absent = [name for name in failed_by_name if name not in by_name]
    same_claims: dict[tuple, list[str]] = {}  # failed claim ids -> the specs that failed exactly those
    for name, ids in failed_by_name.items():
        if name in by_name:
            same_claims.setdefault(tuple(ids), []).append(by_name[name][0])
    batches = ([([], math_ids, True)] if math_ids else []) + [(s, list(ids), False) for ids, s in same_claims.items()]
    if absent:
        where = "--impl" if args.impl else f"the implementations {path} was made with"
        if not batches:
            raise ValueError(f"--last-failed: {', '.join(absent)} failed last time but is not among {where}; "
                             "give it with --impl")
        print(f"lossproof: --last-failed: not among {where}, not rerun: {', '.join(absent)}", file=sys.stderr)

    total = sum(len(ids) * (1 if math else len(batch_specs)) for batch_specs, ids, math in batches)
    parallel = _parallel(args)
    results = []
    for batch_specs, ids, math in batches:
        offset = len(results)
        shown = None if progress is None else (lambda done, _, result, offset=offset: progress(offset + done, total, result))
        results += run(claims, batch_specs, profile=args.hypothesis_profile, include_math=math,
                       patterns=[glob.escape(i) for i in ids], progress=shown, **parallel)
    used = list(dict.fromkeys(spec for batch_specs, _, _ in batches for spec in batch_specs))
    if math_ids and REFERENCE_IMPL not in used:
        used.append(REFERENCE_IMPL)
    implementations = [resolve(spec) for spec in used]
    rerun_ids = list(dict.fromkeys(r.claim.id for r in results))
    chosen = results_doc.selection(rerun_ids, bool(math_ids), user, used)
    return results, implementations, chosen, user


def _add_verbosity_options(p) -> None:
    shown = p.add_mutually_exclusive_group()
    shown.add_argument("-q", "--quiet", action="store_true", help="no progress lines (per claim, per phase)")
    shown.add_argument("-v", "--verbose", action="store_true",
                       help="under each claim's progress line, the summary of its evidence")


def cmd_check(args) -> int:
    """Run the claims; exit 0 when every verdict matches its expectation, 1 on a mismatch, 3 when only inconclusive."""
    from .harness import results as results_doc
    from .catalog import all_claims
    from .harness.claims import INCONCLUSIVE, UNCONFIRMED, failure_report
    from .harness.files import check_writable
    from .harness.runner import resolve, run

    check_writable(args.json)  # a path that cannot be written fails now, not after the claims ran
    progress = _progress(args)
    if args.contract != SOFTMAX_CONTRACT:  # a framework kernel: verify/catalog/kernels runs its contract's claims
        from .catalog.kernels.run import check as check_kernel

        if len(args.impl) != 1 or args.last_failed or args.with_math:
            raise ValueError(f"--contract {args.contract}: give one kernel with --impl pkg.mod:Attr "
                             "(no --last-failed, no --with-math)")
        kernel = {}  # the kernel's entry of the results document, as its worker describes it
        results = check_kernel(args.contract, args.impl[0], device=args.device, profile=args.hypothesis_profile,
                               patterns=args.claim, progress=progress, say=lambda line: print(line, file=sys.stderr),
                               call_timeout=args.call_timeout, description=kernel)
        implementations, chosen, user = [kernel], results_doc.selection(args.claim, False, True, args.impl), True
    elif args.last_failed:
        rerun = _rerun_last_failed(args, progress)
        if rerun is None:
            narrowed = f" among the claims matching {', '.join(args.claim)}" if args.claim else ""
            print(f"nothing failed last time{narrowed} ({args.json}); nothing to rerun")
            return EXIT_MATCHED
        results, implementations, chosen, user = rerun
    else:
        # Names travel to the workers (registry names, import paths); the objects
        # here describe the implementations in the results document.
        specs = list(args.impl) if args.impl else list(impls.names())
        include_math = not args.impl or args.with_math
        user = bool(args.impl)
        implementations = [resolve(s) for s in specs]
        results = run(
            all_claims(),
            specs,
            profile=args.hypothesis_profile,
            include_math=include_math,
            patterns=args.claim,
            progress=progress,
            started=progress.started,
            **_parallel(args),
        )
        chosen = results_doc.selection(args.claim, include_math, user, specs)
    progress.close()
    print_table(results)
    doc = results_doc.build(results, implementations, args.hypothesis_profile, chosen)
    results_doc.write(doc, args.json)
    s = doc["summary"]
    closing = plugin_summary_line(results, s) if user else summary_line(s)
    print(f"\n{closing} Results: {args.json}")
    shown = {r.evidence.verdict for r in results if not r.matches} & {UNCONFIRMED, INCONCLUSIVE}
    for verdict in sorted(shown):
        print(f"{verdict}: {results_doc.VERDICT_MEANING[verdict]}")
    for message in failure_report(results):
        print("\n" + message, file=sys.stderr)
    return exit_status(s)


# Where `report` keeps the results of the claims it ran when no report could be built from them.
UNREPORTED_RESULTS = "results.unreported.json"


def cmd_report(args) -> int:
    """Run the claims (or read a results file), gather benchmarks, draw the figures, write the HTML and PDF reports."""
    from pathlib import Path

    from .harness import results as results_doc
    from .harness.files import FileProblem, make_folder
    from .report_job import ReportJob

    if args.no_bench:
        args.bench = "none"
    out = make_folder(Path(args.out))  # a folder that cannot be written fails now, not after the claims ran
    job = ReportJob(out, quiet=args.quiet)
    if args.from_results:
        doc = job.read_results(args.from_results)
    else:
        doc = job.claims(args.hypothesis_profile, _parallel(args), _progress(args))
    try:
        html_path, pdf_path = job.publish(
            doc, args.bench, waiting=lambda: print(f"lossproof: waiting for another report into {out} to finish", file=sys.stderr))
    except Exception:
        if not args.from_results:  # the claims ran: keep what they found for `report --from`
            kept = out / UNREPORTED_RESULTS
            try:
                results_doc.write(doc, kept)
                print(f"lossproof: no report was written; the results of the claims are kept in {kept}", file=sys.stderr)
            except FileProblem as problem:
                print(f"lossproof: no report was written, and the results could not be kept: {problem}", file=sys.stderr)
        raise
    s = doc["summary"]
    print(summary_line(s))
    print(f"Wrote {html_path}, {pdf_path} and {out / 'results.json'} (replaced together)")
    if not args.quiet:
        print(f"lossproof: time per phase: {job.clock.summary()}", file=sys.stderr)
    return 0


def cmd_claims(args) -> int:
    """List the registered claims (those matching --claim), naturally sorted, as a table or as JSON."""
    import fnmatch
    import json

    from .catalog import all_claims
    from .harness.claims import natural_key

    claims = [c for c in all_claims() if not args.claim or any(fnmatch.fnmatchcase(c.id, p) for p in args.claim)]
    if args.claim and not claims:
        raise ValueError(f"--claim: no claim id matches {', '.join(args.claim)}")
    claims.sort(key=lambda c: natural_key(c.id))
    if args.json:
        print(json.dumps([c.describe() for c in claims], indent=2))
        return 0
    rows = [("claim", "expected", "scope", "method", "title")] + [(c.id, c.expected, c.scope, c.method, c.title) for c in claims]
    widths = [max(len(row[i]) for row in rows) for i in range(4)]
    for j, row in enumerate(rows):
        print("  ".join(cell.ljust(w) for cell, w in zip(row[:4], widths)) + "  " + row[4])
        if j == 0:
            print("  ".join("-" * w for w in widths) + "  " + "-" * 5)
    print(f"\n{len(claims)} claims")
    return 0


def cmd_bench(args) -> int:
    """Run the built-in benchmarks (the asv suite's measurements, once) and write the JSON results."""
    from . import bench
    from .harness.files import check_writable

    check_writable(args.json)  # before minutes of measuring
    plan = bench.QUICK if args.quick else bench.FULL
    if args.repeats is not None:
        if args.repeats < 1:
            raise ValueError(f"--repeats: must be at least 1, got {args.repeats}")
        plan = plan.with_(repeats=args.repeats)
    if args.no_peers:
        plan = plan.with_(peers=())
    sections = tuple(args.only) or bench.SECTIONS
    progress = None if args.quiet else (lambda line: print(line, flush=True))
    doc = bench.run(plan, sections=sections, progress=progress)
    bench.write(doc, args.json)
    print()
    bench.print_summary(doc)
    print(f"\nResults: {args.json}")
    return 0


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("lossproof")
    except PackageNotFoundError:  # run from a checkout that is not installed
        return "unknown (not installed)"


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="lossproof",
        description="Executable checks of the claims about softmax cross-entropy.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {_version()}")
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("impls", help="list the implementations and their declared capabilities")
    p.add_argument("--impl", metavar="PKG.MOD:ATTR", help="describe this implementation instead: pkg.mod:Attr (importable from the current folder) or path/to/file.py:Attr")
    p.add_argument("--json", action="store_true", help="print the capabilities as JSON")
    p.set_defaults(func=cmd_impls)

    from .harness.strategies import DEFAULT_PROFILE, PROFILES

    p = sub.add_parser(
        "check", help="check the claims (math ones, and every implementation's properties)",
        epilog=f"exit status: {EXIT_MATCHED} every verdict matches its expectation; {EXIT_MISMATCHED} some verdict "
        f"does not (refuted where holds was expected, error, unconfirmed, ...); {EXIT_USAGE} a usage or loading error; "
        f"{EXIT_INCONCLUSIVE} nothing mismatched but some statistical test was inconclusive at its stated level; "
        f"{EXIT_INTERRUPTED} interrupted (Ctrl-C)",
    )
    p.add_argument(
        "--impl",
        metavar="PKG.MOD:ATTR",
        action="append",
        default=[],
        help="check this implementation (repeatable) instead of the registered ones: pkg.mod:Attr "
        "(importable from the current folder) or path/to/file.py:Attr; only "
        "implementation-level claims run unless --with-math is given",
    )
    p.add_argument("--with-math", action="store_true", help="with --impl, run the math claims too")
    p.add_argument("--contract", default=SOFTMAX_CONTRACT, choices=CONTRACTS,
                   help="what --impl is: a softmax-ce implementation (the default), or a framework kernel with "
                   "torch.nn.functional.cross_entropy's signature (torch-ce), the fused linear one (torch-linear-ce), "
                   "or optax's f(logits, labels) (jax-ce); these need torch or jax")
    p.add_argument("--device", choices=("cpu", "cuda"), default=None,
                   help="with a kernel contract: where its tensors live (default: cuda where available); on cpu, "
                   "TRITON_INTERPRET=1 is set before triton is imported unless the environment sets it")
    p.add_argument(
        "--hypothesis-profile", default=DEFAULT_PROFILE, choices=sorted(PROFILES), help="search effort (default: %(default)s)"
    )
    p.add_argument("--claim", action="append", default=[], metavar="GLOB", help="only claims whose id matches (repeatable)")
    p.add_argument("--json", default="reports/check.json", metavar="PATH",
                   help="where to write the results (default: %(default)s; the report's own are reports/results.json, "
                   "which a check never overwrites unless told to)")
    p.add_argument("--last-failed", "--lf", action="store_true",
                   help="rerun only the (claim, implementation) pairs that did not match in the results --json names "
                   "(the last check's; skipped claims and robustness findings are not rerun), with the "
                   "implementations given with --impl or else those of that run; --claim narrows them further")
    _add_verbosity_options(p)
    _add_parallel_options(p)
    p.set_defaults(func=cmd_check)

    p = sub.add_parser(
        "report", help="run the claims and a quick benchmark, and write reports/index.html and reports/report.pdf "
        "(about 1.5 minutes of CPU; 2 to 4.5 minutes of wall time measured on 2 cores other work kept busy)")
    p.add_argument("--out", default="reports", metavar="DIR", help="output directory (default: %(default)s)")
    p.add_argument(
        "--hypothesis-profile", default=DEFAULT_PROFILE, choices=sorted(PROFILES), help="search effort (default: %(default)s)"
    )
    p.add_argument("--from", dest="from_results", metavar="RESULTS.JSON", help="build from this results file instead of running the claims")
    _add_verbosity_options(p)
    from .report_job import BENCH_CHOICES, DEFAULT_BENCH

    p.add_argument(
        "--bench", choices=BENCH_CHOICES, default=DEFAULT_BENCH,
        help="the benchmark the report shows when neither OUT/bench.json nor asv results are saved: the built-in "
        "benchmark's quick plan (default; about 20 s of CPU), its full plan (about 4 minutes on 2 quiet cores without "
        "peers, far longer on a busy machine; also measured when the saved OUT/bench.json is of another plan), or none")
    p.add_argument("--no-bench", action="store_true", help="the same as --bench none")
    _add_parallel_options(p)
    p.set_defaults(func=cmd_report)

    p = sub.add_parser("claims", help="list the registered claims with their expected verdicts")
    p.add_argument("--claim", action="append", default=[], metavar="GLOB", help="only claims whose id matches (repeatable)")
    p.add_argument("--json", action="store_true", help="print each claim's description (source, statement, hypotheses...) as JSON")
    p.set_defaults(func=cmd_claims)

    p = sub.add_parser(
        "bench",
        help="time the implementations against the floor and the peers, without asv (about three minutes)",
    )
    p.add_argument("--quick", action="store_true", help="small sizes: about 20 s instead of minutes (CI, smoke test, the report's default)")
    p.add_argument("--repeats", type=int, metavar="R", help="alternating rounds per measurement (default: the plan's)")
    p.add_argument("--no-peers", action="store_true", help="skip PyTorch, JAX and scikit-learn even when installed")
    p.add_argument(
        "--only", action="append", default=[], choices=SECTIONS,
        help="measure only this section (repeatable)",
    )
    p.add_argument(
        "--json", default="reports/bench.json", metavar="PATH", help="where to write the results (default: %(default)s)"
    )
    p.add_argument("--quiet", action="store_true", help="no progress lines")
    p.set_defaults(func=cmd_bench)
    return parser


def _stop_workers() -> None:
    """End the worker processes of ``--jobs`` (they ignore SIGINT: the command stops them, not Ctrl-C)."""
    import multiprocessing

    children = multiprocessing.active_children()
    for child in children:
        child.terminate()
    for child in children:
        child.join(timeout=5)


def main(argv=None) -> int:
    """Run one command; its errors end as one line on stderr: ``lossproof: error: ...`` (exit 2), or ``lossproof: interrupted`` (130)."""
    import signal

    from .harness.files import FileProblem

    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return args.func(args)
    except (FileProblem, ImportError, AttributeError, TypeError, ValueError, KeyError) as exc:
        print(f"lossproof: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        # A second Ctrl-C must not cut the clean-up short; the files were never half-written (files.py).
        try:
            previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
        except ValueError:  # main() called from a thread other than the main one: no handler to change
            previous = None
        try:
            _stop_workers()
            print("lossproof: interrupted", file=sys.stderr)
        finally:
            if previous is not None:
                signal.signal(signal.SIGINT, previous)
        return EXIT_INTERRUPTED


if __name__ == "__main__":
    sys.exit(main())

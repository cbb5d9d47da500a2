"""Run the claims it is handed against implementations: the one loop that the CLI, the report and the tests share.

The runner knows no paper: the caller (the CLI, a test) gathers the claims
from :mod:`verify.catalog` and hands them over.

Claims are independent of each other, so they can run in worker processes
(``jobs=N``: :mod:`verify.harness.workers`, supervised workers started with
``spawn``, since fork after BLAS and Hypothesis have started threads is
unsafe; the implementation claims run in one such worker with ``jobs=1``, so
that every call into the implementation has a time limit and a crash takes
only its worker down, see :func:`run`) or on a Dask cluster
(``dask="tcp://scheduler:8786"`` or ``dask="local"``). What travels to a
worker is small and named, never a pickled closure: the claim id and the
module that registers it (the module of its check; importing it registers
the claim in the worker), the implementation's registry name
(``impls.get(name)``) or import path (``impls.load("pkg.mod:Attr")`` or
``impls.load("path/to/file.py:Attr")``; the worker processes of ``jobs=N``
start in this process's current folder, so a relative file path and a
module in that folder load there as they do here, which
tests/test_loader.py checks; a remote Dask worker needs the same files at
the same paths), and the profile name. The worker rebuilds the claim and the context
(:func:`context`) itself and sends back the evidence; the runner still knows
no paper. Results come back in
the serial order, whatever order the workers finish in.

Every claim runs with BLAS held to one thread, serially and in a worker
alike: N workers then never oversubscribe the cores, and a claim's numbers
do not depend on N. They would otherwise: OpenBLAS splits a reduction
across its threads, so the last digits of a sum depend on the thread count
(one claim's residuals differed in the 14th digit between 2 threads and 1). The checks multiply small or thin matrices, where one thread is as fast
(see :mod:`verify.numerics.blas`).
"""

from __future__ import annotations

import fnmatch
import importlib
import inspect
import os
import pickle
import sys
from dataclasses import dataclass
from types import SimpleNamespace

from hypothesis import settings as hsettings

import impls

from .claims import ERROR, REFUTED, CheckContext, Claim, ClaimResult, Evidence, registered, run_claim
from .evidence import problem_to_dict
from .strategies import DEFAULT_PROFILE, PROFILES
from .workers import Failure, close_shared_pool, shared_pool

# Math claims are statements about the mathematics; they are computed once,
# through this implementation (the vectorized one, float64).
REFERENCE_IMPL = "numpy"

# The environment variables that size the thread pools of the BLAS and
# OpenMP libraries NumPy and SciPy may load.
BLAS_THREAD_VARIABLES = (
    "OMP_NUM_THREADS",
    "OPENBLAS_NUM_THREADS",
    "MKL_NUM_THREADS",
    "BLIS_NUM_THREADS",
    "VECLIB_MAXIMUM_THREADS",
    "NUMEXPR_NUM_THREADS",
)


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


def cores() -> int:
    """The cores this process may run on (the default number of workers)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


# --------------------------------------------------------------------------
# Naming an implementation so that a worker can rebuild it


def implementation_spec(impl) -> str | None:
    """The name a worker rebuilds ``impl`` from, or None when it has none.

    A string is a registry name (``"numpy"``) or an import path
    (``"pkg.mod:Attr"``, ``"path/to/file.py:Attr"``) and is its own name; a
    class defined at module level is named by its import path, or by its
    file's absolute path when :func:`impls.load` loaded it from a file (a
    worker instantiates it with no arguments,
    as :func:`impls.load` does). An instance cannot be named: its state may
    differ from a fresh one, and pickling it could carry anything, so the
    claims run against it serially, in this process.
    """
    if isinstance(impl, str):
        return impl
    if inspect.isclass(impl):
        module, qualname = getattr(impl, "__module__", None), getattr(impl, "__qualname__", "")
        file = impls.loaded_file(module) if module else None
        if file and "<locals>" not in qualname:  # a class from a file impls.load loaded: the worker loads that file
            return f"{file}:{qualname}"
        if module and module != "__main__" and "<locals>" not in qualname:
            try:
                found = sys.modules[module]
                for part in qualname.split("."):
                    found = getattr(found, part)
            except (KeyError, AttributeError):
                return None
            if found is impl:
                return f"{module}:{qualname}"
    return None


def resolve(impl):
    """The implementation object for ``impl``: a registry name, an import path, a class (instantiated), or an object (as is)."""
    if isinstance(impl, str):
        return impls.load(impl) if ":" in impl else impls.get(impl)
    if inspect.isclass(impl):
        spec = implementation_spec(impl)
        return impls.load(spec) if spec else impl()
    return impl


def _display_name(impl) -> str:
    return getattr(impl, "name", None) or type(impl).__name__


@dataclass
class _Task:
    index: int
    claim: Claim
    spec: str | None  # None: not nameable, runs in this process
    impl: object  # the resolved implementation (this process's instance)


# --------------------------------------------------------------------------
# The worker side


_WORKER: dict = {"prepared": False, "impls": {}, "blas": None}


def prepare_worker(blas_threads: int | None = 1) -> None:
    """Set up a worker process once: its BLAS threads.

    ``blas_threads`` caps the BLAS / OpenMP pools (threadpoolctl for the
    libraries already loaded, the environment variables for any loaded
    later and for the worker's own children); None leaves them as they are
    (a remote Dask cluster sizes its own workers).
    """
    if _WORKER["prepared"]:
        return
    if blas_threads is not None:
        for var in BLAS_THREAD_VARIABLES:
            os.environ[var] = str(blas_threads)
        from threadpoolctl import threadpool_limits

        _WORKER["blas"] = threadpool_limits(limits=blas_threads)  # kept for the life of the worker
    _WORKER["prepared"] = True


def _worker_impl(spec: str):
    # One instance per implementation per worker, as the serial run keeps one
    # per implementation for all its claims (SymPy caches compiled shapes).
    if spec not in _WORKER["impls"]:
        _WORKER["impls"][spec] = resolve(spec)
    return _WORKER["impls"][spec]


def claim_module(claim: Claim) -> str:
    """The module whose import registers ``claim``: the one that defines its check."""
    return claim.check.__module__


def claim_in_module(claim_id: str, module: str) -> Claim:
    """The claim ``claim_id``, registered by importing ``module`` (in a worker process: by id, not by pickle)."""
    importlib.import_module(module)  # registers the claims it defines (once per worker)
    for c in registered():
        if c.id == claim_id:
            return c
    raise KeyError(f"no claim with id {claim_id!r} is registered by importing {module!r}")


def run_in_worker(claim_id: str, module: str, spec: str, profile: str, blas_threads: int | None = 1):
    """Run one claim in a worker; returns ``(impl_name, evidence)``, both plain data."""
    prepare_worker(blas_threads)
    result = run_claim(claim_in_module(claim_id, module), context(_worker_impl(spec), profile))
    evidence = result.evidence
    try:
        pickle.dumps(evidence)
    except Exception:  # something in it does not pickle: send its JSON form, which is what the results document holds anyway
        evidence = Evidence(**evidence.to_dict())
    return result.impl_name, evidence


# --------------------------------------------------------------------------
# The three ways to run the tasks


def _run_serial(tasks, profile, on_result):
    contexts = {}
    for task in tasks:
        ctx = contexts.setdefault(id(task.impl), context(task.impl, profile))
        on_result(task, run_claim(task.claim, ctx))


def failure_evidence(failure: Failure) -> Evidence:
    """The evidence of a claim whose worker timed out or crashed in a call of the implementation, or whose check raised.

    A call that did not return within its limit, or that took its process
    down, gave no answer for inputs of the claim's domain: the interface
    requires one, so the claim is ``refuted``, with that call's arguments as
    the counterexample that reproduces it and ``measurements["foreign
    failure"]`` saying which of the two it was (the report and the table show
    the summary, which begins with it). The check's own exception is an
    ``error``, as :func:`run_claim` makes it.
    """
    if failure.kind == "harness":
        return Evidence(ERROR, summary=failure.finding, notes=[failure.details] if failure.details else [],
                        duration_s=failure.duration_s)
    label = {"kind": failure.kind, "method": failure.method, "limit_s": failure.limit_s, "signal": failure.signal}
    ev = Evidence(REFUTED, summary=f"{failure.finding}: the call gave no answer, so the check could not complete",
                  quantity=failure.method or "", measurements={"foreign failure": label}, duration_s=failure.duration_s)
    if failure.arguments:
        ev.counterexample = problem_to_dict(SimpleNamespace(**failure.arguments))
        ev.found_by_search = True
        ev.notes.append(f"counterexample: the arguments of the {failure.method} call in progress, as the search (or a "
                        f"re-check) passed them; calling {failure.method} with them reproduces the failure")
    else:
        ev.notes.append("the arguments of the call were not kept (not float arrays, or too large for the call slot)")
    ev.notes.append("the worker process was replaced by a fresh one for the next claim")
    return ev


def _run_supervised(tasks, profile, jobs, call_timeout, on_result):
    """The tasks in ``jobs`` supervised worker processes (:mod:`verify.harness.workers`)."""
    blas_threads = 1  # see the module's docstring
    by_index = {t.index: t for t in tasks}

    def done(index, value, failure):
        task = by_index[index]
        if failure is not None:
            on_result(task, ClaimResult(task.claim, _display_name(task.impl), failure_evidence(failure)))
        else:
            name, evidence = value
            on_result(task, ClaimResult(task.claim, name, evidence))

    work = [(t.index, run_in_worker, (t.claim.id, claim_module(t.claim), t.spec, profile, blas_threads)) for t in tasks]
    pool = shared_pool(jobs, call_limit_s=call_timeout, initializer=prepare_worker, initargs=(blas_threads,))
    try:
        pool.run(work, done)
    except BaseException:  # Ctrl-C, or on_result raised: stop the workers rather than keep them busy for the next run
        close_shared_pool()
        raise


def dask_client(address: str, n_workers: int):
    """A ``distributed.Client``: on a new ``LocalCluster`` of ``n_workers`` processes for ``"local"``, else on the scheduler at ``address``."""
    try:
        from distributed import Client, LocalCluster
    except ImportError as exc:
        raise ImportError(
            "--dask: the Dask distributed scheduler is not installed; pip install -e '.[distributed]'"
        ) from exc
    if address == "local":
        cluster = LocalCluster(
            n_workers=n_workers, threads_per_worker=1, processes=True, dashboard_address=None, silence_logs=40
        )
        return Client(cluster), cluster
    return Client(address), None


def _run_dask(tasks, profile, address, jobs, on_result):
    client, cluster = dask_client(address, jobs)
    from distributed import as_completed

    # One BLAS thread per worker on a local cluster; a remote cluster's
    # workers keep the pools their own configuration gives them (Dask's nanny
    # starts them with OMP/MKL/OPENBLAS_NUM_THREADS=1), and each claim runs
    # with BLAS held to one thread there too.
    blas_threads = 1 if cluster is not None else None
    try:
        futures = {}
        for t in tasks:
            key = f"lossproof-{t.index}-{t.claim.id}-{t.spec}"
            futures[client.submit(
                run_in_worker, t.claim.id, claim_module(t.claim), t.spec, profile, blas_threads, key=key, pure=False
            )] = t
        for future, (name, evidence) in as_completed(futures, with_results=True):
            task = futures[future]
            on_result(task, ClaimResult(task.claim, name, evidence))
    finally:
        client.close()
        if cluster is not None:
            cluster.close()


# --------------------------------------------------------------------------


def run(
    claims: list[Claim],
    implementations,
    *,
    profile: str = DEFAULT_PROFILE,
    include_math: bool = True,
    patterns=(),
    progress=None,
    jobs: int = 1,
    dask: str | None = None,
    notice=None,
    call_timeout: float | None = None,
    started=None,
) -> list[ClaimResult]:
    """Run the math claims of ``claims`` once (reference implementation) and its implementation claims per implementation.

    ``implementations`` holds registry names, import paths (``"pkg.mod:Attr"``),
    classes, or implementation objects. With ``jobs > 1`` the claims run in
    that many worker processes, with ``dask`` (a scheduler address, or
    ``"local"`` for a ``LocalCluster`` of ``jobs`` workers) on a Dask
    cluster; claims against an implementation given as an object run
    serially in this process (``notice`` is told why). Every result is what a
    serial run gives, and the list is in the serial order.

    ``started(total)`` is called once, before the first claim runs (a
    progress bar needs the total), and ``progress(done, total, result)``
    after each claim, in the order they finish.

    Implementation claims against a named implementation run in supervised
    worker processes (:mod:`verify.harness.workers`; one with ``jobs=1``),
    every call into the implementation under a time limit: ``call_timeout``
    seconds, or by default :func:`verify.harness.foreign.call_time_limit` of
    the call's problem size. A call past its limit, or a worker that crashes,
    is that claim's finding (:func:`failure_evidence`) and the other claims
    still run. Math claims (the reference implementation) run in this process
    with ``jobs=1``; an implementation given as an object runs in this process,
    without a time limit or crash isolation (``notice`` says so).
    """
    if jobs < 1:
        raise ValueError(f"--jobs: must be at least 1, got {jobs}")
    if call_timeout is not None and not call_timeout > 0:
        raise ValueError(f"--call-timeout: must be a positive number of seconds, got {call_timeout}")
    # A pattern may name math claims, implementation claims or both; it is an
    # error only when it names none of the claims that would run.
    chosen = select([c for c in claims if include_math or c.scope == "implementation"], patterns)
    pairs = []
    if include_math:
        pairs += [(claim, REFERENCE_IMPL) for claim in chosen if claim.scope == "math"]
    pairs += [(claim, impl) for impl in implementations for claim in chosen if claim.scope == "implementation"]
    if not pairs:
        raise ValueError("no claim selected")

    resolved = {}  # id(given) -> (spec, object); one object per implementation, as before

    def lookup(given):
        if id(given) not in resolved:
            resolved[id(given)] = (implementation_spec(given), resolve(given))
        return resolved[id(given)]

    tasks = []
    for i, (claim, given) in enumerate(pairs):
        spec, obj = lookup(given)
        tasks.append(_Task(i, claim, spec, obj))

    results: list[ClaimResult | None] = [None] * len(tasks)
    done = 0
    if started:
        started(len(tasks))

    def on_result(task, result):
        nonlocal done
        results[task.index] = result
        done += 1
        if progress:
            progress(done, len(tasks), result)

    parallel = dask is not None or jobs > 1
    if parallel:
        local = [t for t in tasks if t.spec is None]
    else:  # serially: the math claims here, the implementation claims in one supervised worker
        local = [t for t in tasks if t.spec is None or t.claim.scope == "math"]
    remote = [t for t in tasks if t not in local]
    unnamed = [t for t in local if t.spec is None]
    if unnamed and notice:
        names = sorted({_display_name(t.impl) for t in unnamed})
        notice(
            f"lossproof: {', '.join(names)} is an object, not a registry name or an import path "
            f"(pkg.mod:Attr): a worker cannot rebuild it, so its {len(unnamed)} claim(s) run serially in this process, "
            f"without a time limit on its calls or protection from a crash"
        )
    if remote:
        if dask is not None:
            _run_dask(remote, profile, dask, jobs, on_result)
        else:
            _run_supervised(remote, profile, min(jobs, len(remote)), call_timeout, on_result)
    _run_serial(local, profile, on_result)
    return results


def print_progress(done: int, total: int, result: ClaimResult, stream=None, verbose: bool = False) -> None:
    """One line per finished claim, ``[done/total]`` first, in the order they finish; ``verbose``: its evidence summary below it."""
    stream = sys.stderr if stream is None else stream
    mark = "ok " if result.matches else ("-- " if result.evidence.verdict == "skipped" else "XX ")
    stream.write(
        f"[{done:>3}/{total}] {mark}{result.claim.id} [{result.impl_name}] "
        f"{result.evidence.verdict} ({result.evidence.duration_s:.1f}s)\n"
    )
    if verbose and result.evidence.summary:
        stream.write("".join(f"          {line}\n" for line in str(result.evidence.summary).splitlines()))
    stream.flush()

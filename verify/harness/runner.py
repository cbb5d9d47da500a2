"""Run the claims it is handed against implementations: the one loop that the CLI, the report and the tests share.

The runner knows no paper: the caller (the CLI, a test) gathers the claims
from :mod:`verify.catalog` and hands them over.

Claims are independent of each other, so they can run in worker processes
(``jobs=N``, :mod:`concurrent.futures` with the ``spawn`` context: fork after
BLAS and Hypothesis have started threads is unsafe) or on a Dask cluster
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

from hypothesis import settings as hsettings

import impls

from .claims import CheckContext, Claim, ClaimResult, Evidence, registered, run_claim
from .strategies import DEFAULT_PROFILE, PROFILES

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


def _worker_claim(claim_id: str, module: str) -> Claim:
    importlib.import_module(module)  # registers the claims it defines (once per worker)
    for c in registered():
        if c.id == claim_id:
            return c
    raise KeyError(f"no claim with id {claim_id!r} is registered by importing {module!r}")


def run_in_worker(claim_id: str, module: str, spec: str, profile: str, blas_threads: int | None = 1):
    """Run one claim in a worker; returns ``(impl_name, evidence)``, both plain data."""
    prepare_worker(blas_threads)
    result = run_claim(_worker_claim(claim_id, module), context(_worker_impl(spec), profile))
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


def _start_pool_worker(blas_threads: int | None) -> None:
    """A ``--jobs`` worker ignores SIGINT: Ctrl-C reaches the whole process group, and the parent
    (``verify.cli.main``) stops its workers itself, without a traceback from each."""
    import signal

    signal.signal(signal.SIGINT, signal.SIG_IGN)
    prepare_worker(blas_threads)


def _run_processes(tasks, profile, jobs, on_result):
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor, as_completed

    blas_threads = 1  # see the module's docstring
    pool = ProcessPoolExecutor(
        max_workers=jobs,
        mp_context=multiprocessing.get_context("spawn"),
        initializer=_start_pool_worker,
        initargs=(blas_threads,),
    )
    try:
        futures = {pool.submit(run_in_worker, t.claim.id, claim_module(t.claim), t.spec, profile, blas_threads): t for t in tasks}
        for future in as_completed(futures):
            task = futures[future]
            name, evidence = future.result()
            on_result(task, ClaimResult(task.claim, name, evidence))
    except BaseException:
        pool.shutdown(wait=False, cancel_futures=True)
        raise
    pool.shutdown(wait=True)


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
    """
    if jobs < 1:
        raise ValueError(f"--jobs: must be at least 1, got {jobs}")
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
    local = [t for t in tasks if t.spec is None] if parallel else tasks
    remote = [t for t in tasks if t.spec is not None] if parallel else []
    if parallel and local and notice:
        unnamed = sorted({_display_name(t.impl) for t in local})
        notice(
            f"lossproof: {', '.join(unnamed)} is an object, not a registry name or an import path "
            f"(pkg.mod:Attr): a worker cannot rebuild it, so its {len(local)} claim(s) run serially in this process"
        )
    if len(remote) == 1 and dask is None:  # one claim: a pool would only add its start-up
        local, remote = tasks, []
    if remote:
        if dask is not None:
            _run_dask(remote, profile, dask, jobs, on_result)
        else:
            _run_processes(remote, profile, min(jobs, len(remote)), on_result)
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

"""Running the kernel claims against one kernel: what ``lossproof check --contract torch-ce|torch-linear-ce|jax-ce`` does.

A kernel is foreign code: it may hang, raise or take its process down (a segmentation fault in a C++ extension,
JAX's, a Triton kernel's). So it never runs in this process. The claims run in one supervised worker process
(:mod:`verify.harness.workers`, started with ``spawn``, the same supervisor as the softmax implementations'):
the worker loads the kernel itself by its spec (:func:`open_kernel`: the device prepared as
:func:`.contract.prepare_device` does, so ``TRITON_INTERPRET`` is set before triton is imported; the kernel
built once and kept for every claim), and every call into the kernel (its loading, each forward pass and each
vector-Jacobian product) is announced in the worker's call slot with its limit
(:data:`.contract.KERNEL_CALL_TIME_LIMIT_S`, ``call_timeout`` for the calls;
:data:`.contract.KERNEL_LOAD_TIME_LIMIT_S` for the loading). A call past its limit, or a worker that dies,
is the finding of the claim it ran for (:func:`verify.harness.runner.failure_evidence`: "timed out after 1 s in
forward", "crashed with signal 11 (SIGSEGV) in backward"); a fresh worker loads the kernel again and the next
claims still run. An exception the kernel raises is the claim's own evidence, as before.

One long-lived worker per kernel check: torch's import (about 2 s) is paid once, not per claim, and the pool
is kept for the next check of the same kernel in this process (:func:`verify.harness.workers.shared_pool`).
"""

from __future__ import annotations

import pickle

from ...harness.claims import ClaimResult, Evidence, registered, run_claim
from ...harness.runner import claim_in_module, claim_module, context, failure_evidence, select
from ...harness.workers import close_shared_pool, shared_pool
from .contract import load_kernel, prepare_device
from .contract_jax import CONTRACT as CONTRACT_JAX, load_jax_kernel, prepare_jax

# Errors of loading a kernel that the command line reports as one line (verify/cli.py catches these): the
# worker's exception is raised again here, as the same type when it is one of these, else as a ValueError.
LOADING_ERRORS = (ImportError, AttributeError, TypeError, ValueError, KeyError)


def kernel_claims():
    """The claims of scope ``kernel``, sorted by id."""
    return [c for c in registered() if c.scope == "kernel"]


# --------------------------------------------------------------------------
# The worker side

_LOADED: dict = {}  # (contract, spec, device) -> (kernel, what loading said), one per worker


def _loaded(contract: str, spec: str, device: str | None):
    key = (contract, spec, device)
    if key not in _LOADED:
        said = []
        if contract == CONTRACT_JAX:
            kernel = load_jax_kernel(spec, prepare_jax(device, said.append))
        else:
            kernel = load_kernel(spec, contract, prepare_device(device, said.append))
        _LOADED[key] = (kernel, said)
    return _LOADED[key]


def open_kernel(contract: str, spec: str, device: str | None):
    """A worker's first task: load the kernel; ``("loaded", device, declarations, description, what it said)``,
    or ``("refused", exception type name, message)`` for a kernel that cannot be loaded (the parent says why)."""
    try:
        kernel, said = _loaded(contract, spec, device)
    except Exception as exc:  # noqa: BLE001 - the parent raises it again, as a one-line error
        return ("refused", type(exc).__name__, str(exc))
    return ("loaded", kernel.device, kernel.declarations(), kernel.description(), said)


def run_kernel_claim(claim_id: str, module: str, contract: str, spec: str, device: str | None, profile: str):
    """Run one kernel claim in a worker; returns ``(kernel name, evidence)``, both plain data."""
    kernel, _ = _loaded(contract, spec, device)
    result = run_claim(claim_in_module(claim_id, module), context(kernel, profile))
    evidence = result.evidence
    try:
        pickle.dumps(evidence)
    except Exception:  # noqa: BLE001 - send its JSON form, which is what the results document holds anyway
        evidence = Evidence(**evidence.to_dict())
    return result.impl_name, evidence


# --------------------------------------------------------------------------
# The parent side


def _refused(kind: str, message: str) -> Exception:
    known = {e.__name__: e for e in LOADING_ERRORS}
    return known.get(kind, ValueError)(message if kind in known else f"{kind}: {message}")


def _load(pool, contract, spec, device):
    opened = {}

    def done(key, value, failure):
        opened["value"], opened["failure"] = value, failure

    pool.run([("open", open_kernel, (contract, spec, device))], done)
    failure = opened["failure"]
    if failure is not None:
        raise ValueError(f"--impl {spec}: loading the kernel {failure.finding}")
    if opened["value"][0] == "refused":
        raise _refused(*opened["value"][1:])
    return opened["value"][1:]


def check(contract: str, spec: str, *, device: str | None = None, profile: str = "ci", patterns=(), progress=None,
          say=print, call_timeout: float | None = None, description: dict | None = None):
    """Load the kernel ``spec`` under ``contract`` on ``device`` in a supervised worker and run the kernel claims
    (those ``patterns`` select) against it there; returns the ClaimResults in the claims' order.

    ``call_timeout``: every call's limit in seconds (default :data:`.contract.KERNEL_CALL_TIME_LIMIT_S`).
    ``description``: a dict, filled with the kernel's entry of the results document (``implementations``).
    """
    if call_timeout is not None and not call_timeout > 0:
        raise ValueError(f"--call-timeout: must be a positive number of seconds, got {call_timeout}")
    chosen = select(kernel_claims(), patterns)
    pool = shared_pool(1, call_limit_s=call_timeout)
    results = [None] * len(chosen)
    finished = 0

    def done(index, value, failure):
        nonlocal finished
        if failure is not None:
            evidence = failure_evidence(failure)
            if failure.kind != "harness":  # a kernel's arguments are tensors: the slot does not keep them
                evidence.notes.append(f"to reproduce: lossproof check --contract {contract} --impl {spec} --claim "
                                      f"{chosen[index].id} --device {device} --hypothesis-profile {profile} (the same "
                                      "search reaches the same call where the profile is derandomized, as ci is)")
            results[index] = ClaimResult(chosen[index], spec, evidence)
        else:
            name, evidence = value
            results[index] = ClaimResult(chosen[index], name, evidence)
        finished += 1
        if progress:
            progress(finished, len(chosen), results[index])

    asked = device  # the worker's key for the kernel it keeps (a replacement worker loads it the same way)
    try:
        device, declarations, described, said = _load(pool, contract, spec, asked)
        for line in said:
            say(line)
        say(f"lossproof: {spec} under the {contract} contract on {device} in a supervised worker; "
            + "; ".join(declarations))
        if description is not None:
            description.update(described)
        work = [(i, run_kernel_claim, (c.id, claim_module(c), contract, spec, asked, profile))
                for i, c in enumerate(chosen)]
        pool.run(work, done)
    except BaseException:  # Ctrl-C, or progress raised: stop the worker rather than keep it busy for the next run
        close_shared_pool()
        raise
    return results

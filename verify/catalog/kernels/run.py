"""Running the kernel claims against one kernel: what ``lossproof check --contract torch-ce|torch-linear-ce|jax-ce`` does.

The claims run one after another in this process (a kernel is an object in a torch process; its import is
the slow part, and a Triton kernel under the interpreter must see TRITON_INTERPRET set before triton is
imported, which :func:`.contract.prepare_device` does first).
"""

from __future__ import annotations

from ...harness.claims import registered, run_claim
from ...harness.runner import context, select
from .contract import load_kernel, prepare_device
from .contract_jax import CONTRACT as CONTRACT_JAX, JaxKernelUnderTest, prepare_jax


def kernel_claims():
    """The claims of scope ``kernel``, sorted by id."""
    return [c for c in registered() if c.scope == "kernel"]


def check(contract: str, spec: str, *, device: str | None = None, profile: str = "ci", patterns=(), progress=None,
          say=print):
    """Load the kernel ``spec`` under ``contract`` on ``device`` and run the kernel claims (those ``patterns``
    select) against it; returns the ClaimResults in the claims' order."""
    if contract == CONTRACT_JAX:
        import impls

        device = prepare_jax(device, say)
        kernel = JaxKernelUnderTest(impls.load_attribute(spec), device, name=spec)
    else:
        device = prepare_device(device, say)
        kernel = load_kernel(spec, contract, device)
    say(f"lossproof: {spec} under the {contract} contract on {device}; " + "; ".join(kernel.declarations()))
    chosen = select(kernel_claims(), patterns)
    ctx = context(kernel, profile)
    results = []
    for i, claim in enumerate(chosen, 1):
        results.append(run_claim(claim, ctx))
        if progress:
            progress(i, len(chosen), results[-1])
    return results

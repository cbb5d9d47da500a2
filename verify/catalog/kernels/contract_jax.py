"""The adapter from a JAX cross-entropy (optax's semantics) to the ``jax-ce`` contract's cases.

``f(logits, labels)`` returns the per-example losses (N,), as ``optax.softmax_cross_entropy`` (labels: (N, K)
class probabilities) and ``optax.softmax_cross_entropy_with_integer_labels`` (labels: (N,) int class
indices) do. Which one a function takes is detected (:func:`detect_labels`): it is called once on a small
input with integer labels; if that returns N finite losses it takes integer labels, else it is called with
one-hot probabilities. Cases with class-index targets are given to a probabilities function as one-hot rows;
cases with probability targets are refused for an integer-label one (``class_indices_only``). There are no
options: the claims about reductions, ``ignore_index``, smoothing and class weights do not apply. Gradients
are ``jax.vjp`` of the per-example losses with the case's per-row cotangent. float64 needs JAX's 64-bit mode,
which this adapter turns on (``jax_enable_x64``) when it loads the function.

jax is imported here, lazily; the core never needs it.
"""

from __future__ import annotations

import os

import numpy as np

from ...harness.foreign import announced
from .contract import DEVICES, KERNEL_CALL_TIME_LIMIT_S, KERNEL_LOAD_TIME_LIMIT_S, Call, classify, describe_kernel
from .reference import KernelCase
from .tolerances import DTYPES, UNIT_ROUNDOFF

CONTRACT = "jax-ce"


def prepare_jax(device: str | None, say=print) -> str:
    """The device (default cpu); on cpu JAX_PLATFORMS=cpu unless the environment sets it; jax must import."""
    device = device or "cpu"
    if device not in DEVICES:
        raise ValueError(f"--device: must be one of {DEVICES}, got {device!r}")
    if device == "cpu" and "JAX_PLATFORMS" not in os.environ:
        os.environ["JAX_PLATFORMS"] = "cpu"
        say("lossproof: --device cpu: set JAX_PLATFORMS=cpu")
    try:
        import jax
    except ImportError:
        raise ImportError("--contract jax-ce: needs jax; pip install jax optax") from None
    jax.config.update("jax_enable_x64", True)  # float64 cases are float64, not silently float32
    return device


def _call(fn, logits, labels):
    import jax.numpy as jnp

    return jnp.asarray(fn(logits, labels))


def detect_labels(fn) -> str:
    """``"integer"`` or ``"probabilities"``: what ``fn(logits, labels)`` takes (see the module's docstring)."""
    import jax.numpy as jnp

    logits = jnp.zeros((2, 3), dtype=jnp.float32)
    try:
        out = _call(fn, logits, jnp.asarray([0, 2]))
        if out.shape == (2,) and bool(jnp.all(jnp.isfinite(out))):
            return "integer"
    except Exception:  # noqa: BLE001 - it does not take integer labels; try probabilities
        pass
    try:
        out = _call(fn, logits, jnp.eye(3, dtype=jnp.float32)[jnp.asarray([0, 2])])
    except Exception as exc:  # noqa: BLE001
        raise TypeError(f"--impl: f(logits, labels) raised {type(exc).__name__} with integer labels and with "
                        f"probabilities: {exc}") from None
    if out.shape != (2,):
        raise TypeError(f"--impl: f(logits (2, 3), labels) returned shape {out.shape}, not the per-example (2,)")
    return "probabilities"


def load_jax_kernel(spec: str, device: str) -> "JaxKernelUnderTest":
    """The function ``pkg.mod:Attr`` names, under the jax-ce contract on ``device`` (a supervised worker's load)."""
    import impls

    with announced("load", KERNEL_LOAD_TIME_LIMIT_S, overridable=False):
        return JaxKernelUnderTest(impls.load_attribute(spec), device, name=spec)


class JaxKernelUnderTest:
    """A JAX function ``f(logits, labels) -> (N,)`` under the jax-ce contract."""

    contract = CONTRACT
    inplace_input = False  # JAX arrays are immutable
    reductions = ("none",)
    options = False

    def __init__(self, kernel, device: str = "cpu", name: str | None = None):
        if not callable(kernel):
            raise TypeError(f"--impl {name or ''}: a {type(kernel).__name__}, not a callable f(logits, labels)")
        self.kernel, self.device = kernel, device
        self.name = name or getattr(kernel, "__qualname__", type(kernel).__name__)
        self.accumulates_in = getattr(kernel, "accumulates_in", None)
        self.dtypes = tuple(getattr(kernel, "dtypes", DTYPES))
        if not self.dtypes or any(d not in UNIT_ROUNDOFF for d in self.dtypes):
            raise ValueError(f"{self.name}.dtypes: must name some of {DTYPES}, got {self.dtypes!r}")
        self.labels = detect_labels(kernel)

    def description(self) -> dict:
        """The function under test as the results document describes it (an ``implementations`` entry)."""
        return describe_kernel(self.name, self.contract, self.device, {
            "inplace_input": False, "dtypes": list(self.dtypes), "accumulates_in": self.accumulates_in,
            "labels": self.labels})

    def declarations(self) -> list[str]:
        out = [f"dtypes: {', '.join(self.dtypes)}", f"labels: {self.labels} (detected)"]
        if self.accumulates_in:
            out.append(f"accumulates_in: {self.accumulates_in}")
        return out

    def call(self, case: KernelCase, backward: bool = True) -> Call:
        import jax
        import jax.numpy as jnp

        dtype = jnp.dtype(case.dtype)
        logits = jnp.asarray(case.logits, dtype=jnp.float64).astype(dtype)
        if case.probability_targets:
            if self.labels == "integer":
                exc = ValueError("target: the function takes integer labels (detected)")
                return Call(error=f"ValueError: {exc}", kind=classify(exc, case))
            labels = jnp.asarray(case.target, dtype=jnp.float64).astype(dtype)
        elif self.labels == "integer":
            labels = jnp.asarray(case.target)
        else:
            labels = jnp.asarray(np.eye(case.shape["K"])[case.target], dtype=jnp.float64).astype(dtype)
        out = Call()
        try:
            with announced("forward", KERNEL_CALL_TIME_LIMIT_S):
                loss, pullback = jax.vjp(lambda z: _call(self.kernel, z, labels), logits)
            out.loss = np.asarray(loss).astype(np.float64)
            if backward and "input" in case.requires_grad:
                if out.loss.shape != (case.shape["N"],):
                    return Call(loss=out.loss, error=f"returned shape {list(out.loss.shape)}, not the per-example "
                                f"({case.shape['N']},)", kind="broken")
                with announced("backward", KERNEL_CALL_TIME_LIMIT_S):
                    (grad,) = pullback(jnp.asarray(case.cotangent, dtype=jnp.float64).astype(loss.dtype))
                out.grads = {"input": np.asarray(grad).astype(np.float64)}
        except Exception as exc:  # noqa: BLE001 - foreign code: classify, never die with it
            out.error = f"{type(exc).__name__}: {' '.join(str(exc).split())}"[:400]
            out.kind = classify(exc, case)
        return out

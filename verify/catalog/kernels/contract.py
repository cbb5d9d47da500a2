"""The adapter from a framework kernel (a callable or a ``torch.nn.Module`` class) to the contracts' cases.

torch is imported here, lazily (never at import time: the core and its tests run without it). A kernel is
foreign code: one call (:meth:`KernelUnderTest.call`) builds fresh tensors from a :class:`~.reference.KernelCase`,
runs the forward pass and the vector-Jacobian product of the case's cotangent, and returns a :class:`Call`
holding what came back (as float64 NumPy), whether it wrote into its inputs, and what it raised, classified:

* ``unsupported``: a ``TypeError`` for a keyword it does not take (the option is skipped, not failed);
* ``class_indices_only``: a ``TypeError`` / ``ValueError`` whose message starts with ``target:``, for
  probability targets (it takes class indices only);
* ``interpreter_limit``: under ``TRITON_INTERPRET=1``, a failure the Triton interpreter is known to cause
  (:data:`INTERPRETER_LIMITS`), which is not a wrong result;
* anything else: the kernel broke on a valid input.

Declarations are read from attributes of the callable or the Module class: ``inplace_input = True`` (it writes
into its input: it is handed fresh tensors every call anyway, the writing is reported and the values it
returns are checked), ``dtypes = ("float32", "bfloat16")`` (others are not drawn), ``accumulates_in =
"float32"`` (the tolerances of a finer dtype follow float32).
"""

from __future__ import annotations

import inspect
import os
import re
import sys
from dataclasses import dataclass, field

import numpy as np

import impls

from ...harness.foreign import CALL_TIME_FLOOR_S, announced
from .reference import CONTRACTS, GRAD_INPUTS, REDUCTIONS, KernelCase
from .tolerances import DTYPES, UNIT_ROUNDOFF

DEVICES = ("cpu", "cuda")
# Failures of the Triton interpreter (TRITON_INTERPRET=1) on code that runs on a GPU, as (what the message
# contains, what it means), each seen here with triton 3.x: Python float arguments are not converted to tensors
# (class weights and softcapping in Liger-Kernel: "'float' object has no attribute 'to'"), and the libdevice
# math functions are not provided (a four-line kernel calling libdevice.tanh raises "cannot convert None of
# type <class 'NoneType'> to tensor"; importing tanh from triton.language.math fails).
INTERPRETER_LIMITS = (
    ("object has no attribute 'to'", "a Python float argument is not converted to a tensor"),
    ("cannot convert None of type <class 'NoneType'> to tensor", "libdevice math functions are not provided"),
    ("cannot import name 'tanh'", "libdevice math functions are not provided"),
    ("libdevice", "libdevice math functions are not provided"),
)
# The time limit of one call into a kernel (its forward pass, or its vector-Jacobian product), in a supervised
# worker (verify/catalog/kernels/run.py; ``--call-timeout`` overrides it). The claims draw N <= 6, K <= 7, H <= 6
# (strategies.py), where a call costs no arithmetic to speak of: what a call can cost is set up. Measured here
# (2 cores, idle) under the Triton interpreter, Liger-Kernel 0.8.5's cross-entropy: 0.19 s for the first
# forward pass, 0.03-0.06 s after, 0.3 s at N = 64, K = 128. A kernel wrapped in torch.compile or jax.jit
# compiles on its first call (seconds to tens of seconds on a CPU), the cost the softmax implementations' floor
# already bounds; so the limit is that floor, 150 times the interpreter's first call.
KERNEL_CALL_TIME_LIMIT_S = CALL_TIME_FLOOR_S
# The time limit of loading a kernel in a fresh worker: importing its framework and its module, and building it
# (measured: torch 1.7 s, then liger_kernel with triton 1.8 s; jax about as long). Not overridden by
# ``--call-timeout``, which bounds the kernel's calls (a small one would otherwise stop every worker in its
# imports): 20 times the measured 3.5 s, for a machine shared by several checks.
KERNEL_LOAD_TIME_LIMIT_S = 70.0
UNSUPPORTED_KEYWORD = "unexpected keyword argument"
CLASS_INDICES_ONLY = "target:"
# torch's defaults: a keyword at its default is not passed, so a kernel without that option still runs.
DEFAULTS = {"reduction": "mean", "ignore_index": -100, "label_smoothing": 0.0}


def torch_or_none():
    """The torch module, or None when it is not installed."""
    try:
        import torch
    except ImportError:
        return None
    return torch


def prepare_device(device: str | None, say=print) -> str:
    """The device to run on: ``cuda`` where available unless given; on ``cpu`` set ``TRITON_INTERPRET=1``
    before triton is imported, unless the environment says otherwise, and say so."""
    torch = torch_or_none()
    if torch is None:
        raise ImportError("--contract: the torch contracts need torch; install the CPU build: "
                          "pip install torch --index-url https://download.pytorch.org/whl/cpu")
    if device is None:
        device = "cuda" if torch.cuda.is_available() else "cpu"
    if device not in DEVICES:
        raise ValueError(f"--device: must be one of {DEVICES}, got {device!r}")
    if device == "cuda" and not torch.cuda.is_available():
        raise ValueError("--device: cuda is not available here (torch.cuda.is_available() is False)")
    if device == "cpu":
        if "TRITON_INTERPRET" in os.environ:
            say(f"lossproof: TRITON_INTERPRET={os.environ['TRITON_INTERPRET']} as set in the environment")
        elif "triton" in sys.modules:
            say("lossproof: triton was imported before TRITON_INTERPRET could be set: Triton kernels will not run on the CPU")
        else:
            os.environ["TRITON_INTERPRET"] = "1"
            say("lossproof: --device cpu: set TRITON_INTERPRET=1 (Triton kernels run in Triton's interpreter; "
                "set TRITON_INTERPRET=0 to prevent it)")
    return device


def round_to(values, dtype: str) -> np.ndarray:
    """``values`` rounded to ``dtype`` (to nearest, ties to even), as float64: what the kernel will be given."""
    a = np.asarray(values, dtype=np.float64)
    if dtype in ("float64", "float32", "float16"):
        return a.astype(dtype).astype(np.float64)
    if dtype == "bfloat16":  # the upper 16 bits of float32, rounded to nearest even
        bits = a.astype(np.float32).view(np.uint32).astype(np.uint64)
        rounded = ((bits + 0x7FFF + ((bits >> 16) & 1)) & 0xFFFF0000).astype(np.uint32)
        return rounded.view(np.float32).astype(np.float64)
    raise ValueError(f"dtype: must be one of {DTYPES}, got {dtype!r}")


@dataclass
class Call:
    """What one call returned: float64 arrays, None for a gradient not returned; the failure, classified."""

    loss: np.ndarray | None = None
    grads: dict = field(default_factory=dict)
    wrote_into: tuple[str, ...] = ()
    error: str = ""  # the exception, one line, when it raised
    kind: str = ""  # "", "unsupported", "class_indices_only", "interpreter_limit", "broken"

    @property
    def failed(self) -> bool:
        return bool(self.kind)


def _declared(obj, name, default):
    return getattr(obj, name, default)


class KernelUnderTest:
    """A callable (``f(input, target, **options)`` / ``f(hidden, weight, target, *, bias=..., **options)``) or a
    ``torch.nn.Module`` subclass (constructed with the options, called with the tensors) under a contract."""

    def __init__(self, kernel, contract: str, device: str = "cpu", name: str | None = None):
        if contract not in CONTRACTS:
            raise ValueError(f"--contract: must be one of softmax-ce, {', '.join(CONTRACTS)}; got {contract!r}")
        torch = torch_or_none()
        if torch is None:
            raise ImportError(f"--contract {contract}: needs torch")
        if not callable(kernel):
            raise TypeError(f"--impl {name or ''}: a {type(kernel).__name__}, not a callable (a function or a "
                            "torch.nn.Module class)")
        self.kernel, self.contract, self.device = kernel, contract, device
        self.is_module_class = inspect.isclass(kernel) and issubclass(kernel, torch.nn.Module)
        self.name = name or getattr(kernel, "__qualname__", None) or type(kernel).__name__
        self.inplace_input = bool(_declared(kernel, "inplace_input", False))
        self.accumulates_in = _declared(kernel, "accumulates_in", None)
        declared = tuple(_declared(kernel, "dtypes", DTYPES))
        unknown = [d for d in declared if d not in UNIT_ROUNDOFF]
        if unknown or not declared:
            raise ValueError(f"{self.name}.dtypes: must name some of {DTYPES}, got {declared!r}")
        if self.accumulates_in is not None and self.accumulates_in not in UNIT_ROUNDOFF:
            raise ValueError(f"{self.name}.accumulates_in: must be one of {DTYPES}, got {self.accumulates_in!r}")
        self.dtypes = declared
        self.reductions = REDUCTIONS
        self.options = True  # takes torch's keywords (reduction, ignore_index, label_smoothing, weight)

    def description(self) -> dict:
        """The kernel under test as the results document describes it (an ``implementations`` entry)."""
        return describe_kernel(self.name, self.contract, self.device, {
            "inplace_input": self.inplace_input, "dtypes": list(self.dtypes), "accumulates_in": self.accumulates_in})

    def declarations(self) -> list[str]:
        out = [f"dtypes: {', '.join(self.dtypes)}"]
        if self.inplace_input:
            out.append("inplace_input: writes into its input (handed fresh tensors every call)")
        if self.accumulates_in:
            out.append(f"accumulates_in: {self.accumulates_in} (tolerances of finer dtypes follow it)")
        return out

    # ------------------------------------------------------------------
    def _tensors(self, case: KernelCase):
        import torch

        dtype = getattr(torch, case.dtype)
        names = ("input",) if not case.fused else ("hidden", "weight", "bias")
        arrays = {"input": case.logits, "hidden": case.hidden, "weight": case.weight, "bias": case.bias}
        tensors = {}
        for n in names:
            if arrays[n] is None:
                continue
            t = torch.tensor(arrays[n], dtype=torch.float64).to(dtype=dtype, device=self.device)
            tensors[n] = t.requires_grad_(n in case.requires_grad)
        if case.probability_targets:
            target = torch.tensor(case.target, dtype=torch.float64).to(dtype=dtype, device=self.device)
        else:
            target = torch.tensor(case.target, dtype=torch.int64, device=self.device)
        options = {k: v for k, v in case.options().items() if k == "weight" or DEFAULTS.get(k) != v}
        if "weight" in options:
            options["weight"] = torch.tensor(options["weight"], dtype=torch.float64).to(dtype=dtype, device=self.device)
        return tensors, target, options

    def _forward(self, tensors, target, options):
        if not self.contract == "torch-linear-ce":
            args = (tensors["input"], target)
        else:
            args = (tensors["hidden"], tensors["weight"], target)
        if self.contract == "torch-linear-ce" and "bias" in tensors:
            if self.is_module_class:
                options = {**options}
                return self.kernel(**options)(*args, bias=tensors["bias"])
            return self.kernel(*args, bias=tensors["bias"], **options)
        if self.is_module_class:
            return self.kernel(**options)(*args)
        return self.kernel(*args, **options)

    def call(self, case: KernelCase, backward: bool = True) -> Call:
        """One forward pass and (``backward``) the VJP of ``case.cotangent``; never raises for the kernel's failures."""
        import torch

        tensors, target, options = self._tensors(case)
        before = {n: t.detach().clone() for n, t in tensors.items()}
        target_before = target.clone()
        out = Call()
        try:
            with announced("forward", KERNEL_CALL_TIME_LIMIT_S):
                loss = self._forward(tensors, target, options)
            if not isinstance(loss, torch.Tensor):
                return Call(error=f"returned {type(loss).__name__}, not a tensor", kind="broken")
            out.loss = loss.detach().to(torch.float64).cpu().numpy().copy()
            wanted = [n for n in GRAD_INPUTS[case.contract] if n in tensors and n in case.requires_grad]
            if backward and wanted:
                if not loss.requires_grad:
                    out.grads = {n: None for n in wanted}
                else:
                    g = torch.tensor(np.asarray(case.cotangent), dtype=torch.float64).to(dtype=loss.dtype, device=self.device)
                    with announced("backward", KERNEL_CALL_TIME_LIMIT_S):
                        grads = torch.autograd.grad(loss, [tensors[n] for n in wanted],
                                                    grad_outputs=g.reshape(loss.shape), allow_unused=True)
                    out.grads = {n: None if v is None else v.detach().to(torch.float64).cpu().numpy().copy()
                                 for n, v in zip(wanted, grads)}
        except Exception as exc:  # noqa: BLE001 - foreign code: classify, never die with it
            out.error = f"{type(exc).__name__}: {' '.join(str(exc).split())}"[:400]
            out.kind = classify(exc, case)
        changed = [n for n, t in tensors.items() if not torch.equal(t.detach(), before[n])]
        if not torch.equal(target, target_before):
            changed.append("target")
        out.wrote_into = tuple(changed)
        return out


def classify(exc: Exception, case: KernelCase) -> str:
    """What an exception of the kernel means (see the module's docstring)."""
    text = str(exc)
    if isinstance(exc, TypeError) and UNSUPPORTED_KEYWORD in text:
        return "unsupported"
    if isinstance(exc, (TypeError, ValueError)) and text.startswith(CLASS_INDICES_ONLY) and case.probability_targets:
        return "class_indices_only"
    if os.environ.get("TRITON_INTERPRET") == "1" and any(m in text for m, _ in INTERPRETER_LIMITS):
        return "interpreter_limit"
    return "broken"


def interpreter_limit_meaning(error: str) -> str:
    return next((why for m, why in INTERPRETER_LIMITS if m in error), "")


def unsupported_keyword(error: str) -> str:
    """The keyword a TypeError says the kernel does not take ("label_smoothing"), or empty."""
    found = re.search(UNSUPPORTED_KEYWORD + r" '([^']+)'", error)
    return found.group(1) if found else ""


def _version(module: str) -> str | None:
    """The version of ``module`` when it is installed and imported (it is not imported here), else None."""
    found = sys.modules.get(module)
    return getattr(found, "__version__", None) if found is not None else None


def describe_kernel(name: str, contract: str, device: str, declared: dict) -> dict:
    """An ``implementations`` entry of the results document for a kernel (results.schema.json): its contract, its
    device, its declarations, the frameworks' versions (None: not imported by the kernel), TRITON_INTERPRET."""
    return {
        "name": name,
        "capabilities": {"dtypes": list(declared["dtypes"])},
        "contract": contract,
        "device": device,
        "declarations": dict(declared),
        "frameworks": {m: _version(m) for m in ("torch", "triton", "jax")},
        "triton_interpret": os.environ.get("TRITON_INTERPRET"),
    }


def load_kernel(spec: str, contract: str, device: str) -> KernelUnderTest:
    """The kernel ``pkg.mod:Attr`` (or ``path/file.py:Attr``) names, under ``contract`` on ``device``."""
    with announced("load", KERNEL_LOAD_TIME_LIMIT_S, overridable=False):
        return KernelUnderTest(impls.load_attribute(spec), contract, device, name=spec)

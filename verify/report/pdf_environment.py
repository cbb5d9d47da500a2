"""The PDF's closing section: where the results were made (environment, git commit, search settings) and what
each implementation declared (its capabilities), as tables a reader can scan, never as raw JSON."""

from __future__ import annotations

from html import escape

from reportlab.platypus import KeepTogether, Spacer

from .content import Report
from .pdf_layout import P, heading, table

# The environment's keys (verify.harness.results.environment) as a reader names them; a key not listed here is
# shown as it is written.
ENVIRONMENT_LABELS = {
    "commit": "git commit of the claims",
    "python": "Python",
    "numpy": "NumPy",
    "scipy": "SciPy",
    "sympy": "SymPy",
    "mpmath": "mpmath",
    "hypothesis": "Hypothesis",
    "lossproof": "lossproof",
    "platform": "platform",
    "cpu": "CPU",
    "cores": "CPU cores",
    "blas": "BLAS",
}
SEARCH_LABELS = {
    "profile": "Hypothesis profile",
    "max_examples": "examples per search (max_examples)",
    "derandomize": "derandomized",
    "seed": "seed",
}
CAPABILITY_LABELS = {
    "dtypes": "dtypes",
    "sample_weight": "sample weights",
    "hessian": "Hessian",
    "hvp": "Hessian-vector product",
    "exact": "exact arithmetic",
    "max_size": "largest problem (N·D·K)",
    "max_hessian_size": "largest Hessian",
    "targets": "targets",
    "writes_arguments": "writes into its arguments",
}


def readable(value) -> str:
    """A value as words: yes / no, lists joined by commas, nested records as 'key: value' pairs; never JSON."""
    if value is None:
        return "not recorded"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, (list, tuple)):
        return ", ".join(readable(v) for v in value) if value else "none"
    if isinstance(value, dict):
        return "; ".join(f"{k}: {readable(v)}" for k, v in value.items()) if value else "none"
    return str(value)


def _pairs(record: dict, labels: dict) -> list:
    ordered = [k for k in labels if k in record] + [k for k in record if k not in labels]
    return [(labels.get(k, k), readable(record[k])) for k in ordered]


def environment_rows(report: Report) -> list:
    """(label, value) rows: the environment first (commit, versions, machine), then when the results were made."""
    env = dict(report.environment)
    if "commit" not in env:
        env["commit"] = None  # results made before the commit was recorded: say so rather than leave it out
    rows = _pairs(env, ENVIRONMENT_LABELS)
    return rows + [("results created", readable(report.results.get("created")))]


def kernel_under_test(implementation: dict) -> str:
    """A framework kernel's entry in words: contract, device, declarations, frameworks' versions, TRITON_INTERPRET;
    empty for an implementation of the softmax-ce interface (no ``contract``)."""
    if not implementation.get("contract"):
        return ""
    parts = [f"{implementation['contract']} on {readable(implementation.get('device'))}"]
    parts += [f"{k}: {readable(v) if v is not None else 'not declared'}"
              for k, v in (implementation.get("declarations") or {}).items()]
    parts += [f"{k} {v if v is not None else 'not imported'}" for k, v in (implementation.get("frameworks") or {}).items()]
    interpret = implementation.get("triton_interpret")
    parts.append(f"TRITON_INTERPRET {interpret if interpret is not None else 'not set'}")
    return "; ".join(parts)


def capability_table(report: Report, width):
    """One row per implementation, one column per declared capability (and its methods)."""
    implementations = report.results.get("implementations", [])
    # A framework kernel declares none of the softmax-ce interface's capabilities: a table of kernels only shows theirs.
    only_kernels = bool(implementations) and all(kernel_under_test(i) for i in implementations)
    keys = [] if only_kernels else list(CAPABILITY_LABELS)
    for i in implementations:
        keys += [k for k in i.get("capabilities", {}) if k not in keys]
    kernels = any(kernel_under_test(i) for i in implementations)  # a framework kernel's check: say what ran it
    head = ["implementation"] + [CAPABILITY_LABELS.get(k, k) for k in keys] + ["kernel under test" if kernels else "methods"]
    rows = [[P(escape(h)) for h in head]]
    for i in implementations:
        caps = i.get("capabilities", {})
        last = kernel_under_test(i) if kernels else readable(i.get("methods", []))
        rows.append([P(f"<b>{escape(str(i.get('name', '')))}</b>")] +
                    [P(escape(readable(caps.get(k)) if k in caps else "not declared")) for k in keys] +
                    [P(escape(last))])
    first, methods = width * 0.1, width * (0.3 if kernels else 0.16)
    rest = (width - first - methods) / max(1, len(keys))
    return table(rows, [first] + [rest] * len(keys) + [methods])


def section(report: Report, width) -> list:
    env = [[P("item"), P("value")]] + [[P(escape(k)), P(escape(v))] for k, v in environment_rows(report)]
    search = [[P("setting"), P("value")]] + [[P(escape(k)), P(escape(v))]
                                            for k, v in _pairs(report.results.get("hypothesis", {}), SEARCH_LABELS)]
    profile = str(report.results.get("profile", "ci"))
    return [
        KeepTogether([heading("Environment", "h1", "environment", 0),
                      P("Where these results were made: the commit of the claims, the versions and the machine.", "meta"),
                      table(env, [width * 0.25, width * 0.75])]), Spacer(1, 8),
        P("Search settings", "h2"), table(search, [width * 0.25, width * 0.75]), Spacer(1, 8),
        P("Implementations checked: declared capabilities", "h2"), capability_table(report, width), Spacer(1, 6),
        P(f"Reproduce: <font face='Courier'>lossproof report --hypothesis-profile {escape(profile)}</font> at the "
          "commit above with the versions above.", "body"),
    ]

"""The PDF's closing section: where the results were made (environment, git commit, search settings) and what
each implementation declared (its capabilities), as tables a reader can scan, never as raw JSON."""

from __future__ import annotations

from html import escape

from reportlab.platypus import KeepTogether, Spacer

from .content import (CAPABILITY_LABELS, Report, capability_keys, environment_rows, kernel_under_test, readable,
                      search_rows)
from .pdf_layout import P, heading, table

def capability_table(report: Report, width):
    """One row per implementation, one column per declared capability (and its methods)."""
    implementations = report.results.get("implementations", [])
    keys = capability_keys(implementations)
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
                                            for k, v in search_rows(report)]
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

"""What the report says, independent of its format.

The HTML page and the PDF are two renderings of the same ``Report``: built
once from the results document (and the benchmark document), never from a
re-run of any claim.
"""

from __future__ import annotations

import json
from collections import Counter, OrderedDict
from dataclasses import dataclass, field

from ..harness.claims import robustness_finding

# Section order and titles: one section per source.
SOURCES = OrderedDict(
    [
        ("rychlik", "Rychlik (and Nwaigwe & Rychlik): convergence of multi-class logistic regression"),
        ("folklore", "Textbook and folklore statements about softmax cross-entropy"),
        ("song2023", "Song, Wang & Yin: unified ResNet and softmax regression"),
        ("gopalani2023", "Gopalani, Jha & Mukherjee: SGD on regularized depth-2 nets"),
        ("li2020", "Li, Li, Pan & Zhu: logistic vs. softmax losses under class reweighting"),
        ("impl", "Implementations: properties every correct implementation has"),
    ]
)
VERDICT_ORDER = ("holds", "refuted", "holds-under", "unconfirmed", "inconclusive", "skipped", "error")
# The two verdicts the report explains on its first page (their meaning is the results document's vocabulary).
EXPLAINED_VERDICTS = ("unconfirmed", "inconclusive")
# A claim's verdict over several implementations: the worst one, in this order (a failure beats a non-decision).
_SEVERITY = {"holds": 0, "skipped": 0, "holds-under": 1, "refuted": 1, "inconclusive": 2, "unconfirmed": 3, "error": 3}


def section_of(claim_id: str) -> str:
    return claim_id.split(".", 1)[0]


@dataclass
class Figure:
    """A figure spec from the evidence (plain data), with where it belongs."""

    claim_id: str
    spec: dict
    caption: str


@dataclass
class Row:
    claim: dict
    implementation: str
    evidence: dict
    matches: bool

    @property
    def id(self) -> str:
        return self.claim["id"]


@dataclass
class Section:
    key: str
    title: str
    rows: list = field(default_factory=list)
    figures: list = field(default_factory=list)

    def counts(self) -> Counter:
        seen = {}
        for r in self.rows:  # one verdict per claim (implementation claims: the worst over implementations)
            current, verdict = seen.get(r.id), r.evidence["verdict"]
            if current is None or (current == "holds" and verdict != "holds") or _SEVERITY.get(verdict, 3) > _SEVERITY.get(current, 3):
                seen[r.id] = verdict
        return Counter(seen.values())

    @property
    def claim_ids(self) -> list:
        return list(OrderedDict.fromkeys(r.id for r in self.rows))

    @property
    def reconstructed(self) -> list:
        return sorted({r.id for r in self.rows if r.claim.get("reconstructed")})

    @property
    def mismatches(self) -> list:
        """Rows whose verdict differs from the expectation: failures, not the skipped or inconclusive ones."""
        return [r for r in self.rows if row_class(r) == "mismatch"]

    @property
    def inconclusive(self) -> list:
        return [r for r in self.rows if row_class(r) == "inconclusive"]

    @property
    def robustness(self) -> list:
        return [r for r in self.rows if row_class(r) == "robustness"]


def row_class(row: Row) -> str:
    """How a result row is marked: '' (matches, or skipped), 'inconclusive' (neither a match nor a failure),
    'robustness' (a robustness claim that does not hold: a finding beyond the input domain), 'mismatch'."""
    verdict = row.evidence["verdict"]
    if row.matches or verdict == "skipped":
        return ""
    if verdict == "inconclusive":
        return "inconclusive"
    return "robustness" if robustness_finding(row.claim.get("kind", ""), row.matches, verdict) else "mismatch"


@dataclass
class Report:
    results: dict
    bench: dict | None
    sections: list

    @property
    def environment(self) -> dict:
        return self.results.get("environment", {})


def build(results: dict, bench: dict | None = None) -> Report:
    sections = OrderedDict((key, Section(key, title)) for key, title in SOURCES.items())
    for item in results["results"]:
        key = section_of(item["claim"]["id"])
        if key not in sections:
            sections[key] = Section(key, item["claim"]["source"]["paper"])
        row = Row(item["claim"], item["implementation"], item["evidence"], item["matches"])
        sections[key].rows.append(row)
        for i, spec in enumerate(item["evidence"].get("figures") or []):
            who = f" [{row.implementation}]" if item["claim"]["scope"] == "implementation" else ""
            caption = f"{row.id}{who}: {spec.get('title', '')}"
            sections[key].figures.append(Figure(row.id, spec, caption))
    return Report(results, bench, [s for s in sections.values() if s.rows])


def partial_notice(results: dict) -> str:
    """A sentence for the first page when the results cover only part of the claims; empty when they cover all."""
    chosen = results.get("selection") or {}
    if not chosen.get("partial"):
        return ""
    what = []
    if chosen.get("claim_patterns"):
        what.append("only the claims matching " + ", ".join(chosen["claim_patterns"]))
    if not chosen.get("math_claims", True):
        what.append("no math claims")
    if chosen.get("implementations") != "every registered one":
        what.append("the implementations " + chosen.get("implementations", "given"))
    return ("This report is built from a partial run (" + "; ".join(what) + "): it is not the evidence for "
            "every claim. Run `lossproof report` for the whole catalog.")


def verdict_line(counts: Counter) -> str:
    return ", ".join(f"{counts[v]} {v}" for v in VERDICT_ORDER if counts.get(v))


def format_number(value) -> str:
    """A measured number in short scientific form; JSON keeps infinities and NaN as the strings 'inf', 'nan'."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return f"{value:.2e}"
    return str(value)


def format_error(ev: dict) -> str:
    if ev.get("worst_error") is None:
        return ""
    tol = ev.get("tolerance")
    return format_number(ev["worst_error"]) + ("" if tol is None else f" / {format_number(tol)}")


def compact_json(value, limit: int = 600) -> str:
    """A counterexample as short JSON: numbers to 6 significant digits, cut at ``limit`` characters."""

    def shorten(v):
        if isinstance(v, float):
            return float(f"{v:.6g}")
        if isinstance(v, list):
            return [shorten(x) for x in v]
        if isinstance(v, dict):
            return {k: shorten(x) for k, x in v.items()}
        return v

    text = json.dumps(shorten(value), separators=(",", ": "))
    return text if len(text) <= limit else text[: limit - 3] + "..."


def is_constructed(ev: dict) -> bool:
    """A counterexample that was built (``found_by_search`` False), which the report labels 'constructed counterexample'."""
    return ev.get("counterexample") is not None and ev.get("found_by_search") is False


def counterexample_origin(ev: dict) -> str:
    """How the counterexample came about: 'found by search, ...' or 'constructed counterexample: <how>'."""
    if ev.get("found_by_search"):
        return "found by search, shrunk by Hypothesis"
    how = ev.get("construction") or "built, not searched for"
    return f"constructed counterexample: {how}"


def recheck_text(ev: dict) -> str:
    """What the high-precision re-check of the counterexample said (empty when there was none)."""
    hp = ev.get("high_precision") or {}
    if not hp:
        return ""
    method = hp.get("method", "high precision")
    if hp.get("confirmed") is True:
        return f"confirmed with {method}"
    if hp.get("confirmed") is False:
        return f"dismissed by {method} (a rounding artifact)"
    return f"unconfirmed: {method} could neither confirm nor dismiss it" + (f" ({hp['finding']})" if hp.get("finding") else "")


def verdict_legend(results: dict) -> list[tuple[str, str]]:
    """(verdict, meaning) for each of EXPLAINED_VERDICTS that occurs in the results, for the first page."""
    from ..harness.results import VERDICT_MEANING

    seen = {item["evidence"]["verdict"] for item in results.get("results", [])}
    return [(v, VERDICT_MEANING[v]) for v in EXPLAINED_VERDICTS if v in seen]


def evidence_text(ev: dict) -> str:
    """One paragraph of evidence: examples, worst error vs tolerance, counterexample, how it was found and re-checked."""
    parts = [ev.get("summary", "")]
    if ev.get("counterexample") is not None:
        recheck = recheck_text(ev)
        how = counterexample_origin(ev) + (f"; {recheck}" if recheck else "")
        parts.append(f"Minimal counterexample ({how}): {compact_json(ev['counterexample'])}")
    return " ".join(p for p in parts if p)

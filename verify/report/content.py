"""What the report says, independent of its format.

The HTML page and the PDF are two renderings of the same ``Report``: built
once from the results document (and the benchmark document), never from a
re-run of any claim.
"""

from __future__ import annotations

import json
import math
import re
from collections import Counter, OrderedDict
from dataclasses import dataclass, field

from ..harness.claims import natural_key, robustness_finding
from ..harness.evidence import MEASURE_KEY, P_VALUE

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
    implementation: str = ""
    number: int = 1  # its place among the section's figures, from 1

    @property
    def anchor(self) -> str:
        """The figure's HTML id (the claim's row links to it)."""
        return f"fig-{self.number}-{slug(self.claim_id)}"


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

    def figures_of(self, claim_id: str, implementation: str | None = None) -> list:
        """The figures of one claim (of one implementation's result, when given), which stand beside it."""
        return [f for f in self.figures if f.claim_id == claim_id
                and (implementation is None or f.implementation == implementation)]

    @property
    def shared(self) -> list:
        """The evidence clauses several rows say (:func:`shared_clauses`), printed once at the section's head."""
        return shared_clauses(self.rows)

    def evidence_of(self, row) -> "EvidenceText":
        return evidence_of(row, self.shared)

    @property
    def sources(self) -> list:
        return section_sources(self)

    @property
    def error_legend(self) -> list:
        return error_legend(self.rows)


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

    def reproduction(self, row) -> "Reproduction":
        return reproduction(row, self.results)


# The reader's names for the environment, the search settings and the capabilities (HTML and PDF alike).
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


def labelled_pairs(record: dict, labels: dict) -> list:
    ordered = [k for k in labels if k in record] + [k for k in record if k not in labels]
    return [(labels.get(k, k), readable(record[k])) for k in ordered]


def environment_rows(report: Report) -> list:
    """(label, value) rows: the environment first (commit, versions, machine), then when the results were made."""
    env = dict(report.environment)
    if "commit" not in env:
        env["commit"] = None  # results made before the commit was recorded: say so rather than leave it out
    rows = labelled_pairs(env, ENVIRONMENT_LABELS)
    return rows + [("results created", readable(report.results.get("created")))]


def search_rows(report) -> list:
    """(label, value) rows of the Hypothesis settings the claims ran with."""
    return labelled_pairs(report.results.get("hypothesis") or {}, SEARCH_LABELS)


def kernel_under_test(implementation: dict) -> str:
    """A framework kernel's entry in words: contract, device, declarations, frameworks' versions, TRITON_INTERPRET;
    empty for an implementation of the softmax-ce interface (no ``contract``). The last column of the
    implementations table when a kernel was checked, in place of the interface's methods."""
    if not implementation.get("contract"):
        return ""
    parts = [f"{implementation['contract']} on {readable(implementation.get('device'))}"]
    parts += [f"{k}: {readable(v) if v is not None else 'not declared'}"
              for k, v in (implementation.get("declarations") or {}).items()]
    parts += [f"{k} {v if v is not None else 'not imported'}" for k, v in (implementation.get("frameworks") or {}).items()]
    interpret = implementation.get("triton_interpret")
    parts.append(f"TRITON_INTERPRET {interpret if interpret is not None else 'not set'}")
    return "; ".join(parts)


def capability_keys(implementations) -> list:
    """The capability columns: the known ones in their order, then any other an implementation declares.

    A framework kernel declares none of the softmax-ce interface's capabilities: a table of kernels only
    shows theirs."""
    only_kernels = bool(implementations) and all(kernel_under_test(i) for i in implementations)
    keys = [] if only_kernels else list(CAPABILITY_LABELS)
    for i in implementations:
        keys += [k for k in i.get("capabilities", {}) if k not in keys]
    return keys


def build(results: dict, bench: dict | None = None) -> Report:
    sections = OrderedDict((key, Section(key, title)) for key, title in SOURCES.items())
    # claims in natural order within a section (F2 before F10), the implementations of one claim as the results give them
    for item in sorted(results["results"], key=lambda item: natural_key(item["claim"]["id"])):
        key = section_of(item["claim"]["id"])
        if key not in sections:
            sections[key] = Section(key, item["claim"]["source"]["paper"])
        row = Row(item["claim"], item["implementation"], item["evidence"], item["matches"])
        sections[key].rows.append(row)
        for spec in item["evidence"].get("figures") or []:
            who = f" [{row.implementation}]" if item["claim"]["scope"] == "implementation" else ""
            caption = f"{row.id}{who}: {spec.get('title', '')}"
            number = len(sections[key].figures) + 1
            sections[key].figures.append(Figure(row.id, spec, caption, row.implementation, number))
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
            "every claim. Run `lossproof report` for every claim.")


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


# ---------------------------------------------------------------------------------------------------------------
# The reader-facing model: what the HTML page and the PDF both show of a result (counterexample tables, the
# line that reproduces it, the meaning of the error column, sentences said once per section, provenance).


def slug(text: str) -> str:
    """``text`` as an HTML id and URL fragment: letters, digits, '.', '_' and '-' kept, every other run as '-'.

    A text that had to change gets 8 hex digits of its hash, so that two different ids never share a slug;
    the ids the catalog uses ('li2020.B1') come out unchanged."""
    import hashlib

    safe = re.sub(r"[^A-Za-z0-9._-]+", "-", str(text)).strip("-")
    if safe and safe == text:
        return safe
    return (safe[:60] or "id") + "-" + hashlib.sha256(str(text).encode("utf-8")).hexdigest()[:8]


# Counterexample keys the reader does not need: search bookkeeping, and data said elsewhere in the view
# (each array's shape and dtype are shown beside it).
INTERNAL_KEYS = frozenset({"tags", "shape (N, D, K)", "dtypes"})
# How many significant digits a shown value keeps (the exact value is always available beside it).
SHOWN_DIGITS = 4
# The largest array shown as a table, cells beyond it are left to the exact values.
SHOWN_ROWS, SHOWN_COLUMNS = 8, 8
# JSON keeps non-finite floats as these strings (harness.claims._jsonable).
_NON_FINITE = {"inf": math.inf, "-inf": -math.inf, "nan": math.nan}


@dataclass(frozen=True)
class ValueView:
    """One entry of a counterexample as a reader sees it.

    ``kind`` is 'array' (a rectangular nest of numbers: ``shape``, ``dtype``, ``cells`` its rounded values,
    at most SHOWN_ROWS x SHOWN_COLUMNS, ``elided`` when some are left out), 'number', 'text' (shown whole:
    never cut) or 'list' (anything else). ``exact`` is the value in full: JSON whose floats are the shortest
    text that reads back to the same double."""

    name: str
    kind: str
    exact: str
    shape: tuple = ()
    dtype: str = ""
    cells: tuple = ()
    elided: bool = False


def _is_number(v) -> bool:
    return (isinstance(v, (int, float)) and not isinstance(v, bool)) or (isinstance(v, str) and v in _NON_FINITE)


def _shape(v):
    """The shape of a rectangular nest of lists of numbers, or None."""
    if _is_number(v):
        return ()
    if not isinstance(v, list) or not v:
        return None
    inner = [_shape(x) for x in v]
    if inner[0] is None or any(s != inner[0] for s in inner):
        return None
    return (len(v),) + inner[0]


def _flat(v):
    return [v] if not isinstance(v, list) else [x for item in v for x in _flat(item)]


def shown_number(v) -> str:
    """A number rounded for reading (SHOWN_DIGITS significant digits; integers whole)."""
    if isinstance(v, str):
        return v
    if isinstance(v, int):
        return str(v)
    return f"{v:.{SHOWN_DIGITS}g}"


def _json_dtype(values) -> str:
    if all(isinstance(x, int) for x in values):
        return "integers (dtype not recorded)"
    return "floats (dtype not recorded)"


def _array_view(name, value, shape, dtype) -> ValueView:
    rows2d = value if len(shape) == 2 else [value] if len(shape) == 1 else None
    if rows2d is None:  # three or more axes: the rows are the leading axes flattened, the columns the last axis
        flat, last = _flat(value), shape[-1]
        rows2d = [flat[i:i + last] for i in range(0, len(flat), last)]
    cells = tuple(tuple(shown_number(x) for x in row[:SHOWN_COLUMNS]) for row in rows2d[:SHOWN_ROWS])
    elided = len(rows2d) > SHOWN_ROWS or any(len(r) > SHOWN_COLUMNS for r in rows2d)
    return ValueView(name, "array", json.dumps(value), shape=tuple(shape),
                     dtype=dtype or _json_dtype(_flat(value)), cells=cells, elided=elided)


def _value_views(prefix: str, value, dtypes: dict) -> list:
    if isinstance(value, dict):
        out = []
        for key, item in value.items():
            if key in INTERNAL_KEYS:
                continue
            out += _value_views(f"{prefix} / {key}" if prefix else str(key), item, dtypes)
        return out
    name = prefix or "value"
    if _is_number(value):
        return [ValueView(name, "number", json.dumps(value), cells=((shown_number(value),),))]
    if isinstance(value, str) or value is None or isinstance(value, bool):
        return [ValueView(name, "text", json.dumps(value), cells=(("" if value is None else str(value),),))]
    shape = _shape(value)
    if shape:
        return [_array_view(name, value, shape, str(dtypes.get(prefix, "")))]
    if isinstance(value, list) and value and all(_shape(v) for v in value):  # arrays of different shapes (layers)
        return [_array_view(f"{name}[{i}]", v, _shape(v), "") for i, v in enumerate(value)]
    return [ValueView(name, "list", json.dumps(value), cells=((json.dumps(value),),))]


def counterexample_view(ev: dict) -> list:
    """The counterexample as a list of :class:`ValueView` (empty when there is none); internal keys dropped."""
    cx = ev.get("counterexample")
    if cx is None:
        return []
    dtypes = cx.get("dtypes", {}) if isinstance(cx, dict) and isinstance(cx.get("dtypes"), dict) else {}
    views = _value_views("", cx, dtypes)
    if any(v.kind == "array" and not v.name.startswith("shape (") for v in views):
        # a problem's sizes ('shape (n, d)': [2, 1]) beside its arrays, which show their shapes themselves
        views = [v for v in views if not v.name.startswith("shape (")]
    return views


_NUMPY_DTYPES = {"float16", "float32", "float64", "longdouble", "int8", "int16", "int32", "int64", "bool"}


def python_snippet(views) -> str:
    """One line of Python that builds the counterexample's arrays with NumPy (exact values, recorded dtypes);
    empty unless the counterexample is a set of arrays, each under a name Python accepts."""
    if not views or any(v.kind != "array" or not v.name.isidentifier() for v in views):
        return ""  # not a set of arrays (measured values beside them, or nothing to build)
    parts = []
    for v in views:
        dtype = f", dtype=np.{v.dtype}" if v.dtype in _NUMPY_DTYPES else ""
        parts.append(f"{v.name} = np.array({v.exact}{dtype})")
    return "import numpy as np; " + "; ".join(parts) if parts else ""


@dataclass(frozen=True)
class Reproduction:
    """How a reader gets a result back: the command (``lossproof check --claim ID``, with ``--impl`` for an
    implementation's claim) and, where the counterexample is a set of arrays, a Python line building them."""

    command: str
    python: str = ""


def reproduction(row, results: dict) -> Reproduction:
    import shlex

    words = ["lossproof", "check", "--claim", row.id]
    if row.claim.get("scope") == "implementation":
        names = [i.get("name") for i in results.get("implementations", [])]
        specs = (results.get("selection") or {}).get("implementation_specs") or []
        spec = specs[names.index(row.implementation)] if row.implementation in names and len(specs) == len(names) else row.implementation
        words += ["--impl", spec]
    from ..harness.strategies import DEFAULT_PROFILE

    profile = results.get("profile")
    if profile and profile != DEFAULT_PROFILE:
        words += ["--hypothesis-profile", str(profile)]
    return Reproduction(" ".join(shlex.quote(str(w)) for w in words), python_snippet(counterexample_view(row.evidence)))


# What the error column of a result says, one meaning per kind of measurement, with its unit; the report's
# legend quotes these. Every search measures ``error`` against ``tolerance`` (violated when error > tolerance,
# verify.harness.search.Measurement); the tolerance is derived per quantity (dtype eps, step, scale).
ERROR_MEASURES = OrderedDict(
    [
        ("ratio", ("worst error / tolerance",
                   "the measured error of the example closest to violating the statement, divided by the tolerance "
                   "derived for it (unitless); above 1 the statement is violated; a negative value is an "
                   "inequality that holds with that margin (the measured side is below the bound)")),
        ("margin", ("margin of the inequality",
                    "a signed quantity (the measured side minus its bound, in the quantity's own unit) that is "
                    "negative: the inequality holds with that margin on the example closest to violating it; "
                    "it is violated when the quantity exceeds its tolerance")),
        ("p-value", ("p-value (level beside it)",
                     "a statistical test's p-value (the smallest over the data sets, after the stated correction) "
                     "beside the test's level: at or below the level the data reject the statement, above it "
                     "they do not")),
        ("exact", ("measured value (tolerance 0)",
                   "a property that admits no rounding (arguments written, results in another dtype, a "
                   "disagreement flag, a distance that must be 0): the measured value itself, in the quantity's "
                   "own unit; any value above 0 is a violation")),
        ("checks", ("checks passed",
                    "an experiment's named checks: how many passed, of how many")),
        ("identities", ("identities exact",
                        "identities verified exactly (symbolic or rational arithmetic): how many hold, of how many")),
        ("none", ("(no number)", "nothing was measured: the claim was skipped or its check broke")),
    ]
)


@dataclass(frozen=True)
class ErrorCell:
    """The error column of one result: ``measure`` (a key of ERROR_MEASURES), ``text`` (the column, rounded),
    ``detail`` (the numbers in full words: quantity, error, tolerance)."""

    measure: str
    text: str
    detail: str = ""

    @property
    def label(self) -> str:
        return ERROR_MEASURES[self.measure][0]


def _as_float(v):
    if isinstance(v, str) and v in _NON_FINITE:
        return _NON_FINITE[v]
    return float(v) if isinstance(v, (int, float)) and not isinstance(v, bool) else None


def error_cell(ev: dict) -> ErrorCell:
    """What the error column shows for one result, and under which meaning (see ERROR_MEASURES)."""
    err, tol = _as_float(ev.get("worst_error")), _as_float(ev.get("tolerance"))
    quantity = ev.get("quantity") or "error"
    declared = (ev.get("measurements") or {}).get(MEASURE_KEY)
    if declared == P_VALUE and err is not None and tol is not None:
        return ErrorCell("p-value", f"{err:.3g}", f"{quantity}: p = {err:.6g} at level {tol:g}")
    if err is not None and tol is not None:
        detail = f"{quantity}: {err:.6g} against tolerance {tol:.6g}"
        if tol == 0:
            return ErrorCell("exact", shown_number(err), detail)
        if math.isnan(err) or math.isnan(tol):
            return ErrorCell("ratio", "nan", detail)
        if err < 0:
            return ErrorCell("margin", f"{err:.3g}", detail)
        if err == 0:  # every example measured 0: the tolerance of whichever example is 'worst' says nothing
            return ErrorCell("ratio", "0", f"{quantity}: 0, no example measured above 0")
        ratio = err / tol if tol > 0 else math.inf
        return ErrorCell("ratio", f"{ratio:.3g}", detail)
    measured = ev.get("measurements") or {}
    for key, measure in (("identities", "identities"), ("checks", "checks")):
        named = measured.get(key)
        if isinstance(named, dict) and named:
            passed = sum(1 for ok in named.values() if ok is True)
            failed = [name for name, ok in named.items() if ok is not True]
            detail = "failed: " + ", ".join(map(str, failed)) if failed else "every one passed"
            return ErrorCell(measure, f"{passed} of {len(named)}", detail)
    return ErrorCell("none", "")


def error_legend(rows) -> list:
    """(label, meaning) of each error measure that occurs among ``rows``, in ERROR_MEASURES' order."""
    used = {error_cell(r.evidence).measure for r in rows}
    return [ERROR_MEASURES[m] for m in ERROR_MEASURES if m in used and m != "none"]


@dataclass(frozen=True)
class SourceView:
    """A source's bibliographic record as the results carry it (claim.source), for the head of its section."""

    paper: str
    title: str = ""
    authors: tuple = ()
    year: object = None
    venue: str = ""
    arxiv: str = ""
    url: str = ""
    seed: str = ""

    @property
    def byline(self) -> str:
        """'Authors (year). Venue.' from the fields present."""
        who = ", ".join(self.authors)
        when = f" ({self.year})" if self.year else ""
        return (who + when + (". " if who or when else "") + (self.venue + "." if self.venue else "")).strip()


def source_view(source: dict) -> SourceView:
    arxiv = str(source.get("arxiv") or "")
    url = str(source.get("url") or (f"https://arxiv.org/abs/{arxiv}" if arxiv else ""))
    paper = str(source.get("paper", ""))
    return SourceView(paper=paper, title=str(source.get("title") or paper),
                      authors=tuple(str(a) for a in source.get("authors") or ()), year=source.get("year"),
                      venue=str(source.get("venue") or ""), arxiv=arxiv, url=url, seed=str(source.get("seed") or ""))


def section_sources(section) -> list:
    """The distinct sources a section's claims come from, in the order of their first claim."""
    seen = OrderedDict()
    for r in section.rows:
        view = source_view(r.claim.get("source") or {})
        seen.setdefault((view.paper, view.title, view.arxiv), view)
    return list(seen.values())


def glossary() -> tuple:
    """(term, explanation) pairs of verify/report/glossary.py, or () where that module is absent."""
    try:
        from .glossary import GLOSSARY
    except ImportError:
        return ()
    return tuple((str(term), str(text)) for term, text in GLOSSARY)


def glossary_anchor(term: str) -> str:
    return "glossary-" + slug(term.lower())


def glossary_terms() -> dict:
    """Lower-cased term -> anchor, for linking a verdict word to its explanation."""
    return {term.lower(): glossary_anchor(term) for term, _ in glossary()}


def clauses(text: str) -> list:
    """``text`` split at its top-level '; ' (none inside parentheses), each clause stripped."""
    out, depth, start = [], 0, 0
    for i, ch in enumerate(text):
        depth += {"(": 1, ")": -1}.get(ch, 0)
        if depth == 0 and text.startswith("; ", i):
            out.append(text[start:i].strip())
            start = i + 2
    out.append(text[start:].strip())
    return [c for c in out if c]


@dataclass(frozen=True)
class EvidenceText:
    """A row's evidence as the report prints it: its own clauses of the summary, the clauses on how its
    counterexample came about (``origin``), and the numbers (1-based) of the section's shared clauses
    (:func:`shared_clauses`) that it also says, printed once at the head of the section."""

    own: tuple
    notes: tuple = ()
    origin: tuple = ()

    @property
    def text(self) -> str:
        return "; ".join(self.own)


def origin_clauses(ev: dict) -> list:
    """How the counterexample came about and how it was re-checked, as clauses, less what the summary
    already says word for word (a search's summary names both); [] without a counterexample."""
    if ev.get("counterexample") is None:
        return []
    if ev.get("found_by_search"):
        found = "counterexample shrunk by Hypothesis"
    else:
        found = "constructed counterexample: " + (ev.get("construction") or "built, not searched for")
    summary = str(ev.get("summary", ""))
    return [c for c in (found, recheck_text(ev)) if c and c not in summary]


def said(row) -> list:
    """Everything a row says in words, clause by clause: its summary, then how its counterexample came about."""
    return clauses(str(row.evidence.get("summary", ""))) + origin_clauses(row.evidence)


def shared_clauses(rows) -> list:
    """Clauses that two or more rows say word for word (a row's first clause, what it checked, is its own):
    said once per section instead of in every row."""
    seen = Counter()
    for r in rows:
        seen.update(set(said(r)[1:]))
    ordered = OrderedDict()
    for r in rows:
        for c in said(r)[1:]:
            if seen[c] >= 2:
                ordered.setdefault(c, None)
    return list(ordered)


def evidence_of(row, shared: list) -> EvidenceText:
    """``row``'s words with the ``shared`` clauses taken out and referred to by number."""
    summary = clauses(str(row.evidence.get("summary", "")))
    origin = origin_clauses(row.evidence)
    own = tuple(c for i, c in enumerate(summary) if i == 0 or c not in shared)
    notes = tuple(sorted({shared.index(c) + 1 for c in summary[1:] + origin if c in shared}))
    return EvidenceText(own, notes, tuple(c for c in origin if c not in shared))


def counterexample_origin_line(ev: dict) -> str:
    """:func:`origin_clauses` as one line."""
    return "; ".join(origin_clauses(ev))


def result_anchor(row) -> str:
    """The HTML id of one result (a claim's result for one implementation)."""
    return f"result-{slug(row.id)}-{slug(row.implementation)}"


def result_groups(rows) -> list:
    """A claim's results with the ones that say the same thing merged (same verdict and evidence, no
    counterexample, no figure: three implementations that hold alike are said once), in the order given."""
    groups, by_text = [], {}
    for r in rows:
        ev = r.evidence
        plain = ev.get("counterexample") is None and not ev.get("figures")
        key = (ev.get("verdict"), ev.get("summary"), row_class(r), error_cell(ev)) if plain else None
        if key is not None and key in by_text:
            by_text[key].append(r)
            continue
        group = [r]
        groups.append(group)
        if key is not None:
            by_text[key] = group
    return groups

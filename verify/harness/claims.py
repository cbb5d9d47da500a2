"""The claim model and the registry of claims; :mod:`verify.catalog` fills it, pytest, the CLI and the report read it.

A claim is a first-class object: a stable id, its source (seed file, paper,
section), the statement in the project's conventions, its hypotheses, the
expected verdict, how it is checked, and a ``check`` function that *computes*
the verdict and returns the evidence. Nothing here types a verdict in: the
expected verdict is what the catalog predicts; the evidence's verdict is what
the run found; a claim passes when the two agree.

Two scopes:

* ``math``: a statement about the mathematics, checked with the reference
  implementation (by default ``numpy``) or directly with NumPy/SymPy/mpmath;
* ``implementation``: a property every correct implementation must have
  (gradient correct, Hessian PSD, ...), run against each registered
  implementation and against a user's one (``--impl``).
"""

from __future__ import annotations

import json
import math
import re
import sys
import time
import tomllib
import traceback
from dataclasses import asdict, dataclass, field
from enum import Enum
from pathlib import Path
from typing import Any, Callable

import numpy as np

from ..numerics.blas import single_threaded_blas
from .foreign import DEFAULT_ERROR_MODE

HOLDS = "holds"
REFUTED = "refuted"
HOLDS_UNDER = "holds-under"
VERDICTS = (HOLDS, REFUTED, HOLDS_UNDER)
# Verdicts a run can also end in without matching any expectation.
SKIPPED = "skipped"
ERROR = "error"
# A violation the high-precision re-check could neither confirm nor dismiss: it fails the check, never becomes holds.
UNCONFIRMED = "unconfirmed"
# A statistical test whose data neither support nor reject the statement at the stated level.
INCONCLUSIVE = "inconclusive"

METHODS = ("search", "symbolic", "experiment")
# kernel: a property of a framework kernel under a contract (verify/catalog/kernels), run against the kernel a
# user names with --contract torch-ce|torch-linear-ce, never by the softmax-ce runs
SCOPES = ("math", "implementation", "kernel")
# A robustness claim probes inputs beyond the domain a claim's users have (overflow at the domain's edge): its
# failure is reported as a robustness finding, apart from the correctness claims, and does not fail a check.
KINDS = ("correctness", "robustness")


def robustness_finding(kind: str, matches: bool, verdict: str) -> bool:
    """A robustness claim that does not hold (refuted, or another definite verdict than expected): a finding, not a
    failure. An error, an unconfirmed violation, an inconclusive test or a skip is no finding: it stays what it is.
    Takes the parts a results document's entry holds, so the report and the command line apply the same rule."""
    return kind == "robustness" and not matches and verdict in (HOLDS, REFUTED, HOLDS_UNDER)


class Verdict(str, Enum):
    holds = HOLDS
    refuted = REFUTED
    holds_under = HOLDS_UNDER


@dataclass(frozen=True)
class Source:
    """Where a claim comes from: the seed file, the paper (one citation line), and where in it; with the
    bibliographic record a reader cites (title, authors, year, venue, arXiv id), empty where there is none."""

    seed: str
    paper: str
    where: str = ""
    title: str = ""
    authors: tuple[str, ...] = ()
    year: int | None = None
    venue: str = ""
    arxiv: str = ""

    @property
    def url(self) -> str:
        """The arXiv abstract page, or empty."""
        return f"https://arxiv.org/abs/{self.arxiv}" if self.arxiv else ""

    def cite(self) -> str:
        """The citation a reader reads: the paper and the place in it (the seed file is provenance for us, not for
        the reader, and stays in ``seed``)."""
        return f"{self.paper}" + (f", {self.where}" if self.where else "")


def _jsonable(value):
    """Convert NumPy scalars/arrays and nested containers to plain JSON values."""
    try:
        import numpy as np
    except ImportError:  # pragma: no cover
        np = None
    if np is not None:
        if isinstance(value, np.ndarray):
            return _jsonable(value.tolist())
        if isinstance(value, np.generic):
            return _jsonable(value.item())
    if isinstance(value, float):
        if math.isnan(value) or math.isinf(value):
            return repr(value)
        return value
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, (str, int, bool)) or value is None:
        return value
    return str(value)


@dataclass
class Evidence:
    """What a check found. Every field is computed by the run.

    Attributes
    ----------
    verdict : the computed verdict (``holds``, ``refuted``, ``holds-under``,
        or ``skipped`` / ``error``).
    summary : one line a person reads first.
    examples : number of examples (problems, trials, runs) the check tried.
    worst_error, tolerance : the largest violation measure seen and the
        tolerance it was held to (same units), when the check has one.
    quantity : the name of the measured quantity (``grad``, ``lambda_min``...).
    counterexample : the (shrunk) counterexample, as plain JSON data.
    found_by_search : True when the counterexample came out of a search
        that also drew examples which did not violate; False when it was
        built by construction (or every point violates), None when there is
        no counterexample.
    construction : when ``found_by_search`` is False, how the counterexample
        was built (one line the report shows beside the label "constructed").
    high_precision : the re-check of the counterexample in higher precision
        (mpmath or exact rationals): method, value, confirmed.
    measurements : named numbers and tables the report shows.
    figures : plot data (series) the report draws; no images here.
    """

    verdict: str
    summary: str = ""
    examples: int = 0
    worst_error: float | None = None
    tolerance: float | None = None
    quantity: str = ""
    counterexample: Any = None
    found_by_search: bool | None = None
    construction: str = ""
    high_precision: dict | None = None
    measurements: dict = field(default_factory=dict)
    figures: list = field(default_factory=list)
    notes: list = field(default_factory=list)
    duration_s: float = 0.0

    def to_dict(self) -> dict:
        return _jsonable(asdict(self))


@dataclass(frozen=True)
class Claim:
    """One claim of one source, with the function that checks it.

    ``check(ctx)`` receives a :class:`CheckContext` and returns
    :class:`Evidence`. For ``holds-under`` claims, the check shows both
    halves: the statement holds under ``missing_hypothesis`` and fails
    without it.
    """

    id: str
    title: str
    source: Source
    statement: str
    hypotheses: tuple[str, ...]
    expected: str
    method: str
    check: Callable[["CheckContext"], Evidence]
    scope: str = "math"
    missing_hypothesis: str = ""
    reconstructed: bool = False
    requires: tuple[str, ...] = ()
    family: str = "softmax"
    kind: str = "correctness"
    # the statement's central formula in LaTeX (typeset by verify.report.math: MathML in HTML, an image in PDF);
    # empty where the statement has none
    formula: str = ""

    def __post_init__(self):
        if self.expected not in VERDICTS:
            raise ValueError(f"{self.id}: expected verdict must be one of {VERDICTS}, got {self.expected!r}")
        if self.method not in METHODS:
            raise ValueError(f"{self.id}: method must be one of {METHODS}, got {self.method!r}")
        if self.kind not in KINDS:
            raise ValueError(f"{self.id}: kind must be one of {KINDS}, got {self.kind!r}")
        if self.scope not in SCOPES:
            raise ValueError(f"{self.id}: scope must be one of {SCOPES}, got {self.scope!r}")
        if self.expected == HOLDS_UNDER and not self.missing_hypothesis:
            raise ValueError(f"{self.id}: a holds-under claim must name the hypothesis its source left out")

    def describe(self) -> dict:
        return _jsonable(
            dict(
                id=self.id,
                title=self.title,
                source=asdict(self.source),
                statement=self.statement,
                hypotheses=list(self.hypotheses),
                expected=self.expected,
                method=self.method,
                scope=self.scope,
                missing_hypothesis=self.missing_hypothesis,
                reconstructed=self.reconstructed,
                requires=list(self.requires),
                family=self.family,
                kind=self.kind,
                formula=self.formula,
            )
        )


@dataclass
class CheckContext:
    """What a check runs with.

    Attributes
    ----------
    impl : the implementation under test (``implementation`` claims) or the
        reference implementation (``math`` claims).
    settings : the Hypothesis settings (the selected profile) for searches.
    thorough : True under the ``thorough`` profile: experiments may run longer.
    """

    impl: Any
    settings: Any = None
    thorough: bool = False


@dataclass
class ClaimResult:
    """A claim, the implementation it ran against, and its evidence."""

    claim: Claim
    impl_name: str
    evidence: Evidence

    @property
    def matches(self) -> bool:
        return self.evidence.verdict == self.claim.expected

    @property
    def is_robustness_finding(self) -> bool:
        return robustness_finding(self.claim.kind, self.matches, self.evidence.verdict)

    def failure_message(self, *, counterexample: bool = True) -> str:
        """What a person needs when the claim does not match: verdicts, summary, error, counterexample, notes.

        ``counterexample=False`` leaves the counterexample out (it was shown once above, for several claims).
        """
        ev = self.evidence
        parts = [
            f"claim {self.claim.id} [{self.impl_name}]: expected {self.claim.expected}, found {ev.verdict}",
            ev.summary,
        ]
        # A broken result (an exception, NaN, a wrong shape) is measured as inf against 0: the summary says what it was.
        if ev.quantity and ev.worst_error is not None and not (math.isinf(ev.worst_error) and ev.tolerance == 0):
            parts.append(f"{ev.quantity}: worst error {ev.worst_error:.3e} against tolerance {ev.tolerance!s}")
        if ev.counterexample is not None:
            origin = "" if ev.found_by_search is not False else f" (not found by search: {ev.construction})"
            parts.append(f"counterexample{origin}: {ev.counterexample}" if counterexample
                         else "counterexample: the shared one above")
        parts += ev.notes
        return "\n".join(p for p in parts if p)

    def to_dict(self) -> dict:
        return dict(
            claim=self.claim.describe(),
            implementation=self.impl_name,
            matches=self.matches,
            evidence=self.evidence.to_dict(),
        )


def failure_report(results) -> list[str]:
    """The failure messages of the results that do not match, one root cause once, first.

    A counterexample that makes several claims of one implementation fail (a
    loss that raises fails every claim that calls it) is shown once, before
    the claims it fails, largest group first; then every other failing claim,
    in the order given; last, the robustness findings (a robustness claim
    that does not hold), labelled as such.
    """
    findings = [r for r in results if r.is_robustness_finding]
    failing = [r for r in results if not r.matches and r.evidence.verdict != SKIPPED and not r.is_robustness_finding]
    groups: dict[tuple, list[ClaimResult]] = {}
    for r in failing:
        if r.evidence.counterexample is not None:
            key = (r.impl_name, json.dumps(_jsonable(r.evidence.counterexample), sort_keys=True))
            groups.setdefault(key, []).append(r)
    shared = sorted((g for g in groups.values() if len(g) > 1), key=len, reverse=True)
    messages, shown = [], set()
    for group in shared:
        ids = ", ".join(r.claim.id for r in group)
        messages.append(f"one counterexample fails {len(group)} claims of [{group[0].impl_name}] ({ids}): "
                        f"{group[0].evidence.counterexample}")
        messages += [r.failure_message(counterexample=False) for r in group]
        shown.update(id(r) for r in group)
    messages += [r.failure_message() for r in failing if id(r) not in shown]
    messages += ["robustness finding (inputs beyond the domain users have; not a failure): " + r.failure_message()
                 for r in findings]
    return messages


_REGISTRY: dict[str, Claim] = {}


def register(claim: Claim) -> Claim:
    if claim.id in _REGISTRY:
        raise ValueError(f"claim id {claim.id!r} is registered twice")
    _REGISTRY[claim.id] = claim
    return claim


def claim(**fields) -> Callable[[Callable], Callable]:
    """Decorator: register the decorated function as the check of a claim given by ``fields`` (see :class:`Claim`)."""

    def wrap(check):
        register(Claim(check=check, **fields))
        return check

    return wrap


# --------------------------------------------------------------------------
# Declarations: a catalog module's claims are declared in the TOML file beside it

# What a declaration may say: the fields of Claim, with ``source`` a key of the catalog's sources and ``where``
# the place in that source. A key at the top of the file is the default of every claim in it.
DECLARATION_FIELDS = frozenset(f for f in Claim.__dataclass_fields__ if f not in ("check", "source")) | {"source", "where"}
_DECLARATIONS: dict[Path, dict[str, dict]] = {}


class DeclarationError(ValueError):
    """A claims declaration file is malformed, or a declared claim has no check (or a check no declaration)."""


def declarations(path: Path) -> dict[str, dict]:
    """The claims declared in the TOML file ``path``, by id, each with the file's defaults filled in (read once)."""
    path = Path(path)
    if path not in _DECLARATIONS:
        try:
            with open(path, "rb") as fh:
                doc = tomllib.load(fh)
        except (OSError, tomllib.TOMLDecodeError) as exc:
            raise DeclarationError(f"{path}: cannot read the claim declarations: {exc}") from None
        defaults = {k: v for k, v in doc.items() if k != "claim"}
        table: dict[str, dict] = {}
        for n, entry in enumerate(doc.get("claim", []), 1):
            fields = defaults | entry
            unknown = sorted(set(fields) - DECLARATION_FIELDS)
            if "id" not in entry or unknown:
                what = f"unknown field(s) {unknown}" if unknown else "no id"
                raise DeclarationError(f"{path}: [[claim]] number {n}: {what}")
            if fields["id"] in table:
                raise DeclarationError(f"{path}: claim {fields['id']!r} is declared twice")
            table[fields["id"]] = fields
        _DECLARATIONS[path] = table
    return _DECLARATIONS[path]


def declared_claim(claim_id: str, *, make_source: Callable[[str, str], Source], **overrides) -> Callable[[Callable], Callable]:
    """Decorator: register the decorated function as the check of ``claim_id``, declared in the TOML file beside
    the function's module (``claims.py`` -> ``claims.toml``).

    ``make_source(key, where)`` turns the declaration's ``source`` and ``where`` into a :class:`Source`;
    ``overrides`` replace declared fields (for a statement that quotes a budget defined in the code).
    """

    def wrap(check):
        path = Path(sys.modules[check.__module__].__file__).with_suffix(".toml")
        table = declarations(path)
        if claim_id not in table:
            raise DeclarationError(f"{path}: no [[claim]] with id {claim_id!r} (the check {check.__qualname__})")
        fields = table[claim_id] | overrides
        where = fields.pop("where", "")
        fields["source"] = make_source(fields.pop("source"), where)
        for name in ("hypotheses", "requires"):
            fields[name] = tuple(fields.get(name, ()))
        register(Claim(check=check, **fields))
        return check

    return wrap


def undeclared_checks() -> list[str]:
    """The declared claims that no check registered: ``path: id`` for each (empty when every declaration has one)."""
    return [f"{path}: {cid}" for path, table in _DECLARATIONS.items() for cid in table if cid not in _REGISTRY]


def natural_key(text: str) -> list:
    """Sort key that puts folklore.F2 before folklore.F10: runs of digits compare as numbers."""
    return [(0, int(part), "") if part.isdigit() else (1, 0, part) for part in re.split(r"(\d+)", text)]


def registered() -> list[Claim]:
    """Every claim registered so far, sorted by id. The catalog imports the papers that register them."""
    return sorted(_REGISTRY.values(), key=lambda c: c.id)


def run_claim(claim: Claim, ctx: CheckContext) -> ClaimResult:
    """Run one claim's check, timing it; an exception becomes an ``error`` verdict."""
    name = getattr(ctx.impl, "name", type(ctx.impl).__name__)
    missing = [m for m in claim.requires if not callable(getattr(ctx.impl, m, None))]
    if missing:
        ev = Evidence(SKIPPED, summary=f"skipped: the implementation has no {', '.join(missing)}")
        return ClaimResult(claim, name, ev)
    # A method present but declared absent (capabilities hessian=False: say, one that raises NotImplementedError).
    declared = getattr(ctx.impl, "capabilities", None)
    undeclared = [m for m in claim.requires if getattr(declared, m, True) is False]
    if undeclared:
        ev = Evidence(SKIPPED, summary=f"skipped: the implementation declares {', '.join(f'{m}=False' for m in undeclared)}")
        return ClaimResult(claim, name, ev)
    start = time.perf_counter()
    try:
        # Every run alike: numbers do not depend on how many BLAS threads there are, and the harness computes in
        # NumPy's default floating-point error mode whatever the caller set (np.seterr(all="raise") in a test, say).
        with single_threaded_blas(), np.errstate(**DEFAULT_ERROR_MODE):
            ev = claim.check(ctx)
    except Exception as exc:  # the check itself broke: report, do not hide
        ev = Evidence(
            ERROR,
            summary=f"the check raised {type(exc).__name__}: {exc}",
            notes=[traceback.format_exc(limit=6)],
        )
    ev.duration_s = time.perf_counter() - start
    return ClaimResult(claim, name, ev)

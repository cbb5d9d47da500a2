"""The words of our own that a reader meets in the report, each with a short explanation.

Data only: the HTML and PDF writers render it (a glossary section), and tests/test_formulas.py checks that it
explains every verdict and every term the report prints. An entry is (term, explanation); the explanation is one
or two plain sentences, no markup.
"""

from __future__ import annotations

GLOSSARY: tuple[tuple[str, str], ...] = (
    # verdicts: what a check computed
    ("holds", "The check found the statement true on every example it tried (or proved it exactly), each example "
              "within its derived tolerance."),
    ("refuted", "The check found a counterexample: inputs that meet the claim's hypotheses and violate its "
                "statement by more than the derived tolerance, confirmed by the high-precision re-check. A refuted "
                "claim is a result about the source, not a failure of the harness."),
    ("holds-under", "The statement is false as the source gives it, but true once a hypothesis the source left out "
                    "is added; the claim names that missing hypothesis, and the check shows both halves: a "
                    "counterexample without it and no violation with it."),
    ("unconfirmed", "A violation was measured in floating point, but the high-precision re-check of the same "
                    "quantity on the same inputs could neither confirm nor dismiss it. Counted as a failure, never "
                    "as holds."),
    ("inconclusive", "A statistical test whose data neither support nor reject the statement at its stated level; "
                     "more data (splits, runs) could decide it. Neither a match nor a failure."),
    ("error", "The check itself broke (the code under test raised, hung or crashed, or the check did), or no "
              "example drawn met the claim's hypotheses. Counted as a failure, never as holds."),
    ("skipped", "The claim does not apply: the implementation lacks a method the claim needs (a loss without a "
                "Hessian, say). The row says which."),
    # how a verdict compares with what was expected
    ("expected verdict", "The verdict the claim is declared to have (holds, refuted or holds-under), written "
                         "before the check runs; the report compares the computed verdict with it."),
    ("match", "The computed verdict equals the expected one."),
    ("mismatch", "The computed verdict differs from the expected one (shown as verdict ≠ expected)."),
    # what a claim is
    ("claim", "One statement of one source, in this project's notation, with its hypotheses, its expected verdict "
              "and the check that computes its verdict. Its id is the source's key and the statement's label, such "
              "as rychlik.P1-1."),
    ("statement", "The claim as checked, written in this project's conventions (X is N × D, W is D × K, mean loss "
                  "over samples); where the source uses other conventions, the statement says how they convert."),
    ("hypotheses", "The conditions under which the statement is claimed; the check draws only examples that meet "
                   "them."),
    ("missing hypothesis", "For a holds-under claim: the condition the source did not state and without which the "
                           "statement is false."),
    ("reconstructed statement", "The source (often only its abstract) does not give the precise statement: the "
                                "claim checks the precise form it must take to be true, derived by us, and says "
                                "so. A verdict on a reconstructed statement is a verdict on that form, not on the "
                                "source's exact wording."),
    ("candidate form", "A formula the source describes but does not give (the proposed reweighted logistic loss of "
                       "Li et al.): the claim checks a candidate with the described properties, always labelled as "
                       "a candidate."),
    ("where", "The claim's place in the source: section, theorem, lemma or equation as the source gives it; "
              "'abstract' when the claim is a sentence of the abstract; 'not located in the source text we hold' "
              "when we hold only part of the source and it does not give the place."),
    ("source text we hold", "What we have of a source: for most papers the abstract and its listing page, not "
                            "the full text; theorem numbers and constants beyond it are not quoted."),
    ("lossproof's implementation contract", "The properties every implementation of the loss must have (shapes, "
                                             "the mean loss, C-order Hessian, computing in the dtype given, clear "
                                             "errors for bad input), as the README's Conventions section states "
                                             "them; the implementation claims check them."),
    ("math claim", "A claim about the mathematics, checked with the reference implementation."),
    ("implementation claim", "A claim about an implementation of the loss, run against each implementation (and "
                             "yours): that it meets lossproof's implementation contract."),
    ("method", "How a claim is checked: search (Hypothesis draws examples and shrinks a counterexample), symbolic "
               "(an exact identity in SymPy) or experiment (a run of an algorithm on constructed or real data)."),
    # evidence
    ("counterexample", "Inputs on which the statement fails, shrunk to a small example and shown with what is "
                       "needed to reproduce it."),
    ("found by search", "The counterexample came out of a Hypothesis search that also met examples that passed; "
                        "nobody supplied it."),
    ("constructed counterexample", "The check built the counterexample from the mathematics (a symmetry, an "
                                   "explicit family) instead of finding it by search, or every example is one; the "
                                   "report says how it was built."),
    ("50-digit re-check", "Every violation, and every reference value of an implementation claim, is evaluated "
                          "again in 50-digit arithmetic (mpmath) or exactly, so that a floating-point rounding "
                          "artifact is never reported as a result."),
    ("derived tolerance", "The bound a measured error is held to, derived from the dtype's machine epsilon, the "
                          "finite-difference step and the scale of the quantity; never tuned to make a check pass."),
    ("earlier run", "Numbers measured independently, in floating point, when the claim was written, shown beside "
                    "the check's own so that a reader can compare them; the verdict never rests on them."),
    ("worst error", "The largest violation seen over all examples, in the units the row names (absolute or "
                    "relative error, or a margin for an inequality), next to the tolerance it was held to."),
    ("robustness finding", "An implementation claim of kind robustness (inputs beyond the domain the other "
                           "claims draw from) that does not hold: reported apart, as a finding, not as a failure."),
    ("partial results", "Results of a check of only some claims (lossproof check --claim ...); a report built from "
                        "them says so on its first page, and covers only those claims."),
    # benchmarks
    ("unreliable timing", "A timing taken while other processes used more of the CPU than the precision of its "
                          "target allows; it is shown, but no target is judged met or missed from it."),
    ("benchmark target", "A speed or memory goal stated for given sizes (a ratio to a peer library, say); judged "
                         "only from reliable timings of the full benchmark plan."),
    ("profile", "The Hypothesis settings a run used: quick (15 examples per search), ci (40, derandomised: the "
                "default, the same examples on every run) or thorough (1500, and longer experiments)."),
)


def explained_terms() -> frozenset[str]:
    """The terms the glossary explains."""
    return frozenset(term for term, _ in GLOSSARY)

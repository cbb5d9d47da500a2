"""The reader-facing model both renderers share (verify/report/content.py), on its own: ids, counterexample
views, the error column's meanings, shared clauses, merged results."""

from __future__ import annotations

import json

import numpy as np
import pytest

from verify.harness.evidence import P_VALUE, declared_measure, worst_in_words
from verify.harness.search import Measurement
from verify.report import content


def test_slug_keeps_catalog_ids_and_never_merges_two_ids():
    assert content.slug("li2020.break.no_bias") == "li2020.break.no_bias"
    odd = ["a b", "a-b", "a\"b", "<script>", "", "a/b", "a b "]
    slugs = [content.slug(t) for t in odd]
    assert len(set(slugs)) == len(odd)
    assert all(s and all(c.isalnum() or c in "._-" for c in s) for s in slugs)


def test_counterexample_view_shapes_rounds_and_keeps_the_exact_values():
    X = np.random.default_rng(0).standard_normal((2, 3, 4))
    ev = {"counterexample": {"X": X.tolist(), "dtypes": {"X": "float64"}, "tags": {"k": 1}, "label": 3,
                             "nested": {"y": [1, 2], "ragged": [1, "a"]}, "w": "nan", "text": "t " * 50}}
    views = {v.name: v for v in content.counterexample_view(ev)}
    assert set(views) == {"X", "label", "nested / y", "nested / ragged", "w", "text"}  # tags, dtypes dropped
    x = views["X"]
    assert x.kind == "array" and x.shape == (2, 3, 4) and x.dtype == "float64"
    assert len(x.cells) == 6 and len(x.cells[0]) == 4  # leading axes flattened into rows
    assert x.cells[0][0] == f"{X[0, 0, 0]:.4g}"
    assert np.array_equal(np.array(json.loads(x.exact)), X)  # exact: every bit
    assert views["nested / y"].dtype == "integers (dtype not recorded)"
    assert views["nested / ragged"].kind == "list" and views["w"].kind == "number"
    assert views["text"].cells[0][0] == "t " * 50  # never cut


def test_arrays_of_different_shapes_are_shown_one_by_one_and_sizes_beside_arrays_dropped():
    views = content.counterexample_view({"counterexample": {"A": [[[2.0]], [[1.0, 1.0]]], "shape (n, d)": [2, 1]}})
    assert [(v.name, v.shape) for v in views] == [("A[0]", (1, 1)), ("A[1]", (1, 2))]


def test_a_large_array_is_elided_in_the_table_but_whole_in_the_exact_values():
    big = np.arange(200.0).reshape(20, 10)
    (view,) = content.counterexample_view({"counterexample": {"A": big.tolist()}})
    assert view.elided and len(view.cells) == content.SHOWN_ROWS and len(view.cells[0]) == content.SHOWN_COLUMNS
    assert np.array_equal(np.array(json.loads(view.exact)), big)


def test_the_python_line_appears_only_for_a_set_of_arrays():
    arrays = content.counterexample_view({"counterexample": {"X": [[1.5]], "Y": [[1.0, 0.0]],
                                                             "dtypes": {"X": "float32", "Y": "float32"}}})
    line = content.python_snippet(arrays)
    built = {}
    exec(line, built)
    assert built["X"].dtype == np.float32 and built["Y"].tolist() == [[1.0, 0.0]]
    mixed = content.counterexample_view({"counterexample": {"X": [[1.5]], "measured": 0.3}})
    assert content.python_snippet(mixed) == ""


@pytest.mark.parametrize("ev, measure, text", [
    ({"worst_error": 0.5, "tolerance": 2.0, "quantity": "q"}, "ratio", "0.25"),
    ({"worst_error": -0.0586, "tolerance": 7e-15, "quantity": "q"}, "margin", "-0.0586"),
    ({"worst_error": 0.0, "tolerance": 0.0, "quantity": "arguments written"}, "exact", "0"),
    ({"worst_error": 1.0, "tolerance": 0.05, "measurements": declared_measure(P_VALUE)}, "p-value", "1"),
    ({"measurements": {"checks": {"a": True, "b": False}}}, "checks", "1 of 2"),
    ({"measurements": {"identities": {"a": True}}}, "identities", "1 of 1"),
    ({"worst_error": "nan", "tolerance": 1.0}, "ratio", "nan"),
    ({}, "none", ""),
])
def test_error_cell_says_which_measure_a_number_is(ev, measure, text):
    cell = content.error_cell(ev)
    assert (cell.measure, cell.text) == (measure, text)
    assert cell.label == content.ERROR_MEASURES[measure][0]


def test_declared_measure_rejects_an_unknown_kind():
    with pytest.raises(ValueError, match="measure kind"):
        declared_measure("ratio of ratios")


def test_a_search_summary_says_what_a_zero_tolerance_or_a_negative_value_means():
    assert "exact: tolerance 0" in worst_in_words(Measurement(0.0, 0.0, "arguments written"))
    assert "holds with that margin" in worst_in_words(Measurement(-0.1, 1e-15, "bound ratio - 1"))
    assert "0.00e+00" not in worst_in_words(Measurement(0.0, 0.0, "q"))
    assert "7.1e-322" not in worst_in_words(Measurement(0.0, 7.1e-322, "q"))  # a tolerance that says nothing
    assert "7.1e-322" not in content.error_cell({"worst_error": 0.0, "tolerance": 7.1e-322}).detail


def test_clauses_split_at_top_level_only():
    assert content.clauses("a (b; c); d; e (f)") == ["a (b; c)", "d", "e (f)"]


def _row(cid, summary, impl="numpy", **ev):
    return content.Row({"id": cid, "kind": "correctness"}, impl, {"verdict": "holds", "summary": summary, **ev}, True)


def test_shared_clauses_are_said_once_and_referred_to_by_number():
    rows = [_row("a", "what a; shrunk; confirmed"), _row("b", "what b; shrunk"), _row("c", "what c; own")]
    shared = content.shared_clauses(rows)
    assert shared == ["shrunk"]
    first = content.evidence_of(rows[0], shared)
    assert first.own == ("what a", "confirmed") and first.notes == (1,)
    assert content.evidence_of(rows[2], shared).notes == ()


def test_results_that_say_the_same_are_merged_and_those_with_a_counterexample_are_not():
    rows = [_row("a", "s", "loops"), _row("a", "s", "numpy"), _row("a", "s", "sympy", counterexample={"x": 1})]
    groups = content.result_groups(rows)
    assert [[r.implementation for r in g] for g in groups] == [["loops", "numpy"], ["sympy"]]


def test_the_reproduction_names_the_plug_in_as_it_was_loaded_and_a_profile_other_than_the_default():
    row = content.Row({"id": "impl.gradient", "scope": "implementation"}, "MyLoss", {"verdict": "holds"}, True)
    results = {"profile": "thorough", "implementations": [{"name": "numpy"}, {"name": "MyLoss"}],
               "selection": {"implementation_specs": ["numpy", "my pkg/mod.py:MyLoss"]}}
    assert content.reproduction(row, results).command == (
        "lossproof check --claim impl.gradient --impl 'my pkg/mod.py:MyLoss' --hypothesis-profile thorough")
    math_row = content.Row({"id": "rychlik.S1", "scope": "math"}, "numpy", {"verdict": "refuted"}, True)
    assert content.reproduction(math_row, {"profile": "ci"}).command == "lossproof check --claim rychlik.S1"

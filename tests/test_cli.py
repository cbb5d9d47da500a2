"""The command line's habits: --version, `claims` (header, natural order, filter, JSON), `impls --json`, and
`check`'s skip reasons, plug-in summary, -q / -v and --last-failed."""

import json
import re
from pathlib import Path

import pytest

import impls
from verify.catalog import all_claims
from verify.cli import SKIP_REASON_WIDTH, build_parser, main, skip_reason


def test_version(capsys):
    """`lossproof --version` names the installed version and exits 0."""
    with pytest.raises(SystemExit) as stop:
        main(["--version"])
    assert stop.value.code == 0
    assert capsys.readouterr().out.startswith("lossproof ")


def test_claims_table_has_a_header_and_natural_order(capsys):
    """`claims` prints a header, then the ids with F2 before F10, and counts them."""
    assert main(["claims", "--claim", "folklore.*"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split()[:4] == ["claim", "expected", "scope", "method"]
    ids = [line.split()[0] for line in lines[2:] if line.startswith("folklore.")]
    assert ids == [f"folklore.F{i}" for i in range(1, 18)]
    assert lines[-1] == "17 claims"


def test_claims_json_is_every_selected_claims_description(capsys):
    """`claims --json` gives the same descriptions the results document carries, for the claims selected."""
    assert main(["claims", "--json", "--claim", "impl.*"]) == 0
    listed = json.loads(capsys.readouterr().out)
    expected = sorted((c.describe() for c in all_claims("implementation")), key=lambda d: d["id"])
    assert sorted(listed, key=lambda d: d["id"]) == expected


def test_claims_filter_matching_nothing_is_an_error(capsys):
    assert main(["claims", "--claim", "no.such.claim"]) == 2
    assert "no claim id matches no.such.claim" in capsys.readouterr().err


def test_impls_json_lists_what_each_implementation_declares(capsys):
    """`impls --json`: one object per registered implementation with its dtypes and methods."""
    assert main(["impls", "--json"]) == 0
    listed = {d["name"]: d for d in json.loads(capsys.readouterr().out)}
    assert set(listed) == set(impls.names())
    assert listed["numpy"]["dtypes"] == ["float32", "float64"]
    assert {"loss", "grad"} <= set(listed["loops"]["methods"])


# --------------------------------------------------------------------------
# `check`: why a row was skipped, the closing line for a plug-in, -q / -v, --last-failed.
# Tiny selections under the quick profile, serially (--jobs 1): seconds each.

MINIMAL = f"{Path(__file__).parent / 'user_impls.py'}:MinimalSoftmaxCE"  # loss and grad only, declares nothing
BUGGY = "tests.corpus.grad_missing_one_over_n:Impl"  # its grad lacks the 1/N: impl.gradient is refuted
QUICK = ["--hypothesis-profile", "quick", "--jobs", "1"]


def _check(tmp_path, *argv):
    return main(["check", *QUICK, "--json", str(tmp_path / "check.json"), *argv])


def _table_rows(out: str) -> dict:
    """(claim, implementation) -> the row's cells, from the table `check` prints."""
    rows = {}
    for line in out.splitlines():
        cells = line.split()
        if len(cells) >= 4 and cells[0].startswith(("impl.", "folklore.")):
            rows[cells[0], cells[1]] = line
    return rows


def _progress(err: str) -> list[tuple]:
    """(done, total, claim, implementation) of each progress line on stderr."""
    found = (re.match(r"\[\s*(\d+)/(\d+)\] \S+ (\S+) \[(.+?)\] ", line) for line in err.splitlines())
    return [(int(m[1]), int(m[2]), m[3], m[4]) for m in found if m]


def test_skip_reason_keeps_what_the_implementation_lacks():
    assert skip_reason("skipped: the implementation has no hessian, hvp") == "no hessian, hvp"
    assert skip_reason("skipped: the implementation declares hessian=False") == "declares hessian=False"
    assert skip_reason("skipped: the implementation does not declare sample weights") == "does not declare sample weights"
    assert skip_reason("needs scikit-learn: pip install 'lossproof[datasets]'") == "needs scikit-learn"
    assert len(skip_reason("skipped: " + "a very long reason " * 10)) == SKIP_REASON_WIDTH
    assert skip_reason(None) == ""


def test_a_correct_plugin_reads_as_success_and_says_why_rows_were_skipped(tmp_path, capsys):
    """A plug-in with loss and grad only: each skipped row names what it lacks, and the closing line is a success."""
    code = _check(tmp_path, "--impl", MINIMAL, "-q", "--claim", "impl.gradient", "--claim", "impl.probs",
                  "--claim", "impl.hessian", "--claim", "impl.sample_weight")
    out = capsys.readouterr().out
    assert code == 0
    rows = _table_rows(out)
    name = MINIMAL  # a class without a name is shown by its import path
    assert rows["impl.probs", name].endswith("skipped (no probs)")
    assert rows["impl.hessian", name].endswith("skipped (no hessian)")
    assert rows["impl.sample_weight", name].endswith("skipped (does not declare sample weights)")
    assert rows["impl.gradient", name].endswith("ok")
    assert ("the one applicable claim holds; 3 not applicable: impl.hessian (no hessian), impl.probs (no probs), "
            "impl.sample_weight (does not declare sample weights). Results:") in out


def test_a_plugin_with_a_mismatch_keeps_the_full_summary(tmp_path, capsys):
    assert _check(tmp_path, "--impl", BUGGY, "-q", "--claim", "impl.gradient", "--claim", "impl.loss_value") == 1
    out = capsys.readouterr().out
    assert "1 of 2 verdicts match their expectation; 1 mismatched, 0 skipped." in out
    assert "applicable" not in out


def test_the_registered_implementations_keep_the_verdict_count(tmp_path, capsys):
    assert _check(tmp_path, "-q", "--claim", "impl.probs") == 0
    assert f"{len(impls.names())} of {len(impls.names())} verdicts match their expectation; 0 mismatched, 0 skipped." \
        in capsys.readouterr().out


@pytest.mark.parametrize("flag, progress_lines, summary_lines", [("-q", 0, 0), (None, 2, 0), ("-v", 2, 2)])
def test_quiet_and_verbose_progress(tmp_path, capsys, flag, progress_lines, summary_lines):
    """-q: no progress lines; default: one per claim; -v: each claim's evidence summary under its line."""
    argv = ["--impl", "numpy", "--claim", "impl.probs", "--claim", "impl.loss_value"] + ([flag] if flag else [])
    assert _check(tmp_path, *argv) == 0
    err = capsys.readouterr().err.splitlines()
    assert len(_progress("\n".join(err))) == progress_lines
    assert sum("no violation in" in line and line.startswith(" ") for line in err) == summary_lines


def test_quiet_and_verbose_exclude_each_other_on_check_and_report(capsys):
    for command in ("check", "report"):
        with pytest.raises(SystemExit) as stop:
            main([command, "-q", "-v"])
        assert stop.value.code == 2
        assert "not allowed with argument" in capsys.readouterr().err
    assert build_parser().parse_args(["report", "-v"]).verbose


def test_last_failed_without_a_previous_document_is_a_one_line_error(tmp_path, capsys):
    assert _check(tmp_path, "--last-failed") == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "--last-failed: no results of a previous check at" in err


def test_last_failed_when_everything_matched_runs_nothing(tmp_path, capsys):
    assert _check(tmp_path, "-q", "--impl", MINIMAL, "--claim", "impl.loss_value", "--claim", "impl.probs") == 0
    written = (tmp_path / "check.json").read_text(encoding="utf-8")
    capsys.readouterr()
    assert _check(tmp_path, "--last-failed") == 0
    assert capsys.readouterr().out.startswith("nothing failed last time")
    assert (tmp_path / "check.json").read_text(encoding="utf-8") == written


def test_last_failed_reruns_only_what_failed_with_the_same_implementation(tmp_path, capsys):
    """A refuted claim is rerun alone, against the implementation the last run loaded (no --impl needed)."""
    assert _check(tmp_path, "-q", "--impl", BUGGY, "--claim", "impl.gradient", "--claim", "impl.loss_value") == 1
    capsys.readouterr()
    assert _check(tmp_path, "--last-failed") == 1
    err = capsys.readouterr().err
    assert _progress(err) == [(1, 1, "impl.gradient", "corpus:grad_missing_one_over_n")]
    doc = json.loads((tmp_path / "check.json").read_text(encoding="utf-8"))
    assert [(r["claim"]["id"], r["matches"]) for r in doc["results"]] == [("impl.gradient", False)]
    assert doc["selection"]["partial"] and doc["selection"]["implementation_specs"] == [BUGGY]
    # --claim narrows the rerun; nothing of what failed matches impl.probs
    assert _check(tmp_path, "--last-failed", "--claim", "impl.probs") == 0
    assert "nothing failed last time among the claims matching impl.probs" in capsys.readouterr().out
    # an implementation that did not fail last time is not the one to rerun
    assert _check(tmp_path, "--last-failed", "--impl", MINIMAL) == 2
    assert "corpus:grad_missing_one_over_n failed last time but is not among --impl" in capsys.readouterr().err


def test_last_failed_selects_the_failed_pairs_of_the_document(tmp_path, capsys):
    """The pairs marked as not matching in the last document, math and implementation claims alike, and no other.

    The document is a real check's, with two entries marked as failed: the
    rerun's selection is what is tested here, not a verdict.
    """
    assert _check(tmp_path, "-q", "--claim", "impl.probs", "--claim", "impl.loss_value", "--claim", "folklore.F13") == 0
    path = tmp_path / "check.json"
    doc = json.loads(path.read_text(encoding="utf-8"))
    marked = {("folklore.F13", "numpy"), ("impl.probs", "loops")}
    for entry in doc["results"]:
        if (entry["claim"]["id"], entry["implementation"]) in marked:
            entry["matches"] = False
    path.write_text(json.dumps(doc), encoding="utf-8")
    capsys.readouterr()
    assert _check(tmp_path, "--last-failed") == 0  # both match when run again
    progress = _progress(capsys.readouterr().err)
    assert {(claim, impl) for _, _, claim, impl in progress} == marked
    assert sorted((done, total) for done, total, _, _ in progress) == [(1, 2), (2, 2)]
    rerun = json.loads(path.read_text(encoding="utf-8"))
    assert {(r["claim"]["id"], r["implementation"]) for r in rerun["results"]} == marked


def test_plugin_summary_keeps_the_inconclusive_and_robustness_wording():
    """Nothing mismatched but not everything held: the count of what holds, then the full run's wording for the rest."""
    from verify.harness import results as results_doc
    from verify.harness.claims import INCONCLUSIVE, ClaimResult, Evidence
    from verify.cli import plugin_summary_line

    by_id = {c.id: c for c in all_claims("implementation")}
    assert by_id["impl.domain_edge"].kind == "robustness"
    results = [
        ClaimResult(by_id["impl.gradient"], "mine", Evidence("holds", summary="held")),
        ClaimResult(by_id["impl.domain_edge"], "mine", Evidence("refuted", summary="overflow beyond the domain")),
        ClaimResult(by_id["impl.loss_value"], "mine", Evidence(INCONCLUSIVE, summary="could not decide")),
        ClaimResult(by_id["impl.probs"], "mine", Evidence("skipped", summary="skipped: the implementation has no probs")),
    ]
    line = plugin_summary_line(results, results_doc.summarize(results))
    assert line == ("1 of 3 applicable claims hold, 1 inconclusive, 1 robustness finding (beyond the input domain); "
                    "1 not applicable: impl.probs (no probs).")

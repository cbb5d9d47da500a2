"""The verdicts `unconfirmed` and `inconclusive` (and constructed counterexamples) through the results document,
the CLI's table, summary and exit status, and the HTML/PDF report."""

from html.parser import HTMLParser

import pytest

import impls
from verify import cli
from verify.catalog import all_claims
from verify.harness import results as results_doc
from verify.harness.claims import INCONCLUSIVE, UNCONFIRMED, Claim, ClaimResult, Evidence
from verify.report import content, write_report


def claim(cid: str) -> Claim:
    return next(c for c in all_claims() if c.id == cid)


def result(cid: str, verdict: str, **fields) -> ClaimResult:
    return ClaimResult(claim(cid), "numpy", Evidence(verdict=verdict, summary=f"{cid} said {verdict}", examples=4, **fields))


CONSTRUCTION = "W2 = W1 + c 1^T built inside the measurement"


@pytest.fixture
def mixed():
    """One result of each kind: a match, an unconfirmed violation, an inconclusive test, a constructed refutation."""
    matched = result("folklore.F13", claim("folklore.F13").expected)
    unconfirmed = result("impl.gradient", UNCONFIRMED, counterexample={"X": [[1.0]]}, found_by_search=True,
                         high_precision={"method": "50-digit mpmath", "confirmed": None, "finding": "the re-check raised OverflowError"})
    inconclusive = result("li2020.B5", INCONCLUSIVE)
    constructed = result("folklore.F12", "refuted", counterexample={"c": 1.0}, found_by_search=False, construction=CONSTRUCTION)
    return [matched, unconfirmed, inconclusive, constructed]


def test_a_claim_cannot_expect_inconclusive_or_unconfirmed():
    base = claim("li2020.B5")
    for verdict in (INCONCLUSIVE, UNCONFIRMED):
        with pytest.raises(ValueError, match="expected verdict must be one of"):
            Claim(**{**{f: getattr(base, f) for f in Claim.__dataclass_fields__}, "expected": verdict})


def test_summary_counts_unconfirmed_as_a_mismatch_and_inconclusive_apart(mixed):
    s = results_doc.summarize(mixed)
    expected_f12 = claim("folklore.F12").expected == "refuted"
    assert s["unconfirmed"] == 1 and s["inconclusive"] == 1 and s["skipped"] == 0
    assert s["mismatched"] == 1 + (not expected_f12)  # the unconfirmed one (F12 matches when it expects refuted)
    assert s["matched"] + s["mismatched"] + s["skipped"] + s["inconclusive"] == s["total"] == 4


def test_exit_status_ranks_mismatch_over_inconclusive_over_match():
    assert cli.exit_status({"mismatched": 0, "inconclusive": 0}) == cli.EXIT_MATCHED == 0
    assert cli.exit_status({"mismatched": 0, "inconclusive": 2}) == cli.EXIT_INCONCLUSIVE == 3
    assert cli.exit_status({"mismatched": 1, "inconclusive": 2}) == cli.EXIT_MISMATCHED == 1
    assert cli.exit_status({"mismatched": 0}) == 0  # a document written before 'inconclusive' existed


def test_table_marks_each_kind(mixed):
    import io

    out = io.StringIO()
    cli.print_table(mixed, out)
    rows = {line.split()[0]: line.split()[-1] for line in out.getvalue().splitlines()[2:]}
    assert rows["folklore.F13"] == "ok"
    assert rows["impl.gradient"] == "UNCONFIRMED"
    assert rows["li2020.B5"] == "INCONCLUSIVE"


@pytest.mark.parametrize("verdict, status", [(INCONCLUSIVE, 3), (UNCONFIRMED, 1)])
def test_check_command_explains_the_verdict_and_exits_with_its_status(verdict, status, tmp_path, monkeypatch, capsys):
    import verify.harness.runner as runner

    monkeypatch.setattr(runner, "run", lambda *a, **k: [result("li2020.B5", verdict)])
    rc = cli.main(["check", "--jobs", "1", "--quiet", "--claim", "li2020.B5", "--json", str(tmp_path / "c.json")])
    out = capsys.readouterr().out
    assert rc == status
    assert f"{verdict}: {results_doc.VERDICT_MEANING[verdict]}" in out
    assert f"1 {verdict}" in out  # the summary line counts it
    written = results_doc.read(tmp_path / "c.json")["summary"]
    assert written[verdict] == 1


class Text(HTMLParser):
    def __init__(self):
        super().__init__()
        self.classes, self.text = [], []

    def handle_starttag(self, tag, attrs):
        self.classes += (dict(attrs).get("class") or "").split()

    def handle_data(self, data):
        self.text.append(data)


def test_report_colours_counts_and_explains_both_verdicts_and_labels_constructed(mixed, tmp_path):
    doc = results_doc.build(mixed, [impls.get("numpy")], "ci")
    html_path, pdf_path = write_report(doc, None, tmp_path)
    parser = Text()
    parser.feed(html_path.read_text(encoding="utf-8"))
    text = " ".join(parser.text)
    assert {"v-unconfirmed", "v-inconclusive", "inconclusive", "mismatch", "constructed"} <= set(parser.classes)
    for verdict in (UNCONFIRMED, INCONCLUSIVE):
        assert results_doc.VERDICT_MEANING[verdict] in text  # the legend on the first page
    assert "constructed counterexample" in text and CONSTRUCTION in text
    assert "could neither confirm nor dismiss" in text and "OverflowError" in text
    # The inconclusive row is not counted as a mismatch of its section; the unconfirmed one is.
    report = content.build(doc)
    by_key = {s.key: s for s in report.sections}
    assert [r.id for r in by_key["li2020"].inconclusive] == ["li2020.B5"] and not by_key["li2020"].mismatches
    assert [r.id for r in by_key["impl"].mismatches] == ["impl.gradient"]
    assert by_key["impl"].counts()[UNCONFIRMED] == 1
    pypdf = pytest.importorskip("pypdf")
    pdf_text = " ".join(" ".join(page.extract_text().split()) for page in pypdf.PdfReader(pdf_path).pages)
    assert "constructed counterexample" in pdf_text and "inconclusive" in pdf_text and "unconfirmed" in pdf_text


def test_a_counterexample_found_by_search_is_not_labelled_constructed():
    ev = {"counterexample": {"x": 1}, "found_by_search": True, "high_precision": {"method": "mpmath", "confirmed": True}}
    assert not content.is_constructed(ev)
    assert "found by search" in content.evidence_text(ev) and "confirmed with mpmath" in content.evidence_text(ev)
    dismissed = {**ev, "high_precision": {"method": "mpmath", "confirmed": False}}
    assert "dismissed by mpmath" in content.evidence_text(dismissed)

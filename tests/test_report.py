"""The report: HTML that parses and shows every claim and figure, a valid PDF with a section per source, atomic writes."""

import json
import subprocess
import sys
from html.parser import HTMLParser

import impls
import pytest

from verify.catalog import all_claims
from verify.harness import results as results_doc
from verify.harness.claims import ClaimResult, Evidence
from verify.report import build, content, write_report
from verify.harness.runner import run

FIGURE = {"title": "a figure", "xlabel": "iteration k", "ylabel": "loss", "series": [{"label": "run", "x": [1, 10, 100], "y": [1.0, 0.1, 0.01]}]}


class Collector(HTMLParser):
    def __init__(self):
        super().__init__()
        self.ids, self.images, self.text = set(), 0, []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if "id" in attrs:
            self.ids.add(attrs["id"])
        if tag == "img" and attrs.get("src", "").startswith("data:image/png;base64,"):
            self.images += 1

    def handle_data(self, data):
        self.text.append(data)


@pytest.fixture(scope="module")
def every_claim_doc():
    """A results document with one result per registered claim, each carrying one figure (renderer test data)."""
    results = [
        ClaimResult(c, "numpy", Evidence(verdict=c.expected, summary=f"rendered {c.id}", examples=3, figures=[dict(FIGURE, title=c.id)]))
        for c in all_claims()
    ]
    return results_doc.build(results, [impls.get("numpy")], "ci")


@pytest.fixture(scope="module")
def written(every_claim_doc, tmp_path_factory):
    """The report of every claim, written once for the tests that only read it."""
    return write_report(every_claim_doc, None, tmp_path_factory.mktemp("report"))


def test_html_parses_and_shows_every_claim_verdict_and_figure(every_claim_doc, written):
    html_path, _ = written
    parser = Collector()
    parser.feed(html_path.read_text(encoding="utf-8"))
    parser.close()
    text = " ".join(parser.text)
    for item in every_claim_doc["results"]:
        assert item["claim"]["id"] in parser.ids, f"no element for {item['claim']['id']}"
        assert item["evidence"]["verdict"] in text
    assert parser.images == len(every_claim_doc["results"])


def test_pdf_is_valid_with_one_section_per_source(every_claim_doc, written):
    pypdf = pytest.importorskip("pypdf")
    _, pdf_path = written
    assert pdf_path.read_bytes().startswith(b"%PDF-")
    reader = pypdf.PdfReader(str(pdf_path))
    titles = [o.title for o in reader.outline if not isinstance(o, list)]
    report = content.build(every_claim_doc)
    for section in report.sections:
        assert section.title in titles
    assert "Environment" in titles and "Benchmarks" in titles


def test_failed_build_leaves_the_previous_report_intact(every_claim_doc, written, monkeypatch):
    html_path, pdf_path = written
    before = html_path.read_bytes(), pdf_path.read_bytes()

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(build.pdf, "render", interrupted)
    with pytest.raises(KeyboardInterrupt):
        write_report(every_claim_doc, None, html_path.parent)
    assert (html_path.read_bytes(), pdf_path.read_bytes()) == before


def test_report_cli_from_a_real_results_file(tmp_path):
    """Two real claims run, then `lossproof report --from` builds both files without re-running anything."""
    ce = impls.get("numpy")
    results = run(all_claims(), [ce], patterns=["impl.gradient", "impl.loss_value"], include_math=False)
    path = tmp_path / "results.json"
    chosen = results_doc.selection(["impl.gradient", "impl.loss_value"], math_claims=False)
    results_doc.write(results_doc.build(results, [ce], "ci", chosen), path)
    proc = subprocess.run([sys.executable, "-m", "verify.cli", "report", "--from", str(path), "--out", str(tmp_path / "out"), "--no-bench"],
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    html = (tmp_path / "out" / "index.html").read_text(encoding="utf-8")
    assert "impl.gradient" in html and (tmp_path / "out" / "report.pdf").exists()
    assert json.loads(path.read_text())["schema"] == results_doc.SCHEMA
    # A partial run says so on the first page of both, before any section.
    notice = "This report is built from a partial run (only the claims matching impl.gradient, impl.loss_value; no math claims)"
    assert html.index(notice) < html.index('id="summary"') + 200
    from pypdf import PdfReader

    opening = " ".join(" ".join(page.extract_text().split()) for page in PdfReader(tmp_path / "out" / "report.pdf").pages[:2])
    assert notice in opening


def test_a_partial_check_leaves_the_reports_results_alone(tmp_path, monkeypatch):
    """`lossproof check --claim X` writes reports/check.json, marked partial; reports/results.json is the report's."""
    from verify.cli import main

    monkeypatch.chdir(tmp_path)
    (tmp_path / "reports").mkdir()
    (tmp_path / "reports" / "results.json").write_text("the report's results", encoding="utf-8")
    assert main(["check", "--jobs", "1", "--quiet", "--claim", "folklore.F13"]) == 0
    assert (tmp_path / "reports" / "results.json").read_text(encoding="utf-8") == "the report's results"
    written = json.loads((tmp_path / "reports" / "check.json").read_text(encoding="utf-8"))
    assert written["selection"] == {"partial": True, "claim_patterns": ["folklore.F13"], "math_claims": True,
                                    "implementations": "every registered one",
                                    "implementation_specs": list(impls.names())}


def test_report_cli_measures_only_when_nothing_was_measured(tmp_path, monkeypatch):
    """The command runs the built-in benchmark (quick plan) when there is neither OUT/bench.json nor asv results, unless
    --no-bench; the report then reads OUT/bench.json, and a second report reads it without measuring again; --bench
    full measures the full plan once over saved quick results."""
    from verify import bench
    from verify.cli import main
    from verify.report import benchmarks

    monkeypatch.chdir(tmp_path)  # asv's results directory is relative: none here
    claim = all_claims()[0]
    results_path = tmp_path / "results.json"
    evidence = Evidence(verdict=claim.expected, summary="rendered")
    results_doc.write(results_doc.build([ClaimResult(claim, "numpy", evidence)], [impls.get("numpy")], "ci"), results_path)
    plans = []

    def fake_run(plan, sections=bench.SECTIONS, progress=None):
        plans.append(plan.name)
        return {"schema": bench.SCHEMA, "created": "measured once", "plan": {"name": plan.name}, "environment": {},
                **{section: [] for section in bench.SECTIONS}, "targets": []}

    monkeypatch.setattr(bench, "run", fake_run)
    assert benchmarks.gather(tmp_path) is None and plans == []  # the report alone never measures
    out = tmp_path / "out"
    report = ["report", "--from", str(results_path), "--out", str(out)]
    assert main(report + ["--no-bench"]) == 0
    assert plans == [] and not (out / "bench.json").exists()
    assert main(report) == 0  # the default, --bench quick: the quick plan
    assert plans == ["quick"] and bench.read(out / "bench.json")["created"] == "measured once"
    assert main(report) == 0
    assert plans == ["quick"]
    assert main(report + ["--bench", "full"]) == 0  # saved results of another plan: --bench full measures the full plan
    assert plans == ["quick", "full"]
    assert main(report + ["--bench", "full"]) == 0
    assert plans == ["quick", "full"]

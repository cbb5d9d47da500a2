"""Every file the command line reads or writes fails as one line, ``lossproof: error: PATH: reason``, exit 2;
results files are validated against verify/harness/results.schema.json before anything reads them."""

from __future__ import annotations

import copy
import json
import os
import subprocess
import tomllib
from fnmatch import fnmatch
from pathlib import Path

import pytest

import impls
from verify.catalog import all_claims
from verify.cli import EXIT_USAGE, main
from verify.harness import files
from verify.harness import results as results_doc
from verify.harness.claims import ClaimResult, Evidence
from verify.harness.runner import run

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def real_document():
    """A real run: one math claim and one implementation claim against the NumPy implementation."""
    ce = impls.get("numpy")
    results = run(all_claims(), [ce], patterns=["folklore.F13", "impl.loss_value"])
    return results_doc.build(results, [ce], "ci", results_doc.selection(["folklore.F13", "impl.loss_value"]))


@pytest.fixture
def results_file(tmp_path, real_document):
    path = tmp_path / "results.json"
    results_doc.write(real_document, path)
    return path


@pytest.fixture
def read_only_folder(tmp_path):
    """A folder where no file can be created: mode 555, or for root (whom modes do not stop) sysfs."""
    if os.geteuid() != 0:
        folder = tmp_path / "read-only"
        folder.mkdir()
        folder.chmod(0o555)
        yield folder
        folder.chmod(0o755)
        return
    folder = Path("/sys")
    try:
        files.check_writable(folder / "lossproof-probe.json")
    except files.FileProblem:
        yield folder
        return
    pytest.skip("running as root with no read-only folder at hand")


def one_error(capsys, argv) -> str:
    """Run ``lossproof ARGV``; it must exit 2 with one error line last on stderr (after at most the command's
    own "lossproof: ..." notices: no traceback) and nothing on stdout; returns that line."""
    code = main(argv)
    captured = capsys.readouterr()
    assert code == EXIT_USAGE, captured
    lines = captured.err.splitlines()
    assert lines and lines[-1].startswith("lossproof: error: "), captured.err
    assert all(line.startswith("lossproof: ") and "error" not in line for line in lines[:-1]), captured.err
    assert captured.out == "", captured.out
    return lines[-1]


# --------------------------------------------------------------------------
# Writing


def test_check_json_to_a_folder(tmp_path, capsys):
    assert one_error(capsys, ["check", "--claim", "folklore.F13", "--json", str(tmp_path)]) == \
        f"lossproof: error: {tmp_path}: is a folder, not a file"


def test_check_json_under_a_file(tmp_path, capsys):
    (tmp_path / "plain").write_text("x")
    target = tmp_path / "plain" / "check.json"
    assert one_error(capsys, ["check", "--claim", "folklore.F13", "--json", str(target)]) == \
        f"lossproof: error: {target}: {tmp_path / 'plain'} is a file, not a folder"


def test_check_json_in_a_read_only_folder(read_only_folder, capsys):
    target = read_only_folder / "check.json"
    line = one_error(capsys, ["check", "--claim", "folklore.F13", "--json", str(target)])
    assert line.startswith(f"lossproof: error: {target}: cannot create a file in {read_only_folder}: ")
    assert not target.exists()


def test_bench_json_to_a_folder_fails_before_measuring(tmp_path, capsys):
    assert one_error(capsys, ["bench", "--quick", "--json", str(tmp_path)]) == \
        f"lossproof: error: {tmp_path}: is a folder, not a file"


@pytest.mark.parametrize("where", ["a file", "under a file", "read-only"])
def test_report_out_problems(tmp_path, results_file, read_only_folder, capsys, where):
    (tmp_path / "plain").write_text("x")
    out, reason = {
        "a file": (tmp_path / "plain", "is a file, not a folder"),
        "under a file": (tmp_path / "plain" / "out", f"{tmp_path / 'plain'} is a file, not a folder"),
        "read-only": (read_only_folder / "out", None),
    }[where]
    line = one_error(capsys, ["report", "--from", str(results_file), "--out", str(out), "--no-bench"])
    assert line.startswith(f"lossproof: error: {out}: ")
    if reason:
        assert line == f"lossproof: error: {out}: {reason}"


@pytest.mark.parametrize("name", [".report", "index.html"])
def test_a_folder_in_the_way_of_the_report_is_named(tmp_path, results_file, capsys, name):
    out = tmp_path / "out"
    (out / name).mkdir(parents=True)
    assert one_error(capsys, ["report", "--from", str(results_file), "--out", str(out), "--no-bench"]) == \
        f"lossproof: error: {out / name}: is a folder, not a file"


def test_interrupted_write_leaves_the_old_file_and_no_temporary(tmp_path, monkeypatch):
    target = tmp_path / "index.html"
    target.write_bytes(b"old")

    def interrupted(src, dst):
        raise KeyboardInterrupt

    monkeypatch.setattr(files.os, "replace", interrupted)
    with pytest.raises(KeyboardInterrupt):
        files.write_bytes(target, b"new")
    assert target.read_bytes() == b"old"
    assert [p.name for p in tmp_path.iterdir()] == ["index.html"]


def test_a_failed_rename_is_a_file_problem_and_leaves_no_temporary(tmp_path, monkeypatch):
    target = tmp_path / "check.json"

    def refused(src, dst):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(files.os, "replace", refused)
    with pytest.raises(files.FileProblem, match=r"check\.json: permission denied$"):
        files.write_bytes(target, b"new")
    assert list(tmp_path.iterdir()) == []


# --------------------------------------------------------------------------
# Reading


@pytest.mark.parametrize("content, reason", [
    (None, "no such file"),
    ("", "is empty, not JSON"),
    ("{", "not JSON: Expecting property name enclosed in double quotes at line 1, column 2"),
    (b"\xff\xfe", "not UTF-8 text (byte 0 is 0xff)"),
    ("[]", "$: expected an object, got an array"),
    ('{"schema": "lossproof.bench/1"}', "$.schema: expected 'lossproof.results/1' (a lossproof results document), "
                                        'got a string "lossproof.bench/1"'),
])
def test_report_from_a_broken_file(tmp_path, capsys, content, reason):
    path = tmp_path / "results.json"
    if isinstance(content, str):
        path.write_text(content, encoding="utf-8")
    elif content is not None:
        path.write_bytes(content)
    assert one_error(capsys, ["report", "--from", str(path), "--out", str(tmp_path / "out"), "--no-bench"]) == \
        f"lossproof: error: {path}: {reason}"
    assert not (tmp_path / "out" / "index.html").exists()


def test_report_from_a_folder(tmp_path, capsys):
    assert one_error(capsys, ["report", "--from", str(tmp_path), "--out", str(tmp_path / "out"), "--no-bench"]) == \
        f"lossproof: error: {tmp_path}: is a folder, not a file"


def test_report_from_an_unreadable_file(results_file, tmp_path, capsys):
    if os.geteuid() == 0:
        pytest.skip("root reads a file of mode 000")
    results_file.chmod(0)
    try:
        assert one_error(capsys, ["report", "--from", str(results_file), "--out", str(tmp_path / "out"), "--no-bench"]) \
            == f"lossproof: error: {results_file}: permission denied"
    finally:
        results_file.chmod(0o644)


# (what is changed, the JSON path named, what the message says was expected)
WRONG_SHAPES = [
    (lambda d: d["results"][1]["evidence"].__setitem__("worst_error", "abc"), "$.results[1].evidence.worst_error",
     "expected a number, null, or 'inf', '-inf' or 'nan', got a string \"abc\""),
    (lambda d: d["results"][1]["evidence"].__setitem__("worst_error", [1.0]), "$.results[1].evidence.worst_error",
     "expected a number, null or 'inf', '-inf' or 'nan', got an array"),
    (lambda d: d["results"][0].pop("evidence"), "$.results[0]", "missing the required property 'evidence'"),
    (lambda d: d["results"].__setitem__(0, "a result"), "$.results[0]", 'expected an object, got a string "a result"'),
    (lambda d: d.__setitem__("results", {}), "$.results", "expected an array, got an object"),
    (lambda d: d["results"][0]["claim"]["source"].__setitem__("year", "2020"), "$.results[0].claim.source.year",
     'expected an integer or null, got a string "2020"'),
    (lambda d: d["results"][0]["claim"].__setitem__("id", ""), "$.results[0].claim.id", "expected a non-empty string"),
    (lambda d: d["results"][0]["claim"].__setitem__("scope", "both"), "$.results[0].claim.scope",
     'expected one of "math", "implementation", "kernel", got a string "both"'),
    (lambda d: d["results"][0].__setitem__("matches", "yes"), "$.results[0].matches", "expected a boolean"),
    (lambda d: d["results"][0]["evidence"].__setitem__("examples", True), "$.results[0].evidence.examples",
     "expected an integer, got a boolean true"),
    (lambda d: d["results"][0]["evidence"].__setitem__("figures", [{"kind": "bar", "title": "t"}]),
     "$.results[0].evidence.figures[0]", "missing the required property 'labels'"),
    (lambda d: d["summary"].__setitem__("total", -1), "$.summary.total", "expected at least 0, got an integer -1"),
    (lambda d: d["summary"].pop("matched"), "$.summary", "missing the required property 'matched'"),
    (lambda d: d["implementations"][0].__setitem__("capabilities", None), "$.implementations[0].capabilities",
     "expected an object, got null"),
    (lambda d: d.pop("environment"), "$", "missing the required property 'environment'"),
]


@pytest.mark.parametrize("change, where, expected", WRONG_SHAPES, ids=[w[1] + " " + w[2][:30] for w in WRONG_SHAPES])
def test_a_wrong_shape_names_the_file_the_json_path_and_what_was_expected(tmp_path, capsys, real_document,
                                                                          change, where, expected):
    document = copy.deepcopy(real_document)
    change(document)
    path = tmp_path / "results.json"
    path.write_text(json.dumps(document), encoding="utf-8")
    line = one_error(capsys, ["report", "--from", str(path), "--out", str(tmp_path / "out"), "--no-bench"])
    assert line.startswith(f"lossproof: error: {path}: {where}: {expected}"), line


def test_last_failed_reads_through_the_schema(tmp_path, capsys, real_document):
    document = copy.deepcopy(real_document)
    document["results"][0]["evidence"]["verdict"] = 3
    path = tmp_path / "check.json"
    path.write_text(json.dumps(document), encoding="utf-8")
    assert one_error(capsys, ["check", "--last-failed", "--json", str(path)]) == \
        f"lossproof: error: {path}: $.results[0].evidence.verdict: expected a string, got an integer 3"


@pytest.mark.parametrize("content, reason", [
    ("not json", "not JSON: Expecting value at line 1, column 1"),
    ('{"schema": "lossproof.bench/1"}', "created: expected str, got NoneType"),
])
def test_a_broken_bench_json_beside_the_report(tmp_path, results_file, capsys, monkeypatch, content, reason):
    monkeypatch.chdir(tmp_path)  # no asv results here
    out = tmp_path / "out"
    out.mkdir()
    (out / "bench.json").write_text(content, encoding="utf-8")
    assert one_error(capsys, ["report", "--from", str(results_file), "--out", str(out), "--no-bench"]) == \
        f"lossproof: error: {out / 'bench.json'}: {reason}"


# --------------------------------------------------------------------------
# Plug-ins that cannot be loaded


@pytest.mark.parametrize("source, reason", [
    ("raise RuntimeError('broken at import')\n", "raised RuntimeError: broken at import"),
    ("class Impl:\n    def __init__(self):\n        raise RuntimeError('broken constructor')\n",
     "raised RuntimeError: broken constructor"),
])
def test_a_plugin_that_raises_while_loading_is_one_line(tmp_path, capsys, monkeypatch, source, reason):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "broken_plugin.py").write_text(source, encoding="utf-8")
    line = one_error(capsys, ["check", "--impl", "broken_plugin.py:Impl", "--jobs", "1", "--json", str(tmp_path / "c.json")])
    assert "broken_plugin.py" in line and reason in line


# --------------------------------------------------------------------------
# The schema itself


def test_the_schema_is_valid_and_shipped():
    import jsonschema

    jsonschema.Draft202012Validator.check_schema(json.loads(results_doc.SCHEMA_FILE.read_text(encoding="utf-8")))
    package_data = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["setuptools"]["package-data"]
    assert any(fnmatch(results_doc.SCHEMA_FILE.name, pattern) for pattern in package_data.get("verify.harness", []))
    if (ROOT / ".git").exists():  # not ignored by `results*.json` in .gitignore
        ignored = subprocess.run(["git", "check-ignore", "-q", str(results_doc.SCHEMA_FILE)], cwd=ROOT)
        assert ignored.returncode == 1


def test_real_documents_fit_the_schema(real_document, results_file):
    """A real run's document, and one with every registered claim's description and a figure of each kind."""
    assert results_doc.read(results_file) == json.loads(results_file.read_text(encoding="utf-8"))
    figures = [{"title": "lines", "series": [{"label": "a", "x": [1, 2], "y": [1.0, "inf"]}]},
               {"kind": "matrix", "title": "m", "rows": [[1.0, "nan"]], "row_labels": ["r"], "col_labels": ["a", "b"]},
               {"kind": "bar", "title": "b", "labels": ["x"], "values": [2.0], "ylabel": "v"}]
    every = [ClaimResult(c, "numpy", Evidence(verdict=c.expected, summary="s", examples=1, worst_error=float("inf"),
                                              tolerance=1e-12, figures=figures)) for c in all_claims()]
    results_doc.validate(results_doc.build(every, [impls.get(n) for n in impls.names()], "ci"), "every-claim")


FIGURES = [{"title": "lines", "series": [{"label": "a", "x": [1, 2], "y": [1.0, "inf"]}]},
           {"kind": "matrix", "title": "m", "rows": [[1.0, "nan"]], "row_labels": ["r"], "col_labels": ["a", "b"]},
           {"kind": "bar", "title": "b", "labels": ["x"], "values": [2.0], "ylabel": "v"}]


def _places(value, path=()):
    """Every place in a JSON value (the first two items of each array), as key paths, deepest first."""
    if isinstance(value, dict):
        for key, item in value.items():
            yield from _places(item, path + (key,))
    elif isinstance(value, list):
        for i, item in enumerate(value[:2]):
            yield from _places(item, path + (i,))
    if path:
        yield path


def _other_type(value):
    return "x" if isinstance(value, (bool, int, float)) else {"a": 1} if value is None else 7


def test_what_the_schema_lets_through_the_report_renders(real_document):
    """The schema is strict where the reader needs it: every field changed to another type, and every property
    removed, is either refused by the schema or rendered (HTML and PDF) without an error."""
    from verify.report import content, html, pdf

    with_figures = copy.deepcopy(real_document)
    with_figures["results"][0]["evidence"]["figures"] = copy.deepcopy(FIGURES)
    figure_places = [p for p in _places(with_figures) if p[:4] == ("results", 0, "evidence", "figures")]
    variants = []  # figures are slow to draw: their fields are varied in a document of their own
    for document, places in ((real_document, list(_places(real_document))), (with_figures, figure_places)):
        for path in places:
            for change in ("type", "removed"):
                variant = copy.deepcopy(document)
                *parents, last = path
                node = variant
                for key in parents:
                    node = node[key]
                if change == "type":
                    node[last] = _other_type(node[last])
                elif isinstance(node, dict):
                    del node[last]
                else:
                    continue
                variants.append((path, change, variant))
    accepted = []
    for path, change, variant in variants:
        try:
            results_doc.validate(variant, "variant")
        except files.FileProblem:
            continue
        accepted.append(path)
        report = content.build(variant, None)
        html.render(report, [], [])
        pdf.render(report, [], [])
    assert len(accepted) < len(variants) / 2, "the schema refuses almost nothing: is it checked at all?"


def test_a_report_that_cannot_be_built_keeps_the_results_of_its_claims(tmp_path, capsys, monkeypatch):
    """`report` ran the claims and then rendering broke: no report is switched in, the results are kept."""
    from verify import cli
    from verify.harness import runner
    from verify.report import build

    claim = next(c for c in all_claims() if c.id == "folklore.F13")
    monkeypatch.setattr(runner, "run", lambda *a, **k: [ClaimResult(claim, "numpy", Evidence(verdict=claim.expected))])

    def broken(*args, **kwargs):
        raise RuntimeError("the PDF renderer broke")

    monkeypatch.setattr(build.pdf, "render", broken)
    out = tmp_path / "out"
    with pytest.raises(RuntimeError, match="the PDF renderer broke"):
        main(["report", "--out", str(out), "--no-bench", "--jobs", "1", "-q"])
    kept = out / cli.UNREPORTED_RESULTS
    assert f"the results of the claims are kept in {kept}" in capsys.readouterr().err
    assert [r["claim"]["id"] for r in results_doc.read(kept)["results"]] == ["folklore.F13"]
    assert not (out / "index.html").exists()


def test_the_schema_knows_every_scope_a_claim_can_have():
    from verify.harness.claims import SCOPES

    schema = json.loads(results_doc.SCHEMA_FILE.read_text(encoding="utf-8"))
    assert tuple(schema["$defs"]["claim"]["properties"]["scope"]["enum"]) == SCOPES

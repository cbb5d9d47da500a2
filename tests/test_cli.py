"""The command line's listing habits: --version, `claims` (header, natural order, filter, JSON), `impls --json`."""

import json

import pytest

import impls
from verify.catalog import all_claims
from verify.cli import main


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

"""Claim declarations: every claim of the catalog is declared once in a TOML file beside its check, and the
reader of those files says plainly what is wrong with a bad one."""

import inspect
import sys
import textwrap
import tomllib
import types
from pathlib import Path

import pytest

import verify.catalog as catalog
from verify.catalog.sources import SEEDS, source
from verify.harness import claims as model

CATALOG = Path(catalog.__file__).parent
DECLARATION_FILES = sorted(CATALOG.glob("*.toml")) + sorted(CATALOG.glob("*/claims.toml"))


def test_every_claims_module_has_its_declarations_and_every_declaration_its_check():
    modules = sorted(CATALOG.glob("*/claims.py")) + [CATALOG / "implementation.py"]
    assert {m.with_suffix(".toml") for m in modules} == set(DECLARATION_FILES)
    declared = []
    for path in DECLARATION_FILES:
        with open(path, "rb") as fh:
            declared += [entry["id"] for entry in tomllib.load(fh)["claim"]]
    assert len(declared) == len(set(declared))
    assert sorted(declared) == sorted(c.id for c in catalog.all_claims())
    assert model.undeclared_checks() == []


def test_declared_sources_are_known():
    for claim in catalog.all_claims():
        assert (claim.source.seed, claim.source.paper) in {(s.seed, s.paper) for s in SEEDS.values()}, claim.id


def test_declarations_are_in_the_order_of_their_checks():
    """A reader holding claims.toml and claims.py side by side finds the claims in the same order in both."""
    for path in DECLARATION_FILES:
        with open(path, "rb") as fh:
            declared = [entry["id"] for entry in tomllib.load(fh)["claim"]]
        checks = [c for c in catalog.all_claims() if Path(sys.modules[c.check.__module__].__file__).with_suffix(".toml") == path]
        # A check wrapped by its catalog's decorator (functools.wraps) is ordered by the function it wraps.
        by_line = [c.id for c in sorted(checks, key=lambda c: inspect.unwrap(c.check).__code__.co_firstlineno)]
        assert declared == by_line, path


@pytest.fixture(autouse=True)
def _registry_restored():
    """The tests below register throw-away claims; the catalog's registry and declarations are left as they were."""
    registry, declarations = dict(model._REGISTRY), dict(model._DECLARATIONS)
    yield
    model._REGISTRY.clear(), model._REGISTRY.update(registry)
    model._DECLARATIONS.clear(), model._DECLARATIONS.update(declarations)


def _module_with(tmp_path, name, toml_text):
    """A throw-away module ``name`` whose declarations file holds ``toml_text``."""
    path = tmp_path / f"{name}.py"
    path.write_text("")
    (tmp_path / f"{name}.toml").write_text(textwrap.dedent(toml_text))
    module = types.ModuleType(name)
    module.__file__ = str(path)
    sys.modules[name] = module

    def check(ctx):
        raise AssertionError("never run")

    check.__module__ = name
    return check


def test_a_declaration_needs_known_fields(tmp_path):
    check = _module_with(tmp_path, "decl_unknown_field", """
        source = "folklore"
        [[claim]]
        id = "t.unknown"
        titel = "misspelt"
        """)
    with pytest.raises(model.DeclarationError, match=r"decl_unknown_field\.toml: \[\[claim\]\] number 1: unknown field\(s\) \['titel'\]"):
        model.declared_claim("t.unknown", make_source=source)(check)


def test_a_check_needs_a_declaration(tmp_path):
    check = _module_with(tmp_path, "decl_missing", """
        source = "folklore"
        [[claim]]
        id = "t.other"
        """)
    with pytest.raises(model.DeclarationError, match=r"no \[\[claim\]\] with id 't.nothing'"):
        model.declared_claim("t.nothing", make_source=source)(check)


def test_a_broken_file_is_named(tmp_path):
    check = _module_with(tmp_path, "decl_broken", "[[claim]\nid = 1\n")
    with pytest.raises(model.DeclarationError, match=r"decl_broken\.toml: cannot read the claim declarations"):
        model.declared_claim("t.x", make_source=source)(check)


def test_a_declaration_without_a_check_is_found(tmp_path):
    check = _module_with(tmp_path, "decl_orphan", """
        source = "folklore"
        expected = "holds"
        method = "search"
        [[claim]]
        id = "t.checked"
        title = "checked"
        statement = "s"
        [[claim]]
        id = "t.orphan"
        title = "never checked"
        statement = "s"
        """)
    model.declared_claim("t.checked", make_source=source)(check)
    assert model.undeclared_checks() == [f"{tmp_path / 'decl_orphan.toml'}: t.orphan"]
    assert model._REGISTRY["t.checked"].title == "checked"

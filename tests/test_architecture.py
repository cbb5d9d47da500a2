"""The layout the folders promise: layers that import only downwards, no import circle, no oversized module.

The layers of ``verify/``, lowest first: ``numerics`` (shared mathematics),
``harness`` (the engine, which knows no paper), ``catalog`` (one package per
source), then the top (``bench``, ``report``, ``cli``). ``impls/`` knows
nothing of ``verify/``.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PAPERS = ("rychlik", "folklore", "song2023", "gopalani2023", "li2020")
LAYERS = ("verify.numerics", "verify.harness", "verify.catalog")
# Sizes the architecture issue fixed: a module a reader can hold, a tolerances
# module that is one paper's bounds and no more.
MAX_MODULE_LINES = 1000
MAX_TOLERANCES_LINES = 400


def _modules(*packages) -> dict[str, Path]:
    out = {}
    for package in packages:
        for path in (ROOT / package).rglob("*.py"):
            name = ".".join(path.relative_to(ROOT).with_suffix("").parts)
            out[name.removesuffix(".__init__")] = path
    return out


def _imports(name: str, path: Path, known) -> set[str]:
    """The modules of ``known`` that ``name`` imports (at any depth of its code)."""
    package = name if path.name == "__init__.py" else name.rsplit(".", 1)[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - (node.level - 1)]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            for alias in node.names:
                if f"{target}.{alias.name}" in known:
                    found.add(f"{target}.{alias.name}")
                elif target in known:
                    found.add(target)
        elif isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names if alias.name in known}
    found.discard(name)
    return found


def _graph():
    modules = _modules("verify", "impls")
    return modules, {name: _imports(name, path, modules) for name, path in modules.items()}


def _layer(name: str) -> int:
    for i, prefix in enumerate(LAYERS):
        if name == prefix or name.startswith(prefix + "."):
            return i
    return len(LAYERS)


def test_no_import_circle():
    """No set of modules imports each other in a loop (a package importing its own submodules aside)."""
    _, edges = _graph()
    index, low, stack, on_stack, circles = {}, {}, [], set(), []

    def visit(v):  # Tarjan's strongly connected components
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in edges[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                circles.append(sorted(component))

    for v in edges:
        if v not in index:
            visit(v)
    assert circles == []


def test_imports_go_downwards():
    """numerics imports no harness or catalog module, the harness no catalog module, the catalog nothing above it."""
    _, edges = _graph()
    upward = sorted((a, b) for a, targets in edges.items() if a.startswith("verify")
                    for b in targets if b.startswith("verify") and _layer(b) > _layer(a))
    assert upward == []


def test_impls_knows_nothing_of_verify():
    _, edges = _graph()
    assert sorted((a, b) for a, t in edges.items() if a.startswith("impls") for b in t if b.startswith("verify")) == []


def test_harness_and_numerics_name_no_paper():
    """The engine and the shared maths import no paper's package."""
    _, edges = _graph()
    named = sorted((a, b) for a, t in edges.items() if _layer(a) < 2 for b in t if b.startswith("verify.catalog"))
    assert named == []


SOURCE_MODULES = _modules("verify", "impls", "benchmarks")


@pytest.mark.parametrize("name", sorted(SOURCE_MODULES))
def test_module_size(name):
    path = SOURCE_MODULES[name]
    lines = len(path.read_text(encoding="utf-8").splitlines())
    limit = MAX_TOLERANCES_LINES if path.name == "tolerances.py" or name.endswith(("rounding", "differences")) \
        else MAX_MODULE_LINES
    assert lines <= limit, f"{name}: {lines} lines, more than {limit}"


@pytest.mark.parametrize("paper", PAPERS)
def test_one_folder_per_paper(paper):
    """Each paper's folder holds its claims and its own bounds, and registers every claim with its id prefix."""
    from verify.catalog import all_claims

    folder = ROOT / "verify" / "catalog" / paper
    assert (folder / "claims.py").is_file() and (folder / "tolerances.py").is_file()
    modules = {c.check.__module__ for c in all_claims() if c.id.startswith(paper + ".")}
    assert modules and all(m.startswith(f"verify.catalog.{paper}.") for m in modules), modules

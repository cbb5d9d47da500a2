"""Loading a user's implementation as ``python -m`` / pytest users expect: from the current folder, from a file, with one-line errors.

The in-process tests call ``impls.load`` and ``verify.cli.main`` (whose
return value is the command's exit status) from a temporary folder; each
writes modules under a fresh name, so nothing one test imports is found by
another. The subprocess tests run the command line as the ``lossproof``
script does: with ``python -P`` the current folder is *not* put on the import
path (``python -m verify.cli`` alone would put it there and hide the very
thing under test), and each asserts first that its module cannot be imported
without the loader's help.
"""

from __future__ import annotations

import itertools
import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import impls
from impls._loader import file_module_name, split_path
from verify import cli

REPO = Path(__file__).resolve().parents[1]
# The stand-in of a user's first implementation (loss and grad only), copied into the user's folder.
USER_IMPLS_SOURCE = Path(__file__).with_name("user_impls.py").read_text()

_fresh = itertools.count()


def fresh_name(stem: str) -> str:
    """A module name no other test (or earlier run in this process) has imported."""
    return f"lp_{stem}_{os.getpid()}_{next(_fresh)}"


def assert_works(ce) -> None:
    """The loaded implementation computes the gradient the reference does."""
    rng = np.random.default_rng(0)
    X, W = rng.normal(size=(5, 3)), rng.normal(size=(3, 4))
    Y = impls.one_hot([0, 1, 2, 3, 0], 4)
    np.testing.assert_allclose(ce.grad(W, X, Y), impls.get("numpy").grad(W, X, Y), rtol=0, atol=1e-14)


@pytest.fixture
def user_folder(tmp_path, monkeypatch):
    """A temporary folder that is the current folder, not on sys.path; sys.path is checked to be unchanged afterwards."""
    monkeypatch.chdir(tmp_path)
    before = list(sys.path)
    yield tmp_path
    assert sys.path == before, "the loader left the user's folder on sys.path"


# --------------------------------------------------------------------------
# Finding the module


def test_a_module_in_the_current_folder_loads(user_folder):
    name = fresh_name("mod")
    (user_folder / f"{name}.py").write_text(USER_IMPLS_SOURCE)
    ce = impls.load(f"{name}:MinimalSoftmaxCE")
    assert ce.name == f"{name}:MinimalSoftmaxCE"
    assert_works(ce)
    assert str(user_folder) not in sys.path  # only while the module was imported


@pytest.mark.parametrize("with_init", [True, False], ids=["package", "namespace-package"])
def test_a_package_in_the_current_folder_loads(user_folder, with_init):
    package = fresh_name("pkg")
    (user_folder / package).mkdir()
    if with_init:
        (user_folder / package / "__init__.py").write_text("")
    (user_folder / package / "mod.py").write_text(USER_IMPLS_SOURCE)
    assert_works(impls.load(f"{package}.mod:minimal_instance"))


FILE_WITH_A_DATACLASS = '''
import dataclasses
import numpy as np
from scipy.special import logsumexp, softmax
from {neighbour} import SCALE


@dataclasses.dataclass
class DataclassLoss:  # a dataclass looks its module up in sys.modules while the class is made
    scale: float = SCALE

    def loss(self, W, X, Y):
        Z = X @ W
        return float(np.mean(logsumexp(Z, axis=1) - np.sum(Y * Z, axis=1))) * self.scale

    def grad(self, W, X, Y):
        return X.T @ (softmax(X @ W, axis=1) - Y) / X.shape[0] * self.scale
'''


@pytest.mark.parametrize("form", ["relative", "absolute"])
def test_a_file_path_loads(user_folder, form):
    """``path/to/file.py:Attr``: the file runs with its own folder on the path (it imports a neighbour), once per process."""
    neighbour = fresh_name("neighbour")
    folder = user_folder / "deep" / "er"
    folder.mkdir(parents=True)
    (folder / f"{neighbour}.py").write_text("SCALE = 1.0\n")
    (folder / "my_loss.py").write_text(FILE_WITH_A_DATACLASS.format(neighbour=neighbour))
    file = "deep/er/my_loss.py" if form == "relative" else str(folder / "my_loss.py")
    ce = impls.load(f"{file}:DataclassLoss")
    assert ce.name == f"{file}:DataclassLoss"
    assert_works(ce)
    module_name = file_module_name(folder / "my_loss.py")
    assert type(ce).__module__ == module_name and sys.modules[module_name].__file__ == str(folder / "my_loss.py")
    assert type(impls.load(f"{file}:DataclassLoss")) is type(ce)  # not executed twice
    sys.modules.pop(module_name)


@pytest.mark.parametrize(
    "path, parts",
    [
        ("pkg.mod:Cls", ("pkg.mod", "Cls", False)),
        ("a/b.py:Cls", ("a/b.py", "Cls", True)),
        ("a/b.py:Outer.Inner", ("a/b.py", "Outer.Inner", True)),
        (r"C:\work\b.py:Cls", (r"C:\work\b.py", "Cls", True)),  # split on the last colon: the drive letter stays
    ],
)
def test_split_path(path, parts):
    assert split_path(path) == parts


@pytest.mark.parametrize(
    "path, message",
    [
        ("pkg.mod", "expected 'package.module:attribute' or 'path/to/file.py:attribute'"),
        ("a:b:c", "expected 'package.module:attribute'"),
        ("a/b.py", "no attribute after the file name"),
        ("a/b.py:", "no attribute after the file name"),
        (r"C:\work\b.py", "no attribute after the file name"),
    ],
)
def test_split_path_refuses_a_malformed_path(path, message):
    with pytest.raises(ValueError, match=re.escape(message)):
        split_path(path)


def test_a_module_shadowed_by_an_imported_one_is_refused(user_folder):
    """``json.py`` in the current folder loses to the standard library's, already imported: say so rather than load the wrong one."""
    (user_folder / "json.py").write_text(USER_IMPLS_SOURCE)
    with pytest.raises(ImportError, match=r"'json' was already imported from .*json.*not from .*json\.py.*file\.py:attribute"):
        impls.load("json:MinimalSoftmaxCE")


# --------------------------------------------------------------------------
# Errors: one line, exit status 2, naming the path and the problem

_BROKEN_MODULES = {
    "syntax": "x = (\n",
    "raises": "import numpy\n\n\ndef helper():\n    return 1 / 0\n\n\nhelper()\n",
    "imports_missing": "import numpy\nimport no_such_dependency_anywhere\n",
    "exits": "import sys\nsys.exit(3)\n",
    "good": USER_IMPLS_SOURCE + (
        "\n\nclass InitFails(MinimalSoftmaxCE):\n    def __init__(self):\n"
        "        raise RuntimeError('no GPU\\nhere')\n"
    ),
}

ERROR_CASES = [
    # (spec, with {m} for the module's fresh name, what the line must say)
    ("{m}_nothere:X", ["cannot import module '{m}_nothere'", "No module named", "current folder"]),
    ("{m}_nothere.py:X", ["the file '{m}_nothere.py' does not exist"]),
    ("{m}_good:NoSuchThing", ["module '{m}_good' has no attribute 'NoSuchThing'"]),
    ("{m}_good.py:NoSuchThing", ["the file '{m}_good.py' has no attribute 'NoSuchThing'"]),
    ("{m}_syntax.py:X", ["importing '{m}_syntax.py' raised SyntaxError: '(' was never closed ({m}_syntax.py, line 1)"]),
    ("{m}_syntax:X", ["importing '{m}_syntax' raised SyntaxError", "({m}_syntax.py, line 1)"]),
    ("{m}_raises:X", ["importing '{m}_raises' raised ZeroDivisionError: division by zero ({m}_raises.py, line 5)"]),
    ("{m}_raises.py:X", ["importing '{m}_raises.py' raised ZeroDivisionError", "({m}_raises.py, line 5)"]),
    ("{m}_imports_missing:X", [
        "importing '{m}_imports_missing' raised ModuleNotFoundError: No module named 'no_such_dependency_anywhere'",
        "({m}_imports_missing.py, line 2)",
    ]),
    ("{m}_exits:X", ["importing '{m}_exits' raised SystemExit: 3 ({m}_exits.py, line 2)"]),
    ("{m}_good:NeedsArguments", ["cannot be instantiated without arguments", "temperature"]),
    ("{m}_good.py:InitFails", ["instantiating the class raised RuntimeError: no GPU here"]),
    ("{m}_good:NoGrad", ["missing the required method(s) grad"]),
    ("{m}_good.py:BadCapabilities", ["capabilities must be an impls.Capabilities"]),
]


def write_broken_modules(folder: Path) -> str:
    stem = fresh_name("user")
    for suffix, source in _BROKEN_MODULES.items():
        (folder / f"{stem}_{suffix}.py").write_text(source)
    return stem


@pytest.mark.parametrize("command", ["impls", "check"])
@pytest.mark.parametrize("spec, says", ERROR_CASES, ids=[c[0].replace("{m}_", "") for c in ERROR_CASES])
def test_a_loading_error_is_one_line_and_exit_2(user_folder, capsys, command, spec, says):
    stem = write_broken_modules(user_folder)
    spec = spec.format(m=stem)
    status = cli.main([command, "--impl", spec, "--json", "out.json"] if command == "check" else [command, "--impl", spec])
    captured = capsys.readouterr()
    lines = captured.err.strip().splitlines()
    assert status == 2, captured.err
    assert len(lines) == 1 and lines[0].startswith(f"lossproof: error: impl path {spec!r}: "), captured.err
    for fragment in says:
        assert fragment.format(m=stem) in lines[0], lines[0]
    assert not (user_folder / "out.json").exists()


# --------------------------------------------------------------------------
# The command line as the lossproof script runs it: a subprocess whose import path lacks the current folder


def run_lossproof(*args, cwd: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(REPO), os.environ.get("PYTHONPATH", "")]).rstrip(os.pathsep)}
    return subprocess.run(
        [sys.executable, "-P", "-m", "verify.cli", *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=300
    )


def assert_not_importable_without_the_loader(module: str, cwd: Path) -> None:
    """The control: in such a subprocess, a plain import of the user's module fails."""
    proc = subprocess.run([sys.executable, "-P", "-c", f"import {module}"], cwd=cwd, capture_output=True, text=True, timeout=60)
    assert proc.returncode != 0 and "ModuleNotFoundError" in proc.stderr, proc.stderr


def readme_plugin_example() -> tuple[str, str]:
    """``(file, source)`` of the README's plug-in example: the first python block of its section, whose first line names the file."""
    readme = (REPO / "README.md").read_text()
    section = readme.split("## Plugging in your own implementation", 1)[1].split("\n## ", 1)[0]
    block = re.search(r"```python\n(.*?)```", section, re.S)
    assert block, "the README's plug-in section has no python code block"
    source = block.group(1)
    named = re.match(r"# (\S+\.py)\n", source)
    assert named, "the README's plug-in example does not start with a '# path/to/file.py' line"
    return named.group(1), source


def test_the_readme_plugin_example_works_as_written(tmp_path):
    """The README's example, written where it says, from the folder that holds its package, with the README's commands."""
    file, source = readme_plugin_example()
    assert file == "mypkg/mod.py"  # the commands below name it so
    (tmp_path / file).parent.mkdir(parents=True)
    (tmp_path / file).write_text(source)
    assert_not_importable_without_the_loader("mypkg.mod", tmp_path)

    described = run_lossproof("impls", "--impl", "mypkg.mod:MyLoss", cwd=tmp_path)
    assert described.returncode == 0, described.stderr
    assert described.stdout.startswith("mine\n") and "float64" in described.stdout

    checked = run_lossproof("check", "--impl", "mypkg.mod:MyLoss", "--claim", "impl.gradient", cwd=tmp_path)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert re.search(r"impl\.gradient\s+mine\s+holds\s+holds", checked.stdout), checked.stdout

    by_file = run_lossproof("impls", "--impl", f"{file}:MyLoss", cwd=tmp_path)
    assert by_file.returncode == 0 and by_file.stdout.startswith("mine\n"), by_file.stderr


def test_a_syntax_error_in_a_subprocess_is_one_line_without_traceback(tmp_path):
    (tmp_path / "broken.py").write_text("import numpy\n\ndef loss(:\n")
    proc = run_lossproof("check", "--impl", "broken:Loss", cwd=tmp_path)
    assert proc.returncode == 2
    assert proc.stderr.strip().splitlines() == [
        "lossproof: error: impl path 'broken:Loss': importing 'broken' raised SyntaxError: invalid syntax (broken.py, line 3)"
    ]


RECORDS_ITS_PROCESS = USER_IMPLS_SOURCE + '''

import os


class RecordsItsProcess(MinimalSoftmaxCE):
    """Writes the id of every process that instantiates it into pids-<its module>.txt."""

    def __init__(self):
        with open(f"pids-{__name__}.txt", "a") as log:
            log.write(f"{os.getpid()}\\n")
'''


def test_worker_processes_load_a_file_path_and_a_module_in_the_current_folder(tmp_path):
    """``--jobs 2``: the workers load both forms themselves (the parent's process and at least one other instantiate each)."""
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "by_file.py").write_text(RECORDS_ITS_PROCESS)
    (tmp_path / "by_module.py").write_text(RECORDS_ITS_PROCESS)
    assert_not_importable_without_the_loader("by_module", tmp_path)
    proc = run_lossproof(
        "check", "--impl", "sub/by_file.py:RecordsItsProcess", "--impl", "by_module:RecordsItsProcess",
        "--claim", "impl.gradient", "--claim", "impl.loss_value", "--hypothesis-profile", "quick",
        "--jobs", "2", "--json", "check.json", "--quiet", cwd=tmp_path,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "running the claims in 2 worker processes" in proc.stderr
    for impl in ("sub/by_file.py:RecordsItsProcess", "by_module:RecordsItsProcess"):
        assert len(re.findall(rf"impl\.(gradient|loss_value)\s+{re.escape(impl)}\s+holds\s+holds", proc.stdout)) == 2, proc.stdout
    logs = {p.name: set(p.read_text().split()) for p in tmp_path.glob("pids-*.txt")}
    file_log = f"pids-{file_module_name(tmp_path / 'sub' / 'by_file.py')}.txt"
    assert set(logs) == {file_log, "pids-by_module.txt"}, logs
    for name, pids in logs.items():
        assert len(pids) >= 2, f"{name}: only the parent process loaded it ({pids})"


def test_pytest_impl_runs_that_implementations_claims_only(tmp_path):
    """``pytest --impl path/to/file.py:Attr`` from the user's folder collects that implementation's claims and nothing else."""
    from verify.catalog import all_claims

    (tmp_path / "mine.py").write_text(USER_IMPLS_SOURCE)
    proc = subprocess.run(
        [sys.executable, "-P", "-m", "pytest", "-p", "no:cacheprovider", "--rootdir", str(REPO), "-c", str(REPO / "pyproject.toml"),
         str(REPO / "tests"), "--impl", "mine.py:MinimalSoftmaxCE", "--collect-only", "-q"],
        cwd=tmp_path, capture_output=True, text=True, timeout=300,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    collected = [line for line in proc.stdout.splitlines() if "::" in line]
    expected = {f"tests/test_claims.py::test_implementation_claim[{c.id}[mine.py:MinimalSoftmaxCE]]" for c in all_claims("implementation")}
    assert set(collected) == expected and len(collected) == len(expected), proc.stdout[-2000:]


def test_a_class_loaded_from_a_file_is_named_by_its_file_for_the_workers(user_folder):
    """The runner hands a worker a path it can load: a file-loaded class is named by the file, not by its private module name."""
    from verify.harness.runner import implementation_spec, resolve

    (user_folder / "loss_file.py").write_text(USER_IMPLS_SOURCE)
    cls = type(impls.load("loss_file.py:MinimalSoftmaxCE"))
    spec = implementation_spec(cls)
    assert spec == f"{user_folder / 'loss_file.py'}:MinimalSoftmaxCE"
    assert type(resolve(spec)) is cls
    sys.modules.pop(cls.__module__)

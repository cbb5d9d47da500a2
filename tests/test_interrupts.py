"""Ctrl-C and SIGKILL during `lossproof check` and `lossproof report`: the previous files stay whole, nothing is left behind.

Each test starts the command in its own session with ``LOSSPROOF_TEST_PAUSE_AT``
naming a phase (verify/harness/files.py, ``PAUSE_PHASES``): the process stops
there and says so on stderr, and the test signals it at that known point
(the whole process group, as a terminal's Ctrl-C does). After SIGINT the
command has ended with one line and exit 130; after SIGKILL it could clean up
nothing, so the next run must. Either way the report folder holds one
report: index.html, report.pdf and results.json of the same run.
"""

from __future__ import annotations

import fcntl
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

import impls
from verify.catalog import all_claims
from verify.harness import files
from verify.harness import results as results_doc
from verify.harness.runner import run
from verify.report import write_report

pypdf = pytest.importorskip("pypdf")

# How long a paused command may take to reach its pause point, and an interrupted one to end: generous
# (two busy cores, an interpreter that imports NumPy, SciPy and SymPy), far below a hang.
REACH_S = 120
END_S = 60
FIRST, SECOND = "2026-01-01T00:00:01+00:00", "2026-01-01T00:00:02+00:00"  # `created`: which run a file is from


@pytest.fixture(scope="module")
def real_document():
    """One cheap real claim, run once; the two runs below differ in ``created``, which all three files show."""
    ce = impls.get("numpy")
    results = run(all_claims(), [ce], patterns=["folklore.F13"])
    return results_doc.build(results, [ce], "ci", results_doc.selection(["folklore.F13"]))


def document_of(real_document, created):
    return dict(real_document, created=created)


def start(args, phase, cwd):
    """``lossproof ARGS`` in a session of its own, paused at ``phase``; returns (process, stderr lines so far)."""
    env = dict(os.environ, **{files.PAUSE_VARIABLE: phase})
    proc = subprocess.Popen(
        [sys.executable, "-m", "verify.cli", *args], cwd=cwd, env=env, text=True, start_new_session=True,
        stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        # SIGINT may be ignored in the test's own process (a background job); the command must see it
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    seen = []
    deadline = time.monotonic() + REACH_S
    for line in proc.stderr:
        seen.append(line)
        if f"paused at {phase}" in line:
            return proc, seen
        if time.monotonic() > deadline:
            break
    proc.kill()
    raise AssertionError(f"never paused at {phase}: {''.join(seen)}")


def signal_and_wait(proc, seen, sig):
    os.killpg(proc.pid, sig)
    _, err = proc.communicate(timeout=END_S)
    return proc.returncode, "".join(seen) + err


def which_run(out: Path) -> set:
    """The ``created`` of each of the three files in ``out`` (one value when they are of one run)."""
    html = (out / "index.html").read_text(encoding="utf-8")
    pdf_text = " ".join(page.extract_text() for page in pypdf.PdfReader(out / "report.pdf").pages[:2])
    created = json.loads((out / "results.json").read_text(encoding="utf-8"))["created"]
    runs = {run for run in (FIRST, SECOND) if run in html}, {run for run in (FIRST, SECOND) if run in pdf_text}
    assert all(len(r) == 1 for r in runs), runs
    return {created, *runs[0], *runs[1]}


def leftovers(out: Path) -> list[str]:
    """What a finished run should not leave in ``out``: temporary files, switch links, report folders but the current one."""
    current = os.readlink(out / files.CURRENT) if (out / files.CURRENT).is_symlink() else None
    return sorted(p.name for p in out.iterdir()
                  if p.name.endswith(".tmp") or p.name.startswith(".report.")
                  or (p.name.startswith(".report-") and p.name != current))


@pytest.fixture
def previous_report(tmp_path, real_document):
    """OUT holding the first run's report, and the second run's results file to build the next report from."""
    out = tmp_path / "out"
    write_report(document_of(real_document, FIRST), None, out)
    second = tmp_path / "second.json"
    results_doc.write(document_of(real_document, SECOND), second)
    assert which_run(out) == {FIRST}
    return out, second


def report_args(out, second):
    return ["report", "--from", str(second), "--out", str(out), "--no-bench"]


@pytest.mark.parametrize("phase, after", [("report:rendered", FIRST), ("report:folder-written", FIRST),
                                          ("report:switched", SECOND)])
def test_ctrl_c_during_report_keeps_one_whole_report(previous_report, tmp_path, phase, after):
    """Before the switch the old report stays; after it, the new one is complete and the old folder gone."""
    out, second = previous_report
    proc, seen = start(report_args(out, second), phase, tmp_path)
    code, err = signal_and_wait(proc, seen, signal.SIGINT)
    assert code == 130, err
    assert err.strip().splitlines()[-1] == "lossproof: interrupted" and "Traceback" not in err
    assert which_run(out) == {after}
    assert leftovers(out) == []


@pytest.mark.parametrize("phase, after", [("report:rendered", FIRST), ("report:folder-written", FIRST),
                                          ("report:switched", SECOND)])
def test_sigkill_during_report_keeps_one_whole_report_and_the_next_run_cleans_up(previous_report, tmp_path,
                                                                                 real_document, phase, after):
    out, second = previous_report
    proc, seen = start(report_args(out, second), phase, tmp_path)
    code, _ = signal_and_wait(proc, seen, signal.SIGKILL)
    assert code == -signal.SIGKILL
    assert which_run(out) == {after}
    write_report(document_of(real_document, FIRST), None, out)  # the next run
    assert which_run(out) == {FIRST}
    assert leftovers(out) == []


def test_ctrl_c_during_check_stops_the_workers_and_keeps_the_previous_results(tmp_path):
    """`check --jobs 2`, interrupted after its first claim while the other runs in a worker."""
    previous = tmp_path / "check.json"
    previous.write_text('{"previous": true}\n', encoding="utf-8")
    args = ["check", "--claim", "folklore.F13", "--claim", "folklore.F12", "--jobs", "2", "-q", "--json", str(previous)]
    proc, seen = start(args, "check:claim-done", tmp_path)
    listing = Path(f"/proc/{proc.pid}/task/{proc.pid}/children")
    if not listing.exists():
        proc.kill()
        pytest.skip("no /proc/PID/task/PID/children here to find the workers by")
    children = listing.read_text().split()
    assert children, "no worker processes: the test would not show that they are stopped"
    code, err = signal_and_wait(proc, seen, signal.SIGINT)
    assert code == 130, err
    assert err.strip().splitlines()[-1] == "lossproof: interrupted" and "Traceback" not in err
    deadline = time.monotonic() + 10  # the resource tracker ends when its pipe closes, just after its parent
    while time.monotonic() < deadline and any(_alive(pid) for pid in children):
        time.sleep(0.1)
    assert not [pid for pid in children if _alive(pid)]
    assert previous.read_text(encoding="utf-8") == '{"previous": true}\n'


def test_ctrl_c_while_report_runs_the_claims_keeps_the_previous_report(previous_report, tmp_path):
    """`report` (no --from) stopped after its first claim: the previous report stays whole, nothing is added."""
    out, _ = previous_report
    before = sorted(p.name for p in out.iterdir())
    proc, seen = start(["report", "--out", str(out), "--no-bench", "--jobs", "1", "-q"], "check:claim-done", tmp_path)
    code, err = signal_and_wait(proc, seen, signal.SIGINT)
    assert code == 130 and err.strip().splitlines()[-1] == "lossproof: interrupted", err
    assert which_run(out) == {FIRST}
    assert sorted(p.name for p in out.iterdir()) == before


def _alive(pid: str) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().split()[2] != "Z"
    except FileNotFoundError:
        return False


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGKILL])
def test_interrupted_results_write_keeps_the_previous_file(tmp_path, sig):
    """Stopped with the new results in their temporary file: the old file stays; a killed run's temporary file
    is removed by the next write beside it."""
    previous = tmp_path / "check.json"
    previous.write_text('{"previous": true}\n', encoding="utf-8")
    args = ["check", "--claim", "folklore.F13", "--jobs", "1", "-q", "--json", str(previous)]
    proc, seen = start(args, "write:temporary", tmp_path)
    code, err = signal_and_wait(proc, seen, sig)
    assert previous.read_text(encoding="utf-8") == '{"previous": true}\n'
    temporaries = [p.name for p in tmp_path.iterdir() if p.name.endswith(".tmp")]
    if sig == signal.SIGINT:
        assert code == 130 and "Traceback" not in err, err
        assert temporaries == []
    else:
        assert len(temporaries) == 1  # the kill left it; the next write removes it
        files.write_json({"next": True}, previous)
        assert [p.name for p in tmp_path.iterdir() if p.name.endswith(".tmp")] == []
        assert json.loads(previous.read_text(encoding="utf-8")) == {"next": True}


def test_two_reports_into_one_folder_take_turns(previous_report, tmp_path):
    """While OUT/.lock is held (here by the test, as by another report), a report waits, then switches."""
    out, second = previous_report
    with open(out / files.LOCK, "a") as held:
        fcntl.flock(held, fcntl.LOCK_EX)
        proc = subprocess.Popen([sys.executable, "-m", "verify.cli", *report_args(out, second)], cwd=tmp_path,
                                text=True, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        seen = []
        for line in proc.stderr:
            seen.append(line)
            if "waiting for another report" in line:
                break
        assert proc.poll() is None, "".join(seen)
        assert which_run(out) == {FIRST}
    _, err = proc.communicate(timeout=END_S)
    assert proc.returncode == 0, "".join(seen) + err
    assert which_run(out) == {SECOND} and leftovers(out) == []


def test_a_report_folder_of_plain_files_is_taken_over_whole(tmp_path, real_document):
    """OUT written before the switch existed (plain index.html, report.pdf, results.json) becomes links through
    .report; the old files are gone after the next report."""
    plain = tmp_path / "plain"
    write_report(document_of(real_document, FIRST), None, plain)
    out = tmp_path / "out"
    out.mkdir()
    for name in ("index.html", "report.pdf", "results.json"):
        (out / name).write_bytes((plain / name).read_bytes())
    assert which_run(out) == {FIRST}
    write_report(document_of(real_document, SECOND), None, out)
    assert which_run(out) == {SECOND} and leftovers(out) == []
    assert all(os.readlink(out / name) == f".report/{name}" for name in ("index.html", "report.pdf", "results.json"))


def test_leftovers_of_killed_runs_are_removed_by_the_next_report(previous_report, tmp_path, real_document):
    """A dead process's report folder, switch link and temporary file, and an older version's temporary files
    (``.index.html.<random>.tmp``), go; a live process's temporary file for another file stays."""
    out, _ = previous_report
    dead = _a_dead_pid()
    (out / f".report-{dead}-0123abcd").mkdir()
    (out / f".report-{dead}-0123abcd" / "index.html").write_text("half")
    os.symlink(f".report-{dead}-0123abcd", out / f".report.switch-{dead}-0123abcd")
    (out / f".results.json.{dead}-0123abcd.tmp").write_text("half")
    (out / ".index.html.k2j4_x9q.tmp").write_text("half")  # the name tempfile.mkstemp gave before
    live = out / f".check.json.{os.getpid()}-0123abcd.tmp"
    live.write_text("being written")
    write_report(document_of(real_document, SECOND), None, out)
    assert which_run(out) == {SECOND}
    assert leftovers(out) == [live.name]


def _a_dead_pid() -> int:
    """The pid of a process that has ended (and been reaped)."""
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid

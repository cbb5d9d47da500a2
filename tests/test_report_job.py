"""The report job: its phases (claims, benchmark, figures, writing), their progress and estimates, and --bench."""

from __future__ import annotations

import io
import re
import time

import pytest

from verify import bench
from verify.cli import build_parser, main
from verify.harness.progress import Phase, PhaseClock, duration_text
from verify import report_job

# A benchmark plan that runs in a few seconds: the tests' tiny sizes, no peers, no harness section.
from tests.test_bench import TINY

TINY_QUICK = TINY.with_(name="quick", peers=(), harness_claims=())


def test_a_plain_stream_gets_a_start_line_periodic_estimates_and_a_closing_line():
    """Not a terminal: no bar, but a line each interval (on a step, or from the timer while none finishes) with the
    count and, once a step is done, the time left; a closing line."""
    out = io.StringIO()
    with Phase("claims", 4, stream=out, unit="claims", interval=0.05) as phase:
        for _ in range(4):
            time.sleep(0.3)  # several intervals: the timer speaks at least once in each
            phase.advance()
    lines = out.getvalue().splitlines()
    assert lines[0] == "lossproof: claims: started, 4 claims"
    assert re.fullmatch(r"lossproof: claims: done, 4 claims in \d+ s", lines[-1])
    middle = lines[1:-1]
    assert middle and all(re.fullmatch(r"lossproof: claims: [0-4]/4 claims, \d+ s elapsed(, about \d+ s left)?( \(still running\))?",
                                       line) for line in middle), middle
    assert any(re.match(r"lossproof: claims: [1-3]/4 claims, \d+ s elapsed, about \d+ s left", line) for line in middle), middle
    assert "\r" not in out.getvalue()


def test_a_phase_where_nothing_finishes_still_says_so_every_interval():
    """One long step (a long claim, the PDF): the timer thread prints a 'still running' line each interval."""
    out = io.StringIO()
    with Phase("writing", 3, stream=out, unit="steps", interval=0.2):
        time.sleep(0.7)
    running = [line for line in out.getvalue().splitlines() if line.endswith("(still running)")]
    assert 2 <= len(running) <= 4, out.getvalue()
    assert running[0].startswith("lossproof: writing: 0/3 steps, 0 s elapsed")


def test_quiet_prints_nothing():
    out = io.StringIO()
    with Phase("figures", 2, stream=out, quiet=True, interval=0.01) as phase:
        phase.line("a line")
        phase.advance(2)
        time.sleep(0.05)
    assert out.getvalue() == ""


def test_a_bar_shows_the_count_and_the_time_left():
    """On a terminal (forced here) the phase is a tqdm bar: done/total, elapsed, about ... left; lines above it."""
    out = io.StringIO()
    with Phase("benchmark", 10, stream=out, bar=True) as phase:
        phase.line("  numpy  loss  2000 32 8 float64  0.1 ms")
        for _ in range(5):
            phase.advance()
    text = out.getvalue()
    assert "benchmark: 5/10" in text and "left" in text and "about" in text
    assert "numpy  loss  2000" in text


def test_the_estimate_is_the_rate_so_far_over_the_work_left(monkeypatch):
    """remaining = elapsed / done * left, or by weight where the steps differ in cost."""
    phase = Phase("x", 4, stream=io.StringIO(), quiet=True)
    monkeypatch.setattr(Phase, "elapsed", property(lambda self: 10.0))
    assert phase.remaining() is None  # nothing done: no estimate
    phase.advance()
    assert phase.remaining() == pytest.approx(30.0)
    weighted = Phase("y", 3, stream=io.StringIO(), quiet=True, weights=[1, 4, 5])
    weighted.advance()
    assert weighted.remaining() == pytest.approx(90.0)
    assert duration_text(75.3) == "1 min 15 s" and duration_text(8.2) == "8 s"


def test_the_phase_clock_reports_wall_and_cpu_seconds():
    clock = PhaseClock()
    clock.start("busy")
    end = time.process_time() + 0.2  # CPU time: the machine may be busy
    while time.process_time() < end:
        pass
    clock.start("asleep")
    time.sleep(0.2)
    times = clock.as_dict()
    assert times["busy"]["cpu_seconds"] >= 0.19  # busy-waiting costs CPU ...
    assert times["asleep"]["cpu_seconds"] < 0.1 <= times["asleep"]["wall_seconds"]  # ... sleeping only wall time
    assert re.fullmatch(r"busy \d+ s \(CPU 0 s\), asleep \d+ s \(CPU 0 s\); total \d+ s \(CPU 0 s\)", clock.summary())


def test_bench_option_defaults_to_quick_and_no_bench_means_none():
    parse = build_parser().parse_args
    assert parse(["report"]).bench == "quick"
    assert parse(["report", "--bench", "full"]).bench == "full"
    assert parse(["report", "--no-bench"]).no_bench
    with pytest.raises(SystemExit):
        parse(["report", "--bench", "fast"])


def test_saved_results_are_used_and_nothing_is_measured(tmp_path, monkeypatch, capsys):
    """OUT/bench.json present: the report reads it for --bench quick and none; no benchmark runs."""
    bench.write(_tiny_document(), tmp_path / "bench.json")
    monkeypatch.setattr(bench, "run", lambda *a, **k: pytest.fail("the benchmark ran although results were saved"))
    monkeypatch.setattr(report_job, "_say", lambda line, quiet=False: print(line))
    monkeypatch.chdir(tmp_path)  # no .asv/ results here
    for choice in ("quick", "none"):
        doc = report_job.benchmark_phase(tmp_path, choice)
        assert doc["plan"]["name"] == "quick" and doc["tables"]
    assert "benchmarks from" in capsys.readouterr().out


def test_none_without_saved_results_shows_no_benchmark(tmp_path, monkeypatch):
    monkeypatch.setattr(bench, "run", lambda *a, **k: pytest.fail("--bench none ran the benchmark"))
    monkeypatch.chdir(tmp_path)
    assert report_job.benchmark_phase(tmp_path, "none") is None


_TINY_DOC: dict = {}


def _tiny_document() -> dict:
    if not _TINY_DOC:
        _TINY_DOC.update(bench.run(TINY_QUICK, sections=("memory", "accuracy")))
    return _TINY_DOC


def test_quick_runs_the_quick_plan_with_progress_when_nothing_is_saved(tmp_path, monkeypatch, capsys):
    """Nothing saved: the quick plan runs (here a tiny one), its lines and a progress phase on stderr, bench.json written."""
    monkeypatch.setattr(bench, "QUICK", TINY_QUICK)
    monkeypatch.chdir(tmp_path)
    doc = report_job.benchmark_phase(tmp_path, "quick")
    err = capsys.readouterr().err
    assert doc["plan"]["name"] == "quick" and (tmp_path / "bench.json").exists()
    steps = bench.plan_steps(TINY_QUICK)
    assert f"benchmark: started, {steps} measurements" in err
    assert f"benchmark: done, {steps} measurements in" in err
    assert "  memory N=" in err


def test_report_from_results_walks_every_phase_and_gives_their_times(tmp_path, monkeypatch, capsys):
    """report --from (one claim's results) --bench none: figures and writing phases, then wall and CPU time per phase."""
    monkeypatch.chdir(tmp_path)
    results = tmp_path / "check.json"
    assert main(["check", "--claim", "folklore.F10", "--hypothesis-profile", "quick", "--jobs", "1", "-q",
                 "--json", str(results)]) == 0
    capsys.readouterr()
    assert main(["report", "--from", str(results), "--bench", "none", "--out", str(tmp_path / "out")]) == 0
    captured = capsys.readouterr()
    for line in ("figures: started", "figures: done", "writing: started, 3 steps", "writing: done"):
        assert line in captured.err
    assert re.search(r"time per phase: claims .*\(CPU .*\), benchmark .*, figures .*, writing .*; total .* \(CPU .*\)",
                     captured.err)
    assert (tmp_path / "out" / "index.html").exists() and (tmp_path / "out" / "report.pdf").exists()
    assert main(["report", "--from", str(results), "--bench", "none", "-q", "--out", str(tmp_path / "out")]) == 0
    assert capsys.readouterr().err == ""


def test_the_estimate_comes_between_the_steps_own_lines():
    """Each step printing a line of its own (a claim, a measurement) does not crowd out the count and the estimate."""
    out = io.StringIO()
    with Phase("benchmark", 8, stream=out, unit="measurements", interval=0.1) as phase:
        for i in range(8):
            phase.line(f"  measurement {i}")
            time.sleep(0.06)
            phase.advance()
    estimates = [line for line in out.getvalue().splitlines()
                 if re.fullmatch(r"lossproof: benchmark: [1-7]/8 measurements, \d+ s elapsed, about \d+ s left", line)]
    assert len(estimates) >= 2, out.getvalue()
    assert sum(line.startswith("  measurement") for line in out.getvalue().splitlines()) == 8


def test_a_phase_left_by_an_exception_says_how_far_it_got():
    """An error (a folder in the way of the report, say) ends the phase with 'stopped after', never 'done'."""
    out = io.StringIO()
    with pytest.raises(OSError):
        with Phase("writing", 3, stream=out, unit="steps") as phase:
            phase.advance(2)
            raise OSError("in the way")
    assert re.fullmatch(r"lossproof: writing: stopped after 2 of 3 steps, \d+ s", out.getvalue().splitlines()[-1])


def test_the_phase_clock_counts_a_live_child_process():
    """Worker processes may outlive their phase: a child still running when the phase ends is counted."""
    import subprocess
    import sys

    clock = PhaseClock()
    clock.start("child")
    child = subprocess.Popen([sys.executable, "-c", "import time\nend = time.process_time() + 0.5\n"
                              "while time.process_time() < end: pass\ntime.sleep(30)"])
    try:
        deadline = time.perf_counter() + 20
        while PhaseClock._cpu() - clock._cpu0 < 0.5 and time.perf_counter() < deadline:
            time.sleep(0.05)
        clock.stop()
    finally:
        child.kill()
        child.wait()
    assert clock.as_dict()["child"]["cpu_seconds"] >= 0.5


def test_a_long_step_under_way_does_not_inflate_the_estimate(monkeypatch):
    """The rate is the finished steps'; the time already spent on the current one comes off the estimate."""
    now = {"t": 1.0}
    monkeypatch.setattr(Phase, "elapsed", property(lambda self: now["t"]))
    phase = Phase("writing", 3, stream=io.StringIO(), quiet=True, weights=[1, 20, 0.01])
    phase.advance()  # the HTML, done after 1 s: the PDF should take about 20 s
    now["t"] = 11.0  # 10 s into the PDF
    assert phase.remaining() == pytest.approx(20.01 - 10)
    now["t"] = 40.0  # overdue: about 0 s, never negative
    assert phase.remaining() == 0.0


def test_a_figure_that_cannot_be_drawn_does_not_stop_the_figures_phase():
    """The figures phase draws as the HTML and the PDF do: a malformed figure is skipped there, said why in the report."""
    broken = {"kind": "bar", "title": "broken"}  # no labels, no values: matplotlib cannot draw it
    doc = {"results": [{"claim": {"id": "folklore.F1", "scope": "math", "source": {"paper": "p"}},
                        "implementation": "numpy", "matches": True,
                        "evidence": {"verdict": "holds", "figures": [broken]}}]}
    assert report_job.figures_phase(doc, None, quiet=True) == 1

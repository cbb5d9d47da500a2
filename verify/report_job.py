"""The phases of ``lossproof report``: claims, benchmark, figures, writing; each with progress and its wall and CPU time.

``verify.cli`` parses the options, makes the output folder and calls a
:class:`ReportJob`'s phases (and keeps the results when no report can be
written); this module holds what the command does, phase by phase:

1. **claims**: every claim against every registered implementation (or the
   results file ``--from`` names), one progress line per claim;
2. **benchmark**: the results already saved (``OUT/bench.json``, asv's
   newest), else the built-in benchmark's quick plan (``--bench quick``, the
   default), its full plan only with ``--bench full``, nothing with
   ``--bench none``;
3. **figures**: every figure drawn once (the HTML and the PDF reuse the
   PNGs, :func:`verify.report.figures.render_png` caches them);
4. **writing**: the HTML page and the PDF rendered, then both files and the
   results put in place together (:func:`verify.report.build.write_report`).

Each phase shows progress with an estimate of the time left
(:mod:`verify.harness.progress`), and the closing line gives each phase's
wall and CPU seconds: on a machine other processes load, the wall time says
how long the user waited and the CPU time what the work costs.
"""

from __future__ import annotations

import sys
from pathlib import Path

import impls

from .harness.progress import ClaimsProgress, Phase, PhaseClock

# --bench: which benchmark the report shows when no results are saved.
BENCH_CHOICES = ("quick", "full", "none")
DEFAULT_BENCH = "quick"

# Relative cost of the writing steps, for the estimate of the time left: measured on the full report
# (figures drawn beforehand): HTML 0.4 s, PDF 7.6 s of CPU, putting the files in place next to nothing.
WRITE_PDF_COST = 20.0
WRITE_WEIGHTS = {"html": 1.0, "pdf": WRITE_PDF_COST, "files": 0.01}


def _say(line: str, quiet: bool = False) -> None:
    if not quiet:
        print(line, file=sys.stderr, flush=True)


def benchmark_phase(out: Path, bench: str, *, quiet: bool = False) -> dict | None:
    """The benchmark document the report shows (see the module's notes for which), measured here when needed.

    Saved results are used as they are, whatever ``bench`` says, except that
    ``--bench full`` measures the full plan when the saved document is of
    another plan (asv's results count as saved for any plan).
    """
    from . import bench as builtin
    from .bench.document import read
    from .report import benchmarks

    if bench not in BENCH_CHOICES:
        raise ValueError(f"--bench: expected one of {', '.join(BENCH_CHOICES)}, got {bench!r}")
    bench_path = out / benchmarks.BENCH_NAME
    saved_plan = read(bench_path).get("plan", {}).get("name") if bench_path.exists() else None
    asv = benchmarks.latest_asv_result()
    measure = bench != "none" and asv is None and (saved_plan is None or (bench == "full" and saved_plan != "full"))
    if measure:
        plan = builtin.FULL if bench == "full" else builtin.QUICK
        with Phase("benchmark", builtin.plan_steps(plan), quiet=quiet, unit="measurements") as phase:
            phase.line(f"lossproof: running the built-in benchmark's {plan.name} plan (lossproof bench"
                       f"{' --quick' if plan is builtin.QUICK else ''}); its results go to {bench_path}")

            def say(line: str) -> None:
                phase.line(f"  {line}")
                phase.advance()

            document = builtin.run(plan, progress=say)
        out.mkdir(parents=True, exist_ok=True)
        builtin.write(document, bench_path)
    elif saved_plan is not None:
        _say(f"lossproof: benchmarks from {bench_path} ({saved_plan} plan; delete it, or run lossproof bench, "
             "to measure again)", quiet)
    elif asv is not None:
        _say(f"lossproof: benchmarks from asv's saved results ({asv})", quiet)
    else:
        _say("lossproof: no benchmark (--bench none, and no saved results)", quiet)
    return benchmarks.gather(out)


def figure_specs(results: dict, bench: dict | None) -> list:
    """Every figure the report draws: each claim's, then the benchmark's, as the HTML and the PDF take them."""
    from .report import content
    from .report.build import bench_sections

    report = content.build(results, bench)
    specs = [f.spec for section in report.sections for f in section.figures]
    return specs + bench_sections(bench)[0]


def figures_phase(results: dict, bench: dict | None, *, quiet: bool = False) -> int:
    """Draw every figure once (cached for the writing phase); returns how many.

    A figure that cannot be drawn costs its picture, not the report: the
    writing phase says why in its place (:func:`verify.report.figures.png_or_reason`).
    """
    from .report.figures import png_or_reason

    specs = figure_specs(results, bench)
    with Phase("figures", len(specs), quiet=quiet, unit="figures") as phase:
        for spec in specs:
            png_or_reason(spec)
            phase.advance()
    return len(specs)


def writing_phase(results: dict, bench: dict | None, out: Path, *, quiet: bool = False, waiting=None):
    """Render the HTML and the PDF and put them in place with the results (together); returns their paths."""
    from .report.build import WRITE_STEPS, write_report

    with Phase("writing", len(WRITE_STEPS), quiet=quiet, unit="steps (html, pdf, files)",
               weights=[WRITE_WEIGHTS[step] for step in WRITE_STEPS]) as phase:
        paths = write_report(results, bench, out, waiting=waiting, progress=lambda step: phase.advance())
    return paths


class ReportJob:
    """The report's phases into ``out``, timed by ``clock`` (wall and CPU seconds per phase)."""

    def __init__(self, out: Path, *, quiet: bool = False):
        self.out, self.quiet = Path(out), quiet
        self.clock = PhaseClock()

    def read_results(self, path) -> dict:
        """The claims phase from a results file: nothing is re-run."""
        from .harness import results as results_doc

        self.clock.start("claims")
        doc = results_doc.read(path)
        _say(f"lossproof: using the results in {path} (no claim is re-run)", self.quiet)
        return doc

    def claims(self, profile: str, parallel: dict, progress: ClaimsProgress) -> dict:
        """Run every claim against the registered implementations; returns the results document."""
        from .catalog import all_claims
        from .harness import results as results_doc
        from .harness.runner import run

        self.clock.start("claims")
        _say(f"lossproof: running the claims (Hypothesis profile {profile})", self.quiet)
        try:
            results = run(all_claims(), list(impls.names()), profile=profile, progress=progress,
                          started=progress.started, **parallel)
        except BaseException:
            progress.close(stopped=True)
            raise
        progress.close()
        return results_doc.build(results, [impls.get(n) for n in impls.names()], profile)

    def publish(self, doc: dict, bench: str, waiting=None) -> tuple[Path, Path]:
        """The benchmark, figures and writing phases; returns the paths of the HTML page and the PDF."""
        self.clock.start("benchmark")
        bench_doc = benchmark_phase(self.out, bench, quiet=self.quiet)
        self.clock.start("figures")
        figures_phase(doc, bench_doc, quiet=self.quiet)
        self.clock.start("writing")
        try:
            return writing_phase(doc, bench_doc, self.out, quiet=self.quiet, waiting=waiting)
        finally:
            self.clock.stop()

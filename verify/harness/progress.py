"""Progress of a long phase (claims, benchmark, figures, writing) on stderr, with an estimate of the time left.

One helper for every phase of ``lossproof report`` and ``lossproof check``::

    with Phase("claims", total=132, stream=sys.stderr) as phase:
        for ...:
            phase.line("[  1/132] ok folklore.F1 [numpy] holds (0.4s)")  # a line of its own, above the bar
            phase.advance()

On a terminal it is a tqdm bar (done / total, elapsed, time left). Where the
stream is not a terminal (a CI log, a pipe) a bar would be a stream of
carriage returns, so it prints plain lines instead: one at the start, then the
count and the estimate at most once every ``interval`` seconds while steps
finish (between the steps' own lines), and, when nothing at all was printed
for ``interval`` seconds (one long claim, one long PDF), a "still running"
line from a timer thread, so that no phase is silent for more than
``interval`` seconds. ``quiet`` shows nothing at all.

The estimate of the time left is the rate so far applied to the work left:
``elapsed / done * (total - done)``, or, where the steps are known to differ
in cost, ``weights`` (one per step, in any unit) make it
``elapsed / done_weight * weight_left``. It is an estimate, said as "about".
"""

from __future__ import annotations

import sys
import threading
import time

# A phase prints a plain line at least this often (seconds) when its stream is not a terminal.
PLAIN_INTERVAL_S = 10.0
# What a phase's plain lines start with: ``lossproof: claims: 40/132 claims, ...``.
PLAIN_PREFIX = "lossproof: "


def duration_text(seconds: float) -> str:
    """``75.3`` as ``1 min 15 s``, ``8.2`` as ``8 s``."""
    seconds = max(0.0, float(seconds))
    if seconds < 60:
        return f"{seconds:.0f} s"
    minutes, rest = divmod(int(round(seconds)), 60)
    return f"{minutes} min {rest:02d} s"


def _is_terminal(stream) -> bool:
    """A terminal with a width: a pseudo-terminal of 0 columns (``script``, some CI runners) would show no bar at all."""
    import os

    try:
        return bool(stream.isatty()) and os.get_terminal_size(stream.fileno()).columns > 0
    except (AttributeError, ValueError, OSError):  # no isatty or fileno, a closed stream, no size
        return False


class Phase:
    """The progress of one phase: ``advance`` after each step, ``line`` for a line of its own, ``close`` at the end.

    ``total`` steps (None: unknown, no estimate); ``weights``, when given, is
    one relative cost per step, in the order the steps are advanced (the
    last-finished order of parallel work is not known in advance, so the
    runner's steps advance with weight 1 each). ``unit`` names a step in the
    plain lines ("claims", "figures"). ``bar`` forces the tqdm bar on or off
    (default: on a terminal only).
    """

    def __init__(self, name: str, total: int | None, *, stream=None, quiet: bool = False, unit: str = "steps",
                 weights=None, interval: float = PLAIN_INTERVAL_S, bar: bool | None = None):
        self.name = name
        self.total = total
        self.unit = unit
        self.stream = sys.stderr if stream is None else stream
        self.quiet = quiet
        self.interval = interval
        self.done = 0
        self._weights = list(weights) if weights is not None else None
        self._started = time.perf_counter()
        self._last_line = self._started  # any output: the timer speaks when there was none for `interval`
        self._last_status = self._started  # the count and estimate: at most once per `interval` on a step
        self._done_at_status = 0
        self._last_done_at = 0.0  # seconds after the start when the last step finished
        self._lock = threading.Lock()
        self._closed = False
        self._bar = None
        self._timer = None
        if quiet:
            return
        use_bar = _is_terminal(self.stream) if bar is None else bar
        if use_bar:
            from tqdm import tqdm

            # smoothing=0: the average rate since the start, as the plain estimate uses (weights aside)
            self._bar = tqdm(total=total, desc=name, unit="", file=self.stream, leave=True, dynamic_ncols=True, smoothing=0,
                             bar_format="{desc}: {n_fmt}/{total_fmt} |{bar}| {elapsed} elapsed, about {remaining} left")
        else:
            self._say(f"{name}: started" + (f", {total} {unit}" if total is not None else ""))
        self._timer = threading.Thread(target=self._heartbeat, name=f"progress-{name}", daemon=True)
        self._timer.start()

    # ------------------------------------------------------------------ estimates
    @property
    def elapsed(self) -> float:
        return time.perf_counter() - self._started

    def remaining(self) -> float | None:
        """Seconds left at the rate so far, or None before the first step (or with no total).

        The rate is that of the finished steps (time at the last one over
        their weight); the time already spent on the step under way is taken
        off, so that a long step (the PDF) does not inflate the estimate
        while it runs. Never below 0.
        """
        if self.total is None or self.done == 0:
            return None
        if self._weights is not None and len(self._weights) == self.total:
            done_weight = sum(self._weights[: self.done])
            left_weight = sum(self._weights[self.done:])
        else:
            done_weight, left_weight = self.done, self.total - self.done
        if done_weight <= 0:
            return None
        under_way = self.elapsed - self._last_done_at
        return max(0.0, self._last_done_at / done_weight * left_weight - under_way)

    def status(self) -> str:
        """``claims: 40/132 claims, 1 min 05 s elapsed, about 2 min 10 s left`` (printed after ``PLAIN_PREFIX``)."""
        count = f"{self.done}/{self.total}" if self.total is not None else str(self.done)
        left = self.remaining()
        estimate = f", about {duration_text(left)} left" if left is not None and self.done < (self.total or 0) else ""
        return f"{self.name}: {count} {self.unit}, {duration_text(self.elapsed)} elapsed{estimate}"

    # ------------------------------------------------------------------ output
    def _say(self, text: str, own: bool = False) -> None:
        # The phase's own lines read as the command's other notices ("lossproof: ..."); a step's line is as given.
        self.stream.write(("" if own else PLAIN_PREFIX) + text + "\n")
        self.stream.flush()
        self._last_line = time.perf_counter()

    def line(self, text: str) -> None:
        """A line of its own (a claim's progress line): above the bar on a terminal, as is otherwise; nothing when quiet."""
        if self.quiet:
            return
        with self._lock:
            if self._bar is not None:
                self._bar.write(text.rstrip("\n"), file=self.stream)
            else:
                self._say(text.rstrip("\n"), own=True)

    def advance(self, steps: int = 1) -> None:
        with self._lock:
            self.done += steps
            self._last_done_at = self.elapsed
            if self.quiet:
                return
            if self._bar is not None:
                self._bar.update(steps)
            elif time.perf_counter() - self._last_status >= self.interval:
                self._say(self.status())
                self._last_status, self._done_at_status = self._last_line, self.done

    def _heartbeat(self) -> None:
        # Wakes every second: a bar's elapsed time and estimate keep moving; a plain stream gets a line
        # when none was printed for `interval` seconds.
        while not self._closed:
            time.sleep(min(1.0, self.interval))
            with self._lock:
                if self._closed:
                    return
                if self._bar is not None:
                    self._bar.refresh()
                elif time.perf_counter() - self._last_line >= self.interval:
                    # "still running": no step finished since the last status line
                    idle = self.done == self._done_at_status
                    self._say(self.status() + (" (still running)" if idle else ""))
                    self._last_status, self._done_at_status = self._last_line, self.done

    def close(self, stopped: bool = False) -> None:
        """The closing line: done, or (``stopped``: an exception left the phase) how far it got."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
            if self.quiet:
                return
            if self._bar is not None:
                self._bar.close()
            elif stopped:
                of = f" of {self.total}" if self.total is not None else ""
                self._say(f"{self.name}: stopped after {self.done}{of} {self.unit}, {duration_text(self.elapsed)}")
            else:
                self._say(f"{self.name}: done, {self.done} {self.unit} in {duration_text(self.elapsed)}")

    def __enter__(self) -> "Phase":
        return self

    def __exit__(self, kind, value, traceback) -> None:
        self.close(stopped=kind is not None)


def own_cpu_seconds(live_descendants: bool) -> float:
    """CPU seconds (user + system) of this process and its finished, waited-for children; with
    ``live_descendants``, also of the descendants still running (a report's worker pool between phases)."""
    import os

    t = os.times()
    own = t.user + t.system + t.children_user + t.children_system
    return own + _live_descendants_cpu() if live_descendants else own


def _live_descendants_cpu() -> float:
    """CPU seconds of this process's live descendants (theirs and their own finished children's); 0 off Linux."""
    import os

    try:
        ticks = os.sysconf("SC_CLK_TCK")
        pids = [int(name) for name in os.listdir("/proc") if name.isdigit()]
    except (OSError, ValueError, AttributeError):
        return 0.0
    parent, seconds = {}, {}
    for pid in pids:
        try:
            with open(f"/proc/{pid}/stat", encoding="ascii", errors="replace") as fh:
                fields = fh.read().rsplit(")", 1)[1].split()  # after the command name, which may hold spaces
        except (OSError, IndexError):
            continue  # exited meanwhile
        parent[pid] = int(fields[1])
        seconds[pid] = sum(int(v) for v in fields[11:15]) / ticks  # utime, stime, cutime, cstime
    children: dict[int, list[int]] = {}
    for pid, ppid in parent.items():
        children.setdefault(ppid, []).append(pid)
    total, stack = 0.0, list(children.get(os.getpid(), []))
    while stack:
        pid = stack.pop()
        total += seconds.get(pid, 0.0)
        stack += children.get(pid, [])
    return total


class PhaseClock:
    """Wall and CPU seconds of each phase of a command, for its closing line and for reasoning on a busy machine.

    CPU seconds are this process's, its finished children's (``os.times``)
    and, on Linux, those of its live descendants (``/proc/PID/stat``): the
    runner's worker processes may outlive the phase that used them, and a
    child's time reaches ``os.times`` only once it has exited and been waited
    for. On a machine other processes load, wall time grows and CPU time does
    not: the CPU seconds say what the work costs.
    """

    def __init__(self):
        self.phases: list[tuple[str, float, float]] = []  # (name, wall seconds, CPU seconds)
        self._name = None

    @staticmethod
    def _cpu() -> float:
        return own_cpu_seconds(live_descendants=True)

    def start(self, name: str) -> None:
        self.stop()
        self._name, self._wall0, self._cpu0 = name, time.perf_counter(), self._cpu()

    def stop(self) -> None:
        if self._name is not None:
            self.phases.append((self._name, time.perf_counter() - self._wall0, self._cpu() - self._cpu0))
            self._name = None

    def summary(self) -> str:
        """``claims 2 min 12 s (CPU 3 min 40 s), figures 9 s (CPU 9 s), ...; total ...``."""
        self.stop()
        parts = [f"{name} {duration_text(wall)} (CPU {duration_text(cpu)})" for name, wall, cpu in self.phases]
        wall = sum(p[1] for p in self.phases)
        cpu = sum(p[2] for p in self.phases)
        return f"{', '.join(parts)}; total {duration_text(wall)} (CPU {duration_text(cpu)})"

    def as_dict(self) -> dict:
        self.stop()
        return {name: {"wall_seconds": round(wall, 2), "cpu_seconds": round(cpu, 2)} for name, wall, cpu in self.phases}


class ClaimsProgress:
    """The runner's ``started`` and ``progress`` hooks on a :class:`Phase`: today's per-claim lines, and the bar or estimate.

    Each finished claim gets its line (:func:`verify.harness.runner.print_progress`,
    with its evidence summary under ``verbose``) above the bar; the phase
    starts when the runner says how many claims there are, or at the first
    result when the caller runs the runner several times (``--last-failed``).
    """

    def __init__(self, name: str = "claims", *, verbose: bool = False, stream=None, quiet: bool = False, after_each=None):
        self.name, self.verbose, self.stream, self.quiet = name, verbose, stream, quiet
        self.after_each = after_each  # called after each claim's line, quiet or not (the command's test hook)
        self.phase: Phase | None = None

    def started(self, total: int) -> None:
        if self.phase is None:
            self.phase = Phase(self.name, total, stream=self.stream, quiet=self.quiet, unit="claims")

    def __call__(self, done: int, total: int, result) -> None:
        import io

        from .runner import print_progress

        self.started(total)
        text = io.StringIO()
        print_progress(done, total, result, stream=text, verbose=self.verbose)
        self.phase.line(text.getvalue().rstrip("\n"))
        self.phase.advance()
        if self.after_each is not None:
            self.after_each()

    def close(self, stopped: bool = False) -> None:
        if self.phase is not None:
            self.phase.close(stopped)

"""Supervised worker processes: code under test may hang or crash its process; the harness must not go with it.

:class:`SupervisedPool` runs tasks (a module-level function and its plain
arguments: :func:`verify.harness.runner.run_in_worker` and a claim's names)
in long-lived worker processes started with ``spawn``. Each worker has a
:class:`~verify.harness.foreign.CallSlot` in shared memory where every call
into the implementation under test is announced (method, start, limit,
arguments; :class:`~verify.harness.foreign.Watched` writes it). The parent
waits on the workers' pipes and process sentinels and reads the slots:

* a call past its limit: the worker is killed (SIGKILL: a call stuck in C
  code ignores anything gentler) and the task fails with
  ``timed out after 10 s in grad``;
* a worker that dies (a segmentation fault, ``os._exit``, the OOM killer):
  the task fails with ``crashed with signal 11 (SIGSEGV) in hessian``, or
  ``exited with status 3 in loss``;

with the method and the arguments of the call in progress read from the slot.
A worker that died or was killed is replaced by a fresh one for the next task,
so the other tasks still run. Watching costs the parent one wake-up every
``POLL_S``; it costs a worker a few microseconds per call (the slot's writes),
nothing per task.
"""

from __future__ import annotations

import atexit
import multiprocessing
import signal
import time
import traceback
from dataclasses import dataclass, replace
from multiprocessing.connection import wait

from .foreign import CallSlot, supervise_calls

# How often the parent looks at the slots for a call past its limit: a timeout is reported at most this late.
POLL_S = 0.1


@dataclass(frozen=True)
class Failure:
    """A task that did not finish: ``kind`` is ``timeout``, ``crash`` or ``harness`` (the task itself raised)."""

    kind: str
    finding: str  # one line: "timed out after 10 s in grad", "crashed with signal 11 (SIGSEGV) in hessian"
    method: str | None = None
    arguments: dict | None = None  # the arguments of the call in progress, when the slot kept them
    limit_s: float | None = None
    signal: int | None = None
    details: str = ""  # the traceback, when the task itself raised
    duration_s: float = 0.0  # from the task's start to its failure


def signal_name(number: int) -> str:
    try:
        return signal.Signals(number).name
    except ValueError:
        return f"signal {number}"


def _worker_main(conn, slot, call_limit_s, initializer, initargs):
    # Ctrl-C reaches the whole process group; the parent handles it and stops its workers, which must not print
    # a KeyboardInterrupt traceback each, nor answer it as a task that raised.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    supervise_calls(slot, call_limit_s)
    if initializer is not None:
        initializer(*initargs)
    while True:
        try:
            task = conn.recv()
        except EOFError:  # the parent is gone
            return
        if task is None:
            return
        fn, args = task
        try:
            out = ("done", fn(*args))
        except BaseException as exc:  # noqa: BLE001 - the parent reports it; the worker serves the next task
            out = ("raised", f"{type(exc).__name__}: {exc}\n{traceback.format_exc(limit=8)}")
        slot.leave()
        conn.send(out)


class _Worker:
    def __init__(self, ctx, call_limit_s, initializer, initargs):
        self.slot = CallSlot()
        self.conn, child = ctx.Pipe()
        self.process = ctx.Process(target=_worker_main, args=(child, self.slot, call_limit_s, initializer, initargs),
                                   daemon=True)
        self.process.start()
        child.close()
        self.task = None  # the key of the task it runs, or None when idle
        self.started = 0.0  # when it was given that task (time.monotonic)

    def stop(self, kill: bool = False) -> None:
        if kill:
            self.process.kill()
        else:
            try:
                self.conn.send(None)
            except (BrokenPipeError, OSError):
                pass
        self.process.join(timeout=None if kill else 5)
        if self.process.is_alive():
            self.process.kill()
            self.process.join()
        self.conn.close()


class SupervisedPool:
    """``size`` spawned worker processes, each task watched for its calls' time limits and for a crash.

    ``call_limit_s``: every call's limit (None: each call's default,
    :func:`verify.harness.foreign.call_time_limit`). ``initializer(*initargs)``
    runs once in each worker (and in each replacement).
    """

    def __init__(self, size: int, *, call_limit_s: float | None = None, initializer=None, initargs=()):
        if size < 1:
            raise ValueError(f"size: must be at least 1, got {size}")
        self._ctx = multiprocessing.get_context("spawn")
        self._args = (call_limit_s, initializer, initargs)
        self._workers = [self._start() for _ in range(size)]

    def _start(self) -> _Worker:
        return _Worker(self._ctx, *self._args)

    def run(self, tasks, on_done) -> None:
        """Run ``tasks`` (``(key, fn, args)``), calling ``on_done(key, value, failure)`` as each ends, in any order.

        ``value`` is what ``fn(*args)`` returned, or None with ``failure`` a
        :class:`Failure` when the worker timed out, crashed, or ``fn`` raised.
        """
        pending = list(reversed(list(tasks)))
        running = 0
        while pending or running:
            for i, w in enumerate(self._workers):
                if w.task is None and pending:
                    key, fn, args = pending.pop()
                    try:
                        w.conn.send((fn, args))
                    except (BrokenPipeError, OSError):  # it died while idle: a fresh one takes the task
                        w.stop(kill=True)
                        w = self._workers[i] = self._start()
                        w.conn.send((fn, args))
                    w.task, w.started = key, time.monotonic()
                    running += 1
            busy = [w for w in self._workers if w.task is not None]
            ready = set(wait([w.conn for w in busy] + [w.process.sentinel for w in busy], timeout=POLL_S))
            for i, w in enumerate(self._workers):
                if w.task is None:
                    continue
                key, failure, value = w.task, None, None
                if w.conn in ready:
                    try:
                        status, value = w.conn.recv()
                    except (EOFError, OSError):
                        status = "died"
                    if status == "raised":
                        failure = Failure("harness", f"the check raised {value.splitlines()[0]}", details=value)
                    elif status == "died":
                        failure = self._crash(w)
                elif w.process.sentinel in ready:
                    failure = self._crash(w)
                else:
                    over = w.slot.running()
                    if over is None or over[1] <= over[2]:
                        continue
                    failure = self._timeout(w, over)
                if failure is not None and failure.kind != "harness":
                    w.stop(kill=True)
                    self._workers[i] = self._start()
                else:
                    w.task = None
                running -= 1
                if failure is not None:
                    failure = replace(failure, duration_s=time.monotonic() - w.started)
                on_done(key, None if failure else value, failure)

    def _crash(self, w: _Worker) -> Failure:
        w.process.join(timeout=5)
        code = w.process.exitcode
        running = w.slot.running()
        method = running[0] if running else None
        where = f" in {method}" if method else " outside the implementation's calls"
        if code is not None and code < 0:
            return Failure("crash", f"crashed with signal {-code} ({signal_name(-code)}){where}", method,
                           w.slot.arguments() if method else None, signal=-code)
        return Failure("crash", f"exited with status {code}{where}", method, w.slot.arguments() if method else None)

    def _timeout(self, w: _Worker, running) -> Failure:
        method, _, limit = running
        arguments = w.slot.arguments()
        w.process.kill()
        return Failure("timeout", f"timed out after {limit:g} s in {method}", method, arguments, limit_s=limit)

    def close(self) -> None:
        for w in self._workers:
            w.stop(kill=w.task is not None)
        self._workers = []

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


_SHARED: dict = {"key": None, "pool": None}


def shared_pool(size: int, *, call_limit_s: float | None = None, initializer=None, initargs=()) -> SupervisedPool:
    """A :class:`SupervisedPool` kept for the next run of this process with the same arguments (closed at exit).

    A worker takes about two seconds to start (NumPy, SciPy, Hypothesis,
    mpmath and the catalog imported); a process that runs the claims several
    times (the tests, ``--last-failed`` batches) starts them once. A worker
    keeps what it imported and the implementations it built, as this process
    keeps the modules :func:`impls.load` loaded. Another size or limit closes
    the kept pool and starts a new one.
    """
    key = (size, call_limit_s, initializer, tuple(initargs))
    if _SHARED["key"] != key:
        close_shared_pool()
        _SHARED["pool"] = SupervisedPool(size, call_limit_s=call_limit_s, initializer=initializer, initargs=initargs)
        _SHARED["key"] = key
    return _SHARED["pool"]


def close_shared_pool() -> None:
    pool, _SHARED["pool"], _SHARED["key"] = _SHARED["pool"], None, None
    if pool is not None:
        pool.close()


atexit.register(close_shared_pool)

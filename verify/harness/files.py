"""Whole files in and out: every failure is one :class:`FileProblem` naming the path and the reason.

Everything the command line reads (``report --from``, ``check --last-failed``,
``OUT/bench.json``) and writes (``check --json``, ``bench --json``, the
report) goes through here, so a missing file, a folder where a file was
meant, a read-only place, a parent that is a file, bytes that are not JSON
and a document of the wrong shape each give one line,
``PATH: reason``, which ``lossproof`` prints as
``lossproof: error: PATH: reason`` with exit status 2.

Writes are atomic. One file (:func:`write_bytes`) goes to a temporary file
beside it and replaces the target in one rename. The files of one report
(:func:`publish_together`) go into a fresh folder ``OUT/.report-<pid>-<token>/``
and become current together when one symbolic link, ``OUT/.report``, is
switched to it by one rename; ``OUT/index.html`` and its siblings are
symbolic links through ``OUT/.report`` (made once), so a reader sees the old
set or the new set, never a mix. The switch holds ``OUT/.lock``
(``fcntl.flock``): two reports into one folder take turns. A folder or
temporary file left by a run that was killed is removed by the next run.

``LOSSPROOF_TEST_PAUSE_AT=<phase>`` makes the process stop at the named
phase (:data:`PAUSE_PHASES`) and wait there to be signalled: the interrupt
tests send SIGINT or SIGKILL at a known point instead of at a guessed time.
"""

from __future__ import annotations

import errno
import json
import os
import re
import secrets
import shutil
import sys
import tempfile
import time
from pathlib import Path

CURRENT = ".report"  # the link whose target is the folder of the current report
LOCK = ".lock"
_FOLDER_PREFIX = ".report-"
_SWITCH_PREFIX = ".report.switch-"

PAUSE_VARIABLE = "LOSSPROOF_TEST_PAUSE_AT"
PAUSE_PHASES = (
    "check:claim-done",  # a claim finished, the others still running (in the workers with --jobs)
    "write:temporary",  # a file's bytes are in its temporary file, not yet renamed onto the target
    "report:rendered",  # the report is rendered in memory, nothing written
    "report:folder-written",  # the new report folder holds every file, .report still names the old one
    "report:switched",  # .report names the new folder, the old one is not yet removed
)


class FileProblem(Exception):
    """A file that cannot be read or written as asked: ``str()`` is ``"PATH: reason"``, one line."""

    def __init__(self, path, reason: str):
        self.path = str(path)
        self.reason = " ".join(str(reason).split())
        super().__init__(f"{self.path}: {self.reason}")


def pause_at(phase: str) -> None:
    """Wait here to be signalled when ``LOSSPROOF_TEST_PAUSE_AT`` names ``phase`` (a test hook; otherwise nothing)."""
    assert phase in PAUSE_PHASES, phase
    if os.environ.get(PAUSE_VARIABLE) != phase:
        return
    sys.stderr.write(f"lossproof: paused at {phase} (pid {os.getpid()})\n")
    sys.stderr.flush()
    while True:  # until a signal ends the process or raises KeyboardInterrupt here
        time.sleep(0.05)


def _blocking_ancestor(path: Path) -> Path | None:
    """The nearest existing ancestor of ``path`` that is not a folder (a file in the way), or None."""
    for parent in Path(os.path.abspath(path)).parents:
        if parent.exists():
            return None if parent.is_dir() else parent
    return None


def _reason(exc: OSError, path, writing: bool) -> str:
    """Why ``exc`` happened to ``path``, in words (no errno, no traceback)."""
    if isinstance(exc, IsADirectoryError) or (writing and os.path.isdir(path)):
        return "is a folder, not a file"
    in_the_way = _blocking_ancestor(path)
    if in_the_way is not None:
        return f"{in_the_way} is a file, not a folder"
    if isinstance(exc, FileNotFoundError):
        return "no such file" if not writing else "its folder cannot be created"
    if isinstance(exc, PermissionError) or exc.errno in (errno.EACCES, errno.EPERM):
        return "permission denied"
    if exc.errno == errno.EROFS:
        return "read-only file system"
    if exc.errno == errno.ENOSPC:
        return "no space left on the device"
    return exc.strerror or str(exc)


# --------------------------------------------------------------------------
# Reading


def read_bytes(path) -> bytes:
    try:
        with open(path, "rb") as fh:
            return fh.read()
    except OSError as exc:
        raise FileProblem(path, _reason(exc, path, writing=False)) from None


def read_json(path):
    """The JSON value in the file at ``path`` (UTF-8)."""
    data = read_bytes(path)
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise FileProblem(path, f"not UTF-8 text (byte {exc.start} is {data[exc.start]:#04x})") from None
    if not text.strip():
        raise FileProblem(path, "is empty, not JSON")
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise FileProblem(path, f"not JSON: {exc.msg} at line {exc.lineno}, column {exc.colno}") from None


# --------------------------------------------------------------------------
# Writing one file


def _umask() -> int:
    umask = os.umask(0)
    os.umask(umask)
    return umask


def make_folder(path) -> Path:
    """``path`` as a folder this process can write into, created with its parents if need be."""
    folder = Path(path)
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except FileExistsError:
        raise FileProblem(path, "is a file, not a folder") from None
    except OSError as exc:
        raise FileProblem(path, _reason(exc, path, writing=True)) from None
    problem = _cannot_create_in(folder)
    if problem:
        raise FileProblem(path, problem)
    return folder


def _cannot_create_in(folder) -> str:
    """Why no file can be created in ``folder``, or "" when one can: found by creating one and removing it.

    Asking ``os.access`` is not enough: it answers yes to root on a read-only
    file system such as ``/sys``.
    """
    probe = Path(folder) / _temporary_name("probe")
    try:
        os.close(os.open(probe, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    except OSError as exc:
        return _reason(exc, probe, writing=True)
    _unlink_quietly(probe)
    return ""


def check_writable(path) -> None:
    """Raise :class:`FileProblem` now if a file could not be written at ``path`` (before hours of work, not after).

    Its folder is created if need be; a probe file is created there and removed, nothing is left.
    """
    if os.path.isdir(path):
        raise FileProblem(path, "is a folder, not a file")
    in_the_way = _blocking_ancestor(path)
    if in_the_way is not None:
        raise FileProblem(path, f"{in_the_way} is a file, not a folder")
    parent = os.path.dirname(os.path.abspath(path))
    try:
        os.makedirs(parent, exist_ok=True)
    except OSError as exc:
        raise FileProblem(path, f"cannot create its folder {parent}: {_reason(exc, parent, writing=True)}") from None
    problem = _cannot_create_in(parent)
    if problem:
        raise FileProblem(path, f"cannot create a file in {parent}: {problem}")


def _temporary_name(name: str) -> str:
    return f".{name}.{os.getpid()}-{secrets.token_hex(4)}.tmp"


_TEMPORARY = re.compile(r"^\..+\.(\d+)-[0-9a-f]{8}\.tmp$")  # what _temporary_name makes: .<name>.<pid>-<token>.tmp


def _is_stale(pid: int) -> bool:
    """Whether the process that named a temporary file ``pid`` no longer runs (it was killed before it cleaned up)."""
    if pid == os.getpid():
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:  # it runs, as another user
        return False
    return False


def _remove_stale_temporaries(folder: Path) -> None:
    """Remove the temporary files in ``folder`` that a killed ``lossproof`` left (theirs: by name and by dead pid)."""
    try:
        entries = list(folder.iterdir())
    except OSError:
        return
    for entry in entries:
        match = _TEMPORARY.match(entry.name)
        if match and _is_stale(int(match.group(1))):
            _unlink_quietly(entry)


def write_bytes(path, data: bytes) -> Path:
    """Write ``data`` to ``path`` so that readers see the old file or the new one, never a partial one.

    The bytes go to a temporary file in the same folder (same file system),
    are flushed to disk, and replace the target in one rename; on any
    failure or interrupt the temporary file is removed. A temporary file of
    a process that was killed meanwhile is removed first.
    """
    path = Path(path)
    check_writable(path)
    _remove_stale_temporaries(path.parent)
    tmp = path.parent / _temporary_name(path.name)
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666 & ~_umask())
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        pause_at("write:temporary")
        os.replace(tmp, path)
    except OSError as exc:
        _unlink_quietly(tmp)
        raise FileProblem(path, _reason(exc, path, writing=True)) from None
    except BaseException:
        _unlink_quietly(tmp)
        raise
    return path


def json_bytes(document) -> bytes:
    """``document`` as the files hold it: indented JSON without NaN (an infinity or NaN there is a writer's bug: ValueError)."""
    return (json.dumps(document, indent=1, allow_nan=False) + "\n").encode("utf-8")


def write_json(document, path) -> Path:
    """Write ``document`` as :func:`json_bytes`, atomically."""
    return write_bytes(path, json_bytes(document))


def _unlink_quietly(path: Path) -> None:
    try:
        os.unlink(path)
    except OSError:  # gone already, or not ours to remove: nothing to clean up
        pass


def _problem(exc: OSError, path) -> FileProblem:
    """The :class:`FileProblem` of ``exc`` raised while writing; it names the file the call failed on (a rename's
    target), else ``path``."""
    failed = exc.filename2 or exc.filename or path
    return FileProblem(failed, _reason(exc, failed, writing=True))


# --------------------------------------------------------------------------
# The files of one report, replaced together


class _Lock:
    """``fcntl.flock`` on ``folder/.lock`` for the life of the ``with`` block; ``waiting()`` is called if it must wait."""

    def __init__(self, folder: Path, waiting=None):
        self.path, self.waiting, self.fd = folder / LOCK, waiting, None

    def __enter__(self):
        import fcntl

        try:
            self.fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o666 & ~_umask())
        except OSError as exc:
            raise FileProblem(self.path, _reason(exc, self.path, writing=True)) from None
        try:
            fcntl.flock(self.fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            if self.waiting:
                self.waiting()
            fcntl.flock(self.fd, fcntl.LOCK_EX)
        except BaseException:
            os.close(self.fd)
            raise
        return self

    def __exit__(self, *exc):
        os.close(self.fd)  # closing the descriptor releases the lock
        return False


def current_folder(out) -> Path | None:
    """The folder ``OUT/.report`` names (the current report's), or None before the first report."""
    link = Path(out) / CURRENT
    return link.parent / os.readlink(link) if link.is_symlink() else None


def _fsync_folder(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _point(link: Path, target: str) -> None:
    """Make ``link`` a symbolic link to ``target`` in one rename (replacing whatever was there)."""
    if link.is_symlink() and os.readlink(link) == target:
        return
    tmp = link.parent / f"{_SWITCH_PREFIX}{os.getpid()}-{secrets.token_hex(4)}"
    os.symlink(target, tmp)
    try:
        os.replace(tmp, link)
    except BaseException:
        _unlink_quietly(tmp)
        raise


def _remove_stale(out: Path, names) -> None:
    """Under the lock: every report folder but the current one, every half-made switch link, and the temporary
    files of the report's names that versions before the switch left (``.index.html.<random>.tmp``) are leftovers."""
    current = current_folder(out)
    _remove_stale_temporaries(out)
    for entry in out.iterdir():
        if entry.name.startswith(_SWITCH_PREFIX) and entry.is_symlink():
            _unlink_quietly(entry)
        elif (entry.name.endswith(".tmp") and not _TEMPORARY.match(entry.name)
              and any(entry.name.startswith(f".{name}.") for name in names)):
            _unlink_quietly(entry)
        elif entry.name.startswith(_FOLDER_PREFIX) and entry.is_dir() and not entry.is_symlink():
            if current is None or entry.name != current.name:
                shutil.rmtree(entry, ignore_errors=True)


def _new_folder(out: Path) -> Path:
    """A fresh ``OUT/.report-<pid>-<token>/``, readable as the umask allows (mkdtemp makes it private)."""
    folder = Path(tempfile.mkdtemp(prefix=f"{_FOLDER_PREFIX}{os.getpid()}-", dir=out))
    os.chmod(folder, 0o777 & ~_umask())
    return folder


def _adopt_plain_files(out: Path, names) -> None:
    """A report written before the switch existed has plain ``index.html``...: put them behind ``.report`` first.

    They are hard-linked (copied where links are refused) into a folder of
    their own, ``.report`` is pointed at it, and then each plain file is
    replaced by its link; at every step a reader sees the old report.
    """
    if (out / CURRENT).is_symlink():
        return
    plain = [n for n in names if (out / n).is_file() and not (out / n).is_symlink()]
    if not plain:
        return
    folder = _new_folder(out)
    for name in plain:
        try:
            os.link(out / name, folder / name)
        except OSError:
            shutil.copy2(out / name, folder / name)
    _point(out / CURRENT, folder.name)
    for name in names:
        _point(out / name, f"{CURRENT}/{name}")


def publish_together(out, files: dict[str, bytes], waiting=None) -> list[Path]:
    """Make ``files`` (name -> bytes) the current contents of ``OUT/<name>``, all of them or none.

    Returns the paths ``OUT/<name>``. ``waiting()`` is called when another
    report holds ``OUT/.lock``. See the module docstring for the layout; a
    failure or interrupt before the switch leaves the previous files as they
    were and removes the new folder.
    """
    out = make_folder(out)
    umask = _umask()
    with _Lock(out, waiting):
        try:
            _remove_stale(out, list(files))
            _adopt_plain_files(out, list(files))
            previous = current_folder(out)
            folder = _new_folder(out)
        except OSError as exc:
            raise _problem(exc, out) from None
        switched = False
        try:
            for name, data in files.items():
                fd = os.open(folder / name, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666 & ~umask)
                with os.fdopen(fd, "wb") as fh:
                    fh.write(data)
                    fh.flush()
                    os.fsync(fh.fileno())
            _fsync_folder(folder)
            pause_at("report:folder-written")
            _point(out / CURRENT, folder.name)
            switched = True
            _fsync_folder(out)
        except OSError as exc:
            if not switched:
                shutil.rmtree(folder, ignore_errors=True)
            raise _problem(exc, out) from None
        except BaseException:
            if not switched and current_folder(out) != folder:
                shutil.rmtree(folder, ignore_errors=True)
            raise
        try:
            pause_at("report:switched")
        finally:  # the new report is current: finish, interrupted or not, so that no old folder is left
            if previous is not None and previous != folder:
                shutil.rmtree(previous, ignore_errors=True)
            try:
                for name in files:
                    _point(out / name, f"{CURRENT}/{name}")
            except OSError as exc:
                raise _problem(exc, out / name) from None
    return [out / name for name in files]

"""BLAS thread control, written once."""

from __future__ import annotations

import contextlib

from threadpoolctl import threadpool_limits


class single_threaded_blas(contextlib.ContextDecorator):
    """Hold BLAS to one thread while a check runs: ``with single_threaded_blas():`` or ``@single_threaded_blas()``.

    The checks multiply small or thin matrices (tens to a few thousand rows),
    where a multi-threaded BLAS spends its time synchronising, and on a busy
    machine its spinning threads slow every later NumPy call. Measured on 2
    busy cores: L-BFGS on iris ran 50 times slower with OpenBLAS's default
    threads, and building the n = 20000 Newton example of song2023.C7 took
    10 s instead of 0.5 s. The previous limits come back when the block ends.
    """

    def __enter__(self):
        self._limits = threadpool_limits(limits=1, user_api="blas")
        return self

    def __exit__(self, *exc):
        self._limits.restore_original_limits()
        return False

"""Single-threaded BLAS for GP work, set once per process.

The GP's matrices are small (n <= ~1000), so OpenBLAS threads cost more than they save,
and on a loaded 2-core machine they thrash: measured 0.46 s vs 0.026 s for one fit + one
suggestion at 50 observations. Concurrency comes from serving requests in parallel.

The limit is process-wide (threadpoolctl sets OpenBLAS's thread count), so it is set once
when a service process starts (and again in a forked child, keyed by pid), never toggled
around each request: concurrent requests used to race setting and restoring it. One thread
also keeps BLAS summation order, hence proposals, reproducible.
"""

from __future__ import annotations

import contextlib
import os
import threading
from collections.abc import Iterator

import numpy as np  # noqa: F401  (load numpy's BLAS before inspecting the process)
import scipy.linalg  # noqa: F401  (and scipy's)
from threadpoolctl import ThreadpoolController  # type: ignore[import-untyped]

_lock = threading.Lock()
_limited_in: list[int] = []  # the pid whose BLAS is limited (a fork inherits a stale pid)


def limit_blas_threads() -> None:
    """Limit BLAS to one thread in this process; later calls in the same process do nothing."""
    pid = os.getpid()
    if _limited_in == [pid]:
        return
    with _lock:
        if _limited_in != [pid]:
            ThreadpoolController().limit(limits=1, user_api="blas")  # kept: never restored
            _limited_in[:] = [pid]


def blas_limited() -> bool:
    """True once this process has limited BLAS to one thread."""
    return _limited_in == [os.getpid()]


@contextlib.contextmanager
def single_threaded_blas() -> Iterator[None]:
    """Make sure BLAS is single-threaded (set once per process), then run the block."""
    limit_blas_threads()
    yield

"""Single-threaded BLAS for GP work.

The GP's matrices are small (n <= ~1000), so OpenBLAS threads cost more than they save,
and on a loaded 2-core machine they thrash: measured 0.46 s vs 0.026 s for one fit + one
suggestion at 50 observations. Concurrency comes from serving requests in parallel.

threadpoolctl changes OpenBLAS's process-wide thread count and restores it afterwards.
With concurrent requests the count is only ever set to 1 or restored, which changes speed,
never results; one thread also keeps BLAS summation order, hence proposals, reproducible.
"""

from __future__ import annotations

import contextlib
import functools
from collections.abc import Iterator

import numpy as np  # noqa: F401  (load numpy's BLAS before inspecting the process)
import scipy.linalg  # noqa: F401  (and scipy's)
from threadpoolctl import ThreadpoolController  # type: ignore[import-untyped]


@functools.cache
def _controller() -> ThreadpoolController:
    return ThreadpoolController()


@contextlib.contextmanager
def single_threaded_blas() -> Iterator[None]:
    """Run the enclosed block with one BLAS thread."""
    with _controller().limit(limits=1, user_api="blas"):
        yield

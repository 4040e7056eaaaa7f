"""The throughput workers of bench/scale_throughput.py: a request that gets no answer is
counted as an error of the cell (as Optuna's exceptions are), not a dead worker process that
leaves the run waiting for its result."""

from __future__ import annotations

import queue
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))

import scale_throughput

from tests.servers import free_port


def test_a_worker_whose_requests_get_no_answer_reports_the_errors() -> None:
    results: queue.Queue[dict[str, object]] = queue.Queue()
    nobody = f"http://127.0.0.1:{free_port()}"  # nothing listens there
    scale_throughput._hpo_worker(nobody, "s", 30.0, True, time.time(), results)
    result = results.get_nowait()
    errors = result["errors"]
    assert result["cycles"] == 0
    assert isinstance(errors, list) and len(errors) == 5  # the loop stops after five
    assert errors[0].startswith("ConnectError")

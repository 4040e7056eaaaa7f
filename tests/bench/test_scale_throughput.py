"""The throughput workers of bench/scale_throughput.py: a request that gets no answer is
counted as an error of the cell (as Optuna's exceptions are), not a dead worker process that
leaves the run waiting for its result."""

from __future__ import annotations

import queue
import sys
import time
from pathlib import Path
from typing import Any

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


def _row(system: str, strategy: str, rate: float, round_: int) -> dict[str, object]:
    return {
        "system": system,
        "strategy": strategy,
        "processes": 32,
        "cycles": int(rate * 20),
        "seconds": 20.0,
        "rate": rate,
        "p50_ms": 10.0 * (round_ + 1),
        "p99_ms": 50.0,
        "errors": round_,
        "first_error": None,
        "round": round_,
    }


def test_rounds_are_reported_as_medians_with_their_range_and_per_round_ratios() -> None:
    import scale_report

    ours, theirs = [100.0, 300.0, 200.0], [40.0, 50.0, 45.0]
    rows = [_row("hpo-service", "random", rate, i) for i, rate in enumerate(ours)]
    rows += [_row("Optuna RDB", "random (RandomSampler)", rate, i) for i, rate in enumerate(theirs)]
    record = {
        "args": {"seconds": 20, "observations": 500, "server_workers": 2, "server_threads": 1},
        "result": rows,
        "date": "2026-12-07 00:00 UTC",
        "machine": "test",
        "load_start": [0, 0, 0],
        "load_end": [0, 0, 0],
    }
    text = "\n".join(scale_report._throughput(record))
    assert "| 32 | random | hpo-service | 200.0 (100.0-300.0) | 12000 | 20 | 50 | 3 |" in text
    assert "| 32 | random | hpo-service | 4.4x |" in text  # 200 / 45, the medians
    assert (
        "random >= 5x Optuna RDB at 32 processes (hpo-service): 4.4x (200.0 vs 45.0 cycles/s, "
        "medians); per round 2.5x, 6.0x, 4.4x: **missed**." in text
    )


def test_an_earlier_run_is_shown_after_the_current_one_with_how_optuna_moved() -> None:
    import scale_report

    def record(ours: float, theirs: float, load: float) -> dict[str, Any]:
        rows = [_row("hpo-service", "random", ours, 0)]
        rows += [_row("Optuna RDB", "random (RandomSampler)", theirs, 0)]
        return {
            "args": {"seconds": 20, "observations": 500, "server_workers": 2, "server_threads": 1},
            "result": rows,
            "date": "2026-12-07 00:00 UTC",
            "machine": "test",
            "load_start": [0, 0, 0],
            "load_end": [load, 0, 0],
        }

    text = scale_report.render(
        {"throughput": record(170.0, 65.0, 1.0), scale_report.EARLIER: record(130.0, 26.0, 9.5)}
    )
    current = text.index("## Cycles/s of N worker processes on one study (PostgreSQL)\n")
    earlier = text.index("(PostgreSQL): an earlier run on another machine\n")
    assert current < earlier
    assert text.index("(170.0 vs 65.0 cycles/s): **missed**") < earlier  # 2.6x, judged first
    assert text.index("(130.0 vs 26.0 cycles/s): met") > earlier  # 5.0x, under load
    assert (
        "Optuna gave 26.0 cycles/s here against 65.0 above (2.5x), the service 130.0 against "
        "170.0 (1.31x); load average 0.00 to 9.50 here, 0.00 to 1.00 above" in text
    )
    assert "## throughput" not in text  # the current run is there, not "not measured yet"

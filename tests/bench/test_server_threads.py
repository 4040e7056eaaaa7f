"""bench/server_threads.py: runs over service processes and threads, kept apart per run."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))

import server_threads


def _record(workers: Any, threads: list[int], rows: list[dict[str, Any]]) -> dict[str, Any]:
    args = {"workers": workers, "threads": threads, "strategies": ["random"], "rounds": 1,
            "processes": 32, "seconds": 20.0, "observations": 500}  # fmt: skip
    return {"date": "d", "machine": "m", "commit": "c", "load_start": "0", "args": args,
            "result": rows}  # fmt: skip


def _row(rate: float, threads: int, loop: str, workers: int | None = None) -> dict[str, Any]:
    row = {"threads": threads, "strategy": "random", "loop": loop, "rate": rate, "errors": 0}
    return row if workers is None else {**row, "workers": workers}


def test_a_run_over_workers_and_an_older_run_over_threads_render_as_two_tables() -> None:
    older = _record(2, [1, 2], [_row(78.8, 1, "2 requests"), _row(57.6, 2, "2 requests")])
    newer = _record([2, 3], [1], [_row(119.0, 1, "2 requests", 2),
                                  _row(97.2, 1, "2 requests", 3)])  # fmt: skip
    assert server_threads.settings(older) == [(2, 1), (2, 2)]
    assert server_threads.settings(newer) == [(2, 1), (3, 1)]
    page = server_threads.render([older, newer])
    rows = [line for line in page.splitlines() if line.startswith("| random | 2 requests")]
    assert rows == [
        "| random | 2 requests | 78.8 (78.8-78.8) | 57.6 (57.6-57.6) |",
        "| random | 2 requests | 119.0 (119.0-119.0) | 97.2 (97.2-97.2) |",
    ]
    assert "| strategy | loop | W = 2, T = 1 | W = 3, T = 1 |" in page

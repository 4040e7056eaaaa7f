"""bench/scale_faults.py: how an unanswered request is counted, and the faults table."""

from __future__ import annotations

import io
import json
import sys
from pathlib import Path
from typing import Any

import httpx
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))

import scale_faults
import scale_report_load


class _Failing(httpx.BaseTransport):
    def __init__(self, exc: Exception) -> None:
        self.exc = exc

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        raise self.exc


@pytest.mark.parametrize(
    ("exc", "status"),
    [
        (httpx.ReadTimeout("timed out"), "no answer (timed out)"),
        (httpx.ConnectError("refused"), "no answer (refused/reset)"),
    ],
)
def test_an_unanswered_request_is_logged_by_kind(
    monkeypatch: pytest.MonkeyPatch, exc: Exception, status: str
) -> None:
    log = io.StringIO()
    transport = scale_faults.CountingTransport(log)
    monkeypatch.setattr(httpx.HTTPTransport, "handle_request", _Failing(exc).handle_request)
    with pytest.raises(type(exc)):
        transport.handle_request(httpx.Request("GET", "http://127.0.0.1:1/"))
    assert json.loads(log.getvalue()) == {"status": status}


def _row(scenario: str, statuses: dict[str, int]) -> dict[str, Any]:
    return {
        "scenario": scenario, "fault": f"the {scenario}", "statuses": statuses,
        "5xx_other_than_503": 0, "client_errors_raised": 0, "first_error": None,
        "recovery_first_s": 60.1, "recovery_all_s": 61.0, "loops_recovered": 16,
        "reoffered_done_after_s": 63.2, "acknowledged_reports": 900,
        "acknowledged_trials": 899, "stored_complete": 899, "lost_reports": 0,
        "duplicate_numbers": 0, "numbers_reoffered_after_lease": 4,
    }  # fmt: skip


def test_the_table_counts_timed_out_requests_apart_and_keeps_old_records() -> None:
    record = {
        "part": "faults", "date": "2026-12-07 15:30 UTC", "machine": "2 cores",
        "load_start": [0.5, 0.5, 0.5], "load_end": [1.0, 1.0, 1.0],
        "args": {"fault_seconds": 20.0},
        "result": [
            _row("kill-instance", {"200": 3000, "no answer (refused/reset)": 8}),
            _row("freeze-instance", {"200": 1800, "no answer (refused/reset)": 2,
                                     "no answer (timed out)": 9}),
        ],
    }  # fmt: skip
    lines = scale_report_load.render("faults", record)
    (killed,) = [line for line in lines if line.startswith("| the kill-instance |")]
    (frozen,) = [line for line in lines if line.startswith("| the freeze-instance |")]
    assert killed.split(" | ")[4] == "8"
    assert frozen.split(" | ")[4] == "2 + 9 timed out"
    assert "60.1 / 61.0 (16 of 16 loops)" in frozen

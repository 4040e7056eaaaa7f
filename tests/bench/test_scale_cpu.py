"""bench/scale_cpu.py and its lock probe: what is timed per locked transaction, how the
cells are summarised and rendered, and the /proc readings it rests on."""

from __future__ import annotations

import importlib.util
import json
import os
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))

import scale_cpu
import scale_report

from hpo_service.persistence import Database
from hpo_service.persistence.migrate import upgrade
from hpo_service.service import Service
from tests.conftest import study_body

BENCH = Path(__file__).resolve().parents[2] / "bench"


def _probe() -> Any:
    """bench/lock_timing/sitecustomize.py loaded by path (a ``sitecustomize`` of the
    interpreter's own may already hold that name)."""
    path = BENCH / "lock_timing" / "sitecustomize.py"
    spec = importlib.util.spec_from_file_location("hpo_bench_lock_probe", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def lock_log(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """The probe's listeners installed in this process, writing to a new file; removed after."""
    from sqlalchemy import event
    from sqlalchemy.engine import Engine
    from sqlalchemy.orm import Session

    probe = _probe()
    log = tmp_path / "locks.jsonl"
    monkeypatch.setattr(probe, "_LOG", str(log))
    probe._install()
    try:
        yield log
    finally:
        event.remove(Engine, "before_cursor_execute", probe._before)
        event.remove(Engine, "after_cursor_execute", probe._after)
        event.remove(Engine, "commit", probe._ending)
        event.remove(Engine, "rollback", probe._ending)
        event.remove(Session, "after_commit", probe._ended)
        event.remove(Session, "after_rollback", probe._ended)


def test_the_probe_times_each_locked_transaction_and_what_it_sent(
    database_url: str, lock_log: Path
) -> None:
    upgrade(database_url)
    service = Service(Database(database_url))
    try:
        service.create_study("default", study_body(max_trials=None))
        lock_log.unlink(missing_ok=True)
        (trial,) = service.suggest("default", "cancer-mlp", "w")
        service.report("default", "cancer-mlp", trial.number, 0.5)
    finally:
        service.database.dispose()
    rows = [json.loads(line) for line in lock_log.read_text().splitlines()]
    assert len(rows) >= 2  # the suggest's locked transaction and the report's
    for row in rows:
        assert row["statements"] >= 1  # every one of them writes after taking the lock
        assert row["first"] is not None and 0 <= row["first"] <= row["held"]
        assert 0 < row["sql"] <= row["held"]
        assert 0 <= row["commit"] <= row["held"]
        assert row["first"] + row["sql"] + row["commit"] <= row["held"] * 1.0001
        assert row["wait"] >= 0


def test_lock_summary_means_medians_and_transactions_per_cycle() -> None:
    lines = [
        {"wait": 0.001, "held": 0.002, "first": 0.0005, "statements": 2, "sql": 0.0004,
         "commit": 0.0003},
        {"wait": 0.003, "held": 0.004, "first": None, "statements": 0, "sql": 0.0,
         "commit": 0.0005},
        {"wait": 0.002, "held": 0.009, "first": 0.0015, "statements": 4, "sql": 0.002,
         "commit": 0.0004},
    ]  # fmt: skip
    summary = scale_cpu.lock_summary(lines, cycles=2)
    assert summary["locked"] == 3 and summary["per_cycle"] == 1.5
    assert summary["held_ms"] == 5.0 and summary["held_median_ms"] == 4.0
    assert summary["wait_median_ms"] == 2.0
    assert summary["first_ms"] == 1.0  # the transaction that sent nothing is left out
    assert summary["statements"] == 2.0 and summary["commit_ms"] == 0.4
    assert scale_cpu.lock_summary([], cycles=5) == {"locked": 0}


def _cell(name: str, round_: int, rate: float, busy: float, locked: bool) -> dict[str, Any]:
    row: dict[str, Any] = {
        "cell": name, "processes": 32, "rate": rate, "cycles": int(rate * 20), "errors": 0,
        "server_ms": 5.0 + round_, "postgres_ms": 0.8, "rest_ms": 2.2, "total_ms": 8.0 + round_,
        "busy": busy, "round": round_,
    }  # fmt: skip
    if locked:
        row.update(
            locked=100, per_cycle=2.0, held_ms=2.0 + round_, held_median_ms=1.9,
            wait_median_ms=3.0, first_ms=0.9, statements=2.0, sql_ms=0.47, commit_ms=0.45,
        )  # fmt: skip
    return row


def test_the_cpu_section_shows_each_cell_as_the_median_of_its_rounds() -> None:
    rows = [
        _cell("hpo-service, random", r, rate, busy, True)
        for r, rate, busy in ((0, 150.0, 0.70), (1, 160.0, 0.73), (2, 170.0, 0.80))
    ]
    rows += [_cell("Optuna RDB, random", r, 50.0 + r, 0.99, False) for r in range(3)]
    record = {
        "args": {"server_workers": 2, "server_threads": 1, "observations": 500},
        "result": rows,
        "date": "2026-12-07 00:00 UTC",
        "machine": "test",
        "load_start": [0, 0, 0],
        "load_end": [0, 0, 0],
    }
    text = scale_report.render({"cpu": record})
    assert "## Where a cycle's time goes at 32 worker processes" in text
    assert (
        "| hpo-service, random | 160.0 | 6.00 | 0.80 | 2.20 | 9.00 | 73% | 2.0 | 3.00 (1.90) "
        "| 0.90 | 2.0 (0.47) | 0.45 | 3.00 |" in text
    )
    assert "| Optuna RDB, random | 51.0 | 6.00 | 0.80 | 2.20 | 9.00 | 99% | - | - | - |" in text
    assert "3 round(s)" in text


def test_cpu_readings_from_proc_count_this_process_and_the_machine() -> None:
    before = scale_cpu.process_cpu(os.getpid())
    busy0, all0 = scale_cpu.machine_busy()
    sum(i * i for i in range(2_000_000))  # some CPU of our own (about 0.1-0.3 s)
    spent = scale_cpu.process_cpu(os.getpid()) - before
    busy1, all1 = scale_cpu.machine_busy()
    assert spent >= 0.05
    assert busy1 - busy0 >= spent - 0.02  # the machine was busy at least while we were
    assert busy1 - busy0 <= all1 - all0 + 0.02  # (clock ticks of 10 ms)
    assert scale_cpu.process_cpu(2**22 + 12345) == 0.0  # no such process

"""Where a cycle's time goes with N worker processes on one study: CPU by process and the lock.

Part ``cpu`` of bench/scale_out.py. Each cell is a cell of the throughput table
(bench/scale_throughput.py: the same workers, objective and server settings) run once more
while this module reads, from /proc, the CPU time of the server's process group, of every
PostgreSQL process and of the whole machine over the middle of the run (from 2 s after the
workers start to 2 s before they stop). That gives the CPU per cycle of each, and how busy
the two cores were: a cell that keeps them busy runs as fast as the CPU does; one that does
not is bound by something else. PostgreSQL backends that exit during the window are not
counted (the service's pool and Optuna's workers keep theirs for the whole run).

The hpo-service server runs with bench/lock_timing/sitecustomize.py on its PYTHONPATH,
which times every transaction that holds a study's lock: the wait for it, how long it was
held, the time from taking it to the next statement, the statements sent while it was held
and the COMMIT; shown are their means (and the medians of hold and wait) over every locked
transaction of the cell's run, with the locked transactions per cycle.
"""

from __future__ import annotations

import json
import os
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from statistics import mean, median
from typing import Any

import scale_throughput as st
from gp_concurrency import _group_pids

LOCK_PROBE = Path(__file__).resolve().parent / "lock_timing"
TICK = os.sysconf("SC_CLK_TCK")
MARGIN = 2.0  # seconds left out at each end of a cell


def machine_busy() -> tuple[float, float]:
    """(busy, all) CPU seconds of the machine so far, every core (/proc/stat)."""
    fields = [float(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = fields[3] + fields[4]  # idle and iowait
    return (sum(fields) - idle) / TICK, sum(fields) / TICK


def process_cpu(pid: int) -> float:
    """User + system CPU seconds of one process so far (0 if it is gone)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return 0.0
    fields = stat.rsplit(")", 1)[1].split()  # the command may hold spaces
    return (float(fields[11]) + float(fields[12])) / TICK


def postgres_pids() -> list[int]:
    """Every process whose command is ``postgres`` (the server and its backends)."""
    pids = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if (entry / "comm").read_text().strip() == "postgres":
                    pids.append(int(entry.name))
            except OSError:
                continue
    return pids


class CpuWindow:
    """CPU seconds spent between ``start`` and ``stop`` by the server's process group, by
    PostgreSQL and by the whole machine."""

    def __init__(self, server_group: int | None) -> None:
        self.group = server_group
        self.seconds = 0.0
        self.server = self.postgres = self.busy = self.capacity = 0.0

    def _read(self) -> tuple[dict[int, float], dict[int, float], float, float, float]:
        server = {p: process_cpu(p) for p in _group_pids(self.group)} if self.group else {}
        postgres = {p: process_cpu(p) for p in postgres_pids()}
        busy, capacity = machine_busy()
        return server, postgres, busy, capacity, time.monotonic()

    def start(self) -> None:
        self._begin = self._read()

    def stop(self) -> None:
        server, postgres, busy, capacity, at = self._read()
        server0, postgres0, busy0, capacity0, at0 = self._begin
        # a process started in the window counts from 0; one that exited is lost
        self.server = sum(t - server0.get(p, 0.0) for p, t in server.items())
        self.postgres = sum(t - postgres0.get(p, 0.0) for p, t in postgres.items())
        self.busy, self.capacity, self.seconds = busy - busy0, capacity - capacity0, at - at0


def _during(cell_seconds: float, processes: int, window: CpuWindow) -> threading.Thread:
    """A thread that opens the window once the workers have started (the start time of
    scale_throughput._run_processes plus MARGIN) and closes it MARGIN before they stop."""

    def watch() -> None:
        time.sleep(2.0 + 0.02 * processes + MARGIN)
        window.start()
        time.sleep(max(cell_seconds - 2 * MARGIN, 1.0))
        window.stop()

    return threading.Thread(target=watch, daemon=True)


def _measure(
    label: str,
    processes: int,
    seconds: float,
    prepare: Callable[[], Any],
    run: Callable[[Any], st.Cell],
    server_group: int | None,
) -> dict[str, Any]:
    """One cell: ``prepare`` (the study, outside the window), then ``run`` it, timed."""
    prepared = prepare()
    window = CpuWindow(server_group)
    watcher = _during(seconds, processes, window)
    watcher.start()
    cell = run(prepared)
    watcher.join()
    cycles = cell.rate * window.seconds
    per_cycle = 1000.0 / cycles if cycles else float("nan")
    return {
        "cell": label,
        "processes": processes,
        "rate": round(cell.rate, 2),
        "cycles": cell.cycles,
        "errors": len(cell.errors),
        "window_s": round(window.seconds, 2),
        "server_ms": round(window.server * per_cycle, 3),
        "postgres_ms": round(window.postgres * per_cycle, 3),
        "rest_ms": round((window.busy - window.server - window.postgres) * per_cycle, 3),
        "total_ms": round(window.busy * per_cycle, 3),
        "busy": round(window.busy / window.capacity, 3) if window.capacity else None,
    }


def lock_summary(lines: list[dict[str, Any]], cycles: int) -> dict[str, Any]:
    """Means of the lock log's transactions (ms), and locked transactions per cycle."""
    if not lines:
        return {"locked": 0}
    firsts = [x["first"] for x in lines if x.get("first") is not None]
    return {
        "locked": len(lines),
        "per_cycle": round(len(lines) / cycles, 2) if cycles else None,
        "held_ms": round(1000 * mean(x["held"] for x in lines), 3),
        "held_median_ms": round(1000 * median(x["held"] for x in lines), 3),
        "wait_median_ms": round(1000 * median(x["wait"] for x in lines), 3),
        "first_ms": round(1000 * mean(firsts), 3) if firsts else None,
        "statements": round(mean(x.get("statements", 0) for x in lines), 2),
        "sql_ms": round(1000 * mean(x.get("sql", 0.0) for x in lines), 3),
        "commit_ms": round(1000 * mean(x.get("commit", 0.0) for x in lines), 3),
    }


def probe_env(log: Path) -> dict[str, str]:
    """The server environment that loads the lock probe and names its log."""
    path = os.pathsep.join(x for x in (str(LOCK_PROBE), os.environ.get("PYTHONPATH")) if x)
    return {"PYTHONPATH": path, "HPO_BENCH_LOCK_LOG": str(log)}


def _read_log(log: Path) -> list[dict[str, Any]]:
    if not log.exists():
        return []
    return [json.loads(x) for x in log.read_text().splitlines() if x.strip()]


def run(
    processes: int = 32,
    seconds: float = 20.0,
    observations: int = 500,
    server_workers: int = 2,
    server_threads: int = 1,
    rounds: int = 1,
) -> list[dict[str, Any]]:
    """The four cells at ``processes`` workers, ``rounds`` times (their order rotated)."""
    st.OBSERVATIONS[0] = observations
    log = Path(tempfile.gettempdir()) / f"hpo-bench-locks-{os.getpid()}.jsonl"
    rows: list[dict[str, Any]] = []
    with (
        st.postgres_database("hpo_cpu") as hpo_url,
        st.postgres_database("optuna_cpu") as opt_url,
        st.service(hpo_url, server_workers, server_threads, probe_env(log)) as server,
    ):
        assert server.process is not None
        group = server.process.pid  # start_new_session: the server leads its group
        optuna_url = "postgresql+psycopg://" + opt_url.split("://", 1)[1]

        def hpo(strategy: str, ahead: bool) -> Callable[[], dict[str, Any]]:
            label = f"hpo-service, {strategy}" + (", report+next" if ahead else "")
            observed = 0 if strategy == "random" else observations

            def prepare() -> str:
                return st._hpo_study(server.url, strategy, observed)

            def go(name: str) -> st.Cell:
                log.unlink(missing_ok=True)
                cell = st.Cell(label, strategy, processes, observations_at_start=observed)
                args = (server.url, name, seconds, ahead)
                st._run_processes(st._hpo_worker, args, cell)
                return cell

            def measure() -> dict[str, Any]:
                row = _measure(label, processes, seconds, prepare, go, group)
                return {**row, **lock_summary(_read_log(log), row["cycles"])}

            return measure

        def optuna() -> dict[str, Any]:
            def prepare() -> str:
                return st._optuna_study(optuna_url, "random", 0)

            def go(name: str) -> st.Cell:
                cell = st.Cell("Optuna RDB, random", "random", processes)
                args = (optuna_url, name, "random", seconds)
                st._run_processes(st._optuna_worker, args, cell)
                return cell

            return _measure("Optuna RDB, random", processes, seconds, prepare, go, None)

        cells = [hpo("random", False), hpo("random", True), optuna, hpo("gp", False)]
        for round_ in range(rounds):
            turn = round_ % len(cells)
            for measure in cells[turn:] + cells[:turn]:
                row = {**measure(), "round": round_}
                print(row, flush=True)
                rows.append(row)
    log.unlink(missing_ok=True)
    return rows

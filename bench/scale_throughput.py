"""Cycles/s of N worker processes on one study: hpo-service on PostgreSQL vs Optuna's RDB storage.

One cycle = ask for a configuration, evaluate a trivial objective, report the value. Each
worker is its own OS process (forked here), all on one study, for a fixed time:

- hpo-service: ``hpo serve --workers W`` (gunicorn, W processes x 4 threads; W = 2 by
  default, one per core) on a fresh
  PostgreSQL database; each worker process loops POST .../suggestions, POST .../report over
  HTTP (httpx, keep-alive); in the "report+next" rows each report asks for the next trial
  ("next": 1), so a cycle is one request.
- Optuna: ``optuna.load_study`` on an ``RDBStorage`` in a fresh PostgreSQL database; each
  worker process loops ``study.ask()`` + three ``trial.suggest_*`` (the "suggest" latency)
  and ``study.tell``. Its RandomSampler for random; for the model-based row its TPESampler
  (Optuna's GPSampler needs PyTorch, which is not installed here).

Model-based studies start with ``--observations`` complete trials (default 500), so every
proposal is made on 500+ observations. Used by bench/scale_out.py.
"""

from __future__ import annotations

import math
import multiprocessing as mp
import os
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import psycopg

from tests.servers import ServerProcess

PG_ADMIN = "postgresql://postgres@127.0.0.1:5432/postgres"
SPACE = [
    {"name": "lr", "type": "float", "low": 1e-4, "high": 0.1, "log": True},
    {"name": "layers", "type": "int", "low": 1, "high": 3},
    {"name": "act", "type": "categorical", "choices": ["relu", "tanh", "logistic"]},
]
CHOICES = ["relu", "tanh", "logistic"]


def objective(lr: float, layers: int, act: str) -> float:
    """The trivial objective every worker evaluates (microseconds)."""
    return -((math.log10(lr) + 2.5) ** 2) - 0.1 * layers + 0.05 * CHOICES.index(act)


@dataclass
class Cell:
    """One measured configuration."""

    system: str
    strategy: str
    processes: int
    cycles: int = 0
    seconds: float = 0.0
    latencies: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    observations_at_start: int = 0

    @property
    def rate(self) -> float:
        """Cycles per second."""
        return self.cycles / self.seconds if self.seconds else 0.0

    def quantile(self, q: float) -> float:
        """A suggest-latency quantile in seconds (nan without samples)."""
        return float(np.quantile(self.latencies, q)) if self.latencies else math.nan

    def as_dict(self) -> dict[str, Any]:
        """What the report keeps of this cell."""
        return {
            "system": self.system,
            "strategy": self.strategy,
            "processes": self.processes,
            "cycles": self.cycles,
            "seconds": round(self.seconds, 2),
            "rate": round(self.rate, 2),
            "p50_ms": round(1000 * self.quantile(0.5), 1),
            "p99_ms": round(1000 * self.quantile(0.99), 1),
            "errors": len(self.errors),
            "first_error": self.errors[0][:300] if self.errors else None,
            "observations_at_start": self.observations_at_start,
        }


@contextmanager
def postgres_database(prefix: str) -> Iterator[str]:
    """A new, empty PostgreSQL database; yields its URL and drops it afterwards."""
    name = f"{prefix}_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield PG_ADMIN.rsplit("/", 1)[0] + f"/{name}"
    finally:
        with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@contextmanager
def service(
    url: str, workers: int, threads: int, env: dict[str, str] | None = None
) -> Iterator[ServerProcess]:
    """``hpo serve --workers workers --threads threads`` on ``url``, migrated first, with
    ``env`` added to its environment; its log goes to hpo-bench-serve.log in the temporary
    directory (to diagnose errors)."""
    import subprocess
    import sys
    import tempfile

    upgrade = [sys.executable, "-m", "hpo_service.cli", "db", "upgrade", "--database-url", url]
    subprocess.run(upgrade, check=True, capture_output=True)
    log = Path(tempfile.gettempdir()) / "hpo-bench-serve.log"
    args = ["--threads", str(threads)]
    server = ServerProcess(url, workers=workers, args=args, log_path=log, env=env).start()
    try:
        yield server
    finally:
        server.stop()


def seed_configs(count: int, seed: int = 7) -> list[dict[str, Any]]:
    """``count`` random configurations with their objective values (the starting history)."""
    rng = np.random.default_rng(seed)
    out = []
    for _ in range(count):
        params = {
            "lr": float(10 ** rng.uniform(-4, -1)),
            "layers": int(rng.integers(1, 4)),
            "act": CHOICES[int(rng.integers(3))],
        }
        out.append({"params": params, "value": objective(**params)})
    return out


def _run_processes(target: Callable[..., None], args: tuple[Any, ...], cell: Cell) -> None:
    """Fork ``cell.processes`` workers that start together and run until a common deadline."""
    ctx = mp.get_context("fork")
    queue: Any = ctx.Queue()
    start_at = time.time() + 2.0 + 0.02 * cell.processes  # every process forked and ready
    procs = [
        ctx.Process(target=target, args=(*args, start_at, queue)) for _ in range(cell.processes)
    ]
    for proc in procs:
        proc.start()
    results = [queue.get(timeout=600) for _ in procs]
    for proc in procs:
        proc.join(30)
    finished = max(r["finished"] for r in results)
    cell.seconds = finished - start_at
    for result in results:
        cell.cycles += result["cycles"]
        cell.latencies += result["latencies"]
        cell.errors += result["errors"]


def _hpo_worker(
    base: str, name: str, seconds: float, ahead: bool, start_at: float, queue: Any
) -> None:
    """Suggest, evaluate, report; with ``ahead`` each report also takes the next trial
    ("next": 1), so a cycle is one request (a suggestion is asked only when none came)."""
    latencies: list[float] = []
    errors: list[str] = []
    cycles = 0
    worker = f"b{os.getpid()}"
    with httpx.Client(base_url=base, timeout=300) as http:
        time.sleep(max(0.0, start_at - time.time()))
        stop = start_at + seconds
        handed: list[dict[str, Any]] = []
        while time.time() < stop and len(errors) < 5:
            try:
                cycles += _hpo_cycle(http, name, worker, ahead, handed, latencies, errors)
            except httpx.HTTPError as exc:  # no answer: counted and shown, as Optuna's are
                errors.append(f"{type(exc).__name__}: {exc}")
    queue.put({"cycles": cycles, "latencies": latencies, "errors": errors, "finished": time.time()})


def _hpo_cycle(
    http: httpx.Client,
    name: str,
    worker: str,
    ahead: bool,
    handed: list[dict[str, Any]],
    latencies: list[float],
    errors: list[str],
) -> int:
    """One cycle of ``_hpo_worker`` (``handed`` holds a trial taken ahead); 1 if it ended
    with an acknowledged report."""
    began = time.perf_counter()
    if not handed:
        answer = http.post(f"/api/v1/studies/{name}/suggestions", json={"worker_id": worker})
        if answer.status_code != 200:
            errors.append(f"suggest {answer.status_code}: {answer.text}")
            return 0
        latencies.append(time.perf_counter() - began)
        handed[:] = answer.json()["trials"]
    trial = handed.pop()
    url = f"/api/v1/studies/{name}/trials/{trial['number']}/report"
    body = {"value": objective(**trial["params"]), "worker_id": worker}
    if ahead:
        body["next"] = 1
    began = time.perf_counter()
    report = http.post(url, json=body)
    if report.status_code != 200:
        errors.append(f"report {report.status_code}: {report.text}")
        return 0
    if ahead:
        handed[:] = report.json()["next"]
        if handed:
            latencies.append(time.perf_counter() - began)
    return 1


def _hpo_study(base: str, strategy: str, observations: int) -> str:
    name = f"tp-{uuid.uuid4().hex[:8]}"
    config = {"name": "random", "seed": 1} if strategy == "random" else {"name": "gp", "seed": 1}
    with httpx.Client(base_url=base, timeout=120) as http:
        body = {"name": name, "space": SPACE, "strategy": config}
        http.post("/api/v1/studies", json=body).raise_for_status()
        parallel(
            [
                lambda trial=trial: http.post(
                    f"/api/v1/studies/{name}/trials", json=trial
                ).raise_for_status()
                for trial in seed_configs(observations)
            ]
        )
    return name


def parallel(calls: list[Callable[[], Any]], threads: int = 8) -> None:
    """Run the calls on a few threads (filling a study's history faster)."""
    chunks = [calls[i::threads] for i in range(threads)]
    workers = [threading.Thread(target=lambda c=c: [f() for f in c]) for c in chunks]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()


HPO_AHEAD = "hpo-service, report+next"


def measure_hpo(
    server: ServerProcess, strategy: str, processes: int, seconds: float, ahead: bool = False
) -> Cell:
    """hpo-service: ``processes`` HTTP workers on a new study with ``strategy``; with
    ``ahead`` each report takes the next trial in the same request."""
    observations = 0 if strategy == "random" else OBSERVATIONS[0]
    system = HPO_AHEAD if ahead else "hpo-service"
    cell = Cell(system, strategy, processes, observations_at_start=observations)
    name = _hpo_study(server.url, strategy, observations)
    _run_processes(_hpo_worker, (server.url, name, seconds, ahead), cell)
    return cell


OBSERVATIONS = [500]  # set from the command line


def _optuna_sampler(strategy: str) -> Any:
    import optuna

    if strategy == "random":
        return optuna.samplers.RandomSampler(seed=os.getpid())
    return optuna.samplers.TPESampler(seed=os.getpid())


def _optuna_worker(
    url: str, name: str, strategy: str, seconds: float, start_at: float, queue: Any
) -> None:
    import optuna

    latencies: list[float] = []
    errors: list[str] = []
    cycles = 0
    try:
        storage = optuna.storages.RDBStorage(url)
        study = optuna.load_study(
            study_name=name, storage=storage, sampler=_optuna_sampler(strategy)
        )
        time.sleep(max(0.0, start_at - time.time()))
        stop = start_at + seconds
        while time.time() < stop and len(errors) < 5:
            try:
                began = time.perf_counter()
                trial = study.ask()
                lr = trial.suggest_float("lr", 1e-4, 0.1, log=True)
                layers = trial.suggest_int("layers", 1, 3)
                act = trial.suggest_categorical("act", CHOICES)
                latencies.append(time.perf_counter() - began)
                study.tell(trial, objective(lr, layers, act))
                cycles += 1
            except Exception as exc:  # counted and shown in the report, with its cause
                cause = f" (cause: {str(exc.__cause__).splitlines()[0]})" if exc.__cause__ else ""
                errors.append(f"{type(exc).__name__}: {exc}{cause}")
    except Exception as exc:
        errors.append(f"{type(exc).__name__}: {exc}")
    queue.put({"cycles": cycles, "latencies": latencies, "errors": errors, "finished": time.time()})


def _optuna_study(url: str, strategy: str, observations: int) -> str:
    import optuna
    from optuna.distributions import CategoricalDistribution, FloatDistribution, IntDistribution

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    name = f"tp-{uuid.uuid4().hex[:8]}"
    study = optuna.create_study(study_name=name, storage=url, direction="maximize")
    distributions = {
        "lr": FloatDistribution(1e-4, 0.1, log=True),
        "layers": IntDistribution(1, 3),
        "act": CategoricalDistribution(CHOICES),
    }
    study.add_trials(
        [
            optuna.trial.create_trial(
                params=t["params"], distributions=distributions, value=t["value"]
            )
            for t in seed_configs(observations)
        ]
    )
    return name


def measure_optuna(url: str, strategy: str, processes: int, seconds: float) -> Cell:
    """Optuna RDB: ``processes`` ask/tell workers on a new study in the database at ``url``."""
    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    observations = 0 if strategy == "random" else OBSERVATIONS[0]
    label = "random" if strategy == "random" else "gp (Optuna: TPE)"
    cell = Cell("Optuna RDB", label, processes, observations_at_start=observations)
    name = _optuna_study(url, strategy, observations)
    _run_processes(_optuna_worker, (url, name, strategy, seconds), cell)
    return cell


def run(
    processes: list[int],
    strategies: list[str],
    seconds: float,
    observations: int,
    server_workers: int = 2,
    server_threads: int = 4,
    rounds: int = 1,
) -> list[dict[str, Any]]:
    """Every (processes, strategy) cell for both systems, side by side, ``rounds`` times in a
    row (the three systems' order rotated each round, so a slow spell of a shared machine
    does not always fall on the same one); returns table rows, each with its round
    (hpo-service as ``hpo serve --workers server_workers --threads server_threads``)."""
    OBSERVATIONS[0] = observations
    rows: list[dict[str, Any]] = []
    with (
        postgres_database("hpo_scale") as hpo_url,
        postgres_database("optuna_scale") as opt_url,
        service(hpo_url, server_workers, server_threads) as server,
    ):
        optuna_url = "postgresql+psycopg://" + opt_url.split("://", 1)[1]
        cells: list[Callable[[int, str], Cell]] = [
            lambda n, strategy: measure_hpo(server, strategy, n, seconds),
            lambda n, strategy: measure_hpo(server, strategy, n, seconds, ahead=True),
            lambda n, strategy: measure_optuna(optuna_url, strategy, n, seconds),
        ]
        for n in processes:
            for strategy in strategies:
                for round_ in range(rounds):
                    turn = round_ % len(cells)
                    for measure in cells[turn:] + cells[:turn]:
                        row = measure(n, strategy).as_dict()
                        row["round"] = round_
                        row["server_workers"] = server_workers
                        row["server_threads"] = server_threads
                        row["load"] = os.getloadavg()[0]
                        print(row, flush=True)
                        rows.append(row)
    return rows

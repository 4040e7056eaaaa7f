"""``hpo-trainer demo``: the whole story on one machine, on the embedded SQLite default.

Starts ``hpo serve`` in a working directory (its database is ``hpo.db`` there), creates a
study of one shipped problem (concrete by default, ``--problem breast-cancer`` for the
other; GP with expected improvement if the service has it, else random search; 50 trials
with the median pruner unless ``--pruner none``), runs the workers with a progress line,
re-scores the top trials on CV splits the study never saw (in the workers' number of
processes) and compares the recommended network with
scikit-learn's default MLP and the problem's tuned simple model on those splits,
says where the dashboard is, then stops the server (or keeps serving with ``--keep-serving``).
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from types import FrameType

import httpx

from hpo_service.client import Client
from trainer.commands import create_with_fallback, run_rescore, run_work
from trainer.evaluation import Protocol
from trainer.objectives import DEFAULT_MAX_ITER, get_problem
from trainer.worker import WorkerConfig

DEMO_PROBLEMS = ("concrete", "breast-cancer")
DEMO_PRUNERS: dict[str, dict[str, object]] = {
    # The median rule by default, and the epochs it saves buy 50 trials instead of 30. At
    # equal trials on concrete (5 paired study seeds, docs/pruning.md) it trained 2.15x
    # fewer epochs for recommendations 0.02 MPa worse (median); as the demo, 50 pruned
    # trials re-scored 0.16-0.34 MPa better than 30 unpruned ones with study seeds 0-2
    # and took 0.67x-1.55x their study time (docs/pruning.md, "The demo's default").
    "none": {"name": "none"},
    "median": {"name": "median", "n_startup_trials": 5, "n_warmup_steps": 10},
}
DEMO_PRUNER = "median"
DEMO_TRIALS = 50


@dataclass(frozen=True)
class DemoOptions:
    """The demo's knobs (command-line flags)."""

    problem: str = DEMO_PROBLEMS[0]
    pruner: str = DEMO_PRUNER
    trials: int = DEMO_TRIALS
    top: int = 3
    workers: int = 2
    port: int = 8000
    directory: str = "demo-run"
    keep_serving: bool = False
    folds: int = 5
    max_iter: int = DEFAULT_MAX_ITER
    seed: int = 0
    repeats: int = 1
    verbosity: int = 0


def port_is_free(port: int) -> bool:
    """True if nothing listens on 127.0.0.1:port."""
    with socket.socket() as sock:
        return sock.connect_ex(("127.0.0.1", port)) != 0


def start_server(directory: Path, port: int) -> subprocess.Popen[bytes]:
    """``hpo serve`` in ``directory`` on the embedded SQLite default, logging to server.log."""
    env = {k: v for k, v in os.environ.items() if k != "HPO_DATABASE_URL"}
    command = [sys.executable, "-m", "hpo_service.cli", "serve", "--port", str(port)]
    with open(directory / "server.log", "ab") as log:
        return subprocess.Popen(
            command, cwd=directory, stdout=log, stderr=log, env=env, start_new_session=True
        )


def wait_healthy(url: str, server: subprocess.Popen[bytes], timeout: float = 120.0) -> None:
    """Poll /healthz until it answers 200; raise if the server exits or never gets there."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"the server exited with {server.returncode}; see its log")
        try:
            if httpx.get(f"{url}/healthz", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"the server at {url} did not become healthy in {timeout:.0f} s")


def stop_server(server: subprocess.Popen[bytes]) -> None:
    """SIGTERM the server's process group; SIGKILL if it lingers."""
    if server.poll() is not None:
        return
    os.killpg(server.pid, signal.SIGTERM)
    try:
        server.wait(timeout=10)
    except subprocess.TimeoutExpired:
        os.killpg(server.pid, signal.SIGKILL)
        server.wait(timeout=5)


def run_demo(options: DemoOptions) -> int:
    """Run the demo end to end; return the exit code."""
    started = time.monotonic()
    directory = Path(options.directory).resolve()
    directory.mkdir(parents=True, exist_ok=True)
    if not port_is_free(options.port):
        print(f"demo: port {options.port} is in use; pass --port", file=sys.stderr)
        return 2
    url = f"http://127.0.0.1:{options.port}"
    signal.signal(signal.SIGTERM, _interrupt)  # like Ctrl-C: the server is stopped on the way out
    print(f"starting hpo serve on {url} (database {directory / 'hpo.db'})", file=sys.stderr)
    server = start_server(directory, options.port)
    try:
        wait_healthy(url, server)
        code = _optimise(url, options)
        print(f"\ndashboard: {url}/   (server log: {directory / 'server.log'})")
        print(f"demo finished in {_minutes(time.monotonic() - started)}")
        if options.keep_serving:
            _serve_until_interrupted(url, server)
        else:
            print(
                f"the server stops now; to browse the results, run `hpo serve --port "
                f"{options.port}` in {directory} (or the demo with --keep-serving)"
            )
        return code
    finally:
        stop_server(server)


def _optimise(url: str, options: DemoOptions) -> int:
    problem = get_problem(options.problem)
    name = f"{problem.name}-demo-{datetime.now():%Y%m%d-%H%M%S}"
    with Client(url) as client:
        study = create_with_fallback(
            client, problem, name, "ei", max_trials=options.trials, lease_seconds=60,
            seed=options.seed, pruner=DEMO_PRUNERS[options.pruner],
        )  # fmt: skip
        strategy = study.definition.strategy
        print(
            f"study {name}: {problem.description}\n"
            f"strategy {strategy.get('name')} {strategy.get('acquisition', '')}, "
            f"{options.trials} trials, {options.workers} workers",
            file=sys.stderr,
        )
        config = WorkerConfig(
            server=url, study=name, problem=problem.name, folds=options.folds,
            max_iter=options.max_iter, seed=options.seed, repeats=options.repeats,
        )  # fmt: skip
        code = run_work(client, config, options.workers, options.verbosity)
        protocol = Protocol(max_iter=options.max_iter)
        print()
        # the workers' processes are free now: they re-score the top trials in parallel
        return code or run_rescore(
            client, name, problem.name, options.top, protocol, True, jobs=options.workers
        )


def _serve_until_interrupted(url: str, server: subprocess.Popen[bytes]) -> None:
    print(f"still serving on {url}; press Ctrl-C to stop", file=sys.stderr)
    try:
        server.wait()
    except KeyboardInterrupt:
        print("stopping the server", file=sys.stderr)


def _interrupt(number: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt(signal.Signals(number).name)


def _minutes(seconds: float) -> str:
    minutes, rest = divmod(round(seconds), 60)
    return f"{minutes}m{rest:02d}s"

"""How fast the dashboard loads a 10,000-trial study and how responsive it stays.

Run:  .venv/bin/python bench/dashboard_load.py [--trials 10000] [--out docs/benchmarks/dashboard.md]

Builds a study on a fresh SQLite file (bulk insert through the repository), starts the real
service (`hpo serve`) on a free port, and drives Debian's Chromium with Playwright: a cold
load (empty cache), warm loads (HTTP and code cache), table interactions, the delay before a
new trial shows up live, and the longest main-thread task while the page polls.
"""

from __future__ import annotations

import argparse
import random
import socket
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
from dashboard_report import SERVERS, report

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from tests.dashboard.conftest import CHROMIUM, CHROMIUM_ARGS  # noqa: E402

SPACE = [
    {"name": "learning_rate", "type": "float", "low": 1e-4, "high": 0.1, "log": True},
    {"name": "hidden_units", "type": "int", "low": 8, "high": 256, "log": True},
    {"name": "layers", "type": "int", "low": 1, "high": 4},
    {"name": "alpha", "type": "float", "low": 1e-6, "high": 1e-2, "log": True},
    {"name": "activation", "type": "categorical", "choices": ["relu", "tanh", "logistic"]},
]
NAME = "bench-10k"


def build(url: str, n: int) -> None:
    """A study of n trials: 96% complete (5% with intermediate values), 3% failed, 1% running."""
    from hpo_service.domain import Trial, TrialState
    from hpo_service.persistence import Database, Repository
    from hpo_service.persistence.migrate import upgrade
    from hpo_service.service import Service

    upgrade(url)
    database = Database(url)
    service = Service(database)
    service.create_study(
        "default",
        {
            "name": NAME,
            "direction": "maximize",
            "metric": "cv_accuracy",
            "space": SPACE,
            "strategy": {"name": "random", "seed": 0},
        },
    )
    rng = random.Random(0)
    now = datetime.now(UTC)
    with database.transaction(write=True) as session:
        repo = Repository(session, "default")
        for i in range(n):
            trial = repo.insert_trial(trial_of(i, rng, now, Trial, TrialState), now)
            if i % 20 == 0 and trial.state is TrialState.COMPLETE and trial.value is not None:
                final = trial.value
                for step in range(10):
                    trial = repo.add_intermediate(trial, step, final * (1 - 0.5 * 0.7**step), now)
    database.dispose()


def trial_of(i: int, rng: random.Random, now: datetime, trial: Any, state: Any) -> Any:
    """One synthetic trial."""
    params = {
        "learning_rate": 10 ** rng.uniform(-4, -1),
        "hidden_units": rng.randint(8, 256),
        "layers": rng.randint(1, 4),
        "alpha": 10 ** rng.uniform(-6, -2),
        "activation": rng.choice(["relu", "tanh", "logistic"]),
    }
    roll = rng.random()
    kind = state.COMPLETE if roll < 0.96 else state.FAILED if roll < 0.99 else state.RUNNING
    value = 0.9 + 0.08 * rng.random() * (1 - abs(rng.gauss(0, 0.3)))
    return trial(
        study=NAME,
        number=i,
        params=params,
        state=kind,
        value=value if kind is state.COMPLETE else None,
        worker_id=f"w{i % 8}",
        started_at=now - timedelta(seconds=30),
        finished_at=now if kind.finished else None,
        failure_reason="diverged" if kind is state.FAILED else None,
    )


def free_port() -> int:
    """A free TCP port on 127.0.0.1."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def serve(url: str, port: int, workers: int) -> subprocess.Popen[bytes]:
    """Start `hpo serve` (gunicorn when workers > 0) and wait until it answers."""
    command = [
        str(ROOT / ".venv/bin/hpo"),
        "serve",
        "--port",
        str(port),
        "--database-url",
        url,
        "--workers",
        str(workers),
    ]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    for _ in range(100):
        try:
            httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).raise_for_status()
            return process
        except httpx.HTTPError:
            time.sleep(0.2)
    process.kill()
    raise SystemExit("the service did not start")


LOAD = """() => ({loaded: +document.body.dataset.loaded, trials: +document.body.dataset.trials,
  api: performance.getEntriesByType('resource').filter(e => e.name.includes('/trials?'))
    .reduce((s, e) => s + e.duration, 0)})"""
CLICK = """(selector) => { const t = performance.now(); document.querySelector(selector).click();
  return performance.now() - t; }"""
FILTER = """() => { const t = performance.now(); const s = document.getElementById('state-filter');
  s.value = 'failed'; s.dispatchEvent(new Event('change')); return performance.now() - t; }"""
OBSERVE = """() => { window.longTasks = [];
  new PerformanceObserver((l) => window.longTasks.push(...l.getEntries().map(e => e.duration)))
    .observe({type: 'longtask'}); }"""
LONGEST = "() => { const m = Math.max(0, ...window.longTasks); window.longTasks = []; return m; }"
PARAMS = {
    "learning_rate": 0.01,
    "hidden_units": 64,
    "layers": 2,
    "alpha": 1e-4,
    "activation": "relu",
}


def live_update(page: Any, api: httpx.Client) -> dict[str, float]:
    """Idle polling, then one trial posted: delay until shown, longest main-thread tasks."""
    page.evaluate(OBSERVE)
    page.wait_for_timeout(6000)
    idle = page.evaluate(LONGEST)
    count = "document.getElementById('trial-count').textContent"
    before = page.evaluate(count)
    start = time.perf_counter()
    api.post(f"/studies/{NAME}/trials", json={"params": PARAMS, "value": 0.95})
    page.wait_for_function(f"() => {count} !== {before!r}", timeout=10_000)
    shown = time.perf_counter() - start
    page.wait_for_timeout(3000)  # let the plots redraw
    return {"idle_task": idle, "live": shown, "redraw_task": page.evaluate(LONGEST)}


def load(page: Any, base: str) -> dict[str, float]:
    """Navigate to the study page and wait for trials and analyses to be drawn."""
    page.goto(f"{base}/studies/{NAME}")
    page.wait_for_function("() => document.body.dataset.loaded", timeout=60_000)
    result: dict[str, float] = page.evaluate(LOAD)
    page.wait_for_function("() => document.getElementById('importance-plot').data", timeout=60_000)
    result["analysed"] = page.evaluate("performance.now()")
    return result


def measure(base: str, api: httpx.Client) -> dict[str, Any]:
    """Every figure of the report."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        context = browser.new_context(viewport={"width": 1280, "height": 900})
        page = context.new_page()
        cold = load(page, base)
        warm = [load(page, base) for _ in range(3)]
        sort = page.evaluate(CLICK, "#trials-table th[data-key=value] button")
        next_page = page.evaluate(CLICK, "#page-next")
        filtered = page.evaluate(FILTER)
        live = live_update(page, api)
        version = browser.version
        browser.close()
    return {
        "cold": cold,
        "warm": warm,
        "sort": sort,
        "page": next_page,
        "filter": filtered,
        **live,
        "chromium": version,
    }


def main() -> None:
    """Build, serve, measure, write."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=10_000)
    parser.add_argument("--out", type=Path, default=ROOT / "docs/benchmarks/dashboard.md")
    args = parser.parse_args()
    results: dict[int, dict[str, Any]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{tmp}/bench.db"
        started = time.perf_counter()
        build(url, args.trials)
        print(f"built {args.trials} trials in {time.perf_counter() - started:.1f} s")
        for workers in SERVERS:
            port = free_port()
            process = serve(url, port, workers)
            try:
                with httpx.Client(base_url=f"http://127.0.0.1:{port}/api/v1", timeout=60) as api:
                    results[workers] = measure(f"http://127.0.0.1:{port}", api)
            finally:
                process.terminate()
                process.wait(10)
    text = report(args.trials, results)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(text, encoding="utf-8")
    print(text)


if __name__ == "__main__":
    main()

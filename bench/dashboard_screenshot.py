"""Take docs/dashboard.png: the study page of a finished breast-cancer study.

Run:  .venv/bin/python bench/dashboard_screenshot.py [--trials 40] [--out docs/dashboard.png]

Starts the real service on a fresh SQLite file, creates a gp (EI) study on the
breast-cancer MLP space, and evaluates every suggestion with the real objective
(``trainer.objectives``: scaled MLPClassifier, 5-fold stratified CV accuracy). After each
fold it records the running mean accuracy as an intermediate value, so that view has data.
Then Debian's Chromium photographs the whole study page.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from dashboard_load import ARGS, CHROMIUM, free_port, serve  # noqa: E402

from trainer.objectives import ObjectiveError, Result, Settings, get_problem  # noqa: E402

NAME = "breast-cancer-mlp"


def evaluate(api: httpx.Client, number: int, params: dict[str, Any]) -> None:
    """Train one configuration, record per-fold running means, then the value (or a failure)."""
    problem = get_problem("breast-cancer")
    try:
        result = problem.function(params, Settings())
    except ObjectiveError as error:
        api.post(f"/studies/{NAME}/trials/{number}/fail", json={"reason": str(error)[:500]})
        return
    if not isinstance(result, Result):
        result = Result(float(result))
    folds = result.metrics.get("fold_accuracy", [])
    for step in range(1, len(folds) + 1):
        running = statistics.fmean(folds[:step])
        api.post(
            f"/studies/{NAME}/trials/{number}/intermediate", json={"step": step, "value": running}
        )
    api.post(f"/studies/{NAME}/trials/{number}/report", json={"value": result.value})


def optimise(api: httpx.Client, trials: int) -> None:
    """Create the study and run it to its budget with one worker."""
    problem = get_problem("breast-cancer")
    body = {
        "name": NAME,
        "direction": problem.direction,
        "metric": problem.metric,
        "space": list(problem.space),
        "max_trials": trials,
        "strategy": {"name": "gp", "acquisition": "ei", "seed": 0},
    }
    api.post("/studies", json=body).raise_for_status()
    for _ in range(trials):
        handed = api.post(f"/studies/{NAME}/suggestions", json={"worker_id": "screenshot"})
        handed.raise_for_status()
        trial = handed.json()["trials"][0]
        started = time.perf_counter()
        evaluate(api, trial["number"], trial["params"])
        print(f"trial {trial['number']}: {time.perf_counter() - started:.1f} s", flush=True)


def photograph(base: str, out: Path) -> None:
    """A full-page screenshot of the study page once every view is drawn."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        page.goto(f"{base}/studies/{NAME}")
        page.wait_for_function("document.body.dataset.loaded", timeout=60_000)
        page.select_option("#surrogate-param", "learning_rate_init")
        page.wait_for_function(
            "(document.getElementById('surrogate-plot').data || []).length > 4", timeout=60_000
        )
        page.wait_for_function("document.getElementById('importance-plot').data", timeout=60_000)
        page.wait_for_timeout(1000)
        page.screenshot(path=str(out), full_page=True)
        browser.close()


def main() -> None:
    """Serve, optimise, photograph."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=40)
    parser.add_argument("--out", type=Path, default=ROOT / "docs/dashboard.png")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        port = free_port()
        process = serve(f"sqlite:///{tmp}/screenshot.db", port, 0)
        try:
            with httpx.Client(base_url=f"http://127.0.0.1:{port}/api/v1", timeout=120) as api:
                optimise(api, args.trials)
            photograph(f"http://127.0.0.1:{port}", args.out)
        finally:
            process.terminate()
            process.wait(10)
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()

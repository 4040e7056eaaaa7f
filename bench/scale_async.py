"""1,000 simulated workers in one process (asyncio + httpx.AsyncClient) on one GP study.

Each simulated worker, started at a random moment of the first ``RAMP`` seconds, loops:
suggest, "train" for a duration drawn uniformly from 1-30 s (times ``time_scale``), report.
It stops asking after ``seconds`` and reports the trial it holds (so every trial handed out
is reported). Afterwards the database is read directly: every acknowledged (2xx) report must
be stored with its value, and no trial number may have been handed to two workers. Used by
bench/scale_out.py.
"""

from __future__ import annotations

import asyncio
import random
import subprocess
import sys
import time
from collections import Counter
from typing import Any

import httpx
import numpy as np
import psycopg
from scale_throughput import SPACE, objective, parallel, postgres_database, seed_configs

from tests.servers import ServerProcess

RAMP = 10.0


class Tally:
    """What the simulated workers saw."""

    def __init__(self) -> None:
        self.latencies: list[float] = []
        self.statuses: Counter[int] = Counter()
        self.exceptions: list[str] = []
        self.handed: list[tuple[int, str]] = []
        self.acked: list[tuple[int, float]] = []
        self.reports_sent = 0


async def _worker(http: httpx.AsyncClient, name: str, index: int, stop: float, scale: float,
                  tally: Tally) -> None:  # fmt: skip
    rng = random.Random(index)
    await asyncio.sleep(rng.uniform(0, RAMP))
    worker = f"sim-{index}"
    while time.time() < stop:
        began = time.perf_counter()
        try:
            answer = await http.post(
                f"/api/v1/studies/{name}/suggestions", json={"worker_id": worker}
            )
        except httpx.HTTPError as exc:
            tally.exceptions.append(f"suggest: {type(exc).__name__}: {exc}")
            continue
        tally.statuses[answer.status_code] += 1
        if answer.status_code != 200:
            await asyncio.sleep(1.0)
            continue
        tally.latencies.append(time.perf_counter() - began)
        trial = answer.json()["trials"][0]
        tally.handed.append((trial["number"], worker))
        await asyncio.sleep(rng.uniform(1.0, 30.0) * scale)
        value = objective(**trial["params"])
        url = f"/api/v1/studies/{name}/trials/{trial['number']}/report"
        tally.reports_sent += 1
        try:
            report = await http.post(url, json={"value": value, "worker_id": worker})
        except httpx.HTTPError as exc:
            tally.exceptions.append(f"report: {type(exc).__name__}: {exc}")
            continue
        tally.statuses[report.status_code] += 1
        if report.is_success:
            tally.acked.append((trial["number"], value))


async def _drive(base: str, name: str, workers: int, seconds: float, scale: float) -> Tally:
    tally = Tally()
    limits = httpx.Limits(max_connections=workers, max_keepalive_connections=workers)
    async with httpx.AsyncClient(base_url=base, timeout=600, limits=limits) as http:
        stop = time.time() + seconds
        await asyncio.gather(*(_worker(http, name, i, stop, scale, tally) for i in range(workers)))
    return tally


def _stored(url: str, name: str) -> dict[int, tuple[str, float | None, int]]:
    with psycopg.connect(url) as conn:
        rows = conn.execute(
            "SELECT t.number, t.state, t.value, t.retries FROM trials t "
            "JOIN studies s ON s.id = t.study_id WHERE s.name = %s",
            (name,),
        ).fetchall()
    return {number: (state, value, retries) for number, state, value, retries in rows}


def check(url: str, name: str, acked: list[tuple[int, float]], handed: list[tuple[int, str]]
          ) -> dict[str, Any]:  # fmt: skip
    """Acknowledged reports against the database; numbers handed to more than one worker."""
    stored = _stored(url, name)
    lost = [
        (n, v)
        for n, v in acked
        if n not in stored or stored[n][0] != "complete" or stored[n][1] != v
    ]
    owners = Counter(n for n, _ in set(handed))
    retried = {n for n, (_, _, retries) in stored.items() if retries > 0}
    twice = [n for n, count in owners.items() if count > 1 and n not in retried]
    return {
        "acknowledged_reports": len(acked),
        "acknowledged_trials": len({n for n, _ in acked}),
        "stored_complete": sum(s[0] == "complete" for s in stored.values()),
        "lost_reports": len(lost),
        "duplicate_numbers": len(twice),
        "numbers_reoffered_after_lease": len(retried),
    }


def run(workers: int, time_scale: float, seconds: float, observations: int) -> dict[str, Any]:
    """Start a service on a new PostgreSQL database and drive ``workers`` simulated workers."""
    with postgres_database("hpo_async") as url:
        subprocess.run(
            [sys.executable, "-m", "hpo_service.cli", "db", "upgrade", "--database-url", url],
            check=True,
            capture_output=True,
        )
        server = ServerProcess(url, workers=4).start()
        try:
            name = "async-gp"
            body = {"name": name, "space": SPACE, "strategy": {"name": "gp", "seed": 1},
                    "lease_seconds": 600}  # fmt: skip
            with httpx.Client(base_url=server.url, timeout=60) as http:
                http.post("/api/v1/studies", json=body).raise_for_status()
                parallel(
                    [
                        lambda t=t: http.post(
                            f"/api/v1/studies/{name}/trials", json=t
                        ).raise_for_status()
                        for t in seed_configs(observations)
                    ]
                )
            began = time.perf_counter()
            tally = asyncio.run(_drive(server.url, name, workers, seconds, time_scale))
            wall = time.perf_counter() - began
            checked = check(url, name, tally.acked, tally.handed)
        finally:
            server.stop()
    lat = np.array(tally.latencies) if tally.latencies else np.array([np.nan])
    return {
        "workers": workers,
        "time_scale": time_scale,
        "seconds": seconds,
        "wall_seconds": round(wall, 1),
        "observations_at_start": observations,
        "suggestions": len(tally.latencies),
        "suggestions_per_s": round(len(tally.latencies) / wall, 2),
        "p50_ms": round(1000 * float(np.quantile(lat, 0.5)), 1),
        "p99_ms": round(1000 * float(np.quantile(lat, 0.99)), 1),
        "max_ms": round(1000 * float(lat.max()), 1),
        "statuses": {str(k): v for k, v in sorted(tally.statuses.items())},
        "exceptions": len(tally.exceptions),
        "first_exception": tally.exceptions[0][:300] if tally.exceptions else None,
        "reports_sent": tally.reports_sent,
        **checked,
    }

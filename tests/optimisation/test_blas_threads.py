"""BLAS runs single-threaded from service start-up, set once per process, not per request."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

SCRIPT = """
import json
from threadpoolctl import threadpool_info
from hpo_service.api import create_app
from hpo_service.optimisation.gp import threads

def blas():
    return sorted({i["num_threads"] for i in threadpool_info() if i["user_api"] == "blas"})

before = blas()
app = create_app({"DATABASE_URL": "sqlite:///%s"})
started = blas()
calls = []
original = threads.ThreadpoolController.limit
threads.ThreadpoolController.limit = lambda self, **kw: calls.append(kw) or original(self, **kw)
client = app.test_client()
space = [{"name": "x", "type": "float", "low": 0.0, "high": 1.0}]
client.post("/api/v1/studies", json={"name": "s", "space": space, "max_trials": 12,
            "strategy": {"name": "gp", "n_initial": 2}, "seed": 1})
for _ in range(6):
    trial = client.post("/api/v1/studies/s/suggestions", json={}).get_json()["trials"][0]
    client.post(f"/api/v1/studies/s/trials/{trial['number']}/report",
                json={"value": (trial["params"]["x"] - 0.3) ** 2})
print(json.dumps({"before": before, "started": started, "after": blas(), "calls": len(calls)}))
"""


def test_the_limit_is_set_when_the_service_starts_and_never_toggled_per_request(
    tmp_path: Path,
) -> None:
    script = SCRIPT % (tmp_path / "db.sqlite")
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=120, check=True
    )
    seen = json.loads(done.stdout.strip().splitlines()[-1])
    assert seen["started"] == [1]
    assert seen["after"] == [1]
    assert seen["calls"] == 0  # six GP suggestions, no further threadpoolctl call

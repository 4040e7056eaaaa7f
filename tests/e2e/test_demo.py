"""`hpo-trainer demo` (what `make demo` runs), end to end with small settings."""

from __future__ import annotations

import json
import os
import re
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from tests.servers import free_port

pytestmark = pytest.mark.slow

LINE = re.compile(r"^  (.+?)\s+(\d+\.\d+) \+- (\d+\.\d+)$", re.MULTILINE)


def test_the_demo_tunes_concrete_rescores_and_ends_with_the_three_line_comparison(
    tmp_path: Path,
) -> None:
    run = tmp_path / "run"
    command = [
        sys.executable, "-m", "trainer", "demo", "--trials", "4", "--top", "2",
        "--workers", "1", "--folds", "2", "--max-iter", "15", "--port", str(free_port()),
        "--dir", str(run),
    ]  # fmt: skip
    env = {k: v for k, v in os.environ.items() if k not in ("HPO_DATA_DIR", "HPO_DATABASE_URL")}
    result = subprocess.run(command, capture_output=True, text=True, timeout=280, env=env)
    assert result.returncode == 0, result.stdout + result.stderr
    out = result.stdout
    assert "cv_rmse_mpa on 5 x 5-fold CV, seed 1 (splits the study never saw)" in out, out
    rows = LINE.findall(out)
    labels = [label.strip() for label, _, _ in rows]
    assert len(rows) == 3, out
    assert re.fullmatch(r"tuned MLP \(trial \d+, recommended\)", labels[0]), labels
    assert labels[1] == "default MLP"
    assert labels[2].startswith("HistGradientBoosting (learning_rate="), labels
    for _, mean, sem in rows:
        assert 2.0 < float(mean) < 17.0  # MPa: predicting the mean strength scores about 16.7
        assert float(sem) > 0.0
    assert "dashboard: http://127.0.0.1:" in out
    # The study and its re-scores are on the embedded SQLite file the demo created.
    with sqlite3.connect(run / "hpo.db") as db:
        (name, pruner) = db.execute("SELECT name, pruner FROM studies").fetchone()
        states = dict(db.execute("SELECT state, COUNT(*) FROM trials GROUP BY state").fetchall())
    assert name.startswith("concrete-demo-")
    # early stopping is on by default (the demo's 50 trials are what it saves)
    assert json.loads(pruner)["name"] == "median", pruner
    assert sum(states.values()) == 4 and states.get("complete", 0) >= 2, states

"""The epsilon-greedy benchmark (bench/gp_greedy.py): its arms run through the shared
arm runner of bench/gp_parallel.py, pair with the default by seed, and the report applies
the rule for a new default."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))

import gp_candidates
import gp_greedy
import gp_parallel


def test_arms_run_pair_by_seed_and_the_report_applies_the_rule(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(gp_greedy, "RESULTS", tmp_path / "results")
    monkeypatch.setattr(gp_greedy, "DOC", tmp_path / "gp_greedy.md")
    monkeypatch.setattr(gp_candidates.benchmarks_doc, "main", lambda: None)
    monkeypatch.setattr(gp_greedy, "DEVELOPMENT", ("hartmann3_3d",))
    gp_parallel.run_arms(gp_greedy.ARMS, gp_greedy.RESULTS, ["hartmann3_3d"], "0-1", 14)
    records = sorted((tmp_path / "results").glob("*/hartmann3_3d/*.json"))
    assert [p.parent.parent.name for p in records] == [
        arm for arm in ("default", "greedy10", "greedy25", "mace") for _ in range(2)
    ]
    finals = {
        arm: gp_parallel.finals(gp_greedy.RESULTS, arm, "hartmann3_3d", 14)
        for arm in gp_greedy.ARMS
    }
    assert all(sorted(f) == [0, 1] and min(f.values()) >= 0 for f in finals.values())
    # a greedy arm far worse than the default fails the rule
    path = tmp_path / "results" / "greedy25" / "hartmann3_3d" / "seed0-budget14.json"
    for seed in (0, 1):
        path = path.with_name(f"seed{seed}-budget14.json")
        record = json.loads(path.read_text())
        record["regret"] = 100 * max(finals["default"].values()) + 1.0
        path.write_text(json.dumps(record))
    gp_greedy.report([14])
    doc = (tmp_path / "gp_greedy.md").read_text()
    assert "| hartmann3_3d |" in doc
    assert "greedy 0.25: " in doc and "1 of 1 problems worse than 1.25x" in doc
    assert "Met by: greedy 0.25" not in doc

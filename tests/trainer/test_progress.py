"""The progress line and the final summary count pruned trials as done."""

from __future__ import annotations

from datetime import UTC, datetime

from hpo_service.domain import StudySummary, TrialState
from hpo_service.wire import study_from_json
from trainer.progress import progress_line, summary_text


def summary() -> StudySummary:
    """A study of 10 trials: 4 complete, 1 failed, 3 pruned, 2 running."""
    study = study_from_json({
        "name": "s", "direction": "maximize", "metric": "acc", "strategy": {"name": "gp"},
        "space": [{"name": "x", "type": "float", "low": 0, "high": 1}], "max_trials": 10,
        "lease_seconds": 60, "seed": 0, "state": "running",
    })  # fmt: skip
    counts = {TrialState.COMPLETE: 4, TrialState.FAILED: 1, TrialState.PRUNED: 3,
              TrialState.RUNNING: 2}  # fmt: skip
    return StudySummary(study, counts, 0.9, 3, datetime.now(UTC))


def test_pruned_trials_are_done_and_counted() -> None:
    line = progress_line(summary(), 75.0)
    assert "8/10 done | 2 running | 1 failed | 3 pruned | best acc 0.9000 (#3) | 1:15" in line
    assert summary_text(summary(), None).startswith(
        "study 's': 4 complete, 1 failed, 3 pruned (stopped early)"
    )

"""The Optuna peer on the shipped problems (bench/tuned_optuna.py): it asks the problem's
space define-by-run with its "only when" conditions, judges its top trials by value with the
service's protocol, and the tuned report sets it beside the service's arms."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import optuna
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))

import tuned_mlp
import tuned_optuna

from trainer.evaluation import Protocol, Score
from trainer.objectives import get_problem

BASE = {
    "input_transform": "power",
    "activation": "tanh",
    "learning_rate_init": 1e-3,
    "alpha": 0.1,
    "batch_size": 64,
    "ensemble": 2,
}


def test_conditional_units_are_asked_only_when_the_layers_exist() -> None:
    problem = get_problem("breast-cancer")
    one = {**BASE, "n_layers": 1, "units_1": 16}
    # FixedTrial refuses a parameter it was not given: units_2 and units_3 are never asked
    assert tuned_optuna.suggest(optuna.trial.FixedTrial(one), problem) == one
    three = {**BASE, "n_layers": 3, "units_1": 16, "units_2": 8, "units_3": 32}
    assert tuned_optuna.suggest(optuna.trial.FixedTrial(three), problem) == three
    with pytest.raises(ValueError, match="units_2"):
        tuned_optuna.suggest(
            optuna.trial.FixedTrial({**BASE, "n_layers": 2, "units_1": 8}), problem
        )


def _study(direction: str, values: list[float | None]) -> optuna.Study:
    study = optuna.create_study(direction=direction)
    distributions = {"units_1": optuna.distributions.IntDistribution(1, 1000)}
    for number, value in enumerate(values):
        state = (
            optuna.trial.TrialState.COMPLETE
            if value is not None
            else optuna.trial.TrialState.PRUNED
        )
        study.add_trial(
            optuna.trial.create_trial(
                params={"units_1": number + 1},
                distributions=distributions,
                value=value,
                state=state,
                intermediate_values={5: 0.5},
                user_attrs={"epochs_total": 10 * (number + 1), "epochs": number + 1},
            )
        )
    return study


@pytest.mark.parametrize("direction", ["maximize", "minimize"])
def test_top_trials_by_value_are_rescored_and_the_best_rescore_confirmed(
    monkeypatch: pytest.MonkeyPatch, direction: str
) -> None:
    # values: trial 3 is the best observation either way round; the re-scores reverse the order
    values = [0.2, 0.5, None, 0.9, 0.7] if direction == "maximize" else [0.8, 0.5, None, 0.1, 0.3]
    rescored = {4: 0.6, 2: 0.75, 5: 0.65} if direction == "maximize" else {4: 0.4, 2: 0.25, 5: 0.35}
    calls: list[tuple[list[int], int]] = []

    def scores(problem: str, configs: list[dict[str, Any]], protocol: Protocol) -> list[Score]:
        calls.append(([c["units_1"] for c in configs], protocol.seed))
        bump = 0.01 if protocol.seed == 2 else 0.0
        return [Score(rescored[c["units_1"]] + bump, 0.01, (0.5,) * 5) for c in configs]

    monkeypatch.setattr(tuned_optuna, "_scores", scores)
    problem = get_problem("breast-cancer" if direction == "maximize" else "concrete")
    study = _study(direction, values)
    out = tuned_optuna._judged(problem, "tpe-median", 7, 5, 12.5, study, study.get_trials())
    # top 3 by value: trials 3, 4, 1 (units 4, 5, 2); re-scored best: trial 1 (units 2)
    assert calls[0] == ([4, 5, 2], 1)
    assert out["best_number"] == 1 and out["best_params"] == {"units_1": 2}
    assert [r["number"] for r in out["rescored"]] == [1, 4, 3]
    assert out["confirm"]["value"] == pytest.approx(rescored[2] + 0.01)
    # Optuna's own pick is its best observation, trial 3, confirmed separately
    assert out["optuna_best"]["number"] == 3
    assert out["optuna_best"]["confirm"]["value"] == pytest.approx(rescored[4] + 0.01)
    assert calls[1:] == [([2], 2), ([4], 2)]
    assert out["states"]["complete"] == 4 and out["states"]["pruned"] == 1
    assert out["epochs"] == 10 + 20 + 30 + 40 + 50
    assert out["pruner"] == "optuna-tpe-median" and out["candidates_by"] == "value"
    assert out["history"][2]["value"] == 0.5  # a pruned trial's last intermediate value


def _row(arm: str, seed: int, confirmed: float, pick: float | None = None) -> dict[str, Any]:
    row: dict[str, Any] = {
        "pruner": arm,
        "seed": seed,
        "confirm": {"value": confirmed},
        "epochs": 1000 * (seed + 1),
        "seconds": 60.0,
        "when": "2026-12-07T20:00:00+00:00",
    }
    if pick is not None:
        row["optuna_best"] = {"confirm": {"value": pick}}
    return row


def test_peer_section_pairs_each_service_arm_with_optuna_by_seed(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    stored = {
        "none": [_row("none", 0, 0.976), _row("none", 1, 0.978), _row("none", 2, 0.970)],
        "optuna-tpe": [_row("optuna-tpe", 0, 0.972, 0.971), _row("optuna-tpe", 1, 0.979, 0.97)],
        "median": [_row("median", 0, 0.975)],
        "optuna-tpe-median": [],
    }
    rerun = {"none": [_row("none", 1, 0.981)]}

    def load(problem: str, arm: str, trials: int, where: Path = tuned_mlp.RESULTS) -> Any:
        return rerun.get(arm, []) if where.name == "rerun-2026-12-07" else stored[arm]

    monkeypatch.setattr(tuned_mlp, "_load", load)
    monkeypatch.setattr(tuned_mlp, "RERUNS", ("rerun-2026-12-07",))
    lines = tuned_mlp.peer_section("breast-cancer", 50)
    text = "\n".join(lines)
    assert "### Against Optuna on the same objective (breast-cancer)" in text
    rows = {line.split(" (2026-12-07)")[0]: line for line in lines if "(2026-12-07) |" in line}
    assert list(rows) == [
        "| service GP/EI, pruner none",
        "| service GP/EI, pruner none, rerun-2026-12-07",
        "| optuna-tpe",
        "| service GP/EI, pruner median",  # no Optuna row and no gap: nothing to pair with
    ]
    ours = rows["| service GP/EI, pruner none"]
    assert "| 3 | 0.9760 [0.9700, 0.9780] |" in ours
    # seeds 0 and 1 in common: +0.004 and -0.001, median 0.0015
    assert ours.endswith("| 0.0015 [-0.0010, 0.0040] (2 seeds) |")
    assert rows["| service GP/EI, pruner none, rerun-2026-12-07"].endswith(
        "| 0.0020 [0.0020, 0.0020] (1 seeds) |"
    )
    peer = rows["| optuna-tpe"]
    assert "| 0.9705 [0.9700, 0.9710] |" in peer and peer.endswith("|  |")  # Optuna's own picks
    assert rows["| service GP/EI, pruner median"].endswith("|  |")
    monkeypatch.setattr(tuned_mlp, "_load", lambda *args, **kwargs: [])
    assert tuned_mlp.peer_section("breast-cancer", 50) == []

"""The client's ranking and best(by=...), and which trials hpo-trainer rescore picks."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pytest

from hpo_service.client import Client
from trainer.evaluation import Protocol, Score
from trainer.objectives import Problem
from trainer.rescore import candidates, rescore_study

SPACE = [{"name": "x", "type": "float", "low": 0.0, "high": 1.0}]


def noisy(hpo: Client) -> Any:
    """A study of 21 noisy values of 1 - 4 (x - 0.3)^2 and one lucky value at x = 0.9."""
    study = hpo.create_study("noisy", SPACE, direction="maximize", metric="score", seed=1)
    rng = np.random.default_rng(3)
    for x in np.linspace(0.0, 1.0, 21).tolist():
        study.record({"x": x}, 1.0 - 4.0 * (x - 0.3) ** 2 + 0.05 * float(rng.normal()))
    study.record({"x": 0.9}, 1.4)
    return study


def test_ranking_and_best_by_posterior_through_the_client(hpo: Client) -> None:
    study = noisy(hpo)
    ranked = study.ranking(limit=3)
    assert len(ranked) == 3
    assert ranked[0].posterior_mean >= ranked[1].posterior_mean >= ranked[2].posterior_mean
    assert all(abs(r.params["x"] - 0.3) <= 0.2 for r in ranked)
    best = study.best(by="posterior")
    assert best is not None and best.number == ranked[0].number
    assert study.best().params["x"] == 0.9  # type: ignore[union-attr]  # the lucky one


def test_rescore_candidates_by_posterior_skip_the_lucky_trial(hpo: Client) -> None:
    study = noisy(hpo)
    lucky = study.best()
    assert lucky is not None
    by_value = candidates(study, 3, by="value")
    by_posterior = candidates(study, 3, by="posterior")
    assert by_value[0].number == lucky.number
    assert lucky.number not in [t.number for t in by_posterior]
    assert [t.number for t in by_posterior] == [r.number for r in study.ranking(limit=3)]


def test_rescore_records_scores_and_falls_back_to_values_on_a_tiny_study(
    hpo: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    study = hpo.create_study("tiny", SPACE, direction="minimize", metric="loss", seed=1)
    study.record({"x": 0.2}, 3.0)  # one trial: no posterior yet, the top value is taken
    seen: list[Mapping[str, Any]] = []

    def fake_rescore(problem: Problem, params: Mapping[str, Any], protocol: Protocol) -> Score:
        seen.append(params)
        return Score(2.5, 0.1, (2.4, 2.6))

    monkeypatch.setattr("trainer.rescore.rescore", fake_rescore)
    problem = Problem("toy", "minimize", "loss", tuple(SPACE), lambda *_: None)  # type: ignore[arg-type]
    done = rescore_study(study, problem, 3, Protocol(), by="posterior")
    assert [d.trial.number for d in done] == [0] and seen == [{"x": 0.2}]
    assert study.get_trial(0).metadata["rescore"]["value"] == 2.5
    assert study.best(by="recommended").number == 0  # type: ignore[union-attr]


def test_rescoring_in_parallel_processes_prints_and_records_what_it_does_in_series(
    hpo: Client, capsys: pytest.CaptureFixture[str]
) -> None:
    """`hpo-trainer rescore --jobs 2` (and the demo) score the trials and the baselines in
    spawned processes: same splits and seeds, so the same figures, recorded in rank order."""
    from trainer.commands import run_rescore
    from trainer.objectives import MLP_SPACE

    study = hpo.create_study("bc", list(MLP_SPACE), direction="maximize", metric="acc", seed=1)
    base = {"input_transform": "standard", "n_layers": 1, "activation": "relu",
            "learning_rate_init": 0.01, "batch_size": 64, "ensemble": 1}  # fmt: skip
    for number, (units, alpha) in enumerate([(8, 1e-4), (16, 1e-2), (32, 1.0)]):
        study.record({**base, "units_1": units, "alpha": alpha}, 0.95 + 0.01 * number)
    small = Protocol(folds=2, repeats=2, seed=1, max_iter=10)
    outputs, recorded = [], []
    for jobs in (1, 2):
        capsys.readouterr()
        assert run_rescore(hpo, "bc", "breast-cancer", 3, small, True, "value", jobs) == 0
        outputs.append(capsys.readouterr().out)
        recorded.append({t.number: t.metadata["rescore"] for t in study.trials()})
    assert outputs[0] == outputs[1]
    assert recorded[0] == recorded[1] and len(recorded[0]) == 3
    assert "logistic regression" in outputs[1] and "recommended" in outputs[1]


@pytest.mark.parametrize("count", ["0", "-2", "two"])
@pytest.mark.parametrize(
    "command", [["rescore", "--study", "s", "--jobs"], ["work", "--study", "s", "--workers"],
                ["demo", "--workers"]],
)  # fmt: skip
def test_process_counts_below_one_are_refused(
    command: list[str], count: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """0 or a negative count used to run one process without a word."""
    from trainer.cli import _parser

    with pytest.raises(SystemExit) as stopped:
        _parser().parse_args([*command, count])
    assert stopped.value.code == 2
    assert command[-1] in capsys.readouterr().err
    parsed = vars(_parser().parse_args([*command, "3"]))
    assert parsed[command[-1].removeprefix("--")] == 3

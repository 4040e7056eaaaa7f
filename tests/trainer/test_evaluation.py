"""The honest protocol: re-scores on fresh splits and baselines on the very same splits."""

from __future__ import annotations

import math

import pytest

from trainer.evaluation import Protocol, baselines, rescore, score_of
from trainer.objectives import get_problem

GOOD = {
    "input_transform": "standard",
    "n_layers": 1,
    "units_1": 16,
    "activation": "relu",
    "learning_rate_init": 0.01,
    "alpha": 1e-3,
    "batch_size": 64,
    "ensemble": 1,
}
SMALL = Protocol(folds=2, repeats=2, seed=1, max_iter=20)


def test_score_is_the_mean_of_repetition_means_with_its_standard_error() -> None:
    score = score_of([1.0, 3.0, 5.0, 7.0], folds=2)
    assert score.repetitions == (2.0, 6.0)
    assert score.mean == 4.0
    assert score.sem == pytest.approx(math.sqrt(8.0) / math.sqrt(2.0))
    assert math.isnan(score_of([1.0, 2.0], folds=2).sem)
    assert score.to_json(SMALL) == {
        "value": 4.0, "sem": pytest.approx(2.0), "repetitions": [2.0, 6.0],
        "folds": 2, "repeats": 2, "seed": 1,
    }  # fmt: skip


def test_rescore_uses_every_split_of_the_protocol_and_other_seeds_than_a_study() -> None:
    problem = get_problem("breast-cancer")
    score = rescore(problem, GOOD, SMALL)
    assert len(score.repetitions) == 2 and 0.9 < score.mean <= 1.0
    study_view = problem.evaluate(GOOD, folds=2, seed=0, max_iter=20)
    assert study_view.metrics["fold_scores"] != list(score.repetitions)


@pytest.mark.parametrize(
    ("problem", "simple"),
    [("breast-cancer", "logistic regression (C="), ("concrete", "HistGradientBoosting (")],
)
def test_baselines_score_the_default_mlp_and_a_tuned_simple_model(
    problem: str, simple: str
) -> None:
    default, tuned = baselines(problem, SMALL)
    assert default.label == "default MLP" and tuned.label.startswith(simple)
    assert len(default.repetitions) == len(tuned.repetitions) == 2
    assert all(math.isfinite(s.mean) for s in (default, tuned))

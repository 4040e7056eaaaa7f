"""`hpo import`: bayes_opt logs and state files, Optuna storages; all or nothing."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import optuna
import pytest
from bayes_opt import BayesianOptimization

from hpo_service.cli import main
from hpo_service.domain import TrialState
from hpo_service.errors import StudyNotFound
from hpo_service.persistence import Database
from hpo_service.persistence.migrate import upgrade
from hpo_service.service import Service

PBOUNDS = {"x": (-2.0, 2.0), "y": (-3.0, 3.0)}
SPACE = [
    {"name": "x", "type": "float", "low": -2.0, "high": 2.0},
    {"name": "y", "type": "float", "low": -3.0, "high": 3.0},
]


def black_box_function(x: float, y: float) -> float:
    """bayes_opt's README function."""
    return -(x**2) - (y - 1) ** 2 + 1


def _ran_bayes_opt() -> BayesianOptimization:
    optimizer = BayesianOptimization(black_box_function, PBOUNDS, random_state=1, verbose=0)
    optimizer.maximize(init_points=3, n_iter=4)
    return optimizer


def write_json_log(path: Path, optimizer: BayesianOptimization) -> Path:
    """What bayes_opt's JSONLogger wrote for each step (bayes_opt < 3): res plus datetime."""
    with path.open("w") as log:
        for step in optimizer.res:
            entry = {"target": float(step["target"]), "params": step["params"]}
            entry["params"] = {k: float(v) for k, v in entry["params"].items()}
            entry["datetime"] = {"datetime": "2024-05-01 12:00:00", "elapsed": 0.0, "delta": 0.0}
            log.write(json.dumps(entry) + "\n")
    return path


_DATABASES: list[Database] = []


@pytest.fixture
def url(database_url: str) -> Iterator[str]:
    """A database at head (SQLite file or PostgreSQL); services on it are closed afterwards."""
    upgrade(database_url)
    yield database_url
    while _DATABASES:
        _DATABASES.pop().dispose()


def service(url: str) -> Service:
    """A Service on ``url`` (disposed by the ``url`` fixture)."""
    _DATABASES.append(Database(url))
    return Service(_DATABASES[-1])


def hpo(*argv: str) -> int:
    """Run the hpo command."""
    return main(list(argv))


def test_a_bayes_opt_log_continues_as_a_study_that_warm_starts_the_gp(
    url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    optimizer = _ran_bayes_opt()
    log = write_json_log(tmp_path / "logs.log", optimizer)
    space = json.dumps(SPACE)
    assert (
        hpo(
            "import",
            "bayes-opt-log",
            str(log),
            "--study",
            "s",
            "--space",
            space,
            "--database-url",
            url,
        )
        == 0
    )
    assert (
        "imported 7 trials (7 complete, 0 failed) into created study 's'" in capsys.readouterr().out
    )
    hpo_service = service(url)
    trials = hpo_service.all_trials("default", "s")
    assert [(t.params, t.value) for t in trials] == [
        ({k: float(v) for k, v in r["params"].items()}, r["target"]) for r in optimizer.res
    ]
    assert hpo_service.get_study("default", "s").study.direction.value == "maximize"
    best = hpo_service.best("default", "s")
    assert best is not None and best.trial.value == optimizer.max["target"]
    (suggested,) = hpo_service.suggest("default", "s", "w1")  # 7 observations: the GP
    assert suggested.number == 7 and suggested.state is TrialState.RUNNING


def test_a_bayes_opt_3_state_file_creates_the_study_from_its_pbounds(
    url: str, tmp_path: Path
) -> None:
    optimizer = _ran_bayes_opt()
    optimizer.save_state(tmp_path / "state.json")
    assert (
        hpo(
            "import",
            "bayes-opt-log",
            str(tmp_path / "state.json"),
            "--study",
            "st",
            "--strategy",
            '{"name": "bayes_opt"}',
            "--database-url",
            url,
        )
        == 0
    )
    summary = service(url).get_study("default", "st")
    assert [p.name for p in summary.study.space.params] == ["x", "y"]
    assert summary.study.strategy["name"] == "bayes_opt"
    assert summary.counts[TrialState.COMPLETE] == 7


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ('{"target": 1.0, "params": {"x": 0.1, "y": 0.2}', "line 3: not JSON"),
        ('{"target": NaN, "params": {"x": 0.1, "y": 0.2}}', "line 3: 'target' nan is not finite"),
        (
            '{"target": 1.0, "params": {"x": 9.0, "y": 0.2}}',
            "line 3: parameter 'x' = 9.0 is outside",
        ),
        ('{"target": 1.0}', "line 3: expected an object with 'params' and 'target'"),
    ],
)
def test_a_bad_line_is_named_and_nothing_is_imported(
    url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str], line: str, message: str
) -> None:
    service(url).create_study("default", {"name": "s", "space": SPACE, "direction": "maximize"})
    good = '{"target": 0.5, "params": {"x": 0.0, "y": 0.0}}'
    log = tmp_path / "bad.log"
    log.write_text(f"{good}\n\n{line}\n{good.replace('0.0}', '0.5}')}\n")
    assert hpo("import", "bayes-opt-log", str(log), "--study", "s", "--database-url", url) == 2
    assert message in capsys.readouterr().err
    assert service(url).all_trials("default", "s") == []


def test_a_log_into_a_missing_study_without_a_space_says_how(
    url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    log = write_json_log(tmp_path / "logs.log", _ran_bayes_opt())
    assert hpo("import", "bayes-opt-log", str(log), "--study", "new", "--database-url", url) == 2
    assert "give --space to create it" in capsys.readouterr().err
    with pytest.raises(StudyNotFound):
        service(url).get_study("default", "new")


def test_a_log_into_a_minimising_study_is_refused(
    url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    service(url).create_study("default", {"name": "m", "space": SPACE})
    log = write_json_log(tmp_path / "logs.log", _ran_bayes_opt())
    assert hpo("import", "bayes-opt-log", str(log), "--study", "m", "--database-url", url) == 2
    assert "is to minimize but the imported values are to maximize" in capsys.readouterr().err


def _optuna_study(storage: str, name: str, objective: Any) -> None:
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    study = optuna.create_study(
        study_name=name, storage=storage, sampler=optuna.samplers.RandomSampler(seed=0)
    )
    study.optimize(objective, n_trials=8, catch=(ValueError,))


def _objective(trial: optuna.Trial) -> float:
    lr = trial.suggest_float("lr", 1e-4, 1e-1, log=True)
    layers = trial.suggest_int("layers", 1, 4)
    activation = trial.suggest_categorical("activation", ["relu", "tanh"])
    if trial.number == 2:
        raise ValueError("diverged")
    return float(np.log10(lr) ** 2 + layers + (activation == "tanh"))


def test_an_optuna_study_is_imported_with_its_space_and_failures(
    url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    storage = f"sqlite:///{tmp_path / 'optuna.db'}"
    _optuna_study(storage, "mlp", _objective)
    assert (
        hpo(
            "import",
            "optuna",
            "--storage",
            storage,
            "--study",
            "mlp",
            "--as",
            "from-optuna",
            "--database-url",
            url,
        )
        == 0
    )
    assert "8 trials (7 complete, 1 failed)" in capsys.readouterr().out
    summary = service(url).get_study("default", "from-optuna")
    assert [(p.name, p.type, getattr(p, "log", None)) for p in summary.study.space.params] == [
        ("lr", "float", True),
        ("layers", "int", False),
        ("activation", "categorical", None),
    ]
    assert summary.study.direction.value == "minimize"
    source = optuna.load_study(study_name="mlp", storage=storage).get_trials()
    imported = service(url).all_trials("default", "from-optuna")
    assert [(t.params, t.value) for t in imported] == [(t.params, t.value) for t in source]
    assert imported[2].state is TrialState.FAILED
    assert service(url).suggest("default", "from-optuna", "w")[0].number == 8


def test_a_stepped_optuna_float_is_refused_naming_the_trial(
    url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    storage = f"sqlite:///{tmp_path / 'optuna.db'}"
    _optuna_study(storage, "stepped", lambda t: t.suggest_float("x", 0.0, 1.0, step=0.1))
    assert (
        hpo("import", "optuna", "--storage", storage, "--study", "stepped", "--database-url", url)
        == 2
    )
    err = capsys.readouterr().err
    assert "optuna trial 0: parameter 'x' has FloatDistribution" in err
    assert "cannot express" in err
    with pytest.raises(StudyNotFound):
        service(url).get_study("default", "stepped")


def test_an_unknown_optuna_study_lists_the_ones_there(
    url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    storage = f"sqlite:///{tmp_path / 'optuna.db'}"
    _optuna_study(storage, "mlp", _objective)
    assert (
        hpo("import", "optuna", "--storage", storage, "--study", "nope", "--database-url", url) == 2
    )
    assert "no Optuna study 'nope'" in capsys.readouterr().err


def test_a_study_created_for_an_import_that_fails_is_rolled_back_too(
    url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    log = tmp_path / "bad.log"
    log.write_text('{"target": 1, "params": {"x": 0}}\n{"target": 1, "params": {"x": 5}}\n')
    space = json.dumps(SPACE[:1])
    assert (
        hpo(
            "import",
            "bayes-opt-log",
            str(log),
            "--study",
            "n",
            "--space",
            space,
            "--database-url",
            url,
        )
        == 2
    )
    assert "bad.log line 2: parameter 'x' = 5 is outside" in capsys.readouterr().err
    with pytest.raises(StudyNotFound):
        service(url).get_study("default", "n")

"""bayes_opt scripts and Optuna-style ask/tell against the real service."""

from __future__ import annotations

import ast
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from hpo_service.client import Client, StudyHandle
from hpo_service.client.compat import BayesianOptimization, space_from_pbounds, strategy_for
from hpo_service.domain import TrialState
from hpo_service.errors import InvalidRequest, InvalidValue
from tests.servers import ServerProcess

EXAMPLES = Path(__file__).parent / "bayes_opt_examples"


def black_box_function(x: float, y: float) -> float:
    """The function of bayes_opt's README."""
    return -(x**2) - (y - 1) ** 2 + 1


@pytest.fixture
def server(tmp_path: Path) -> Iterator[ServerProcess]:
    """A real `hpo serve` on a fresh SQLite file."""
    process = ServerProcess(f"sqlite:///{tmp_path / 'db.sqlite'}", log_path=tmp_path / "log")
    process.start()
    yield process
    process.stop()


def _run(script: str, server: ServerProcess, cwd: Path) -> str:
    env = {**os.environ, "HPO_URL": server.url, "PYTHONWARNINGS": "error"}
    done = subprocess.run(
        [sys.executable, str(EXAMPLES / script)],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=240,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_the_readme_basic_tour_runs_unchanged_against_the_service(
    server: ServerProcess, tmp_path: Path
) -> None:
    out = _run("readme_basic_tour.py", server, tmp_path)
    study = Client(server.url).get_study("black_box_function")
    trials = list(study.trials())
    assert [t.state for t in trials] == [TrialState.COMPLETE] * 5
    for trial in trials:
        x, y = trial.params["x"], trial.params["y"]
        assert 2 <= x <= 4 and -3 <= y <= 3
        assert trial.value == pytest.approx(black_box_function(x, y))
    best = max(trials, key=lambda t: t.value or -1e9)
    printed_max = ast.literal_eval(out.splitlines()[-11])
    assert printed_max == {"target": best.value, "params": best.params}
    assert out.count("Iteration ") == 5


def test_the_advanced_tour_suggest_register_loop_runs_unchanged(
    server: ServerProcess, tmp_path: Path
) -> None:
    out = _run("advanced_tour_suggest_register.py", server, tmp_path)
    study = Client(server.url).get_study("bayes-opt")
    assert study.definition.strategy["acquisition"] == "ucb"
    assert study.definition.strategy["kappa"] == 2.5
    trials = list(study.trials())
    assert [t.state for t in trials] == [TrialState.COMPLETE] * 6
    assert ast.literal_eval(out.splitlines()[-1])["target"] == max(t.value or 0 for t in trials)


def test_a_second_optimizer_on_the_same_study_continues_it(hpo: Client) -> None:
    first = BayesianOptimization(
        black_box_function,
        {"x": (-2, 2), "y": (-3, 3)},
        random_state=3,
        verbose=0,
        client=hpo,
        study="cont",
    )
    first.maximize(init_points=2, n_iter=2)
    again = BayesianOptimization(
        black_box_function, {"x": (-2, 2), "y": (-3, 3)}, verbose=0, client=hpo, study="cont"
    )
    assert len(again.res) == 4
    again.maximize(init_points=0, n_iter=2)
    assert len(again.res) == 6
    assert again.max == max(again.res, key=lambda r: r["target"])


def test_register_of_a_foreign_point_records_it_and_refuses_a_duplicate(hpo: Client) -> None:
    optimizer = BayesianOptimization(None, {"x": (0, 1)}, verbose=0, client=hpo, study="reg")
    optimizer.register([0.25], 1.0)
    with pytest.raises(InvalidRequest, match="not unique"):
        optimizer.register({"x": 0.25}, 2.0)
    assert optimizer.res == [{"target": 1.0, "params": {"x": 0.25}}]


def test_pbounds_types_and_acquisition_objects_map_to_the_service() -> None:
    from bayes_opt import acquisition

    assert space_from_pbounds({"a": (1, 5, int), "b": (0.0, 1.0), "c": ["u", "v"]}) == [
        {"name": "a", "type": "int", "low": 1, "high": 5},
        {"name": "b", "type": "float", "low": 0.0, "high": 1.0},
        {"name": "c", "type": "categorical", "choices": ["u", "v"]},
    ]
    ei = acquisition.ExpectedImprovement(xi=0.1, exploration_decay=0.9)
    assert strategy_for(ei) == {
        "name": "bayes_opt",
        "init_points": 1,
        "acquisition": "ei",
        "xi": 0.1,
        "exploration_decay": 0.9,
    }
    with pytest.raises(InvalidRequest, match="GPHedge has no counterpart"):
        strategy_for(acquisition.GPHedge([ei]))


def test_a_minimising_study_is_refused(make_study: object, hpo: Client) -> None:
    hpo.create_study("mini", [{"name": "x", "type": "float", "low": 0, "high": 1}])
    with pytest.raises(InvalidRequest, match="minimises"):
        BayesianOptimization(None, {"x": (0, 1)}, client=hpo, study="mini")


def test_ask_and_tell_read_like_optuna(hpo: Client) -> None:
    study: StudyHandle = hpo.create_study(
        "asktell",
        [{"name": "x", "type": "float", "low": -1, "high": 1}],
        strategy={"name": "random"},
    )
    trial = study.ask()
    done = study.tell(trial, trial.params["x"] ** 2)
    assert done.state is TrialState.COMPLETE
    failed = study.tell(study.ask().number, state="fail")
    assert failed.state is TrialState.FAILED
    with pytest.raises(InvalidValue, match="tell needs a value"):
        study.tell(study.ask())

"""The broad gp suite's problems (bench/gp_suite_problems.py): stated optima, split, rules.

Fast (seconds): no benchmark is run, only the problems, the regret rule and a few tiny runs.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))

import gp_suite
from gp_suite_problems import DEVELOPMENT, HELD_OUT, PROBLEMS, budgets_of

from hpo_service.optimisation.encoding import decode

NAMES = sorted(PROBLEMS)


def _tolerance(optimum: float) -> float:
    return 1e-9 * max(1.0, abs(optimum))


@pytest.mark.parametrize("name", NAMES)
def test_the_stated_optimum_is_attained_at_the_stated_argmin(name: str) -> None:
    problem = PROBLEMS[name]
    space = problem.space
    argmin = dict(zip(space.names, problem.argmin, strict=True))
    for param in space.params:
        param.check(argmin[param.name])
    assert problem(argmin) == pytest.approx(problem.optimum, abs=_tolerance(problem.optimum))


@pytest.mark.parametrize("name", NAMES)
def test_no_random_point_beats_the_stated_optimum(name: str) -> None:
    problem = PROBLEMS[name]
    space = problem.space
    rng = np.random.default_rng(13)
    values = [problem(decode(space, u)) for u in rng.random((2000, len(space.params)))]
    assert min(values) >= problem.optimum - _tolerance(problem.optimum)


def test_the_split_is_disjoint_and_covers_every_problem() -> None:
    assert not set(DEVELOPMENT) & set(HELD_OUT)
    assert set(DEVELOPMENT) | set(HELD_OUT) == set(PROBLEMS)
    assert len(DEVELOPMENT) + len(HELD_OUT) == len(PROBLEMS) >= 16


def test_the_suite_has_what_issue_13_asks_for() -> None:
    dims = [len(p.params) for p in PROBLEMS.values()]
    assert min(dims) == 2 and max(dims) >= 20
    kinds = {type(param).__name__ for p in PROBLEMS.values() for param in p.params}
    assert {"FloatParam", "IntParam", "CategoricalParam"} <= kinds
    assert any(getattr(param, "log", False) for p in PROBLEMS.values() for param in p.params)
    assert sum(p.noise_sd > 0 for p in PROBLEMS.values()) >= 2
    assert sum("_in_" in name for name in PROBLEMS) >= 2
    assert all(budgets_of(p)[-1] == 200 for p in PROBLEMS.values() if len(p.params) >= 20)


def test_regret_is_the_noise_free_value_of_the_best_observed_configuration() -> None:
    problem = PROBLEMS["noisy_shekel_4d"]
    log = [(-1.0, -2.0), (-3.0, -1.0), (-2.0, -5.0)]  # (observed, noise-free)
    regret = gp_suite.recommendation_regret(problem, log)
    assert regret == [-2.0 - problem.optimum, -1.0 - problem.optimum, -1.0 - problem.optimum]


def test_every_method_sees_the_same_noise_draws() -> None:
    problem = PROBLEMS["noisy_hartmann6_6d"]
    params = dict(zip(problem.space.names, problem.argmin, strict=True))
    draws = []
    for _ in range(2):
        noisy, log = gp_suite.observed(problem, seed=3)
        draws.append([noisy(params) for _ in range(3)])
        assert [t for _, t in log] == [problem(params)] * 3
    assert draws[0] == draws[1] and len(set(draws[0])) == 3


def test_the_default_and_its_acquisition_alias_are_the_same_runs() -> None:
    (alias, source), *_ = gp_suite.ALIASES.items()
    runs = [gp_suite.run_one(m, "hartmann3_3d", 0, 12) for m in (alias, source)]
    assert runs[0]["true"] == runs[1]["true"]


@pytest.mark.parametrize("method", ["bayes_opt", "optuna-tpe", "random", "engine-ucb"])
@pytest.mark.parametrize("name", ["mixed_levy_6d", "log_branin_2d"])
def test_runners_handle_mixed_and_log_spaces(method: str, name: str) -> None:
    if method.startswith("optuna"):
        pytest.importorskip("optuna")
    record = gp_suite.run_one(method, name, 0, 7)
    assert len(record["regret"]) == 7  # type: ignore[arg-type]
    assert min(record["regret"]) >= 0  # type: ignore[type-var]

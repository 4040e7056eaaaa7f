"""One multi-objective run per (problem, method, seed): the evaluations in order.

Every runner returns the list of (objectives, constraints) it evaluated, in evaluation
order (sequential, one configuration at a time); bench/multi_objective.py turns that into
a hypervolume curve. The engine runners go through ``optimisation.base.suggest`` with the
history the service would build (``service.suggestions.outcome_history``): objectives
sign-flipped to maximise, constraints as slacks ``g <= 0``, no declared reference point
(the engine derives one from the observations, as for a study that declares none; Optuna's
samplers are not given one either), except ``engine_declared``, which is given the
problem's reference point, as a study that declares it (outside the comparison with
Optuna: it knows what the others are not told).
"""

from __future__ import annotations

import warnings
from collections.abc import Callable

from mo_problems import Evaluation, MOProblem

from hpo_service.domain import (
    CategoricalParam,
    FloatParam,
    History,
    IntParam,
    Observation,
    Params,
    SearchSpace,
)
from hpo_service.optimisation.base import Strategy, suggest
from hpo_service.optimisation.gp import GPFactory
from hpo_service.optimisation.gp.surrogate import clear_cache
from hpo_service.optimisation.random_search import RandomStrategy

Runner = Callable[[MOProblem, int, int], list[Evaluation]]


def observation(params: Params, evaluation: Evaluation) -> Observation:
    """What the service hands the strategy for one complete trial (all minimised)."""
    objectives, constraints = evaluation
    maximised = tuple(-v for v in objectives)
    return Observation(params, maximised[0], maximised, tuple(constraints))


def _run_strategy(
    strategy: Strategy,
    problem: MOProblem,
    seed: int,
    budget: int,
    reference: tuple[float, ...] | None = None,
) -> list[Evaluation]:
    clear_cache()
    observations: list[Observation] = []
    evaluations: list[Evaluation] = []
    for _ in range(budget):
        history = History(completed=tuple(observations), reference_point=reference)
        params = suggest(strategy, problem.space, history, 1, seed)[0]
        evaluations.append(problem(params))
        observations.append(observation(params, evaluations[-1]))
    return evaluations


def engine_runner(
    problem: MOProblem, seed: int, budget: int, declared: bool = False
) -> list[Evaluation]:
    """This service's gp strategy with its defaults (EHVI x probability of feasibility);
    ``declared``: told the problem's reference point, as a study that declares it."""
    factory = GPFactory()
    strategy = factory.build(factory.normalise({"name": "gp"}, problem.space))
    # maximised, as the service passes it
    reference = tuple(-v for v in problem.reference) if declared else None
    return _run_strategy(strategy, problem, seed, budget, reference)


def engine_declared_runner(problem: MOProblem, seed: int, budget: int) -> list[Evaluation]:
    """The gp strategy told the problem's reference point."""
    return engine_runner(problem, seed, budget, declared=True)


def random_runner(problem: MOProblem, seed: int, budget: int) -> list[Evaluation]:
    """This service's random search (scrambled Sobol)."""
    return _run_strategy(RandomStrategy(), problem, seed, budget)


def _optuna_params(trial: object, space: SearchSpace) -> Params:
    params: Params = {}
    for p in space.params:
        if isinstance(p, FloatParam):
            params[p.name] = trial.suggest_float(p.name, p.low, p.high, log=p.log)  # type: ignore[attr-defined]
        elif isinstance(p, IntParam):
            params[p.name] = trial.suggest_int(p.name, p.low, p.high, log=p.log)  # type: ignore[attr-defined]
        elif isinstance(p, CategoricalParam):
            params[p.name] = trial.suggest_categorical(p.name, list(p.choices))  # type: ignore[attr-defined]
    return params


def optuna_runner(kind: str) -> Runner:
    """Optuna 4 GPSampler, NSGAIISampler or TPESampler, defaults plus constraints_func."""

    def run(problem: MOProblem, seed: int, budget: int) -> list[Evaluation]:
        import optuna

        optuna.logging.set_verbosity(optuna.logging.WARNING)

        def constraints(trial: optuna.trial.FrozenTrial) -> list[float]:
            return list(trial.user_attrs["constraints"])

        constraints_func = constraints if problem.n_constraints else None
        samplers = {
            "gp": optuna.samplers.GPSampler,
            "nsga2": optuna.samplers.NSGAIISampler,
            "tpe": optuna.samplers.TPESampler,
        }
        evaluations: list[Evaluation] = []
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # experimental-argument warnings
            sampler = samplers[kind](seed=seed, constraints_func=constraints_func)
            study = optuna.create_study(
                directions=["minimize"] * problem.n_objectives, sampler=sampler
            )
            for _ in range(budget):
                trial = study.ask()
                evaluations.append(problem(_optuna_params(trial, problem.space)))
                trial.set_user_attr("constraints", list(evaluations[-1][1]))
                study.tell(trial, list(evaluations[-1][0]))
        return evaluations

    return run


METHODS: dict[str, Runner] = {
    "engine": engine_runner,
    "engine_declared": engine_declared_runner,
    "optuna_gp": optuna_runner("gp"),
    "nsga2": optuna_runner("nsga2"),
    "tpe": optuna_runner("tpe"),
    "random": random_runner,
}

LABELS = {
    "engine": "this engine (gp: EHVI x PoF)",
    "engine_declared": "this engine, reference point declared",
    "optuna_gp": "Optuna GPSampler",
    "nsga2": "Optuna NSGAIISampler",
    "tpe": "Optuna TPESampler",
    "random": "random (Sobol)",
}

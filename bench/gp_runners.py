"""One optimisation run per (problem, method, seed): returns the best-so-far regret curve."""

from __future__ import annotations

import contextlib
import io
import math
import warnings
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np
from gp_problems import Problem

from hpo_service.domain import (
    CategoricalParam,
    FloatParam,
    History,
    IntParam,
    Observation,
    Param,
    Params,
    ParamValue,
)
from hpo_service.optimisation.gp import GPConfig, GPFactory, GPStrategy
from hpo_service.optimisation.gp.surrogate import clear_cache
from hpo_service.optimisation.random_search import RandomStrategy

Runner = Callable[[Problem, int, int], list[float]]


def curve(problem: Problem, values: list[float]) -> list[float]:
    """Best-so-far simple regret after each evaluation."""
    return [problem.regret(v) for v in np.minimum.accumulate(values)]


def engine_runner(
    acquisition: str | None,
    strategy: type[GPStrategy] = GPStrategy,
    options: Mapping[str, object] | None = None,
) -> Runner:
    """Sequential runs of this engine (n_initial from the documented default); acquisition
    None leaves it to the engine's default configuration; ``strategy``: the engine or one
    of its ablations (gp_ablations.py); ``options``: other gp options (config.py)."""

    def run(problem: Problem, seed: int, budget: int) -> list[float]:
        clear_cache()
        space = problem.space
        chosen = {} if acquisition is None else {"acquisition": acquisition}
        config = GPFactory().normalise({"name": "gp", **chosen, **(options or {})}, space)
        engine = strategy(GPConfig.from_mapping(config))
        observations: list[Observation] = []
        for _ in range(budget):
            history = History(completed=tuple(observations))
            params = engine.prepare(space, history, seed).propose([], 1)[0]
            observations.append(Observation(params, -problem(params)))
        return curve(problem, [-o.value for o in observations])

    return run


def random_runner(problem: Problem, seed: int, budget: int) -> list[float]:
    """This service's random search (scrambled Sobol)."""
    observations: list[Observation] = []
    for _ in range(budget):
        history = History(completed=tuple(observations))
        params = RandomStrategy().prepare(problem.space, history, seed).propose([], 1)[0]
        observations.append(Observation(params, -problem(params)))
    return curve(problem, [-o.value for o in observations])


def bayes_opt_runner(acquisition: str) -> Runner:
    """bayes_opt 3.4 with its defaults (UCB kappa 2.576) or EI(xi=0.01), 5 random starts.

    Mixed spaces use the library's own int and categorical parameters (duplicate points then
    allowed, as they recur among a handful of discrete values), log-scaled floats its float
    parameter over log10 of the bounds."""

    def run(problem: Problem, seed: int, budget: int) -> list[float]:
        from bayes_opt import BayesianOptimization
        from bayes_opt import acquisition as acq

        values: list[float] = []

        params = problem.params

        def target(**raw: ParamValue) -> float:
            values.append(problem(_from_bayes_opt(params, raw)))
            return -values[-1]

        function = acq.ExpectedImprovement(xi=0.01) if acquisition == "ei" else None
        bounds = {p.name: _bayes_opt_bound(p) for p in params}
        with warnings.catch_warnings(), contextlib.redirect_stdout(io.StringIO()):
            warnings.simplefilter("ignore")  # also "non-float parameters are experimental"
            optimizer = BayesianOptimization(
                target,
                bounds,
                acquisition_function=function,
                random_state=seed,
                verbose=0,
                **({} if problem.box else {"allow_duplicate_points": True}),
            )
            optimizer.maximize(init_points=5, n_iter=budget - 5)
        return curve(problem, values[:budget])

    return run


def _bayes_opt_bound(param: Param) -> tuple[object, ...]:
    """bayes_opt's bound of a parameter: (lo, hi) for a float (in log10 units if it is
    log-scaled: the library has no log scale), (lo, hi, int) and the choices (its own
    integer and categorical parameters, bayes_opt >= 3)."""
    if isinstance(param, CategoricalParam):
        return param.choices
    if isinstance(param, IntParam):
        return (param.low, param.high, int)
    if param.log:
        return (math.log10(param.low), math.log10(param.high))
    return (param.low, param.high)


def _from_bayes_opt(params: tuple[Param, ...], raw: dict[str, ParamValue]) -> Params:
    """Undo ``_bayes_opt_bound``'s log10 of log-scaled floats (clipped to the bounds)."""
    out = dict(raw)
    for p in params:
        if isinstance(p, FloatParam) and p.log:
            out[p.name] = min(max(10.0 ** float(raw[p.name]), p.low), p.high)
    return out


def _suggest(trial: Any, param: Param) -> ParamValue:
    """Optuna's suggestion for one parameter (suggest_float / _int / _categorical)."""
    value: ParamValue
    if isinstance(param, CategoricalParam):
        value = trial.suggest_categorical(param.name, param.choices)
    elif isinstance(param, IntParam):
        value = trial.suggest_int(param.name, param.low, param.high, log=param.log)
    elif param.log:
        value = trial.suggest_float(param.name, param.low, param.high, log=True)
    else:
        value = trial.suggest_float(param.name, param.low, param.high)
    return value


def optuna_runner(kind: str) -> Runner:
    """Optuna 4 GPSampler or TPESampler with default settings (int, categorical and
    log-scaled parameters through suggest_int / suggest_categorical / suggest_float(log))."""

    def run(problem: Problem, seed: int, budget: int) -> list[float]:
        import optuna

        optuna.logging.set_verbosity(optuna.logging.WARNING)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            sampler = (
                optuna.samplers.GPSampler(seed=seed)
                if kind == "gp"
                else optuna.samplers.TPESampler(seed=seed)
            )
            study = optuna.create_study(sampler=sampler)
            values: list[float] = []
            for _ in range(budget):
                trial = study.ask()
                params = {p.name: _suggest(trial, p) for p in problem.params}
                values.append(problem(params))
                study.tell(trial, values[-1])
        return curve(problem, values)

    return run


def parallel_runner(
    acquisition: str,
    workers: int,
    jitter: float = 0.0,
    strategy: type[GPStrategy] = GPStrategy,
) -> Runner:
    """Asynchronous workers: each finished trial is replaced by a new suggestion made with
    the other ``workers - 1`` trials pending. Trial durations are 1 + U(-jitter, jitter)
    (seeded), and the trial that finishes first is reported first, so with ``jitter > 0``
    workers finish out of order; ``jitter = 0`` is the equal-duration (round-robin) case.
    ``strategy``: the engine, or a variant of it (bench/gp_ablations.py)."""

    def run(problem: Problem, seed: int, budget: int) -> list[float]:
        clear_cache()
        space = problem.space
        config = GPFactory().normalise({"name": "gp", "acquisition": acquisition}, space)
        engine = strategy(GPConfig.from_mapping(config))
        rng = np.random.default_rng([seed, 7])
        observations: list[Observation] = []
        pending: list[Params] = []
        finish: list[float] = []
        now = 0.0
        while len(observations) < budget:
            while len(pending) < workers and len(observations) + len(pending) < budget:
                history = History(completed=tuple(observations), pending=tuple(pending))
                pending += engine.prepare(space, history, seed).propose(pending, 1)
                finish.append(now + 1.0 + jitter * rng.uniform(-1.0, 1.0))
            first = int(np.argmin(finish))
            now = finish.pop(first)
            done = pending.pop(first)
            observations.append(Observation(done, -problem(done)))
        return curve(problem, [-o.value for o in observations])

    return run


def batch_runner(acquisition: str, batch: int) -> Runner:
    """Synchronous batches: one suggest call with count = ``batch``, all evaluated, repeat."""

    def run(problem: Problem, seed: int, budget: int) -> list[float]:
        clear_cache()
        space = problem.space
        config = GPFactory().normalise({"name": "gp", "acquisition": acquisition}, space)
        strategy = GPStrategy(GPConfig.from_mapping(config))
        observations: list[Observation] = []
        while len(observations) < budget:
            history = History(completed=tuple(observations))
            count = min(batch, budget - len(observations))
            for params in strategy.prepare(space, history, seed).propose([], count):
                observations.append(Observation(params, -problem(params)))
        return curve(problem, [-o.value for o in observations])

    return run


METHODS: dict[str, Runner] = {
    "engine EI": engine_runner("ei"),
    "engine UCB": engine_runner("ucb"),
    "engine PI": engine_runner("pi"),
    "random (Sobol)": random_runner,
    "bayes_opt default (UCB)": bayes_opt_runner("ucb"),
    "bayes_opt EI": bayes_opt_runner("ei"),
    "Optuna GPSampler": optuna_runner("gp"),
    "Optuna TPESampler": optuna_runner("tpe"),
}

PARALLEL: dict[str, Runner] = {
    "EI sequential": engine_runner("ei"),
    "EI 4 async workers (kriging believer)": parallel_runner("ei", 4),
    "EI batches of 4 (count=4)": batch_runner("ei", 4),
    "EI 4 async workers random durations (kriging believer)": parallel_runner("ei", 4, jitter=0.5),
}

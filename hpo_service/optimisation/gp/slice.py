"""A one-parameter view of the fitted GP for the dashboard (pure function, no I/O)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from hpo_service.domain import (
    CategoricalParam,
    History,
    Observation,
    Param,
    ParamValue,
    SearchSpace,
)
from hpo_service.errors import InvalidRequest, InvalidStrategy, SurrogateUnavailable
from hpo_service.optimisation.encoding import (
    decode_value,
    encode,
    encode_value,
    snap,
    to_features,
)
from hpo_service.optimisation.gp import config as gp_config
from hpo_service.optimisation.gp.acquisition import Acquisition
from hpo_service.optimisation.gp.config import GPConfig
from hpo_service.optimisation.gp.model import NumericalError
from hpo_service.optimisation.gp.strategy import MIN_OBSERVATIONS, SEED_MODULUS, GPStrategy
from hpo_service.optimisation.gp.surrogate import Surrogate, build_surrogate, finite
from hpo_service.optimisation.gp.threads import single_threaded_blas

MAX_POINTS = 1000


def posterior_slice(
    space: SearchSpace,
    history: History,
    config: Mapping[str, Any],
    seed: int,
    param_name: str,
    points: int = 100,
) -> dict[str, Any]:
    """The GP along one parameter, the others held at the best completed trial's values.

    Values are in the study's *maximised* units (``history.completed`` is already
    sign-flipped; the service flips back for minimised studies): ``mean`` and ``std`` are
    the posterior of the latent objective mapped back from the standardised scale
    (mean * sd + mean_y, std * sd). ``acquisition_values`` are EI in the same units, UCB
    (mean + kappa * std) in the same units, or PI as a probability.

    A conditional parameter is sliced where it is active: the others are held at the best
    trial in which it is active, and ``observed`` lists only such trials. Varying a parent
    switches its children on or off; a child that becomes active sits at its centre.

    Args:
        space: the study's search space.
        history: completed (maximised) and pending trials.
        config: the study's strategy configuration; must be a gp configuration.
        seed: the study's seed (as used for suggestions).
        param_name: the parameter to vary.
        points: grid size for numeric parameters (categoricals use their choices).
    Returns:
        ``{"param", "grid", "mean", "std", "acquisition", "acquisition_values", "observed",
        "held", "next", "units"}`` with plain Python values.
    Raises:
        InvalidStrategy: the configuration is not a gp one.
        InvalidParams: the space has no such parameter.
        InvalidRequest: fewer than two completed trials, ``points`` out of range, or a
            conditional parameter that no completed trial has active.
    """
    normalised, param, observations = _check(space, history, config, param_name, points)
    seed = (normalised.seed if normalised.seed is not None else seed) % SEED_MODULUS
    try:
        with single_threaded_blas():
            surrogate = build_surrogate(space, observations, seed)
    except NumericalError as error:
        raise SurrogateUnavailable(
            f"the GP could not be fitted to this history: {error}"
        ) from error
    held = max(observations, key=lambda o: o.value).params
    if param.name not in held:  # conditional: hold the best trial where it is active
        held = max(_with(observations, param), key=lambda o: o.value).params
    grid = grid_values(param, points)
    mean, std, acquisition = _evaluate(space, surrogate, normalised, held, param, grid)
    proposal = (
        GPStrategy(normalised).prepare(space, history, seed).propose(list(history.pending), 1)
    )
    return {
        "param": param.name,
        "grid": grid,
        "mean": mean,
        "std": std,
        "acquisition": normalised.acquisition,
        "acquisition_values": acquisition,
        "observed": [
            {"x": o.params[param.name], "value": o.value} for o in _with(observations, param)
        ],
        "held": dict(held),
        "next": proposal[0] if proposal else None,
        "units": "maximised objective (sign-flipped for minimised studies)",
    }


def _check(
    space: SearchSpace,
    history: History,
    config: Mapping[str, Any],
    param_name: str,
    points: int,
) -> tuple[GPConfig, Param, list[Observation]]:
    if config.get("name") != "gp":
        raise InvalidStrategy(
            f"the posterior slice needs a gp strategy, not {config.get('name')!r}"
        )
    normalised = GPConfig.from_mapping(gp_config.normalise(config, space))
    param = space.get(param_name)
    if not 2 <= points <= MAX_POINTS:
        raise InvalidRequest(f"points must be in [2, {MAX_POINTS}], got {points}")
    observations = finite(history.completed)
    if len(observations) < MIN_OBSERVATIONS:
        raise InvalidRequest(
            f"the posterior needs at least {MIN_OBSERVATIONS} completed trials with finite "
            f"values; the study has {len(observations)}"
        )
    if param.condition is not None and not _with(observations, param):
        raise InvalidRequest(
            f"parameter {param.name!r} is active only when {param.condition.describe()}, and "
            "no completed trial has it active yet; the slice holds the other parameters at "
            "the best trial where it is active, so wait for one"
        )
    return normalised, param, observations


def _with(observations: list[Observation], param: Param) -> list[Observation]:
    """The observations where ``param`` is active (present)."""
    return [o for o in observations if param.name in o.params]


def grid_values(param: Param, points: int) -> list[ParamValue]:
    """Evenly spaced values in the parameter's own scale (log-aware); choices for categoricals."""
    if isinstance(param, CategoricalParam):
        return list(param.choices)
    values = [decode_value(param, u) for u in np.linspace(0.0, 1.0, points)]
    return list(dict.fromkeys(values))


def _evaluate(
    space: SearchSpace,
    surrogate: Surrogate,
    config: GPConfig,
    held: Mapping[str, ParamValue],
    param: Param,
    grid: list[ParamValue],
) -> tuple[list[float], list[float], list[float]]:
    column = space.names.index(param.name)
    cube = np.tile(encode(space, dict(held)), (len(grid), 1))
    cube[:, column] = [encode_value(param, v) for v in grid]
    cube = snap(space, cube)  # a parent's value switches its children on or off
    with single_threaded_blas():
        mean, std = surrogate.posterior.predict(to_features(space, cube))
    acquisition = Acquisition(config.acquisition, surrogate.best, config.xi, config.kappa)
    values = acquisition.closed_form(mean, std)
    if config.acquisition != "pi":  # EI and UCB scale like the objective
        values = values * surrogate.y_sd + (surrogate.y_mean if config.acquisition == "ucb" else 0)
    mean_out = mean * surrogate.y_sd + surrogate.y_mean
    return mean_out.tolist(), (std * surrogate.y_sd).tolist(), values.tolist()

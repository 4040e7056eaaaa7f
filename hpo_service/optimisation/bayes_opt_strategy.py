"""The ``bayes_opt`` strategy: the bayesian-optimization library itself, driven by the history.

Options (all optional except ``name``), named as in the library:

- ``acquisition``: ``"ucb"`` (the library's default), ``"ei"`` or ``"pi"``: its
  ``UpperConfidenceBound``, ``ExpectedImprovement`` and ``ProbabilityOfImprovement``.
- ``kappa`` (UCB, default 2.576) and ``xi`` (EI / PI, default 0.01).
- ``exploration_decay`` (in (0, 1]) and ``exploration_decay_delay`` (int >= 0): the library's
  decay of kappa or xi after each model-based suggestion. The strategy is rebuilt from the
  history on every call, so it replays the decay: the n-th model suggestion of a study uses
  the value the library would use on its n-th ``suggest()``.
- ``init_points`` (default 5, as ``maximize``): random configurations before the GP is used,
  drawn with the library's ``random_sample``.
- ``liar``: ``"max"`` (the library's default), ``"mean"`` or ``"min"``: the constant the
  library's ``ConstantLiar`` registers at pending configurations.
- ``seed``: overrides the study's seed.

How the service's space meets the library's (which knows bounds, not scales or choices):
every parameter is one coordinate of the unit cube of ``encoding.py``, so the library sees
``pbounds = {name: (0, 1)}``; floats map linearly or in log space, ints are rounded, and a
categorical with k choices splits [0, 1) into k bins. Pending configurations are the
ConstantLiar's dummies, and each proposal of a batch becomes a dummy for the next (the
library's own asynchronous mode). A proposal that decodes to a configuration already pending
or, in an all-discrete space, already tried, is replaced by the next point of the service's
Sobol sequence. Repeated completed configurations are registered once, with their mean
value (the library refuses duplicate points). Failed trials are not shown to the library.
A conditional space is searched in the unit cube like any other: an inactive coordinate
sits at the encoding's constant and decoding drops it from the proposal.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal, cast

import numpy as np
from bayes_opt import BayesianOptimization, acquisition
from bayes_opt.acquisition import AcquisitionFunction
from numpy.typing import NDArray

from hpo_service.domain import History, Params, SearchSpace
from hpo_service.errors import HpoError, InvalidStrategy
from hpo_service.optimisation.encoding import decode, encode
from hpo_service.optimisation.gp.threads import single_threaded_blas
from hpo_service.optimisation.random_search import RandomProposer, RandomStrategy

logger = logging.getLogger(__name__)
ACQUISITIONS = ("ucb", "ei", "pi")
LIARS = ("max", "mean", "min")
Liar = Literal["min", "mean", "max"]
DEFAULTS: dict[str, Any] = {
    "acquisition": "ucb",
    "kappa": 2.576,
    "xi": 0.01,
    "exploration_decay": None,
    "exploration_decay_delay": None,
    "init_points": 5,
    "liar": "max",
}
OPTIONS = ("name", *DEFAULTS, "seed")
MAX_INIT_POINTS = 10_000
RANDOM_TRIES = 32
Registered = tuple[tuple[NDArray[np.float64], float], ...]


@dataclass(frozen=True)
class BayesOptConfig:
    """A normalised bayes_opt configuration."""

    acquisition: str = "ucb"
    kappa: float = 2.576
    xi: float = 0.01
    exploration_decay: float | None = None
    exploration_decay_delay: int | None = None
    init_points: int = 5
    liar: str = "max"
    seed: int | None = None

    def acquisition_function(self, earlier: int) -> AcquisitionFunction:
        """The library's acquisition object as it stands after ``earlier`` model suggestions."""
        decays = _decays(earlier, self.exploration_decay, self.exploration_decay_delay)
        factor = (self.exploration_decay or 1.0) ** decays
        decay, delay = self.exploration_decay, self.exploration_decay_delay
        base: AcquisitionFunction
        if self.acquisition == "ucb":
            base = acquisition.UpperConfidenceBound(self.kappa * factor, decay, delay)
        elif self.acquisition == "ei":
            base = acquisition.ExpectedImprovement(self.xi * factor, decay, delay)
        else:
            base = acquisition.ProbabilityOfImprovement(self.xi * factor, decay, delay)
        base.i = earlier
        return acquisition.ConstantLiar(base, strategy=cast(Liar, self.liar))


def _decays(earlier: int, decay: float | None, delay: int | None) -> int:
    """How often the library has decayed kappa / xi after ``earlier`` suggestions."""
    if decay is None:
        return 0
    return earlier if delay is None else max(0, earlier - delay + 1)


@dataclass(frozen=True)
class BayesOptProposer:
    """Runs the library's suggest loop; a precomputed proposal serves the snapshot's pending."""

    space: SearchSpace
    config: BayesOptConfig
    completed: Registered
    earlier: int
    random_state: int
    fallback: RandomProposer
    prepared: tuple[frozenset[tuple[Any, ...]], Params] | None = None

    def propose(self, pending: Sequence[Params], count: int) -> list[Params]:
        """Return ``count`` configurations, none pending and none repeated."""
        keys = frozenset(self.space.key(p) for p in pending)
        if self.prepared is not None and count == 1 and self.prepared[0] == keys:
            return [self.prepared[1]]
        with single_threaded_blas():
            return self._run(list(pending), count)

    def with_prepared(self, pending: Sequence[Params]) -> BayesOptProposer:
        """A copy that has already computed the next proposal for ``pending`` (outside locks)."""
        keys = frozenset(self.space.key(p) for p in pending)
        with single_threaded_blas():
            params = self._run(list(pending), 1)[0]
        return BayesOptProposer(
            self.space,
            self.config,
            self.completed,
            self.earlier,
            self.random_state,
            self.fallback,
            (keys, params),
        )

    def _optimizer(self) -> BayesianOptimization:
        optimizer = BayesianOptimization(
            f=None,
            pbounds={name: (0.0, 1.0) for name in self.space.names},
            acquisition_function=self.config.acquisition_function(self.earlier),
            random_state=np.random.RandomState(self.random_state),
            verbose=0,
        )
        for point, value in self.completed:
            optimizer.register(params=point, target=value)
        return optimizer

    def _run(self, pending: list[Params], count: int) -> list[Params]:
        optimizer = self._optimizer()
        liar: Any = optimizer.acquisition_function
        unique = {self.space.key(p): p for p in pending}  # the library refuses repeats
        liar.dummies = [encode(self.space, p) for p in unique.values()]
        taken = set(self.fallback.taken) | {self.space.key(p) for p in pending}
        out: list[Params] = []
        for _ in range(count):
            params = self._next(optimizer, len(self.completed) + len(pending) + len(out), taken)
            if params is None:
                params = self.fallback.propose([*pending, *out], 1)[0]
                liar.dummies.append(encode(self.space, params))
            taken.add(self.space.key(params))
            out.append(params)
        return out

    def _next(
        self, optimizer: BayesianOptimization, seen: int, taken: set[tuple[Any, ...]]
    ) -> Params | None:
        """The library's next point (random while in the initial design), or None if taken."""
        if not self.completed or seen < self.config.init_points:
            for _ in range(RANDOM_TRIES):
                sample = optimizer.random_sample(1)[0]
                params = decode(self.space, [float(sample[n]) for n in self.space.names])
                if self.space.key(params) not in taken:
                    return params
            return None
        try:
            point = optimizer.suggest()
        except HpoError:
            raise
        except Exception:
            logger.exception("bayes_opt suggest failed; using the Sobol sequence instead")
            return None
        params = decode(self.space, [float(point[n]) for n in self.space.names])
        return None if self.space.key(params) in taken else params


@dataclass(frozen=True)
class BayesOptStrategy:
    """Rebuilds the library's optimiser from the history on every call."""

    config: BayesOptConfig

    def prepare(self, space: SearchSpace, history: History, seed: int) -> BayesOptProposer:
        """Encode the snapshot and precompute the proposal for its pending set."""
        seed = self.config.seed if self.config.seed is not None else seed
        fallback = RandomStrategy().prepare(space, history, seed)
        state = np.random.SeedSequence([seed, history.size]).generate_state(1)[0]
        proposer = BayesOptProposer(
            space,
            self.config,
            _registered(space, history),
            max(0, history.size - self.config.init_points),
            int(state),
            fallback,
        )
        return proposer.with_prepared(history.pending)


def _registered(space: SearchSpace, history: History) -> Registered:
    """Finite observations as unit-cube points; a repeated configuration gets its mean value."""
    groups: dict[tuple[Any, ...], tuple[Params, list[float]]] = {}
    for obs in history.completed:
        if math.isfinite(obs.value):
            groups.setdefault(space.key(obs.params), (obs.params, []))[1].append(obs.value)
    return tuple((encode(space, p), sum(v) / len(v)) for p, v in groups.values())


class BayesOptFactory:
    """Validates ``{"name": "bayes_opt", "acquisition": "ucb" | "ei" | "pi", ...}``."""

    def normalise(self, config: Mapping[str, Any], space: SearchSpace) -> dict[str, Any]:
        """Check the options against the library's own rules and fill in its defaults."""
        extra = sorted(set(config) - set(OPTIONS))
        if extra:
            raise InvalidStrategy(
                f"bayes_opt strategy has no options {extra}; allowed: {', '.join(OPTIONS[1:])}"
            )
        out = {"name": "bayes_opt", **DEFAULTS, **{k: v for k, v in config.items() if k != "name"}}
        _choice(out, "acquisition", ACQUISITIONS)
        _choice(out, "liar", LIARS)
        for key in ("kappa", "xi"):
            out[key] = _number(out[key], key, 0.0, math.inf)
        if out["exploration_decay"] is not None:
            out["exploration_decay"] = _number(out["exploration_decay"], "exploration_decay", 0, 1)
            if out["exploration_decay"] == 0:
                raise InvalidStrategy("bayes_opt option 'exploration_decay' must be > 0")
        if out["exploration_decay_delay"] is not None:
            _integer(out["exploration_decay_delay"], "exploration_decay_delay", 0, 2**31)
        _integer(out["init_points"], "init_points", 1, MAX_INIT_POINTS)
        if out.get("seed") is not None:
            _integer(out["seed"], "seed", 0, 2**63 - 1)
        else:
            out.pop("seed", None)
        return out

    def build(self, config: Mapping[str, Any]) -> BayesOptStrategy:
        """Build the strategy from a normalised configuration."""
        options = {k: v for k, v in config.items() if k != "name"}
        return BayesOptStrategy(BayesOptConfig(**options))


def _choice(config: dict[str, Any], key: str, allowed: Sequence[str]) -> None:
    if config[key] not in allowed:
        raise InvalidStrategy(
            f"bayes_opt option {key!r} must be one of {list(allowed)}, got {config[key]!r}"
        )


def _number(value: Any, key: str, low: float, high: float) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise InvalidStrategy(f"bayes_opt option {key!r} must be a finite number, got {value!r}")
    if not low <= value <= high:
        raise InvalidStrategy(f"bayes_opt option {key!r} must lie in [{low}, {high}], got {value}")
    return float(value)


def _integer(value: Any, key: str, low: int, high: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise InvalidStrategy(
            f"bayes_opt option {key!r} must be an integer in [{low}, {high}], got {value!r}"
        )

"""Validation and defaults of ``{"name": "gp", ...}`` strategy configurations.

Options (all optional except ``name``):

- ``acquisition``: ``"ei"`` (expected improvement, default), ``"ucb"`` (upper confidence
  bound) or ``"pi"`` (probability of improvement).
- ``xi``: improvement margin for EI and PI, in units of the standard deviation of the
  observed values (the GP works on standardised outputs). Default 0.0 for EI, 0.01 for PI.
- ``kappa``: exploration weight of UCB, ``mu + kappa * sigma``. Default 2.0.
- ``greedy``: the probability that a suggestion maximises the posterior mean instead of
  the acquisition (epsilon-greedy steps, De Ath et al. 2021). Default 0. With EI, 0.25
  lowered the regret on continuous problems and raised it on the mixed one (2.6x at 100
  evaluations): docs/benchmarks/gp_greedy.md.
- ``n_initial``: completed trials taken from a scrambled Sobol design before the GP is used.
  Default ``clip(2 * number of parameters, 5, 10)``.
- ``seed``: overrides the study's seed for this strategy.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from hpo_service.domain import SearchSpace
from hpo_service.errors import InvalidStrategy

ACQUISITIONS = ("ei", "ucb", "pi")
OPTIONS = ("name", "acquisition", "xi", "kappa", "greedy", "n_initial", "seed")
DEFAULT_KAPPA = 2.0
DEFAULT_XI = {"ei": 0.0, "pi": 0.01, "ucb": 0.0}
MAX_XI = 10.0
MAX_KAPPA = 100.0
MAX_INITIAL = 10_000


@dataclass(frozen=True)
class GPConfig:
    """A normalised gp configuration."""

    acquisition: str = "ei"
    xi: float = 0.0
    kappa: float = DEFAULT_KAPPA
    greedy: float = 0.0
    n_initial: int | None = None  # None: default_initial(space), resolved when preparing
    seed: int | None = None

    @classmethod
    def from_mapping(cls, config: Mapping[str, Any]) -> GPConfig:
        """Build from a (normalised) configuration; missing options take their defaults."""
        acquisition = str(config.get("acquisition", "ei"))
        seed, n_initial = config.get("seed"), config.get("n_initial")
        return cls(
            acquisition=acquisition,
            xi=float(config.get("xi", DEFAULT_XI.get(acquisition, 0.0))),
            kappa=float(config.get("kappa", DEFAULT_KAPPA)),
            greedy=float(config.get("greedy", 0.0)),
            n_initial=None if n_initial is None else int(n_initial),
            seed=None if seed is None else int(seed),
        )

    def initial_design_size(self, space: SearchSpace) -> int:
        """The configured n_initial, or the default for the space."""
        return self.n_initial if self.n_initial is not None else default_initial(space)


def default_initial(space: SearchSpace) -> int:
    """Default size of the Sobol initial design: twice the dimension, clipped to [5, 10]."""
    return min(max(2 * len(space.params), 5), 10)


def normalise(config: Mapping[str, Any], space: SearchSpace) -> dict[str, Any]:
    """Check a gp configuration and fill in its defaults, or raise InvalidStrategy."""
    extra = sorted(set(config) - set(OPTIONS))
    if extra:
        raise InvalidStrategy(
            f"gp strategy has no options {extra}; allowed: {', '.join(OPTIONS[1:])}"
        )
    acquisition = config.get("acquisition", "ei")
    if acquisition not in ACQUISITIONS:
        raise InvalidStrategy(
            f"gp acquisition must be one of {list(ACQUISITIONS)}, got {acquisition!r}"
        )
    out: dict[str, Any] = {
        "name": "gp",
        "acquisition": acquisition,
        "xi": _number(config, "xi", DEFAULT_XI[acquisition], MAX_XI),
        "kappa": _number(config, "kappa", DEFAULT_KAPPA, MAX_KAPPA),
        "greedy": _number(config, "greedy", 0.0, 1.0),
        "n_initial": _integer(config, "n_initial", default_initial(space), 1, MAX_INITIAL),
    }
    if config.get("seed") is not None:
        out["seed"] = _integer(config, "seed", 0, 0, 2**63 - 1)
    return out


def _number(config: Mapping[str, Any], key: str, default: float, high: float) -> float:
    value = config.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise InvalidStrategy(f"gp option {key!r} must be a number, got {value!r}")
    if not math.isfinite(value) or not 0.0 <= value <= high:
        raise InvalidStrategy(f"gp option {key!r} must lie in [0, {high}], got {value!r}")
    return float(value)


def _integer(config: Mapping[str, Any], key: str, default: int, low: int, high: int) -> int:
    value = config.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidStrategy(f"gp option {key!r} must be an integer, got {value!r}")
    if not low <= value <= high:
        raise InvalidStrategy(f"gp option {key!r} must lie in [{low}, {high}], got {value!r}")
    return value

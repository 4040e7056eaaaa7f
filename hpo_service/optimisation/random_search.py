"""Random search on a scrambled Sobol sequence (low discrepancy, reproducible from the seed).

The study's seed scrambles the sequence and the number of configurations already
handed out is the position in it, so suggestions continue the same sequence
across calls, processes and restarts. In a conditional space parents are decoded
first and a child's coordinate is read only when the child is active
(``encoding.decode``), so children are sampled only under their condition.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray
from scipy.stats import qmc

from hpo_service.domain import FloatParam, History, Params, SearchSpace
from hpo_service.errors import BudgetExhausted, InvalidStrategy
from hpo_service.optimisation.encoding import decode

MAX_DRAWS_PER_PROPOSAL = 256


def sobol_points(dim: int, seed: int, start: int, count: int) -> NDArray[np.float64]:
    """Points ``start .. start+count-1`` of the scrambled Sobol sequence for ``seed``."""
    sampler = _scrambled(dim, seed)
    if start > 0:
        # a busy study asks for later and later points: move forward from where the engine
        # is and reset only to go back (``reset`` deep-copies the engine's generator, 0.1 ms
        # of a random suggestion's time under the study lock)
        if sampler.num_generated > start:
            sampler.reset()
        if start > sampler.num_generated:
            sampler.fast_forward(start - sampler.num_generated)
        return np.asarray(sampler.random(count), dtype=np.float64)
    sampler.reset()
    m = max(0, int(np.ceil(np.log2(max(count, 1)))))
    return np.asarray(sampler.random_base2(m)[:count], dtype=np.float64)


_SAMPLERS = threading.local()  # per thread: (dim, seed) -> its scrambled Sobol engine
MAX_SAMPLERS = 64


def _scrambled(dim: int, seed: int) -> qmc.Sobol:
    """This thread's engine for (dim, seed): scrambling draws the engine's matrices, which
    costs more than the point a random-search suggestion takes from it (under the study
    lock); ``reset`` returns it to the start of the same scrambled sequence."""
    samplers: OrderedDict[tuple[int, int], qmc.Sobol] | None = getattr(_SAMPLERS, "found", None)
    if samplers is None:
        samplers = _SAMPLERS.found = OrderedDict()
    key = (dim, seed)
    sampler = samplers.get(key)
    if sampler is None:
        sampler = samplers[key] = qmc.Sobol(d=dim, scramble=True, rng=np.random.default_rng(seed))
        if len(samplers) > MAX_SAMPLERS:
            samplers.popitem(last=False)
    samplers.move_to_end(key)
    return sampler


@dataclass(frozen=True)
class RandomProposer:
    """Draws the next Sobol points, skipping any configuration already handed out."""

    space: SearchSpace
    seed: int
    start: int
    taken: frozenset[tuple[Any, ...]]

    def propose(self, pending: Sequence[Params], count: int) -> list[Params]:
        """Return ``count`` configurations that are neither pending nor seen before."""
        taken = set(self.taken) | {self.space.key(p) for p in pending}
        out: list[Params] = []
        position = self.start + len(pending)
        draws = 0
        while len(out) < count:
            batch = max(count - len(out), 1)
            for point in sobol_points(len(self.space.params), self.seed, position, batch):
                params = decode(self.space, point)
                key = self.space.key(params)
                if key not in taken:
                    taken.add(key)
                    out.append(params)
            position += batch
            draws += batch
            if draws > MAX_DRAWS_PER_PROPOSAL * count and len(out) < count:
                raise BudgetExhausted(
                    "random search found no configuration that is not already pending or "
                    "tried; the discrete search space looks used up"
                )
        return out


@dataclass(frozen=True)
class RandomStrategy:
    """Seeded quasi-random search."""

    def prepare(self, space: SearchSpace, history: History, seed: int) -> RandomProposer:
        """Bind the snapshot: if the space ``can_repeat`` a configuration, remember what was
        tried. With an unconditional float parameter a repeat of a finished configuration has
        probability zero, so only pending configurations (checked in ``propose``) need
        excluding. A conditional float may be inactive, leaving a discrete configuration.
        """
        taken: set[tuple[Any, ...]] = set()
        if can_repeat(space):
            taken = {space.key(o.params) for o in history.completed}
            taken |= {space.key(p) for p in history.failed}
        start = len(history.completed) + len(history.failed)
        return RandomProposer(space, seed, start, frozenset(taken))

    def at(self, space: SearchSpace, seed: int, handed_out: int) -> RandomProposer:
        """The proposer after ``handed_out`` configurations, for a space that cannot repeat
        one (``can_repeat`` is False): no history is needed, only how far the sequence went
        (the same position ``prepare`` reaches with every trial finished or pending)."""
        if can_repeat(space):
            raise ValueError("a space that can repeat a configuration needs the history")
        return RandomProposer(space, seed, handed_out, frozenset())


def can_repeat(space: SearchSpace) -> bool:
    """Whether a Sobol point can decode to a configuration already tried: only when some
    configuration has no float (with an unconditional float a repeat has probability 0)."""
    return not any(isinstance(p, FloatParam) and p.condition is None for p in space.params)


class RandomFactory:
    """Validates ``{"name": "random"}`` configurations."""

    def normalise(self, config: Mapping[str, Any], space: SearchSpace) -> dict[str, Any]:
        """Random search takes no options beyond name and seed."""
        extra = sorted(set(config) - {"name", "seed"})
        if extra:
            raise InvalidStrategy(f"random strategy has no options {extra}; allowed: seed")
        return {"name": "random"}

    def build(self, config: Mapping[str, Any]) -> RandomStrategy:
        """Build the strategy."""
        return RandomStrategy()

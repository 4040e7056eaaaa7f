"""The strategy interface: the one plug-in point of the service.

A strategy is rebuilt from the trial history on every call, so any number of
service processes can serve one study and a restart loses nothing. Work is
split in two stages so the service can keep the expensive part outside the
per-study database lock:

1. ``prepare(space, history, seed)`` runs on a snapshot of the history without
   the lock (for a GP: fit the surrogate). It must not mutate shared state.
2. ``Proposer.propose(pending, count)`` runs under the lock. ``pending`` holds
   every configuration handed out or recorded since (or not in) the snapshot's
   completed set, so a proposer must never return one of them and should
   spread new proposals away from them.

Values in ``history.completed`` are already sign-flipped so strategies always
maximise.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Protocol

from hpo_service.domain import History, Params, SearchSpace


class Proposer(Protocol):
    """Stage two of a suggestion: cheap, runs under the study lock."""

    def propose(self, pending: Sequence[Params], count: int) -> list[Params]:
        """Return ``count`` new configurations, none equal to a pending one.

        Args:
            pending: configurations handed out and not yet in the snapshot's completed set.
            count: how many configurations to return (>= 1).
        Returns:
            A list of ``count`` validated parameter dictionaries (fewer only for a finite
            space that has run out, e.g. a grid).
        Raises:
            BudgetExhausted: a finite space has no configuration left.
        """
        ...


class Strategy(Protocol):
    """Stage one of a suggestion: may be expensive, runs outside any lock."""

    def prepare(self, space: SearchSpace, history: History, seed: int) -> Proposer:
        """Build a proposer from a history snapshot.

        Args:
            space: the study's search space.
            history: completed observations (maximised), pending and failed configurations.
            seed: the study's seed; strategies derive per-call randomness from it and
                ``history.size`` so the same history always gives the same proposal.
        Returns:
            A Proposer bound to this snapshot.
        """
        ...


class StrategyFactory(Protocol):
    """Validates a strategy configuration and builds the strategy."""

    def normalise(self, config: Mapping[str, Any], space: SearchSpace) -> dict[str, Any]:
        """Return the configuration with defaults filled in, or raise InvalidStrategy."""
        ...

    def build(self, config: Mapping[str, Any]) -> Strategy:
        """Build the strategy from a normalised configuration."""
        ...


def suggest(
    strategy: Strategy,
    space: SearchSpace,
    history: History,
    count: int,
    seed: int,
) -> list[Params]:
    """One-shot form of the interface: prepare on ``history`` and propose ``count``."""
    return strategy.prepare(space, history, seed).propose(list(history.pending), count)

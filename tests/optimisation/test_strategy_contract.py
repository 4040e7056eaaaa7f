"""One contract suite over every strategy (ARCHITECTURE.md, house rule 8)."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from hpo_service.domain import History, Params, SearchSpace
from hpo_service.optimisation.base import Strategy, suggest
from tests.optimisation.conftest import history_of

Make = Callable[[str, SearchSpace], Strategy]
HISTORY_SIZES = [(0, 0), (2, 0), (8, 0), (8, 3)]


def assert_valid(space: SearchSpace, params: Params) -> None:
    """In bounds, of the right type, one of the choices; exactly the active parameters."""
    checked = space.check(params)
    assert space.key(checked) == space.key(params)
    assert list(params) == [p.name for p in space.active(params)]
    for param in space.active(params):
        value = params[param.name]
        if param.type == "float":
            assert type(value) is float
        elif param.type == "int":
            assert type(value) is int


@pytest.mark.parametrize(("completed", "pending"), HISTORY_SIZES)
def test_proposals_are_valid(
    make_strategy: Make, strategy_name: str, space: SearchSpace, completed: int, pending: int
) -> None:
    history = history_of(space, completed, pending)
    for params in suggest(make_strategy(strategy_name, space), space, history, 3, seed=11):
        assert_valid(space, params)


@pytest.mark.parametrize(("completed", "pending"), HISTORY_SIZES)
def test_same_history_and_seed_give_the_same_proposal(
    make_strategy: Make, strategy_name: str, space: SearchSpace, completed: int, pending: int
) -> None:
    history = history_of(space, completed, pending)
    first = suggest(make_strategy(strategy_name, space), space, history, 2, seed=5)
    again = suggest(make_strategy(strategy_name, space), space, history, 2, seed=5)
    assert first == again


@pytest.mark.parametrize(("completed", "pending"), [(0, 4), (8, 4)])
def test_never_proposes_a_pending_configuration(
    make_strategy: Make, strategy_name: str, space: SearchSpace, completed: int, pending: int
) -> None:
    history = history_of(space, completed, pending)
    proposals = suggest(make_strategy(strategy_name, space), space, history, 4, seed=2)
    pending_keys = {space.key(p) for p in history.pending}
    assert not pending_keys & {space.key(p) for p in proposals}


def test_never_repeats_the_configurations_it_just_proposed(
    make_strategy: Make, strategy_name: str, space: SearchSpace
) -> None:
    """Four workers asking in turn, each seeing the earlier ones as pending."""
    history = history_of(space, 8)
    strategy = make_strategy(strategy_name, space)
    pending: list[Params] = []
    for _ in range(4):
        snapshot = History(completed=history.completed, pending=tuple(pending))
        pending += strategy.prepare(space, snapshot, 9).propose(pending, 1)
    assert len({space.key(p) for p in pending}) == 4


@pytest.mark.parametrize("completed", [0, 8])
def test_count_greater_than_one_gives_distinct_configurations(
    make_strategy: Make, strategy_name: str, space: SearchSpace, completed: int
) -> None:
    history = history_of(space, completed)
    proposals = suggest(make_strategy(strategy_name, space), space, history, 5, seed=4)
    assert len(proposals) == 5
    assert len({space.key(p) for p in proposals}) == 5


def test_pending_that_arrived_after_the_snapshot_is_respected(
    make_strategy: Make, strategy_name: str, space: SearchSpace
) -> None:
    """prepare() on a snapshot, propose() under the lock with a longer pending list."""
    history = history_of(space, 8)
    proposer = make_strategy(strategy_name, space).prepare(space, history, 1)
    first = proposer.propose([], 1)
    second = proposer.propose(first, 1)
    assert space.key(first[0]) != space.key(second[0])

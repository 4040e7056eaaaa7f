"""Large histories share one base model per checkpoint (gp/shared.py)."""

from __future__ import annotations

import threading
from typing import Any

import numpy as np
import pytest

from hpo_service.domain import History, Observation, Params, SearchSpace
from hpo_service.optimisation import build_strategy
from hpo_service.optimisation.encoding import to_features
from hpo_service.optimisation.gp import config, shared, surrogate
from hpo_service.optimisation.gp.memo import join_background
from hpo_service.optimisation.gp.posterior import Posterior
from hpo_service.optimisation.gp.proposer import GPProposer
from hpo_service.optimisation.gp.strategy import GPStrategy
from hpo_service.optimisation.gp.surrogate import cube_of
from hpo_service.wire import space_from_json

SPACE = space_from_json(
    [
        {"name": "x", "type": "float", "low": -2.0, "high": 2.0},
        {"name": "n", "type": "int", "low": 1, "high": 4},
        {"name": "c", "type": "categorical", "choices": ["a", "b", "c"]},
    ]
)


def _observations(count: int) -> list[Observation]:
    rng = np.random.default_rng(0)
    out = []
    for _ in range(count):
        params: Params = {
            "x": float(rng.uniform(-2, 2)),
            "n": int(rng.integers(1, 5)),
            "c": str(rng.choice(["a", "b", "c"])),
        }
        value = -((params["x"] - 0.7) ** 2) - 0.1 * params["n"] + (params["c"] == "b")
        out.append(Observation(params, float(value + rng.normal(0, 0.01))))
    return out


def _strategy(space: SearchSpace = SPACE) -> GPStrategy:
    strategy = build_strategy(config.normalise({"name": "gp"}, space))
    assert isinstance(strategy, GPStrategy)
    return strategy


def _forget() -> None:
    """What another process would start from: no cached fits or base models."""
    surrogate.clear_cache()
    shared.clear_cache()


@pytest.mark.parametrize(
    ("n", "cut"), [(256, 256), (271, 256), (272, 272), (511, 496), (512, 512), (1000, 992)]
)
def test_a_new_base_model_every_sixteenth_of_the_history(n: int, cut: int) -> None:
    assert shared.checkpoint(n) == cut


def test_conditioning_the_base_on_later_observations_is_the_exact_posterior() -> None:
    observations = _observations(300)
    base_history = History(completed=tuple(observations[:288]))
    strategy = _strategy()
    fallback = build_strategy({"name": "random"}).prepare(SPACE, base_history, 1)
    base = strategy._single(SPACE, base_history, 1, fallback)  # type: ignore[arg-type]
    grown = shared.extended(base, SPACE, observations[288:], "base")
    s = base.surrogate
    x = to_features(SPACE, cube_of(SPACE, [o.params for o in observations]))
    y = s.standardised(np.array([o.value for o in observations]))  # warped like the base's
    direct = Posterior.fit(x, y, s.posterior.hyper)
    probe = x[::7] + 0.01
    for got, want in zip(
        grown.surrogate.posterior.predict(probe), direct.predict(probe), strict=True
    ):
        np.testing.assert_allclose(got, want, rtol=1e-6, atol=1e-8)
    assert grown.surrogate.best == pytest.approx(float(y.max()))


def test_same_history_and_seed_give_the_same_proposal_in_a_fresh_process() -> None:
    observations = _observations(300)
    pending = tuple(o.params for o in _observations(303)[300:])
    history = History(completed=tuple(observations), pending=pending)
    _forget()
    first = _strategy().prepare(SPACE, history, 5).propose(pending, 2)
    again = _strategy().prepare(SPACE, history, 5).propose(pending, 2)  # from the cache
    _forget()
    fresh = _strategy().prepare(SPACE, history, 5).propose(pending, 2)
    assert first == again == fresh
    keys = {SPACE.key(o.params) for o in observations} | {SPACE.key(p) for p in pending}
    assert all(SPACE.key(p) not in keys for p in first)  # never a tried or pending one
    assert len({SPACE.key(p) for p in first}) == 2


def test_concurrent_requests_between_checkpoints_build_one_base_model(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _forget()
    builds: list[int] = []
    original = GPStrategy._single

    def counting(self: GPStrategy, space: SearchSpace, history: History, *args: Any) -> Any:
        builds.append(len(history.completed))
        return original(self, space, history, *args)

    monkeypatch.setattr(GPStrategy, "_single", counting)
    observations = _observations(304)
    results: list[Params] = []
    threads = [
        threading.Thread(
            target=lambda n=n: results.extend(
                _strategy().prepare(SPACE, History(completed=tuple(observations[:n])), 1)
                .propose([], 1)
            )
        )
        for n in range(288, 304)
    ]  # fmt: skip
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    join_background(120)
    # 16 requests with 288..303 observations: each uses the base of the checkpoint before
    # (272), built once, and one background build of the newest (288)
    assert sorted(builds) == [272, 288]
    assert len(results) == 16
    builds.clear()
    _strategy().prepare(SPACE, History(completed=tuple(observations)), 1).propose([], 1)
    join_background(120)
    assert builds == [304]  # the request at 304 used 288, built already; 304 in the background


def test_small_histories_do_not_use_the_shared_model(monkeypatch: pytest.MonkeyPatch) -> None:
    called: list[int] = []
    monkeypatch.setattr(shared, "base_model", lambda *a: called.append(1))
    history = History(completed=tuple(_observations(shared.SHARE_FROM - 1)))
    assert len(_strategy().prepare(SPACE, history, 1).propose([], 1)) == 1
    assert called == []


def test_a_thousand_pending_trials_are_never_proposed_and_only_the_recent_are_believed() -> None:
    observations = _observations(1300)
    history = History(
        completed=tuple(observations[:300]), pending=tuple(o.params for o in observations[300:])
    )
    proposer = _strategy().prepare(SPACE, history, 2)
    assert isinstance(proposer, GPProposer)
    surface = proposer._surface(list(history.pending))
    assert len(surface.posterior.x) == 300 + 64  # the 64 most recent pending points
    keys = {SPACE.key(o.params) for o in observations}
    proposals = proposer.propose(history.pending, 3)
    assert len({SPACE.key(p) for p in proposals} - keys) == 3


def test_a_busy_study_searches_only_under_the_lock_from_the_shortlist(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from hpo_service.optimisation.gp import strategy as gp_strategy
    from hpo_service.optimisation.gp.proposer import _first_free

    observations = _observations(320)
    pending = tuple(o.params for o in _observations(330)[320:])  # 10 pending: busy
    history = History(completed=tuple(observations), pending=pending)
    newer = [*pending, {"x": 0.5, "n": 2, "c": "a"}]
    keys = {SPACE.key(p) for p in pending}
    _forget()
    busy = _strategy().prepare(SPACE, history, 4)
    assert isinstance(busy, GPProposer)
    assert busy.prepared is None, "no search outside the lock"
    assert busy.belief is not None and set(busy.belief.keys) == keys, "believed outside"
    monkeypatch.setattr(gp_strategy, "BUSY_PENDING", 10**6)
    _forget()
    eager = _strategy().prepare(SPACE, history, 4)
    assert isinstance(eager, GPProposer) and eager.prepared is not None
    # a newer pending trial: both search the shortlist under the lock, with the same belief
    assert busy.propose(newer, 2) == eager.propose(newer, 2)
    # the snapshot's own pending set: the busy study still makes that shortlist search
    narrow = eager.candidates(list(pending), under_lock=True)
    expected = _first_free(SPACE, narrow, set(eager.taken) | keys)
    assert busy.propose(list(pending), 1) == [expected]


def test_a_shared_base_keeps_the_solves_of_pending_trials_and_answers_alike_cold_or_warm() -> None:
    from hpo_service.optimisation.gp import posterior as gp_posterior

    observations = _observations(340)
    pending = [o.params for o in observations[320:330]]
    history = History(completed=tuple(observations[:320]), pending=tuple(pending))
    newer = [*pending, *(o.params for o in observations[330:340])]
    _forget()
    warm = _strategy().prepare(SPACE, history, 4)
    assert isinstance(warm, GPProposer) and warm.remember
    kept = gp_posterior._SOLVED.get(warm.surrogate.posterior.factor.chol, lambda _: {})
    assert len(kept) >= len(pending), "the believed pending trials' solves are kept"
    warm.propose(newer[:14], 1)  # another request on the same base first
    answer = warm.propose(newer, 2)
    assert len(kept) >= len(newer) + len(warm.shortlist), "and the shortlist's, under the lock"
    _forget()  # another process: nothing kept
    cold = _strategy().prepare(SPACE, history, 4)
    assert isinstance(cold, GPProposer)
    assert cold.propose(newer, 2) == answer


def test_believing_the_newer_pending_trials_only_gives_the_posterior_of_believing_all() -> None:
    observations = _observations(120)
    space_history = History(completed=tuple(observations))
    _forget()
    proposer = _strategy().prepare(SPACE, space_history, 2)
    assert isinstance(proposer, GPProposer)
    snapshot = [o.params for o in _observations(130)[120:]]
    newer = [*snapshot, {"x": -1.5, "n": 4, "c": "c"}, {"x": 1.9, "n": 1, "c": "a"}]
    held = proposer.believing(snapshot)
    assert held.belief is not None and len(held.belief.keys) == len(snapshot)
    step = held._surface(newer)  # conditions on the two newer ones only
    whole = proposer._surface(newer)  # believes all twelve at once
    probe = to_features(SPACE, cube_of(SPACE, [o.params for o in _observations(160)[130:]]))
    for a, b in zip(step.posterior.predict(probe), whole.posterior.predict(probe), strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-9)
    assert step.acquisition.best == pytest.approx(whole.acquisition.best)
    finished = newer[1:]  # the first one finished: not an extension of the held belief
    fresh = proposer._surface(finished).posterior.predict(probe)
    for a, b in zip(held._surface(finished).posterior.predict(probe), fresh, strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-9)


def test_a_base_keeps_its_conditioned_chunks_while_another_base_closes_many(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # a busy study has two bases: the one its requests use and the newest, conditioned in
    # the background; closing chunks of one must not evict the other's conditioning
    _forget()
    observations = _observations(40 + 2 * (shared.CACHE_SIZE + 1) * shared.CHUNK + 1)
    history = History(completed=tuple(observations[:40]))
    fallback = build_strategy({"name": "random"}).prepare(SPACE, history, 1)
    base = _strategy()._single(SPACE, history, 1, fallback)  # type: ignore[arg-type]
    chunks = (shared.CACHE_SIZE + 1) * shared.CHUNK
    used, newest = observations[40 : 40 + chunks], observations[40 + chunks : 40 + 2 * chunks]
    shared.extended(base, SPACE, used, "used")
    shared.extended(base, SPACE, newest, "newest")
    calls: list[int] = []
    original = Posterior.condition

    def counting(self: Posterior, x: Any, y: Any) -> Posterior:
        calls.append(len(x))
        return original(self, x, y)

    monkeypatch.setattr(Posterior, "condition", counting)
    after = shared.extended(base, SPACE, [*used, observations[-1]], "used")
    assert calls == [1]  # the one observation past the whole chunks, no chunk again
    monkeypatch.undo()
    _forget()  # the same chain from scratch gives the same posterior, bit for bit
    fresh = shared.extended(base, SPACE, [*used, observations[-1]], "used")
    x = to_features(SPACE, cube_of(SPACE, [o.params for o in observations[:5]]))
    for got, want in zip(
        after.surrogate.posterior.predict(x), fresh.surrogate.posterior.predict(x), strict=True
    ):
        np.testing.assert_array_equal(got, want)

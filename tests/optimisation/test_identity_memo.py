"""Values remembered per live object (ByIdentity), and the history digests built on them."""

from __future__ import annotations

import gc
import hashlib
from dataclasses import replace
from datetime import UTC, datetime

from hpo_service.domain import Direction, Observation, Study, StudyState, Trial, TrialState
from hpo_service.optimisation.gp.memo import ByIdentity, content_digests
from hpo_service.service.suggestions import history_of
from hpo_service.wire import space_from_json


def test_a_value_is_computed_once_per_live_object_and_never_for_another() -> None:
    memo: ByIdentity[Observation, int] = ByIdentity()
    calls: list[Observation] = []

    def compute(o: Observation) -> int:
        calls.append(o)
        return len(calls)

    first = Observation({"x": 1.0}, 0.5)
    twin = Observation({"x": 1.0}, 0.5)  # equal, but another object
    assert memo.get(first, compute) == memo.get(first, compute) == 1
    assert memo.get(twin, compute) == 2
    assert calls == [first, twin] and calls[0] is first and calls[1] is twin
    del first, twin, calls[:]
    gc.collect()
    assert len(memo) == 0  # an entry goes with its object
    for _ in range(200):  # ids of dead objects are reused: never their values
        fresh = Observation({"x": 2.0}, 0.1)
        assert memo.get(fresh, lambda o: -1) == -1
        del fresh


def test_digests_are_those_of_one_update_per_observation() -> None:
    observations = [Observation({"b": i % 3, "a": i / 7}, float(i) / 3) for i in range(40)]
    running = hashlib.sha256(b"key")
    expected = []
    for chunk in (observations[:16], observations[16:]):
        for o in chunk:
            running.update(repr((sorted(o.params.items()), o.value)).encode())
        expected.append(running.copy().hexdigest())
    assert content_digests(observations, "key", (16, 40)) == expected
    assert content_digests(observations, "key", (16, 40)) == expected  # remembered encodings
    changed = [*observations[:39], Observation({"b": 0, "a": 0.0}, 9.0)]
    prefix, whole = content_digests(changed, "key", (16, 40))
    assert prefix == expected[0] and whole != expected[1]


def test_an_unchanged_trial_is_observed_by_the_same_object_on_every_snapshot() -> None:
    space = space_from_json([{"name": "x", "type": "float", "low": 0, "high": 1}])
    now = datetime(2026, 1, 1, tzinfo=UTC)
    study = Study(name="s", space=space, direction=Direction.MINIMIZE, metric="loss",
                  strategy={"name": "gp"}, max_trials=None, lease_seconds=60, seed=0,
                  max_retries=3, state=StudyState.RUNNING, created_at=now)  # fmt: skip
    trials = [
        Trial(
            study="s",
            number=n,
            params={"x": n / 10},
            state=TrialState.COMPLETE,
            value=float(n),
            finished_at=now,
        )
        for n in range(5)
    ]
    first = history_of(study, trials).completed
    again = history_of(study, trials).completed
    assert [o.value for o in first] == [-0.0, -1.0, -2.0, -3.0, -4.0]  # maximised
    assert all(a is b for a, b in zip(first, again, strict=True))
    flipped = replace(study, direction=Direction.MAXIMIZE, objectives=())
    assert [o.value for o in history_of(flipped, trials).completed] == [0.0, 1.0, 2.0, 3.0, 4.0]

"""Big GP fits are shared between service processes through a store (gp/fit_store.py)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import numpy as np
import pytest

from hpo_service.domain import History
from hpo_service.optimisation.gp import fit_store, model, shared, surrogate
from hpo_service.optimisation.gp.memo import SingleFlight, join_background
from hpo_service.optimisation.gp.model import Hyperparameters
from tests.optimisation.test_gp_shared import SPACE, _forget, _observations, _strategy


class DictStore:
    """An in-memory store that counts what it is asked (one dict stands for the database)."""

    def __init__(self) -> None:
        self.rows: dict[str, bytes] = {}
        self.loads = 0
        self.claims: list[str] = []

    def load(self, digest: str) -> bytes | None:
        self.loads += 1
        return self.rows.get(digest)

    def save(self, digest: str, payload: bytes) -> None:
        self.rows.setdefault(digest, payload)

    @contextmanager
    def claim(self, digest: str) -> Iterator[None]:
        self.claims.append(digest)
        yield


class BrokenStore(DictStore):
    """Every operation fails, as a database that went away would."""

    def load(self, digest: str) -> bytes | None:
        raise ConnectionError("store down")

    def save(self, digest: str, payload: bytes) -> None:
        raise ConnectionError("store down")

    @contextmanager
    def claim(self, digest: str) -> Iterator[None]:
        raise ConnectionError("store down")
        yield


@pytest.fixture
def fits(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Counts hyperparameter fits (each entry: the number of points fitted)."""
    calls: list[int] = []
    real = model.fit_hyperparameters

    def counting(x: Any, y: Any, warm: Any = None) -> Hyperparameters:
        calls.append(len(x))
        return real(x, y, warm)

    monkeypatch.setattr(surrogate, "fit_hyperparameters", counting)
    return calls


def _equal(a: Hyperparameters, b: Hyperparameters) -> bool:
    same = a.lengthscales.tobytes() == b.lengthscales.tobytes()
    return same and (a.variance, a.noise, a.objective) == (b.variance, b.noise, b.objective)


def test_a_fit_round_trips_bit_for_bit() -> None:
    rng = np.random.default_rng(3)
    hyper = Hyperparameters(rng.lognormal(size=7), 1.2345678901234567, 3.3e-7, -12.5)
    assert _equal(fit_store.decode(fit_store.encode(hyper)), hyper)
    with pytest.raises(ValueError, match="at least 4"):
        fit_store.decode(b"\0" * 16)


def _prepare(observations: int, store: Any) -> Any:
    history = History(completed=tuple(_observations(observations)))
    with fit_store.using(store):
        proposer = _strategy().prepare(SPACE, history, 5)
        join_background(60)
    return proposer


def test_a_second_process_loads_the_first_ones_fits_and_proposes_the_same(
    fits: list[int],
) -> None:
    store = DictStore()
    _forget()
    first = _prepare(300, store)
    assert fits and store.rows, "the first process fits and publishes its big fits"
    fits.clear()
    _forget()  # another process: nothing in memory, the same store
    second = _prepare(300, store)
    assert fits == [], "the base models' fits were loaded (so their warm starts are not needed)"
    _forget()
    third = _prepare(300, None)  # no store at all: fits everything itself
    assert first.propose([], 1) == second.propose([], 1) == third.propose([], 1)


def test_small_fits_never_touch_the_store(fits: list[int]) -> None:
    store = DictStore()
    _forget()
    _prepare(60, store)
    assert fits and store.loads == 0 and not store.rows and not store.claims


def test_a_broken_store_only_costs_the_fit(fits: list[int], caplog: Any) -> None:
    _forget()
    broken = _prepare(300, BrokenStore())
    _forget()
    plain = _prepare(300, None)
    assert broken.propose([], 1) == plain.propose([], 1)
    assert "fitting it here" in caplog.text


def test_one_process_fits_a_digest_while_another_waits_for_it() -> None:
    store = DictStore()
    lock = threading.Lock()
    store.claim = lambda digest: lock  # type: ignore[method-assign]
    computed: list[int] = []
    result = Hyperparameters(np.ones(3), 1.0, 1e-6, 0.0)

    def fit() -> Hyperparameters:
        computed.append(1)
        threading.Event().wait(0.2)  # long enough for the other thread to queue on the claim
        return result

    def one() -> None:
        with fit_store.using(store):
            assert _equal(fit_store.shared("d", 500, fit), result)

    threads = [threading.Thread(target=one) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert computed == [1], "the second thread loaded the first one's fit"


def test_the_stored_key_names_the_fit_version(monkeypatch: pytest.MonkeyPatch) -> None:
    store = DictStore()
    result = Hyperparameters(np.ones(3), 1.0, 1e-6, 0.0)
    with fit_store.using(store):
        fit_store.shared("d", 500, lambda: result)
        monkeypatch.setattr(fit_store, "FIT_VERSION", "gp-fit-next")
        computed: list[int] = []
        fit_store.shared("d", 500, lambda: computed.append(1) or result)
    assert computed == [1] and len(store.rows) == 2


def test_background_builds_use_the_store_of_the_request_that_started_them() -> None:
    store = DictStore()
    seen: list[Any] = []
    flight: SingleFlight[int] = SingleFlight(2)
    with fit_store.using(store):
        flight.prefetch("k", lambda: seen.append(fit_store._current.get()) or 1)
    join_background(10)
    assert seen == [store]
    assert shared.SHARE_FROM <= 300  # the tests above exercise the shared-base path


def test_a_claim_that_cannot_be_released_still_answers_with_the_fit() -> None:
    class LostConnection(DictStore):
        @contextmanager
        def claim(self, digest: str) -> Iterator[None]:
            yield
            raise ConnectionError("terminated while fitting")

    store = LostConnection()
    result = Hyperparameters(np.ones(3), 1.0, 1e-6, 0.0)
    with fit_store.using(store):
        assert _equal(fit_store.shared("d", 500, lambda: result), result)
    assert len(store.rows) == 1

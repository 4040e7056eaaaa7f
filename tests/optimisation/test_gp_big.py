"""Big histories: the blocked Cholesky factor, chunked conditioning and local posteriors."""

from __future__ import annotations

import threading

import numpy as np
import pytest

from hpo_service.domain import History, Observation, Params, SearchSpace
from hpo_service.optimisation import build_strategy
from hpo_service.optimisation.gp import config, posterior, shared, surrogate
from hpo_service.optimisation.gp.acquisition import Acquisition
from hpo_service.optimisation.gp.memo import BACKGROUND, join_background
from hpo_service.optimisation.gp.model import Hyperparameters
from hpo_service.optimisation.gp.optimise import Surface, maximise
from hpo_service.optimisation.gp.posterior import LOCAL_FROM, LOCAL_SIZE, Posterior
from hpo_service.optimisation.gp.strategy import GPStrategy
from hpo_service.wire import space_from_json

RNG = np.random.default_rng(3)
HYPER = Hyperparameters(np.array([0.15, 0.25, 0.4]), 1.0, 1e-4)


def _f(x: np.ndarray) -> np.ndarray:
    return np.asarray(np.sin(7 * x[:, 0]) * np.cos(4 * x[:, 1]) + x[:, 2] ** 2)


def test_conditioning_twice_with_a_noise_free_belief_equals_one_fit_with_row_noises() -> None:
    x = RNG.random((40, 3))
    y = _f(x)
    grown = Posterior.fit(x[:25], y[:25], HYPER).condition(x[25:33], y[25:33])
    believed = grown.condition(x[33:], y[33:], noisy=False)  # a second block on the tail
    noise = np.concatenate([np.full(33, HYPER.noise), np.zeros(7)])
    direct = Posterior.fit(x, y, HYPER, noise)
    z = RNG.random((9, 3))
    for got, want in zip(believed.predict(z), direct.predict(z), strict=True):
        np.testing.assert_allclose(got, want, rtol=1e-7, atol=1e-9)
    np.testing.assert_allclose(believed.alpha, direct.alpha, rtol=1e-6, atol=1e-8)
    # the L-BFGS climb's gradient path (K^-1 k through both blocks) agrees too
    cols = np.arange(3, dtype=np.intp)
    for got, want in zip(
        believed.predict_with_gradient(z, cols), direct.predict_with_gradient(z, cols), strict=True
    ):
        np.testing.assert_allclose(got, want, rtol=1e-6, atol=1e-8)
    assert len(believed.factor.chol) == 25  # the first factor is shared, not copied
    assert believed.factor.chol is grown.factor.chol


def test_a_big_posterior_is_conditioned_and_predicts_without_a_backward_pass(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # the weights K^-1 y cost a pass over the whole factor (memory-bound: 800 MB at 10,000
    # observations); a big posterior's conditioning and prediction do not need them
    monkeypatch.setattr(posterior, "LOCAL_FROM", 30)
    x = RNG.random((48, 3))
    y = _f(x)
    base = Posterior.fit(x[:36], y[:36], HYPER)
    assert base.big
    noise = np.concatenate([np.full(44, HYPER.noise), np.zeros(4)])
    direct = Posterior.fit(x, y, HYPER, noise)
    passes: list[int] = []
    backward = posterior.Factor.backward

    def counting(self: posterior.Factor, v: np.ndarray) -> np.ndarray:
        passes.append(len(v))
        return backward(self, v)

    monkeypatch.setattr(posterior.Factor, "backward", counting)
    grown = base.condition(x[36:44], y[36:44]).condition(x[44:], y[44:], noisy=False)
    z = RNG.random((7, 3))
    mean, std = grown.predict(z)
    assert passes == []
    for got, want in zip((mean, std), direct.predict(z), strict=True):
        np.testing.assert_allclose(got, want, rtol=1e-7, atol=1e-9)
    np.testing.assert_allclose(grown.mean(z), mean, rtol=1e-9, atol=1e-12)  # k' alpha
    assert len(passes) == 1  # asked for: computed once, then kept
    grown.mean(z)
    assert len(passes) == 1


def test_the_local_posterior_agrees_with_the_full_one_near_its_point() -> None:
    x = RNG.random((LOCAL_FROM + 400, 3))
    full = Posterior.fit(x, _f(x), HYPER)
    assert full.near(x[:1]) is not full
    assert Posterior.fit(x[:LOCAL_FROM], _f(x[:LOCAL_FROM]), HYPER).near(x[:1]).x.shape == (
        LOCAL_FROM,
        3,
    )  # at the threshold and below: the posterior itself
    worst_mean, worst_std = 0.0, 0.0
    for point in RNG.random((10, 3)):
        local = full.near(point[None, :])
        assert len(local.x) == LOCAL_SIZE
        probe = np.clip(point + 0.02 * RNG.standard_normal((5, 3)), 0, 1)
        (m_full, s_full), (m_local, s_local) = full.predict(probe), local.predict(probe)
        worst_mean = max(worst_mean, float(np.abs(m_full - m_local).max()))
        worst_std = max(worst_std, float(np.abs(s_full - s_local).max()))
    # standardised units: the function spans about 2.5; far observations weigh nothing here
    assert worst_mean < 1e-3
    assert worst_std < 1e-3


def test_the_local_climb_finds_what_the_exact_climb_finds(monkeypatch: pytest.MonkeyPatch) -> None:
    space = space_from_json(
        [{"name": f"x{i}", "type": "float", "low": 0, "high": 1} for i in "abc"]
    )
    x = RNG.random((LOCAL_FROM + 200, 3))
    y = _f(x)
    fitted = Posterior.fit(x, y, HYPER)
    acquisition = Acquisition("ei", float(y.max()), 0.0, 2.0, log=False)
    surface = Surface(space, fitted, acquisition)
    pool = np.vstack([RNG.random((64, 3)), x[np.argsort(-y)[:6]] + 0.01])
    _, local_scores = maximise(surface, pool, 6, 100)
    monkeypatch.setattr(posterior, "LOCAL_FROM", 10**9)  # the exact climb
    _, exact_scores = maximise(surface, pool, 6, 100)
    # both ranked with the exact posterior: the local climb loses at most 1% of the EI
    assert local_scores[0] >= 0.99 * exact_scores[0]
    assert local_scores[0] > np.max(surface.score(pool))  # and it did climb


def _history(count: int) -> list[Observation]:
    rng = np.random.default_rng(0)
    out = []
    for _ in range(count):
        a, b = float(rng.random()), float(rng.random())
        params: Params = {"a": a, "b": b}
        out.append(Observation(params, float(np.sin(5 * a) - b**2)))
    return out


@pytest.fixture
def chunked(monkeypatch: pytest.MonkeyPatch) -> tuple[SearchSpace, GPStrategy, list[int]]:
    """A 2-D space, its default gp strategy, chunks of 4 observations, empty caches, and the
    list of the row counts of every posterior a request conditioned from then on."""
    space = space_from_json([{"name": n, "type": "float", "low": 0, "high": 1} for n in "ab"])
    strategy = build_strategy(config.normalise({"name": "gp"}, space))
    assert isinstance(strategy, GPStrategy)
    monkeypatch.setattr(shared, "CHUNK", 4)
    surrogate.clear_cache()
    shared.clear_cache()
    conditionings: list[int] = []
    original = Posterior.condition

    def counted(self: Posterior, *args: object, **kwargs: object) -> Posterior:
        if threading.current_thread().name != BACKGROUND:  # what requests pay
            conditionings.append(len(self.x))
        return original(self, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(Posterior, "condition", counted)
    return space, strategy, conditionings


def _propose(
    space: SearchSpace, strategy: GPStrategy, observations: list[Observation]
) -> list[Params]:
    history = History(completed=tuple(observations))
    return list(strategy.prepare(space, history, 7).propose([], 1))


def test_chunked_conditioning_gives_the_same_proposal_whatever_the_cache_holds(
    chunked: tuple[SearchSpace, GPStrategy, list[int]],
) -> None:
    space, strategy, conditionings = chunked
    observations = _history(512 + 29)  # the base of 496, then 11 whole chunks of 4 and 1
    assert shared.base_sizes(len(observations)) == (496, 512)
    cold = _propose(space, strategy, observations)
    assert len(conditionings) == 12  # every chunk, then the remainder
    shared.clear_cache()
    for n in (516, 528, 540):  # chunks closed by earlier requests, out of step with this one
        _propose(space, strategy, observations[:n])
    join_background(120)
    conditionings.clear()
    warm = _propose(space, strategy, observations)
    assert conditionings == [496 + 44]  # the cached 11 chunks, then the remainder alone
    assert warm == cold


def test_the_first_request_on_a_new_base_finds_it_built_and_conditioned(
    chunked: tuple[SearchSpace, GPStrategy, list[int]], monkeypatch: pytest.MonkeyPatch
) -> None:
    space, strategy, conditionings = chunked
    observations = _history(544)
    for n in range(512, 544):  # a study between two checkpoints, request by request
        _propose(space, strategy, observations[:n])
        join_background(120)
    builds: list[int] = []
    single = GPStrategy._single

    def counted_build(self: GPStrategy, space: object, history: History, *args: object) -> object:
        builds.append(len(history.completed))
        return single(self, space, history, *args)  # type: ignore[arg-type]

    monkeypatch.setattr(GPStrategy, "_single", counted_build)
    conditionings.clear()
    assert shared.base_sizes(544) == (512, 544)
    _propose(space, strategy, observations)
    assert 512 not in builds  # built in the background while the study was below 544
    # conditioned in the background on 7 of the 8 chunks: this request adds the last one
    assert conditionings and min(conditionings) >= 512 + 28
    join_background(120)


def test_the_background_catches_up_one_chunk_per_request_and_never_at_a_close(
    chunked: tuple[SearchSpace, GPStrategy, list[int]], monkeypatch: pytest.MonkeyPatch
) -> None:
    # conditioning reads the whole factor at memory speed: a request beside a long catch-up
    # waits for it, and checkpoints are multiples of CHUNK, so a request closing a chunk of
    # the newest base also closes one of its own base
    space, strategy, _ = chunked
    observations = _history(544)
    started: list[tuple[int, int]] = []  # (observations of the request, rows conditioned)
    extend = shared._extend_quietly
    current = 0

    def recorded(base: object, space: SearchSpace, extra: list[Observation], name: str) -> None:
        started.append((current, len(extra)))
        extend(base, space, extra, name)  # type: ignore[arg-type]

    monkeypatch.setattr(shared, "_extend_quietly", recorded)
    for current in [512, *range(530, 544)]:  # the base of 512 built, then 18 observations on
        _propose(space, strategy, observations[:current])
        join_background(120)
    # one more chunk per request while the chain lags (4 chunks behind at 530), then one
    # after each close; never at a request closing a chunk (532, 536, 540)
    assert started == [(530, 4), (531, 8), (533, 12), (534, 16), (535, 20), (537, 24), (541, 28)]
    assert len(shared._chunks._done) <= 2  # superseded prefixes are dropped: two chain ends

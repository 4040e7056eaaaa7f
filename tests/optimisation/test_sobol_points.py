"""Random search's Sobol points: the per-thread engine cache gives exactly the points of a
freshly scrambled engine, whatever was drawn before and on whichever thread."""

from __future__ import annotations

import threading

import numpy as np
from scipy.stats import qmc

from hpo_service.optimisation.random_search import sobol_points


def _fresh(dim: int, seed: int, start: int, count: int) -> np.ndarray:
    sampler = qmc.Sobol(d=dim, scramble=True, rng=np.random.default_rng(seed))
    sampler.fast_forward(start)
    return np.asarray(sampler.random(count))


def test_cached_engines_give_the_points_of_fresh_ones() -> None:
    asks = [(3, 7, 5, 2), (3, 8, 40, 1), (3, 7, 1, 3), (6, 7, 1000, 4), (3, 7, 5, 2)]
    for dim, seed, start, count in asks * 2:  # interleaved keys, then all again
        np.testing.assert_array_equal(
            sobol_points(dim, seed, start, count), _fresh(dim, seed, start, count)
        )


def test_points_asked_in_any_order_are_the_points_of_fresh_ones() -> None:
    """A busy study mostly moves forward (the engine is not reset then), sometimes back
    (a process that served an older position, another study with the same seed)."""
    rng = np.random.default_rng(0)
    reference = qmc.Sobol(d=3, scramble=True, rng=np.random.default_rng(9)).random(2048)
    position = 1
    for _ in range(300):
        step = int(rng.integers(-40, 20))  # mostly forward, sometimes back
        position = int(np.clip(position + step, 1, 2000))
        count = int(rng.integers(1, 5))
        got = sobol_points(3, 9, position, count)
        np.testing.assert_array_equal(got, reference[position : position + count])


def test_threads_do_not_share_an_engine() -> None:
    wrong: list[int] = []

    def draw(offset: int) -> None:
        for start in range(1 + offset, 300, 7):
            if not np.array_equal(sobol_points(4, 11, start, 1), _fresh(4, 11, start, 1)):
                wrong.append(start)

    threads = [threading.Thread(target=draw, args=(k,)) for k in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert wrong == []


def test_a_first_design_after_later_points_is_the_fresh_one() -> None:
    """Points from the start (a power-of-two design) after the engine was used elsewhere."""
    sobol_points(3, 5, 17, 2)
    fresh = qmc.Sobol(d=3, scramble=True, rng=np.random.default_rng(5)).random_base2(3)[:6]
    np.testing.assert_array_equal(sobol_points(3, 5, 0, 6), fresh)

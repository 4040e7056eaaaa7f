"""Large histories: one base model per checkpoint, shared by every request of every process.

With ``SHARE_FROM`` or more observations a suggestion no longer refits the GP and searches
the whole candidate pool for itself. The *base model* - fitted hyperparameters, posterior,
the pool search and its shortlist of good, diverse candidates - is built on the first c
observations, c = n rounded down to a multiple of 2^(floor(log2 n) - 4): a new base every 16
observations from 256 to 511, every 32 up to 1023, and so on. It is memoised by content with
single flight, so all the requests that arrive while a base is built wait for that one
build, and later requests until the next checkpoint reuse it. Because a base is a function
of the history prefix, the options and the seed only, every service process builds the same
one: the fitted state is shared across processes by determinism, without shared memory.

Each request then conditions the base posterior *exactly* on the observations after c with
the base's hyperparameters (block Cholesky: the posterior a fit with those hyperparameters
gives; only the hyperparameters lag by fewer than n/16 observations) and climbs the
acquisition from the base shortlist (GPProposer.with_quick_prepared). The cost per
suggestion, shared vs refit, is measured in docs/benchmarks/scale_out.md (bench/scale_gpcost.py).
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Callable, Sequence
from dataclasses import replace

import numpy as np

from hpo_service.domain import Observation, SearchSpace
from hpo_service.optimisation.encoding import to_features
from hpo_service.optimisation.gp.memo import SingleFlight
from hpo_service.optimisation.gp.proposer import GPProposer
from hpo_service.optimisation.gp.surrogate import cube_of

SHARE_FROM = 256
CACHE_SIZE = 16
_bases: SingleFlight[GPProposer] = SingleFlight(CACHE_SIZE)


def checkpoint(n: int) -> int:
    """How many of ``n`` observations the shared base model is built on."""
    step = 1 << max(int(math.log2(n)) - 4, 0)
    return n - n % step


def base_model(
    observations: Sequence[Observation], key: str, build: Callable[[], GPProposer]
) -> GPProposer:
    """The base model of these observations (``build`` runs once per content, single flight)."""
    digest = hashlib.sha256(
        repr([(sorted(o.params.items()), o.value) for o in observations]).encode() + key.encode()
    ).hexdigest()
    return _bases.get(digest, build)


def extended(base: GPProposer, space: SearchSpace, extra: Sequence[Observation]) -> GPProposer:
    """The base model conditioned exactly on ``extra`` observations (raw maximised values)."""
    if not extra:
        return base
    surrogate = base.surrogate
    x = to_features(space, cube_of(space, [o.params for o in extra])) * surrogate.scale
    y = (np.array([o.value for o in extra], dtype=np.float64) - surrogate.y_mean) / surrogate.y_sd
    best = max(surrogate.best, float(y.max()))
    posterior = surrogate.posterior.condition(x, y)
    return replace(
        base,
        surrogate=replace(surrogate, posterior=posterior, best=best),
        acquisition=replace(base.acquisition, best=best),
    )


def clear_cache() -> None:
    """Forget every base model (tests use it to show results do not depend on the cache)."""
    _bases.clear()

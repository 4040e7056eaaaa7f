"""Large histories: one base model per checkpoint, shared by every request of every process.

With ``SHARE_FROM`` or more observations a suggestion no longer refits the GP and searches
the whole candidate pool for itself. The *base model* - fitted hyperparameters, posterior,
the pool search and its shortlist of good, diverse candidates - is built on the first c
observations, c a *checkpoint*: n rounded down to a multiple of 2^(floor(log2 n) - 4), so a new
checkpoint every 16 observations from 256 to 511, every 32 up to 1023, and so on. A request
uses the base of the checkpoint *before* the newest one (``base_sizes``), and starts building
the newest one in a background thread: by the time the history reaches the next checkpoint,
that base is ready, so no request waits for a build (17.5 s at 10,000 observations) unless
requests outrun it, and then they wait for that one build. Once built, the newest base is
also conditioned in the background on the chunks of observations (below) closed since its
checkpoint, one chunk per request (``prefetch``), so the first request that uses it finds
those conditionings done too. Bases are
memoised by content with single flight. Because the base a request uses is a function of
the history prefix, the configuration and the seed only, every service process builds the same
one; its costly part, the hyperparameter fit, is fitted by one process and loaded by the
others through the service's fit store (gp/fit_store.py). The service keeps the history in
the order trials finished, so a checkpoint's prefix stays put while stragglers finish.

Each request then conditions the base posterior *exactly* on the observations after c with
the base's hyperparameters (block Cholesky: the posterior a fit with those hyperparameters
gives; only the hyperparameters lag, by fewer than n/8 observations) and climbs the
acquisition from the base shortlist (GPProposer.with_quick_prepared). The cost per
suggestion, shared vs refit, is measured in docs/benchmarks/scale_out.md (bench/scale_gpcost.py).

Conditioning on p observations costs O(c^2 p) (posterior.Factor), up to seconds at 10,000
observations with p in the hundreds, so it is done in chunks of ``CHUNK`` observations, each
chunk-aligned prefix memoised like the base: a request pays for the chunk it is in (fewer than
``CHUNK`` observations) and, once per ``CHUNK`` requests, for closing a chunk. The chain of
conditionings is the same whatever the cache holds (base, then every whole chunk in order,
then the remainder), so the answer is still a function of the history alone.
"""

from __future__ import annotations

import logging
import math
import threading
from collections.abc import Callable, Sequence
from dataclasses import replace
from functools import partial

import numpy as np

from hpo_service.domain import Observation, SearchSpace
from hpo_service.optimisation.encoding import to_features
from hpo_service.optimisation.gp.memo import BACKGROUND, SingleFlight, content_digests
from hpo_service.optimisation.gp.posterior import Posterior
from hpo_service.optimisation.gp.proposer import GPProposer
from hpo_service.optimisation.gp.surrogate import cube_of

logger = logging.getLogger(__name__)
SHARE_FROM = 256
CACHE_SIZE = 16
CHUNK = 32
_bases: SingleFlight[GPProposer] = SingleFlight(CACHE_SIZE)
# only the longest cached chain of a base is read (each holds a c x p block: 40 MB at 10,000
# observations and p = 512), so a few entries per busy study suffice
_chunks: SingleFlight[Posterior] = SingleFlight(CACHE_SIZE // 2)
_extending: set[str] = set()  # bases being conditioned in the background
_extending_lock = threading.Lock()


def step(n: int) -> int:
    """Observations between two checkpoints around ``n``: 2^(floor(log2 n) - 4)."""
    return 1 << max(int(math.log2(n)) - 4, 0)


def checkpoint(n: int) -> int:
    """The newest checkpoint of ``n`` observations: n rounded down to a multiple of step(n)."""
    return n - n % step(n)


def base_sizes(n: int) -> tuple[int, int]:
    """(the checkpoint whose base a request with ``n`` observations uses, the newest one)."""
    newest = checkpoint(n)
    return checkpoint(newest - 1), newest


def base_model(name: str, build: Callable[[], GPProposer]) -> GPProposer:
    """The base model whose content digest is ``name`` (``build`` runs once per content,
    single flight)."""
    return _bases.get(name, build)


def prefetch(
    name: str, build: Callable[[], GPProposer], space: SearchSpace, extra: Sequence[Observation]
) -> None:
    """Prepare the base model ``name`` (of the newest checkpoint) in the background: build it
    unless it is built or being built; once built, condition it on the whole chunks of
    ``extra``, one chunk per request while it lags, so that the first request using it (at
    the next checkpoint, a step of observations later) conditions on at most one chunk itself.

    One chunk at a time, and never at a request that closes a chunk: conditioning reads the
    whole factor at memory speed, and two such reads at once take as long as both one after
    the other on a 2-core machine (measured: docs/benchmarks/gp_big_rest.md), so a request
    running beside a long catch-up (9 chunks after a build at 10,000 observations) waited for
    it; and checkpoints are multiples of CHUNK, so a request that closes a chunk of the
    newest base also closes one of the base it uses."""
    base = _bases.peek(name)
    if base is None:
        _bases.prefetch(name, build)
    elif len(extra) > CHUNK and len(extra) % CHUNK:
        _catch_up(base, space, extra, name)


def _catch_up(
    base: GPProposer, space: SearchSpace, extra: Sequence[Observation], name: str
) -> None:
    """Condition ``base`` on the next whole chunk of ``extra`` it lacks, in a background
    thread, unless it lacks none or such a thread is running for it."""
    whole = len(extra) // CHUNK
    names = [name, *content_digests(extra, name, range(CHUNK, whole * CHUNK + 1, CHUNK))]
    done, _ = _longest_cached(names, whole)
    with _extending_lock:
        if done == whole or name in _extending:
            return
        _extending.add(name)
    chunk = extra[: (done + 1) * CHUNK]
    threading.Thread(
        target=_extend_quietly, args=(base, space, chunk, name), name=BACKGROUND
    ).start()


def _extend_quietly(
    base: GPProposer, space: SearchSpace, extra: Sequence[Observation], name: str
) -> None:
    try:
        extended(base, space, extra, name)
    except Exception:  # a request that needs these chunks conditions on them and sees why
        logger.exception("background conditioning failed")
    finally:
        with _extending_lock:
            _extending.discard(name)


def extended(
    base: GPProposer, space: SearchSpace, extra: Sequence[Observation], key: str
) -> GPProposer:
    """The base model conditioned exactly on ``extra`` observations (raw maximised values);
    ``key`` names the base (its digest) for the memo of whole chunks."""
    if not extra:
        return base
    surrogate = base.surrogate
    x = to_features(space, cube_of(space, [o.params for o in extra]))
    y = surrogate.standardised(np.array([o.value for o in extra], dtype=np.float64))
    best = max(surrogate.best, float(y.max()))
    # names[k]: the base conditioned on the first k whole chunks
    ends = range(CHUNK, len(extra) - len(extra) % CHUNK + 1, CHUNK)
    names = [key, *content_digests(extra, key, ends)]
    whole = (len(names) - 1) * CHUNK
    posterior = surrogate.posterior
    if whole:
        chain = partial(_chunk_chain, surrogate.posterior, names, x[:whole], y[:whole])
        posterior = _chunks.get(names[-1], chain)
        _chunks.discard(names[1:-1])  # shorter prefixes of this chain: superseded
    posterior = posterior.condition(x[whole:], y[whole:])
    return replace(
        base,
        surrogate=replace(surrogate, posterior=posterior, best=best),
        acquisition=replace(base.acquisition, best=best),
    )


def _chunk_chain(
    posterior: Posterior, names: Sequence[str], x: np.ndarray, y: np.ndarray
) -> Posterior:
    """``posterior`` conditioned chunk by chunk on ``x, y`` (len(names) - 1 whole chunks),
    from the longest prefix of the chain in the cache. Only the chain's end is cached: the
    intermediate prefixes would fill the cache and evict the chain of the study's other base
    (the newest, conditioned in the background), so each base would recondition every
    chunk once per chunk closed (measured: 5 s at 10,000 observations instead of 0.8)."""
    done, cached = _longest_cached(names, len(names) - 2)  # the end is what was asked for
    posterior = posterior if cached is None else cached
    for k in range(done + 1, len(names)):
        rows = slice((k - 1) * CHUNK, k * CHUNK)
        posterior = posterior.condition(x[rows], y[rows])
    return posterior


def _longest_cached(names: Sequence[str], longest: int) -> tuple[int, Posterior | None]:
    """(k, posterior) for the longest prefix of a chain in the cache, at most ``longest``
    chunks (``names[k]``: the base conditioned on its first k chunks); (0, None) if none."""
    for k in range(longest, 0, -1):
        cached = _chunks.peek(names[k])
        if cached is not None:
            return k, cached
    return 0, None


def clear_cache() -> None:
    """Forget every base model (tests use it to show results do not depend on the cache)."""
    _bases.clear()
    _chunks.clear()

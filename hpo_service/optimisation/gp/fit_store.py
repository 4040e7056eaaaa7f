"""Fitted hyperparameters shared by every process of a service through a store.

Fitting the kernel hyperparameters (maximising the log marginal likelihood from several
starts, ``model.fit_hyperparameters``) is the costly part of building a GP: 75-200 ms at
500 observations, against a few ms for the Cholesky factor it then needs. A fit is a pure
function of its inputs, so its result can be named by their content digest
(``surrogate._hyperparameters``). Each service process memoises fits in memory; without
more, a service of four processes fits every checkpoint of a big study four times. A *store*
(the service's database, ``persistence.fits``) lets the first process that fits a digest
publish the result, and the others load it instead of fitting.

The answer never depends on the store: a stored value is the exact result (float64 bytes)
of the same computation from the same inputs, so a proposal is the same whether its fit was
computed, memoised or loaded, and a store that fails is only a miss (logged). Only fits of
``STORE_FROM`` or more observations go through the store: below that the service refits on
every suggestion anyway (each fit is of a new history, never asked for twice), and a fit costs
less than the round trip.

The store of the current request is a context variable (``using``), set by the service
around its calls into the engine; background builds started by a request run in a copy of
its context (``memo.SingleFlight.prefetch``), so they use the same store.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, ExitStack, contextmanager
from contextvars import ContextVar
from typing import Any, Protocol

import numpy as np

from hpo_service.optimisation.gp.model import Hyperparameters

logger = logging.getLogger(__name__)
STORE_FROM = 256
# part of every stored key: bump it when a fit's result changes for the same inputs (the
# likelihood, its priors or the optimiser), so a service never loads another version's fits
FIT_VERSION = "gp-fit-1"


class FitStore(Protocol):
    """Where fitted hyperparameters are published, by content digest (bytes in, bytes out)."""

    def load(self, digest: str) -> bytes | None:
        """The payload stored under ``digest``, or None."""

    def save(self, digest: str, payload: bytes) -> None:
        """Store ``payload`` under ``digest`` (a digest already stored is left as it is)."""

    def claim(self, digest: str) -> AbstractContextManager[None]:
        """Hold ``digest`` while fitting it: another process claiming it waits until this
        one is done (then finds the stored fit instead of fitting it too)."""


_current: ContextVar[FitStore | None] = ContextVar("hpo_fit_store", default=None)


@contextmanager
def using(store: FitStore | None) -> Iterator[None]:
    """Fits made inside this block (and in background builds it starts) use ``store``."""
    token = _current.set(store)
    try:
        yield
    finally:
        _current.reset(token)


def encode(hyper: Hyperparameters) -> bytes:
    """Exact bytes of a fit: the length scales, then variance, noise and objective (float64)."""
    tail = [hyper.variance, hyper.noise, hyper.objective]
    return np.concatenate([hyper.lengthscales, tail]).astype("<f8").tobytes()


def decode(payload: bytes) -> Hyperparameters:
    """The fit ``encode`` wrote (bit for bit)."""
    values = np.frombuffer(payload, dtype="<f8").astype(np.float64)
    if len(values) < 4:
        raise ValueError(f"a stored fit has {len(values)} numbers; at least 4 expected")
    return Hyperparameters(
        lengthscales=values[:-3].copy(),
        variance=float(values[-3]),
        noise=float(values[-2]),
        objective=float(values[-1]),
    )


def shared(digest: str, observations: int, fit: Callable[[], Hyperparameters]) -> Hyperparameters:
    """The fit named ``digest``: loaded from the current store, else computed by ``fit`` and
    published there (fits of fewer than ``STORE_FROM`` observations are only computed)."""
    store = _current.get()
    if store is None or observations < STORE_FROM:
        return fit()
    key = hashlib.sha256(f"{FIT_VERSION}:{digest}".encode()).hexdigest()
    found = _load(store, key)
    if found is not None:
        return found
    # the processes that reach a new checkpoint together: one fits, the others wait for its
    # result (a fit's warm start is a shorter prefix, so claims nest one way only)
    with ExitStack() as held:
        try:
            held.enter_context(_Tolerant(store.claim(key)))
        except Exception:  # the claim failed or timed out: fit without it
            logger.warning("could not claim a GP fit; fitting it here", exc_info=True)
        found = _load(store, key)
        return found if found is not None else _fit_and_save(store, key, fit)


class _Tolerant(AbstractContextManager[None]):
    """A claim that cannot be released (its connection was terminated, say) is only logged:
    a claim only makes other processes wait, so losing it loses nothing."""

    def __init__(self, claim: AbstractContextManager[None]) -> None:
        self.claim = claim

    def __enter__(self) -> None:
        self.claim.__enter__()

    def __exit__(self, *exc: Any) -> None:
        try:
            self.claim.__exit__(*exc)
        except Exception:
            logger.warning("could not release a GP fit claim", exc_info=True)


def _load(store: FitStore, key: str) -> Hyperparameters | None:
    try:
        payload = store.load(key)
        return None if payload is None else decode(payload)
    except Exception:  # an unreadable store or row is a miss: the fit gives the same answer
        logger.warning("could not load a stored GP fit; fitting it here", exc_info=True)
        return None


def _fit_and_save(store: FitStore, key: str, fit: Callable[[], Hyperparameters]) -> Hyperparameters:
    hyper = fit()
    try:
        store.save(key, encode(hyper))
    except Exception:
        logger.warning("could not store a GP fit; other processes will fit it too", exc_info=True)
    return hyper

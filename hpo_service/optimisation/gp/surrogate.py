"""From a history snapshot to a fitted posterior: features, warped targets, MAP-II fit.

Inputs are unit-cube features (encoding.to_features: numeric coordinates in [0, 1], log
scale for log parameters, categoricals one-hot). For proposals the outputs are standardised
and warped by Yeo-Johnson (``OutputWarp``; Yeo & Johnson 2000, as in HEBO, Cowen-Rivers et al.
2022), psi(v; lambda) = ((v + 1)^lambda - 1) / lambda for v >= 0 and
-((1 - v)^(2 - lambda) - 1) / (2 - lambda) for v < 0 (logs at lambda = 0, 2), lambda the ML
exponent, so a long tail of bad values does not set the length scales. Outputs are then
standardised, y' = (y - mean) / sd (sd = 1 for a constant objective), so the
hyperparameter bounds and priors mean the same on every problem. Above
``MAX_FIT_POINTS`` observations the hyperparameters are fitted on a deterministic subset
(the best quarter plus a seeded random sample) and the posterior then conditions on all
points: the O(n^3) fit loop stays bounded while the model still sees every observation.

Warm start without hidden state: the fit on n observations starts from the fit on the
first c of them, c the largest power of two with 8 <= c < n (that fit is warm-started the
same way, down to a cold start). So fitted hyperparameters are a function of the history,
the space, the warp and the seed only: the same history and seed give the same proposal
whichever process answers and whatever that process fitted before (another study with the
same space and seed included). Fits are memoised by content in a small in-process cache,
and a fit already running for the same content is waited for, not repeated (single flight):
concurrent suggestions on one snapshot pay for one fit.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy.stats import yeojohnson, yeojohnson_normmax

from hpo_service.domain import Observation, Params, SearchSpace
from hpo_service.optimisation.encoding import encode, to_features
from hpo_service.optimisation.gp import fit_store
from hpo_service.optimisation.gp.kernel import Array
from hpo_service.optimisation.gp.memo import SingleFlight
from hpo_service.optimisation.gp.model import Hyperparameters, fit_hyperparameters
from hpo_service.optimisation.gp.posterior import Posterior

CACHE_SIZE = 128
WARP_EXPONENT = 5.0  # bound on the fitted Yeo-Johnson exponent, for numerical safety only
FIRST_CHECKPOINT = 8
MAX_FIT_POINTS = 256  # above this, hyperparameters are fitted on a subset (``_fit_subset``)
_fits: SingleFlight[Hyperparameters] = SingleFlight(CACHE_SIZE)


@dataclass(frozen=True)
class OutputWarp:
    """Yeo-Johnson warping of standardised values, (v - mean) / sd, with the exponent that
    makes them most normal (maximum likelihood; Yeo & Johnson 2000, as in HEBO, Cowen-Rivers
    et al. 2022). Monotone, so it keeps the order of the values and the incumbent."""

    mean: float
    sd: float
    exponent: float

    @classmethod
    def fit(cls, values: Array) -> OutputWarp | None:
        """The warp for these values, or None when they are (nearly) constant."""
        mean, sd = _standardisation(values)
        z = (values - mean) / sd
        if len(values) < 3 or float(z.std()) < 1e-9:
            return None
        exponent = float(np.clip(yeojohnson_normmax(z), -WARP_EXPONENT, WARP_EXPONENT))
        return cls(mean, sd, exponent)

    def __call__(self, values: Array) -> Array:
        """The warped values."""
        warped = yeojohnson((values - self.mean) / self.sd, self.exponent)
        return np.asarray(warped, dtype=np.float64)


@dataclass(frozen=True)
class Surrogate:
    """A posterior on the completed observations and how to map values back."""

    posterior: Posterior
    y_mean: float
    y_sd: float
    best: float  # best standardised observation (the incumbent y*)
    warp: OutputWarp | None = None  # applied to raw values before y_mean and y_sd

    def standardised(self, values: Array) -> Array:
        """Raw (maximised) values in the units of the GP's targets."""
        warped = values if self.warp is None else self.warp(values)
        return (warped - self.y_mean) / self.y_sd


def cube_of(space: SearchSpace, params: Sequence[Params]) -> Array:
    """Unit-cube points (rows) of configurations."""
    rows = [encode(space, p) for p in params]
    return np.array(rows, dtype=np.float64).reshape(-1, len(space.params))


def build_surrogate(
    space: SearchSpace,
    observations: Sequence[Observation],
    seed: int,
    warp: bool = False,
) -> Surrogate:
    """Fit the GP to finite observations; raises NumericalError if that fails.

    ``warp``: model Yeo-Johnson-warped values (``OutputWarp``), for proposals only: a long
    tail of bad values (Goldstein-Price spans 3 to 10^6) otherwise sets the length scales
    and the noise. Posterior means for users (recommend, slice) stay unwarped.
    """
    x = to_features(space, cube_of(space, [o.params for o in observations]))
    raw = np.array([o.value for o in observations], dtype=np.float64)
    y, y_mean, y_sd, output_warp = _targets(raw, warp)
    hyper = _hyperparameters(space, seed, x, raw, y, warp)
    posterior = Posterior.fit(x, y, hyper)
    return Surrogate(posterior, y_mean, y_sd, float(y.max()), output_warp)


def _targets(raw: Array, warp: bool) -> tuple[Array, float, float, OutputWarp | None]:
    """The GP's targets for raw values (warped when asked, then standardised), with the
    standardisation and the warp that produce them."""
    output_warp = OutputWarp.fit(raw) if warp else None
    values = raw if output_warp is None else output_warp(raw)
    y_mean, y_sd = _standardisation(values)
    return (values - y_mean) / y_sd, y_mean, y_sd, output_warp


def _standardisation(values: Array) -> tuple[float, float]:
    sd = float(values.std())
    return float(values.mean()), sd if sd > 1e-12 * max(1.0, abs(float(values.mean()))) else 1.0


def _checkpoint(n: int) -> int | None:
    """The history prefix a fit on ``n`` observations is warm-started from (None: cold)."""
    if n <= FIRST_CHECKPOINT:
        return None
    return int(2 ** math.floor(math.log2(n - 1)))


def _hyperparameters(
    space: SearchSpace,
    seed: int,
    x: Array,
    raw: Array,
    y: Array,
    warp: bool,
) -> Hyperparameters:
    """The fitted hyperparameters of (x, y), y the targets of the raw values (``_targets``),
    warm-started from a history prefix.

    Every prefix is warped with its own warp, so a prefix's fit is a function of the prefix
    alone and stays cached while the history grows (one fit per suggestion, not one per
    prefix, the warp being refitted on every new observation). Big fits are shared with the
    service's other processes through the current ``fit_store``.
    """
    prefix = _checkpoint(len(x))
    digest = hashlib.sha256(x.tobytes() + y.tobytes() + repr((space, seed, warp)).encode())

    def fit() -> Hyperparameters:
        warm = None
        if prefix is not None:
            head = raw[:prefix]
            targets = _targets(head, warp)[0]
            warm = _hyperparameters(space, seed, x[:prefix], head, targets, warp)
        xs, ys = _fit_subset(x, y, seed, MAX_FIT_POINTS)
        return fit_hyperparameters(xs, ys, warm)

    name = digest.hexdigest()
    return _fits.get(name, lambda: fit_store.shared(name, len(x), fit))


def _fit_subset(x: Array, y: Array, seed: int, limit: int) -> tuple[Array, Array]:
    if len(x) <= limit:
        return x, y
    order = np.argsort(-y, kind="stable")
    top = order[: limit // 4]
    rng = np.random.default_rng([seed, len(x)])
    rest = rng.choice(order[limit // 4 :], size=limit - len(top), replace=False)
    chosen = np.sort(np.concatenate([top, rest]))
    return x[chosen], y[chosen]


def clear_cache() -> None:
    """Forget every cached fit (tests use it to show results do not depend on the cache)."""
    _fits.clear()


def finite(observations: Sequence[Observation]) -> list[Observation]:
    """The observations with a finite value (a NaN or infinity never reaches the GP)."""
    return [o for o in observations if math.isfinite(o.value)]

"""Several objectives and constraints: EHVI x probability of feasibility over independent GPs.

Each objective and each constraint slack (``g <= 0`` when satisfied) gets its own GP,
fitted by the single-output code (``surrogate.build_surrogate``) on standardised values.

- Objectives: expected hypervolume improvement over the feasible Pareto front (Emmerich,
  Giannakoglou and Naujoks 2006). With independent Gaussian predictions Y_i ~ N(mu_i,
  sigma_i^2) and the non-dominated region split into disjoint boxes [l, u]
  (``pareto.boxes``), the improvement a point adds inside one box is the product over
  objectives of (min(Y_i, u_i) - l_i)^+, and those factors are independent, so
  EHVI = sum_boxes prod_i psi_i with psi_i = E[(min(Y_i, u_i) - l_i)^+]
       = sigma_i (h(z_l) - h(z_u)),  z_a = (mu_i - a) / sigma_i,  h(z) = phi(z) + z Phi(z)
  (exact; the box form of Yang, Emmerich, Deutz and Baeck 2019). With one objective this is
  expected improvement over the best feasible value. It is optimised as log EHVI (a
  log-sum-exp over boxes of sums of log psi, each stable through ``acquisition._log_h``),
  which never underflows far from the front (as log EI does; Ament et al. 2023).
- Constraints: the probability of feasibility prod_j P(g_j <= 0) from each slack's GP
  multiplies the acquisition (Gardner et al. 2014; Gelbart, Snoek and Adams 2014), added
  in log space. Until a feasible point has been seen the acquisition is the probability of
  feasibility alone.
- Pending trials: each GP believes its own posterior mean at every pending point (kriging
  believer, as the single-objective path), and pending points predicted feasible join the
  front, so new proposals spread away from pending ones.

Gradients with respect to the inputs are analytic: d psi / d mu = Phi(z_l) - Phi(z_u),
d psi / d sigma = phi(z_l) - phi(z_u), chained through each posterior's input gradient.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

import numpy as np
from numpy.typing import NDArray
from scipy.special import log_ndtr, logsumexp

from hpo_service.domain import SearchSpace
from hpo_service.optimisation.encoding import active_mask, numeric_feature_columns, to_features
from hpo_service.optimisation.gp.acquisition import INV_SQRT_2PI, _log_h
from hpo_service.optimisation.gp.kernel import Array
from hpo_service.optimisation.gp.posterior import Posterior
from hpo_service.optimisation.gp.surrogate import Surrogate


@dataclass(frozen=True)
class OutcomeModels:
    """One fitted GP per objective (maximised) and per constraint slack."""

    objectives: tuple[Surrogate, ...]
    slacks: tuple[Surrogate, ...]

    def standardised(self, values: Array) -> Array:
        """Objective values (n x m, maximised) in each objective GP's standardised units."""
        means = np.array([s.y_mean for s in self.objectives])
        sds = np.array([s.y_sd for s in self.objectives])
        return np.asarray((np.asarray(values, dtype=np.float64) - means) / sds, dtype=np.float64)

    def thresholds(self) -> Array:
        """Where each slack is zero, in its GP's standardised units."""
        return np.array([-s.y_mean / s.y_sd for s in self.slacks], dtype=np.float64)


@dataclass(frozen=True)
class OutcomeSurface:
    """log EHVI + log probability of feasibility, as a function of unit-cube points."""

    space: SearchSpace
    objectives: tuple[Posterior, ...]
    slacks: tuple[Posterior, ...]
    thresholds: Array
    lower: Array | None  # boxes in standardised objective units; None: feasibility only
    upper: Array | None

    def score(self, cube: Array, remember: bool = False) -> Array:
        """The acquisition (in log space) of snapped unit-cube points."""
        features = to_features(self.space, cube)
        outputs = (*self.objectives, *self.slacks)
        predictions = [p.predict(features, remember) for p in outputs]
        value, _, _ = self._terms([m for m, _ in predictions], [s for _, s in predictions])
        return value

    def near(self, point: Array) -> OutcomeSurface:
        """Each output's posterior of the neighbourhood of ``point`` on a big history
        (``Posterior.near``), else this surface."""
        if not any(p.big for p in (*self.objectives, *self.slacks)):
            return self
        features = to_features(self.space, point[None, :])
        return replace(
            self,
            objectives=tuple(p.near(features) for p in self.objectives),
            slacks=tuple(p.near(features) for p in self.slacks),
        )

    def score_with_gradient(self, cube: Array, cols: NDArray[np.intp]) -> tuple[Array, Array]:
        """Values and gradients in the float coordinates ``cols`` of the cube."""
        mapping = numeric_feature_columns(self.space)
        feature_cols = np.array([mapping[int(c)] for c in cols], dtype=np.intp)
        active = active_mask(self.space, cube)
        features = to_features(self.space, cube, active)
        outs = [
            p.predict_with_gradient(features, feature_cols)
            for p in (*self.objectives, *self.slacks)
        ]
        value, d_mean, d_std = self._terms([o[0] for o in outs], [o[1] for o in outs])
        grad = np.zeros((len(cube), len(cols)))
        for k, out in enumerate(outs):
            grad += d_mean[k][:, None] * out[2] + d_std[k][:, None] * out[3]
        return value, grad * active[:, cols]

    def _terms(
        self, means: Sequence[Array], stds: Sequence[Array]
    ) -> tuple[Array, list[Array], list[Array]]:
        """The log acquisition and its derivatives by each output's mean and std."""
        m = len(self.objectives)
        n = len(means[0])
        value = np.zeros(n)
        d_mean = [np.zeros(n) for _ in means]
        d_std = [np.zeros(n) for _ in means]
        if self.lower is not None and self.upper is not None:
            value, dm, ds = log_ehvi(means[:m], stds[:m], self.lower, self.upper)
            d_mean[:m], d_std[:m] = dm, ds
        for j, threshold in enumerate(self.thresholds):
            k = m + j
            z = (threshold - means[k]) / stds[k]
            log_p = log_ndtr(z)
            ratio = np.exp(-0.5 * z * z - log_p) * INV_SQRT_2PI  # phi(z) / Phi(z)
            value = value + log_p
            d_mean[k] = -ratio / stds[k]
            d_std[k] = -ratio * z / stds[k]
        return value, d_mean, d_std


def log_ehvi(
    means: Sequence[Array], stds: Sequence[Array], lower: Array, upper: Array
) -> tuple[Array, list[Array], list[Array]]:
    """log EHVI at n points (one mean and std array per objective) over the boxes, and
    its derivatives by each objective's mean and std (see the module docstring)."""
    n, boxes_count = len(means[0]), len(lower)
    total = np.zeros((n, boxes_count))
    parts = []
    for i, (mean, std) in enumerate(zip(means, stds, strict=True)):
        log_psi, dlog_mu, dlog_sigma = _log_psi(mean, std, lower[:, i], upper[:, i])
        total += log_psi
        parts.append((dlog_mu, dlog_sigma))
    value = logsumexp(total, axis=1)
    weights = np.exp(total - value[:, None])  # each box's share of EHVI
    d_mean = [(weights * dm).sum(axis=1) for dm, _ in parts]
    d_std = [(weights * ds).sum(axis=1) for _, ds in parts]
    return value, d_mean, d_std


def _log_psi(mean: Array, std: Array, low: Array, high: Array) -> tuple[Array, Array, Array]:
    """log E[(min(Y, high) - low)^+] for Y ~ N(mean, std^2), n x boxes, and its
    derivatives by mean and std."""
    mu, sigma = mean[:, None], std[:, None]
    z_low = (mu - low[None, :]) / sigma
    lh_low, cr_low, pr_low = _log_h(z_low)
    finite = np.isfinite(high)
    z_high = np.where(finite[None, :], (mu - np.where(finite, high, 0.0)[None, :]) / sigma, -np.inf)
    safe_high = np.where(np.isfinite(z_high), z_high, -1e3)
    lh_high, cr_high, pr_high = _log_h(safe_high)
    # ratio h(z_high) / h(z_low) in [0, 1): zero for an unbounded box
    ratio = np.where(np.isfinite(z_high), np.exp(np.minimum(lh_high - lh_low, 0.0)), 0.0)
    ratio = np.minimum(ratio, 1.0 - 1e-12)
    log_psi = np.log(sigma) + lh_low + np.log1p(-ratio)
    dlog_mu = (cr_low - cr_high * ratio) / (sigma * (1.0 - ratio))
    dlog_sigma = (pr_low - pr_high * ratio) / (sigma * (1.0 - ratio))
    return log_psi, dlog_mu, dlog_sigma

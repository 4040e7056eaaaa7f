"""Acquisition functions of a Gaussian posterior N(mu, sigma^2), with their gradients.

With the incumbent y* (best standardised observation) and z = (mu - y* - xi) / sigma:

- EI  = sigma * (phi(z) + z Phi(z))  (Jones et al. 1998); optimised as log EI, computed
  stably for very negative z (Ament et al. 2023, "Unexpected improvements to EI").
- PI  = Phi(z)  (Kushner 1964); optimised as log PI = log_ndtr(z).
- UCB = mu + kappa * sigma  (Srinivas et al. 2010).

Each function returns (value, d value / d mu, d value / d sigma) so that the optimiser can
chain them with the posterior's input gradients. ``closed_form`` gives the plain values,
as bayes_opt's acquisition classes define them (a test checks they agree).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy.special import erfcx, log_ndtr, ndtr

from hpo_service.optimisation.gp.kernel import Array

INV_SQRT_2PI = 1.0 / math.sqrt(2.0 * math.pi)
LOG_INV_SQRT_2PI = math.log(INV_SQRT_2PI)
SQRT_HALF = math.sqrt(0.5)
TAIL = -100.0


@dataclass(frozen=True)
class Acquisition:
    """One acquisition function with its parameters and the incumbent y*."""

    name: str
    best: float
    xi: float = 0.0
    kappa: float = 2.0
    log: bool = True

    def log_space(self) -> bool:
        """Whether ``evaluate`` returns the logarithm of the acquisition (EI and PI)."""
        return self.log and self.name in ("ei", "pi")

    def evaluate(self, mean: Array, std: Array) -> tuple[Array, Array, Array]:
        """The optimised objective (log EI, log PI or UCB) and its partial derivatives."""
        if self.name == "ucb":
            return mean + self.kappa * std, np.ones_like(mean), np.full_like(std, self.kappa)
        z = (mean - self.best - self.xi) / std
        if not self.log:
            return self._plain(mean, std, z)
        if self.name == "pi":
            value = log_ndtr(z)
            ratio = np.exp(-0.5 * z * z - value) * INV_SQRT_2PI  # phi(z) / Phi(z)
            return value, ratio / std, -ratio * z / std
        log_h, cdf_ratio, pdf_ratio = _log_h(z)
        # d EI / d mu = Phi(z), d EI / d sigma = phi(z); divide by EI = sigma h(z) for logs.
        return np.log(std) + log_h, cdf_ratio / std, pdf_ratio / std

    def _plain(self, mean: Array, std: Array, z: Array) -> tuple[Array, Array, Array]:
        pdf = np.exp(-0.5 * z * z) * INV_SQRT_2PI
        if self.name == "pi":
            return np.asarray(ndtr(z)), pdf / std, -pdf * z / std
        return self.closed_form(mean, std), np.asarray(ndtr(z)), pdf

    def closed_form(self, mean: Array, std: Array) -> Array:
        """The acquisition itself (not its log), straight from the textbook formula."""
        if self.name == "ucb":
            return mean + self.kappa * std
        a = mean - self.best - self.xi
        z = a / std
        if self.name == "pi":
            return np.asarray(ndtr(z), dtype=np.float64)
        return np.asarray(a * ndtr(z) + std * np.exp(-0.5 * z * z) * INV_SQRT_2PI)


def _log_h(z: Array) -> tuple[Array, Array, Array]:
    """log h(z) with h(z) = phi(z) + z Phi(z), and the ratios Phi/h and phi/h.

    With Phi(z) = erfcx(-z / sqrt 2) exp(-z^2 / 2) / 2 (scaled complementary error function),
    h(z) = exp(-z^2 / 2) * (1 / sqrt(2 pi) + z erfcx(-z / sqrt 2) / 2), which has no
    underflow; below TAIL the asymptotic h(z) ~ phi(z) / z^2 (1 - 3 / z^2) is used.
    """
    z = np.asarray(z, dtype=np.float64)
    # z >= 0: no cancellation, evaluate h directly; z < 0: the erfcx form (never overflows).
    negative = np.clip(z, TAIL, 0.0)
    scaled_cdf = 0.5 * erfcx(-negative * SQRT_HALF)
    bracket = np.maximum(INV_SQRT_2PI + negative * scaled_cdf, 1e-300)
    log_h = -0.5 * negative * negative + np.log(bracket)
    cdf_ratio = scaled_cdf / bracket
    pdf_ratio = INV_SQRT_2PI / bracket
    upper = z >= 0.0
    if np.any(upper):
        zu = z[upper]
        pdf, cdf = np.exp(-0.5 * zu * zu) * INV_SQRT_2PI, ndtr(zu)
        h = pdf + zu * cdf
        log_h[upper] = np.log(h)
        cdf_ratio[upper] = cdf / h
        pdf_ratio[upper] = pdf / h
    tail = z < TAIL
    if np.any(tail):
        zt = z[tail]
        log_h[tail] = (
            -0.5 * zt * zt + LOG_INV_SQRT_2PI - 2.0 * np.log(-zt) + np.log1p(-3.0 / (zt * zt))
        )
        cdf_ratio[tail] = -zt
        pdf_ratio[tail] = zt * zt
    return log_h, cdf_ratio, pdf_ratio

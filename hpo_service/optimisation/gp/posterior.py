"""GP posterior with fixed hyperparameters: prediction, input gradients, cheap conditioning.

Prediction follows GPML Algorithm 2.1 (mean k*' alpha, variance k** - v'v with v = L \\ k*).
Conditioning on extra points (pending trials with "kriging believer" fantasies) extends the
Cholesky factor blockwise, L' = [[L, 0], [B', C]] with B = L \\ K(X, P) and
C = chol(K(P, P) + sn2 I - B'B), so it costs O(n^2 p) instead of a refit.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from scipy.linalg import cho_solve, solve_triangular

from hpo_service.optimisation.gp.kernel import Array, matern52, radial_factor, scaled_distance
from hpo_service.optimisation.gp.model import (
    JITTER,
    Hyperparameters,
    NumericalError,
    cholesky_factor,
)

MIN_VARIANCE = 1e-12


@dataclass(frozen=True)
class Posterior:
    """A GP conditioned on training features ``x`` and standardised targets ``y``."""

    x: Array
    y: Array
    hyper: Hyperparameters
    chol_: Array
    alpha_: Array

    @classmethod
    def fit(cls, x: Array, y: Array, hyper: Hyperparameters) -> Posterior:
        """Factorise K + sn2 I for the given hyperparameters."""
        k = matern52(scaled_distance(x, x, hyper.lengthscales), hyper.variance)
        chol = cholesky_factor(k + (hyper.noise + JITTER) * np.eye(len(x)))
        return cls(x, y, hyper, chol, _alpha(chol, y))

    def mean(self, z: Array) -> Array:
        """Posterior mean alone at rows of z: k' alpha, O(n) a row (no triangular solve)."""
        k = matern52(scaled_distance(z, self.x, self.hyper.lengthscales), self.hyper.variance)
        return np.asarray(k @ self.alpha_, dtype=np.float64)

    def predict(self, z: Array) -> tuple[Array, Array]:
        """Posterior mean and standard deviation of the latent function at rows of z."""
        k = matern52(scaled_distance(z, self.x, self.hyper.lengthscales), self.hyper.variance)
        mean = k @ self.alpha_
        v = solve_triangular(self.chol_, k.T, lower=True, check_finite=False)
        var = np.maximum(self.hyper.variance - (v * v).sum(axis=0), MIN_VARIANCE)
        return mean, np.sqrt(var)

    def predict_with_gradient(
        self, z: Array, columns: NDArray[np.intp]
    ) -> tuple[Array, Array, Array, Array]:
        """Mean, std and their gradients (rows of z x ``columns``) with respect to z.

        dk/dz_j = -G(r) (z_j - x_j) / l_j^2 (see kernel.radial_factor); d mean = dk' alpha;
        d var = -2 dk' K^-1 k; d std = d var / (2 std).
        """
        ls = self.hyper.lengthscales
        r = scaled_distance(z, self.x, ls)
        k = matern52(r, self.hyper.variance)
        g = radial_factor(r, self.hyper.variance)
        mean = k @ self.alpha_
        w = cho_solve((self.chol_, True), k.T, check_finite=False)  # n x m: K^-1 k
        var = np.maximum(self.hyper.variance - (k * w.T).sum(axis=1), MIN_VARIANCE)
        std = np.sqrt(var)
        d_mean = np.empty((len(z), len(columns)))
        d_std = np.empty((len(z), len(columns)))
        for i, j in enumerate(columns):
            dk = -g * (z[:, j, None] - self.x[None, :, j]) / ls[j] ** 2
            d_mean[:, i] = dk @ self.alpha_
            d_std[:, i] = -(dk * w.T).sum(axis=1) / std
        return mean, std, d_mean, d_std

    def condition(self, p: Array, values: Array, noisy: bool = True) -> Posterior:
        """The posterior after also observing ``values`` at rows of ``p`` (block Cholesky).

        ``noisy=False`` takes ``values`` as the latent function itself (a kriging belief in
        the posterior mean): the variance at ``p`` drops to zero instead of to the noise.
        """
        if len(p) == 0:
            return self
        hyper = self.hyper
        cross = matern52(scaled_distance(self.x, p, hyper.lengthscales), hyper.variance)
        own = matern52(scaled_distance(p, p, hyper.lengthscales), hyper.variance)
        b = solve_triangular(self.chol_, cross, lower=True, check_finite=False)
        noise = hyper.noise if noisy else 0.0
        c = cholesky_factor(own + (noise + JITTER) * np.eye(len(p)) - b.T @ b)
        n, m = len(self.x), len(p)
        chol = np.zeros((n + m, n + m))
        chol[:n, :n], chol[n:, :n], chol[n:, n:] = self.chol_, b.T, c
        y = np.concatenate([self.y, values])
        return Posterior(np.vstack([self.x, p]), y, hyper, chol, _alpha(chol, y))


def _alpha(chol: Array, y: Array) -> Array:
    alpha = np.asarray(cho_solve((chol, True), y, check_finite=False), dtype=np.float64)
    if not np.all(np.isfinite(alpha)):
        raise NumericalError("the GP weights are not finite")
    return alpha

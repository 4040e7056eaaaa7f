"""GP posterior with fixed hyperparameters: prediction, input gradients, cheap conditioning.

Prediction follows GPML Algorithm 2.1 (mean k*' alpha, variance k** - v'v with v = L \\ k*).
Conditioning on extra points P (observations after a shared base model's checkpoint, pending
trials with "kriging believer" fantasies) extends the Cholesky factor blockwise,
L' = [[L, 0], [B', C]] with B = L \\ K(X, P) and C = chol(K(P, P) + sn2 I - B'B), so it
costs O(n^2 p) instead of a refit. The factor is kept in those blocks (``Factor``): L is
shared, never copied (200 MB at 5,000 observations), and conditioning again only grows the
tail block C, whose rows are those of every point added since L.

Above ``LOCAL_FROM`` observations, ``near(z)`` gives the posterior of the ``LOCAL_SIZE``
observations nearest to z (in length-scale units) with the same hyperparameters: the
nearest-neighbour local approximate GP of Gramacy & Apley (2015, "Local Gaussian process
approximation for large computer experiments", JCGS 24(2)). Near z it agrees with the full
posterior, because a Matern kernel gives far observations almost no weight there; the
acquisition climb uses it so that each of its steps costs O(LOCAL_SIZE^2) instead of a
solve against the full n x n factor (about 0.1 s at 5,000 observations).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np
from numpy.typing import NDArray
from scipy.linalg import solve_triangular

from hpo_service.optimisation.gp.kernel import Array, matern52, radial_factor, scaled_distance
from hpo_service.optimisation.gp.memo import ByIdentity
from hpo_service.optimisation.gp.model import (
    JITTER,
    Hyperparameters,
    NumericalError,
    cholesky_factor,
)

MIN_VARIANCE = 1e-12
LOCAL_FROM = 2048
LOCAL_SIZE = 512
REMEMBERED = 256  # points whose solve against a factor's leading block is kept (per block)


@dataclass(frozen=True)
class Factor:
    """The lower Cholesky factor [[L, 0], [B', C]] of K + noise over the rows of L, then
    the rows added by conditioning (``cross`` = B', ``tail`` = C, empty without any)."""

    chol: Array
    cross: Array
    tail: Array

    @classmethod
    def of(cls, matrix: Array) -> Factor:
        """The factor of a positive definite matrix, with no added rows."""
        return cls(cholesky_factor(matrix), np.empty((0, len(matrix))), np.empty((0, 0)))

    def forward(self, r: Array, top: Array | None = None) -> Array:
        """L'^-1 r for r with one row per factor row (``top``: L^-1 r[:n], if known)."""
        n = len(self.chol)
        if top is None:
            top = solve_triangular(self.chol, r[:n], lower=True, check_finite=False)
        if not len(self.tail):
            return np.asarray(top, dtype=np.float64)
        rest = r[n:] - self.cross @ top
        bottom = solve_triangular(self.tail, rest, lower=True, check_finite=False)
        return np.concatenate([top, bottom])

    def backward(self, v: Array) -> Array:
        """L'^-T v."""
        n = len(self.chol)
        if not len(self.tail):
            top = solve_triangular(self.chol, v, lower=True, trans="T", check_finite=False)
            return np.asarray(top, dtype=np.float64)
        bottom = solve_triangular(self.tail, v[n:], lower=True, trans="T", check_finite=False)
        rest = v[:n] - self.cross.T @ bottom
        top = solve_triangular(self.chol, rest, lower=True, trans="T", check_finite=False)
        return np.concatenate([top, bottom])

    def extend(self, cross: Array, own: Array, top: Array | None = None) -> tuple[Factor, Array]:
        """The factor with rows added: ``cross`` = K(existing rows, new), ``own`` = K(new,
        new) + noise (``top``: L^-1 cross[:n], if known). Also returns the new rows' block
        of L'^-1 K(rows, new) for callers."""
        n = len(self.chol)
        b = top
        if b is None:
            b = solve_triangular(self.chol, cross[:n], lower=True, check_finite=False)
        e = np.empty((0, len(own)))
        if len(self.tail):  # Schur complement with the rows already added
            e = solve_triangular(
                self.tail, cross[n:] - self.cross @ b, lower=True, check_finite=False
            )
        f = cholesky_factor(own - b.T @ b - e.T @ e)
        p, m = len(self.tail), len(own)
        tail = np.zeros((p + m, p + m))
        tail[:p, :p], tail[p:, :p], tail[p:, p:] = self.tail, e.T, f
        return Factor(self.chol, np.vstack([self.cross, b.T]), tail), np.vstack([b, e])


@dataclass(frozen=True)
class Posterior:
    """A GP conditioned on training features ``x`` and standardised targets ``y``."""

    x: Array
    y: Array
    hyper: Hyperparameters
    factor: Factor
    v_: Array  # L^-1 y
    noise_: Array | None = None  # per-row noise variance; None: hyper.noise on every row

    def __post_init__(self) -> None:
        if not np.all(np.isfinite(self.v_)):
            raise NumericalError("the GP weights are not finite")
        if not self.big:
            _ = self.alpha  # the weights now, so a bad factor shows where it was made

    @cached_property
    def alpha(self) -> Array:
        """The weights K^-1 y = L^-T v: one backward pass over the factor. A big posterior
        computes them only when asked (``mean``, gradients): its ``predict`` takes the mean
        from v instead, which saves that pass after every conditioning, and the factor is
        read at memory speed (800 MB at 10,000 observations)."""
        alpha = self.factor.backward(self.v_)
        if not np.all(np.isfinite(alpha)):
            raise NumericalError("the GP weights are not finite")
        return alpha

    @classmethod
    def fit(
        cls, x: Array, y: Array, hyper: Hyperparameters, noise: Array | None = None
    ) -> Posterior:
        """Factorise K + noise for the given hyperparameters (``noise`` per row, default
        hyper.noise everywhere)."""
        k = matern52(scaled_distance(x, x, hyper.lengthscales), hyper.variance)
        diagonal = np.full(len(x), hyper.noise) if noise is None else noise
        factor = Factor.of(k + np.diag(diagonal + JITTER))
        return cls(x, y, hyper, factor, factor.forward(y), noise)

    def mean(self, z: Array) -> Array:
        """Posterior mean alone at rows of z: k' alpha, O(n) a row (no triangular solve)."""
        k = matern52(scaled_distance(z, self.x, self.hyper.lengthscales), self.hyper.variance)
        return np.asarray(k @ self.alpha, dtype=np.float64)

    def predict(self, z: Array, remember: bool = False) -> tuple[Array, Array]:
        """Posterior mean and standard deviation of the latent function at rows of z.

        On a big posterior the mean is (L^-1 k)' (L^-1 y), from the forward pass the variance
        needs anyway, instead of k' alpha (the same number; see ``alpha``).

        ``remember``: the rows of z are scored again by later posteriors that extend this
        one's leading block L (a shared base model's shortlist and pending trials), so
        their solves against L are kept while L lives (``kept_solve``)."""
        k = matern52(scaled_distance(z, self.x, self.hyper.lengthscales), self.hyper.variance)
        v = self.factor.forward(k.T, self.kept_solve(z, k.T) if remember else None)
        mean = v.T @ self.v_ if self.big else k @ self.alpha
        var = np.maximum(self.hyper.variance - (v * v).sum(axis=0), MIN_VARIANCE)
        return mean, np.sqrt(var)

    def kept_solve(self, z: Array, r: Array) -> Array:
        """L^-1 r[:n] for the leading block L, r = k(x, z): each row of z solved alone and
        kept per L (the ``REMEMBERED`` most recent), so a later posterior extending L pays
        only for the rows conditioned on since, O(n p) a point instead of O(n^2). One
        column at a time, so a column is the same bit for bit whatever else is solved with
        it or was kept before (a batched solve's last bits depend on the batch)."""
        kept = _SOLVED.get(self.factor.chol, lambda _: {})
        n = len(self.factor.chol)
        columns = []
        for i, row in enumerate(z):
            key = row.tobytes()
            column = kept.get(key)
            if column is None:
                column = solve_triangular(
                    self.factor.chol, r[:n, i], lower=True, check_finite=False
                )
                while len(kept) >= REMEMBERED:
                    kept.pop(next(iter(kept)))
                kept[key] = column
            columns.append(column)
        return np.column_stack(columns) if columns else np.empty((n, 0))

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
        mean = k @ self.alpha
        w = self.factor.backward(self.factor.forward(k.T))  # n x m: K^-1 k
        var = np.maximum(self.hyper.variance - (k * w.T).sum(axis=1), MIN_VARIANCE)
        std = np.sqrt(var)
        d_mean = np.empty((len(z), len(columns)))
        d_std = np.empty((len(z), len(columns)))
        for i, j in enumerate(columns):
            dk = -g * (z[:, j, None] - self.x[None, :, j]) / ls[j] ** 2
            d_mean[:, i] = dk @ self.alpha
            d_std[:, i] = -(dk * w.T).sum(axis=1) / std
        return mean, std, d_mean, d_std

    def condition(
        self, p: Array, values: Array, noisy: bool = True, remember: bool = False
    ) -> Posterior:
        """The posterior after also observing ``values`` at rows of ``p`` (block Cholesky).

        ``noisy=False`` takes ``values`` as the latent function itself (a kriging belief in
        the posterior mean): the variance at ``p`` drops to zero instead of to the noise.
        ``remember``: the solves of ``p`` against the leading block are kept (``kept_solve``).
        """
        if len(p) == 0:
            return self
        hyper = self.hyper
        cross = matern52(scaled_distance(self.x, p, hyper.lengthscales), hyper.variance)
        own = matern52(scaled_distance(p, p, hyper.lengthscales), hyper.variance)
        noise = hyper.noise if noisy else 0.0
        top = self.kept_solve(p, cross) if remember else None
        factor, b = self.factor.extend(cross, own + (noise + JITTER) * np.eye(len(p)), top)
        # forward substitution of the new rows only: the earlier rows of L'^-1 y are unchanged
        tail = factor.tail[-len(p) :, -len(p) :]
        v_new = solve_triangular(tail, values - b.T @ self.v_, lower=True, check_finite=False)
        v = np.concatenate([self.v_, v_new])
        noises = np.concatenate([self.noises(), np.full(len(p), noise)])
        x, y = np.vstack([self.x, p]), np.concatenate([self.y, values])
        return Posterior(x, y, hyper, factor, v, noises)

    def noises(self) -> Array:
        """The noise variance of each training row (zero for a kriging belief)."""
        return self.noise_ if self.noise_ is not None else np.full(len(self.x), self.hyper.noise)

    @property
    def big(self) -> bool:
        """More than ``LOCAL_FROM`` rows: ``near`` answers with a local posterior."""
        return len(self.x) > LOCAL_FROM

    def near(self, z: Array) -> Posterior:
        """This posterior up to ``LOCAL_FROM`` rows; above, the posterior of the
        ``LOCAL_SIZE`` rows nearest to the point z (one row), same hyperparameters."""
        if not self.big:
            return self
        distance = scaled_distance(z, self.x, self.hyper.lengthscales)[0]
        rows = np.sort(np.argpartition(distance, LOCAL_SIZE)[:LOCAL_SIZE])
        return Posterior.fit(self.x[rows], self.y[rows], self.hyper, self.noises()[rows])


# Remembered solves (``Posterior.predict``): by the leading block L they were solved against,
# then by the points' bytes; an entry goes away with its L.
_SOLVED: ByIdentity[Array, dict[bytes, Array]] = ByIdentity()

"""Gaussian-process surrogate: hyperparameter fit (ML-II / MAP) on standardised outputs.

Hyperparameters theta = (log l_1..l_D, log s2, log sn2) of an ARD Matern 5/2 kernel plus a
Gaussian noise term, fitted by maximising the log marginal likelihood (GPML eq. 5.8) plus a
weak log prior (the BoTorch / Optuna choice), with its analytic gradient (GPML eq. 5.9),
by L-BFGS-B within bounds. All linear algebra goes through one Cholesky factor (GPML
Algorithm 2.1). Nothing here touches the warnings module, so fits are thread-safe.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
from scipy.linalg import cho_solve, cholesky
from scipy.optimize import minimize

from hpo_service.optimisation.gp.kernel import Array, matern52, radial_factor, scaled_distance

JITTER = 1e-8
LOG_2PI = math.log(2.0 * math.pi)


class NumericalError(ArithmeticError):
    """The GP could not be fitted or conditioned (not positive definite, not finite)."""


@dataclass(frozen=True)
class ModelOptions:
    """Modelling choices; every field is one of the measured improvements (see docs)."""

    ard: bool = True
    noise: bool = True
    prior: bool = True
    short_lengthscale_prior: bool = True
    noise_prior: bool = True
    fit: bool = True
    warm_start: bool = True
    lengthscale_bounds: tuple[float, float] = (5e-3, 20.0)
    variance_bounds: tuple[float, float] = (1e-2, 1e2)
    noise_bounds: tuple[float, float] = (1e-8, 1.0)
    fit_maxiter: int = 200
    max_fit_points: int = 256


@dataclass(frozen=True)
class Hyperparameters:
    """Fitted kernel hyperparameters (natural units) and the objective they reached."""

    lengthscales: Array
    variance: float
    noise: float
    objective: float = math.inf

    def theta(self) -> Array:
        """The log-parameter vector used by the optimiser."""
        return np.concatenate(
            [np.log(self.lengthscales), [math.log(self.variance)], [math.log(self.noise)]]
        )


@dataclass(frozen=True)
class _Problem:
    x: Array
    y: Array
    options: ModelOptions
    dim: int = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "dim", self.x.shape[1])

    def unpack(self, theta: Array) -> tuple[Array, float, float]:
        ls = (
            np.exp(theta[: self.dim]) if self.options.ard else np.full(self.dim, math.exp(theta[0]))
        )
        return ls, math.exp(theta[-2]), math.exp(theta[-1])


def initial_hyperparameters(dim: int, options: ModelOptions) -> Hyperparameters:
    """Default start: length scale 0.3 * sqrt(D) in the unit cube, unit signal, small noise."""
    low, high = options.lengthscale_bounds
    scale = min(max(0.3 * math.sqrt(dim), low), high)
    noise = 1e-3 if options.noise else options.noise_bounds[0]
    return Hyperparameters(np.full(dim, scale), 1.0, noise)


def neg_log_posterior(theta: Array, problem: _Problem) -> tuple[float, Array]:
    """Negative (log marginal likelihood + log prior) and its gradient in theta."""
    ls, var, noise = problem.unpack(theta)
    x, y = problem.x, problem.y
    n = x.shape[0]
    r = scaled_distance(x, x, ls)
    kernel = matern52(r, var)
    chol = cholesky_factor(kernel + (noise + JITTER) * np.eye(n))
    alpha = cho_solve((chol, True), y)
    # GPML eq. 5.8: log p(y|X) = -y'a/2 - sum log diag L - n/2 log 2pi.
    lml = -0.5 * float(y @ alpha) - float(np.log(np.diag(chol)).sum()) - 0.5 * n * LOG_2PI
    # GPML eq. 5.9: d lml / d theta = tr((a a' - K^-1) dK/dtheta) / 2.
    w = np.outer(alpha, alpha) - cho_solve((chol, True), np.eye(n))
    g = radial_factor(r, var) * w
    xs = x / ls
    grad_ls = np.array(
        [
            0.5 * float((g * (xs[:, j, None] - xs[None, :, j]) ** 2).sum())
            for j in range(problem.dim)
        ]
    )
    if not problem.options.ard:
        grad_ls = np.array([grad_ls.sum()])
    grad = np.concatenate(
        [grad_ls, [0.5 * float((w * kernel).sum())], [0.5 * noise * float(np.trace(w))]]
    )
    prior, prior_grad = _log_prior(ls, var, noise, problem.options)
    return -(lml + prior), -(grad + prior_grad)


def _log_prior(ls: Array, var: float, noise: float, options: ModelOptions) -> tuple[float, Array]:
    # Weak priors as in Optuna's GPSampler: log p(l) = -0.1 (l^2 + 1 / l^2) per length scale
    # (mode at l = 1 in the unit cube), s2 ~ Gamma(2, 1), sn2 ~ Gamma(1.1, 30); gradients are
    # with respect to the logs. The 1 / l^2 term keeps a length scale off its lower bound:
    # without it, a fit on a few points could set a length scale to 5e-3 (for a one-hot
    # category column: categories uncorrelated), where the likelihood is flat in it, and
    # every warm-started fit after it stayed there (measured on a concrete study: at 45
    # points the warm-started fit reached a log posterior 7.4 below a cold fit's).
    size = len(ls) if options.ard else 1
    if not options.prior:
        return 0.0, np.zeros(size + 2)
    scales = ls if options.ard else ls[:1]
    value = -0.1 * float((scales**2).sum()) + (math.log(var) - var)
    grad_ls = -0.2 * scales**2
    if options.short_lengthscale_prior:
        value -= 0.1 * float((1.0 / scales**2).sum())
        grad_ls = grad_ls + 0.2 / scales**2
    noise_grad = 0.0
    if options.noise_prior:
        value += 0.1 * math.log(noise) - 30.0 * noise
        noise_grad = 0.1 - 30.0 * noise
    grad = np.concatenate([grad_ls, [1.0 - var], [noise_grad]])
    return value, grad


def cholesky_factor(matrix: Array) -> Array:
    """Lower Cholesky factor, or NumericalError if the matrix is not positive definite."""
    if not np.all(np.isfinite(matrix)):
        raise NumericalError("the kernel matrix has non-finite entries")
    try:
        return np.asarray(cholesky(matrix, lower=True, check_finite=False), dtype=np.float64)
    except np.linalg.LinAlgError as error:
        raise NumericalError(f"the kernel matrix is not positive definite: {error}") from error


def _bounds(dim: int, options: ModelOptions) -> list[tuple[float, float]]:
    size = dim if options.ard else 1
    ls = (math.log(options.lengthscale_bounds[0]), math.log(options.lengthscale_bounds[1]))
    var = (math.log(options.variance_bounds[0]), math.log(options.variance_bounds[1]))
    low_noise = math.log(options.noise_bounds[0])
    noise = (low_noise, math.log(options.noise_bounds[1]) if options.noise else low_noise)
    return [ls] * size + [var, noise]


def fit_hyperparameters(
    x: Array, y: Array, options: ModelOptions, warm: Hyperparameters | None = None
) -> Hyperparameters:
    """Maximise the (log) posterior of the hyperparameters from the default and warm starts."""
    problem = _Problem(x, y, options)
    starts = [initial_hyperparameters(problem.dim, options)]
    if warm is not None and options.warm_start and len(warm.lengthscales) == problem.dim:
        starts = [warm]  # warm start: one local run from the previous optimum
    bounds = _bounds(problem.dim, options)
    best: Hyperparameters | None = None
    for start in starts:
        theta0 = start.theta() if options.ard else start.theta()[[0, -2, -1]]
        theta0 = np.clip(theta0, [b[0] for b in bounds], [b[1] for b in bounds])
        if not options.fit:
            value, _ = neg_log_posterior(theta0, problem)
            found = _pack(theta0, value, problem)
        else:
            found = _minimise(theta0, bounds, problem)
        if best is None or found.objective < best.objective:
            best = found
    assert best is not None
    return best


def _minimise(
    theta0: Array, bounds: list[tuple[float, float]], problem: _Problem
) -> Hyperparameters:
    result = minimize(
        neg_log_posterior,
        theta0,
        args=(problem,),
        jac=True,
        method="L-BFGS-B",
        bounds=bounds,
        options={"maxiter": problem.options.fit_maxiter},
    )
    if not np.all(np.isfinite(result.x)) or not math.isfinite(float(result.fun)):
        raise NumericalError(f"the hyperparameter fit diverged: {result.message}")
    return _pack(np.asarray(result.x, dtype=np.float64), float(result.fun), problem)


def _pack(theta: Array, value: float, problem: _Problem) -> Hyperparameters:
    ls, var, noise = problem.unpack(theta)
    return Hyperparameters(ls, var, noise, value)

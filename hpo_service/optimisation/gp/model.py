"""Gaussian-process surrogate: hyperparameter fit (MAP-II) on standardised outputs.

Hyperparameters theta = (log l_1..l_D, log s2, log sn2) of an ARD Matern 5/2 kernel plus a
Gaussian noise term, fitted by maximising the log marginal likelihood (GPML eq. 5.8) plus a
weak log prior (as in Optuna's GPSampler: log p(l) = -0.1 (l^2 + 1/l^2) per length scale,
s2 ~ Gamma(2, 1), sn2 ~ Gamma(1.1, 30)), with its analytic gradient (GPML eq. 5.9), by one
L-BFGS-B run within bounds from a default or warm start. All linear algebra goes through
one Cholesky factor (GPML Algorithm 2.1). Nothing here touches the warnings module, so
fits are thread-safe.
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
# bounds of the fitted hyperparameters (natural units; inputs in the unit cube, outputs
# standardised): length scales, signal variance s2, noise variance sn2 (floor 1e-8)
LENGTHSCALE_BOUNDS = (5e-3, 20.0)
VARIANCE_BOUNDS = (1e-2, 1e2)
NOISE_BOUNDS = (1e-8, 1.0)
FIT_MAXITER = 200


class NumericalError(ArithmeticError):
    """The GP could not be fitted or conditioned (not positive definite, not finite)."""


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
    dim: int = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "dim", self.x.shape[1])

    def unpack(self, theta: Array) -> tuple[Array, float, float]:
        return np.exp(theta[: self.dim]), math.exp(theta[-2]), math.exp(theta[-1])


def initial_hyperparameters(dim: int) -> Hyperparameters:
    """Default start: length scale 0.3 * sqrt(D) in the unit cube, unit signal, small noise."""
    low, high = LENGTHSCALE_BOUNDS
    scale = min(max(0.3 * math.sqrt(dim), low), high)
    return Hyperparameters(np.full(dim, scale), 1.0, 1e-3)


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
    grad = np.concatenate(
        [grad_ls, [0.5 * float((w * kernel).sum())], [0.5 * noise * float(np.trace(w))]]
    )
    prior, prior_grad = log_prior(ls, var, noise)
    return -(lml + prior), -(grad + prior_grad)


def log_prior(ls: Array, var: float, noise: float) -> tuple[float, Array]:
    """The weak log prior of the hyperparameters and its gradient in theta."""
    # Weak priors as in Optuna's GPSampler: log p(l) = -0.1 (l^2 + 1 / l^2) per length scale
    # (mode at l = 1 in the unit cube), s2 ~ Gamma(2, 1), sn2 ~ Gamma(1.1, 30); gradients are
    # with respect to the logs. The 1 / l^2 term keeps a length scale off its lower bound:
    # without it, a fit on a few points could set a length scale to 5e-3 (for a one-hot
    # category column: categories uncorrelated), where the likelihood is flat in it, and
    # every warm-started fit after it stayed there (measured on a concrete study: at 45
    # points the warm-started fit reached a log posterior 7.4 below a cold fit's).
    value = -0.1 * float((ls**2).sum()) + (math.log(var) - var)
    grad_ls = -0.2 * ls**2
    value -= 0.1 * float((1.0 / ls**2).sum())
    grad_ls = grad_ls + 0.2 / ls**2
    value += 0.1 * math.log(noise) - 30.0 * noise
    grad = np.concatenate([grad_ls, [1.0 - var], [0.1 - 30.0 * noise]])
    return value, grad


def cholesky_factor(matrix: Array) -> Array:
    """Lower Cholesky factor, or NumericalError if the matrix is not positive definite."""
    if not np.all(np.isfinite(matrix)):
        raise NumericalError("the kernel matrix has non-finite entries")
    try:
        return np.asarray(cholesky(matrix, lower=True, check_finite=False), dtype=np.float64)
    except np.linalg.LinAlgError as error:
        raise NumericalError(f"the kernel matrix is not positive definite: {error}") from error


def _bounds(dim: int) -> list[tuple[float, float]]:
    ls, var, noise = (
        (math.log(low), math.log(high))
        for low, high in (LENGTHSCALE_BOUNDS, VARIANCE_BOUNDS, NOISE_BOUNDS)
    )
    return [ls] * dim + [var, noise]


def fit_hyperparameters(x: Array, y: Array, warm: Hyperparameters | None = None) -> Hyperparameters:
    """Maximise the (log) posterior of the hyperparameters by one L-BFGS-B run from the
    default start, or from ``warm`` (a previous optimum) when it has the right dimension."""
    problem = _Problem(x, y)
    start = initial_hyperparameters(problem.dim)
    if warm is not None and len(warm.lengthscales) == problem.dim:
        start = warm
    bounds = _bounds(problem.dim)
    theta0 = np.clip(start.theta(), [b[0] for b in bounds], [b[1] for b in bounds])
    return _minimise(theta0, bounds, problem)


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
        options={"maxiter": FIT_MAXITER},
    )
    if not np.all(np.isfinite(result.x)) or not math.isfinite(float(result.fun)):
        raise NumericalError(f"the hyperparameter fit diverged: {result.message}")
    return _pack(np.asarray(result.x, dtype=np.float64), float(result.fun), problem)


def _pack(theta: Array, value: float, problem: _Problem) -> Hyperparameters:
    ls, var, noise = problem.unpack(theta)
    return Hyperparameters(ls, var, noise, value)

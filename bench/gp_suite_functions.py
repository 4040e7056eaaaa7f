"""Test functions of the broad gp suite, all minimised, each on a numpy vector.

Formulas and domains are those of the Virtual Library of Simulation Experiments (S. Surjanovic
and D. Bingham, Simon Fraser University, https://www.sfu.ca/~ssurjano/optimization.html,
"SFU" below) and, for the two BBOB functions, of N. Hansen, S. Finck, R. Ros and A. Auger,
"Real-parameter black-box optimization benchmarking 2009: noiseless functions definitions",
INRIA RR-6829 ("BBOB" below). Branin and Hartmann6 live in gp_problems.py.
"""

from __future__ import annotations

import math

import numpy as np


def ackley(x: np.ndarray) -> float:
    """SFU Ackley (a=20, b=0.2, c=2 pi) on [-32.768, 32.768]^d; minimum 0 at 0."""
    return float(
        -20.0 * math.exp(-0.2 * math.sqrt(float(np.mean(x**2))))
        - math.exp(float(np.mean(np.cos(2 * math.pi * x))))
        + 20.0
        + math.e
    )


def dixon_price(x: np.ndarray) -> float:
    """SFU Dixon-Price on [-10, 10]^d; minimum 0 at x_i = 2^-((2^i - 2) / 2^i), i = 1..d."""
    i = np.arange(2, len(x) + 1)
    return float((x[0] - 1) ** 2 + (i * (2 * x[1:] ** 2 - x[:-1]) ** 2).sum())


def dixon_price_argmin(d: int) -> tuple[float, ...]:
    """The argmin of Dixon-Price in d dimensions (SFU)."""
    return tuple(2.0 ** (-(2.0**i - 2) / 2.0**i) for i in range(1, d + 1))


def goldstein_price(x: np.ndarray) -> float:
    """SFU Goldstein-Price on [-2, 2]^2; minimum 3 at (0, -1)."""
    a, b = x[0], x[1]
    first = 1 + (a + b + 1) ** 2 * (19 - 14 * a + 3 * a**2 - 14 * b + 6 * a * b + 3 * b**2)
    second = 30 + (2 * a - 3 * b) ** 2 * (18 - 32 * a + 12 * a**2 + 48 * b - 36 * a * b + 27 * b**2)
    return float(first * second)


def griewank(x: np.ndarray) -> float:
    """SFU Griewank on [-600, 600]^d; minimum 0 at 0."""
    i = np.arange(1, len(x) + 1)
    return float((x**2).sum() / 4000 - np.prod(np.cos(x / np.sqrt(i))) + 1)


_A3 = np.array([[3.0, 10, 30], [0.1, 10, 35], [3.0, 10, 30], [0.1, 10, 35]])
_P3 = 1e-4 * np.array(
    [[3689, 1170, 2673], [4699, 4387, 7470], [1091, 8732, 5547], [381, 5743, 8828]]
)
_ALPHA = np.array([1.0, 1.2, 3.0, 3.2])


def hartmann3(x: np.ndarray) -> float:
    """SFU Hartmann 3-D on [0, 1]^3; minimum -3.86278 near (0.114614, 0.555649, 0.852547)."""
    return float(-(_ALPHA * np.exp(-(_A3 * (x[None, :] - _P3) ** 2).sum(axis=1))).sum())


def levy(x: np.ndarray) -> float:
    """SFU Levy on [-10, 10]^d; minimum 0 at (1, ..., 1)."""
    w = 1 + (x - 1) / 4
    head = math.sin(math.pi * w[0]) ** 2
    middle = ((w[:-1] - 1) ** 2 * (1 + 10 * np.sin(math.pi * w[:-1] + 1) ** 2)).sum()
    tail = (w[-1] - 1) ** 2 * (1 + math.sin(2 * math.pi * w[-1]) ** 2)
    return float(head + middle + tail)


def mccormick(x: np.ndarray) -> float:
    """SFU McCormick on [-1.5, 4] x [-3, 4]; minimum -sqrt(3)/2 - 1/2 + x1 at
    x1 = 1/2 - pi/3, x2 = x1 - 1 (the gradient vanishes where x1 - x2 = 1, x1 + x2 = -2 pi/3)."""
    return float(math.sin(x[0] + x[1]) + (x[0] - x[1]) ** 2 - 1.5 * x[0] + 2.5 * x[1] + 1)


def powell(x: np.ndarray) -> float:
    """SFU Powell on [-4, 5]^d (d a multiple of 4); minimum 0 at 0."""
    a, b, c, d = x[0::4], x[1::4], x[2::4], x[3::4]
    return float(
        ((a + 10 * b) ** 2 + 5 * (c - d) ** 2 + (b - 2 * c) ** 4 + 10 * (a - d) ** 4).sum()
    )


def rastrigin(x: np.ndarray) -> float:
    """SFU Rastrigin on [-5.12, 5.12]^d; minimum 0 at 0."""
    return float(10 * len(x) + (x**2 - 10 * np.cos(2 * math.pi * x)).sum())


def rosenbrock(x: np.ndarray) -> float:
    """SFU Rosenbrock on [-5, 10]^d; minimum 0 at (1, ..., 1)."""
    return float((100 * (x[1:] - x[:-1] ** 2) ** 2 + (x[:-1] - 1) ** 2).sum())


_C = np.array(
    [
        [4, 1, 8, 6, 3, 2, 5, 8, 6, 7],
        [4, 1, 8, 6, 7, 9, 3, 1, 2, 3.6],
        [4, 1, 8, 6, 3, 2, 5, 8, 6, 7],
        [4, 1, 8, 6, 7, 9, 3, 1, 2, 3.6],
    ]
)
_BETA = 0.1 * np.array([1, 2, 2, 4, 4, 6, 3, 7, 5, 5])


def shekel(x: np.ndarray) -> float:
    """SFU Shekel (m = 10) on [0, 10]^4; minimum -10.5364 near (4, 4, 4, 4)."""
    return float(-(1 / (((x[:, None] - _C) ** 2).sum(axis=0) + _BETA)).sum())


def six_hump_camel(x: np.ndarray) -> float:
    """SFU six-hump camel on [-3, 3] x [-2, 2]; minimum -1.0316 at +-(0.0898, -0.7126)."""
    a, b = x[0], x[1]
    return float((4 - 2.1 * a**2 + a**4 / 3) * a**2 + a * b + (-4 + 4 * b**2) * b**2)


def styblinski_tang(x: np.ndarray) -> float:
    """SFU Styblinski-Tang on [-5, 5]^d; minimum -39.16617 d at x_i = -2.903534."""
    return float(0.5 * (x**4 - 16 * x**2 + 5 * x).sum())


def zakharov(x: np.ndarray) -> float:
    """SFU Zakharov on [-5, 10]^d; minimum 0 at 0."""
    s = (0.5 * np.arange(1, len(x) + 1) * x).sum()
    return float((x**2).sum() + s**2 + s**4)


SHIFTS = {"levy": (0.0, 3.0, -4.0), "rosenbrock": (-2.0, 2.0, 0.0)}
OFFSETS = {"levy": (2.0, 0.0, 1.0), "rosenbrock": (1.0, 0.0, 3.0)}


def mixed_levy(v: np.ndarray) -> float:
    """Levy on (x0 - s, x1 - s, x2 - s, n0, n1) plus an offset; the categorical c picks the
    variant (s, offset) from (0, 2), (3, 0), (-4, 1). Minimum 0 at c = "b", x = 4, n = 1."""
    c = int(v[5])
    shift, offset = SHIFTS["levy"][c], OFFSETS["levy"][c]
    return levy(np.concatenate([v[:3] - shift, v[3:5]])) + offset


def mixed_rosenbrock(v: np.ndarray) -> float:
    """Rosenbrock on the chain (x0 - s, n0, x1 - s, x2 - s, n1, x3 - s) plus an offset; c
    picks (s, offset) from (-2, 1), (2, 0), (0, 3). Minimum 0 at c = "mid", x = 3, n = 1."""
    c = int(v[6])
    shift, offset = SHIFTS["rosenbrock"][c], OFFSETS["rosenbrock"][c]
    x, n = v[:4] - shift, v[4:6]
    return rosenbrock(np.array([x[0], n[0], x[1], x[2], n[1], x[3]])) + offset


def t_osz(z: np.ndarray) -> np.ndarray:
    """BBOB's oscillation transformation T_osz (elementwise; T_osz(0) = 0)."""
    x_hat = np.where(z != 0, np.log(np.abs(np.where(z != 0, z, 1.0))), 0.0)
    c1 = np.where(z > 0, 10.0, 5.5)
    c2 = np.where(z > 0, 7.9, 3.1)
    return np.asarray(
        np.sign(z) * np.exp(x_hat + 0.049 * (np.sin(c1 * x_hat) + np.sin(c2 * x_hat)))
    )


def bbob_instance(d: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """A BBOB-style instance: x_opt uniform in [-4, 4]^d and a random rotation R (QR of a
    Gaussian matrix, signs fixed), drawn from ``seed`` (our seeds, not the BBOB instances)."""
    rng = np.random.default_rng(seed)
    x_opt = rng.uniform(-4.0, 4.0, d)
    q, r = np.linalg.qr(rng.standard_normal((d, d)))
    return x_opt, q * np.sign(np.diag(r))


def bbob_ellipsoid(x_opt: np.ndarray, rotation: np.ndarray, x: np.ndarray) -> float:
    """BBOB f10, rotated ellipsoid (conditioning 1e6), f_opt = 0: minimum 0 at x_opt."""
    z = t_osz(rotation @ (x - x_opt))
    weights = 10.0 ** (6 * np.arange(len(x)) / (len(x) - 1))
    return float((weights * z**2).sum())


def bbob_different_powers(x_opt: np.ndarray, rotation: np.ndarray, x: np.ndarray) -> float:
    """BBOB f14, different powers (rotated), f_opt = 0: minimum 0 at x_opt."""
    z = rotation @ (x - x_opt)
    powers = 2 + 4 * np.arange(len(x)) / (len(x) - 1)
    return float(math.sqrt(float((np.abs(z) ** powers).sum())))

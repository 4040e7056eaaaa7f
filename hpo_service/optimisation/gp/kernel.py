"""ARD Matern 5/2 kernel with its gradients (Rasmussen & Williams, GPML, eq. 4.17).

    k(x, x') = s2 * (1 + sqrt(5) r + 5/3 r^2) * exp(-sqrt(5) r),
    r^2 = sum_j (x_j - x'_j)^2 / l_j^2.

It equals scikit-learn's ``ConstantKernel(s2) * Matern(length_scale=l, nu=2.5)`` (the GP
that bayes_opt uses); a test checks it. It is written out here because the acquisition
optimiser needs the gradient with respect to the inputs, which scikit-learn does not give.
"""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import NDArray
from scipy.spatial.distance import cdist

SQRT5 = math.sqrt(5.0)
Array = NDArray[np.float64]


def scaled_distance(a: Array, b: Array, lengthscales: Array) -> Array:
    """Euclidean distance r between rows of a and b after dividing by the length scales."""
    return np.asarray(cdist(a / lengthscales, b / lengthscales), dtype=np.float64)


def matern52(r: Array, variance: float) -> Array:
    """Kernel values from scaled distances (GPML eq. 4.17 with nu = 5/2)."""
    return variance * (1.0 + SQRT5 * r + (5.0 / 3.0) * r * r) * np.exp(-SQRT5 * r)


def radial_factor(r: Array, variance: float) -> Array:
    """G(r) = s2 * 5/3 * (1 + sqrt(5) r) * exp(-sqrt(5) r), so that dk/dr = -r * G(r).

    Hence dk/dx_j = -G * (x_j - x'_j) / l_j^2 and dk/dlog(l_j) = G * (x_j - x'_j)^2 / l_j^2.
    """
    return variance * (5.0 / 3.0) * (1.0 + SQRT5 * r) * np.exp(-SQRT5 * r)

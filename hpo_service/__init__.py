"""hpo-service: hyperparameter optimisation as a service."""

from __future__ import annotations

__version__ = "0.1.0"

"""Errors that are about the machine, not about a configuration."""

from __future__ import annotations


class EnvironmentProblem(RuntimeError):
    """Scoring cannot run here whatever the configuration (missing data, a broken install).

    A worker that meets one stops with its message instead of failing trial after trial.
    """

"""Objectives: pure functions of a configuration that train a network and return a score.

Built-in problems: ``breast-cancer`` (maximise CV accuracy) and ``concrete`` (minimise CV
RMSE in MPa). Add your own with :func:`objective` or the ``hpo_service.objectives`` entry
point group (docs/objectives.md).
"""

from __future__ import annotations

from trainer.objectives import mlp as _builtin  # noqa: F401  (registers the built-ins)
from trainer.objectives.mlp import MLP_SPACE
from trainer.objectives.registry import (
    DEFAULT_FOLDS,
    DEFAULT_MAX_ITER,
    DEFAULT_SEED,
    ENTRY_POINT_GROUP,
    ObjectiveError,
    ObjectiveFunction,
    Problem,
    Result,
    Settings,
    get_problem,
    load_entry_points,
    objective,
    problem_names,
    register,
)

__all__ = [
    "DEFAULT_FOLDS",
    "DEFAULT_MAX_ITER",
    "DEFAULT_SEED",
    "ENTRY_POINT_GROUP",
    "MLP_SPACE",
    "ObjectiveError",
    "ObjectiveFunction",
    "Problem",
    "Result",
    "Settings",
    "get_problem",
    "load_entry_points",
    "objective",
    "problem_names",
    "register",
]

"""Analyses of a study's trial history for the dashboard: parameter importance.

Never imports persistence or api: functions receive a search space and observations.
"""

from __future__ import annotations

from hpo_service.analysis.importance import (
    MIN_COMPLETE,
    Importance,
    ImportanceCache,
    parameter_importance,
)
from hpo_service.errors import NotEnoughTrials, SurrogateUnavailable

__all__ = [
    "MIN_COMPLETE",
    "Importance",
    "ImportanceCache",
    "NotEnoughTrials",
    "SurrogateUnavailable",
    "parameter_importance",
]

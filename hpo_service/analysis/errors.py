"""Errors of the analysis views (stdlib only): each maps to 409 through its Conflict base."""

from __future__ import annotations

from hpo_service.errors import Conflict


class NotEnoughTrials(Conflict):
    """An analysis needs more complete trials than the study has so far."""

    code = "not-enough-trials"
    title = "Not enough complete trials"


class SurrogateUnavailable(Conflict):
    """The study has no Gaussian-process surrogate to show (not a gp study, or no engine)."""

    code = "surrogate-unavailable"
    title = "No surrogate model for this study"

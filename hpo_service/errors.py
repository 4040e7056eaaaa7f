"""One error tree rooted at HpoError; every message says what is wrong and how to fix it.

Each error class has a stable ``code`` that travels in the ``type`` of an
``application/problem+json`` body, so the client maps a response back to the
same class the service raised. HTTP status codes live in ``api/`` only.
"""

from __future__ import annotations

from typing import Any, ClassVar


class HpoError(Exception):
    """Base of every error the service raises on purpose."""

    code: ClassVar[str] = "error"
    title: ClassVar[str] = "Error"

    def __init__(self, message: str, **extra: Any) -> None:
        super().__init__(message)
        self.message = message
        self.extra = extra
        self.log_detail: str | None = None  # logged with the request id, never sent

    def __str__(self) -> str:
        return self.message


class InvalidRequest(HpoError):
    """The request body or query is malformed or has wrong types / unknown fields."""

    code = "invalid-request"
    title = "Invalid request"


class MalformedRequest(InvalidRequest):
    """The body is not valid JSON, not an object, or too large."""

    code = "malformed-request"
    title = "Malformed request"


class UnsupportedMediaType(InvalidRequest):
    """A write request whose body is not ``application/json``."""

    code = "unsupported-media-type"
    title = "Unsupported media type"


class HostNotAllowed(MalformedRequest):
    """The Host header names a host this service was not configured to answer for."""

    code = "host-not-allowed"
    title = "Host not allowed"


class InvalidSearchSpace(InvalidRequest):
    """A search-space definition is invalid (names, bounds, choices)."""

    code = "invalid-search-space"
    title = "Invalid search space"


class InvalidStrategy(InvalidRequest):
    """A strategy configuration is invalid for the study's search space."""

    code = "invalid-strategy"
    title = "Invalid strategy configuration"


class InvalidParams(InvalidRequest):
    """A set of parameter values does not belong to the study's search space."""

    code = "invalid-params"
    title = "Invalid parameters"


class InvalidValue(InvalidRequest):
    """A reported objective value is not a finite number."""

    code = "invalid-value"
    title = "Invalid objective value"


class InvalidObjectives(InvalidRequest):
    """Objectives, constraints or a reference point of a study definition are invalid."""

    code = "invalid-objectives"
    title = "Invalid objectives or constraints"


class InvalidPruner(InvalidRequest):
    """A pruner configuration names an unknown pruner or option, or an option is out of range."""

    code = "invalid-pruner"
    title = "Invalid pruner configuration"


class NotFound(HpoError):
    """Something addressed by name or number does not exist."""

    code = "not-found"
    title = "Not found"


class StudyNotFound(NotFound):
    """No study has the given name."""

    code = "study-not-found"
    title = "Study not found"


class TrialNotFound(NotFound):
    """The study has no trial with the given number."""

    code = "trial-not-found"
    title = "Trial not found"


class TokenNotFound(NotFound):
    """No active API token has the given id (in the caller's project)."""

    code = "token-not-found"
    title = "Token not found"


class Unauthenticated(HpoError):
    """The request carries no valid API token (missing, unknown or revoked)."""

    code = "unauthenticated"
    title = "Authentication required"


class Forbidden(HpoError):
    """The token is valid but its role (or project) does not allow this request."""

    code = "forbidden"
    title = "Forbidden"


class Conflict(HpoError):
    """The request is valid but clashes with the current state."""

    code = "conflict"
    title = "Conflict"


class StudyAlreadyExists(Conflict):
    """A study with that name already exists."""

    code = "study-already-exists"
    title = "Study already exists"


class StudyNotRunning(Conflict):
    """The study is paused or completed, so it hands out no trials."""

    code = "study-not-running"
    title = "Study is not running"


class BudgetExhausted(Conflict):
    """The study's max_trials budget (or its grid) is used up."""

    code = "budget-exhausted"
    title = "Trial budget exhausted"


class TrialAlreadyFinished(Conflict):
    """The trial was already completed or failed with a different outcome."""

    code = "trial-already-finished"
    title = "Trial already finished"


class NotEnoughTrials(Conflict):
    """An analysis needs more complete trials than the study has so far."""

    code = "not-enough-trials"
    title = "Not enough complete trials"


class SurrogateUnavailable(Conflict):
    """The study has no Gaussian-process surrogate to show (not a gp study, or the fit failed)."""

    code = "surrogate-unavailable"
    title = "No surrogate model for this study"


class InvalidTransition(Conflict):
    """A state change that the lifecycle does not allow."""

    code = "invalid-transition"
    title = "Invalid state transition"


class StepConflict(Conflict):
    """An intermediate step was already reported with another value."""

    code = "step-conflict"
    title = "Intermediate step already reported"


class StepOutOfOrder(Conflict):
    """An intermediate step is lower than a step the trial already reported."""

    code = "step-out-of-order"
    title = "Intermediate step out of order"


class SchemaOutOfDate(HpoError):
    """The database schema is older than this release expects."""

    code = "schema-out-of-date"
    title = "Database schema out of date"


class ServiceUnavailable(HpoError):
    """The service cannot answer right now (unreachable, or 502/503/504); retrying may help."""

    code = "service-unavailable"
    title = "Service unavailable"


class ServerError(HpoError):
    """The service hit an unexpected error (HTTP 500); its log has the traceback."""

    code = "internal-error"
    title = "Internal server error"


class StorageUnavailable(ServiceUnavailable):
    """The database could not be reached or kept failing; retrying may help."""

    code = "storage-unavailable"
    title = "Storage unavailable"


def _all_subclasses(cls: type[HpoError]) -> list[type[HpoError]]:
    found: list[type[HpoError]] = [cls]
    for sub in cls.__subclasses__():
        found.extend(_all_subclasses(sub))
    return found


def error_class_for(code: str) -> type[HpoError]:
    """Return the error class whose ``code`` matches, else HpoError."""
    for cls in _all_subclasses(HpoError):
        if cls.code == code:
            return cls
    return HpoError

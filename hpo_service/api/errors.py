"""One JSON error shape: application/problem+json (RFC 9457) for every error response."""

from __future__ import annotations

import logging
from typing import Any

from flask import Flask, Response, json, request
from werkzeug.exceptions import HTTPException

from hpo_service.api.security import request_id
from hpo_service.errors import (
    Conflict,
    Forbidden,
    HpoError,
    InvalidRequest,
    MalformedRequest,
    NotFound,
    SchemaOutOfDate,
    StorageUnavailable,
    Unauthenticated,
    UnsupportedMediaType,
)

log = logging.getLogger(__name__)

PROBLEM_JSON = "application/problem+json"
TYPE_BASE = "https://hpo-service.dev/problems/"

STATUS: list[tuple[type[HpoError], int]] = [
    (MalformedRequest, 400),
    (UnsupportedMediaType, 415),
    (InvalidRequest, 422),
    (NotFound, 404),
    (Unauthenticated, 401),
    (Forbidden, 403),
    (Conflict, 409),
    (SchemaOutOfDate, 503),
    (StorageUnavailable, 503),
]


def status_for(error: HpoError) -> int:
    """The HTTP status of an error class (the only place statuses meet errors)."""
    for cls, status in STATUS:
        if isinstance(error, cls):
            return status
    return 500


def problem_body(status: int, title: str, detail: str, code: str, **extra: Any) -> dict[str, Any]:
    """The fields of a problem (RFC 9457) about the current request."""
    return {
        "type": TYPE_BASE + code,
        "title": title,
        "status": status,
        "detail": detail,
        "code": code,
        "instance": request.path,
        "request_id": request_id(),
        **extra,
    }


def error_body(error: HpoError) -> dict[str, Any]:
    """The problem fields of a service error."""
    return problem_body(status_for(error), error.title, error.message, error.code, **error.extra)


def problem(status: int, title: str, detail: str, code: str, **extra: Any) -> Response:
    """Build an application/problem+json response."""
    body = problem_body(status, title, detail, code, **extra)
    response = Response(json.dumps(body), status=status, mimetype=PROBLEM_JSON)
    if status == 503:
        response.headers["Retry-After"] = "1"
    if status == 401:
        response.headers["WWW-Authenticate"] = 'Bearer realm="hpo-service"'
    return response


def register_error_handlers(app: Flask) -> None:
    """Map HpoError, HTTP errors and anything unexpected to problem+json."""

    @app.errorhandler(HpoError)
    def _hpo(error: HpoError) -> Response:
        status = status_for(error)
        detail = error.log_detail
        if detail or status >= 500:
            log.warning("request %s: %s %s -> %d %s: %s", request_id(), request.method,
                        request.path, status, error.code, detail or error.message)  # fmt: skip
        return problem(status, error.title, error.message, error.code, **error.extra)

    @app.errorhandler(HTTPException)
    def _http(error: HTTPException) -> Response:
        status = error.code or 500
        detail = error.description or error.name
        if status == 413:
            detail = f"the body is larger than {app.config['MAX_CONTENT_LENGTH']} bytes"
        if status == 405:
            detail = f"{request.method} is not allowed on {request.path}; see /api/v1/openapi.json"
        if status == 404:
            detail = f"nothing at {request.path}; the API is described at /api/v1/openapi.json"
        code = error.name.lower().replace(" ", "-")
        response = problem(status, error.name, detail, code)
        for name, value in error.get_headers():
            if name.lower() == "allow":
                response.headers["Allow"] = value
        return response

    @app.errorhandler(Exception)
    def _unexpected(error: Exception) -> Response:
        log.exception("request %s: unhandled error on %s %s", request_id(), request.method,
                      request.path)  # fmt: skip
        return problem(
            500,
            "Internal server error",
            f"the service hit an unexpected error; it was logged with request id {request_id()}",
            "internal-error",
        )

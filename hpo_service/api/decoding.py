"""Request decoding: JSON bodies checked against the schemas, query parameters parsed."""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache
from typing import Any

from flask import request
from jsonschema import Draft202012Validator
from jsonschema.exceptions import best_match

from hpo_service.access import PROJECT_PATTERN
from hpo_service.api.bodies import parse_json
from hpo_service.api.schemas import REQUEST_SCHEMAS
from hpo_service.domain import (
    PARAM_NAME_PATTERN,
    STUDY_NAME_PATTERN,
    TrialState,
)
from hpo_service.errors import InvalidRequest, MalformedRequest

PATTERN_HINTS = {
    PARAM_NAME_PATTERN: "is not identifier-like: use letters, digits and underscores, "
    "not starting with a digit, at most 64 characters",
    STUDY_NAME_PATTERN: "is not allowed: use 1-128 letters, digits, '.', '_' or '-', "
    "starting with a letter or digit",
    PROJECT_PATTERN: "is not allowed: use 1-64 letters, digits, '.', '_' or '-', "
    "starting with a letter or digit",
}


VALUE_BODIES = frozenset({"ReportRequest", "IntermediateRequest", "TrialCreate", "PruneRequest"})
"""Bodies that carry objective values: a non-finite number there is an invalid value."""


@cache
def _validator(schema_name: str) -> Draft202012Validator:
    return Draft202012Validator(REQUEST_SCHEMAS[schema_name])


def _where(path: Any) -> str:
    parts = [str(p) for p in path]
    return "/".join(parts) if parts else "body"


def json_body(schema_name: str, required: bool = True) -> dict[str, Any]:
    """The request body as a dict valid against the named schema, else InvalidRequest."""
    raw = request.get_data(cache=True)
    if not raw.strip():
        if required:
            raise MalformedRequest("the request needs a JSON object body")
        body: Any = {}
    else:
        body = parse_json(raw, carries_values=schema_name in VALUE_BODIES)
    if not isinstance(body, dict):
        raise MalformedRequest(f"the body must be a JSON object, got {type(body).__name__}")
    error = best_match(_validator(schema_name).iter_errors(body))
    if error is not None:
        message = error.message
        if error.validator == "pattern":
            hint = PATTERN_HINTS.get(str(error.validator_value), "")
            message = f"{error.instance!r} {hint or 'does not match ' + str(error.validator_value)}"
        raise InvalidRequest(f"{_where(error.absolute_path)}: {message}")
    return body


def int_arg(
    args: Mapping[str, str], name: str, default: int | None, low: int, high: int
) -> int | None:
    """An optional integer query parameter within [low, high]."""
    text = args.get(name)
    if text is None or text == "":
        return default
    try:
        value = int(text)
    except ValueError as exc:
        raise InvalidRequest(f"query parameter {name!r} must be an integer, got {text!r}") from exc
    if not low <= value <= high:
        raise InvalidRequest(f"query parameter {name!r} must be in [{low}, {high}], got {value}")
    return value


def states_arg(args: Mapping[str, str]) -> list[TrialState] | None:
    """``state=complete,failed``: trial states to keep, or None for all."""
    text = args.get("state")
    if not text:
        return None
    states = []
    for part in text.split(","):
        try:
            states.append(TrialState(part.strip()))
        except ValueError as exc:
            allowed = ", ".join(s.value for s in TrialState)
            raise InvalidRequest(f"unknown trial state {part!r}; use one of {allowed}") from exc
    return states

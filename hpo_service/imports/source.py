"""What a reader returns: records, the direction they were measured in, a study to create."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from jsonschema import Draft202012Validator
from jsonschema.exceptions import best_match

from hpo_service.api.schemas import STUDY_CREATE
from hpo_service.domain import Direction
from hpo_service.errors import InvalidRequest
from hpo_service.service.imports import TrialRecord


@dataclass(frozen=True)
class ImportSource:
    """Records read from another tool, with what it says about the study."""

    records: tuple[TrialRecord, ...]
    direction: Direction
    definition: Mapping[str, Any] | None = None  # REST study JSON, if the source has a space
    skipped: Mapping[str, int] = field(default_factory=dict)  # e.g. {"running": 2}


def check_definition(definition: Mapping[str, Any], where: str) -> dict[str, Any]:
    """A study definition checked against the REST schema, as POST /studies would check it."""
    body = {"name": "imported", **definition}
    error = best_match(Draft202012Validator(STUDY_CREATE).iter_errors(body))
    if error is not None:
        path = "/".join(str(p) for p in error.absolute_path) or "body"
        raise InvalidRequest(f"{where}: {path}: {error.message}")
    return dict(definition)

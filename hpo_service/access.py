"""Access-control vocabulary: roles, API tokens as stored, project names (stdlib only)."""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass
from datetime import datetime

from hpo_service.errors import InvalidRequest

PROJECT_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$"
DEFAULT_PROJECT = "default"
_PROJECT = re.compile(PROJECT_PATTERN)


def check_project(project: str) -> str:
    """Project names: 1-64 letters, digits, '.', '_' or '-', starting with a letter or digit."""
    if not isinstance(project, str) or _PROJECT.fullmatch(project) is None:
        raise InvalidRequest(
            f"project name {project!r} is not allowed: use 1-64 letters, digits, '.', '_' or "
            "'-', starting with a letter or digit"
        )
    return project


class Role(enum.StrEnum):
    """What an API token may do; each role can do everything the roles before it can."""

    READER = "reader"
    WORKER = "worker"
    EDITOR = "editor"
    ADMIN = "admin"

    @property
    def rank(self) -> int:
        """Position in the order reader < worker < editor < admin."""
        return list(Role).index(self)

    def allows(self, needed: Role) -> bool:
        """True if a token of this role may call an endpoint that needs ``needed``."""
        return self.rank >= needed.rank


@dataclass(frozen=True)
class ApiToken:
    """An API token as stored: never the secret itself, only facts about it."""

    id: int
    name: str
    role: Role
    project: str | None
    created_at: datetime
    last_used_at: datetime | None = None
    revoked_at: datetime | None = None

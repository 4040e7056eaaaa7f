"""API tokens: create (the secret is shown once), authenticate by hash, list, revoke.

A token is ``hpo_`` followed by 32 random bytes in URL-safe base64 (256 bits), so a
leaked one is recognisable in logs and scanners. Only its SHA-256 is stored: a database
dump gives no usable token. Authentication reads the database on every request, so a
revocation takes effect at once in every process; ``last_used_at`` is written at most
once per minute per token so that reads do not all become writes.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from collections.abc import Callable
from datetime import datetime, timedelta

from hpo_service.access import ApiToken, Role, check_project
from hpo_service.errors import Forbidden, InvalidRequest
from hpo_service.persistence import Database
from hpo_service.persistence.tokens import TokenRepository

TOKEN_PREFIX = "hpo_"
SECRET_BYTES = 32
LAST_USED_RESOLUTION = timedelta(minutes=1)
MAX_NAME = 128
MIN_SECRET_CHARS = 22  # 22 URL-safe base64 characters carry 132 random bits
SECRET_PATTERN = re.compile(rf"hpo_[A-Za-z0-9_-]{{{MIN_SECRET_CHARS},200}}")


def hash_token(secret: str) -> str:
    """The stored form of a token: hex SHA-256 of the whole secret."""
    return hashlib.sha256(secret.encode("utf-8", "surrogatepass")).hexdigest()


def new_secret() -> str:
    """A fresh token secret: the prefix plus 256 random bits."""
    return TOKEN_PREFIX + secrets.token_urlsafe(SECRET_BYTES)


def parse_role(text: str) -> Role:
    """A Role from its name, or InvalidRequest listing the roles."""
    try:
        return Role(text)
    except ValueError as exc:
        names = ", ".join(r.value for r in Role)
        raise InvalidRequest(f"unknown role {text!r}; use one of {names}") from exc


class Tokens:
    """Token use cases over one database and clock."""

    def __init__(self, database: Database, clock: Callable[[], datetime]) -> None:
        self.database = database
        self.clock = clock

    def create(
        self, name: str, role: Role, project: str | None, scope: str | None = None
    ) -> tuple[ApiToken, str]:
        """Store a new token; return it and its secret (the only time the secret exists).

        ``scope`` is the caller's own project restriction (None: all projects); a caller
        confined to a project can only create tokens for that project.
        """
        if not name or len(name) > MAX_NAME:
            raise InvalidRequest(f"a token name needs 1-{MAX_NAME} characters")
        if project is not None:
            check_project(project)
        if scope is not None and project != scope:
            raise Forbidden(
                f"a token of project {scope!r} can only create tokens for project {scope!r}"
            )
        secret = new_secret()
        with self.database.transaction(write=True) as session:
            token = TokenRepository(session).add(
                name, role, project, hash_token(secret), self.clock()
            )
        return token, secret

    def register(
        self, name: str, role: Role, project: str | None, secret: str
    ) -> tuple[ApiToken, bool]:
        """Store a secret generated elsewhere (a deployment's secret file), unless it is
        already active; return the token and whether it was added."""
        if SECRET_PATTERN.fullmatch(secret) is None:
            raise InvalidRequest(
                f"a token secret is `hpo_` and at least {MIN_SECRET_CHARS} URL-safe base64 "
                "characters (>= 128 random bits); make one with `hpo token new-secret`"
            )
        with self.database.transaction() as session:
            existing = TokenRepository(session).find_active(hash_token(secret))
        if existing is not None:
            return existing, False
        if project is not None:
            check_project(project)
        with self.database.transaction(write=True) as session:
            token = TokenRepository(session).add(
                name, role, project, hash_token(secret), self.clock()
            )
        return token, True

    def authenticate(self, secret: str) -> ApiToken | None:
        """The active token with this secret, or None; notes its use (once a minute)."""
        if not secret.startswith(TOKEN_PREFIX) or len(secret) > 256:
            return None
        with self.database.transaction() as session:
            token = TokenRepository(session).find_active(hash_token(secret))
        now = self.clock()
        if token is not None and (
            token.last_used_at is None or now - token.last_used_at >= LAST_USED_RESOLUTION
        ):
            with self.database.transaction(write=True) as session:
                TokenRepository(session).touch(token.id, now, LAST_USED_RESOLUTION)
        return token

    def listing(self, scope: str | None = None, include_revoked: bool = False) -> list[ApiToken]:
        """Tokens (never their secrets): all, or those of the caller's project."""
        with self.database.transaction() as session:
            return TokenRepository(session).listing(scope, include_revoked)

    def revoke(self, token_id: int, scope: str | None = None) -> ApiToken:
        """Revoke a token at once; raise TokenNotFound if unknown (in the caller's project)."""
        with self.database.transaction(write=True) as session:
            return TokenRepository(session).revoke(token_id, scope, self.clock())

    def any_active(self) -> bool:
        """True if at least one unrevoked token exists."""
        with self.database.transaction() as session:
            return TokenRepository(session).count_active() > 0

"""API tokens in storage: looked up by the hash of their secret, never by the secret."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from hpo_service.access import ApiToken, Role
from hpo_service.errors import TokenNotFound
from hpo_service.persistence.mapping import aware, naive_utc
from hpo_service.persistence.models import TokenRow


def _token(row: TokenRow) -> ApiToken:
    return ApiToken(
        id=row.id,
        name=row.name,
        role=Role(row.role),
        project=row.project,
        created_at=aware(row.created_at) or row.created_at,
        last_used_at=aware(row.last_used_at),
        revoked_at=aware(row.revoked_at),
    )


class TokenRepository:
    """Queries and changes of API tokens within one transaction."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def add(
        self, name: str, role: Role, project: str | None, token_hash: str, now: datetime
    ) -> ApiToken:
        """Store a new token by the hash of its secret."""
        row = TokenRow(
            name=name,
            role=role.value,
            project=project,
            token_hash=token_hash,
            created_at=naive_utc(now),
        )
        self.session.add(row)
        self.session.flush()
        return _token(row)

    def find_active(self, token_hash: str) -> ApiToken | None:
        """The unrevoked token with this hash (an indexed lookup), or None."""
        query = select(TokenRow).where(
            TokenRow.token_hash == token_hash, TokenRow.revoked_at.is_(None)
        )
        row = self.session.scalars(query).one_or_none()
        return _token(row) if row is not None else None

    def listing(self, project: str | None = None, include_revoked: bool = False) -> list[ApiToken]:
        """Tokens by id: all, or those of one project."""
        query = select(TokenRow).order_by(TokenRow.id)
        if project is not None:
            query = query.where(TokenRow.project == project)
        if not include_revoked:
            query = query.where(TokenRow.revoked_at.is_(None))
        return [_token(row) for row in self.session.scalars(query)]

    def count_active(self) -> int:
        """How many tokens are not revoked."""
        return len(self.listing())

    def revoke(self, token_id: int, project: str | None, now: datetime) -> ApiToken:
        """Mark a token revoked; raise TokenNotFound if it is unknown (in ``project``)."""
        row = self.session.get(TokenRow, token_id) if 0 < token_id < 2**31 else None
        if row is None or row.revoked_at is not None or (project and row.project != project):
            raise TokenNotFound(
                f"no active token with id {token_id}; list them with `hpo token list` "
                "or GET /api/v1/tokens"
            )
        row.revoked_at = naive_utc(now)
        self.session.flush()
        return _token(row)

    def touch(self, token_id: int, now: datetime, resolution: timedelta) -> None:
        """Set last_used_at to now unless it was set less than ``resolution`` ago."""
        stamp = naive_utc(now)
        self.session.execute(
            update(TokenRow)
            .where(
                TokenRow.id == token_id,
                or_(TokenRow.last_used_at.is_(None), TokenRow.last_used_at <= stamp - resolution),
            )
            .values(last_used_at=stamp)
        )

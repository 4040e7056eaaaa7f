"""Storage: SQLAlchemy models, the transaction boundary, the repository and migrations.

The only package that imports sqlalchemy; it returns domain objects, never rows.
"""

from __future__ import annotations

from hpo_service.persistence.database import (
    Database,
    StaleRead,
    default_database_url,
    is_sqlite,
)
from hpo_service.persistence.repository import LockedStudy, Repository

__all__ = [
    "Database",
    "LockedStudy",
    "Repository",
    "StaleRead",
    "default_database_url",
    "is_sqlite",
]

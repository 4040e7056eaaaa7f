"""SQLAlchemy 2 typed models. Rows never leave the persistence package."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    """Declarative base with a naming convention so migrations name constraints alike."""

    metadata = MetaData(naming_convention=NAMING)


class StudyRow(Base):
    """One study: its definition, budget counters and change sequence."""

    __tablename__ = "studies"
    __table_args__ = (UniqueConstraint("project", "name", name="uq_studies_project_name"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    project: Mapped[str] = mapped_column(String(64), server_default="default")
    name: Mapped[str] = mapped_column(String(128))
    direction: Mapped[str] = mapped_column(String(16))
    metric: Mapped[str] = mapped_column(String(128))
    space: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    strategy: Mapped[dict[str, Any]] = mapped_column(JSON)
    max_trials: Mapped[int | None] = mapped_column(Integer)
    lease_seconds: Mapped[int] = mapped_column(Integer)
    max_retries: Mapped[int] = mapped_column(Integer)
    seed: Mapped[int] = mapped_column(BigInteger)
    state: Mapped[str] = mapped_column(String(16))
    description: Mapped[str] = mapped_column(Text, default="")
    pruner: Mapped[dict[str, Any]] = mapped_column(
        JSON, server_default=text("""'{"name": "none"}'""")
    )
    created_at: Mapped[datetime] = mapped_column(DateTime)
    updated_at: Mapped[datetime] = mapped_column(DateTime)
    next_number: Mapped[int] = mapped_column(Integer, default=0)
    seq: Mapped[int] = mapped_column(BigInteger, default=0)
    # no trial is waiting (stale, queued, lease run out) before this time; NULL: none until
    # a write sets it (0007). Kept on the row so the lock's read of it is never stale.
    rescan_at: Mapped[datetime | None] = mapped_column(DateTime)
    # several objectives / constraints (0005); NULL: one objective (direction, metric)
    objectives: Mapped[list[dict[str, Any]] | None] = mapped_column(JSON)
    constraints: Mapped[list[dict[str, Any]] | None] = mapped_column(JSON)
    reference_point: Mapped[dict[str, Any] | None] = mapped_column(JSON)

    trials: Mapped[list[TrialRow]] = relationship(
        back_populates="study", cascade="all, delete-orphan", passive_deletes=True
    )


class TrialRow(Base):
    """One trial of a study; (study_id, number) is unique."""

    __tablename__ = "trials"
    __table_args__ = (
        UniqueConstraint("study_id", "number", name="uq_trials_study_number"),
        # The lease scan (running trials of a study by expiry) and `best` (a study's complete
        # trials by value) each read one index range; both also serve (study_id, state).
        Index("ix_trials_study_state_lease", "study_id", "state", "lease_expires_at"),
        Index("ix_trials_study_state_value", "study_id", "state", "value"),
        Index("ix_trials_study_seq", "study_id", "updated_seq"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    study_id: Mapped[int] = mapped_column(ForeignKey("studies.id", ondelete="CASCADE"))
    number: Mapped[int] = mapped_column(Integer)
    params: Mapped[dict[str, Any]] = mapped_column(JSON)
    state: Mapped[str] = mapped_column(String(16))
    value: Mapped[float | None] = mapped_column(Float)
    worker_id: Mapped[str | None] = mapped_column(String(256))
    lease_expires_at: Mapped[datetime | None] = mapped_column(DateTime)
    started_at: Mapped[datetime | None] = mapped_column(DateTime)
    finished_at: Mapped[datetime | None] = mapped_column(DateTime)
    failure_reason: Mapped[str | None] = mapped_column(Text)
    retries: Mapped[int] = mapped_column(Integer, default=0)
    extra: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    updated_seq: Mapped[int] = mapped_column(BigInteger, default=0)
    # every UPDATE of a trial also matches the change sequence it was read at (each write
    # sets a new one, Repository._bump): a trial read before its study's lock and changed
    # by another transaction before the lock updates no row (StaleDataError) instead of
    # overwriting that change (Repository.read_trial_early)
    __mapper_args__ = {"version_id_col": updated_seq, "version_id_generator": False}
    end_reason: Mapped[str | None] = mapped_column(String(16))
    pruned_step: Mapped[int | None] = mapped_column(Integer)
    # one value per objective and constrained metric (0005); NULL before a report
    metric_values: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    feasible: Mapped[bool | None] = mapped_column(Boolean)

    study: Mapped[StudyRow] = relationship(back_populates="trials")
    intermediate: Mapped[list[IntermediateValueRow]] = relationship(
        back_populates="trial",
        cascade="all, delete-orphan",
        passive_deletes=True,
        order_by="IntermediateValueRow.step",
        lazy="raise",  # curves are read as tuples (Repository._curves), never as objects
    )


class IntermediateValueRow(Base):
    """A value a trial reported at some training step."""

    __tablename__ = "intermediate_values"
    __table_args__ = (UniqueConstraint("trial_id", "step", name="uq_intermediate_trial_step"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    trial_id: Mapped[int] = mapped_column(ForeignKey("trials.id", ondelete="CASCADE"))
    step: Mapped[int] = mapped_column(Integer)
    value: Mapped[float] = mapped_column(Float)

    trial: Mapped[TrialRow] = relationship(back_populates="intermediate")


class TokenRow(Base):
    """An API token: the SHA-256 of its secret (never the secret), role, project, use."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(128))
    role: Mapped[str] = mapped_column(String(16))
    project: Mapped[str | None] = mapped_column(String(64))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(DateTime)
    last_used_at: Mapped[datetime | None] = mapped_column(DateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime)


class ModelFitRow(Base):
    """A fitted GP's hyperparameters, named by the content digest of the fit's inputs, so
    every service process can load what one of them fitted (optimisation/gp/fit_store.py)."""

    __tablename__ = "model_fits"

    digest: Mapped[str] = mapped_column(String(64), primary_key=True)
    payload: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(DateTime)

"""Alembic migration scripts for hpo-service (run through ``hpo db upgrade``)."""

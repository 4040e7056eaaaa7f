"""Health check and the OpenAPI description."""

from __future__ import annotations

from flask import Blueprint, Response, jsonify

from hpo_service import __version__
from hpo_service.api.context import service
from hpo_service.api.openapi import openapi_document

bp = Blueprint("meta", __name__)


@bp.get("/healthz")
def healthz() -> Response:
    """Liveness plus a database round trip."""
    service().database_ping()
    return jsonify({"status": "ok", "version": __version__, "database": service().database.dialect})


@bp.get("/api/v1/openapi.json")
def openapi() -> Response:
    """The OpenAPI 3.1 description of this API."""
    return jsonify(openapi_document())

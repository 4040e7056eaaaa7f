"""Tokens resource (admin only): list, create (the secret is in this one answer), revoke."""

from __future__ import annotations

from flask import Blueprint, Response, jsonify

from hpo_service.api.auth import principal
from hpo_service.api.context import service
from hpo_service.api.decoding import json_body
from hpo_service.errors import Conflict
from hpo_service.service.tokens import parse_role
from hpo_service.wire import token_to_json

bp = Blueprint("tokens", __name__, url_prefix="/api/v1/tokens")


@bp.get("")
def list_all() -> Response:
    """Active tokens by id (all, or those of the caller's project): never their secrets."""
    tokens = service().tokens.listing(principal().scope)
    return jsonify({"tokens": [token_to_json(t) for t in tokens]})


@bp.post("")
def create() -> tuple[Response, int]:
    """Create a token -> 201 with ``token``: the secret, shown this once."""
    body = json_body("TokenCreate")
    token, secret = service().tokens.create(
        body["name"], parse_role(body["role"]), body.get("project"), principal().scope
    )
    return jsonify({**token_to_json(token), "token": secret}), 201


@bp.delete("/<int:token_id>")
def revoke(token_id: int) -> tuple[str, int]:
    """Revoke a token; every process refuses it from the next request on."""
    if token_id == principal().token_id:
        raise Conflict(
            "a token cannot revoke itself over the API (that would lock its holder out); "
            "use another admin token or `hpo token revoke ID` on the server"
        )
    service().tokens.revoke(token_id, principal().scope)
    return "", 204

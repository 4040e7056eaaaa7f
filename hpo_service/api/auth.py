"""Who is calling, decided once per request: a token becomes a Principal(project, role).

``ROLE_TABLE`` is the one place that says which role each endpoint needs (by Flask
endpoint name; ``None`` means public). An endpoint missing from the table needs admin,
so a new view is closed until it is listed. Studies of other projects are never
visible: views pass ``principal().project`` to the service, whose repository filters
by it, so a token of project A gets 404 for every study of project B.

Auth modes: ``required`` (every non-public endpoint needs a valid token) and ``off``
(the laptop default on loopback: every request acts as a project-less admin).
"""

from __future__ import annotations

from dataclasses import dataclass

from flask import Flask, current_app, g, redirect, request, url_for
from werkzeug.wrappers import Response

from hpo_service.access import DEFAULT_PROJECT, Role, check_project
from hpo_service.api.context import service
from hpo_service.errors import Forbidden, Unauthenticated

PROJECT_HEADER = "X-HPO-Project"
COOKIE = "hpo_token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})

ROLE_TABLE: dict[str, Role | None] = {
    # public: liveness, the API description, the dashboard's static files and sign-in
    "meta.healthz": None,
    "meta.openapi": None,
    "dashboard.static": None,
    "dashboard.plotly_js": None,
    "dashboard.signin": None,
    "dashboard.session_create": None,
    "dashboard.session_delete": None,
    # reading a project: the dashboard and every GET
    "dashboard.index": Role.READER,
    "dashboard.study": Role.READER,
    "studies.list_all": Role.READER,
    "studies.read": Role.READER,
    "studies.best": Role.READER,
    "studies.pareto": Role.READER,
    "studies.export": Role.READER,
    "trials.list_page": Role.READER,
    "trials.read": Role.READER,
    "analysis.importance": Role.READER,
    "analysis.ranking": Role.READER,
    "analysis.surrogate": Role.READER,
    # running trials
    "trials.suggest": Role.WORKER,
    "trials.heartbeat": Role.WORKER,
    "trials.intermediate": Role.WORKER,
    "trials.prune": Role.WORKER,
    "trials.report": Role.WORKER,
    "trials.fail": Role.WORKER,
    "trials.release": Role.WORKER,
    "trials.annotate": Role.WORKER,  # metadata such as hpo-trainer rescore's re-scores
    # changing studies
    "studies.create": Role.EDITOR,
    "studies.update": Role.EDITOR,
    "studies.delete": Role.EDITOR,
    "trials.add": Role.EDITOR,
    # tokens
    "tokens.list_all": Role.ADMIN,
    "tokens.create": Role.ADMIN,
    "tokens.revoke": Role.ADMIN,
}


@dataclass(frozen=True)
class Principal:
    """The caller: the project it acts in, its role and its token (None with auth off)."""

    project: str
    role: Role
    token_id: int | None
    scope: str | None  # the token's own project restriction; None: every project


def needed_role(endpoint: str | None) -> Role | None:
    """The minimum role for an endpoint (unknown endpoints need admin)."""
    if endpoint is None:
        return None  # no route matched: the 404 / 405 says nothing about any study
    return ROLE_TABLE.get(endpoint, Role.ADMIN)


def principal() -> Principal:
    """The caller of the current request (set by ``authorize``)."""
    found: Principal = g.hpo_principal
    return found


def _bearer() -> str | None:
    header = request.headers.get("Authorization", "")
    if header:
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise Unauthenticated("use the header `Authorization: Bearer <token>`")
        return token.strip()
    if request.method in SAFE_METHODS:  # the dashboard's cookie never authorises a write
        return request.cookies.get(COOKIE) or None
    return None


def _project(scope: str | None) -> str:
    wanted = request.headers.get(PROJECT_HEADER)
    if wanted is None:
        return scope or DEFAULT_PROJECT
    check_project(wanted)
    if scope is not None and wanted != scope:
        raise Forbidden(f"this token belongs to project {scope!r}, not {wanted!r}")
    return wanted


def _resolve() -> Principal:
    secret = _bearer()
    if secret is None:
        raise Unauthenticated(
            "this service requires an API token: send `Authorization: Bearer <token>` "
            "(create one with `hpo token create --name NAME --role ROLE`)"
        )
    token = service().tokens.authenticate(secret)
    if token is None:
        raise Unauthenticated("the token is unknown or was revoked; ask an admin for a new one")
    return Principal(_project(token.project), token.role, token.id, token.project)


def authorize() -> Response | None:
    """before_request: resolve the caller and check the endpoint's role in ROLE_TABLE."""
    needed = needed_role(request.endpoint)
    if needed is None:
        return None
    if current_mode() == "off":
        g.hpo_principal = Principal(_project(None), Role.ADMIN, None, None)
        return None
    try:
        caller = _resolve()
    except Unauthenticated:
        if request.blueprint == "dashboard":
            return redirect(url_for("dashboard.signin", next=request.full_path.rstrip("?")))
        raise
    if not caller.role.allows(needed):
        raise Forbidden(
            f"{request.method} {request.path} needs role {needed.value} or higher; "
            f"this token has role {caller.role.value}",
            required_role=needed.value,
        )
    g.hpo_principal = caller
    return None


def current_mode() -> str:
    """``required`` or ``off`` for the running app."""
    return str(current_app.config.get("AUTH", "off"))


def register_auth(app: Flask) -> None:
    """Install the per-request authorisation check."""
    app.before_request(authorize)

"""The dashboard: server-rendered pages whose JavaScript reads only the public REST API.

Pages carry the API's base URL (built with ``url_for``, so they work behind a reverse proxy
that sets a URL prefix); the browser fetches everything else. plotly.js (its basic bundle,
vendored from npm with its licence in ``static/vendor/``) is served by the service itself:
no CDN, no network at run time.
"""

from __future__ import annotations

from pathlib import Path

from flask import Blueprint, Response, current_app, render_template, request, send_file

from hpo_service.api.auth import COOKIE
from hpo_service.api.context import project, service
from hpo_service.api.decoding import json_body
from hpo_service.errors import StudyNotFound, Unauthenticated

bp = Blueprint(
    "dashboard",
    __name__,
    template_folder="templates",
    static_folder="static",
    static_url_path="/dashboard/static",
)

ONE_DAY = 24 * 3600
PLOTLY_FILE = Path(__file__).parent / "static" / "vendor" / "plotly-basic-3.7.0.min.js"


@bp.get("/")
def index() -> str:
    """Studies list."""
    return render_template("dashboard/index.html")


@bp.get("/studies/<name>")
def study(name: str) -> str | tuple[str, int]:
    """One study's page (the browser loads its data from the API)."""
    try:
        summary = service().get_study(project(), name)
    except StudyNotFound as error:
        return render_template("dashboard/missing.html", name=name, message=str(error)), 404
    # A hint so the browser can request every page of trials at once, before the summary.
    return render_template("dashboard/study.html", name=name, trials=sum(summary.counts.values()))


@bp.get("/dashboard/vendor/plotly.min.js")
def plotly_js() -> Response:
    """plotly.js, basic bundle (MIT licence: static/vendor/LICENSE-plotly.js.txt)."""
    return send_file(PLOTLY_FILE, mimetype="text/javascript", max_age=ONE_DAY)


SESSION_SECONDS = 7 * 24 * 3600


def _safe_next(target: str | None) -> str:
    """Only a path on this site (never ``//host`` or a scheme) may follow a sign-in."""
    if target and target.startswith("/") and not target.startswith(("//", "/\\")):
        return target
    return ""


@bp.get("/signin")
def signin() -> str:
    """The sign-in page: paste a token; it goes in an HttpOnly, SameSite=Strict cookie."""
    required = current_app.config["AUTH"] == "required"
    return render_template(
        "dashboard/signin.html",
        auth_required=required,
        next_url=_safe_next(request.args.get("next")),
    )


@bp.post("/dashboard/session")
def session_create() -> Response:
    """Check a token and keep it in the dashboard's cookie (read-only use: GETs only)."""
    secret = json_body("SessionCreate")["token"]
    if service().tokens.authenticate(secret) is None:
        raise Unauthenticated("the token is unknown or was revoked")
    response = Response(status=204)
    response.set_cookie(
        COOKIE,
        secret,
        max_age=SESSION_SECONDS,
        httponly=True,
        samesite="Strict",
        secure=request.is_secure,
        path="/",
    )
    return response


@bp.delete("/dashboard/session")
def session_delete() -> Response:
    """Sign out: drop the cookie."""
    response = Response(status=204)
    response.delete_cookie(COOKIE, path="/", httponly=True, samesite="Strict")
    return response

"""The dashboard: server-rendered pages whose JavaScript reads only the public REST API.

Pages carry the API's base URL (built with ``url_for``, so they work behind a reverse proxy
that sets a URL prefix); the browser fetches everything else. plotly.js (its basic bundle,
vendored from npm with its licence in ``static/vendor/``) is served by the service itself:
no CDN, no network at run time.
"""

from __future__ import annotations

from pathlib import Path

from flask import Blueprint, Response, render_template, send_file

from hpo_service.api.context import service
from hpo_service.errors import StudyNotFound

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
        summary = service().get_study(name)
    except StudyNotFound as error:
        return render_template("dashboard/missing.html", name=name, message=str(error)), 404
    # A hint so the browser can request every page of trials at once, before the summary.
    return render_template("dashboard/study.html", name=name, trials=sum(summary.counts.values()))


@bp.get("/dashboard/vendor/plotly.min.js")
def plotly_js() -> Response:
    """plotly.js, basic bundle (MIT licence: static/vendor/LICENSE-plotly.js.txt)."""
    return send_file(PLOTLY_FILE, mimetype="text/javascript", max_age=ONE_DAY)

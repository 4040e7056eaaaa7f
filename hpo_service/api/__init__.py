"""Flask app factory: the only package that imports Flask."""

from __future__ import annotations

import importlib
import logging
import os
from collections.abc import Mapping
from typing import Any

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

from hpo_service.api import analysis, meta, studies, tokens, trials
from hpo_service.api.auth import register_auth
from hpo_service.api.errors import register_error_handlers
from hpo_service.api.security import register_content_type_check, register_security
from hpo_service.persistence import Database, default_database_url, is_sqlite
from hpo_service.persistence.migrate import ensure_current, upgrade
from hpo_service.service import Service, utc_now

log = logging.getLogger(__name__)

MAX_BODY_BYTES = 1024 * 1024
AUTH_MODES = ("off", "required")


def prepare_schema(database: Database, auto_upgrade: bool | None = None) -> None:
    """SQLite upgrades itself to head; PostgreSQL must already be current."""
    if auto_upgrade is None:
        auto_upgrade = is_sqlite(database.url)
    if auto_upgrade:
        upgrade(database.url)
    else:
        ensure_current(database)


def create_app(config: Mapping[str, Any] | None = None) -> Flask:
    """Build the app. Config keys: DATABASE_URL, AUTO_UPGRADE, CLOCK, TRUST_PROXY,
    AUTH ("off" | "required", default $HPO_AUTH, else off) and ALLOWED_HOSTS (names the
    Host header may carry besides loopback; default $HPO_ALLOWED_HOSTS; "*" allows any)."""
    config = dict(config or {})
    app = Flask(__name__, static_folder=None)  # the dashboard blueprint serves its own
    app.config["MAX_CONTENT_LENGTH"] = MAX_BODY_BYTES
    app.json.sort_keys = False  # type: ignore[attr-defined]
    app.config.update(config)
    app.config["AUTH"] = auth_mode(config.get("AUTH"))
    url = config.get("DATABASE_URL") or default_database_url()
    database = Database(url)
    try:
        prepare_schema(database, config.get("AUTO_UPGRADE"))
    except Exception:
        database.dispose()
        raise
    app.extensions["hpo_service"] = Service(database, config.get("CLOCK", utc_now))
    register_security(app, config.get("ALLOWED_HOSTS", os.environ.get("HPO_ALLOWED_HOSTS")))
    register_auth(app)
    register_content_type_check(app)
    for blueprint in (meta.bp, studies.bp, trials.bp, analysis.bp, tokens.bp):
        app.register_blueprint(blueprint)
    _register_dashboard(app)
    register_error_handlers(app)
    if config.get("TRUST_PROXY", os.environ.get("HPO_TRUST_PROXY") == "1"):
        app.wsgi_app = ProxyFix(  # type: ignore[method-assign]
            app.wsgi_app, x_for=1, x_proto=1, x_host=1, x_prefix=1
        )
    return app


def auth_mode(configured: str | None) -> str:
    """The auth mode from config, else $HPO_AUTH, else "off"; ValueError if unknown."""
    mode = (configured or os.environ.get("HPO_AUTH") or "off").strip().lower()
    if mode not in AUTH_MODES:
        raise ValueError(f"auth mode must be one of {AUTH_MODES}, got {mode!r}")
    return mode


def _register_dashboard(app: Flask) -> None:
    try:
        dashboard = importlib.import_module("hpo_service.api.dashboard")
    except ModuleNotFoundError:
        return
    app.register_blueprint(dashboard.bp)

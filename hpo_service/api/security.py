"""Edge hardening for every request: request ids, the Host check, JSON-only writes, headers.

- Every response carries ``X-Request-ID``; errors log it with the details they do not send.
- The Host header must name one of ``ALLOWED_HOSTS`` (DNS rebinding: a web page whose
  domain suddenly resolves to 127.0.0.1 still sends its own name as Host). ``*`` allows any.
- Writes (POST, PUT, PATCH) must be ``application/json``: an HTML form or a no-CORS
  ``fetch`` from another site cannot send that content type (cross-site request forgery).
- Security headers on every response, including a Content-Security-Policy that forbids
  inline and foreign scripts and framing.
"""

from __future__ import annotations

import uuid

from flask import Flask, current_app, g, request
from werkzeug.wrappers import Response

from hpo_service.errors import HostNotAllowed, UnsupportedMediaType

LOOPBACK_HOSTS = ("localhost", "127.0.0.1", "::1")
WRITE_METHODS = frozenset({"POST", "PUT", "PATCH"})
CSP = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self' 'unsafe-inline'",  # plotly.js sets styles at run time
        "img-src 'self' data: blob:",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)
HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Content-Security-Policy": CSP,
    "Referrer-Policy": "no-referrer",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Cross-Origin-Resource-Policy": "same-origin",
}


def request_id() -> str:
    """The id of the current request (logged with every error, returned to the client)."""
    rid: str | None = g.get("hpo_request_id")
    if rid is None:
        rid = uuid.uuid4().hex[:16]
        g.hpo_request_id = rid
    return rid


def _start() -> None:
    request_id()


def host_name(host: str) -> str:
    """The name part of a Host header: no port, IPv6 brackets removed, lower case."""
    if host.startswith("["):
        return host[1:].split("]", 1)[0].lower()
    return host.rsplit(":", 1)[0].lower() if host.count(":") == 1 else host.lower()


def allowed_hosts(configured: str | list[str] | tuple[str, ...] | None) -> tuple[str, ...]:
    """Loopback names plus the configured ones (a comma-separated string or a list)."""
    if isinstance(configured, str):
        configured = configured.split(",")
    extra = tuple(name.strip().lower() for name in configured or () if name.strip())
    return LOOPBACK_HOSTS + extra


def check_host() -> None:
    """before_request: refuse a Host header the service was not configured for."""
    allowed = current_app.config["HPO_ALLOWED_HOSTS"]
    if "*" in allowed:
        return
    name = host_name(request.host)
    if name not in allowed:
        raise HostNotAllowed(
            f"this service does not answer for host {name!r}; add it with "
            "`hpo serve --allowed-host NAME` or HPO_ALLOWED_HOSTS"
        )


def check_content_type() -> None:
    """before_request: write requests must say their body is application/json."""
    if request.routing_exception is not None:
        return  # 404 / 405 first: there is nothing here to write to
    if request.method in WRITE_METHODS and request.mimetype != "application/json":
        got = request.mimetype or "no Content-Type"
        raise UnsupportedMediaType(
            f"{request.method} needs a JSON body with `Content-Type: application/json` (got {got})"
        )


def add_headers(response: Response) -> Response:
    """after_request: security headers and the request id on every response."""
    for name, value in HEADERS.items():
        response.headers.setdefault(name, value)
    response.headers["X-Request-ID"] = request_id()
    return response


def register_security(app: Flask, configured_hosts: str | list[str] | None) -> None:
    """Install the request id, Host and content-type checks and the response headers."""
    app.config["HPO_ALLOWED_HOSTS"] = allowed_hosts(configured_hosts)
    app.before_request(_start)
    app.before_request(check_host)
    app.after_request(add_headers)


def register_content_type_check(app: Flask) -> None:
    """Install the JSON-only check (after authentication: a 401 comes before a 415)."""
    app.before_request(check_content_type)

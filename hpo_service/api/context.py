"""Access to the app's Service from views."""

from __future__ import annotations

from typing import cast

from flask import current_app, g

from hpo_service.service import Service


def service() -> Service:
    """The Service bound to the running app."""
    return cast(Service, current_app.extensions["hpo_service"])


def project() -> str:
    """The caller's project, decided once by ``api.auth`` before any view runs."""
    return cast(str, g.hpo_principal.project)

"""Access to the app's Service from views."""

from __future__ import annotations

from typing import cast

from flask import current_app

from hpo_service.service import Service


def service() -> Service:
    """The Service bound to the running app."""
    return cast(Service, current_app.extensions["hpo_service"])

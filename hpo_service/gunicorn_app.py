"""Production serving: gunicorn with several worker processes over one database."""

from __future__ import annotations

from typing import Any

from gunicorn.app.base import BaseApplication

# How long an idle keep-alive connection stays open. It must outlast the clients' own idle
# limit (httpx, which the project's client and trainer use: 5 s) and a load balancer's
# (60 s on AWS ALB): the side that closes an idle connection must be the client, else a
# request sent as the server closes it gets no answer ("server disconnected without
# sending a response"). gunicorn's default, 2 s, made that race routine for workers whose
# trials last 2-5 s.
KEEPALIVE_SECONDS = 75


class _Application(BaseApplication):  # type: ignore[misc]
    def __init__(self, config: dict[str, Any], options: dict[str, Any]) -> None:
        self.config = config
        self.options = options
        super().__init__()

    def load_config(self) -> None:
        for key, value in self.options.items():
            self.cfg.set(key, value)

    def load(self) -> Any:
        from hpo_service.api import create_app

        # The parent migrated before forking; a worker only checks (no DDL, no lock race).
        return create_app({**self.config, "AUTO_UPGRADE": False})


def run_gunicorn(
    config: dict[str, Any], host: str, port: int, workers: int, threads: int = 4
) -> None:
    """Serve ``create_app(config)`` with gunicorn, ``workers`` processes of ``threads``
    request threads; the caller migrated, each worker checks the schema is current."""
    _Application(
        config,
        {
            "bind": f"{host}:{port}",
            "workers": workers,
            "threads": threads,
            "worker_class": "gthread",
            "timeout": 60,
            "keepalive": KEEPALIVE_SECONDS,
            "accesslog": "-",
        },
    ).run()

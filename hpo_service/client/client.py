"""The Client: studies by name over the REST API v1 (httpx; no flask, sqlalchemy or numpy)."""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from types import TracebackType
from typing import Any

import httpx

from hpo_service.client.http import Http, RetryPolicy
from hpo_service.client.study import StudyHandle, summary_from_json
from hpo_service.domain import Param, StudySummary
from hpo_service.errors import StudyAlreadyExists
from hpo_service.objectives import Constraint, Objective, constraint_to_json
from hpo_service.wire import param_to_json

DEFAULT_URL = "http://127.0.0.1:8000"
SpaceSpec = Sequence[Mapping[str, Any] | Param]


def default_url() -> str:
    """``$HPO_URL`` if set (one URL or several, comma-separated), else the local default."""
    return os.environ.get("HPO_URL") or DEFAULT_URL


def auth_headers(token: str | None, project: str | None) -> dict[str, str]:
    """The Authorization and project headers (token: the argument, else ``$HPO_TOKEN``,
    else the contents of the file named by ``$HPO_TOKEN_FILE``, e.g. a Docker secret)."""
    headers: dict[str, str] = {}
    token = token or os.environ.get("HPO_TOKEN")
    token_file = os.environ.get("HPO_TOKEN_FILE")
    if not token and token_file:
        token = Path(token_file).read_text().strip()
    if token:
        headers["Authorization"] = f"Bearer {token}"
    project = project or os.environ.get("HPO_PROJECT")
    if project:
        headers["X-HPO-Project"] = project
    return headers


class Client:
    """A connection to an hpo-service; thread-safe, so one per process is enough.

    Args:
        url: base address of the service (default ``$HPO_URL``, else http://127.0.0.1:8000);
            a list or a comma-separated string names several instances on one database,
            and the client fails over between them.
        timeout: seconds per HTTP attempt.
        retries: extra attempts on connection errors and 502/503/504 (never on a 4xx).
        transport: an httpx transport, e.g. ``httpx.WSGITransport(app=app)`` in tests.
        backoff: first retry delay in seconds; it doubles (with jitter) up to ``max_backoff``.
        token: API token (default ``$HPO_TOKEN``); a 401 raises Unauthenticated and a 403
            Forbidden, whose message names the role the call needs.
        project: the project to act in with a project-less admin token (default
            ``$HPO_PROJECT``, else the token's own project or ``default``).
    """

    def __init__(
        self,
        url: str | Sequence[str] | None = None,
        timeout: float = 30.0,
        retries: int = 5,
        transport: httpx.BaseTransport | None = None,
        backoff: float = 0.5,
        max_backoff: float = 10.0,
        sleep: Callable[[float], None] | None = None,
        token: str | None = None,
        project: str | None = None,
    ) -> None:
        policy = RetryPolicy(retries=retries, backoff=backoff, max_backoff=max_backoff)
        extra = {"sleep": sleep} if sleep is not None else {}
        headers = auth_headers(token, project)
        self.http = Http(url or default_url(), timeout, policy, transport, headers=headers, **extra)

    @property
    def url(self) -> str:
        """The service's base address in use now (the one that last answered)."""
        return self.http.url

    @property
    def urls(self) -> tuple[str, ...]:
        """Every service address this client may use, in failover order."""
        return self.http.urls

    def __enter__(self) -> Client:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        """Close pooled connections."""
        self.http.close()

    def health(self) -> dict[str, Any]:
        """GET /healthz: liveness and a database round trip."""
        answer: dict[str, Any] = self.http.request("GET", "/healthz")
        return answer

    def create_study(
        self,
        name: str,
        space: SpaceSpec,
        *,
        direction: str | None = None,
        metric: str | None = None,
        strategy: Mapping[str, Any] | None = None,
        exist_ok: bool = False,
        **options: Any,
    ) -> StudyHandle:
        """Create a study; ``options``: max_trials, lease_seconds, max_retries, seed,
        description, pruner (e.g. ``{"name": "median"}``), objectives (e.g.
        ``[{"name": "acc", "direction": "maximize"}, {"name": "secs", "direction":
        "minimize"}]``), constraints (``[{"name": "secs", "max": 60}]``), reference_point.

        Without objectives the study has one, ``direction`` (minimize) and ``metric`` (value).

        With ``exist_ok`` an existing study of that name is returned as it is (not compared).
        Raises InvalidSearchSpace, InvalidStrategy, InvalidRequest or StudyAlreadyExists.
        """
        body: dict[str, Any] = {
            "name": name,
            "space": [param_to_json(p) if not isinstance(p, Mapping) else dict(p) for p in space],
            **{k: _plain(v) for k, v in options.items() if v is not None},
        }
        several = "objectives" in body
        if direction is not None or not several:
            body["direction"] = direction or "minimize"
        if metric is not None or not several:
            body["metric"] = metric or "value"
        if strategy is not None:
            body["strategy"] = dict(strategy)
        try:
            answer = self.http.request("POST", "/api/v1/studies", json=body, safe=False)
        except StudyAlreadyExists:
            if not exist_ok:
                raise
            return self.get_study(name)
        return StudyHandle(self.http, name, summary_from_json(answer))

    def get_study(self, name: str) -> StudyHandle:
        """A handle on an existing study (raises StudyNotFound)."""
        handle = StudyHandle(self.http, name)
        handle.summary()
        return handle

    def study(self, name: str) -> StudyHandle:
        """A handle on a study by name, without a request (errors surface on first use)."""
        return StudyHandle(self.http, name)

    def list_studies(self) -> list[StudySummary]:
        """Every study with trial counts per state and best value."""
        answer = self.http.request("GET", "/api/v1/studies")
        return [summary_from_json(s) for s in answer["studies"]]


def _plain(option: Any) -> Any:
    """Objective / Constraint dataclasses (and lists of them) as their JSON objects."""
    if isinstance(option, list | tuple):
        return [_plain(item) for item in option]
    if isinstance(option, Objective):
        return {"name": option.name, "direction": option.direction}
    if isinstance(option, Constraint):
        return {k: v for k, v in constraint_to_json(option).items() if v is not None}
    return option

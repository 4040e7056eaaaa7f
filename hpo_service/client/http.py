"""The client's HTTP edge: one request with retries, backoff and problem+json error mapping.

Retry policy (see docs/client.md):

- Connection errors and 502 / 503 / 504 are retried with exponential backoff and jitter,
  honouring ``Retry-After``; a 4xx is never retried.
- A request marked ``safe`` (idempotent on the server: reads, report, fail, heartbeat, and
  suggest by design) is also retried when the outcome is unknown (timeout, dropped
  connection). A request that is not safe (create a study, queue or record a trial) is only
  retried when it certainly did not take effect: the connection was refused, or the service
  answered 503 (its transaction rolled back).
"""

from __future__ import annotations

import email.utils
import logging
import random
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import httpx

from hpo_service.errors import HpoError, ServerError, ServiceUnavailable, error_class_for

log = logging.getLogger("hpo_service.client")

RETRY_STATUSES = frozenset({502, 503, 504})
PROBLEM_JSON = "application/problem+json"


@dataclass(frozen=True)
class RetryPolicy:
    """How often and how long to retry: ``retries`` extra attempts, delays doubling to a cap."""

    retries: int = 5
    backoff: float = 0.5
    max_backoff: float = 10.0

    def delay(self, attempt: int, retry_after: float | None = None) -> float:
        """Seconds before retry ``attempt`` (0-based): Retry-After, else jittered backoff."""
        if retry_after is not None:
            return min(max(retry_after, 0.0), self.max_backoff)
        ceiling = min(self.max_backoff, self.backoff * 2.0**attempt)
        return random.uniform(ceiling / 2.0, ceiling)


def retry_after_seconds(
    value: str | None, now: Callable[[], datetime] | None = None
) -> float | None:
    """Parse a Retry-After header (delta-seconds or an HTTP date) into seconds, or None."""
    if not value:
        return None
    text = value.strip()
    if text.isdigit():
        return float(text)
    try:
        when = email.utils.parsedate_to_datetime(text)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    current = now() if now is not None else datetime.now(UTC)
    return max(0.0, (when - current).total_seconds())


def error_from_response(response: httpx.Response) -> HpoError:
    """The HpoError subclass named by a problem+json ``code``, with the server's message."""
    body: Any = None
    if response.headers.get("content-type", "").startswith(
        ("application/problem+json", "application/json")
    ):
        try:
            body = response.json()
        except ValueError:
            body = None
    if isinstance(body, dict) and isinstance(body.get("code"), str):
        cls = error_class_for(body["code"])
        detail = str(body.get("detail") or body.get("title") or response.reason_phrase)
        return cls(detail, status=response.status_code)
    text = response.text.strip()[:500] or response.reason_phrase
    if response.status_code in RETRY_STATUSES:
        return ServiceUnavailable(
            f"HTTP {response.status_code}: {text}", status=response.status_code
        )
    if response.status_code >= 500:
        return ServerError(f"HTTP {response.status_code}: {text}", status=response.status_code)
    return HpoError(f"HTTP {response.status_code}: {text}", status=response.status_code)


class Http:
    """An httpx.Client plus the retry policy; every request returns decoded JSON or raises."""

    def __init__(
        self,
        url: str,
        timeout: float,
        policy: RetryPolicy,
        transport: httpx.BaseTransport | None = None,
        sleep: Callable[[float], None] = time.sleep,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        self.url = url.rstrip("/")
        self.policy = policy
        self.sleep = sleep
        self._client = httpx.Client(
            base_url=self.url,
            timeout=timeout,
            transport=transport,
            headers={"Accept": "application/json", **(headers or {})},
        )

    def close(self) -> None:
        """Close pooled connections."""
        self._client.close()

    def request(
        self,
        method: str,
        path: str,
        *,
        json: Mapping[str, Any] | None = None,
        params: Mapping[str, Any] | None = None,
        safe: bool = True,
        retries: int | None = None,
    ) -> Any:
        """Send one request with retries; return the JSON body (None if empty) or raise HpoError."""
        limit = self.policy.retries if retries is None else retries
        attempt = 0
        while True:
            outcome = self._attempt(method, path, json, params, safe)
            if not isinstance(outcome, _Retry):
                return outcome
            if attempt >= limit:
                raise outcome.error
            wait = self.policy.delay(attempt, outcome.retry_after)
            log.warning(
                "%s %s: %s; retry %d/%d in %.1f s",
                method,
                path,
                outcome.error,
                attempt + 1,
                limit,
                wait,
            )
            self.sleep(wait)
            attempt += 1

    def _attempt(
        self,
        method: str,
        path: str,
        json: Mapping[str, Any] | None,
        params: Mapping[str, Any] | None,
        safe: bool,
    ) -> Any:
        try:
            response = self._client.request(method, path, json=json, params=params)
        except httpx.TransportError as exc:
            unreachable = ServiceUnavailable(
                f"cannot reach {self.url}: {type(exc).__name__}: {exc}"
            )
            if safe or isinstance(exc, httpx.ConnectError):
                return _Retry(unreachable, None)
            raise unreachable from exc
        if response.is_success:
            return response.json() if response.content else None
        error = error_from_response(response)
        status = response.status_code
        if status in RETRY_STATUSES and (safe or status == 503):
            return _Retry(error, retry_after_seconds(response.headers.get("retry-after")))
        raise error


@dataclass(frozen=True)
class _Retry:
    """An attempt that may be retried, with the error to raise if no retry is left."""

    error: HpoError
    retry_after: float | None

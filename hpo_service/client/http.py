"""The client's HTTP edge: one request with retries, failover, backoff and error mapping.

Retry policy (see docs/client.md), the one every retry loop of the client and the trainer uses:

- Connection errors and 502 / 503 / 504 are retried with exponential backoff and jitter,
  honouring ``Retry-After``; a 4xx is never retried.
- A request marked ``safe`` (idempotent on the server: reads, report, fail, heartbeat, and
  suggest by design) is also retried when the outcome is unknown (timeout, dropped
  connection). A request that is not safe (create a study, queue or record a trial) is only
  retried when it certainly did not take effect: the connection was refused, or the service
  answered 503 (its transaction rolled back).
- Several service URLs (a list, or comma-separated in one string) share one database: a request
  sticks to the URL that last answered; a retryable failure moves on to the next URL at once
  (round-robin), and the backoff delay is only slept once every URL failed in a round.
"""

from __future__ import annotations

import email.utils
import logging
import random
import threading
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
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
    """How often and how long to retry: ``retries`` extra rounds, delays doubling to a cap.

    The single backoff rule of the client, the worker loop and the trainer: the n-th wait
    (0-based) is drawn uniformly from ``[d/2, d]`` with ``d = min(max_backoff, backoff * 2**n)``.
    """

    retries: int = 5
    backoff: float = 0.5
    max_backoff: float = 10.0

    def delay(self, attempt: int, retry_after: float | None = None) -> float:
        """Seconds before retry ``attempt`` (0-based): Retry-After, else jittered backoff."""
        if retry_after is not None:
            return min(max(retry_after, 0.0), self.max_backoff)
        ceiling = min(self.max_backoff, self.backoff * 2.0 ** min(attempt, 62))
        return random.uniform(ceiling / 2.0, ceiling)


def split_urls(urls: str | Iterable[str]) -> tuple[str, ...]:
    """Service base URLs from a list or a comma-separated string, without trailing slashes."""
    parts = urls.split(",") if isinstance(urls, str) else list(urls)
    cleaned = tuple(part.strip().rstrip("/") for part in parts if part.strip())
    if not cleaned:
        raise ValueError("no service URL given: pass one or more, e.g. http://127.0.0.1:8000")
    return cleaned


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
    """One httpx.Client per service URL plus the retry policy; returns decoded JSON or raises."""

    def __init__(
        self,
        url: str | Sequence[str],
        timeout: float,
        policy: RetryPolicy,
        transport: httpx.BaseTransport | None = None,
        sleep: Callable[[float], None] = time.sleep,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        self.urls = split_urls(url)
        self.policy = policy
        self.sleep = sleep
        self._current = 0
        self._lock = threading.Lock()
        self._clients = [
            httpx.Client(
                base_url=base,
                timeout=timeout,
                transport=transport,
                headers={"Accept": "application/json", **(headers or {})},
            )
            for base in self.urls
        ]

    @property
    def url(self) -> str:
        """The URL requests go to now (the one that last answered)."""
        return self.urls[self._current]

    def close(self) -> None:
        """Close pooled connections."""
        for client in self._clients:
            client.close()

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
        """Send one request with failover and retries; return the JSON body or raise HpoError."""
        limit = self.policy.retries if retries is None else retries
        attempt = 0
        failed_in_round = 0
        while True:
            index = self._current
            outcome = self._attempt(index, method, path, json, params, safe)
            if not isinstance(outcome, _Retry):
                return outcome
            failed_in_round += 1
            self._fail_over(index)
            if failed_in_round < len(self.urls):
                continue  # another instance may answer right away
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
            failed_in_round = 0

    def _fail_over(self, index: int) -> None:
        """Move on to the next URL, unless another thread already did."""
        with self._lock:
            if self._current == index:
                self._current = (index + 1) % len(self.urls)

    def _attempt(
        self,
        index: int,
        method: str,
        path: str,
        json: Mapping[str, Any] | None,
        params: Mapping[str, Any] | None,
        safe: bool,
    ) -> Any:
        try:
            response = self._clients[index].request(method, path, json=json, params=params)
        except httpx.TransportError as exc:
            unreachable = ServiceUnavailable(
                f"cannot reach {self.urls[index]}: {type(exc).__name__}: {exc}"
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

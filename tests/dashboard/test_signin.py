"""The dashboard with authentication required: sign in with a reader token in a real browser
(the page fixture fails on any console error, so a Content-Security-Policy violation fails)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.dashboard import studies
from tests.security.test_schemathesis import admin_token
from tests.servers import ServerProcess

pytestmark = pytest.mark.browser


@pytest.fixture
def auth_server(tmp_path: Path) -> Iterator[tuple[str, str]]:
    """A server with auth required, one study in it, and a reader token for the browser."""
    url = f"sqlite:///{tmp_path / 'dash.db'}"
    admin = admin_token(url)
    server = ServerProcess(url, args=["--auth", "required"], log_path=tmp_path / "s.log").start()
    headers = {"Authorization": f"Bearer {admin}"}
    try:
        with httpx.Client(base_url=f"{server.url}/api/v1", headers=headers, timeout=30) as api:
            studies.create(api, "locked-study", strategy={"name": "random"})
            studies.record(api, "locked-study", [0.5, 0.7, 0.6])
            reader = api.post("/tokens", json={"name": "browser", "role": "reader"}).json()
        yield server.url, reader["token"]
    finally:
        server.stop()


def test_sign_in_with_a_reader_token_then_read_a_study(
    page: Any, auth_server: tuple[str, str]
) -> None:
    base, token = auth_server
    page.goto(f"{base}/studies/locked-study")
    assert "/signin" in page.url
    csp = page.evaluate(
        "() => fetch(location.href).then(r => r.headers.get('content-security-policy'))"
    )
    assert "script-src 'self'" in csp
    page.fill("#token", "hpo_wrong")
    page.click("#signin-form button")
    page.wait_for_selector("#signin-error:text('revoked')")
    page.console_errors.clear()  # the browser logs the 401 of the failed attempt
    page.fill("#token", token)
    page.click("#signin-form button")
    page.wait_for_function("() => document.body.dataset.loaded", timeout=20_000)
    assert page.url.endswith("/studies/locked-study")
    assert page.inner_text("#study-name") == "locked-study"
    cookies = page.context.cookies(base)
    assert [(c["name"], c["httpOnly"], c["sameSite"]) for c in cookies] == [
        ("hpo_token", True, "Strict")
    ]
    page.goto(f"{base}/")
    page.wait_for_selector("#studies-table a:text('locked-study')")
    page.context.clear_cookies()

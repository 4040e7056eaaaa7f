"""Browser fixtures: the real app served by a real server thread under a URL prefix, and
Debian's Chromium driven by Playwright (never a downloaded browser).

Under CI=true a missing Chromium or Playwright fails the tests; elsewhere they are skipped
with the reason.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from werkzeug.exceptions import NotFound
from werkzeug.middleware.dispatcher import DispatcherMiddleware
from werkzeug.serving import make_server

from hpo_service.api import create_app

CHROMIUM = os.environ.get("HPO_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
PREFIX = "/hpo"  # every page is served behind this prefix, as behind a reverse proxy
IN_CI = os.environ.get("CI", "").lower() == "true"


def _unavailable(reason: str) -> None:
    if IN_CI:
        pytest.fail(f"{reason} (required under CI=true)")
    pytest.skip(reason)


@pytest.fixture(scope="session")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Base URL (with prefix) of the app on a fresh SQLite file, served by a real server."""
    url = f"sqlite:///{tmp_path_factory.mktemp('dashboard') / 'hpo.db'}"
    app = create_app({"DATABASE_URL": url, "AUTO_UPGRADE": True})
    prefixed = DispatcherMiddleware(NotFound(), {PREFIX: app.wsgi_app})
    httpd = make_server("127.0.0.1", 0, prefixed, threaded=True)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_port}{PREFIX}"
    httpd.shutdown()
    thread.join(5)
    httpd.server_close()
    app.extensions["hpo_service"].database.dispose()


@pytest.fixture
def api(server: str) -> Iterator[httpx.Client]:
    """An HTTP client on the server's REST API."""
    with httpx.Client(base_url=f"{server}/api/v1", timeout=30) as client:
        yield client


@pytest.fixture(scope="session")
def browser_context(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """One Chromium and one context for the session (its HTTP cache keeps plotly.js warm)."""
    if not Path(CHROMIUM).exists():
        _unavailable(f"Chromium not found at {CHROMIUM}; apt-get install chromium")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _unavailable("playwright is not installed; pip install -e '.[dev]'")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        context = browser.new_context(
            accept_downloads=True, viewport={"width": 1280, "height": 900}
        )
        yield context
        context.close()
        browser.close()


@pytest.fixture
def gp_engine() -> None:
    """Skip (fail under CI) when the gp strategy or its posterior slice is not built in."""
    from hpo_service import optimisation

    if "gp" not in optimisation.FACTORIES or not hasattr(optimisation, "posterior_slice"):
        _unavailable("the gp strategy (with posterior_slice) is not registered in this build")


@pytest.fixture
def page(browser_context: Any) -> Iterator[Any]:
    """A fresh page; any console error or uncaught exception fails the test."""
    page = browser_context.new_page()
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.console_errors = errors
    yield page
    page.close()
    assert errors == [], f"JavaScript errors in the console: {errors}"

"""The dashboard's server side without a browser: pages, assets and a proxy's URL prefix."""

from __future__ import annotations

from pathlib import Path

from flask.testing import FlaskClient

from hpo_service.api import create_app
from tests.conftest import study_body


def test_pages_link_everything_under_the_proxy_prefix(tmp_path: Path) -> None:
    app = create_app({"DATABASE_URL": f"sqlite:///{tmp_path / 'hpo.db'}", "TRUST_PROXY": True})
    client = app.test_client()
    client.post("/api/v1/studies", json=study_body())
    headers = {"X-Forwarded-Prefix": "/hpo", "X-Forwarded-Proto": "https"}
    page = client.get("/studies/cancer-mlp", headers=headers).get_data(as_text=True)
    assert 'data-api="/hpo/api/v1/studies"' in page
    assert 'data-plotly="/hpo/dashboard/vendor/plotly.min.js"' in page
    assert 'href="/hpo/api/v1/studies/cancer-mlp/export?format=csv"' in page
    assert 'src="/hpo/dashboard/static/dashboard/study.js"' in page
    assert 'href="/hpo/"' in page
    app.extensions["hpo_service"].database.dispose()


def test_pages_and_assets_are_served(client: FlaskClient) -> None:
    client.post("/api/v1/studies", json=study_body())
    index = client.get("/")
    assert index.status_code == 200 and "<h1>Studies</h1>" in index.get_data(as_text=True)
    study = client.get("/studies/cancer-mlp").get_data(as_text=True)
    assert 'data-trials="0"' in study
    assert '<label for="state-filter">' in study and 'aria-live="polite"' in study
    plotly = client.get("/dashboard/vendor/plotly.min.js")
    assert plotly.status_code == 200 and plotly.mimetype == "text/javascript"
    assert plotly.cache_control.max_age == 86400
    assert len(plotly.data) > 1_000_000
    plotly.close()
    css = client.get("/dashboard/static/dashboard/dashboard.css")
    assert css.status_code == 200
    css.close()


def test_a_missing_study_has_an_html_404(client: FlaskClient) -> None:
    response = client.get("/studies/nope")
    assert response.status_code == 404 and response.mimetype == "text/html"
    assert "No study called" in response.get_data(as_text=True)

"""Schemathesis against a live `hpo serve` with authentication, on SQLite and PostgreSQL.

Every response must be documented (status, content type, headers) and match its schema,
and nothing may be a 500. The seed is fixed so a CI failure reproduces locally with the
command printed in the output.
"""

from __future__ import annotations

import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.conftest import study_body, temporary_postgres
from tests.servers import ServerProcess

CHECKS = ",".join(
    [
        "not_a_server_error",
        "status_code_conformance",
        "content_type_conformance",
        "response_headers_conformance",
        "response_schema_conformance",
    ]
)
MAX_EXAMPLES = 25  # per operation and phase: about 1,300 cases per backend
MIN_CASES = 1000
SEED = 20261202


def hpo(*args: str) -> subprocess.CompletedProcess[str]:
    """Run the `hpo` command line."""
    return subprocess.run(
        [sys.executable, "-m", "hpo_service.cli", *args],
        capture_output=True,
        text=True,
        timeout=120,
    )


def admin_token(url: str) -> str:
    """Create an admin token with `hpo token create`; the token is its last line."""
    done = hpo(
        "token", "create", "--name", "schemathesis", "--role", "admin", "--database-url", url
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.strip().splitlines()[-1]


def run_schemathesis(base_url: str, token: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    """schemathesis run with the conformance checks (in ``cwd``: it writes a cache there)."""
    command = [
        str(Path(sys.executable).with_name("schemathesis")),
        "run",
        f"{base_url}/api/v1/openapi.json",
        "--header",
        f"Authorization: Bearer {token}",
        "--generation-with-security-parameters",
        "false",
        "--checks",
        CHECKS,
        "--phases",
        "examples,coverage,fuzzing",
        "--max-examples",
        str(MAX_EXAMPLES),
        "--seed",
        str(SEED),
        "--workers",
        "1",
        "--no-color",
        "--generation-database",
        "none",
    ]
    return subprocess.run(command, capture_output=True, text=True, timeout=600, cwd=cwd)


def generated_cases(output: str) -> int:
    """The number of test cases schemathesis reports having generated."""
    found = re.search(r"(\d+) generated", output)
    assert found, output[-3000:]
    return int(found.group(1))


def seed_example_study(base_url: str, token: str) -> None:
    """The study the document's path examples name, with trials, so the examples and
    coverage phases reach past the 404 into the real answers."""
    headers = {"Authorization": f"Bearer {token}"}
    study = f"{base_url}/api/v1/studies/cancer-mlp"
    with httpx.Client(headers=headers, timeout=60) as api:
        body = study_body(max_trials=None, strategy={"name": "gp", "seed": 0})
        assert api.post(f"{base_url}/api/v1/studies", json=body).status_code == 201
        for value in (0.8, 0.9, 0.85):
            trial = api.post(f"{study}/suggestions", json={}).json()["trials"][0]
            api.post(f"{study}/trials/{trial['number']}/report", json={"value": value})
        assert api.post(f"{study}/suggestions", json={"count": 2}).status_code == 200


@pytest.fixture(params=["sqlite", "postgres"])
def served_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A database at head (SQLite file or a temporary PostgreSQL database)."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'st.db'}"
        return
    with temporary_postgres("hpo_st") as url:
        assert hpo("db", "upgrade", "--database-url", url).returncode == 0
        yield url


@pytest.mark.slow
def test_schemathesis_finds_no_failure_with_auth(served_url: str, tmp_path: Path) -> None:
    token = admin_token(served_url)
    server = ServerProcess(
        served_url, args=["--auth", "required"], log_path=tmp_path / "server.log"
    ).start()
    try:
        seed_example_study(server.url, token)
        done = run_schemathesis(server.url, token, tmp_path)
    finally:
        server.stop()
    output = done.stdout + done.stderr
    assert token not in output  # schemathesis filters the Authorization header
    assert done.returncode == 0, output[-6000:]
    assert generated_cases(output) >= MIN_CASES, output[-2000:]

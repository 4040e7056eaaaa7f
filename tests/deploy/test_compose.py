"""docker-compose.yml and Dockerfile, tested without a Docker engine: structure and commands."""

from __future__ import annotations

import json
import os
import shlex
import subprocess
import sys
from pathlib import Path
from typing import Any

import yaml

from hpo_service.cli import _parser
from tests.conftest import REPO_ROOT, temporary_postgres
from tests.servers import ServerProcess

COMPOSE = yaml.safe_load((REPO_ROOT / "docker-compose.yml").read_text())


def _service(name: str) -> dict[str, Any]:
    service: dict[str, Any] = COMPOSE["services"][name]
    return service


def _shell_steps(name: str) -> list[list[str]]:
    """The `sh -c` command of a compose service, split at && and ;."""
    command = _service(name)["command"]
    assert command[:2] == ["sh", "-c"]
    steps = command[2].replace("||", ";").replace("&&", ";").split(";")
    return [shlex.split(step.strip().removeprefix("exec ")) for step in steps if step.strip()]


def test_services_healthchecks_and_ordering() -> None:
    assert set(COMPOSE["services"]) == {"postgres", "service", "trainer"}
    for name in COMPOSE["services"]:
        if name != "trainer":
            assert _service(name)["healthcheck"]["test"]
    assert _service("service")["depends_on"]["postgres"]["condition"] == "service_healthy"
    assert _service("trainer")["depends_on"]["service"]["condition"] == "service_healthy"
    url = _service("service")["environment"]["HPO_DATABASE_URL"]
    env = _service("postgres")["environment"]
    assert url == f"postgresql://{env['POSTGRES_USER']}@postgres:5432/{env['POSTGRES_DB']}"


def test_no_password_or_token_is_in_the_compose_file() -> None:
    text = (REPO_ROOT / "docker-compose.yml").read_text()
    assert "POSTGRES_PASSWORD:" not in text and "hpo_" not in text.replace("hpo_token", "")
    postgres, service, trainer = (_service(n) for n in ("postgres", "service", "trainer"))
    assert postgres["environment"]["POSTGRES_PASSWORD_FILE"] == "/run/secrets/postgres_password"
    assert service["environment"]["HPO_DATABASE_PASSWORD_FILE"] == "/run/secrets/postgres_password"
    assert trainer["environment"]["HPO_TOKEN_FILE"] == "/run/secrets/hpo_token"
    assert set(service["secrets"]) == {"postgres_password", "hpo_token"}
    for secret in COMPOSE["secrets"].values():
        assert secret["file"].startswith("${HPO_SECRETS_DIR:-./secrets}/")
    assert service["environment"]["HPO_AUTH"] == "required"
    assert service["ports"] == ["${HPO_PUBLISH_ADDRESS:-127.0.0.1}:8000:8000"]


def test_service_command_migrates_registers_the_token_then_serves_with_auth() -> None:
    steps = _shell_steps("service")
    assert steps[0] == ["hpo", "db", "upgrade"]
    token = _parser().parse_args(steps[1][1:])
    assert (token.token_command, token.role, token.secret_file) == (
        "create",
        "editor",
        "/run/secrets/hpo_token",
    )
    serve = _parser().parse_args(steps[2][1:])
    assert (serve.command, serve.host, serve.port, serve.workers, serve.auth) == (
        "serve",
        "0.0.0.0",
        8000,
        4,
        "required",
    )


def test_dockerfile_copies_what_exists_and_installs_console_scripts() -> None:
    lines = (REPO_ROOT / "Dockerfile").read_text().splitlines()
    for line in lines:
        if line.startswith("COPY"):
            for source in line.split()[1:-1]:
                assert (REPO_ROOT / source).exists(), source
    cmd = next(line for line in lines if line.startswith("CMD"))
    assert _parser().parse_args(json.loads(cmd[4:])[1:]).command == "serve"


def _secrets(tmp_path: Path) -> dict[str, str]:
    """The two secret files an operator creates, and the environment pointing at them."""
    token = subprocess.run(
        [sys.executable, "-m", "hpo_service.cli", "token", "new-secret"],
        capture_output=True,
        text=True,
        timeout=60,
    ).stdout.strip()
    (tmp_path / "hpo_token").write_text(token + "\n")
    (tmp_path / "postgres_password").write_text("not-used-with-trust-auth\n")
    return {
        "HPO_DATABASE_PASSWORD_FILE": str(tmp_path / "postgres_password"),
        "HPO_TOKEN_FILE": str(tmp_path / "hpo_token"),
    }


def test_service_steps_and_healthcheck_run_against_real_postgres(tmp_path: Path) -> None:
    env = _secrets(tmp_path)
    with temporary_postgres("hpo_compose") as url:
        upgrade, token = _shell_steps("service")[:2]
        token = [tmp_path / "hpo_token" if a == "/run/secrets/hpo_token" else a for a in token]
        for step in (upgrade, token, token):  # registering the token again changes nothing
            done = subprocess.run(
                [
                    sys.executable,
                    "-m",
                    "hpo_service.cli",
                    *map(str, step[1:]),
                    "--database-url",
                    url,
                ],
                capture_output=True,
                text=True,
                timeout=60,
                env={**os.environ, **env},
            )
            assert done.returncode == 0, done.stderr
        server = ServerProcess(
            url, workers=2, args=["--auth", "required"], log_path=tmp_path / "g.log", env=env
        ).start()
        try:
            check = _service("service")["healthcheck"]["test"]
            code = check[-1].replace("127.0.0.1:8000", f"127.0.0.1:{server.port}")
            assert subprocess.run([sys.executable, "-c", code], timeout=30).returncode == 0
        finally:
            server.stop()


def test_trainer_command_parses_and_scaled_trainers_can_all_create_the_study(
    tmp_path: Path,
) -> None:
    from trainer.cli import _parser as trainer_parser

    create, work = _shell_steps("trainer")
    assert trainer_parser().parse_args(create[1:]).exist_ok
    assert trainer_parser().parse_args(work[1:]).study == "compose-cancer"
    env = {**os.environ, **_secrets(tmp_path)}
    url = f"sqlite:///{tmp_path / 't.db'}"
    secret_file = env["HPO_TOKEN_FILE"]
    register = ["token", "create", "--name", "t", "--role", "editor", "--secret-file", secret_file]
    subprocess.run([sys.executable, "-m", "hpo_service.cli", *register, "--database-url", url],
                   check=True, capture_output=True, timeout=60)  # fmt: skip
    server = ServerProcess(url, args=["--auth", "required"]).start()
    try:
        env["HPO_URL"] = server.url
        for _ in range(2):  # a second, scaled-out trainer reuses the study
            done = subprocess.run(
                [sys.executable, "-m", "trainer", *create[1:]],
                env=env,
                capture_output=True,
                text=True,
                timeout=60,
            )
            assert done.returncode == 0, done.stderr
    finally:
        server.stop()

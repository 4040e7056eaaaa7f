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
from tests.servers import ServerProcess, free_port

COMPOSE = yaml.safe_load((REPO_ROOT / "docker-compose.yml").read_text())


def _service(name: str) -> dict[str, Any]:
    service: dict[str, Any] = COMPOSE["services"][name]
    return service


def _shell_steps(name: str, variables: dict[str, str] | None = None) -> list[list[str]]:
    """The `sh -c` command of a compose service, split at && and ; (``$$NAME`` substituted)."""
    command = _service(name)["command"]
    assert command[:2] == ["sh", "-c"]
    text = command[2]
    for key, value in (variables or {}).items():
        text = text.replace(f"$${key}", value)
    steps = text.replace("||", ";").replace("&&", ";").split(";")
    return [shlex.split(step.strip().removeprefix("exec ")) for step in steps if step.strip()]


def test_services_healthchecks_and_ordering() -> None:
    assert set(COMPOSE["services"]) == {
        "postgres",
        "service",
        "dask-scheduler",
        "dask-worker",
        "trainer",
    }
    for name in ("postgres", "service", "dask-scheduler"):
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

    create, work = _shell_steps("trainer", {"HPO_FLEET_WORKERS": "4"})
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


def test_the_dask_services_and_the_trainer_command_run_a_study_for_real(tmp_path: Path) -> None:
    """The scheduler, worker and trainer commands of the compose file, on this machine."""
    from trainer.cli import _parser as trainer_parser

    scheduler = _service("dask-scheduler")["command"]
    worker = _service("dask-worker")["command"]
    assert _service("dask-worker")["depends_on"]["dask-scheduler"]["condition"] == "service_healthy"
    assert _service("trainer")["depends_on"]["dask-scheduler"]["condition"] == "service_healthy"
    port = scheduler[scheduler.index("--port") + 1]
    address = f"tcp://dask-scheduler:{port}"
    assert worker[:3] == ["dask", "worker", address] and "--nthreads" in worker
    assert _service("trainer")["environment"]["HPO_FLEET_WORKERS"] == "${HPO_FLEET_WORKERS:-4}"
    create, work = _shell_steps("trainer", {"HPO_FLEET_WORKERS": "2"})
    parsed = trainer_parser().parse_args(work[1:])
    assert (parsed.dask, parsed.workers) == (address, 2)
    local_port = str(free_port())
    here = f"tcp://127.0.0.1:{local_port}"
    bin_dir = Path(sys.executable).parent
    env = {**os.environ, "PYTHONWARNINGS": "ignore"}
    logs = (tmp_path / "scheduler.log").open("wb"), (tmp_path / "worker.log").open("wb")
    dask_scheduler = [str(bin_dir / "dask"), *scheduler[1:]]
    dask_scheduler[dask_scheduler.index(port)] = local_port
    dask_scheduler[-1] = ":0"  # any free dashboard port
    procs = [subprocess.Popen(dask_scheduler, stdout=logs[0], stderr=logs[0], env=env)]
    procs.append(
        subprocess.Popen(
            [str(bin_dir / "dask"), "worker", here, *worker[3:]],
            stdout=logs[1],
            stderr=logs[1],
            env=env,
        )
    )
    server = ServerProcess(f"sqlite:///{tmp_path / 'd.db'}").start()
    try:
        env["HPO_URL"] = server.url
        run = [sys.executable, "-m", "trainer"]
        small = [*create[1:], "--max-trials", "2"]  # the last --max-trials wins
        subprocess.run([*run, *small], env=env, check=True, timeout=60, capture_output=True)
        command = [*run, *[here if part == address else part for part in work[1:]]]
        command += ["--folds", "2", "--max-iter", "20"]
        done = subprocess.run(command, env=env, timeout=240, capture_output=True, text=True)
        assert done.returncode == 0, done.stderr[-3000:]
        assert done.stderr.count("reported trial") >= 2, done.stderr[-3000:]
    finally:
        server.stop()
        for proc in procs:
            proc.terminate()
            proc.wait(timeout=30)
        for stream in logs:
            stream.close()

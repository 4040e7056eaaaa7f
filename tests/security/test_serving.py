"""Serving safely: no public bind without tokens, `hpo token` commands, revocation across
gunicorn workers, and the client's token handling (real processes, real HTTP)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from hpo_service.client import Client
from hpo_service.errors import Forbidden, Unauthenticated
from tests.conftest import study_body
from tests.security.test_schemathesis import admin_token, hpo
from tests.servers import ServerProcess, free_port


def _serve(url: str, *args: str) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "hpo_service.cli", "serve", "--database-url", url]
    return subprocess.run(
        [*command, "--port", str(free_port()), *args], capture_output=True, text=True, timeout=60
    )


def test_public_bind_without_tokens_refuses_and_names_the_command(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'h.db'}"
    for args in (("--host", "0.0.0.0"), ("--auth", "required")):
        done = _serve(url, *args)
        assert done.returncode == 2
        assert "hpo token create --name admin --role admin" in done.stderr
    off = _serve(url, "--host", "0.0.0.0", "--auth", "off")
    assert off.returncode == 2 and "cannot be off" in off.stderr


def test_token_commands_create_list_and_revoke(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = f"sqlite:///{tmp_path / 'h.db'}"
    monkeypatch.setenv("HPO_DATABASE_URL", url)  # like every other hpo command
    created = hpo("token", "create", "--name", "w1", "--role", "worker", "--project", "ml")
    assert created.returncode == 0, created.stderr
    secret = created.stdout.strip().splitlines()[-1]
    assert secret.startswith("hpo_")
    listing = hpo("token", "list")
    assert "w1" in listing.stdout and "worker" in listing.stdout and "ml" in listing.stdout
    assert secret not in listing.stdout
    token_id = listing.stdout.splitlines()[1].split()[0]
    assert hpo("token", "revoke", token_id).returncode == 0
    assert "w1" not in hpo("token", "list").stdout
    assert hpo("token", "revoke", token_id).returncode == 2
    bad = hpo("token", "create", "--name", "x", "--role", "root")
    assert bad.returncode == 2


@pytest.mark.slow
def test_revocation_is_immediate_on_every_gunicorn_worker(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'g.db'}"
    admin = admin_token(url)
    server = ServerProcess(
        url, workers=2, args=["--auth", "required"], log_path=tmp_path / "g.log"
    ).start()
    try:
        with httpx.Client(base_url=server.url, headers={"Authorization": f"Bearer {admin}"}) as api:
            made = api.post("/api/v1/tokens", json={"name": "w", "role": "worker"})
            victim = made.json()
        with httpx.Client(
            base_url=server.url, headers={"Authorization": f"Bearer {victim['token']}"}
        ) as worker:
            before = [worker.get("/api/v1/studies").status_code for _ in range(30)]
            with httpx.Client(
                base_url=server.url, headers={"Authorization": f"Bearer {admin}"}
            ) as api:
                assert api.delete(f"/api/v1/tokens/{victim['id']}").status_code == 204
            after = [worker.get("/api/v1/studies").status_code for _ in range(30)]
        assert set(before) == {200}
        assert set(after) == {401}
        pids = {
            line.split("pid: ")[1].split(")")[0]
            for line in (tmp_path / "g.log").read_text().splitlines()
            if "Booting worker" in line
        }
        assert len(pids) == 2
    finally:
        server.stop()


@pytest.mark.slow
def test_client_takes_the_token_from_hpo_token_and_names_the_missing_role(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = f"sqlite:///{tmp_path / 'c.db'}"
    admin = admin_token(url)
    server = ServerProcess(url, args=["--auth", "required"], log_path=tmp_path / "c.log").start()
    try:
        with Client(server.url, token=admin) as client:
            reader = client.http.request(
                "POST", "/api/v1/tokens", json={"name": "r", "role": "reader"}
            )
        monkeypatch.setenv("HPO_TOKEN", reader["token"])
        with Client(server.url, retries=0) as client:
            assert client.list_studies() == []
            with pytest.raises(Forbidden, match="needs role editor"):
                client.create_study("s", study_body()["space"])
        monkeypatch.delenv("HPO_TOKEN")
        with Client(server.url, retries=0) as client, pytest.raises(Unauthenticated, match="token"):
            client.list_studies()
    finally:
        server.stop()


@pytest.mark.slow
def test_hpo_trainer_takes_the_token_flag(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 't.db'}"
    admin = admin_token(url)
    server = ServerProcess(url, args=["--auth", "required"], log_path=tmp_path / "t.log").start()
    create = ["create-study", "--problem", "breast-cancer", "--name", "t1", "--server", server.url]
    env = {k: v for k, v in os.environ.items() if not k.startswith("HPO_TOKEN")}
    try:
        runs = [
            subprocess.run(
                [sys.executable, "-m", "trainer", *create, *extra],
                capture_output=True,
                text=True,
                timeout=120,
                env=env,
            )
            for extra in ([], ["--token", admin])
        ]
    finally:
        server.stop()
    assert runs[0].returncode == 2 and "Unauthenticated" in runs[0].stderr
    assert runs[1].returncode == 0, runs[1].stderr

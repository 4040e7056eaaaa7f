"""`hpo serve` options that shape the gunicorn server (processes and request threads)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from hpo_service import cli, gunicorn_app


def test_serve_passes_processes_and_threads_to_gunicorn(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    seen: list[tuple[Any, ...]] = []
    monkeypatch.setattr(gunicorn_app, "run_gunicorn", lambda *args: seen.append(args))
    url = f"sqlite:///{tmp_path / 'hpo.db'}"
    assert cli.main(["serve", "--database-url", url, "--workers", "2", "--threads", "1"]) == 0
    assert cli.main(["serve", "--database-url", url, "--workers", "3"]) == 0
    assert [args[3:] for args in seen] == [(2, 1), (3, 4)]  # --threads defaults to 4


@pytest.mark.parametrize("threads", ["0", "-2", "two"])
def test_serve_refuses_fewer_than_one_thread(
    threads: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exit_info:
        cli.main(["serve", "--workers", "2", "--threads", threads])
    assert exit_info.value.code == 2
    assert "--threads: expected a whole number of at least 1" in capsys.readouterr().err

"""The client against a real `hpo serve` process that goes away and comes back."""

from __future__ import annotations

import threading
from pathlib import Path

from hpo_service.client import Client
from hpo_service.domain import TrialState
from tests.client.conftest import SPACE
from tests.servers import ServerProcess


def test_calls_made_while_the_server_is_down_succeed_once_it_is_back(tmp_path: Path) -> None:
    server = ServerProcess(f"sqlite:///{tmp_path / 'db.sqlite'}", log_path=tmp_path / "server.log")
    server.start()
    restarted = threading.Event()
    try:
        client = Client(server.url, retries=50, backoff=0.05, max_backoff=0.2, timeout=5)
        study = client.create_study("restart", SPACE, strategy={"name": "random"}, max_trials=4)
        (trial,) = study.suggest(worker_id="w1")
        server.stop()

        def restart() -> None:
            server.start()
            restarted.set()

        threading.Timer(1.0, restart).start()
        done = study.report(trial.number, 0.42)  # retried until the server is back
        assert restarted.wait(30)
        assert done.state is TrialState.COMPLETE
        assert [(t.number, t.value) for t in study.trials()] == [(0, 0.42)]
        client.close()
    finally:
        restarted.wait(30)
        server.stop()

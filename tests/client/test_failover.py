"""Several service URLs on one database: the client sticks to one and fails over on faults."""

from __future__ import annotations

import os
import signal
import threading
from collections import Counter
from pathlib import Path

import httpx
import pytest
from flask import Flask

from hpo_service.client import Client, ServiceUnavailable
from hpo_service.client.http import split_urls
from hpo_service.domain import TrialState
from hpo_service.persistence.migrate import upgrade
from tests.client.conftest import SPACE
from tests.conftest import temporary_postgres
from tests.members import member
from tests.servers import ServerProcess


class HostsTransport(httpx.BaseTransport):
    """The app behind several host names; hosts in ``down`` refuse connections."""

    def __init__(self, app: Flask) -> None:
        self.inner = httpx.WSGITransport(app=app)
        self.down: set[str] = set()
        self.hosts: list[str] = []

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        """Refuse for a down host, else forward to the app."""
        self.hosts.append(request.url.host)
        if request.url.host in self.down:
            raise httpx.ConnectError("connection refused (injected)", request=request)
        return self.inner.handle_request(request)


def test_urls_come_from_a_list_or_a_comma_separated_string() -> None:
    assert split_urls("http://a:1/, http://b:2") == ("http://a:1", "http://b:2")
    assert split_urls(["http://a:1"]) == ("http://a:1",)
    with pytest.raises(ValueError, match="no service URL"):
        split_urls(" , ")


def test_hpo_url_may_name_several_instances(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HPO_URL", "http://a.test,http://b.test")
    with Client() as client:
        assert client.urls == ("http://a.test", "http://b.test")
        assert client.url == "http://a.test"


def test_a_refused_instance_fails_over_at_once_and_the_client_stays_on_the_healthy_one(
    wsgi_app: Flask,
) -> None:
    transport = HostsTransport(wsgi_app)
    sleeps: list[float] = []
    urls = ["http://a.test", "http://b.test"]
    with Client(urls, transport=transport, retries=2, sleep=sleeps.append) as client:
        study = client.create_study("f", SPACE, strategy={"name": "random"}, max_trials=5)
        transport.down.add("a.test")
        transport.hosts.clear()
        (trial,) = study.suggest(worker_id="w")
        study.report(trial.number, 1.0)
        assert transport.hosts == ["a.test", "b.test", "b.test"]  # sticky after one failover
        assert sleeps == []  # another instance answered: no backoff
        assert client.url == "http://b.test"
        transport.down = {"b.test"}
        transport.hosts.clear()
        assert study.get_trial(trial.number).state is TrialState.COMPLETE
        assert transport.hosts == ["b.test", "a.test"]  # round-robin back to a


def test_when_every_instance_is_down_the_backoff_is_slept_once_per_round(
    wsgi_app: Flask,
) -> None:
    transport = HostsTransport(wsgi_app)
    transport.down = {"a.test", "b.test"}
    sleeps: list[float] = []
    urls = "http://a.test,http://b.test"
    client = Client(urls, transport=transport, retries=2, sleep=sleeps.append)
    with client, pytest.raises(ServiceUnavailable, match="cannot reach"):
        client.health()
    assert len(transport.hosts) == 6  # 3 rounds of 2 instances
    assert len(sleeps) == 2
    assert all(0.25 <= delay <= 0.5 for delay in sleeps[:1])


def _fleet_member(
    urls: list[str], name: str, worker: str, reports: list[tuple[int, float]], errors: list[str]
) -> None:
    """Suggest and report until the study completes, recording every acknowledged report."""
    with Client(urls, retries=40, backoff=0.05, max_backoff=0.5, timeout=10) as client:
        member(client, name, worker, reports, errors, report_as_worker=False)


@pytest.mark.slow
def test_a_fleet_carries_on_when_one_of_two_instances_is_killed(tmp_path: Path) -> None:
    budget = 60
    with temporary_postgres("hpo_failover") as url:
        upgrade(url)
        servers = [
            ServerProcess(url, log_path=tmp_path / f"server{i}.log").start() for i in range(2)
        ]
        try:
            urls = [s.url for s in servers]
            with Client(urls) as admin:
                admin.create_study(
                    "fleet",
                    SPACE,
                    strategy={"name": "random"},
                    max_trials=budget,
                    seed=3,
                    lease_seconds=2,
                )
                reports: list[tuple[int, float]] = []
                errors: list[str] = []
                threads = [
                    threading.Thread(
                        target=_fleet_member,
                        args=(urls if i % 2 else urls[::-1], "fleet", f"w{i}", reports, errors),
                    )
                    for i in range(4)
                ]
                for thread in threads:
                    thread.start()
                while len(reports) < budget // 4 and any(t.is_alive() for t in threads):
                    threading.Event().wait(0.05)
                assert servers[0].process is not None
                os.killpg(servers[0].process.pid, signal.SIGKILL)  # kill -9 mid-run
                for thread in threads:
                    thread.join(120)
                trials = list(admin.study("fleet").trials())
        finally:
            for server in servers:
                server.stop(kill=True)
    assert errors == []
    assert [t.number for t in trials] == list(range(budget))  # no duplicate, no gap
    assert all(t.state is TrialState.COMPLETE for t in trials)
    stored = {t.number: t.value for t in trials}
    assert Counter(number for number, _ in reports) == Counter(range(budget))
    assert all(stored[number] == value for number, value in reports)  # no lost report

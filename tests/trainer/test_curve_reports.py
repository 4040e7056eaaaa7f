"""Pipelined per-epoch reports: training goes on during a report's round trip, the answer
stops training an epoch later, points after a stop are not sent, and the whole curve is sent
before the caller goes on."""

from __future__ import annotations

import threading

import pytest

from trainer.curve_reports import PipelinedReports


class SlowService:
    """Records the points it is sent; answers once ``gate`` is open; says stop from
    ``stop_at`` on; can be made to raise."""

    def __init__(self, stop_at: int | None = None, gate: threading.Event | None = None) -> None:
        self.stop_at = stop_at
        self.gate = gate
        self.sent: list[tuple[int, float]] = []
        self.threads: set[str] = set()
        self.error: Exception | None = None

    def __call__(self, step: int, value: float) -> bool:
        self.threads.add(threading.current_thread().name)
        if self.gate is not None:
            self.gate.wait(10)  # a bounded wait: a broken pipeline fails, it does not hang
        if self.error is not None:
            raise self.error
        self.sent.append((step, value))
        return self.stop_at is not None and step >= self.stop_at


def test_training_does_not_wait_for_the_round_trip() -> None:
    gate = threading.Event()
    service = SlowService(gate=gate)
    trained = threading.Event()
    with PipelinedReports(service, name="reports") as reports:

        def train() -> None:
            # one report in flight, one waiting behind it: neither call waits for an answer
            assert reports(0, 0.0) is False
            assert reports(1, 1.0) is False
            trained.set()

        thread = threading.Thread(target=train)
        thread.start()
        assert trained.wait(10)  # both epochs went on while the service held the first report
        assert service.sent == []
        gate.set()
        thread.join()
        assert reports(2, 2.0) is False
    assert service.sent == [(0, 0.0), (1, 1.0), (2, 2.0)]  # all sent, in order, on leaving
    assert service.threads == {"reports"}


def test_a_stop_arrives_an_epoch_late_and_later_points_are_not_sent() -> None:
    service = SlowService(stop_at=3)
    epochs = 0
    with PipelinedReports(service) as reports:
        for step in range(100):
            epochs += 1
            if reports(step, float(step)):
                break
    # the bounded queue: when epoch k's point is taken, epoch k - 2's answer is in, so
    # training stops one or two epochs after the report that said stop, never later
    assert 4 <= epochs <= 6
    assert service.sent[-1][0] == 3  # nothing after the step the service judged
    assert [s for s, _ in service.sent] == [0, 1, 2, 3]


def test_an_error_while_sending_stops_training_and_is_raised_on_leaving() -> None:
    service = SlowService()
    service.error = RuntimeError("the study was deleted")
    with pytest.raises(RuntimeError, match="deleted"), PipelinedReports(service) as reports:
        for step in range(100):
            if reports(step, 0.5):
                break
    assert service.sent == []


def test_a_training_error_wins_over_the_reports() -> None:
    service = SlowService()
    with pytest.raises(ValueError, match="diverged"), PipelinedReports(service) as reports:
        reports(0, 0.5)
        raise ValueError("training diverged")
    assert service.sent == [(0, 0.5)]

"""The trial lifecycle as a table: every (status, event) cell, and the guards around it."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from hpo_service.domain import EndReason, Trial, TrialState
from hpo_service.errors import InvalidTransition, TrialAlreadyFinished
from hpo_service.service import lifecycle
from hpo_service.service.lifecycle import Event, Verdict

NOW = datetime(2026, 1, 1, tzinfo=UTC)
S, R = TrialState, EndReason
STATUSES = {
    "pending": (S.PENDING, None),
    "running": (S.RUNNING, None),
    "stale": (S.STALE, None),
    "complete": (S.COMPLETE, R.REPORTED),
    "failed": (S.FAILED, R.FAILED),
    "gave_up": (S.FAILED, R.LEASE_EXPIRED),
    "pruned": (S.PRUNED, R.PRUNED),
}
# The expected table, written out independently: status -> event -> outcome.
# "->x" moves to state x; "same" answers as is; "same?" only for the same value;
# "done" = TrialAlreadyFinished; "unstarted" and "-" = InvalidTransition.
EXPECTED = {
    # hand_out   expire     give_up      renew       report        fail       prune   release
    "pending": ["->running", "-", "-", "unstarted", "unstarted", "->failed", "unstarted", "same"],
    "running": ["-", "->stale", "-", "->running", "->complete", "->failed", "->pruned"],
    "stale": ["->running", "-", "->failed", "->running", "->complete", "->failed", "->pruned"],
    "complete": ["-", "-", "-", "done", "same?", "done", "done", "done"],
    "failed": ["-", "-", "-", "done", "done", "same", "done", "done"],
    "gave_up": ["-", "-", "-", "done", "->complete", "same", "->pruned", "done"],
    "pruned": ["-", "-", "-", "done", "->complete", "done", "same", "done"],
}
EXPECTED["running"].append("->pending")  # given back before it started
EXPECTED["stale"].append("->pending")
EVENTS = [Event.HAND_OUT, Event.EXPIRE, Event.GIVE_UP, Event.RENEW, Event.REPORT, Event.FAIL]
EVENTS += [Event.PRUNE, Event.RELEASE]
CELLS = [(s, e, EXPECTED[s][i]) for s in EXPECTED for i, e in enumerate(EVENTS)]


def trial(status: str, **fields: object) -> Trial:
    state, reason = STATUSES[status]
    base = Trial(study="s", number=3, params={}, state=state, end_reason=reason, value=0.5)
    return Trial(**{**base.__dict__, **fields})  # type: ignore[arg-type]


def test_the_table_covers_exactly_the_expected_cells() -> None:
    allowed = {(STATUSES[s], e) for s, e, want in CELLS if want != "-"}
    assert set(lifecycle.TABLE) == allowed


@pytest.mark.parametrize(("status", "event", "want"), CELLS)
def test_each_cell(status: str, event: Event, want: str) -> None:
    subject = trial(status)
    if want.startswith("->"):
        found = lifecycle.check(subject, event)
        moved = lifecycle.moved(subject, found, NOW)
        assert moved.state is TrialState(want[2:])
        assert moved.state.finished == (moved.end_reason is not None)
        assert (moved.finished_at == NOW) == moved.state.finished
    elif want in ("same", "same?"):
        assert lifecycle.check(subject, event, value=0.5).verdict is Verdict.SAME
        if want == "same?":
            with pytest.raises(TrialAlreadyFinished, match="cannot replace"):
                lifecycle.check(subject, event, value=0.7)
    elif want == "done":
        with pytest.raises(TrialAlreadyFinished):
            lifecycle.check(subject, event)
    else:
        with pytest.raises(InvalidTransition):
            lifecycle.check(subject, event)


@pytest.mark.parametrize(
    ("event", "target", "reason"),
    [
        (Event.REPORT, S.COMPLETE, R.REPORTED),
        (Event.FAIL, S.FAILED, R.FAILED),
        (Event.PRUNE, S.PRUNED, R.PRUNED),
    ],
)
def test_finishing_records_why(event: Event, target: TrialState, reason: EndReason) -> None:
    found = lifecycle.check(trial("running"), event)
    moved = lifecycle.moved(trial("running", lease_expires_at=NOW), found, NOW)
    assert (moved.state, moved.end_reason, moved.lease_expires_at) == (target, reason, None)


def test_giving_up_is_lease_expired_and_only_that_is_completed_late() -> None:
    found = lifecycle.check(trial("stale"), Event.GIVE_UP)
    gave_up = lifecycle.moved(trial("stale"), found, NOW)
    assert gave_up.end_reason is R.LEASE_EXPIRED
    assert lifecycle.check(gave_up, Event.REPORT).verdict is Verdict.MOVE
    # A worker's own failure reason that reads like a lease failure changes nothing.
    worded = trial("failed", failure_reason="lease expired 3 times without a report")
    with pytest.raises(TrialAlreadyFinished):
        lifecycle.check(worded, Event.REPORT)


@pytest.mark.parametrize("event", [Event.RENEW, Event.FAIL, Event.PRUNE, Event.RELEASE])
def test_only_the_holder_renews_fails_prunes_or_releases_a_running_trial(event: Event) -> None:
    held = trial("running", worker_id="w2")
    with pytest.raises(InvalidTransition, match="held by worker 'w2', not 'w1'"):
        lifecycle.check(held, event, worker_id="w1")
    assert lifecycle.check(held, event, worker_id="w2").verdict is Verdict.MOVE
    assert lifecycle.check(held, event).verdict is Verdict.MOVE  # anonymous callers may
    assert lifecycle.check(held, Event.REPORT, worker_id="w1").verdict is Verdict.MOVE


def test_rows_from_before_end_reason_read_by_state() -> None:
    legacy = trial("complete", end_reason=None)
    assert lifecycle.status(legacy) == (S.COMPLETE, R.REPORTED)
    assert lifecycle.status(trial("failed", end_reason=None)) == (S.FAILED, R.FAILED)

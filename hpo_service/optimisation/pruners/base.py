"""What a pruner sees and answers: a trial's curve, a few facts, other trials' values.

A pruner is a pure policy. The service asks it which values of other trials it needs
(``StepQuery``: each trial's value at one step, or at its first step at or after one),
reads exactly those in one query each, and asks for a ``Decision``. The same curves
always give the same decision, whichever process answers.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Protocol

from hpo_service.domain import Direction, IntermediateValue, TrialState


@dataclass(frozen=True)
class Decision:
    """Whether the trial should stop now, and why (None while it should go on)."""

    should_stop: bool
    reason: str | None = None


GO = Decision(False)


@dataclass(frozen=True)
class StepQuery:
    """Other trials' values: at ``step`` exactly, or at their first step >= ``step``.

    ``complete_only`` keeps complete trials only; otherwise trials in every state count.
    """

    step: int
    exact: bool
    complete_only: bool


@dataclass(frozen=True)
class Facts:
    """Cheap aggregates of the study: how many trials are complete, and the last step of
    the lowest-numbered complete one (what an "auto" minimum resource is estimated from)."""

    n_complete: int
    first_complete_step: int | None = None


@dataclass(frozen=True)
class Case:
    """The trial being decided: its study, number and curve (steps ascending)."""

    study: str
    direction: Direction
    number: int
    curve: tuple[IntermediateValue, ...]
    facts: Facts = field(default_factory=lambda: Facts(0))

    @property
    def last(self) -> IntermediateValue:
        """The point just reported."""
        return self.curve[-1]

    @property
    def previous_step(self) -> int:
        """The step reported before the last one (-1 if none)."""
        return self.curve[-2].step if len(self.curve) > 1 else -1


Answers = Mapping[StepQuery, Mapping[int, float]]


class Pruner(Protocol):
    """A stopping rule: what it needs to read, then stop or go."""

    @property
    def needs_first_complete(self) -> bool:
        """True if decisions need Facts.first_complete_step."""

    def queries(self, case: Case) -> list[StepQuery]:
        """The other trials' values this decision needs (may be empty)."""

    def decide(self, case: Case, answers: Answers) -> Decision:
        """Stop or go for ``case.last``, given the answers to ``queries(case)``."""


@dataclass(frozen=True)
class CurveRecord:
    """One trial's state and curve, for answering queries in memory (tests, benchmarks)."""

    number: int
    state: TrialState
    curve: tuple[IntermediateValue, ...]


def answer(query: StepQuery, records: Iterable[CurveRecord]) -> dict[int, float]:
    """Answer a query from whole curves, exactly as the repository answers it in SQL."""
    out: dict[int, float] = {}
    for record in records:
        if query.complete_only and record.state is not TrialState.COMPLETE:
            continue
        for point in record.curve:
            if point.step == query.step or (not query.exact and point.step > query.step):
                out[record.number] = point.value
                break
    return out


def facts_of(records: Sequence[CurveRecord]) -> Facts:
    """The Facts of a set of curves (in memory)."""
    complete = sorted((r for r in records if r.state is TrialState.COMPLETE), key=_number)
    first = complete[0].curve[-1].step if complete and complete[0].curve else None
    return Facts(len(complete), first)


def _number(record: CurveRecord) -> int:
    return record.number


def decide_from_records(pruner: Pruner, case: Case, records: Sequence[CurveRecord]) -> Decision:
    """Decide with every other trial's curve in memory (tests and benchmarks)."""
    others = [r for r in records if r.number != case.number]
    case = Case(case.study, case.direction, case.number, case.curve, facts_of(others))
    return pruner.decide(case, {q: answer(q, others) for q in pruner.queries(case)})

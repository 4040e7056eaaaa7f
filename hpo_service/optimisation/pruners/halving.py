"""Asynchronous successive halving (Optuna's SuccessiveHalvingPruner) and Hyperband.

Rung k sits at step ``min_resource * reduction_factor ** (min_early_stopping_rate + k)``.
A trial's value at a rung is its value at its first reported step at or after the rung.
When a report crosses a rung, the trial goes on only if its value is in the top
``1 / reduction_factor`` of every trial that reached that rung (itself included), as in
ASHA (Li et al., 2020). Rungs already passed are never re-judged.
"""

from __future__ import annotations

import binascii
import math
from collections.abc import Callable
from dataclasses import dataclass

from hpo_service.domain import Direction
from hpo_service.optimisation.pruners.base import GO, Answers, Case, Decision, StepQuery

AUTO = "auto"


def promotable(value: float, competing: list[float], factor: int, direction: Direction) -> bool:
    """True if ``value`` is among the best ``len(competing) // factor`` (at least one)."""
    index = max(len(competing) // factor - 1, 0)
    ordered = sorted(competing)
    if direction is Direction.MAXIMIZE:
        return value >= ordered[-(index + 1)]
    return value <= ordered[index]


def auto_min_resource(first_complete_step: int | None) -> int | None:
    """Optuna's estimate: 1% of a complete curve's last step (at least 1), None without one.

    Optuna estimates once per process, from the complete trials of the moment (in a
    sequential study: the first trial that completed). Here every process must agree, so
    the estimate comes from the lowest-numbered complete trial (in a sequential study,
    the same one).
    """
    if first_complete_step is None:
        return None
    return max(first_complete_step // 100, 1)


@dataclass(frozen=True)
class SuccessiveHalvingPruner:
    """ASHA: stop a trial that is not in the top 1/reduction_factor at a rung it crosses."""

    min_resource: int | str = AUTO
    reduction_factor: int = 4
    min_early_stopping_rate: int = 0
    bootstrap_count: int = 0
    same_bracket: Callable[[int, int], bool] | None = None

    @property
    def needs_first_complete(self) -> bool:
        """Only the "auto" minimum resource reads the first complete curve."""
        return self.min_resource == AUTO

    def _resource(self, case: Case) -> int | None:
        if isinstance(self.min_resource, int):
            return self.min_resource
        return auto_min_resource(case.facts.first_complete_step)

    def rungs_crossed(self, case: Case) -> list[tuple[int, int]]:
        """(rung, step) of every rung the last report crossed, lowest first."""
        resource = self._resource(case)
        if resource is None:
            return []
        out: list[tuple[int, int]] = []
        rung = 0
        while True:
            at = resource * self.reduction_factor ** (self.min_early_stopping_rate + rung)
            if at > case.last.step:
                return out
            if at > case.previous_step:
                out.append((rung, at))
            rung += 1

    def queries(self, case: Case) -> list[StepQuery]:
        """Every trial's value at each rung just crossed."""
        return [
            StepQuery(at, exact=False, complete_only=False) for _, at in self.rungs_crossed(case)
        ]

    def decide(self, case: Case, answers: Answers) -> Decision:
        """Stop at the first crossed rung where the trial is not promotable."""
        value = case.last.value
        for rung, at in self.rungs_crossed(case):
            found = answers[StepQuery(at, exact=False, complete_only=False)]
            competing = [v for n, v in found.items() if self._competes(case.number, n)]
            competing.append(value)
            if len(competing) <= self.bootstrap_count:
                return Decision(True, f"successive halving: rung {rung} has too few trials")
            if not promotable(value, competing, self.reduction_factor, case.direction):
                return Decision(
                    True,
                    f"successive halving: value {value:g} at rung {rung} (step {at}) is not "
                    f"in the top 1/{self.reduction_factor} of the {len(competing)} trials "
                    "that reached it",
                )
        return GO

    def _competes(self, number: int, other: int) -> bool:
        if other == number:
            return False
        return self.same_bracket is None or self.same_bracket(number, other)


@dataclass(frozen=True)
class HyperbandPruner:
    """Hyperband: several successive-halving brackets; a trial's bracket comes from its number.

    The bracket is chosen as Optuna chooses it (crc32 of "<study>_<number>" over the
    brackets' trial budgets), so every process assigns the same one. Trials compete only
    within their bracket.
    """

    min_resource: int = 1
    max_resource: int = 100
    reduction_factor: int = 3
    bootstrap_count: int = 0
    needs_first_complete: bool = False

    @property
    def n_brackets(self) -> int:
        """floor(log_rf(max_resource / min_resource)) + 1, in exact integer arithmetic."""
        count, resource = 1, self.min_resource * self.reduction_factor
        while resource <= self.max_resource:
            count, resource = count + 1, resource * self.reduction_factor
        return count

    def budgets(self) -> list[int]:
        """How many trials each bracket gets, relative to the others."""
        n = self.n_brackets
        return [math.ceil(n * self.reduction_factor ** (n - 1 - i) / (n - i)) for i in range(n)]

    def bracket(self, study: str, number: int) -> int:
        """The bracket of a trial (deterministic from study name and number)."""
        budgets = self.budgets()
        left = binascii.crc32(f"{study}_{number}".encode()) % sum(budgets)
        for index, budget in enumerate(budgets):
            left -= budget
            if left < 0:
                return index
        return len(budgets) - 1

    def _halving(self, case: Case) -> SuccessiveHalvingPruner:
        own = self.bracket(case.study, case.number)
        return SuccessiveHalvingPruner(
            min_resource=self.min_resource,
            reduction_factor=self.reduction_factor,
            min_early_stopping_rate=own,
            bootstrap_count=self.bootstrap_count,
            same_bracket=lambda _n, other: self.bracket(case.study, other) == own,
        )

    def queries(self, case: Case) -> list[StepQuery]:
        """The queries of the trial's bracket."""
        return self._halving(case).queries(case)

    def decide(self, case: Case, answers: Answers) -> Decision:
        """Successive halving within the trial's bracket."""
        decision = self._halving(case).decide(case, answers)
        if not decision.should_stop:
            return decision
        bracket = self.bracket(case.study, case.number)
        return Decision(True, f"hyperband bracket {bracket}: {decision.reason}")

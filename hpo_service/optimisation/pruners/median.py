"""The median rule (Optuna's MedianPruner): stop a trial whose best value so far is worse
than the median of the complete trials' values at the same step."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from hpo_service.domain import Direction
from hpo_service.optimisation.pruners.base import GO, Answers, Case, Decision, StepQuery


def percentile(values: Sequence[float], q: float) -> float:
    """The q-th percentile with linear interpolation (numpy's default method)."""
    ordered = sorted(values)
    position = (len(ordered) - 1) * q / 100.0
    low = math.floor(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def first_in_interval(steps: Sequence[int], step: int, warmup: int, interval: int) -> bool:
    """True if no earlier reported step lies in the same pruning interval as ``step``."""
    nearest_lower = (step - warmup) // interval * interval + warmup
    earlier = [s for s in steps if s != step]
    return max(earlier, default=-1) < nearest_lower


@dataclass(frozen=True)
class MedianPruner:
    """Stop when the trial's best value is worse than the median at its current step.

    Silent until ``n_startup_trials`` trials are complete and before ``n_warmup_steps``;
    decides once per ``interval_steps``; needs ``n_min_trials`` complete values at the step.
    """

    n_startup_trials: int = 5
    n_warmup_steps: int = 0
    interval_steps: int = 1
    n_min_trials: int = 1
    needs_first_complete: bool = False

    def _active(self, case: Case) -> bool:
        step = case.last.step
        if case.facts.n_complete == 0 or case.facts.n_complete < self.n_startup_trials:
            return False
        if step < self.n_warmup_steps:
            return False
        steps = [p.step for p in case.curve]
        return first_in_interval(steps, step, self.n_warmup_steps, self.interval_steps)

    def queries(self, case: Case) -> list[StepQuery]:
        """The complete trials' values at this step, once the rule is active."""
        if not self._active(case):
            return []
        return [StepQuery(case.last.step, exact=True, complete_only=True)]

    def decide(self, case: Case, answers: Answers) -> Decision:
        """Stop if the best value so far is worse than the median at this step."""
        if not self._active(case):
            return GO
        step = case.last.step
        values = list(answers[StepQuery(step, exact=True, complete_only=True)].values())
        if len(values) < self.n_min_trials:
            return GO
        minimise = case.direction is Direction.MINIMIZE
        own = [p.value for p in case.curve]
        best = min(own) if minimise else max(own)
        median = percentile(values, 50.0)
        worse = best > median if minimise else best < median
        if not worse:
            return GO
        return Decision(
            True,
            f"median: best value {best:g} by step {step} is worse than the median "
            f"{median:g} of {len(values)} complete trials at that step",
        )

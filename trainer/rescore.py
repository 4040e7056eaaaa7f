"""``hpo-trainer rescore``: re-score a study's top configurations on fresh CV splits.

A study's best trial is the maximum of noisy estimates, so it flatters (the winner's curse).
This step takes the ``top`` complete trials by the GP's posterior mean (the service's
``GET .../ranking``: a lucky noisy value is shrunk towards what similar configurations scored;
``by="value"`` takes the raw top values instead), scores each on the honest protocol
(``trainer.evaluation``: repeated CV with seeds the study never used), records the re-score on
the trial (``metadata.rescore``, via PATCH), and names the recommended configuration: the best
re-score. ``GET .../best?by=rescore`` and the dashboard show it afterwards.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import Executor
from dataclasses import dataclass
from typing import Any

from hpo_service.client import StudyHandle
from hpo_service.domain import Study, Trial, TrialState
from hpo_service.errors import NotEnoughTrials, SurrogateUnavailable
from trainer.evaluation import Protocol, Score, rescore, rescore_named
from trainer.objectives import Problem

log = logging.getLogger("trainer.rescore")


@dataclass(frozen=True)
class Rescored:
    """One re-scored trial: its number, its study value and its re-score."""

    trial: Trial
    score: Score


def top_trials(study: Study, trials: Sequence[Trial], top: int) -> list[Trial]:
    """The ``top`` complete trials by value for the study's direction (ties: lower number)."""
    complete = [t for t in trials if t.state is TrialState.COMPLETE and t.value is not None]
    complete.sort(key=lambda t: (-study.direction.to_maximise(float(t.value or 0.0)), t.number))
    return complete[:top]


def candidates(study: StudyHandle, top: int, by: str = "posterior") -> list[Trial]:
    """The ``top`` complete trials to re-score: by posterior mean (value while the study has
    too few trials for a posterior), or by value."""
    definition = study.summary().study
    complete = list(study.trials(state=TrialState.COMPLETE))
    if by == "posterior":
        try:
            numbers = [r.number for r in study.ranking(limit=top)]
        except (NotEnoughTrials, SurrogateUnavailable):
            log.warning("no posterior ranking for this study yet; taking the top values")
        else:
            by_number = {t.number: t for t in complete}
            return [by_number[n] for n in numbers if n in by_number]
    elif by != "value":
        raise ValueError(f"by must be 'posterior' or 'value', got {by!r}")
    return top_trials(definition, complete, top)


def rescore_study(
    study: StudyHandle,
    problem: Problem,
    top: int,
    protocol: Protocol,
    on_score: Callable[[Rescored], None] | None = None,
    by: str = "posterior",
    pool: Executor | None = None,
) -> list[Rescored]:
    """Re-score the top trials, record each on its trial, return them best re-score first.

    With a ``pool`` (processes) the trials are scored in parallel, each with the same splits
    and seeds as in series, so the scores are the same; they are recorded in rank order."""
    definition = study.summary().study
    chosen = candidates(study, top, by)
    scores = scores_of(problem, [trial.params for trial in chosen], protocol, pool)
    done: list[Rescored] = []
    for trial, score in zip(chosen, scores, strict=True):
        study.annotate(trial.number, {"rescore": score.to_json(protocol)})
        done.append(Rescored(trial, score))
        if on_score is not None:
            on_score(done[-1])
    done.sort(key=lambda r: (-definition.direction.to_maximise(r.score.mean), r.trial.number))
    return done


def scores_of(
    problem: Problem,
    configs: Sequence[Mapping[str, Any]],
    protocol: Protocol,
    pool: Executor | None = None,
) -> Iterator[Score]:
    """The protocol's score of each configuration, in order, as each is ready: in series, or
    all submitted at once to a ``pool`` of processes (the same splits and seeds, so the
    same scores)."""
    if pool is None:
        return (rescore(problem, params, protocol) for params in configs)
    futures = [pool.submit(rescore_named, problem.name, dict(c), protocol) for c in configs]
    return (future.result() for future in futures)


def rescore_line(item: Rescored) -> str:
    """One line of the rescore table: trial, study value, re-score +- standard error."""
    value = item.trial.value
    return (
        f"trial {item.trial.number:>4}: in the study {value:.4f}, "
        f"re-scored {item.score.mean:.4f} +- {item.score.sem:.4f}"
    )

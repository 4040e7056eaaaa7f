"""The Service facade: binds a Database and a clock to the use-case modules."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from hpo_service.domain import ParetoFront, Study, StudySummary, Trial, TrialPage, TrialState
from hpo_service.errors import HpoError, NotEnoughTrials
from hpo_service.optimisation.gp import fit_store
from hpo_service.optimisation.gp.threads import limit_blas_threads
from hpo_service.optimisation.pruners import Decision
from hpo_service.persistence import Database, Repository
from hpo_service.persistence.fits import DatabaseFitStore
from hpo_service.service import analysis, pruning, studies, suggestions, trials
from hpo_service.service.history_cache import HistoryCache
from hpo_service.service.pareto import pareto_front
from hpo_service.service.tokens import Tokens
from hpo_service.service.trials import Clock


def utc_now() -> datetime:
    """The server clock: the current time in UTC."""
    return datetime.now(UTC)


BEST_BY = ("value", "posterior", "rescore", "recommended")
"""How ``best`` chooses: the best observed value (default), the best GP posterior mean among
the evaluated configurations, the best re-score (hpo-trainer rescore), or ``recommended``:
the re-score if any trial has one, else the posterior mean (value while too few trials)."""


def rescore_value(trial: Trial) -> float | None:
    """The value of a trial's ``metadata.rescore`` (hpo-trainer rescore), if it has one."""
    rescore = trial.metadata.get("rescore")
    value = rescore.get("value") if isinstance(rescore, Mapping) else None
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


def best_rescored(study: Study, trials: Sequence[Trial]) -> Trial | None:
    """The re-scored trial with the best re-score for the direction; ties to the lower number."""
    scored = [(rescore_value(t), t) for t in trials]
    ranked = [(study.direction.to_maximise(v), -t.number, t) for v, t in scored if v is not None]
    return max(ranked, key=lambda item: item[:2])[2] if ranked else None


@dataclass(frozen=True)
class Best:
    """The answer of ``best``: the trial, the rule that chose it, and its posterior if known."""

    trial: Trial
    by: str
    posterior: analysis.Ranked | None = None


class Service:
    """Every use case of the service, over one database.

    Every use case that names a study takes the project first: a study's identity is
    (project, name), and the repository only ever sees the studies of that project.
    """

    def __init__(self, database: Database, clock: Clock = utc_now) -> None:
        self.database = database
        self.clock = clock
        self.history = HistoryCache()
        self.tokens = Tokens(database, clock)
        # on PostgreSQL (several processes or hosts) big GP fits are shared through the
        # database; an SQLite service is one host, whose processes each fit for themselves
        postgres = database.dialect == "postgresql"
        self.fits = DatabaseFitStore(database) if postgres else None
        limit_blas_threads()  # once per process, before any request fits a GP

    def database_ping(self) -> None:
        """Run a trivial query; raise StorageUnavailable if the database is unreachable."""
        with self.database.transaction() as session:
            Repository(session, "").ping()

    # studies
    def create_study(self, project: str, spec: Mapping[str, Any]) -> Study:
        """Validate a study definition (already schema-checked JSON) and store it."""
        return studies.create_study(self.database, project, spec, self.clock())

    def list_studies(self, project: str) -> list[StudySummary]:
        """Every study of the project with trial counts and best value (read-only)."""
        with self.database.transaction() as session:
            return Repository(session, project, self.clock()).summaries()

    def get_study(self, project: str, name: str) -> StudySummary:
        """One study with trial counts and best value (read-only, one transaction)."""
        with self.database.transaction() as session:
            return Repository(session, project, self.clock()).summary(name)

    def update_study(self, project: str, name: str, changes: Mapping[str, Any]) -> StudySummary:
        """Change a study's state, budget, description or pruner."""
        return studies.update_study(self.database, project, name, changes, self.clock())

    def delete_study(self, project: str, name: str) -> None:
        """Delete a study and its trials."""
        with self.database.transaction(write=True) as session:
            Repository(session, project).delete_study(name)

    # trials
    def suggest(
        self, project: str, name: str, worker_id: str | None, count: int = 1
    ) -> list[Trial]:
        """Hand out ``count`` trials to a worker (re-offers, then queued, then new)."""
        with fit_store.using(self.fits):
            return suggestions.suggest(self._ask(project, name, worker_id, count))

    def report(
        self,
        project: str,
        name: str,
        number: int,
        value: Any = None,
        metadata: Mapping[str, Any] | None = None,
        worker_id: str | None = None,
        values: Any = None,
    ) -> Trial:
        """Record a trial's value, or its values by metric name (idempotent)."""
        return trials.report(
            self.database, project, name, number, value, metadata, self.clock, worker_id, values
        )

    def report_then_suggest(
        self,
        project: str,
        name: str,
        number: int,
        report: Mapping[str, Any],
        count: int,
    ) -> tuple[Trial, list[Trial], HpoError | None]:
        """Record a report (``value``, ``values``, ``metadata``, ``worker_id`` as in
        ``report``), then hand up to ``count`` trials (none for 0) to the same worker: one
        round trip per trial for a worker loop. The report stands whatever the suggestion
        does; why none was handed out (budget used, study paused...) is returned, not
        raised."""
        worker_id = report.get("worker_id")
        end = trials.reporting(
            report.get("value"), report.get("metadata"), worker_id, report.get("values")
        )

        if count < 1:
            trial = trials.end_trial(self.database, project, name, number, end, self.clock)
            return trial, [], None

        def first(repo: Repository, early: bool) -> Trial:
            return trials.end_in(repo, name, number, end, self.clock, early)

        with fit_store.using(self.fits):
            return suggestions.report_then_suggest(
                self._ask(project, name, worker_id, count), first
            )

    def _ask(self, project: str, name: str, worker_id: str | None, count: int) -> suggestions.Ask:
        return suggestions.Ask(
            self.database, project, name, worker_id, count, self.clock, self.history
        )

    def release(self, project: str, name: str, number: int, worker_id: str | None = None) -> Trial:
        """Give back a handed-out trial that was never started: it is queued again."""
        return trials.release(self.database, project, name, number, worker_id, self.clock)

    def fail(
        self, project: str, name: str, number: int, reason: str, worker_id: str | None = None
    ) -> Trial:
        """Mark a trial failed with a reason (idempotent)."""
        return trials.fail(self.database, project, name, number, reason, self.clock, worker_id)

    def heartbeat(
        self, project: str, name: str, number: int, worker_id: str | None = None
    ) -> Trial:
        """Extend a running trial's lease."""
        return trials.heartbeat(self.database, project, name, number, worker_id, self.clock())

    def add_trial(
        self,
        project: str,
        name: str,
        params: Mapping[str, Any],
        value: Any = None,
        metadata: Mapping[str, Any] | None = None,
        values: Any = None,
    ) -> Trial:
        """Enqueue a configuration, or record one already evaluated when ``value`` (one
        objective) or ``values`` (by metric name) is given."""
        return trials.add_trial(
            self.database, project, name, params, value, metadata, self.clock, values
        )

    def annotate(self, project: str, name: str, number: int, metadata: Mapping[str, Any]) -> Trial:
        """Merge keys into a trial's metadata, whatever its state."""
        return trials.annotate(self.database, project, name, number, metadata, self.clock())

    def report_intermediate(
        self,
        project: str,
        name: str,
        number: int,
        step: int,
        value: Any,
        worker_id: str | None = None,
    ) -> tuple[Trial, Decision]:
        """Record a value reported during training; answer whether the trial should stop."""
        now = self.clock()
        return pruning.report_intermediate(
            self.database, project, name, number, step, value, worker_id, now
        )

    def add_intermediate(
        self, project: str, name: str, number: int, step: int, value: Any
    ) -> Trial:
        """Record a value reported during training (the decision is dropped)."""
        return self.report_intermediate(project, name, number, step, value)[0]

    def prune(
        self,
        project: str,
        name: str,
        number: int,
        worker_id: str | None = None,
        metadata: Mapping[str, Any] | None = None,
    ) -> Trial:
        """End a trial as pruned at its last intermediate value (idempotent)."""
        return pruning.prune(self.database, project, name, number, worker_id, self.clock, metadata)

    def get_trial(self, project: str, name: str, number: int) -> Trial:
        """One trial (a running trial whose lease ran out reads as stale; nothing is written)."""
        with self.database.transaction() as session:
            return Repository(session, project, self.clock()).get_trial(name, number)

    def list_trials(
        self,
        project: str,
        name: str,
        states: Sequence[TrialState] | None = None,
        after: int | None = None,
        changed_since: int | None = None,
        limit: int = 100,
    ) -> TrialPage:
        """A page of trials, the study's current change sequence and whether more follow."""
        with self.database.transaction() as session:
            repo = Repository(session, project, self.clock())
            trials, seq = repo.page(name, states, after, changed_since, limit + 1)
        return TrialPage(tuple(trials[:limit]), seq, has_more=len(trials) > limit)

    def all_trials(self, project: str, name: str) -> list[Trial]:
        """Every trial of a study in number order (exports, analyses)."""
        with self.database.transaction() as session:
            return Repository(session, project, self.clock()).trials(name)

    def importance(self, project: str, name: str) -> dict[str, Any]:
        """Each parameter's importance for the study's value (random forest, cached)."""
        return analysis.importance(self.database, project, name, self.history)

    def surrogate(self, project: str, name: str, param: str, points: int = 100) -> dict[str, Any]:
        """The GP posterior and acquisition along one parameter."""
        with fit_store.using(self.fits):
            return analysis.surrogate(self.database, project, name, param, points, self.history)

    def pareto(self, project: str, name: str) -> ParetoFront:
        """The feasible complete trials no other dominates, hypervolume and its history."""
        with self.database.transaction() as session:
            repo = Repository(session, project)
            study = repo.get_study(name)
            complete = repo.trials(name, states=(TrialState.COMPLETE,))
        return pareto_front(study, complete)

    def best_or_front(
        self, project: str, name: str, by: str = "value"
    ) -> Best | ParetoFront | None:
        """``best``, except that a study with several objectives answers its Pareto front
        (a re-score is one number, so ``by="rescore"`` still names one trial)."""
        if by != "rescore":
            with self.database.transaction() as session:
                several = Repository(session, project).get_study(name).multi_objective
            if several:
                return self.pareto(project, name)
        return self.best(project, name, by)

    def best(self, project: str, name: str, by: str = "value") -> Best | None:
        """The best trial by ``by`` (one of BEST_BY), or None when no trial qualifies.

        ``value``: the best complete trial (a pruned one only if none completed).
        ``posterior``: the complete trial with the best GP posterior mean (raises
        NotEnoughTrials below MIN_COMPLETE). ``rescore``: the best re-score.
        ``recommended``: rescore if any, else posterior, else value.
        """
        if by in ("rescore", "recommended"):
            with self.database.transaction() as session:
                repo = Repository(session, project)
                study = repo.get_study(name)
                rescored = best_rescored(study, repo.trials(name, states=(TrialState.COMPLETE,)))
            if rescored is not None or by == "rescore":
                return None if rescored is None else Best(rescored, "rescore")
        if by in ("posterior", "recommended"):
            try:
                top = self.ranking(project, name)[0]
                return Best(top.trial, "posterior", top)
            except NotEnoughTrials:
                if by == "posterior":
                    raise
        with self.database.transaction() as session:
            trial = Repository(session, project).best_trial(name)
        return None if trial is None else Best(trial, "value")

    def ranking(self, project: str, name: str) -> list[analysis.Ranked]:
        """Complete trials ranked by the GP posterior mean of their objective, best first."""
        with fit_store.using(self.fits):
            return analysis.posterior_ranking(self.database, project, name, self.history)

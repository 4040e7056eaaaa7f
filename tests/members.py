"""The worker loop the deployment fault tests run in client threads."""

from __future__ import annotations

import threading

from hpo_service.client import Client
from hpo_service.domain import StudyState
from hpo_service.errors import BudgetExhausted, HpoError, StudyNotRunning


def member(
    client: Client,
    name: str,
    worker: str,
    reports: list[tuple[int, float]],
    errors: list[str],
    stop: threading.Event | None = None,
    report_as_worker: bool = True,
) -> None:
    """Suggest and report on study ``name`` (params ``lr`` and ``layers``) until it
    completes or ``stop`` is set; append every acknowledged report to ``reports`` and the
    error that ended the loop, if any, to ``errors``. ``report_as_worker=False`` reports
    without the worker id (accepted even after the trial was re-offered to another)."""
    study = client.study(name)
    try:
        while stop is None or not stop.is_set():
            try:
                (trial,) = study.suggest(worker_id=worker)
            except StudyNotRunning:
                return
            except BudgetExhausted:
                if study.summary().study.state is StudyState.COMPLETED:
                    return
                threading.Event().wait(0.2)  # a suggest whose answer was lost comes back
                continue
            value = float(trial.params["lr"]) * int(trial.params["layers"])
            study.report(trial.number, value, worker_id=worker if report_as_worker else None)
            reports.append((trial.number, value))
    except HpoError as exc:
        errors.append(f"{worker}: {type(exc).__name__}: {exc}")

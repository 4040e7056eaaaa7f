"""Python client for hpo-service: httpx plus the shared wire codecs, nothing server-side.

    from hpo_service.client import Client

    client = Client("http://127.0.0.1:8000")
    study = client.create_study("demo", space, direction="maximize", max_trials=20)
    with study.trial(worker_id="w1") as trial:
        trial.report(train(**trial.params))

    with study.trial(worker_id="w1") as trial:      # with a pruner on the study
        for epoch in range(100):
            if trial.report_intermediate(epoch, train_one_epoch()):
                break                               # ends as pruned
        else:
            trial.report(score())

Importing this package pulls in neither Flask, SQLAlchemy nor numpy.
"""

from __future__ import annotations

from hpo_service.client.client import DEFAULT_URL, Client, default_url
from hpo_service.client.http import RetryPolicy
from hpo_service.client.running import Heartbeat, RunningTrial, TrialContext, TrialPruned
from hpo_service.client.study import Ranked, StopDecision, StudyHandle, summary_from_json
from hpo_service.errors import ServerError, ServiceUnavailable

Study = StudyHandle

__all__ = [
    "DEFAULT_URL",
    "Client",
    "Heartbeat",
    "Ranked",
    "RetryPolicy",
    "RunningTrial",
    "ServerError",
    "ServiceUnavailable",
    "StopDecision",
    "Study",
    "StudyHandle",
    "TrialContext",
    "TrialPruned",
    "default_url",
    "summary_from_json",
]

"""Readers of other tools' histories (bayes_opt logs, Optuna storages) for ``hpo import``.

Each reader returns the ``TrialRecord``s and, where the source knows it, the study definition
to create; ``service.imports.import_trials`` writes them all or nothing.
"""

from __future__ import annotations

from hpo_service.imports.bayes_opt_log import read_bayes_opt_log
from hpo_service.imports.optuna_study import read_optuna_study
from hpo_service.imports.source import ImportSource, check_definition

__all__ = ["ImportSource", "check_definition", "read_bayes_opt_log", "read_optuna_study"]

"""``hpo import bayes-opt-log FILE --study NAME`` and ``hpo import optuna --storage URL``."""

from __future__ import annotations

import argparse
import json
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from hpo_service.access import DEFAULT_PROJECT
from hpo_service.domain import TrialState
from hpo_service.errors import InvalidRequest, StudyNotFound
from hpo_service.imports.bayes_opt_log import read_bayes_opt_log
from hpo_service.imports.optuna_study import read_optuna_study
from hpo_service.imports.source import ImportSource, check_definition
from hpo_service.persistence import Database
from hpo_service.persistence.migrate import ensure_current
from hpo_service.service.imports import ImportResult, import_trials


def add_import_parser(sub: Any) -> None:
    """Register ``hpo import`` and its two sources on the top-level subparsers."""
    parser = sub.add_parser("import", help="import trials from bayes_opt or Optuna")
    kinds = parser.add_subparsers(dest="import_kind", required=True)
    log = kinds.add_parser("bayes-opt-log", help="a bayes_opt JSON log or save_state file")
    log.add_argument("file", type=Path)
    log.add_argument("--study", required=True, help="the service study to import into")
    log.add_argument(
        "--space",
        help="search space (REST JSON list, or @file) to create the study if it is missing; "
        "a save_state file brings its own pbounds",
    )
    optuna = kinds.add_parser("optuna", help="an Optuna study from its RDB storage")
    optuna.add_argument("--storage", required=True, help="Optuna storage URL (sqlite:///...)")
    optuna.add_argument("--study", required=True, help="the Optuna study name")
    optuna.add_argument("--as", dest="target", help="service study name (default: the same)")
    for command in (log, optuna):
        command.add_argument("--strategy", help="strategy JSON for a new study (default: gp)")
        command.add_argument("--database-url", default=None)
        command.add_argument(
            "--project", default=DEFAULT_PROJECT, help=f"the study's project ({DEFAULT_PROJECT})"
        )


def run_import(args: argparse.Namespace, url: str) -> str:
    """Read the source, write every record in one transaction, and say what happened."""
    if args.import_kind == "optuna":
        source = read_optuna_study(args.storage, args.study)
        name = args.target or args.study
    else:
        source = read_bayes_opt_log(args.file)
        name = args.study
        if args.space:
            space = _json_option(args.space, "--space")
            source = ImportSource(source.records, source.direction, {"space": space})
    definition = _definition(source, args.strategy)
    database = Database(url)
    try:
        ensure_current(database)
        result = import_trials(
            database,
            args.project,
            name,
            source.records,
            datetime.now(UTC),
            definition,
            source.direction,
        )
    except StudyNotFound as exc:
        raise StudyNotFound(f"{exc}; give --space to create it from the log") from exc
    finally:
        database.dispose()
    return _summary(result, source)


def _definition(source: ImportSource, strategy: str | None) -> dict[str, Any] | None:
    if source.definition is None:
        return None
    definition = {"direction": source.direction.value, **source.definition}
    if strategy:
        definition["strategy"] = _json_option(strategy, "--strategy")
    return check_definition(definition, "the study to create")


def _json_option(text: str, option: str) -> Any:
    try:
        raw = Path(text[1:]).read_text(encoding="utf-8") if text.startswith("@") else text
        return json.loads(raw)
    except (OSError, ValueError) as exc:
        raise InvalidRequest(f"{option}: not JSON or an @file of JSON ({exc})") from exc


def _summary(result: ImportResult, source: ImportSource) -> str:
    counts = Counter(t.state for t in result.trials)
    verb = "created study" if result.created else "study"
    text = (
        f"imported {len(result.trials)} trials ({counts[TrialState.COMPLETE]} complete, "
        f"{counts[TrialState.FAILED]} failed) into {verb} {result.study.name!r}"
    )
    if source.skipped:
        text += "; skipped " + ", ".join(f"{n} {s}" for s, n in sorted(source.skipped.items()))
    return text

"""The peer on the shipped problems: Optuna tuning the same MLP objective, judged the same way.

Run from the repository root (optuna is in the bench extra):

    .venv/bin/python bench/tuned_optuna.py run [--arms tpe-median,tpe] [--seeds 0,1,2]
    .venv/bin/python bench/tuned_mlp.py report     # the tables include these studies

Each study is what an Optuna user would write for this objective: the problem's search space
asked define-by-run (``units_k`` only when ``n_layers >= k``), the same objective function
as the service's workers (5-fold CV with CV seed 0, up to 500 epochs, every fold in
lockstep), each epoch's mean validation score given to ``trial.report`` and training stopped
when ``trial.should_prune()`` says so. Two worker processes share a journal file (Optuna's
storage for several processes without a database server), 25 trials each: the budget and
the parallelism of bench/tuned_mlp.py's service studies. Arms:

- ``tpe-median``: Optuna's default sampler (TPESampler) with MedianPruner(n_startup_trials=5,
  n_warmup_steps=10), the settings of the service's median arm (the two rules decide alike:
  docs/benchmarks/pruning_optuna.md);
- ``tpe``: TPESampler without pruning.

Afterwards the same honest protocol as the service's studies: Optuna has no posterior mean,
so the top 3 trials by value are re-scored on 5 x 5-fold CV with seed 1, the best re-score
is confirmed on seed 2; ``study.best_trial``, what a user of Optuna alone would take, is
confirmed on seed 2 too. One JSON file per study in bench/results/tuned/optuna/, in the
service studies' format (rerunning skips what is there).
"""

from __future__ import annotations

import argparse
import datetime as dt
import multiprocessing
import sys
import tempfile
import time
from collections.abc import Mapping
from functools import partial
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import optuna
from optuna.storages import JournalStorage
from optuna.storages.journal import JournalFileBackend
from tuned_mlp import CONFIRM, RESULTS, STUDY_FOLDS, TOP, WORKERS, store

from trainer.commands import scoring_pool
from trainer.evaluation import Protocol, Score
from trainer.objectives import get_problem
from trainer.objectives.registry import Problem
from trainer.rescore import scores_of

OPTUNA_RESULTS = RESULTS / "optuna"
MEDIAN = {"n_startup_trials": 5, "n_warmup_steps": 10}  # the service's median arm (DEMO_PRUNERS)
ARMS = ("tpe-median", "tpe")


def suggest(trial: optuna.Trial, problem: Problem) -> dict[str, Any]:
    """A configuration of the problem's space asked define-by-run: a parameter with an
    "only when" condition is asked only when the parameters before it satisfy it."""
    params: dict[str, Any] = {}
    for spec in problem.space:
        name = str(spec["name"])
        condition = spec.get("condition")
        if condition is not None and params.get(condition["param"]) not in condition["in"]:
            continue  # an inactive parent (absent) makes its children inactive too
        kind = spec["type"]
        if kind == "categorical":
            params[name] = trial.suggest_categorical(name, list(spec["choices"]))
        elif kind == "int":
            params[name] = trial.suggest_int(name, spec["low"], spec["high"], log=spec["log"])
        elif kind == "float":
            params[name] = trial.suggest_float(name, spec["low"], spec["high"], log=spec["log"])
        else:
            raise ValueError(f"parameter {name!r}: type {kind!r} is not in the MLP spaces")
    return params


def _objective(problem: Problem) -> Any:
    def objective(trial: optuna.Trial) -> float:
        params = suggest(trial, problem)

        def on_epoch(step: int, value: float) -> bool:
            trial.report(value, step)
            return trial.should_prune()

        result = problem.evaluate(params, folds=STUDY_FOLDS, seed=0, on_epoch=on_epoch)
        trial.set_user_attr("epochs_total", int(result.metrics.get("epochs_total", 0)))
        trial.set_user_attr("epochs", result.metrics.get("epochs"))
        if result.pruned:
            raise optuna.TrialPruned(f"stopped at epoch {result.metrics.get('epochs')}")
        return result.value

    return objective


def _sampler(seed: int, worker: int) -> optuna.samplers.BaseSampler:
    # each process has its own sampler: one seed for both would start them on the same points
    return optuna.samplers.TPESampler(seed=1000 * seed + worker)


def _pruner(arm: str) -> optuna.pruners.BasePruner:
    if arm == "tpe-median":
        return optuna.pruners.MedianPruner(**MEDIAN)
    return optuna.pruners.NopPruner()


def _worker(
    journal: str, name: str, problem: str, arm: str, seed: int, worker: int, n: int
) -> None:
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    storage = JournalStorage(JournalFileBackend(journal))
    study = optuna.load_study(
        study_name=name, storage=storage, sampler=_sampler(seed, worker), pruner=_pruner(arm)
    )
    study.optimize(_objective(get_problem(problem)), n_trials=n)


def run_study(problem_name: str, arm: str, seed: int, trials: int) -> dict[str, Any]:
    """One Optuna study in WORKERS processes, then the honest re-score of its top trials."""
    problem = get_problem(problem_name)
    name = f"{problem_name}-optuna-{arm}-{seed}"
    with tempfile.TemporaryDirectory(prefix="hpo-tuned-optuna-") as tmp:
        journal = str(Path(tmp) / "journal.log")
        storage = JournalStorage(JournalFileBackend(journal))
        optuna.create_study(study_name=name, storage=storage, direction=problem.direction)
        context = multiprocessing.get_context("spawn")
        shares = [trials // WORKERS + (k < trials % WORKERS) for k in range(WORKERS)]
        started = time.monotonic()
        workers = [
            context.Process(target=_worker, args=(journal, name, problem_name, arm, seed, k, n))
            for k, n in enumerate(shares)
        ]
        for process in workers:
            process.start()
        for process in workers:
            process.join()
            if process.exitcode != 0:
                raise RuntimeError(f"an Optuna worker exited with {process.exitcode}")
        seconds = time.monotonic() - started
        study = optuna.load_study(study_name=name, storage=storage)
        all_trials = study.get_trials(deepcopy=False)
        return _judged(problem, arm, seed, trials, seconds, study, all_trials)


def _judged(
    problem: Problem,
    arm: str,
    seed: int,
    trials: int,
    seconds: float,
    study: optuna.Study,
    all_trials: list[optuna.trial.FrozenTrial],
) -> dict[str, Any]:
    complete = [t for t in all_trials if t.state is optuna.trial.TrialState.COMPLETE]
    sign = -1.0 if problem.direction == "maximize" else 1.0
    chosen = sorted(complete, key=lambda t: (sign * float(t.value or 0.0), t.number))[:TOP]
    protocol = Protocol()
    scores = _scores(problem.name, [t.params for t in chosen], protocol)
    ranked = sorted(zip(chosen, scores, strict=True),
                    key=lambda pair: (sign * pair[1].mean, pair[0].number))  # fmt: skip
    best, best_score = ranked[0]
    confirm = _scores(problem.name, [best.params], CONFIRM)[0]
    own = study.best_trial
    own_confirm = (
        confirm if own.number == best.number else _scores(problem.name, [own.params], CONFIRM)[0]
    )
    return {
        "problem": problem.name,
        "pruner": f"optuna-{arm}",
        "repeats": 1,
        "seed": seed,
        "trials": trials,
        "seconds": round(seconds, 1),
        "states": _states(all_trials),
        "epochs": sum(int(t.user_attrs.get("epochs_total", 0)) for t in all_trials),
        "best_value": best.value,
        "best_number": best.number,
        "best_params": dict(best.params),
        "rescore": best_score.to_json(protocol),
        "confirm": confirm.to_json(CONFIRM),
        "candidates_by": "value",
        "optuna_best": {
            "number": own.number,
            "value": own.value,
            "params": dict(own.params),
            "confirm": own_confirm.to_json(CONFIRM),
        },
        "rescored": [
            {"number": t.number, "value": t.value, **s.to_json(protocol)} for t, s in ranked
        ],
        "history": [
            {
                "number": t.number,
                "state": t.state.name.lower(),
                "value": t.value if t.value is not None else _last(t.intermediate_values),
                "epochs": t.user_attrs.get("epochs"),
                "params": dict(t.params),
                "curve": [[step, round(v, 5)] for step, v in sorted(t.intermediate_values.items())],
            }
            for t in all_trials
        ],
        "sampler": f"TPESampler(seed=1000 * {seed} + worker)",
        "pruner_settings": MEDIAN if arm == "tpe-median" else {},
        "optuna": optuna.__version__,
        "when": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
    }


def _states(trials: list[optuna.trial.FrozenTrial]) -> dict[str, int]:
    return {s.name.lower(): sum(t.state is s for t in trials) for s in optuna.trial.TrialState}


def _last(values: Mapping[int, float]) -> float | None:
    return values[max(values)] if values else None


def _scores(problem: str, configs: list[dict[str, Any]], protocol: Protocol) -> list[Score]:
    """Re-score configurations in WORKERS processes (the same figures as in series)."""
    with scoring_pool(WORKERS) as pool:
        return list(scores_of(get_problem(problem), configs, protocol, pool))


def run(
    arms: list[str], seeds: list[int], trials: int, problems: list[str], into: str = ""
) -> None:
    """Run every missing (problem, arm, seed) study; one JSON file each (in the subfolder
    ``into`` if given: a rerun, say)."""
    for problem in problems:
        for arm in arms:
            for seed in seeds:
                store(OPTUNA_RESULTS / into / f"{problem}-optuna-{arm}-{seed}-{trials}.json",
                      partial(run_study, problem, arm, seed, trials))  # fmt: skip


def main() -> None:
    """Parse the command line and run."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("command", choices=["run"])
    parser.add_argument("--arms", default=",".join(ARMS), help=f"arms: {', '.join(ARMS)}")
    parser.add_argument("--seeds", default="0,1,2")
    parser.add_argument("--trials", type=int, default=50)
    parser.add_argument("--problems", default="breast-cancer,concrete")
    parser.add_argument("--into", default="", help="subfolder of the results (e.g. a rerun)")
    args = parser.parse_args()
    run(args.arms.split(","), [int(s) for s in args.seeds.split(",")], args.trials,
        args.problems.split(","), args.into)  # fmt: skip


if __name__ == "__main__":
    main()

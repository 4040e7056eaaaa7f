"""What ``hpo-trainer create-study`` and ``hpo-trainer work`` do, apart from argument parsing.

Which problem a study trains: ``--problem`` if given; else the ``problem=NAME`` tag that
``create-study`` writes into the study's description; else a registered problem whose
name starts the study's name (``breast-cancer-demo``); else the one problem whose metric is
the study's metric. Otherwise ``work`` asks for ``--problem``.
"""

from __future__ import annotations

import dataclasses
import logging
import multiprocessing
import os
import re
import signal
import sys
import threading
from collections.abc import Iterator, Mapping, Sequence
from concurrent.futures import Executor, ProcessPoolExecutor
from contextlib import contextmanager
from types import FrameType
from typing import Any

from hpo_service.client import Client, StudyHandle
from hpo_service.domain import Study
from hpo_service.errors import InvalidStrategy
from trainer.evaluation import Protocol, baselines
from trainer.objectives import (
    MLP_SPACE,
    ObjectiveError,
    Problem,
    Settings,
    get_problem,
    problem_names,
)
from trainer.objectives.mlp import mlp_kwargs
from trainer.progress import Progress, summary_text
from trainer.rescore import rescore_line, rescore_study
from trainer.worker import WorkerConfig, child_main, run_in_process

log = logging.getLogger("trainer")
_TAG = re.compile(r"\bproblem=([A-Za-z0-9_.-]+)")


def strategy_config(
    name: str | None, acquisition: str | None, grid_points: int | None, seed: int | None
) -> dict[str, Any] | None:
    """The REST ``strategy`` object for the command-line options (None: the server's default)."""
    if name is None:
        return None
    config: dict[str, Any] = {"name": name}
    if name == "gp" and acquisition:
        config["acquisition"] = acquisition
    if name == "grid" and grid_points:
        config["grid"] = grid_points
    if seed is not None:
        config["seed"] = seed
    return config


def create_problem_study(
    client: Client,
    problem: Problem,
    name: str,
    strategy: dict[str, Any] | None,
    **options: Any,
) -> StudyHandle:
    """Create a study with the problem's space, direction and metric, tagged with its name."""
    description = f"problem={problem.name}: {problem.description}".strip()
    return client.create_study(
        name,
        problem.search_space(),
        direction=problem.direction,
        metric=problem.metric,
        strategy=strategy,
        description=description,
        **options,
    )


def create_with_fallback(
    client: Client, problem: Problem, name: str, acquisition: str, **options: Any
) -> StudyHandle:
    """GP with the given acquisition if the service offers it, else random search."""
    try:
        return create_problem_study(
            client, problem, name, {"name": "gp", "acquisition": acquisition}, **options
        )
    except InvalidStrategy as exc:
        log.warning("the service has no gp strategy (%s); using random search", exc)
        return create_problem_study(client, problem, name, {"name": "random"}, **options)


def resolve_problem(study: Study, flag: str | None) -> str:
    """The problem a study trains (see the module docstring for the order of evidence)."""
    if flag:
        return get_problem(flag).name
    tagged = _TAG.search(study.description or "")
    if tagged:
        return get_problem(tagged.group(1)).name
    names = problem_names()
    for name in sorted(names, key=len, reverse=True):
        if study.name == name or study.name.startswith(name + "-"):
            return name
    by_metric = [n for n in names if get_problem(n).metric == study.metric]
    if len(by_metric) == 1:
        return by_metric[0]
    raise ObjectiveError(
        f"cannot tell which problem study {study.name!r} trains; pass --problem (one of {names})"
    )


def run_work(
    client: Client,
    config: WorkerConfig,
    workers: int,
    verbosity: int,
    progress: bool = True,
    dask: str | None = None,
) -> int:
    """Run ``workers`` worker loops (in-process for one, else processes, or Dask tasks on the
    cluster at ``dask``) with a progress line; summarise."""
    study = client.get_study(config.study)
    meter = Progress(study) if progress else None
    if dask:
        from trainer.fleet import run_fleet

        code = run_fleet(config, workers, dask, verbosity, meter)
    elif workers <= 1:
        code = _work_here(config, meter)
    else:
        code = _work_in_children(config, workers, verbosity, meter)
    summary, best = study.summary(), study.best()
    note = network_note(config.problem, best.params) if best is not None else None
    print(summary_text(summary, best, note), file=sys.stdout, flush=True)
    return code


def network_note(problem: str, params: Mapping[str, Any]) -> str | None:
    """For the built-in MLP problems, the network those parameters train."""
    if tuple(get_problem(problem).space) != MLP_SPACE:
        return None
    kwargs = mlp_kwargs(params, Settings())
    return (
        f"{params['input_transform']} inputs, hidden layers {kwargs['hidden_layer_sizes']}, "
        f"{kwargs['activation']}, adam"
    )


@contextmanager
def scoring_pool(jobs: int) -> Iterator[Executor | None]:
    """``jobs`` processes (spawned, as the workers are) to score in parallel; None for one."""
    if jobs <= 1:
        yield None
        return
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=jobs, mp_context=context) as pool:
        yield pool


def run_rescore(
    client: Client,
    name: str,
    problem_flag: str | None,
    top: int,
    protocol: Protocol,
    with_baselines: bool = False,
    by: str = "posterior",
    jobs: int = 1,
) -> int:
    """Re-score the top trials on fresh splits, name the recommendation; baselines optional.

    With ``jobs`` > 1 the trials (and the baselines, started first) are scored by that many
    processes at once; the figures are the same as in series."""
    study = client.get_study(name)
    problem = get_problem(resolve_problem(study.definition, problem_flag))
    print(f"re-scoring the top {top} trials of {name} by {by} on {protocol.describe()}", flush=True)
    with scoring_pool(jobs) as pool:
        pending = (
            pool.submit(baselines, problem.name, protocol) if pool and with_baselines else None
        )
        done = rescore_study(
            study, problem, top, protocol, lambda r: print(rescore_line(r), flush=True), by, pool
        )
        if not done:
            if pending is not None:
                pending.cancel()
            print(f"study {name} has no complete trial to re-score")
            return 1
        base = pending.result() if pending else None
    best = done[0]
    lines = [(f"tuned MLP (trial {best.trial.number}, recommended)", best.score)]
    if with_baselines:
        scores = base if base is not None else baselines(problem.name, protocol)
        lines += [(score.label, score) for score in scores]
    print(f"\n{problem.metric} on {protocol.describe()} (splits the study never saw), mean +- se:")
    for label, score in lines:
        print(f"  {label:44} {score.mean:.4f} +- {score.sem:.4f}")
    note = network_note(problem.name, best.trial.params)
    print(
        f"recommended: trial {best.trial.number} {dict(best.trial.params)}"
        + (f" ({note})" if note else "")
    )
    return 0


def _work_here(config: WorkerConfig, meter: Progress | None) -> int:
    done = threading.Event()
    drawer = None
    if meter is not None:
        drawer = threading.Thread(target=meter.run, args=(done.is_set,), daemon=True)
        drawer.start()
    stats = run_in_process(config, on_stop=done.set)
    if drawer is not None:
        drawer.join(timeout=10)
    log.info("worker done: %d complete, %d failed", len(stats.completed), len(stats.failed))
    return 0


def _work_in_children(
    config: WorkerConfig, workers: int, verbosity: int, meter: Progress | None
) -> int:
    context = multiprocessing.get_context("spawn")
    child_config = dataclasses.replace(config, parent_pid=os.getpid())
    children = [
        context.Process(target=child_main, args=(child_config, verbosity), name=f"worker-{i}")
        for i in range(workers)
    ]
    for child in children:
        child.start()
    previous = _forward_signals(children)
    try:
        if meter is not None:
            meter.run(lambda: not any(c.is_alive() for c in children))
        for child in children:
            child.join()
    finally:
        for number, handler in previous.items():
            signal.signal(number, handler)
    codes = [child.exitcode for child in children]
    return 0 if all(code == 0 for code in codes) else 1


def _forward_signals(children: Sequence[multiprocessing.process.BaseProcess]) -> dict[int, Any]:
    """Forward SIGINT / SIGTERM to the workers as SIGTERM (first: finish; second: abort)."""

    def forward(number: int, frame: FrameType | None) -> None:
        """Tell the user, then SIGTERM every live worker."""
        print(
            f"\n{signal.Signals(number).name}: workers finish their trials "
            "(again to abort and fail them)",
            file=sys.stderr,
        )
        for child in children:
            if child.is_alive() and child.pid is not None:
                os.kill(child.pid, signal.SIGTERM)

    return {number: signal.signal(number, forward) for number in (signal.SIGINT, signal.SIGTERM)}

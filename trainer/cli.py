"""The ``hpo-trainer`` command: problems, create-study, work and demo."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence

from hpo_service.cli import at_least_one
from hpo_service.client import Client, default_url
from hpo_service.errors import HpoError
from trainer.commands import (
    create_problem_study,
    resolve_problem,
    run_rescore,
    run_work,
    strategy_config,
)
from trainer.demo import (
    DEMO_PROBLEMS,
    DEMO_PRUNER,
    DEMO_PRUNERS,
    DEMO_TRIALS,
    DemoOptions,
    run_demo,
)
from trainer.evaluation import RESCORE_FOLDS, RESCORE_REPEATS, RESCORE_SEED, Protocol
from trainer.logs import configure_logging
from trainer.objectives import DEFAULT_MAX_ITER, ObjectiveError, get_problem, problem_names
from trainer.worker import WorkerConfig


def _common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--server",
        default=None,
        help="service URL, or several comma-separated to fail over between "
        "(default: $HPO_URL, else http://127.0.0.1:8000)",
    )
    parser.add_argument("-v", "--verbose", action="count", default=0, help="-v: INFO, -vv: DEBUG")
    parser.add_argument("--token", default=None, help="API token (default: $HPO_TOKEN)")


def _training(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--folds", type=int, default=5, help="cross-validation folds (5)")
    parser.add_argument(
        "--max-iter", type=int, default=DEFAULT_MAX_ITER, help=f"epoch cap ({DEFAULT_MAX_ITER})"
    )
    parser.add_argument("--seed", type=int, default=0, help="seed of the CV split and the nets")
    parser.add_argument(
        "--repeats", type=int, default=1, help="CV repetitions per trial (1; more cuts noise)"
    )


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="hpo-trainer", description="trainer workers for hpo-service (see docs/client.md)"
    )
    sub = parser.add_subparsers(dest="command", required=True)
    _common(sub.add_parser("problems", help="list the problems workers can train"))
    _create_parser(sub.add_parser("create-study", help="create a study for a problem"))
    _work_parser(sub.add_parser("work", help="train trials of a study until its budget is used"))
    _rescore_parser(
        sub.add_parser("rescore", help="re-score the top trials on fresh CV splits, recommend one")
    )
    _demo_parser(sub.add_parser("demo", help="serve, tune an MLP on a shipped problem, summarise"))
    return parser


def _create_parser(create: argparse.ArgumentParser) -> None:
    _common(create)
    create.add_argument("--problem", required=True, help="breast-cancer, concrete, ...")
    create.add_argument("--name", required=True)
    create.add_argument(
        "--strategy",
        choices=["gp", "random", "grid"],
        default=None,
        help="default: the service's (gp with EI when available)",
    )
    create.add_argument("--acquisition", choices=["ei", "ucb", "pi"], default=None)
    create.add_argument("--grid-points", type=int, default=None, help="grid: points per parameter")
    create.add_argument("--max-trials", type=int, default=50)
    create.add_argument("--seed", type=int, default=None, help="strategy seed")
    create.add_argument("--lease-seconds", type=int, default=60)
    create.add_argument("--max-retries", type=int, default=None)
    create.add_argument("--exist-ok", action="store_true", help="reuse a study of that name")


def _work_parser(work: argparse.ArgumentParser) -> None:
    _common(work)
    _training(work)
    work.add_argument("--study", required=True)
    work.add_argument("--problem", default=None, help="default: taken from the study")
    work.add_argument("--workers", type=at_least_one, default=1, help="worker processes (1)")
    work.add_argument(
        "--dask",
        default=None,
        metavar="ADDRESS",
        help="run the workers as tasks on a Dask cluster: tcp://HOST:8786, or `local` "
        "(a LocalCluster of processes here); needs hpo-service[dask]",
    )
    work.add_argument("--data", default=None, help="concrete.csv or its directory")
    work.add_argument("--worker-id", default="", help="default: host-pid")
    work.add_argument("--no-progress", action="store_true", help="no progress line")
    work.add_argument(
        "--sync-reports",
        action="store_true",
        help="wait for each epoch's report before training the next (default: pipelined, "
        "the answer to epoch k stops training at epoch k+1)",
    )


def _rescore_parser(rescore: argparse.ArgumentParser) -> None:
    _common(rescore)
    rescore.add_argument("--study", required=True)
    rescore.add_argument("--top", type=int, default=3, help="how many trials to re-score (3)")
    rescore.add_argument(
        "--by",
        choices=("posterior", "value"),
        default="posterior",
        help="which trials are the top: best GP posterior mean (default) or best raw value",
    )
    rescore.add_argument("--problem", default=None, help="default: taken from the study")
    rescore.add_argument("--folds", type=int, default=RESCORE_FOLDS)
    rescore.add_argument("--repeats", type=int, default=RESCORE_REPEATS, help="CV repetitions")
    rescore.add_argument(
        "--seed", type=int, default=RESCORE_SEED, help="CV seed: pick one the study never used"
    )
    rescore.add_argument("--max-iter", type=int, default=DEFAULT_MAX_ITER, help="epoch cap")
    rescore.add_argument("--data", default=None, help="concrete.csv or its directory")
    rescore.add_argument(
        "--baselines",
        action="store_true",
        help="also score the default MLP and a tuned simple model",
    )
    rescore.add_argument(
        "--jobs", type=at_least_one, default=1, help="processes scoring at once (1; same figures)"
    )


def _demo_parser(demo: argparse.ArgumentParser) -> None:
    demo.add_argument("-v", "--verbose", action="count", default=0)
    _training(demo)
    demo.add_argument(
        "--problem", choices=DEMO_PROBLEMS, default=DEMO_PROBLEMS[0],
        help=f"the shipped problem to tune ({DEMO_PROBLEMS[0]})",
    )  # fmt: skip
    demo.add_argument(
        "--pruner", choices=tuple(DEMO_PRUNERS), default=DEMO_PRUNER,
        help=f"early stopping: median or none ({DEMO_PRUNER})",
    )  # fmt: skip
    demo.add_argument(
        "--trials", type=int, default=DEMO_TRIALS, help=f"trials in the study ({DEMO_TRIALS})"
    )
    demo.add_argument("--top", type=int, default=3, help="trials re-scored at the end (3)")
    demo.add_argument("--workers", type=at_least_one, default=2, help="worker processes (2)")
    demo.add_argument("--port", type=int, default=8000)
    demo.add_argument("--dir", default="demo-run", help="working directory (./demo-run)")
    demo.add_argument("--keep-serving", action="store_true", help="leave the server up")


def _problems() -> int:
    for name in problem_names():
        problem = get_problem(name)
        print(f"{name:16} {problem.direction:8} {problem.metric:14} {problem.description}")
    return 0


def _create(args: argparse.Namespace, client: Client) -> int:
    problem = get_problem(args.problem)
    strategy = strategy_config(args.strategy, args.acquisition, args.grid_points, args.seed)
    options = {
        "max_trials": args.max_trials,
        "lease_seconds": args.lease_seconds,
        "max_retries": args.max_retries,
        "seed": args.seed,
        "exist_ok": args.exist_ok,
    }
    study = create_problem_study(client, problem, args.name, strategy, **options)
    definition = study.definition
    print(
        f"study {definition.name}: {problem.name}, {definition.direction.value} "
        f"{definition.metric}, strategy {dict(definition.strategy)}, "
        f"max_trials {definition.max_trials}"
    )
    return 0


def worker_config(args: argparse.Namespace, urls: list[str], problem: str) -> WorkerConfig:
    """The workers' settings from ``work``'s command line."""
    return WorkerConfig(
        server=",".join(urls), study=args.study, problem=problem, worker_id=args.worker_id,
        folds=args.folds, max_iter=args.max_iter, seed=args.seed, data_path=args.data,
        repeats=args.repeats, pipeline_reports=not args.sync_reports,
    )  # fmt: skip


def _work(args: argparse.Namespace, client: Client) -> int:
    study = client.get_study(args.study)
    problem = resolve_problem(study.definition, args.problem)
    config = worker_config(args, list(client.urls), problem)
    return run_work(
        client, config, args.workers, args.verbose, not args.no_progress, dask=args.dask
    )


def _rescore(args: argparse.Namespace, client: Client) -> int:
    protocol = Protocol(args.folds, args.repeats, args.seed, args.max_iter, args.data)
    return run_rescore(
        client, args.study, args.problem, args.top, protocol, args.baselines, args.by, args.jobs
    )


def _demo(args: argparse.Namespace) -> int:
    options = DemoOptions(
        problem=args.problem, pruner=args.pruner, trials=args.trials, top=args.top,
        workers=args.workers, port=args.port, directory=args.dir,
        keep_serving=args.keep_serving, folds=args.folds, max_iter=args.max_iter,
        seed=args.seed, repeats=args.repeats, verbosity=args.verbose,
    )  # fmt: skip
    return run_demo(options)


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``hpo-trainer`` console script."""
    args = _parser().parse_args(argv)
    configure_logging(args.verbose)
    try:
        if args.command == "problems":
            return _problems()
        if args.command == "demo":
            return _demo(args)
        if args.token:  # worker processes build their own clients from the environment
            os.environ["HPO_TOKEN"] = args.token
        with Client(args.server or default_url(), token=args.token) as client:
            if args.command == "create-study":
                return _create(args, client)
            if args.command == "rescore":
                return _rescore(args, client)
            return _work(args, client)
    except (HpoError, ObjectiveError) as exc:
        print(f"hpo-trainer: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())

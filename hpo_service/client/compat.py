"""A drop-in for scripts written against bayes_opt's ``BayesianOptimization``, backed by a study.

    from hpo_service.client.compat import BayesianOptimization   # was: from bayes_opt import ...

    optimizer = BayesianOptimization(f=black_box_function, pbounds=pbounds, random_state=1)
    optimizer.maximize(init_points=2, n_iter=3)
    print(optimizer.max)

Same constructor arguments as the library (``f``, ``pbounds``, ``acquisition_function``,
``random_state``, ``verbose``, ``allow_duplicate_points``) plus ``server`` (default
``$HPO_URL``) and ``study`` (created from ``pbounds`` if missing, with the service's
``bayes_opt`` strategy). ``suggest()`` hands out a trial, ``register(params, target)``
completes it (or records a point the service never suggested), ``probe`` / ``maximize`` /
``max`` / ``res`` behave as in the library, reading the study. httpx only: no numpy, and
bayes_opt itself is never imported (an acquisition object is read by its class name and
its ``kappa`` / ``xi`` / ``exploration_decay`` attributes). See docs/migrating.md.
"""

from __future__ import annotations

import random
import re
from collections import deque
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from hpo_service.client.client import Client
from hpo_service.client.study import StudyHandle
from hpo_service.domain import CategoricalParam, Direction, IntParam, Params, Trial, TrialState
from hpo_service.errors import InvalidRequest, StudyNotFound

ACQUISITIONS = {
    "UpperConfidenceBound": ("ucb", "kappa"),
    "ExpectedImprovement": ("ei", "xi"),
    "ProbabilityOfImprovement": ("pi", "xi"),
}
ParamsLike = Mapping[str, Any] | Sequence[float]


def space_from_pbounds(pbounds: Mapping[str, Any]) -> list[dict[str, Any]]:
    """bayes_opt bounds as a search space: ``(lo, hi)`` / ``(lo, hi, int)`` / a list of choices."""
    space: list[dict[str, Any]] = []
    for name, bounds in pbounds.items():
        if isinstance(bounds, list):
            space.append({"name": name, "type": "categorical", "choices": list(bounds)})
        elif isinstance(bounds, tuple) and len(bounds) in (2, 3):
            kind = "int" if len(bounds) == 3 and bounds[2] is int else "float"
            low, high = bounds[0], bounds[1]
            space.append({"name": name, "type": kind, "low": low, "high": high})
        else:
            raise InvalidRequest(
                f"pbounds[{name!r}] = {bounds!r}: give (low, high), (low, high, int) or a list "
                "of categories, as bayes_opt does"
            )
    return space


def strategy_for(acquisition_function: Any) -> dict[str, Any]:
    """The service's ``bayes_opt`` strategy for a bayes_opt acquisition object (or None)."""
    config: dict[str, Any] = {"name": "bayes_opt", "init_points": 1}
    if acquisition_function is None:
        return config
    kind = type(acquisition_function).__name__
    if kind not in ACQUISITIONS:
        raise InvalidRequest(
            f"acquisition function {kind} has no counterpart in the service; use "
            f"{', '.join(ACQUISITIONS)} or pass strategy= explicitly"
        )
    name, option = ACQUISITIONS[kind]
    config.update(acquisition=name, **{option: float(getattr(acquisition_function, option))})
    for key in ("exploration_decay", "exploration_decay_delay"):
        if getattr(acquisition_function, key, None) is not None:
            config[key] = getattr(acquisition_function, key)
    return config


def _default_study_name(f: Callable[..., float] | None) -> str:
    name = re.sub(r"[^A-Za-z0-9._-]", "-", getattr(f, "__name__", "") or "")
    return (name.strip("-._") or "bayes-opt")[:128]


class BayesianOptimization:
    """bayes_opt's optimiser API over one study of the service (always maximises ``f``)."""

    def __init__(
        self,
        f: Callable[..., float] | None,
        pbounds: Mapping[str, Any],
        acquisition_function: Any = None,
        random_state: int | None = None,
        verbose: int = 2,
        allow_duplicate_points: bool = False,
        *,
        server: str | None = None,
        study: str | None = None,
        strategy: Mapping[str, Any] | None = None,
        client: Client | None = None,
    ) -> None:
        self._f = f
        self._verbose = verbose
        self._client = client or Client(server)
        self._random = random.Random(random_state)
        self._queue: deque[ParamsLike] = deque()
        self._suggested: dict[tuple[Any, ...], int] = {}
        self._iteration = 0
        self.allow_duplicate_points = allow_duplicate_points
        self.study = self._open(
            study or _default_study_name(f),
            pbounds,
            dict(strategy) if strategy is not None else strategy_for(acquisition_function),
            random_state,
        )
        self.keys: list[str] = self.study.definition.space.names

    def _open(
        self, name: str, pbounds: Mapping[str, Any], strategy: dict[str, Any], seed: int | None
    ) -> StudyHandle:
        try:
            handle = self._client.get_study(name)
        except StudyNotFound:
            space = space_from_pbounds(pbounds)
            return self._client.create_study(
                name, space, direction="maximize", strategy=strategy, exist_ok=True, seed=seed
            )
        definition = handle.definition
        if definition.direction is not Direction.MAXIMIZE:
            raise InvalidRequest(
                f"study {name!r} minimises; bayes_opt maximises its target, so use a study "
                "created with direction 'maximize' (or a new study name)"
            )
        if sorted(definition.space.names) != sorted(pbounds):
            raise InvalidRequest(
                f"study {name!r} has parameters {definition.space.names}, pbounds has "
                f"{sorted(pbounds)}; use the same names or another study"
            )
        return handle

    def _params(self, params: ParamsLike) -> Params:
        if isinstance(params, Mapping):
            return dict(params)
        return dict(zip(self.keys, params, strict=True))

    def _key(self, params: Mapping[str, Any]) -> tuple[Any, ...]:
        return tuple(params.get(k) for k in self.keys)

    def suggest(self) -> Params:
        """Hand out the service's next configuration (a running trial) to evaluate."""
        trial = self.study.suggest(1, worker_id="bayes_opt-compat")[0]
        self._suggested[self._key(trial.params)] = trial.number
        return dict(trial.params)

    def register(self, params: ParamsLike, target: float) -> None:
        """Record ``target`` for ``params``: completes the suggested trial, else adds one."""
        checked = self._params(params)
        number = self._suggested.pop(self._key(checked), None)
        if number is not None:
            trial = self.study.report(number, target)
        else:
            if not self.allow_duplicate_points and self._key(checked) in self._seen():
                raise InvalidRequest(
                    f"data point {checked} is not unique; set allow_duplicate_points=True "
                    "to register it again"
                )
            trial = self.study.record(checked, target)
        self._log(trial)

    def probe(self, params: ParamsLike, lazy: bool = True) -> None:
        """Evaluate ``f`` at ``params`` now, or (lazy) at the start of the next maximize."""
        if lazy:
            self._queue.append(params)
        else:
            self._evaluate(self._params(params), suggested=False)

    def random_sample(self, n: int = 1) -> list[Params]:
        """``n`` uniformly random configurations of the study's space (seeded by random_state)."""
        out: list[Params] = []
        for _ in range(n):
            sample: Params = {}
            for param in self.study.definition.space.params:
                if isinstance(param, CategoricalParam):
                    sample[param.name] = self._random.choice(param.choices)
                elif isinstance(param, IntParam):
                    sample[param.name] = self._random.randint(param.low, param.high)
                else:
                    sample[param.name] = self._random.uniform(param.low, param.high)
            out.append(sample)
        return out

    def maximize(self, init_points: int = 5, n_iter: int = 25) -> None:
        """``init_points`` random probes (and queued ones), then ``n_iter`` suggestions."""
        if self._f is None:
            raise InvalidRequest("maximize needs f; with f=None use suggest() and register()")
        if not self._queue and not self.res:
            init_points = max(init_points, 1)
        self._queue.extend(self.random_sample(init_points))
        self._header()
        iteration = 0
        while self._queue or iteration < n_iter:
            if self._queue:
                self._evaluate(self._params(self._queue.popleft()), suggested=False)
            else:
                self._evaluate(self.suggest(), suggested=True)
                iteration += 1

    def _evaluate(self, params: Params, suggested: bool) -> None:
        assert self._f is not None
        try:
            target = self._f(**params)
        except BaseException as exc:
            number = self._suggested.pop(self._key(params), None) if suggested else None
            if number is not None:
                self.study.fail(number, f"{type(exc).__name__}: {exc}"[:10_000])
            raise
        self.register(params, target)

    def _seen(self) -> set[tuple[Any, ...]]:
        return {self._key(t.params) for t in self.study.trials(TrialState.COMPLETE)}

    @property
    def max(self) -> dict[str, Any] | None:
        """The best ``{"target", "params"}`` so far, or None."""
        best = self.study.best()
        return None if best is None else {"target": best.value, "params": dict(best.params)}

    @property
    def res(self) -> list[dict[str, Any]]:
        """Every completed ``{"target", "params"}`` in the order they were recorded."""
        trials = self.study.trials(TrialState.COMPLETE)
        return [{"target": t.value, "params": dict(t.params)} for t in trials]

    def _header(self) -> None:
        if self._verbose:
            cells = ["iter", "target", *self.keys]
            print("| " + " | ".join(f"{c[:9]:^9}" for c in cells) + " |")
            print("-" * (12 * len(cells) + 1))

    def _log(self, trial: Trial) -> None:
        self._iteration += 1
        if self._verbose < 2 and not (self._verbose == 1 and self._is_best(trial)):
            return
        cells = [str(self._iteration), _cell(trial.value)]
        cells += [_cell(trial.params.get(k)) for k in self.keys]
        print("| " + " | ".join(f"{c:<9}" for c in cells) + " |")

    def _is_best(self, trial: Trial) -> bool:
        best = self.study.best()
        return best is not None and best.number == trial.number


def _cell(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.4g}"
    return str(value)[:9]
